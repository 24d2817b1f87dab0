import type pg from 'pg';
import type { VodEvent } from '../events/vod-event.ts';
import { eventTypeName } from '../events/vod-event.ts';
import { queryUnderFileIdLock, sqlLiteral } from './file-id-lock.ts';
import { quoteIdent } from './migrate.ts';

/**
 * Records an event that changes no upload (a NewFileUpload with no task flow and no direct upload
 * to complete: what every upload without `procedure` causes) in one round trip: under the FileId's
 * lock (queryUnderFileIdLock, the lock the upload's success takes), the event's row, linked to the
 * upload that has its FileId if one has (then it counts as applied; otherwise the upload's success
 * applies it, as for any event that comes first). Returns false when the event was recorded before
 * (a redelivery).
 */
export class EffectFreeEventStatement {
  readonly #events: string;
  readonly #uploads: string;

  constructor(
    private readonly pool: pg.Pool,
    schema: string,
  ) {
    const q = quoteIdent(schema);
    this.#events = `${q}."vod_events"`;
    this.#uploads = `${q}."uploads"`;
  }

  async record(event: VodEvent & { type: 'NewFileUpload' }, subAppId: number | undefined): Promise<boolean> {
    if (subAppId !== undefined && !Number.isSafeInteger(subAppId)) throw new Error(`not a SubAppId: ${subAppId}`);
    const fileId = sqlLiteral(event.fileId);
    const inserted = await queryUnderFileIdLock(
      this.pool,
      event.fileId,
      `INSERT INTO ${this.#events} (dedupe_key, event_type, file_id, sub_app_id, payload, received_at, applied_at, tenant_id, upload_id)
       SELECT ${sqlLiteral(event.dedupeKey)}, ${sqlLiteral(eventTypeName(event))}, ${fileId}, ${sqlLiteral(subAppId ?? null)},
              ${sqlLiteral(JSON.stringify(event.payload ?? null))}::jsonb, now(), CASE WHEN owner.id IS NULL THEN NULL ELSE now() END,
              owner.tenant_id, owner.id
       FROM (SELECT 1) AS one
       LEFT JOIN LATERAL (SELECT u.tenant_id, u.id FROM ${this.#uploads} u WHERE u.file_id = ${fileId} LIMIT 1) AS owner ON true
       ON CONFLICT DO NOTHING
       RETURNING dedupe_key`,
    );
    return inserted.rowCount === 1;
  }
}
