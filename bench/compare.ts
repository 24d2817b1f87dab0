/**
 * The comparison users face: the same client streams the same generated file to
 *   (A)  vod-ingest's `uploadMedia` (the built server, `npm start`'s flags, Postgres by DATABASE_URL),
 *   (B1) express + multer to a temporary file → Tencent's vod-node-sdk,
 *   (B2) express + multer → ApplyUpload + cos-nodejs-sdk-v5 `sliceUploadFile` at our part size and
 *        concurrency → CommitUpload,
 * all against one standalone emulator, in interleaved rounds (the order rotates each round). Every
 * run is read back from the emulator and its SHA-256 compared with what was sent. Per run: time to
 * the answer, the server's peak RSS, CPU seconds of the server and of the emulator, bytes the server
 * wrote to disk (/proc/PID/io write_bytes), and the time from the first byte sent to the first part
 * (or object) reaching storage.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { hashUrl, postMultipart, uploadOverHttp } from './http-client.ts';
import { cpuSeconds, RssWatch, settleDisk, startService, type EmulatorInfo, type RunningService } from './service.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');

export type ContenderName = 'A uploadMedia' | 'B1 multer → vod-node-sdk' | 'B2 multer → COS SDK';

export interface ContenderRun {
  readonly seconds: number;
  readonly serverPeakRssBytes: number;
  readonly serverCpuSeconds: number;
  readonly emulatorCpuSeconds: number;
  readonly diskWriteBytes: number;
  /** From the first byte sent to the first part or object at storage; undefined when not seen. */
  readonly firstStoredSeconds: number | undefined;
  readonly verified: boolean;
  readonly problem?: string;
}

export interface ContenderResult {
  readonly name: ContenderName;
  readonly runs: ContenderRun[];
}

export interface ComparisonResults {
  readonly bytes: number;
  readonly rounds: number;
  readonly contenders: ContenderResult[];
}

interface Stored {
  readonly sha256: string;
  readonly seconds: number;
  readonly startedAt: number;
  readonly mediaUrl: string | undefined;
  readonly problem: string | undefined;
}

interface Contender {
  readonly name: ContenderName;
  readonly pid: number;
  send(bytes: number): Promise<Stored>;
}

