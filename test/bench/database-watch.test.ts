import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { createBenchDatabase, DatabaseWatch } from '../../bench/database-watch.ts';

const baseUrl = process.env['TEST_DATABASE_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/test';
const name = `vod_watch_${randomBytes(5).toString('hex')}`;

/** Polls until `condition` holds (Postgres reports a closed backend's counters shortly after it exits). */
async function until(condition: () => Promise<boolean>, what: string): Promise<void> {
  for (let attempt = 0; attempt < 300; attempt++) {
    if (await condition()) return;
    await sleep(50);
  }
  assert.fail(`${what}: never happened`);
}

describe('bench DatabaseWatch (the small-files bench counts the server database with it)', () => {
  let database: Awaited<ReturnType<typeof createBenchDatabase>>;
  let watch: DatabaseWatch;

  before(async () => {
    database = await createBenchDatabase(baseUrl, name);
    watch = await DatabaseWatch.open(baseUrl, name);
  });
  after(async () => {
    await watch?.close();
    await database?.drop();
  });

  it('counts the transactions of its database only, the watcher’s own queries not among them', async () => {
    const start = await watch.transactions();
    for (let i = 0; i < 5; i++) await watch.transactions();
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    for (let i = 0; i < 20; i++) await client.query('SELECT $1::int', [i]);
    await client.query('BEGIN');
    await client.query('CREATE TABLE counted (n int)');
    await client.query('INSERT INTO counted VALUES (1)');
    await client.query('COMMIT');
    await client.query('BEGIN');
    await client.query('INSERT INTO counted VALUES (2)');
    await client.query('ROLLBACK');
    await client.end();
    // 20 single statements, one commit, one rollback, and the one a backend's start-up commits.
    await until(async () => (await watch.transactions()) >= start + 23, 'the closed backend reporting its transactions');
    assert.equal(await watch.transactions(), start + 23);
  });

  it('adds up the CPU of the database’s backends, one that comes and goes included', async (t) => {
    const probe = new pg.Client({ connectionString: database.url });
    await probe.connect();
    const { rows } = await probe.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    if (!existsSync(`/proc/${rows[0]!.pid}/stat`)) {
      await probe.end();
      t.skip('Postgres does not run on this machine: its backends’ CPU cannot be read');
      return;
    }
    await watch.startCpu();
    await probe.query('SELECT count(*) FROM generate_series(1, 3000000)');
    const shortLived = new pg.Client({ connectionString: database.url });
    await shortLived.connect();
    await shortLived.query('SELECT count(*) FROM generate_series(1, 3000000)');
    await sleep(300);
    await shortLived.end();
    await probe.end();
    const cpu = await watch.stopCpu();
    assert.ok(cpu > 0, `backend CPU ${cpu} s`);
  });
});
