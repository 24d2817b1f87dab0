import type { SecretSeal } from '../auth/secret-seal.ts';
import type { Prisma, PrismaClient } from '../generated/prisma/client.ts';
import type { Database } from './database.ts';
import { UploadClaimStatement } from './upload-claim-statement.ts';
import { UploadSuccessStatement } from './upload-success-statement.ts';
import { UploadSuccessTransaction } from './upload-success-transaction.ts';
import { LRUCache } from 'lru-cache';
import { afterSucceeded, lockFileIds } from './vod-event-store.ts';
import { enqueueWebhookDeliveries } from '../webhooks/outbox.ts';
import { VodError } from '../errors/vod-error.ts';
import { IN_FLIGHT_STATUSES, statusesBefore } from '../domain/transitions.ts';
import type { UploadKey } from '../domain/upload-key.ts';
import type { FileRole, UploadRecord, UploadStatus } from '../domain/upload-record.ts';
import type { ExpiringCredentials } from '../storage/object-store.ts';
import { quoteIdent } from './migrate.ts';
import { toUploadRecord, UPLOAD_RECORD_INCLUDE } from './upload-repository.ts';
import { NO_SESSION_CREDENTIAL, openedCredentials, sealedColumns } from './session-credential-columns.ts';
import { enqueueStorageCleanup } from './storage-cleanup-repository.ts';
import { UploadStepStatement, type StartingObject, type StoredObject, type UploadColumns } from './upload-step-statement.ts';

/** What is known of an upload before the first cloud call. */
export type NewUploadFields = Pick<
  UploadRecord,
  | 'region'
  | 'mediaName'
  | 'mediaType'
  | 'coverType'
  | 'procedure'
  | 'subAppId'
  | 'classId'
  | 'storageRegion'
  | 'expireTime'
  | 'sourceContext'
> & {
  readonly concurrency: number | null;
  readonly mediaSizeHint: number | null;
  /** Expected bytes of all files until the streams end: mediaSize, else the request's file bytes. */
  readonly bytesTotal: number | null;
};

export type ClaimResult = { readonly kind: 'claimed'; readonly record: UploadRecord } | { readonly kind: 'succeeded-before' };

export interface ByteCounters {
  readonly bytesReceived: number;
  readonly bytesUploaded: number;
  readonly bytesTotal?: number | undefined;
}

export interface OpenMultipart {
  readonly role: FileRole;
  readonly path: string;
  readonly storageKey: string;
  readonly multipartUploadId: string;
}

/**
 * Every write of an upload's life. Status changes are conditional updates on the statuses the state
 * machine allows before them, so two writers can never move one upload in incompatible ways.
 */
export class UploadWriter {
  readonly #parts: string;
  readonly #steps: UploadStepStatement;
  readonly #claims: UploadClaimStatement;
  readonly #successes: UploadSuccessStatement;
  readonly #successTransactions: UploadSuccessTransaction;
  /** Tenants whose last success here had upload.succeeded endpoints: a hint of which path to try first. */
  readonly #tenantsWithEndpoints = new LRUCache<string, true>({ max: 10_000, ttl: 60_000 });
  private readonly prisma: PrismaClient;

  /**
   * `db`: Prisma for most writes, and its pg pool for the statements of a small upload's hot path
   * (written in SQL); `seal`: encrypts the sessions' temporary keys at rest.
   */
  constructor(
    db: Pick<Database, 'prisma' | 'pool' | 'schema'>,
    private readonly seal: SecretSeal,
  ) {
    this.prisma = db.prisma;
    this.#parts = `${quoteIdent(db.schema)}."upload_parts"`;
    this.#steps = new UploadStepStatement(db.pool, db.schema);
    this.#claims = new UploadClaimStatement(db.pool, db.schema);
    this.#successes = new UploadSuccessStatement(db.pool, db.schema);
    this.#successTransactions = new UploadSuccessTransaction(db.pool, db.schema);
  }

