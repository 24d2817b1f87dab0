/**
 * (n) Many small files (issue 19's measuring stick; BENCH_SKIP_SMALL=1 skips it in `npm run bench`):
 * COUNT uploads of SIZE each, IN_FLIGHT at a time, from the same client (http-client.ts) to
 *   (A)  `uploadMedia` of the real server process (service.ts),
 *   (B1) express + multer → vod-node-sdk and (B2) express + multer → ApplyUpload + COS SDK
 *        (compare.ts's two-hop servers),
 * all against one emulator, in interleaved rounds (the order rotates) after a warm-up batch each.
 * Per batch: uploads/s (count over wall time), p50/p99 latency (first byte sent to the answer),
 * server and emulator CPU per upload (/proc/<pid>/stat), and every SAMPLE_EVERY-th upload read back
 * from the emulator and its SHA-256 compared with what was sent. For (A) also, from a Postgres
 * database of its own: transactions per upload (pg_stat_database, less the idle server's rate) and
 * its backends' CPU per upload. Target: A's uploads/s ≥ 1.0× B2's and A's p50 ≤ B2's.
 *
 * Workloads: BENCH_SMALL (default `300x256KiB@16,1000x64KiB@64`), rounds: BENCH_ROUNDS (default 3).
 * The server runs with SMALL_FILES_SERVER_ENV (the per-tenant cap raised for 64 in flight).
 * Alone: `npm run build && tsx bench/small-files-bench.ts`.
 */
import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { buildTwoHopServer, spawnTwoHop, twoHopContender, uploadMediaContender, type Contender, type ContenderName, type Stored } from './compare.ts';
import { createBenchDatabase, DatabaseWatch, STATS_SETTLE_MS } from './database-watch.ts';
import { hashUrl } from './http-client.ts';
import { cpuSeconds, startService, type RunningService } from './service.ts';

export interface SmallFilesWorkload {
  readonly count: number;
  readonly bytes: number;
  readonly inFlight: number;
}

export interface SmallFilesBatch {
  readonly uploads: number;
  readonly failed: number;
  readonly firstProblem?: string;
  readonly seconds: number;
  readonly uploadsPerSecond: number;
  /** Milliseconds from the first byte sent to the answer's last byte. */
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly serverCpuMsPerUpload: number;
  readonly emulatorCpuMsPerUpload: number;
  /** Sampled uploads read back from the emulator, and how many matched in length and SHA-256. */
  readonly readBack: number;
  readonly readBackMatching: number;
  /** (A) only: the server's database per upload, the idle server's share taken out. */
  readonly database?: { readonly transactionsPerUpload: number; readonly cpuMsPerUpload: number };
}

export interface SmallFilesResults {
  readonly workload: SmallFilesWorkload;
  readonly rounds: number;
  readonly contenders: ReadonlyArray<{ readonly name: ContenderName; readonly batches: SmallFilesBatch[] }>;
  /** The idle server's database: transactions and backend CPU seconds per second. */
  readonly databaseIdle: { readonly transactionsPerSecond: number; readonly cpuPerSecond: number };
  /**
   * After the batches: the bench's key revoked in the database (as the keys CLI of another process
   * does, no instance told), then asked every 10 ms: milliseconds until the server refused it.
   */
  readonly keyRefusedAfterRevocationMs: number;
}

const KiB = 1024;
const MiB = 1024 * KiB;
const SAMPLE_EVERY = 10;
const IDLE_WINDOW_MS = 10_000;

export const SMALL_FILES_SERVER_ENV: Readonly<Record<string, string>> = { MAX_UPLOADS_PER_TENANT: '128' };
export const DEFAULT_SMALL_FILES = '300x256KiB@16,1000x64KiB@64';

/** `COUNTxSIZE@IN_FLIGHT[,…]`, SIZE in B, KiB or MiB. */
export function parseSmallFilesWorkloads(spec: string): SmallFilesWorkload[] {
  return spec.split(',').map((item) => {
    const match = /^(\d+)x(\d+)(B|KiB|MiB)?@(\d+)$/i.exec(item.trim());
    if (match === null) throw new Error(`BENCH_SMALL: cannot read ${item}; write COUNTxSIZE@IN_FLIGHT, e.g. 300x256KiB@16`);
    const unit = { b: 1, kib: KiB, mib: MiB }[(match[3] ?? 'B').toLowerCase() as 'b' | 'kib' | 'mib'];
    return { count: Number(match[1]), bytes: Number(match[2]) * unit, inFlight: Number(match[4]) };
  });
}

