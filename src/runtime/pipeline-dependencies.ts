import type { Config } from '../config/config.ts';
import { MemoryBudget } from '../pipeline/memory-budget.ts';
import type { PipelineDependencies, PipelineSettings } from '../pipeline/upload-pipeline.ts';
import { createCosObjectStore } from '../storage/cos-object-store.ts';
import { createTencentVodApi } from '../vod/tencent-vod-api.ts';
import { createTencentVodMediaApi } from '../vod/tencent-vod-media-api.ts';
import type { VodMediaApi } from '../vod/vod-media-api.ts';
import { createIdleCollector } from './idle-collector.ts';
import type { VodConnection } from './vod-backend.ts';

/** Who calls VOD and where: the region is chosen per upload. */
export type VodAccess = Omit<VodConnection, 'region'>;

/**
 * The pipeline's adapters for one set of keys: the real SDKs, pointed at the cloud or (through the
 * endpoints) at the emulator. The service and the library door both build their pipeline here.
 */
export function createPipelineDependencies(access: VodAccess, settings: PipelineSettings): PipelineDependencies {
  const credentials = { secretId: access.secretId, secretKey: access.secretKey, token: access.sessionToken };
  return {
    vodApiFor: (region) => createTencentVodApi({ ...credentials, region, endpoint: access.vodEndpoint }),
    openObjectStore: (target) => createCosObjectStore({ ...target, endpoint: access.cosEndpoint }),
    fallbackCredentials: credentials,
    settings,
  };
}

/** VOD's media API (events, media information, deletion) per access region, with the same keys and endpoint. */
export function createVodMediaFactory(access: VodAccess): (region: string) => VodMediaApi {
  return (region) =>
    createTencentVodMediaApi({ secretId: access.secretId, secretKey: access.secretKey, token: access.sessionToken, region, endpoint: access.vodEndpoint });
}

/** After the last upload's part buffers are released: collect a second later, at most every five seconds. */
const IDLE_COLLECTION = { delayMs: 1_000, minIntervalMs: 5_000 };

/**
 * The service's pipeline settings: part size and window from configuration, one memory budget per
 * process, whose going quiet triggers a garbage collection (see idle-collector.ts).
 */
export function pipelineSettingsFrom(multipart: Config['multipart']): PipelineSettings {
  return {
    partBytes: multipart.partBytes,
    defaultConcurrency: multipart.defaultConcurrency,
    memoryBudget: new MemoryBudget(multipart.maxBufferBytes, createIdleCollector(IDLE_COLLECTION)),
  };
}
