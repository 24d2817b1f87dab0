/**
 * npm run bench: measures, in one run, against a fresh local emulator each time
 *   (a) the upload pipeline (uploadMedia) at the first size,
 *   (b) the same bytes straight to the emulator with cos-nodejs-sdk-v5's multipart calls
 *       (multipartInit / multipartUpload with the same part size and window / multipartComplete),
 *   (c) one raw loopback HTTP PUT of the same bytes to a server that discards them,
 * and the pipeline's peak RSS at every size (each measurement runs in its own child process);
 * then over the real GraphQL API (server `src/main.ts` and a standalone emulator as their own
 * processes, Postgres schema bench_<random> dropped afterwards; see http-bench.ts)
 *   (d) uploadMedia over HTTP at every size: MiB/s and the server's peak RSS,
 *   (e) many concurrent uploads (32 × 64 MiB): all SUCCEEDED, sha256 verified, aggregate MiB/s,
 *   (f) progress events per second over SSE for one upload with a client-chosen id,
 * and (g) Tencent's vod-node-sdk uploading the same bytes from a local file to the emulator.
 * Ends with a table against the DESIGN.md targets.
 *
 * BENCH_SIZES=1GiB,4GiB (default; the first is the throughput size), BENCH_QUICK=1 for 128MiB,256MiB
 * (and 32 × 8 MiB, 64 MiB for progress), BENCH_CONCURRENT=32x64MiB, BENCH_PROGRESS_SIZE=256MiB,
 * BENCH_SKIP_HTTP=1, BENCH_SKIP_VOD_SDK=1, PART_BYTES (default 8 MiB), DEFAULT_CONCURRENCY (default 4),
 * BENCH_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/test). Writes only under bench/out/.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { startEmulator } from '../src/emulator/emulator.ts';
import { RESULT_PREFIX, type BenchJob, type BenchResult } from './child-protocol.ts';
import { generatedStream } from './generator.ts';
import { runHttpBench, type HttpBenchResults } from './http-bench.ts';

const MiB = 1024 * 1024;
const here = path.dirname(fileURLToPath(import.meta.url));

function parseSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(B|KiB|MiB|GiB)?$/i.exec(text.trim());
  if (match === null) throw new Error(`BENCH_SIZES: cannot read ${text}`);
  const units: Record<string, number> = { b: 1, kib: 1024, mib: MiB, gib: 1024 * MiB };
  return Math.round(Number(match[1]) * (units[(match[2] ?? 'B').toLowerCase()] ?? 1));
}

const quick = process.env['BENCH_QUICK'] === '1';
const sizes = (process.env['BENCH_SIZES'] ?? (quick ? '128MiB,256MiB' : '1GiB,4GiB')).split(',').map(parseSize);
const partBytes = Number(process.env['PART_BYTES'] ?? 8 * MiB);
const concurrency = Number(process.env['DEFAULT_CONCURRENCY'] ?? 4);
const throughputBytes = sizes[0] ?? 1024 * MiB;
const concurrentSpec = /^(\d+)x(.+)$/i.exec(process.env['BENCH_CONCURRENT'] ?? (quick ? '32x8MiB' : '32x64MiB'));
if (concurrentSpec === null) throw new Error('BENCH_CONCURRENT: write it as COUNTxSIZE, e.g. 32x64MiB');
const concurrentUploads = Number(concurrentSpec[1]);
const concurrentBytes = parseSize(concurrentSpec[2]!);
const progressBytes = parseSize(process.env['BENCH_PROGRESS_SIZE'] ?? (quick ? '64MiB' : '256MiB'));

function runChild(job: BenchJob): Promise<BenchResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'measure-child.ts')], {
      env: { ...process.env, BENCH_JOB: JSON.stringify(job) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (output += text));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = output.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
      if (code !== 0 || line === undefined) reject(new Error(`${job.kind} child exited ${code}: ${output}`));
      else resolve(JSON.parse(line.slice(RESULT_PREFIX.length)) as BenchResult);
    });
  });
}

/** Runs a job against a fresh emulator in a temporary directory, removed afterwards. */
async function withEmulator(kind: 'pipeline' | 'cos-sdk' | 'vod-sdk', bytes: number): Promise<BenchResult> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'vod-bench-'));
  const emulator = await startEmulator({ port: 0, dataDir });
  try {
    const { vodEndpoint: endpoint, secretId, secretKey, region } = emulator;
    let filePath: string | undefined;
    if (kind === 'vod-sdk') {
      // The same bytes as a local file (written before the clock starts), as the SDK wants.
      filePath = path.join(dataDir, 'bench-media.mp4');
      await pipeline(generatedStream(bytes, 1024 * 1024), createWriteStream(filePath));
    }
    return await runChild({ kind, bytes, partBytes, concurrency, endpoint, secretId, secretKey, region, ...(filePath ? { filePath } : {}) });
  } finally {
    await emulator.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function withDiscardingServer(bytes: number): Promise<BenchResult> {
  const server = createServer((req, res) => {
    req.on('data', () => undefined);
    req.on('end', () => res.writeHead(200).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  try {
    const endpoint = `http://127.0.0.1:${port}`;
    return await runChild({ kind: 'raw-put', bytes, partBytes, concurrency, endpoint, secretId: '', secretKey: '', region: '' });
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

const mbps = (result: BenchResult): number => result.bytes / MiB / result.seconds;
const mib = (bytes: number): string => `${(bytes / MiB).toFixed(0)} MiB`;
const log = (line: string): void => void process.stdout.write(`${line}\n`);

log(`bench: throughput at ${mib(throughputBytes)}, RSS at ${sizes.map(mib).join(', ')}; part ${mib(partBytes)}, window ${concurrency}`);
const raw = await withDiscardingServer(throughputBytes);
log(`(c) raw loopback PUT, discarded   ${mbps(raw).toFixed(0)} MiB/s`);
const cosSdk = await withEmulator('cos-sdk', throughputBytes);
log(`(b) cos-nodejs-sdk-v5 multipart   ${mbps(cosSdk).toFixed(0)} MiB/s   peak RSS ${mib(cosSdk.peakRssBytes)}`);
const pipelineRuns: BenchResult[] = [];
for (const bytes of sizes) {
  const result = await withEmulator('pipeline', bytes);
  pipelineRuns.push(result);
  log(
    `(a) pipeline ${mib(bytes).padStart(9)}          ${mbps(result).toFixed(0)} MiB/s   peak RSS ${mib(result.peakRssBytes)}` +
      `   buffered high-water ${mib(result.bufferedHighWaterMark ?? 0)}`,
  );
}
const pipelineAtThroughputSize = pipelineRuns[0]!;
log(`ratio (a)/(b) pipeline vs COS SDK: ${(mbps(pipelineAtThroughputSize) / mbps(cosSdk)).toFixed(2)} (target ≥ 0.8)`);
log(`ratio (a)/(c) pipeline vs raw PUT: ${(mbps(pipelineAtThroughputSize) / mbps(raw)).toFixed(2)}`);
log(`ratio (b)/(c) COS SDK vs raw PUT:  ${(mbps(cosSdk) / mbps(raw)).toFixed(2)}`);
log(`load: ${loadAverage()}`);

let http: HttpBenchResults | undefined;
if (process.env['BENCH_SKIP_HTTP'] !== '1') {
  http = await runHttpBench({ sizes, partBytes, concurrency, concurrentUploads, concurrentBytes, progressBytes });
  log(`load: ${loadAverage()}`);
}

let vodSdk: BenchResult | undefined;
let vodSdkProblem: string | undefined;
if (process.env['BENCH_SKIP_VOD_SDK'] !== '1') {
  try {
    vodSdk = await withEmulator('vod-sdk', throughputBytes);
    log(`(g) vod-node-sdk 1.1.0 from a file  ${mbps(vodSdk).toFixed(0)} MiB/s   (its defaults: 1 MiB parts, 3 in flight)`);
  } catch (error) {
    vodSdkProblem = error instanceof Error ? error.message.split('\n')[0] : String(error);
    log(`(g) vod-node-sdk: not measured: ${vodSdkProblem}`);
  }
}
const loadAtEnd = loadAverage();

// The table against DESIGN.md "Targets".
type Row = [what: string, figure: string, target: string, verdict: string];
const verdict = (ok: boolean | undefined): string => (ok === undefined ? 'n/a' : ok ? 'PASS' : 'FAIL');
const rows: Row[] = [
  ['(c) raw loopback PUT (limit)', `${mbps(raw).toFixed(0)} MiB/s`, 'reported', '-'],
  ['(b) cos-nodejs-sdk-v5 multipart → emulator', `${mbps(cosSdk).toFixed(0)} MiB/s`, 'baseline', '-'],
  [
    `(a) pipeline in-process ${mib(throughputBytes)} / (b)`,
    `${mbps(pipelineAtThroughputSize).toFixed(0)} MiB/s, ratio ${(mbps(pipelineAtThroughputSize) / mbps(cosSdk)).toFixed(2)}`,
    '≥ 0.8',
    verdict(mbps(pipelineAtThroughputSize) / mbps(cosSdk) >= 0.8),
  ],
  ...pipelineRuns.map((r): Row => [`(a) pipeline peak RSS at ${mib(r.bytes)} (child process)`, mib(r.peakRssBytes), '-', '-']),
];
const first = http?.singles[0];
if (http !== undefined && first !== undefined) {
  const ratio = first.mibPerSecond / mbps(cosSdk);
  rows.push([
    `(d) uploadMedia over HTTP ${mib(first.bytes)} / (b)`,
    `${first.mibPerSecond.toFixed(0)} MiB/s, ratio ${ratio.toFixed(2)}, vs raw ${(first.mibPerSecond / mbps(raw)).toFixed(2)}`,
    '≥ 0.8',
    verdict(first.verified && ratio >= 0.8),
  ]);
  for (const single of http.singles) {
    rows.push([
      `(d) server peak RSS, ${mib(single.bytes)} over HTTP`,
      `${mib(single.serverPeakRssBytes)} (idle before ${mib(single.serverIdleRssBytes)}, ${single.mibPerSecond.toFixed(0)} MiB/s${single.verified ? '' : `, ${single.problem}`})`,
      '≤ 256 MiB',
      verdict(single.verified && single.serverPeakRssBytes <= 256 * MiB),
    ]);
  }
  rows.push([
    `(d) CPU per GiB at ${mib(first.bytes)}: server / emulator / client`,
    `${first.cpuPerGiB.server.toFixed(1)} / ${first.cpuPerGiB.emulator.toFixed(1)} / ${first.cpuPerGiB.client.toFixed(1)} s`,
    'reported (what limits)',
    '-',
  ]);
  const peaks = http.singles.map((single) => single.serverPeakRssBytes);
  if (peaks.length > 1) {
    const spread = Math.max(...peaks) - Math.min(...peaks);
    rows.push([
      '(d) server peak RSS flat across sizes',
      `spread ${mib(spread)} (${(spread / Math.min(...peaks) * 100).toFixed(0)}%)`,
      'same for all sizes (≤ 10% or 16 MiB)',
      verdict(spread <= Math.max(16 * MiB, 0.1 * Math.min(...peaks))),
    ]);
  }
  const many = http.concurrent;
  if (many !== undefined) {
    const allGood = many.succeeded === many.uploads && many.shaMatches === many.uploads && many.downloadsMatching === many.downloadsChecked;
    rows.push([
      `(e) ${many.uploads} × ${mib(many.bytesEach)} concurrent uploads`,
      `${many.succeeded}/${many.uploads} SUCCEEDED, ${many.shaMatches} sha256 ok, ${many.downloadsMatching}/${many.downloadsChecked} GETs ok; ` +
        `${many.aggregateMibPerSecond.toFixed(0)} MiB/s aggregate; server peak RSS ${mib(many.serverPeakRssBytes)}`,
      'all SUCCEEDED, verified',
      verdict(allGood),
    ]);
  }
  const events = http.progress;
  if (events !== undefined) {
    rows.push([
      `(f) progress events, ${mib(events.bytes)} upload (SSE)`,
      `${events.eventsPerSecond.toFixed(2)}/s (${events.events} in ${events.seconds.toFixed(1)} s, max gap ${events.maxGapMs.toFixed(0)} ms), last ${events.lastStatus ?? 'none'}`,
      '1..10/s, last terminal',
      verdict(events.eventsPerSecond >= 1 && events.eventsPerSecond <= 10 && events.lastTerminal),
    ]);
  }
}
if (vodSdk !== undefined) {
  const reference = first?.mibPerSecond ?? mbps(pipelineAtThroughputSize);
  rows.push([
    `(g) vod-node-sdk 1.1.0, ${mib(vodSdk.bytes)} file; ${first === undefined ? '(a)' : '(d)'} / (g)`,
    `${mbps(vodSdk).toFixed(0)} MiB/s, ratio ${(reference / mbps(vodSdk)).toFixed(2)}`,
    '≥ 2',
    verdict(reference / mbps(vodSdk) >= 2),
  ]);
} else if (vodSdkProblem !== undefined) rows.push(['(g) vod-node-sdk 1.1.0', `not measured: ${vodSdkProblem}`, '≥ 2', 'n/a']);

const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((row) => row[i]!.length), ['what', 'figure', 'target', 'verdict'][i]!.length));
const line = (cells: readonly string[]): string => `| ${cells.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ')} |`;
log('');
log(line(['what', 'figure', 'target', 'verdict']));
log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const row of rows) log(line(row));
log(`part ${mib(partBytes)}, window ${concurrency}; load average at the end: ${loadAtEnd}`);

const outDir = path.join(here, 'out');
await mkdir(outDir, { recursive: true });
const file = path.join(outDir, `bench-${new Date().toISOString().replaceAll(':', '-')}.json`);
await writeFile(
  file,
  JSON.stringify({ partBytes, concurrency, loadAtEnd, raw, cosSdk, pipeline: pipelineRuns, http, vodSdk, vodSdkProblem, table: rows }, null, 2),
);
log(`results: ${path.relative(process.cwd(), file)}`);

function loadAverage(): string {
  try {
    return execFileSync('uptime', { encoding: 'utf8' }).trim().replace(/^.*load average:\s*/, '');
  } catch {
    return 'unknown';
  }
}
