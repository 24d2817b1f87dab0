import type { Config } from '../config/config.ts';
import type { PipelineDependencies } from '../pipeline/upload-pipeline.ts';
import { createCosObjectStore } from '../storage/cos-object-store.ts';
import { createTencentVodApi } from '../vod/tencent-vod-api.ts';
import type { VodConnection } from './vod-backend.ts';

/** The pipeline's adapters for one VOD connection: the real SDKs, pointed at the cloud or the emulator. */
export function createPipelineDependencies(connection: VodConnection, multipart: Config['multipart']): PipelineDependencies {
  const credentials = { secretId: connection.secretId, secretKey: connection.secretKey, token: connection.sessionToken };
  return {
    vodApiFor: (region) => createTencentVodApi({ ...credentials, region, endpoint: connection.vodEndpoint }),
    openObjectStore: (target) => createCosObjectStore({ ...target, endpoint: connection.cosEndpoint }),
    fallbackCredentials: credentials,
    settings: { partBytes: multipart.partBytes, defaultConcurrency: multipart.defaultConcurrency },
  };
}
