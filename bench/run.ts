/**
 * npm run bench: measures, in one run, against a fresh local emulator each time
 *   (a) the upload pipeline (uploadMedia) at the first size,
 *   (b) the same bytes straight to the emulator with cos-nodejs-sdk-v5's multipart calls
 *       (multipartInit / multipartUpload with the same part size and window / multipartComplete),
 *   (c) one raw loopback HTTP PUT of the same bytes to a server that discards them,
 * and the pipeline's peak RSS at every size (each measurement runs in its own child process).
 *
 * BENCH_SIZES=1GiB,4GiB (default; the first is the throughput size), BENCH_QUICK=1 for 128MiB,256MiB,
 * PART_BYTES (default 8 MiB), DEFAULT_CONCURRENCY (default 4). Writes only under bench/out/.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmulator } from '../src/emulator/emulator.ts';
import { RESULT_PREFIX, type BenchJob, type BenchResult } from './child-protocol.ts';

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
async function withEmulator(kind: 'pipeline' | 'cos-sdk', bytes: number): Promise<BenchResult> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'vod-bench-'));
  const emulator = await startEmulator({ port: 0, dataDir });
  try {
    const { vodEndpoint: endpoint, secretId, secretKey, region } = emulator;
    return await runChild({ kind, bytes, partBytes, concurrency, endpoint, secretId, secretKey, region });
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

const outDir = path.join(here, 'out');
await mkdir(outDir, { recursive: true });
const file = path.join(outDir, `bench-${new Date().toISOString().replaceAll(':', '-')}.json`);
await writeFile(file, JSON.stringify({ partBytes, concurrency, raw, cosSdk, pipeline: pipelineRuns }, null, 2));
log(`results: ${path.relative(process.cwd(), file)}`);
