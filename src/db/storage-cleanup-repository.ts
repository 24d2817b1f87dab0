import type { Prisma, PrismaClient } from '../generated/prisma/client.ts';
import type { UploadKey } from '../domain/upload-key.ts';
import { quoteIdent } from './migrate.ts';

/** One thing storage holds that no committed media owns: an object, and maybe its open multipart upload. */
export interface StorageLeftover {
  readonly id: bigint;
  readonly tenantId: string;
  readonly uploadId: string;
  readonly bucket: string;
  readonly bucketRegion: string;
  readonly storageKey: string;
  readonly multipartUploadId: string | null;
  /** A multipart upload whose id was never recorded may be open on the key: list and abort them all. */
  readonly listMultipartUploads: boolean;
  readonly attempts: number;
}

/** Longest wait between two attempts at one leftover. */
const MAX_BACKOFF_MS = 60 * 60 * 1000;
const FIRST_BACKOFF_MS = 5_000;

/**
 * Moves what an upload that ended without CommitUpload stored (every object it started, and its
 * open multipart uploads) into the cleanup queue, in the caller's transaction: from then on the
 * queue, not stored_files, says what storage must still lose.
 */
export async function enqueueStorageCleanup(
  tx: Prisma.TransactionClient,
  key: UploadKey,
  where: { readonly bucket: string | null; readonly bucketRegion: string | null },
): Promise<number> {
  const { bucket, bucketRegion } = where;
  if (bucket === null || bucketRegion === null) return 0; // ApplyUpload never granted storage: nothing stored.
  const files = await tx.storedFile.findMany({
    where: { tenantId: key.tenantId, uploadId: key.id, storageKey: { not: null } },
    select: { storageKey: true, multipartUploadId: true, multipartIntent: true },
  });
  const rows = files.flatMap((file) =>
    file.storageKey === null
      ? []
      : [
          {
            tenantId: key.tenantId,
            uploadId: key.id,
            bucket,
            bucketRegion,
            storageKey: file.storageKey,
            multipartUploadId: file.multipartUploadId,
            listMultipartUploads: file.multipartIntent,
          },
        ],
  );
  if (rows.length === 0) return 0;
  await tx.storageCleanup.createMany({ data: rows });
  await tx.storedFile.updateMany({
    where: { tenantId: key.tenantId, uploadId: key.id, OR: [{ multipartUploadId: { not: null } }, { multipartIntent: true }] },
    data: { multipartUploadId: null, multipartIntent: false },
  });
  return rows.length;
}

/**
 * The queue of leftovers. Workers on several instances take due rows with SKIP LOCKED and push their
 * next attempt out at once (a lease on the row): a worker that dies leaves the row to be retried
 * later, two workers never work one row together, and a failing row backs off exponentially.
 */
export class StorageCleanupRepository {
  readonly #table: string;

  constructor(
    private readonly prisma: PrismaClient,
    schema: string,
  ) {
    this.#table = `${quoteIdent(schema)}."storage_cleanup"`;
  }

  /** Takes up to `limit` due leftovers (of one upload, when given) for this worker. */
  async takeDue(limit: number, upload?: UploadKey): Promise<StorageLeftover[]> {
    const params: unknown[] = [limit, FIRST_BACKOFF_MS, MAX_BACKOFF_MS];
    let filter = '';
    if (upload !== undefined) {
      params.push(upload.tenantId, upload.id);
      filter = 'AND tenant_id = $4::uuid AND upload_id = $5::uuid';
    }
    const rows = await this.prisma.$queryRawUnsafe<
      Array<{
        id: bigint;
        tenant_id: string;
        upload_id: string;
        bucket: string;
        bucket_region: string;
        storage_key: string;
        multipart_upload_id: string | null;
        list_multipart_uploads: boolean;
        attempts: number;
      }>
    >(
      `UPDATE ${this.#table} SET attempts = attempts + 1,
         next_attempt_at = now() + LEAST($2::bigint * power(2, attempts), $3::bigint) * interval '1 millisecond'
       WHERE id IN (
         SELECT id FROM ${this.#table} WHERE next_attempt_at <= now() ${filter}
         ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)
       RETURNING id, tenant_id::text, upload_id::text, bucket, bucket_region, storage_key, multipart_upload_id,
         list_multipart_uploads, attempts`,
      ...params,
    );
    return rows.map((row) => ({
      id: row.id,
      tenantId: row.tenant_id,
      uploadId: row.upload_id,
      bucket: row.bucket,
      bucketRegion: row.bucket_region,
      storageKey: row.storage_key,
      multipartUploadId: row.multipart_upload_id,
      listMultipartUploads: row.list_multipart_uploads,
      attempts: row.attempts,
    }));
  }

  /** Its multipart uploads are aborted; the object itself may still need deleting. */
  async multipartClosed(id: bigint): Promise<void> {
    await this.prisma.storageCleanup.updateMany({ where: { id }, data: { multipartUploadId: null, listMultipartUploads: false } });
  }

  /** Storage no longer holds it. */
  async done(id: bigint): Promise<void> {
    await this.prisma.storageCleanup.deleteMany({ where: { id } });
  }

  /** Kept for a later attempt (already scheduled by takeDue), with why this one failed. */
  async failed(id: bigint, error: string): Promise<void> {
    await this.prisma.storageCleanup.updateMany({ where: { id }, data: { lastError: error.slice(0, 1000) } });
  }

  /**
   * The files of a (paused) upload on whose keys a multipart upload may be open that was never
   * recorded, with the one that was (kept; undefined when none was).
   */
  async unsureMultiparts(key: UploadKey): Promise<Array<{ bucket: string; bucketRegion: string; storageKey: string; keep: string | undefined }>> {
    const upload = await this.prisma.upload.findUnique({
      where: { tenantId_id: { tenantId: key.tenantId, id: key.id } },
      select: {
        storageBucket: true,
        bucketRegion: true,
        files: { where: { multipartIntent: true, storageKey: { not: null } }, select: { storageKey: true, multipartUploadId: true } },
      },
    });
    if (upload === null || upload.storageBucket === null || upload.bucketRegion === null) return [];
    const { storageBucket: bucket, bucketRegion } = upload;
    return upload.files.map((file) => ({ bucket, bucketRegion, storageKey: file.storageKey!, keep: file.multipartUploadId ?? undefined }));
  }

  /** What storage still holds of an upload, for tests and operators. */
  async pendingFor(key: UploadKey): Promise<number> {
    return this.prisma.storageCleanup.count({ where: { tenantId: key.tenantId, uploadId: key.id } });
  }
}
