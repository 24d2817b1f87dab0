/**
 * What one Postgres database costs while a server uses it, for benches that give the server a
 * database of its own (so nothing else is counted): transactions (pg_stat_database xact_commit +
 * xact_rollback) and the CPU seconds of its backends (/proc/<pid>/stat of the pids pg_stat_activity
 * lists for it; Postgres must run on this machine, or the CPU reads 0). The watcher's own connection
 * is to another database and is not counted.
 *
 * Postgres 15+ backends report their counters at most once a second and, once idle, within
 * STATS_SETTLE_MS: read `transactions()` that long after the work being counted.
 */
import pg from 'pg';
import { cpuSeconds } from './service.ts';

export const STATS_SETTLE_MS = 11_000;

/** A database of its own for one bench run, created from template0 and dropped (FORCE) by `drop`. */
export async function createBenchDatabase(baseUrl: string, name: string): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}" TEMPLATE template0`);
  } finally {
    await admin.end();
  }
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: baseUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

export class DatabaseWatch {
  /** CPU seconds per backend pid: at the window's start (0 for backends that started inside it) and last seen. */
  private readonly backends = new Map<number, { first: number; last: number }>();
  private timer: NodeJS.Timeout | undefined;
  private sampling: Promise<void> = Promise.resolve();

  private constructor(
    private readonly client: pg.Client,
    private readonly database: string,
  ) {}

  /** `monitorUrl` must name another database than `database` (the watcher's queries are not counted). */
  static async open(monitorUrl: string, database: string): Promise<DatabaseWatch> {
    const client = new pg.Client({ connectionString: monitorUrl });
    await client.connect();
    return new DatabaseWatch(client, database);
  }

  /** Committed plus rolled-back transactions of the database so far, as reported. */
  async transactions(): Promise<number> {
    const { rows } = await this.client.query<{ count: string }>(
      'SELECT (xact_commit + xact_rollback)::text AS count FROM pg_stat_database WHERE datname = $1',
      [this.database],
    );
    return Number(rows[0]?.count ?? Number.NaN);
  }

  private async backendPids(): Promise<number[]> {
    const { rows } = await this.client.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [this.database]);
    return rows.map((row) => row.pid);
  }

  private async sample(isStart: boolean): Promise<void> {
    for (const pid of await this.backendPids()) {
      const cpu = cpuSeconds(pid);
      const seen = this.backends.get(pid);
      if (seen === undefined) this.backends.set(pid, { first: isStart ? cpu : 0, last: cpu });
      else if (cpu > 0) seen.last = cpu;
    }
  }

  /** Starts counting backend CPU (sampled every 200 ms, so backends that come and go are seen). */
  async startCpu(): Promise<void> {
    this.backends.clear();
    await this.sample(true);
    this.timer = setInterval(() => {
      this.sampling = this.sampling.then(() => this.sample(false)).catch(() => undefined);
    }, 200);
  }

  /** CPU seconds the database's backends used since `startCpu`. */
  async stopCpu(): Promise<number> {
    clearInterval(this.timer);
    await this.sampling;
    await this.sample(false);
    let total = 0;
    for (const { first, last } of this.backends.values()) total += Math.max(0, last - first);
    return total;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.sampling;
    await this.client.end();
  }
}