  /**
   * Writes the PENDING record, or takes over a FAILED/CANCELED one with the same id. A SUCCEEDED id
   * is reported as such; an in-flight id is refused.
   */
  async claim(key: UploadKey, fields: NewUploadFields, instanceId: string): Promise<ClaimResult> {
    // A new id (the usual case): one statement, which answers the record as written.
    const created = await this.#claims.insert(key, fields, instanceId);
    if (created !== undefined) return { kind: 'claimed', record: created };
    const existing = await this.prisma.upload.findUnique({ where: { tenantId_id: key }, select: { status: true } });
    // Gone between the two statements (a tenant's record is never deleted, but a test may): try again.
    if (existing === null) return this.claim(key, fields, instanceId);
    if (existing.status === 'SUCCEEDED') return { kind: 'succeeded-before' };
    const data = {
      ...fields,
      mediaSizeHint: toBigInt(fields.mediaSizeHint),
      bytesTotal: toBigInt(fields.bytesTotal),
      instanceId,
    };
    const retried = await this.prisma.$transaction(async (tx) => {
      const moved = await tx.upload.updateMany({
        where: { ...key, status: { in: statusesBefore('PENDING') } },
        data: {
          ...data,
          status: 'PENDING',
          bytesReceived: 0n,
          bytesUploaded: 0n,
          fileId: null,
          mediaUrl: null,
          coverUrl: null,
          requestId: null,
          errorCode: null,
          errorMessage: null,
          vodSessionKey: null,
          storageBucket: null,
          bucketRegion: null,
          mediaStoragePath: null,
          coverStoragePath: null,
          resumableOffset: null,
          resumableUntil: null,
          ...NO_SESSION_CREDENTIAL,
          finishedAt: null,
        },
      });
      if (moved.count !== 1) return undefined;
      await tx.storedFile.deleteMany({ where: { tenantId: key.tenantId, uploadId: key.id, multipartUploadId: null } });
      await tx.uploadPart.deleteMany({ where: { tenantId: key.tenantId, uploadId: key.id } });
      return tx.upload.findUnique({ where: { tenantId_id: key }, include: UPLOAD_RECORD_INCLUDE });
    });
    if (retried === undefined || retried === null) {
      throw new VodError('InvalidParameter', `An upload with id ${key.id} is already in progress.`, { uploadId: key.id });
    }
    return { kind: 'claimed', record: toUploadRecord(retried) };
  }