export function describeWorkload(workload: SmallFilesWorkload): string {
  const size = workload.bytes % MiB === 0 ? `${workload.bytes / MiB} MiB` : `${workload.bytes / KiB} KiB`;
  return `${workload.count} × ${size}, ${workload.inFlight} in flight`;
}

function percentile(sorted: readonly number[], share: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(share * sorted.length) - 1))] ?? Number.NaN;
}

interface Sent {
  readonly stored: Stored | undefined;
  readonly problem: string | undefined;
}

/** `count` uploads through `contender`, `inFlight` at a time; each answer kept in order. */
async function sendBatch(contender: Contender, workload: SmallFilesWorkload, count: number): Promise<{ sent: Sent[]; seconds: number }> {
  const sent: Sent[] = new Array<Sent>(count);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let index = next++; index < count; index = next++) {
      try {
        const stored = await contender.send(workload.bytes);
        sent[index] = { stored, problem: stored.problem };
      } catch (error) {
        sent[index] = { stored: undefined, problem: error instanceof Error ? error.message : String(error) };
      }
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: Math.min(workload.inFlight, count) }, worker));
  return { sent, seconds: (performance.now() - started) / 1000 };
}

/** Reads every SAMPLE_EVERY-th stored upload back from the emulator. */
async function verifySample(sent: readonly Sent[], bytes: number): Promise<{ readBack: number; matching: number; problem?: string }> {
  let readBack = 0;
  let matching = 0;
  let problem: string | undefined;
  for (let index = 0; index < sent.length; index += SAMPLE_EVERY) {
    const stored = sent[index]?.stored;
    if (stored?.mediaUrl === undefined || sent[index]?.problem !== undefined) continue;
    readBack += 1;
    const got = await hashUrl(stored.mediaUrl);
    if (got.status === 200 && got.bytes === bytes && got.sha256 === stored.sha256) matching += 1;
    else problem ??= `read back #${index}: HTTP ${got.status}, ${got.bytes} bytes, sha256 ${got.sha256 === stored.sha256 ? 'equal' : 'differs'}`;
  }
  return problem === undefined ? { readBack, matching } : { readBack, matching, problem };
}

async function measureBatch(
  contender: Contender,
  service: RunningService,
  workload: SmallFilesWorkload,
  database: { watch: DatabaseWatch; idle: SmallFilesResults['databaseIdle'] } | undefined,
): Promise<SmallFilesBatch> {
  const before = { server: cpuSeconds(contender.pid), emulator: cpuSeconds(service.emulatorPid), transactions: await database?.watch.transactions() };
  await database?.watch.startCpu();
  const { sent, seconds } = await sendBatch(contender, workload, workload.count);
  const databaseCpu = await database?.watch.stopCpu();
  const serverCpu = cpuSeconds(contender.pid) - before.server;
  const emulatorCpu = cpuSeconds(service.emulatorPid) - before.emulator;
  const settleFrom = performance.now();
  const sample = await verifySample(sent, workload.bytes);

  let databaseCost: SmallFilesBatch['database'];
  if (database !== undefined && before.transactions !== undefined && databaseCpu !== undefined) {
    await sleep(Math.max(0, STATS_SETTLE_MS - (performance.now() - settleFrom)));
    const countedSeconds = seconds + (performance.now() - settleFrom) / 1000;
    const transactions = (await database.watch.transactions()) - before.transactions - database.idle.transactionsPerSecond * countedSeconds;
    const cpu = databaseCpu - database.idle.cpuPerSecond * seconds;
    databaseCost = { transactionsPerUpload: transactions / workload.count, cpuMsPerUpload: (cpu * 1000) / workload.count };
  }

  const latencies = sent.flatMap((s) => (s.stored === undefined ? [] : [s.stored.seconds * 1000])).sort((a, b) => a - b);
  const failures = sent.filter((s) => s.problem !== undefined);
  const firstProblem = failures[0]?.problem ?? sample.problem;
  return {
    uploads: workload.count,
    failed: failures.length,
    ...(firstProblem === undefined ? {} : { firstProblem }),
    seconds,
    uploadsPerSecond: (workload.count - failures.length) / seconds,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    serverCpuMsPerUpload: (serverCpu * 1000) / workload.count,
    emulatorCpuMsPerUpload: (emulatorCpu * 1000) / workload.count,
    readBack: sample.readBack,
    readBackMatching: sample.matching,
    ...(databaseCost === undefined ? {} : { database: databaseCost }),
  };
}

