/**
 * Direct uploads: the service issues a client-upload signature and keeps the record; the bytes go
 * from the client straight to VOD. The record learns its outcome from VOD's NewFileUpload event
 * (tied to it by the signature's SourceContext, see direct-context.ts), never from the client; one
 * that hears nothing within the signature's validity and a grace period fails (DirectUploadExpired).
 */
import { randomUUID } from 'node:crypto';
import type { Config } from '../config/config.ts';
import { DirectUploadRepository } from '../db/direct-upload-repository.ts';
import { isUuid, UploadRepository } from '../db/upload-repository.ts';
import type { PrismaClient } from '../generated/prisma/client.ts';
import type { Logger } from '../logging/logger.ts';
import type { UploadKey } from '../domain/upload-key.ts';
import type { UploadRecord } from '../domain/upload-record.ts';
import { VodError } from '../errors/vod-error.ts';
import type { UploadMetrics } from '../metrics/upload-metrics.ts';
import { checkUploadInput } from '../pipeline/upload-request.ts';
import { publishSnapshot, type UploadPubSub } from '../uploads/upload-events.ts';
import { directSourceContext } from './direct-context.ts';
import { issueUploadSignature } from './upload-signature.ts';

export interface DirectUploadInput {
  readonly id?: string | undefined;
  readonly mediaName?: string | undefined;
  readonly procedure?: string | undefined;
  readonly classId?: number | undefined;
  readonly subAppId?: number | undefined;
  readonly storageRegion?: string | undefined;
  readonly expireTime?: string | undefined;
  /** The client's own context: kept on the record; VOD gets the service's (see README). */
  readonly sourceContext?: string | undefined;
}

export interface DirectUpload {
  readonly upload: UploadRecord;
  readonly signature: string;
  readonly expiresAt: Date;
}

export interface DirectUploadsDependencies {
  readonly repository: DirectUploadRepository;
  readonly reader: UploadRepository;
  readonly pubsub: UploadPubSub;
  readonly metrics: UploadMetrics;
  /** The API key the signature is made with (VOD checks it; temporary keys cannot sign). */
  readonly signingKey: { readonly secretId: string; readonly secretKey: string };
  readonly defaultRegion: string;
  readonly ttlMs: number;
  readonly graceMs: number;
}

/** Names vod-js-sdk-v6 refuses in a media name. */
const SDK_REFUSED_NAME_CHARS = /[:*?<>"\\/|]/;
const SWEEP_BATCH = 100;

export class DirectUploads {
  constructor(private readonly deps: DirectUploadsDependencies) {}

  async create(tenantId: string, input: DirectUploadInput, now: Date = new Date()): Promise<DirectUpload> {
    const id = input.id ?? randomUUID();
    if (!isUuid(id)) throw new VodError('InvalidParameter', 'The upload id must be a UUID.');
    checkUploadInput({ ...input, region: this.deps.defaultRegion }, { now });
    if (input.mediaName !== undefined && SDK_REFUSED_NAME_CHARS.test(input.mediaName)) {
      throw new VodError('InvalidParameter', 'mediaName may not contain \\ / : * ? " < > |.');
    }
    const key: UploadKey = { tenantId, id };
    await this.deps.repository.create(key, {
      region: this.deps.defaultRegion,
      mediaName: input.mediaName ?? '',
      procedure: input.procedure ?? null,
      subAppId: input.subAppId ?? null,
      classId: input.classId ?? null,
      storageRegion: input.storageRegion ?? null,
      expireTime: input.expireTime === undefined ? null : new Date(input.expireTime),
      sourceContext: input.sourceContext ?? null,
    });
    const { signature, expiresAtSeconds } = issueUploadSignature(
      {
        secretId: this.deps.signingKey.secretId,
        procedure: input.procedure,
        classId: input.classId,
        sourceContext: directSourceContext(key, this.deps.signingKey.secretKey),
        vodSubAppId: input.subAppId,
        storageRegion: input.storageRegion,
        oneTimeValid: 1,
      },
      this.deps.signingKey,
      { nowSeconds: Math.floor(now.getTime() / 1000), ttlSeconds: Math.floor(this.deps.ttlMs / 1000) },
    );
    const upload = await this.deps.reader.find(tenantId, id);
    if (upload === undefined) throw new VodError('InternalError', 'The direct upload record vanished.', { uploadId: id });
    this.deps.metrics.directUpload('PENDING');
    publishSnapshot(this.deps.pubsub, upload);
    return { upload, signature, expiresAt: new Date(expiresAtSeconds * 1000) };
  }

  /** Fails the direct uploads VOD did not report within the signature's validity and the grace period. */
  async sweepExpired(now: Date = new Date()): Promise<number> {
    const createdBefore = new Date(now.getTime() - this.deps.ttlMs - this.deps.graceMs);
    const error = { code: 'DirectUploadExpired', message: 'VOD reported no upload within the signature\'s validity and DIRECT_UPLOAD_GRACE.' };
    const moved = await this.deps.repository.failPendingCreatedBefore(createdBefore, now, error, SWEEP_BATCH);
    for (const key of moved) {
      const record = await this.deps.reader.find(key.tenantId, key.id);
      if (record !== undefined) publishSnapshot(this.deps.pubsub, record);
      this.deps.metrics.directUpload('FAILED', error.code);
    }
    return moved.length;
  }
}

/** How often the sweep runs: a tenth of the grace, between 1 s and 1 min. */
export function directSweepIntervalMs(graceMs: number): number {
  return Math.min(60_000, Math.max(1_000, Math.floor(graceMs / 10)));
}

/** Runs `sweepExpired` on an interval (any instance may; each upload fails once); returns the stop. */
export function startDirectUploadSweep(service: DirectUploads, graceMs: number, logger: Logger): () => void {
  const timer = setInterval(() => {
    service.sweepExpired().catch((error: unknown) => logger.warn({ err: error }, 'sweep of expired direct uploads failed'));
  }, directSweepIntervalMs(graceMs)).unref();
  return () => clearInterval(timer);
}

/** The service as the app wires it: the uploads table through Prisma, the configuration's windows. */
export function createDirectUploads(
  prisma: PrismaClient,
  config: Pick<Config, 'direct' | 'vod'>,
  parts: Pick<DirectUploadsDependencies, 'pubsub' | 'metrics' | 'signingKey'>,
): DirectUploads {
  return new DirectUploads({
    ...parts,
    repository: new DirectUploadRepository(prisma),
    reader: new UploadRepository(prisma),
    defaultRegion: config.vod.region,
    ttlMs: config.direct.ttlMs,
    graceMs: config.direct.graceMs,
  });
}
