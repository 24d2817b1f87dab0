import assert from 'node:assert/strict';
import { mkdtemp, mkdir, writeFile, cp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { DEFAULT_MIGRATIONS_DIR, migrate, quoteIdent, readMigrations } from '../../src/db/migrate.ts';
import { dropSchema, TEST_DATABASE_URL, uniqueSchemaName } from '../support/database.ts';

const pools: pg.Pool[] = [];
const schemas: string[] = [];

function freshTarget(label: string): { pool: pg.Pool; schema: string } {
  const pool = new pg.Pool({ connectionString: TEST_DATABASE_URL, max: 4 });
  const schema = uniqueSchemaName(label);
  pools.push(pool);
  schemas.push(schema);
  return { pool, schema };
}

async function bookkeeping(pool: pg.Pool, schema: string) {
  const { rows } = await pool.query<{
    migration_name: string;
    checksum: string;
    finished_at: Date | null;
    applied_steps_count: number;
    rolled_back_at: Date | null;
  }>(`SELECT migration_name, checksum, finished_at, applied_steps_count, rolled_back_at FROM ${quoteIdent(schema)}."_prisma_migrations" ORDER BY started_at`);
  return rows;
}

after(async () => {
  await Promise.all(pools.map((pool) => pool.end()));
  for (const schema of schemas) await dropSchema(schema);
});

describe('migrate', () => {
  it('applies every migration to a fresh schema and records it as Prisma does', async () => {
    const { pool, schema } = freshTarget('mig_fresh');
    const migrations = await readMigrations();
    assert.ok(migrations.length > 0);
    const result = await migrate({ pool, schema });
    assert.deepEqual(result.applied, migrations.map((m) => m.name));
    const rows = await bookkeeping(pool, schema);
    assert.equal(rows.length, migrations.length);
    for (const [index, row] of rows.entries()) {
      assert.equal(row.migration_name, migrations[index]?.name);
      assert.match(row.checksum, /^[0-9a-f]{64}$/);
      assert.equal(row.checksum, migrations[index]?.checksum);
      assert.ok(row.finished_at instanceof Date);
      assert.equal(row.applied_steps_count, 1);
      assert.equal(row.rolled_back_at, null);
    }
    const tables = await pool.query<{ table_name: string }>(
      'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name',
      [schema],
    );
    assert.deepEqual(
      tables.rows.map((row) => row.table_name),
      [
        '_prisma_migrations',
        'api_keys',
        'instance_leases',
        'storage_cleanup',
        'stored_files',
        'tenants',
        'upload_parts',
        'uploads',
        'vod_events',
        'webhook_attempts',
        'webhook_deliveries',
        'webhook_endpoints',
        'webhook_queue',
      ],
    );
  });

  it('does nothing on a re-run', async () => {
    const { pool, schema } = freshTarget('mig_rerun');
    await migrate({ pool, schema });
    const second = await migrate({ pool, schema });
    assert.deepEqual(second.applied, []);
    assert.equal(second.alreadyApplied.length, (await readMigrations()).length);
    assert.equal((await bookkeeping(pool, schema)).length, second.alreadyApplied.length);
  });

  it('lets concurrent starts agree: one applies, the others wait and find it done', async () => {
    const { pool, schema } = freshTarget('mig_race');
    const otherPools = [new pg.Pool({ connectionString: TEST_DATABASE_URL }), new pg.Pool({ connectionString: TEST_DATABASE_URL })];
    pools.push(...otherPools);
    const results = await Promise.all([pool, ...otherPools].map((each) => migrate({ pool: each, schema })));
    const appliedCounts = results.map((result) => result.applied.length).sort();
    const total = (await readMigrations()).length;
    assert.deepEqual(appliedCounts, [0, 0, total]);
    assert.equal((await bookkeeping(pool, schema)).length, total);
  });

  it('refuses a migration whose file changed after it was applied', async () => {
    const { pool, schema } = freshTarget('mig_tamper');
    const dir = await mkdtemp(path.join(os.tmpdir(), 'migrations-'));
    await cp(DEFAULT_MIGRATIONS_DIR, dir, { recursive: true });
    await migrate({ pool, schema, migrationsDir: dir });
    const [first] = await readMigrations(dir);
    assert.ok(first);
    await writeFile(path.join(dir, first.name, 'migration.sql'), `${first.sql}\n-- edited\n`);
    await assert.rejects(migrate({ pool, schema, migrationsDir: dir }), /changed after it was applied/);
  });

  it('rolls back a failing migration completely and can retry it once fixed', async () => {
    const { pool, schema } = freshTarget('mig_fail');
    const dir = await mkdtemp(path.join(os.tmpdir(), 'migrations-'));
    await mkdir(path.join(dir, '20990101000000_broken'));
    const broken = path.join(dir, '20990101000000_broken', 'migration.sql');
    await writeFile(broken, 'CREATE TABLE half_done (id INT);\nSELECT * FROM no_such_table;\n');
    await assert.rejects(migrate({ pool, schema, migrationsDir: dir }), /no_such_table/);
    const leftovers = await pool.query('SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = $2', [
      schema,
      'half_done',
    ]);
    assert.equal(leftovers.rowCount, 0, 'the failed script left no table behind');
    const [attempt] = await bookkeeping(pool, schema);
    assert.ok(attempt?.rolled_back_at instanceof Date);
    await writeFile(broken, 'CREATE TABLE half_done (id INT);\n');
    const retry = await migrate({ pool, schema, migrationsDir: dir });
    assert.deepEqual(retry.applied, ['20990101000000_broken']);
  });
});