/** The idle server's database: after the warm-up settles, transactions and backend CPU over IDLE_WINDOW_MS. */
async function measureIdle(watch: DatabaseWatch): Promise<SmallFilesResults['databaseIdle']> {
  await sleep(STATS_SETTLE_MS);
  const before = await watch.transactions();
  const started = performance.now();
  await watch.startCpu();
  await sleep(IDLE_WINDOW_MS);
  const cpu = await watch.stopCpu();
  const transactions = (await watch.transactions()) - before;
  const seconds = (performance.now() - started) / 1000;
  return { transactionsPerSecond: transactions / seconds, cpuPerSecond: cpu / seconds };
}

export function isClean(batch: SmallFilesBatch): boolean {
  return batch.failed === 0 && batch.readBack > 0 && batch.readBackMatching === batch.readBack;
}

export function describeBatch(batch: SmallFilesBatch): string {
  const database = batch.database === undefined ? '' : `, database ${batch.database.transactionsPerUpload.toFixed(1)} transactions / ${batch.database.cpuMsPerUpload.toFixed(1)} ms CPU per upload`;
  return (
    `${batch.uploadsPerSecond.toFixed(0)} uploads/s, p50 ${batch.p50Ms.toFixed(0)} ms, p99 ${batch.p99Ms.toFixed(0)} ms, ` +
    `server CPU ${batch.serverCpuMsPerUpload.toFixed(1)} ms/upload, emulator ${batch.emulatorCpuMsPerUpload.toFixed(1)} ms/upload${database}, ` +
    `read back ${batch.readBackMatching}/${batch.readBack} ok` +
    (batch.failed > 0 || batch.firstProblem !== undefined ? `, ${batch.failed} failed: ${batch.firstProblem ?? ''}` : '')
  );
}

