import type pg from 'pg';
import { statusesBefore } from '../domain/transitions.ts';
import type { UploadKey } from '../domain/upload-key.ts';
import type { FileRole, UploadStatus } from '../domain/upload-record.ts';
import { quoteIdent } from './migrate.ts';
import { queryPrepared } from './prepared-query.ts';

/** An object the upload is about to write: from now on a failure must delete its key. */
export interface StartingObject {
  readonly role: FileRole;
  readonly path: string;
  readonly storageKey: string;
}

/** An object storage has acknowledged whole. */
export interface StoredObject extends StartingObject {
  readonly bytes: number;
  readonly sha256: string;
}

/** Columns of `uploads` a step sets (SQL names, written by this code only), with their values. */
export type UploadColumns = Readonly<Record<string, string | number | bigint | Date | null>>;

export interface UploadStep {
  /** The status move and what it sets with it; the files are written only if the move is made. */
  readonly move?: { readonly to: UploadStatus; readonly set: UploadColumns };
  readonly starting?: readonly StartingObject[];
  readonly stored?: readonly StoredObject[];
}

/**
 * One step of an upload's life as a single SQL statement, so one round trip to the database: a
 * conditional status move of the upload row (on the statuses the state machine allows before it)
 * and the `stored_files` rows that go with it, written only when the move is made. The hot path
 * of a small upload is three of these (the claim, the session with its objects, the stored files
 * with COMMITTING) and the success transaction; a query builder would take a transaction, and so
 * four round trips, for each. Written in SQL and run as a prepared statement (queryPrepared).
 */
export class UploadStepStatement {
  readonly #uploads: string;
  readonly #files: string;
  readonly #statusType: string;
  readonly #roleType: string;

  constructor(
    private readonly pool: pg.Pool,
    schema: string,
  ) {
    const q = quoteIdent(schema);
    this.#uploads = `${q}."uploads"`;
    this.#files = `${q}."stored_files"`;
    this.#statusType = `${q}."UploadStatus"`;
    this.#roleType = `${q}."FileRole"`;
  }

  /** Runs the step; false when a move was asked for and the upload was not in a status it may leave for it. */
  async run(key: UploadKey, step: UploadStep): Promise<boolean> {
    const params: unknown[] = [key.tenantId, key.id];
    const param = (value: unknown): string => {
      params.push(value);
      return `$${params.length}`;
    };
    const parts: string[] = [];
    let rowsFrom = '(SELECT $1::uuid AS tenant_id, $2::uuid AS id) AS target';
    if (step.move !== undefined) {
      const assignments = Object.entries(step.move.set).map(([column, value]) => `${quoteIdent(column)} = ${param(value)}`);
      assignments.push(`status = ${param(step.move.to)}::text::${this.#statusType}`, 'updated_at = now()');
      parts.push(
        `moved AS (UPDATE ${this.#uploads} SET ${assignments.join(', ')}
           WHERE tenant_id = $1::uuid AND id = $2::uuid AND status::text = ANY(${param(statusesBefore(step.move.to))}::text[])
           RETURNING tenant_id, id)`,
      );
      rowsFrom = 'moved AS target';
    }
    // Rows of one statement must name distinct files; the later mention of a file wins.
    const starting = distinct(step.starting ?? []);
    const stored = distinct(step.stored ?? []);
    const now = new Date();
    if (starting.length > 0) {
      parts.push(
        `starting AS (INSERT INTO ${this.#files} (id, tenant_id, upload_id, role, path, storage_key, created_at)
           SELECT gen_random_uuid(), target.tenant_id, target.id, f.role::${this.#roleType}, f.path, f.storage_key,
                  ${param(now)}::timestamptz + (f.n - 1) * interval '1 millisecond'
           FROM ${rowsFrom} CROSS JOIN unnest(${param(starting.map((f) => f.role))}::text[], ${param(starting.map((f) => f.path))}::text[],
                                              ${param(starting.map((f) => f.storageKey))}::text[]) WITH ORDINALITY AS f(role, path, storage_key, n)
           ON CONFLICT (tenant_id, upload_id, role, path) DO UPDATE SET storage_key = EXCLUDED.storage_key
           RETURNING 1)`,
      );
    }
    if (stored.length > 0) {
      parts.push(
        `stored AS (INSERT INTO ${this.#files} (id, tenant_id, upload_id, role, path, storage_key, bytes, sha256, created_at, stored_at)
           SELECT gen_random_uuid(), target.tenant_id, target.id, f.role::${this.#roleType}, f.path, f.storage_key, f.bytes, f.sha256,
                  ${param(now)}::timestamptz + (f.n - 1) * interval '1 millisecond', ${param(now)}::timestamptz
           FROM ${rowsFrom} CROSS JOIN unnest(${param(stored.map((f) => f.role))}::text[], ${param(stored.map((f) => f.path))}::text[],
                                              ${param(stored.map((f) => f.storageKey))}::text[], ${param(stored.map((f) => String(f.bytes)))}::bigint[],
                                              ${param(stored.map((f) => f.sha256))}::text[]) WITH ORDINALITY AS f(role, path, storage_key, bytes, sha256, n)
           ON CONFLICT (tenant_id, upload_id, role, path) DO UPDATE SET storage_key = EXCLUDED.storage_key, bytes = EXCLUDED.bytes,
             sha256 = EXCLUDED.sha256, stored_at = EXCLUDED.stored_at, multipart_upload_id = NULL, multipart_intent = false
           RETURNING 1)`,
      );
    }
    if (parts.length === 0) return true;
    const answer = step.move === undefined ? 'SELECT 1 AS moved' : 'SELECT count(*)::int AS moved FROM moved';
    const rows = await queryPrepared<{ moved: number }>(this.pool, `WITH ${parts.join(',\n')}\n${answer}`, params);
    return Number(rows[0]?.moved ?? 0) === 1;
  }
}

function distinct<T extends StartingObject>(files: readonly T[]): T[] {
  const byName = new Map<string, T>();
  for (const file of files) byName.set(storedFileName(file.role, file.path), file);
  return [...byName.values()];
}

/** What names one `stored_files` row of an upload (its unique role and path), as one string. */
export function storedFileName(role: FileRole, path: string): string {
  return `${role}\u0000${path}`;
}
