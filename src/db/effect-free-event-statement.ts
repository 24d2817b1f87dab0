import pg from 'pg';
import type { VodEvent } from '../events/vod-event.ts';
import { eventTypeName } from '../events/vod-event.ts';
import { fileIdLockKey } from './file-id-lock.ts';
import { quoteIdent } from './migrate.ts';

/**
 * Records an event that changes no upload (a NewFileUpload with no task flow and no direct upload
 * to complete: what every upload without `procedure` causes) in one round trip: one simple query of
 * two statements, which Postgres runs as one transaction, each with a snapshot of its own: the
 * FileId's lock (as the upload's success takes it), then the event's row, linked to the upload
 * that has its FileId if one has (then it counts as applied; otherwise the upload's success applies
 * it, as for any event that comes first). Returns false when the event was recorded before (a
 * redelivery). Values are literals escaped by node-postgres (escapeLiteral): a simple query takes
 * no parameters.
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
    const text = (value: string): string => pg.escapeLiteral(value);
    if (subAppId !== undefined && !Number.isSafeInteger(subAppId)) throw new Error(`not a SubAppId: ${subAppId}`);
    const fileId = text(event.fileId);
    const results = (await this.pool.query(
      `SELECT pg_advisory_xact_lock(hashtextextended(${text(fileIdLockKey(event.fileId))}, 0));
       INSERT INTO ${this.#events} (dedupe_key, event_type, file_id, sub_app_id, payload, received_at, applied_at, tenant_id, upload_id)
       SELECT ${text(event.dedupeKey)}, ${text(eventTypeName(event))}, ${fileId}, ${subAppId === undefined ? 'NULL' : String(subAppId)},
              ${text(JSON.stringify(event.payload ?? null))}::jsonb, now(), CASE WHEN owner.id IS NULL THEN NULL ELSE now() END,
              owner.tenant_id, owner.id
       FROM (SELECT 1) AS one
       LEFT JOIN LATERAL (SELECT u.tenant_id, u.id FROM ${this.#uploads} u WHERE u.file_id = ${fileId} LIMIT 1) AS owner ON true
       ON CONFLICT DO NOTHING
       RETURNING dedupe_key`,
    )) as unknown as pg.QueryResult[];
    return (results[1]?.rowCount ?? 0) === 1;
  }
}