  /**
   * PENDING → UPLOADING with the session, and the objects about to be written (whose names are
   * known now) recorded as starting: one statement.
   */
  async markApplied(
    key: UploadKey,
    applied: {
      vodSessionKey: string;
      storageBucket: string;
      bucketRegion: string;
      requestId: string;
      mediaStoragePath: string;
      coverStoragePath: string | null;
      /** The session's temporary storage key, kept (sealed) for a resume; none without an expiry. */
      sessionCredentials: ExpiringCredentials | undefined;
    },
    starting: readonly StartingObject[] = [],
  ): Promise<void> {
    const credential = sealedColumns(this.seal, key, applied.sessionCredentials);
    await this.#step(key, 'UPLOADING', {
      vod_session_key: applied.vodSessionKey,
      storage_bucket: applied.storageBucket,
      bucket_region: applied.bucketRegion,
      request_id: applied.requestId,
      media_storage_path: applied.mediaStoragePath,
      cover_storage_path: applied.coverStoragePath,
      session_credential_id: credential.sessionCredentialId,
      session_credential_sealed: credential.sessionCredentialSealed,
      session_credential_expires_at: credential.sessionCredentialExpiresAt,
    }, { starting });
  }

  /** UPLOADING → COMMITTING with the final counters, and the files stored since the last write: one statement. */
  async markCommitting(key: UploadKey, counters: ByteCounters, stored: readonly StoredObject[] = []): Promise<void> {
    await this.#step(key, 'COMMITTING', {
      bytes_received: BigInt(counters.bytesReceived),
      bytes_uploaded: BigInt(counters.bytesUploaded),
      ...(counters.bytesTotal === undefined ? {} : { bytes_total: BigInt(counters.bytesTotal) }),
    }, { stored });
  }

  /** Files storage acknowledged whole, in one statement. */
  async recordFilesStored(key: UploadKey, stored: readonly StoredObject[]): Promise<void> {
    await this.#steps.run(key, { stored });
  }

  async #step(key: UploadKey, to: UploadStatus, set: UploadColumns, files: { starting?: readonly StartingObject[]; stored?: readonly StoredObject[] }): Promise<void> {
    if (!(await this.#steps.run(key, { move: { to, set }, ...files }))) {
      throw new VodError('InternalError', `Upload ${key.id} could not move to ${to}.`, { uploadId: key.id });
    }
  }

  async saveProgress(key: UploadKey, counters: ByteCounters): Promise<void> {
    await this.prisma.upload.updateMany({
      where: { ...key, status: { in: [...IN_FLIGHT_STATUSES] } },
      data: countersData(counters),
    });
  }

  /** → SUCCEEDED with the FileId; answers the record as committed. */
  async markSucceeded(
    key: UploadKey,
    result: {
      fileId: string;
      mediaUrl: string;
      coverUrl: string | null;
      /** Set when the cover's type was found only after ApplyUpload. */
      coverType?: string | undefined;
      requestId: string;
      counters: ByteCounters;
    },
  ): Promise<UploadRecord> {
    const { counters, ...fields } = result;
    const succeeded = {
      ...fields,
      bytes: { received: counters.bytesReceived, uploaded: counters.bytesUploaded, total: counters.bytesTotal ?? counters.bytesReceived },
    };
    // One round trip when the tenant has no endpoint for upload.succeeded (as far as this instance
    // knows: the hint only picks which path is tried first; each one checks for itself).
    if (!this.#tenantsWithEndpoints.has(key.tenantId)) {
      const fast = await this.#successes.run(key, succeeded);
      if (fast !== undefined) return fast;
    }
    // With the tenant's deliveries, in one transaction on the pool.
    const withDeliveries = await this.#successTransactions.run(key, succeeded);
    if (withDeliveries !== undefined) {
      if (withDeliveries.deliveries > 0) this.#tenantsWithEndpoints.set(key.tenantId, true);
      else this.#tenantsWithEndpoints.delete(key.tenantId);
      return withDeliveries.record;
    }
    // Events of the FileId came first, or the status does not allow the move: the general path.
    const row = await this.prisma.$transaction(async (tx) => {
      // Events of this FileId may have come first (VOD emits NewFileUpload at CommitUpload): under
      // the FileId's lock, the upload takes its FileId and applies them, so none is missed.
      await lockFileIds(tx, [fields.fileId]);
      await this.move(key, 'SUCCEEDED', { ...fields, ...countersData(counters), ...NO_SESSION_CREDENTIAL, finishedAt: new Date() }, tx);
      await afterSucceeded(tx, key, fields.fileId);
      return tx.upload.findUnique({ where: { tenantId_id: key }, include: UPLOAD_RECORD_INCLUDE });
    });
    if (row === null) throw new VodError('ResourceNotFound', `Upload ${key.id} was not found.`, { uploadId: key.id });
    return toUploadRecord(row);
  }

  /** The media was deleted from VOD (deleteMedia): deletedAt is set once, and kept. */
  async markDeleted(key: UploadKey): Promise<void> {
    await this.prisma.$transaction(async (tx) => {
      const { count } = await tx.upload.updateMany({ where: { ...key, deletedAt: null }, data: { deletedAt: new Date() } });
      if (count === 1) await enqueueWebhookDeliveries(tx, { tenantId: key.tenantId, uploadId: key.id, type: 'MEDIA_DELETED' });
    });
  }

  /** CommitUpload succeeded while work remains (a late cover): the record keeps the FileId even if that fails. */
  async recordCommitted(key: UploadKey, commit: { fileId: string; mediaUrl: string; requestId: string }): Promise<void> {
    await this.prisma.upload.updateMany({ where: { ...key, status: { in: [...IN_FLIGHT_STATUSES] } }, data: commit });
  }


  /**
   * FAILED or CANCELED with the error's code; false when the upload had already ended. In the same
   * transaction, what the upload stored moves to the storage cleanup queue (unless `discardStorage`
   * is false): nothing it stored is committed media.
   */
  async markEnded(
    key: UploadKey,
    status: 'FAILED' | 'CANCELED',
    error: { code: string; message: string; requestId?: string | undefined },
    options: { readonly counters?: ByteCounters | undefined; readonly discardStorage?: boolean } = {},
  ): Promise<boolean> {
    const { counters } = options;
    return this.prisma.$transaction(async (tx) => {
      const moved = await tx.upload.updateMany({
        where: { ...key, status: { in: statusesBefore(status).filter((from) => IN_FLIGHT_STATUSES.includes(from)) } },
        data: {
          status,
          errorCode: error.code,
          errorMessage: error.message,
          ...(error.requestId === undefined ? {} : { requestId: error.requestId }),
          ...(counters === undefined ? {} : countersData(counters)),
          ...NO_SESSION_CREDENTIAL,
          finishedAt: new Date(),
        },
      });
      if (moved.count !== 1) return false;
      await enqueueWebhookDeliveries(tx, { tenantId: key.tenantId, uploadId: key.id, type: status === 'FAILED' ? 'UPLOAD_FAILED' : 'UPLOAD_CANCELED' });
      if (options.discardStorage ?? true) {
        const where = await tx.upload.findUnique({
          where: { tenantId_id: key },
          select: { storageBucket: true, bucketRegion: true, fileId: true },
        });
        // Media VOD has committed (a late cover failed after it) is VOD's now: nothing is deleted.
        if (where?.fileId === null || where?.fileId === undefined) {
          await enqueueStorageCleanup(tx, key, { bucket: where?.storageBucket ?? null, bucketRegion: where?.bucketRegion ?? null });
        }
      }
      return true;
    });
  }

  /** An object is about to be written (by PUT or multipart): from now on a failure must delete its key. */
  async recordObjectStarting(key: UploadKey, file: { role: FileRole; path: string; storageKey: string }): Promise<void> {
    const where = { tenantId_uploadId_role_path: { tenantId: key.tenantId, uploadId: key.id, role: file.role, path: file.path } };
    await this.prisma.storedFile.upsert({
      where,
      create: { tenantId: key.tenantId, uploadId: key.id, role: file.role, path: file.path, storageKey: file.storageKey },
      update: { storageKey: file.storageKey },
    });
  }

  /**
   * CreateMultipartUpload is about to be sent for the file's key: from now on a multipart upload may
   * be open there even if its id never reaches this table, and ending the upload must look for it.
   */
  async recordMultipartStarting(key: UploadKey, file: { role: FileRole; path: string; storageKey: string }): Promise<void> {
    const where = { tenantId_uploadId_role_path: { tenantId: key.tenantId, uploadId: key.id, role: file.role, path: file.path } };
    await this.prisma.storedFile.upsert({
      where,
      create: { tenantId: key.tenantId, uploadId: key.id, role: file.role, path: file.path, storageKey: file.storageKey, multipartIntent: true },
      update: { storageKey: file.storageKey, multipartIntent: true },
    });
  }

  async recordMultipartStarted(key: UploadKey, file: OpenMultipart): Promise<void> {
    const where = { tenantId_uploadId_role_path: { tenantId: key.tenantId, uploadId: key.id, role: file.role, path: file.path } };
    await this.prisma.storedFile.upsert({
      where,
      create: { tenantId: key.tenantId, uploadId: key.id, role: file.role, path: file.path, storageKey: file.storageKey, multipartUploadId: file.multipartUploadId },
      update: { storageKey: file.storageKey, multipartUploadId: file.multipartUploadId },
    });
  }

  /** The multipart upload is closed (completed or aborted): nothing is left to clean up. */
  async recordMultipartClosed(key: UploadKey, file: { role: FileRole; path: string }): Promise<void> {
    await this.prisma.storedFile.updateMany({
      where: { tenantId: key.tenantId, uploadId: key.id, role: file.role, path: file.path },
      data: { multipartUploadId: null, multipartIntent: false },
    });
  }

  /**
   * Media parts storage acknowledged: what a resume continues from. One statement per batch, in
   * SQL of its own (a query builder call would be compiled anew for every batch size); a part
   * recorded again takes the newer values.
   */
  async recordParts(key: UploadKey, parts: ReadonlyArray<{ partNumber: number; etag: string; bytes: number; endOffset: number; crc64: string }>): Promise<void> {
    if (parts.length === 0) return;
    const values: string[] = [];
    const params: unknown[] = [key.tenantId, key.id];
    for (const part of parts) {
      const at = params.length;
      params.push(part.partNumber, part.etag, String(part.bytes), String(part.endOffset), part.crc64);
      values.push(`($1::uuid, $2::uuid, $${at + 1}::int, $${at + 2}, $${at + 3}::bigint, $${at + 4}::bigint, $${at + 5})`);
    }
    await this.prisma.$executeRawUnsafe(
      `INSERT INTO ${this.#parts} (tenant_id, upload_id, part_number, etag, bytes, end_offset, crc64) VALUES ${values.join(', ')}
       ON CONFLICT (tenant_id, upload_id, part_number)
       DO UPDATE SET etag = EXCLUDED.etag, bytes = EXCLUDED.bytes, end_offset = EXCLUDED.end_offset, crc64 = EXCLUDED.crc64`,
      ...params,
    );
  }

  /**
   * UPLOADING → PAUSED. The resumable offset is the end of the longest run of recorded parts 1..n
   * (a part after a gap is dropped: the resume sends it again). Returns that offset, or undefined
   * when the upload was no longer UPLOADING.
   */
  async markPaused(key: UploadKey, pause: { resumableUntil: Date; error: { code: string; message: string }; counters: ByteCounters }): Promise<number | undefined> {
    return this.prisma.$transaction(async (tx) => {
      const parts = await tx.uploadPart.findMany({ where: { tenantId: key.tenantId, uploadId: key.id }, orderBy: { partNumber: 'asc' } });
      let kept = 0;
      while (kept < parts.length && parts[kept]!.partNumber === kept + 1) kept += 1;
      const offset = kept === 0 ? 0n : parts[kept - 1]!.endOffset;
      await tx.uploadPart.deleteMany({ where: { tenantId: key.tenantId, uploadId: key.id, partNumber: { gt: kept } } });
      const moved = await tx.upload.updateMany({
        where: { tenantId: key.tenantId, id: key.id, status: 'UPLOADING' },
        data: {
          status: 'PAUSED',
          resumableOffset: offset,
          resumableUntil: pause.resumableUntil,
          errorCode: pause.error.code,
          errorMessage: pause.error.message,
          bytesReceived: offset,
          bytesUploaded: offset,
          ...(pause.counters.bytesTotal === undefined ? {} : { bytesTotal: BigInt(pause.counters.bytesTotal) }),
        },
      });
      if (moved.count !== 1) return undefined;
      await enqueueWebhookDeliveries(tx, { tenantId: key.tenantId, uploadId: key.id, type: 'UPLOAD_PAUSED' });
      return Number(offset);
    });
  }

  /**
   * PAUSED → UPLOADING for the instance that resumes it, when the offset is the paused one and the
   * window is still open: one conditional update, so of two resumes at once exactly one wins.
   */
  async claimResume(key: UploadKey, offset: number, instanceId: string, now: Date): Promise<boolean> {
    const moved = await this.prisma.upload.updateMany({
      where: { tenantId: key.tenantId, id: key.id, status: 'PAUSED', resumableOffset: BigInt(offset), resumableUntil: { gt: now } },
      data: { status: 'UPLOADING', instanceId, resumableOffset: null, resumableUntil: null, errorCode: null, errorMessage: null },
    });
    return moved.count === 1;
  }

  /**
   * What a resume needs from the paused upload: its session (and the session's temporary key, when
   * one was kept and still opens), where the media goes, the kept parts.
   */
  async resumeState(key: UploadKey): Promise<ResumeState | undefined> {
    const row = await this.prisma.upload.findUnique({
      where: { tenantId_id: key },
      include: {
        parts: { orderBy: { partNumber: 'asc' } },
        files: { where: { role: 'MEDIA' } },
      },
    });
    if (row === null || row.vodSessionKey === null || row.storageBucket === null || row.bucketRegion === null || row.mediaStoragePath === null) {
      return undefined;
    }
    const media = row.files[0];
    return {
      region: row.region,
      subAppId: row.subAppId,
      concurrency: row.concurrency,
      mediaSizeHint: row.mediaSizeHint === null ? null : Number(row.mediaSizeHint),
      coverType: row.coverType,
      vodSessionKey: row.vodSessionKey,
      storageBucket: row.storageBucket,
      bucketRegion: row.bucketRegion,
      mediaStoragePath: row.mediaStoragePath,
      coverStoragePath: row.coverStoragePath,
      sessionCredentials: openedCredentials(this.seal, key, row),
      mediaPath: media?.path ?? null,
      multipartUploadId: media?.multipartUploadId ?? null,
      parts: row.parts.map((part) => ({
        partNumber: part.partNumber,
        etag: part.etag,
        bytes: Number(part.bytes),
        endOffset: Number(part.endOffset),
        crc64: part.crc64,
      })),
    };
  }

  /**
   * PAUSED → FAILED or CANCELED (the sweeper, cancelUpload). With `expiredBefore`, only when the
   * window ended before then. False when it was not PAUSED (any more).
   */
  async endPaused(
    key: UploadKey,
    status: 'FAILED' | 'CANCELED',
    error: { code: string; message: string },
    expiredBefore?: Date,
  ): Promise<boolean> {
    return this.prisma.$transaction(async (tx) => {
      const moved = await tx.upload.updateMany({
        where: { tenantId: key.tenantId, id: key.id, status: 'PAUSED', ...(expiredBefore === undefined ? {} : { resumableUntil: { lte: expiredBefore } }) },
        data: {
          status,
          errorCode: error.code,
          errorMessage: error.message,
          resumableOffset: null,
          resumableUntil: null,
          ...NO_SESSION_CREDENTIAL,
          finishedAt: new Date(),
        },
      });
      if (moved.count !== 1) return false;
      await enqueueWebhookDeliveries(tx, { tenantId: key.tenantId, uploadId: key.id, type: status === 'FAILED' ? 'UPLOAD_FAILED' : 'UPLOAD_CANCELED' });
      // Its kept multipart upload (and a stored cover) go to the storage cleanup queue, as for any failure.
      const upload = { tenantId: key.tenantId, id: key.id };
      const where = await tx.upload.findUnique({ where: { tenantId_id: upload }, select: { storageBucket: true, bucketRegion: true } });
      await enqueueStorageCleanup(tx, upload, { bucket: where?.storageBucket ?? null, bucketRegion: where?.bucketRegion ?? null });
      return true;
    });
  }

  /** PAUSED uploads whose window ended, for the sweeper (any instance). */
  async findExpiredPauses(now: Date, limit: number): Promise<Array<UploadKey & { storageBucket: string | null; bucketRegion: string | null }>> {
    return this.prisma.upload.findMany({
      where: { status: 'PAUSED', resumableUntil: { lte: now } },
      select: { tenantId: true, id: true, storageBucket: true, bucketRegion: true },
      take: limit,
    });
  }

  private async move(key: UploadKey, to: UploadStatus, data: Record<string, unknown>, tx: Prisma.TransactionClient = this.prisma): Promise<void> {
    const moved = await tx.upload.updateMany({ where: { ...key, status: { in: statusesBefore(to) } }, data: { ...data, status: to } });
    if (moved.count !== 1) {
      throw new VodError('InternalError', `Upload ${key.id} could not move to ${to}.`, { uploadId: key.id });
    }
  }
}

