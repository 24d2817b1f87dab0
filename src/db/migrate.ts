import { createHash, randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Pool, PoolClient } from 'pg';
import type { Logger } from '../logging/logger.ts';

/** The advisory lock key `prisma migrate` itself takes, so our migrator and Prisma's exclude each other. */
const PRISMA_MIGRATE_LOCK_KEY = 72707369;

export const DEFAULT_MIGRATIONS_DIR = path.resolve(import.meta.dirname, '..', '..', 'prisma', 'migrations');

export interface Migration {
  readonly name: string;
  readonly sql: string;
  /** Hex SHA-256 of the script, as Prisma records it in `_prisma_migrations.checksum`. */
  readonly checksum: string;
}

export interface MigrateOptions {
  readonly pool: Pool;
  readonly schema: string;
  readonly migrationsDir?: string;
  readonly logger?: Logger;
}

export interface MigrateResult {
  readonly applied: readonly string[];
  readonly alreadyApplied: readonly string[];
}

export async function readMigrations(migrationsDir = DEFAULT_MIGRATIONS_DIR): Promise<Migration[]> {
  const entries = await readdir(migrationsDir, { withFileTypes: true });
  const names = entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort();
  return Promise.all(
    names.map(async (name) => {
      const sql = await readFile(path.join(migrationsDir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    }),
  );
}

/**
 * Applies pending SQL migrations in name order, each in its own transaction, and records them in
 * Prisma's `_prisma_migrations` table exactly as `prisma migrate deploy` would. Safe to run from
 * several processes at once: they serialise on Prisma's advisory lock.
 */
export async function migrate(options: MigrateOptions): Promise<MigrateResult> {
  const migrations = await readMigrations(options.migrationsDir);
  const client = await options.pool.connect();
  try {
    // Lock first: even `CREATE SCHEMA IF NOT EXISTS` races between two fresh starts.
    await client.query('SELECT pg_advisory_lock($1)', [PRISMA_MIGRATE_LOCK_KEY]);
    try {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(options.schema)}`);
      await client.query(`SET search_path TO ${quoteIdent(options.schema)}`);
      return await applyPending(client, migrations, options.logger);
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [PRISMA_MIGRATE_LOCK_KEY]);
    }
  } finally {
    await client.query('RESET search_path').catch(() => undefined);
    client.release();
  }
}

async function applyPending(client: PoolClient, migrations: readonly Migration[], logger?: Logger): Promise<MigrateResult> {
  await client.query(CREATE_BOOKKEEPING_TABLE);
  const { rows } = await client.query<BookkeepingRow>(
    'SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations"',
  );
  const applied: string[] = [];
  const alreadyApplied: string[] = [];
  for (const migration of migrations) {
    const records = rows.filter((row) => row.migration_name === migration.name && row.rolled_back_at === null);
    const done = records.find((row) => row.finished_at !== null);
    if (done !== undefined) {
      if (done.checksum !== migration.checksum) {
        throw new Error(`Migration ${migration.name} was changed after it was applied (checksum differs).`);
      }
      alreadyApplied.push(migration.name);
      continue;
    }
    if (records.length > 0) {
      throw new Error(`Migration ${migration.name} failed earlier and was not rolled back; resolve it first.`);
    }
    await applyOne(client, migration);
    logger?.info({ migration: migration.name }, 'applied migration');
    applied.push(migration.name);
  }
  return { applied, alreadyApplied };
}

async function applyOne(client: PoolClient, migration: Migration): Promise<void> {
  const id = randomUUID();
  await client.query(
    'INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count) VALUES ($1, $2, $3, now(), 0)',
    [id, migration.checksum, migration.name],
  );
  try {
    await client.query('BEGIN');
    await client.query(migration.sql);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    // The script ran in a transaction, so nothing of it remains: mark the attempt rolled back.
    await client.query('UPDATE "_prisma_migrations" SET logs = $2, rolled_back_at = now() WHERE id = $1', [
      id,
      String(error),
    ]);
    throw error;
  }
  await client.query('UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = 1 WHERE id = $1', [id]);
}

interface BookkeepingRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

/** The table as Prisma creates it. */
const CREATE_BOOKKEEPING_TABLE = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

export function quoteIdent(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}
