/**
 * The real service for the HTTP benchmarks, as separate processes: a standalone emulator and the
 * server (`src/main.ts`) pointed at it with TENCENTCLOUD_* / VOD_ENDPOINT / COS_ENDPOINT, so the
 * server's RSS is its own. A fresh Postgres schema per run (dropped at the end) and one API key.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MiB = 1024 * 1024;

export interface EmulatorInfo {
  readonly vodEndpoint: string;
  readonly cosEndpoint: string;
  readonly secretId: string;
  readonly secretKey: string;
  readonly region: string;
}

export interface RunningService {
  readonly url: string;
  readonly key: string;
  /** The Postgres the server uses and its schema (benches that look at or add rows). */
  readonly databaseBase: string;
  readonly schema: string;
  readonly emulator: EmulatorInfo;
  readonly serverPid: number;
  readonly emulatorPid: number;
  close(): Promise<void>;
}

/**
 * Writes dirty pages out before a timed run (`sync`), so no run pays for the write-back of the
 * gigabytes the runs before it left in the page cache (emulator objects, multer's temporary files).
 */
export function settleDisk(): void {
  try {
    execFileSync('sync');
  } catch {
    // No sync on this system: runs are measured as they come.
  }
}

/** Current VmRSS of a process, bytes (0 when unreadable). */
export function currentRss(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat (0 when unreadable). */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 (1-based), i.e. 11 and 12 after "pid (comm) state".
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** Peak RSS of one process over a phase: VmHWM after a reset (clear_refs 5), plus sampled VmRSS. */
export class RssWatch {
  private peak = 0;
  private readonly timer: NodeJS.Timeout;
  private hwmReset = false;

  constructor(private readonly pid: number) {
    try {
      writeFileSync(`/proc/${pid}/clear_refs`, '5');
      this.hwmReset = true;
    } catch {
      this.hwmReset = false;
    }
    this.sample();
    this.timer = setInterval(() => this.sample(), 50);
  }

  private read(): { rss: number; hwm: number } {
    try {
      const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
      const kib = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
      return { rss: kib('VmRSS'), hwm: kib('VmHWM') };
    } catch {
      return { rss: 0, hwm: 0 };
    }
  }

  private sample(): void {
    this.peak = Math.max(this.peak, this.read().rss);
  }

  /** Stops sampling; the peak in bytes (VmHWM counts only when it could be reset at the start). */
  stop(): number {
    clearInterval(this.timer);
    this.sample();
    return this.hwmReset ? Math.max(this.peak, this.read().hwm) : this.peak;
  }
}

/** The start script's words (`NAME=value … node <flags> dist/main.js`) of the checkout at `checkout`. */
function startScriptWords(checkout: string): string[] {
  const manifest = JSON.parse(readFileSync(path.join(checkout, 'package.json'), 'utf8')) as { scripts: { start: string } };
  return manifest.scripts.start.split(/\s+/);
}

/** The node flags of package.json's start script. */
function startScriptNodeFlags(checkout: string): string[] {
  return startScriptWords(checkout).filter((word) => word.startsWith('--'));
}

/** The environment the start script sets (e.g. malloc tuning). */
function startScriptEnv(checkout: string): Record<string, string> {
  return Object.fromEntries(
    startScriptWords(checkout)
      .map((word) => /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(word))
      .flatMap((match) => (match === null ? [] : [[match[1]!, match[2]!]])),
  );
}

function nodeTs(script: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', path.join(root, script), ...args], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Resolves with the first stdout line that matches, or rejects when the process exits first. */
function waitForLine(child: ChildProcess, pattern: RegExp, what: string, timeoutMs = 60_000): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`${what}: no start-up line after ${timeoutMs} ms\n${out}\n${err}`)), timeoutMs);
    child.stderr?.setEncoding('utf8').on('data', (text: string) => {
      err = (err + text).slice(-4000);
    });
    child.stdout?.setEncoding('utf8').on('data', (text: string) => {
      out += text;
      const match = pattern.exec(out);
      if (match !== null) {
        clearTimeout(timer);
        resolve(match);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited ${code}\n${out}\n${err}`));
    });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export interface ServiceOptions {
  readonly partBytes: number;
  readonly concurrency: number;
  readonly databaseBase?: string;
  /** A built checkout whose server to run (its dist/ and start script); this one by default. */
  readonly serverCheckout?: string;
  /** Node flags added to the start script's (BENCH_SERVER_NODE_FLAGS, e.g. `--cpu-prof`). */
  readonly extraNodeFlags?: readonly string[];
  /** Arguments added to the emulator's command line (e.g. `--procedure-duration-ms 200`). */
  readonly emulatorArgs?: readonly string[];
  /** Environment added to the server's (e.g. WEBHOOK_ALLOW_PRIVATE_NETWORKS=on for a local receiver). */
  readonly serverEnv?: Readonly<Record<string, string>>;
}

export async function startService(options: ServiceOptions): Promise<RunningService> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'vod-bench-http-'));
  const schema = `bench_${randomBytes(6).toString('hex')}`;
  const databaseBase = options.databaseBase ?? process.env['BENCH_DATABASE_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/test';
  const databaseUrl = `${databaseBase}?schema=${schema}`;
  const checkout = options.serverCheckout ?? root;
  const children: ChildProcess[] = [];
  const close = async (): Promise<void> => {
    for (const child of children.reverse()) await stopChild(child);
    const client = new pg.Client({ connectionString: databaseBase });
    try {
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    } catch (error) {
      process.stderr.write(`bench: could not drop schema ${schema}: ${String(error)}\n`);
    } finally {
      await client.end().catch(() => undefined);
    }
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    const emulatorProcess = nodeTs('src/emulator/main.ts', ['--port', '0', '--data-dir', path.join(dataDir, 'emulator'), ...(options.emulatorArgs ?? [])], {
      ...process.env,
      LOG_LEVEL: 'warn',
    });
    children.push(emulatorProcess);
    const emulatorLine = await waitForLine(emulatorProcess, /^(\{.*\})$/m, 'emulator');
    const emulator = JSON.parse(emulatorLine[1]!) as EmulatorInfo;

    const serverEnv: NodeJS.ProcessEnv = {
      PATH: process.env['PATH'],
      HOME: process.env['HOME'],
      ...startScriptEnv(checkout),
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: path.join(dataDir, 'server'),
      DATABASE_URL: databaseUrl,
      PART_BYTES: String(options.partBytes),
      DEFAULT_CONCURRENCY: String(options.concurrency),
      LOG_LEVEL: 'warn',
      TENCENTCLOUD_SECRET_ID: emulator.secretId,
      TENCENTCLOUD_SECRET_KEY: emulator.secretKey,
      VOD_ENDPOINT: emulator.vodEndpoint,
      COS_ENDPOINT: emulator.cosEndpoint,
      VOD_REGION: emulator.region,
      ...options.serverEnv,
    };
    // The server as `npm start` runs it: compiled JavaScript, with the start script's node flags.
    const extraFlags = options.extraNodeFlags ?? (process.env['BENCH_SERVER_NODE_FLAGS'] ?? '').split(/\s+/).filter(Boolean);
    const server = spawn(process.execPath, [...startScriptNodeFlags(checkout), ...extraFlags, path.join(checkout, 'dist', 'main.js')], {
      cwd: checkout,
      env: serverEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(server);
    const listening = await waitForLine(server, /at (http:\/\/[^\s/]+:\d+)\/graphql/, 'server');
    const url = listening[1]!.replace('localhost', '127.0.0.1');

    const keys = nodeTs('src/cli/keys.ts', ['create', '--tenant', 'bench', '--label', 'npm run bench'], {
      PATH: process.env['PATH'],
      HOME: process.env['HOME'],
      DATABASE_URL: databaseUrl,
      LOG_LEVEL: 'warn',
      DATA_DIR: path.join(dataDir, 'keys'),
    });
    const keyLine = await waitForLine(keys, /shown only this once:\s*\n\s*\n?\s*(\S+)/, 'keys create');
    await new Promise((resolve) => (keys.exitCode === null ? keys.once('exit', resolve) : resolve(undefined)));
    return {
      url,
      key: keyLine[1]!,
      databaseBase,
      schema,
      emulator,
      serverPid: server.pid!,
      emulatorPid: emulatorProcess.pid!,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

export const mib = (bytes: number): string => `${(bytes / MiB).toFixed(0)} MiB`;