export interface ResumeState {
  readonly region: string;
  readonly subAppId: number | null;
  readonly concurrency: number | null;
  readonly mediaSizeHint: number | null;
  readonly coverType: string | null;
  readonly vodSessionKey: string;
  readonly storageBucket: string;
  readonly bucketRegion: string;
  readonly mediaStoragePath: string;
  readonly coverStoragePath: string | null;
  /** ApplyUpload's temporary storage key for the session, with its expiry; undefined when none was kept. */
  readonly sessionCredentials: ExpiringCredentials | undefined;
  /** The media's file name as first sent; null when its upload had not started. */
  readonly mediaPath: string | null;
  /** The media's open multipart upload; null when none was created yet. */
  readonly multipartUploadId: string | null;
  readonly parts: ReadonlyArray<{ partNumber: number; etag: string; bytes: number; endOffset: number; crc64: string }>;
}

function countersData(counters: ByteCounters): Record<string, bigint> {
  return {
    bytesReceived: BigInt(counters.bytesReceived),
    bytesUploaded: BigInt(counters.bytesUploaded),
    ...(counters.bytesTotal === undefined ? {} : { bytesTotal: BigInt(counters.bytesTotal) }),
  };
}

function toBigInt(value: number | null): bigint | null {
  return value === null ? null : BigInt(value);
}