export async function runSmallFilesBench(options: {
  workload: SmallFilesWorkload;
  rounds: number;
  partBytes: number;
  concurrency: number;
  log: (line: string) => void;
}): Promise<SmallFilesResults> {
  const { workload, log } = options;
  buildTwoHopServer();
  const monitorUrl = process.env['BENCH_DATABASE_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/test';
  const databaseName = `vod_small_${randomBytes(5).toString('hex')}`;
  const database = await createBenchDatabase(monitorUrl, databaseName);
  const tmp = await mkdtemp(path.join(tmpdir(), 'vod-bench-small-'));
  const children: ChildProcess[] = [];
  let service: RunningService | undefined;
  let watch: DatabaseWatch | undefined;
  try {
    service = await startService({
      partBytes: options.partBytes,
      concurrency: options.concurrency,
      databaseBase: database.url,
      serverEnv: SMALL_FILES_SERVER_ENV,
    });
    watch = await DatabaseWatch.open(monitorUrl, databaseName);
    const b1 = await spawnTwoHop('vod-sdk', service.emulator, { partBytes: options.partBytes, concurrency: options.concurrency, tmp });
    children.push(b1.child);
    const b2 = await spawnTwoHop('cos-sdk', service.emulator, { partBytes: options.partBytes, concurrency: options.concurrency, tmp });
    children.push(b2.child);
    const contenders: Contender[] = [
      uploadMediaContender(service),
      twoHopContender('B1 multer → vod-node-sdk', b1.url, b1.child.pid!),
      twoHopContender('B2 multer → COS SDK', b2.url, b2.child.pid!),
    ];

    const warmUp = Math.min(workload.count, workload.inFlight * 4);
    for (const contender of contenders) {
      const { sent } = await sendBatch(contender, workload, warmUp);
      const failed = sent.filter((s) => s.problem !== undefined);
      if (failed.length > 0) throw new Error(`small files warm-up, ${contender.name}: ${failed.length} of ${warmUp} failed: ${failed[0]!.problem}`);
    }
    const idle = await measureIdle(watch);
    log(`  idle server's database: ${idle.transactionsPerSecond.toFixed(1)} transactions/s, ${(idle.cpuPerSecond * 1000).toFixed(1)} ms CPU/s`);

    const batches = new Map<ContenderName, SmallFilesBatch[]>(contenders.map((c) => [c.name, []]));
    for (let round = 0; round < options.rounds; round++) {
      for (let i = 0; i < contenders.length; i++) {
        const contender = contenders[(i + round) % contenders.length]!;
        const batch = await measureBatch(contender, service, workload, contender.name === 'A uploadMedia' ? { watch, idle } : undefined);
        batches.get(contender.name)!.push(batch);
        log(`  round ${round + 1} ${contender.name.padEnd(26)} ${describeBatch(batch)}`);
      }
    }
    const keyRefusedAfterRevocationMs = await measureRevocation(service);
    log(`  the bench's key revoked elsewhere: refused ${keyRefusedAfterRevocationMs.toFixed(0)} ms later (target ≤ 1000)`);
    return {
      workload,
      rounds: options.rounds,
      contenders: contenders.map((c) => ({ name: c.name, batches: batches.get(c.name)! })),
      databaseIdle: idle,
      keyRefusedAfterRevocationMs,
    };
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await watch?.close();
    await service?.close();
    await database.drop().catch((error: unknown) => log(`bench: could not drop database ${databaseName}: ${String(error)}`));
    await rm(tmp, { recursive: true, force: true });
  }
}

/** Revokes the service's key in its database, then asks every 10 ms until it is refused: how long that took. */
async function measureRevocation(service: RunningService): Promise<number> {
  const query = JSON.stringify({ query: '{ uploads(first: 1) { edges { node { id } } } }' });
  const ask = async (): Promise<number> =>
    (await fetch(`${service.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${service.key}` }, body: query })).status;
  if ((await ask()) !== 200) throw new Error('the bench key was refused before its revocation');
  const client = new pg.Client({ connectionString: service.databaseBase });
  await client.connect();
  try {
    await client.query(`UPDATE "${service.schema}".api_keys SET revoked_at = now() WHERE revoked_at IS NULL`);
  } finally {
    await client.end();
  }
  const revokedAt = performance.now();
  while ((await ask()) !== 401) {
    if (performance.now() - revokedAt > 10_000) throw new Error('the revoked bench key was still accepted after 10 s');
    await sleep(10);
  }
  return performance.now() - revokedAt;
}

/** A's figure over B2's, per round (the rounds are interleaved, so each pair saw the same load). */
export function ratiosToB2(results: SmallFilesResults): { uploadsPerSecond: number[]; p50: number[] } {
  const a = results.contenders.find((c) => c.name === 'A uploadMedia')?.batches ?? [];
  const b2 = results.contenders.find((c) => c.name === 'B2 multer → COS SDK')?.batches ?? [];
  return {
    uploadsPerSecond: a.map((batch, i) => batch.uploadsPerSecond / (b2[i]?.uploadsPerSecond ?? Number.NaN)),
    p50: a.map((batch, i) => batch.p50Ms / (b2[i]?.p50Ms ?? Number.NaN)),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const log = (line: string): void => void process.stdout.write(`${line}\n`);
  const rounds = Number(process.env['BENCH_ROUNDS'] ?? 3);
  for (const workload of parseSmallFilesWorkloads(process.env['BENCH_SMALL'] ?? DEFAULT_SMALL_FILES)) {
    log(`small files: ${describeWorkload(workload)}, ${rounds} interleaved round(s) after a warm-up`);
    const results = await runSmallFilesBench({ workload, rounds, partBytes: 8 * MiB, concurrency: 4, log });
    const ratios = ratiosToB2(results);
    log(`  A / B2 per round: uploads/s ${ratios.uploadsPerSecond.map((r) => r.toFixed(2)).join(', ')} (target ≥ 1.0); p50 ${ratios.p50.map((r) => r.toFixed(2)).join(', ')} (target ≤ 1.0)`);
    process.stdout.write(`${JSON.stringify(results)}\n`);
  }
}
