/**
 * How the webhook queue was chosen (issue 17): graphile-worker 0.16 against pg-boss 10, each given
 * JOBS jobs, every one added inside its own transaction next to an outbox-like insert (as a state
 * change would), and a handler that only notes when it ran. Reports the throughput from the first
 * enqueue to the last job handled and the enqueue → handler latency (p50/p99), on the test Postgres;
 * then whether each runs on the embedded PGlite served over @electric-sql/pglite-socket (as
 * src/db/database.ts serves it), with a deadline.
 *
 * Run: npx tsx bench/webhook-queue-choice.ts (JOBS=1000, BENCH_DATABASE_URL, PGLITE_JOBS=50).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { run, type Runner } from 'graphile-worker';
import PgBoss from 'pg-boss';
import pg from 'pg';

const JOBS = Number(process.env['JOBS'] ?? 1000);
const PGLITE_JOBS = Number(process.env['PGLITE_JOBS'] ?? 50);
const DATABASE_URL = process.env['BENCH_DATABASE_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/test';
const PGLITE_DEADLINE_MS = 30_000;

interface QueueUnderTest {
  readonly name: string;
  /** Starts the worker; `handled` is called with the job's enqueue time. */
  start(pool: pg.Pool, schema: string, handled: (enqueuedAt: number) => void): Promise<QueueHandle>;
}

interface QueueHandle {
  /** Adds one job inside the client's open transaction. */
  addInTransaction(client: pg.PoolClient, enqueuedAt: number): Promise<void>;
  stop(): Promise<void>;
}

const graphileWorker: QueueUnderTest = {
  name: 'graphile-worker 0.16',
  async start(pool, schema, handled) {
    const runner: Runner = await run({
      pgPool: pool,
      schema,
      concurrency: 10,
      noHandleSignals: true,
      pollInterval: 1000,
      logger: silentGraphileLogger(),
      taskList: { probe: (payload) => Promise.resolve(handled((payload as { at: number }).at)) },
    });
    return {
      async addInTransaction(client, enqueuedAt) {
        await client.query(`SELECT ${schema}.add_job('probe', $1::json)`, [JSON.stringify({ at: enqueuedAt })]);
      },
      stop: () => runner.stop(),
    };
  },
};

const pgBoss: QueueUnderTest = {
  name: 'pg-boss 10',
  async start(pool, schema, handled) {
    const boss = new PgBoss({ db: { executeSql: (text, values) => pool.query(text, values) }, schema, supervise: false, schedule: false });
    boss.on('error', () => undefined);
    await boss.start();
    await boss.createQueue('probe');
    await boss.work<{ at: number }>('probe', { batchSize: 100, pollingIntervalSeconds: 0.5 }, (jobs) => {
      for (const job of jobs) handled(job.data.at);
      return Promise.resolve();
    });
    return {
      async addInTransaction(client, enqueuedAt) {
        await boss.send('probe', { at: enqueuedAt }, { db: { executeSql: (text, values) => client.query(text, values) } });
      },
      stop: () => boss.stop({ graceful: false, wait: true }),
    };
  },
};

interface Measurement {
  readonly handled: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

async function measure(queue: QueueUnderTest, pool: pg.Pool, schema: string, limits: { jobs: number; deadlineMs: number }): Promise<Measurement> {
  const { jobs, deadlineMs } = limits;
  const latencies: number[] = [];
  let allHandled: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (allHandled = resolve));
  const handle = await queue.start(pool, schema, (enqueuedAt) => {
    latencies.push(performance.now() - enqueuedAt);
    if (latencies.length === jobs) allHandled();
  });
  await pool.query(`CREATE TABLE IF NOT EXISTS ${schema}_outbox (id serial PRIMARY KEY, at double precision)`);
  const started = performance.now();
  try {
    for (let index = 0; index < jobs; index += 1) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const at = performance.now();
        await client.query(`INSERT INTO ${schema}_outbox (at) VALUES ($1)`, [at]);
        await handle.addInTransaction(client, at);
        await client.query('COMMIT');
      } finally {
        client.release();
      }
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([done, new Promise((resolve) => (timer = setTimeout(resolve, deadlineMs)))]);
    clearTimeout(timer);
  } finally {
    await handle.stop();
  }
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN;
  return { handled: latencies.length, seconds, perSecond: latencies.length / seconds, p50Ms: at(0.5), p99Ms: at(0.99) };
}

async function onPostgres(queue: QueueUnderTest, schema: string): Promise<Measurement> {
  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 10 });
  try {
    return await measure(queue, pool, schema, { jobs: JOBS, deadlineMs: 120_000 });
  } finally {
    await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE; DROP TABLE IF EXISTS ${schema}_outbox`).catch(() => undefined);
    await pool.end();
  }
}

/** As src/db/database.ts serves PGlite: one socket server, a few connections, queries serialised. */
async function onPglite(queue: QueueUnderTest): Promise<Measurement | string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'queue-pglite-'));
  const { PGlite } = await import('@electric-sql/pglite');
  const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
  const db = await PGlite.create(dir);
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 4 });
  await server.start();
  const pool = new pg.Pool({ connectionString: `postgresql://postgres:postgres@${server.getServerConn()}/postgres?sslmode=disable`, max: 1 });
  pool.on('error', () => undefined);
  try {
    const attempt = measure(queue, pool, 'queue_probe', { jobs: PGLITE_JOBS, deadlineMs: PGLITE_DEADLINE_MS });
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      attempt,
      new Promise<string>((resolve) => (timer = setTimeout(() => resolve(`no answer within ${PGLITE_DEADLINE_MS} ms (stuck)`), PGLITE_DEADLINE_MS + 10_000))),
    ]).catch((error: unknown) => `failed: ${error instanceof Error ? error.message : String(error)}`);
    clearTimeout(timer);
    return outcome;
  } finally {
    await Promise.race([pool.end(), new Promise((resolve) => setTimeout(resolve, 2000))]);
    await server.stop();
    await db.close().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}

function silentGraphileLogger() {
  // graphile-worker's Logger takes a factory of scoped log functions.
  return new (class {
    scope() {
      return this;
    }
    error() {}
    warn() {}
    info() {}
    debug() {}
  })() as unknown as NonNullable<Parameters<typeof run>[0]['logger']>;
}

const format = (m: Measurement | string) =>
  typeof m === 'string' ? m : `${m.handled} handled in ${m.seconds.toFixed(2)} s: ${m.perSecond.toFixed(0)}/s, enqueue→handler p50 ${m.p50Ms.toFixed(1)} ms, p99 ${m.p99Ms.toFixed(1)} ms`;

const which = (process.env['QUEUES'] ?? 'graphile,pgboss').split(',');
const queues = [...(which.includes('graphile') ? [graphileWorker] : []), ...(which.includes('pgboss') ? [pgBoss] : [])];
for (const queue of queues) {
  const suffix = Math.random().toString(16).slice(2, 8);
  console.log(`${queue.name} on Postgres (${JOBS} jobs): ${format(await onPostgres(queue, `queue_choice_${suffix}`))}`);
}
if (process.env['SKIP_PGLITE'] !== '1') {
  for (const queue of queues) console.log(`${queue.name} on PGlite via pglite-socket (${PGLITE_JOBS} jobs): ${format(await onPglite(queue))}`);
}
process.exit(0);
