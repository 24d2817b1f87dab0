import type pg from 'pg';
import type { UploadKey } from '../domain/upload-key.ts';
import type { UploadRecord } from '../domain/upload-record.ts';
import { addDeliveryJobsThrough } from '../webhooks/delivery-queue.ts';
import { newMessageId, webhookBody } from '../webhooks/outbox.ts';
import { fileIdLockSql } from './file-id-lock.ts';
import { quoteIdent } from './migrate.ts';
import { queryPrepared } from './prepared-query.ts';
import { recordFromSuccessRow } from './upload-sql-row.ts';
import { successTables, successUpdateSql, type SucceededFields, type SuccessTables } from './upload-success-sql.ts';

/**
 * An upload's success with its upload.succeeded deliveries (the outbox), in one transaction on a
 * client of the pg pool: BEGIN with the FileId's lock, the move (successUpdateSql, which answers the
 * subscribed endpoints), one delivery per endpoint with its queue job, COMMIT; four or five round
 * trips where the general path takes about fifteen. Answers undefined (rolled back, nothing
 * written) when the move was not made: events of the FileId came first, or the status does not
 * allow it; the general path deals with those.
 */
export class UploadSuccessTransaction {
  readonly #tables: SuccessTables;
  readonly #deliveries: string;
  readonly #queue: string;
  /** The queue's schema (the `webhook_queue` row's), read once. */
  #pgbossSchema: string | undefined;

  constructor(
    private readonly pool: pg.Pool,
    schema: string,
  ) {
    const q = quoteIdent(schema);
    this.#tables = successTables(schema);
    this.#deliveries = `INSERT INTO ${q}."webhook_deliveries" (id, endpoint_id, tenant_id, upload_id, event_type, message_id, payload)
      SELECT gen_random_uuid(), d.endpoint_id, $1::uuid, $2::uuid, 'UPLOAD_SUCCEEDED', d.message_id, $3::jsonb
      FROM unnest($4::uuid[], $5::text[]) WITH ORDINALITY AS d(endpoint_id, message_id, n)
      ORDER BY d.n
      RETURNING id::text`;
    this.#queue = `SELECT pgboss_schema FROM ${q}."webhook_queue" WHERE id = 1`;
  }

  async run(key: UploadKey, fields: SucceededFields): Promise<{ record: UploadRecord; deliveries: number } | undefined> {
    const client = await this.pool.connect();
    let failure: unknown;
    try {
      await client.query(`BEGIN; ${fileIdLockSql(fields.fileId)}`);
      const params: unknown[] = [];
      const param = (value: unknown): string => {
        params.push(value);
        return `$${params.length}`;
      };
      const [row] = await queryPrepared<Record<string, unknown>>(client, successUpdateSql(this.#tables, { key, fields }, param, { onlyWithoutEndpoints: false }), params);
      if (row === undefined) {
        await client.query('ROLLBACK');
        return undefined;
      }
      const { record, endpointIds } = recordFromSuccessRow(row);
      if (endpointIds.length > 0) {
        const body = webhookBody('UPLOAD_SUCCEEDED', record);
        const inserted = await queryPrepared<{ id: string }>(client, this.#deliveries, [
          key.tenantId,
          key.id,
          JSON.stringify(body),
          endpointIds,
          endpointIds.map(() => newMessageId()),
        ]);
        this.#pgbossSchema ??= (await queryPrepared<{ pgboss_schema: string }>(client, this.#queue, []))[0]?.pgboss_schema;
        if (this.#pgbossSchema === undefined) throw new Error('the webhook delivery queue is not installed');
        await addDeliveryJobsThrough(
          async (text, values) => ({ rows: (await client.query(text, values)).rows }),
          this.#pgbossSchema,
          inserted.map((delivery) => ({ deliveryId: delivery.id, attempt: 1 })),
        );
      }
      await client.query('COMMIT');
      return { record, deliveries: endpointIds.length };
    } catch (error) {
      failure = error;
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      // A connection that failed mid-transaction is not given back to the pool.
      client.release(failure instanceof Error ? failure : undefined);
    }
  }
}
