/**
 * "No throughput loss": the same `uploadMedia` over HTTP against this checkout's server and against
 * the server of an earlier commit (BENCH_BASELINE=<git revision>), on one machine in one run.
 * The earlier commit is exported with `git archive` into bench/out/baseline-<rev>/ (not a worktree),
 * given this checkout's node_modules, its own Prisma client and its own build. Each upload gets a
 * fresh service (server + standalone emulator, own Postgres schema); rounds alternate which server
 * goes first; every upload's sha256 is checked against the stored record.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm, symlink } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { uploadOverHttp } from './http-client.ts';
import { cpuSeconds, settleDisk, startService, type RunningService } from './service.ts';

const MiB = 1024 * 1024;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface BaselineRun {
  readonly mibPerSecond: number;
  readonly serverCpuPerGiB: number;
  readonly verified: boolean;
}

export interface BaselineComparison {
  readonly revision: string;
  readonly bytes: number;
  readonly current: BaselineRun[];
  readonly baseline: BaselineRun[];
}

/** Exports and builds `revision` once (kept under bench/out/ for later runs). */
export function prepareBaseline(revision: string): string {
  const commit = execFileSync('git', ['rev-parse', '--short=12', `${revision}^{commit}`], { cwd: root, encoding: 'utf8' }).trim();
  const checkout = path.join(root, 'bench', 'out', `baseline-${commit}`);
  if (existsSync(path.join(checkout, 'dist', 'main.js'))) return checkout;
  execFileSync('bash', ['-c', `rm -rf "$1" && mkdir -p "$1" && git archive "$2" | tar -x -C "$1"`, 'export', checkout, commit], {
    cwd: root,
    stdio: 'inherit',
  });
  return checkout;
}

async function buildBaseline(checkout: string): Promise<void> {
  if (existsSync(path.join(checkout, 'dist', 'main.js'))) return;
  const modules = path.join(checkout, 'node_modules');
  if (!existsSync(modules)) await symlink(path.join(root, 'node_modules'), modules);
  execFileSync(process.execPath, [path.join(checkout, 'scripts', 'prisma-generate.mjs')], { cwd: checkout, stdio: 'inherit' });
  try {
    execFileSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], {
      cwd: checkout,
      stdio: 'inherit',
    });
  } catch (error) {
    await rm(path.join(checkout, 'dist'), { recursive: true, force: true });
    throw error;
  }
}

async function oneUpload(service: RunningService, bytes: number): Promise<BaselineRun> {
  settleDisk();
  const cpuBefore = cpuSeconds(service.serverPid);
  const result = await uploadOverHttp({ url: service.url, key: service.key, bytes });
  const media = result.record?.files[0];
  return {
    mibPerSecond: bytes / MiB / result.seconds,
    serverCpuPerGiB: (cpuSeconds(service.serverPid) - cpuBefore) / (bytes / (1024 * MiB)),
    verified: result.record?.status === 'SUCCEEDED' && media?.bytes === bytes && media.sha256 === result.sha256,
  };
}

export interface BaselineOptions {
  readonly revision: string;
  readonly bytes: number;
  readonly rounds: number;
  readonly partBytes: number;
  readonly concurrency: number;
  readonly log: (line: string) => void;
}

export async function runVersusBaseline(options: BaselineOptions): Promise<BaselineComparison> {
  const checkout = prepareBaseline(options.revision);
  await buildBaseline(checkout);
  const settings = { partBytes: options.partBytes, concurrency: options.concurrency };
  const runs = { current: [] as BaselineRun[], baseline: [] as BaselineRun[] };
  for (let round = 0; round < options.rounds; round++) {
    const order = round % 2 === 0 ? (['baseline', 'current'] as const) : (['current', 'baseline'] as const);
    for (const which of order) {
      // One service at a time, closed (and its stored objects removed) before the next starts: an
      // idle second server or a gigabyte of dirty pages awaiting write-back would tilt the next run.
      const service = await startService(which === 'current' ? settings : { ...settings, serverCheckout: checkout });
      try {
        const run = await oneUpload(service, options.bytes);
        runs[which].push(run);
        options.log(
          `    round ${round + 1} ${which.padEnd(8)} ${run.mibPerSecond.toFixed(0)} MiB/s, server CPU ${run.serverCpuPerGiB.toFixed(1)} s/GiB${run.verified ? '' : ' NOT VERIFIED'}`,
        );
      } finally {
        await service.close();
      }
    }
  }
  return { revision: path.basename(checkout).replace(/^baseline-/, ''), bytes: options.bytes, ...runs };
}

/** Median throughput of this checkout over the baseline's, per round. */
export function throughputRatios(comparison: BaselineComparison): number[] {
  return comparison.current.map((run, i) => run.mibPerSecond / (comparison.baseline[i]?.mibPerSecond ?? Number.NaN));
}