/** Bytes this process has caused to be written to storage so far. */
function diskWriteBytes(pid: number): number {
  try {
    return Number(/^write_bytes:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** Resolves with the time storage first saw a part or an object after `since`, polling the emulator. */
function watchFirstStored(emulator: EmulatorInfo): { stop(): Promise<number | undefined> } {
  let stopped = false;
  const counters = async (): Promise<number> => {
    const response = await fetch(`${emulator.cosEndpoint}/__emulator/counters`);
    const values = (await response.json()) as Record<string, number>;
    return (values['cos.uploadPart'] ?? 0) + (values['cos.putObject'] ?? 0);
  };
  const seen = (async (): Promise<number | undefined> => {
    const before = await counters();
    while (!stopped) {
      if ((await counters()) > before) return performance.now();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return undefined;
  })();
  return {
    async stop() {
      stopped = true;
      return seen;
    },
  };
}

function spawnTwoHop(mode: 'vod-sdk' | 'cos-sdk', emulator: EmulatorInfo, options: { partBytes: number; concurrency: number; tmp: string }): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [path.join(here, 'out', 'two-hop-build', 'bench', 'two-hop-server.js')], {
    cwd: root,
    env: {
      PATH: process.env['PATH'],
      HOME: process.env['HOME'],
      TWO_HOP_MODE: mode,
      TWO_HOP_TMP: options.tmp,
      EMULATOR: JSON.stringify(emulator),
      PART_BYTES: String(options.partBytes),
      CONCURRENCY: String(options.concurrency),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.setEncoding('utf8').on('data', (text: string) => {
      out += text;
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match !== null) resolve({ child, url: match[1]! });
    });
    child.once('exit', (code) => reject(new Error(`two-hop server (${mode}) exited ${code}: ${out}`)));
  });
}

function uploadMediaContender(service: RunningService): Contender {
  return {
    name: 'A uploadMedia',
    pid: service.serverPid,
    async send(bytes) {
      const result = await uploadOverHttp({ url: service.url, key: service.key, bytes });
      const record = result.record;
      const problem =
        record?.status !== 'SUCCEEDED' ? `status ${record?.status ?? `HTTP ${result.status}`} ${JSON.stringify(record?.error ?? result.errors)}` : undefined;
      return { sha256: result.sha256, seconds: result.seconds, startedAt: result.startedAt, mediaUrl: record?.mediaUrl ?? undefined, problem };
    },
  };
}

function twoHopContender(name: ContenderName, url: string, pid: number): Contender {
  return {
    name,
    pid,
    async send(bytes) {
      const sent = await postMultipart({ url: `${url}/upload`, headers: {}, fields: [], fileField: 'media', bytes });
      let answer: { mediaUrl?: string; error?: string } = {};
      try {
        answer = JSON.parse(sent.text) as typeof answer;
      } catch {
        answer = { error: sent.text.slice(0, 200) };
      }
      const problem = sent.status === 200 && answer.mediaUrl ? undefined : `HTTP ${sent.status} ${answer.error ?? ''}`;
      return { sha256: sent.sha256, seconds: sent.seconds, startedAt: sent.startedAt, mediaUrl: answer.mediaUrl, problem };
    },
  };
}

async function measure(contender: Contender, emulatorPid: number, emulator: EmulatorInfo, bytes: number): Promise<ContenderRun> {
  settleDisk();
  const rss = new RssWatch(contender.pid);
  const cpuBefore = { server: cpuSeconds(contender.pid), emulator: cpuSeconds(emulatorPid) };
  const diskBefore = diskWriteBytes(contender.pid);
  const firstStored = watchFirstStored(emulator);
  const stored = await contender.send(bytes);
  const firstStoredAt = await firstStored.stop();
  const run = {
    seconds: stored.seconds,
    serverPeakRssBytes: rss.stop(),
    serverCpuSeconds: cpuSeconds(contender.pid) - cpuBefore.server,
    emulatorCpuSeconds: cpuSeconds(emulatorPid) - cpuBefore.emulator,
    diskWriteBytes: diskWriteBytes(contender.pid) - diskBefore,
    firstStoredSeconds: firstStoredAt === undefined ? undefined : Math.max(0, (firstStoredAt - stored.startedAt) / 1000),
  };
  let problem = stored.problem;
  if (problem === undefined && stored.mediaUrl !== undefined) {
    const readBack = await hashUrl(stored.mediaUrl);
    if (readBack.status !== 200 || readBack.bytes !== bytes || readBack.sha256 !== stored.sha256) {
      problem = `read back: HTTP ${readBack.status}, ${readBack.bytes} bytes, sha256 ${readBack.sha256 === stored.sha256 ? 'equal' : 'differs'}`;
    }
  }
  return { ...run, verified: problem === undefined, ...(problem === undefined ? {} : { problem }) };
}

export async function runComparison(options: { bytes: number; rounds: number; partBytes: number; concurrency: number; log: (line: string) => void }): Promise<ComparisonResults> {
  execFileSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(here, 'tsconfig.two-hop.json')], { cwd: root, stdio: 'inherit' });
  const service = await startService({ partBytes: options.partBytes, concurrency: options.concurrency });
  const tmp = await mkdtemp(path.join(tmpdir(), 'vod-bench-multer-'));
  const children: ChildProcess[] = [];
  try {
    const b1 = await spawnTwoHop('vod-sdk', service.emulator, { ...options, tmp });
    children.push(b1.child);
    const b2 = await spawnTwoHop('cos-sdk', service.emulator, { ...options, tmp });
    children.push(b2.child);
    const contenders: Contender[] = [
      uploadMediaContender(service),
      twoHopContender('B1 multer → vod-node-sdk', b1.url, b1.child.pid!),
      twoHopContender('B2 multer → COS SDK', b2.url, b2.child.pid!),
    ];
    const results = new Map<ContenderName, ContenderRun[]>(contenders.map((c) => [c.name, []]));
    for (let round = 0; round < options.rounds; round++) {
      for (let i = 0; i < contenders.length; i++) {
        const contender = contenders[(i + round) % contenders.length]!;
        const run = await measure(contender, service.emulatorPid, service.emulator, options.bytes);
        results.get(contender.name)!.push(run);
        options.log(
          `  round ${round + 1} ${contender.name.padEnd(26)} ${run.seconds.toFixed(2)} s, server peak RSS ${(run.serverPeakRssBytes / 2 ** 20).toFixed(0)} MiB, ` +
            `CPU server ${run.serverCpuSeconds.toFixed(1)} s / emulator ${run.emulatorCpuSeconds.toFixed(1)} s, disk ${(run.diskWriteBytes / 2 ** 20).toFixed(0)} MiB, ` +
            `first stored ${run.firstStoredSeconds?.toFixed(2) ?? '-'} s${run.verified ? ', read back ok' : `, PROBLEM ${run.problem}`}`,
        );
      }
    }
    return { bytes: options.bytes, rounds: options.rounds, contenders: contenders.map((c) => ({ name: c.name, runs: results.get(c.name)! })) };
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await service.close();
    await rm(tmp, { recursive: true, force: true });
  }
}

/** The median and range of one figure over a contender's runs. */
export function spread(values: readonly number[]): { median: number; min: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0] ?? 0, max: sorted.at(-1) ?? 0 };
}
