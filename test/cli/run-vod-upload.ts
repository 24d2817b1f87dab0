import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

export interface CliRun {
  readonly child: ChildProcessWithoutNullStreams;
  /** Resolves when the process has exited. */
  readonly result: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
  /** Resolves with the first `--json` event line for which `test` holds. */
  waitForEvent(test: (event: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
}

/** The CLI as a real child process (through tsx, as `npm run` users and the bin's build see it). */
export function runVodUpload(args: readonly string[], env: Record<string, string> = {}): CliRun {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/vod-upload.ts', ...args], {
    env: { ...process.env, VOD_INGEST_URL: '', VOD_INGEST_KEY: '', ...env },
  });
  let stdout = '';
  let stderr = '';
  const waiters: Array<{ test: (event: Record<string, unknown>) => boolean; resolve: (event: Record<string, unknown>) => void }> = [];
  const seen: Array<Record<string, unknown>> = [];
  let pending = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    pending += chunk.toString();
    let end: number;
    while ((end = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, end);
      pending = pending.slice(end + 1);
      let event: Record<string, unknown>;
      try {
        event = JSON.parse(line) as Record<string, unknown>;
      } catch {
        continue;
      }
      seen.push(event);
      for (const waiter of waiters.filter((w) => w.test(event))) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(event);
      }
    }
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const result = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return {
    child,
    result,
    waitForEvent(test) {
      const earlier = seen.find(test);
      if (earlier !== undefined) return Promise.resolve(earlier);
      return new Promise((resolve, reject) => {
        waiters.push({ test, resolve });
        void result.then(({ code }) => reject(new Error(`vod-upload exited (${code}) before the event; stderr: ${stderr}`)));
      });
    },
  };
}

/** The `--json` output as events. */
export function jsonEvents(stdout: string): Array<Record<string, unknown>> {
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
