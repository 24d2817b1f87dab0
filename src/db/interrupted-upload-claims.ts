import type { PrismaClient } from '../generated/prisma/client.ts';
import { IN_FLIGHT_STATUSES } from '../domain/transitions.ts';
import { MANIFEST_MEDIA_TYPES, type UploadStatus } from '../domain/upload-record.ts';
import { quoteIdent } from './migrate.ts';
import { enqueueWebhookDeliveries } from '../webhooks/outbox.ts';
import { CLEAR_SESSION_CREDENTIAL_SQL } from './session-credential-columns.ts';
import { enqueueStorageCleanup } from './storage-cleanup-repository.ts';
import type { UploadKey } from '../domain/upload-key.ts';

/** Which in-flight uploads can no longer finish because the process running them is gone. */
export type OrphanSelector =
  /** At start-up: whatever an earlier life of this (configured) instance id left in flight. */
  | { readonly kind: 'own'; readonly instanceId: string }
  /**
   * Uploads of instances whose lease has expired; an instance without any lease row (a version
   * before leases) counts as dead once its upload has not been written to for `ttlMs`.
   */
  | { readonly kind: 'expired'; readonly self: string; readonly ttlMs: number };

/** What an interrupted upload becomes (decided in uploads/interruption.ts). */
export interface InterruptedEnd {
  readonly status: Extract<UploadStatus, 'FAILED'>;
  readonly error: { readonly code: string; readonly message: string };
  /** Move what it stored into the cleanup queue. */
  readonly discardStorage: boolean;
}

const BATCH = 100;

/**
 * Ends orphaned uploads. Each batch is one transaction: the rows are picked with FOR UPDATE SKIP
 * LOCKED and moved only from an in-flight status, so several instances sweeping at once each end a
 * different upload, and an upload is ended exactly once.
 */
export class InterruptedUploadClaims {
  readonly #uploads: string;
  readonly #leases: string;
  readonly #files: string;
  readonly #statusType: string;

  constructor(
    private readonly prisma: PrismaClient,
    schema: string,
  ) {
    this.#uploads = `${quoteIdent(schema)}."uploads"`;
    this.#leases = `${quoteIdent(schema)}."instance_leases"`;
    this.#files = `${quoteIdent(schema)}."stored_files"`;
    this.#statusType = `${quoteIdent(schema)}."UploadStatus"`;
  }

  /**
   * Orphans that could go on from what storage holds: UPLOADING plain media (no HLS/DASH manifest)
   * whose media is not stored whole yet (`isResumable` in SQL). The caller pauses each with a
   * conditional update.
   */
  async resumableOrphans(selector: OrphanSelector): Promise<UploadKey[]> {
    const [condition, params] = this.#orphanCondition(selector, 1);
    const rows = await this.prisma.$queryRawUnsafe<Array<{ tenant_id: string; id: string }>>(
      `SELECT c.tenant_id::text, c.id::text FROM ${this.#uploads} c
       WHERE c.status = 'UPLOADING' AND c.media_type <> ALL($${params.length + 1}::text[]) AND ${condition}
         AND NOT EXISTS (SELECT 1 FROM ${this.#files} f
                         WHERE f.tenant_id = c.tenant_id AND f.upload_id = c.id AND f.role = 'MEDIA' AND f.stored_at IS NOT NULL)`,
      ...params,
      MANIFEST_MEDIA_TYPES,
    );
    return rows.map((row) => ({ tenantId: row.tenant_id, id: row.id }));
  }

  /** Which rows `c` of uploads the selector names, with its parameters numbered from `first`. */
  #orphanCondition(selector: OrphanSelector, first: number): [string, unknown[]] {
    const leases = this.#leases;
    return selector.kind === 'own'
      ? [`c.instance_id = $${first}`, [selector.instanceId]]
      : [
          `c.instance_id IS NOT NULL AND c.instance_id <> $${first}
           AND NOT EXISTS (SELECT 1 FROM ${leases} l WHERE l.instance_id = c.instance_id AND l.expires_at > now())
           AND (EXISTS (SELECT 1 FROM ${leases} l WHERE l.instance_id = c.instance_id)
                OR c.updated_at < now() - $${first + 1}::bigint * interval '1 millisecond')`,
          [selector.self, selector.ttlMs],
        ];
  }

  /** Ends one batch of orphans; returns their keys (empty when none is left). */
  async endBatch(selector: OrphanSelector, end: InterruptedEnd): Promise<UploadKey[]> {
    const inFlight = IN_FLIGHT_STATUSES.map((status) => `'${status}'`).join(', ');
    const [condition, params] = this.#orphanCondition(selector, 4);
    return this.prisma.$transaction(async (tx) => {
      const ended = await tx.$queryRawUnsafe<Array<{ tenant_id: string; id: string; storage_bucket: string | null; bucket_region: string | null }>>(
        `UPDATE ${this.#uploads} u SET status = $1::text::${this.#statusType}, error_code = $2, error_message = $3,
           ${CLEAR_SESSION_CREDENTIAL_SQL}, finished_at = now(), updated_at = now()
         WHERE u.status IN (${inFlight}) AND (u.tenant_id, u.id) IN (
           SELECT c.tenant_id, c.id FROM ${this.#uploads} c
           WHERE c.status IN (${inFlight}) AND ${condition}
           LIMIT ${BATCH} FOR UPDATE SKIP LOCKED)
         RETURNING u.tenant_id::text, u.id::text, u.storage_bucket, u.bucket_region`,
        end.status,
        end.error.code,
        end.error.message,
        ...params,
      );
      const keys: UploadKey[] = [];
      for (const row of ended) {
        const key = { tenantId: row.tenant_id, id: row.id };
        await enqueueWebhookDeliveries(tx, { tenantId: key.tenantId, uploadId: key.id, type: 'UPLOAD_FAILED' });
        if (end.discardStorage) await enqueueStorageCleanup(tx, key, { bucket: row.storage_bucket, bucketRegion: row.bucket_region });
        keys.push(key);
      }
      return keys;
    });
  }
}
