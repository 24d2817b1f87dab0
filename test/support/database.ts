import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase, type Database } from '../../src/db/database.ts';
import { quoteIdent } from '../../src/db/migrate.ts';
import { deliveryQueueSchemaFor } from '../../src/webhooks/delivery-queue.ts';
import { createLogger } from '../../src/logging/logger.ts';

export const TEST_DATABASE_URL = process.env['TEST_DATABASE_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/test';

/** A fresh, uniquely named schema in the test database; `dropSchema` removes it (and its webhook queue schema) with everything in them. */
export function uniqueSchemaName(label: string): string {
  return `t_${label}_${randomBytes(4).toString('hex')}`;
}

export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
    await client.query(`DROP SCHEMA IF EXISTS ${quoteIdent(deliveryQueueSchemaFor(schema))} CASCADE`);
  } finally {
    await client.end();
  }
}

export interface TestDatabase {
  readonly db: Database;
  readonly schema: string;
  /** Closes the connection and drops the schema. */
  dispose(): Promise<void>;
}

/** Opens (and migrates) a private schema of the CI/dev Postgres for one test file. */
export async function openTestDatabase(label: string): Promise<TestDatabase> {
  const schema = uniqueSchemaName(label);
  const db = await openDatabase({ mode: 'postgres', url: TEST_DATABASE_URL, schema }, createLogger('silent'));
  return {
    db,
    schema,
    async dispose() {
      await db.close();
      await dropSchema(schema);
    },
  };
}
