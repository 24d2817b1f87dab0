import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { cliServer } from './cli-server.ts';

const cli = cliServer('vod_upload_cli_tty', { keyLabel: 'cli-tty', tmpPrefix: 'vod-upload-tty-' });

/** Runs a shell command under a pseudo-terminal (util-linux `script`), returning everything it wrote. */
function underPty(command: string, env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qfec', command, '/dev/null'], { env: { ...process.env, ...env } });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
  });
}

describe('vod-upload on a terminal', () => {
  it('draws a progress bar with the share sent, bytes, rate and ETA, then prints the result', async () => {
    const { server, key, dir } = cli;
    await writeFile(path.join(dir, 'tty.mp4'), randomBytes(4 * 1024 * 1024));
    // Slow storage keeps the upload running long enough for the bar to be redrawn with a rate.
    server.emulator.faults.set({ delayMs: 150 });
    try {
      const command = `${JSON.stringify(process.execPath)} --import tsx src/cli/vod-upload.ts ${JSON.stringify(path.join(dir, 'tty.mp4'))} --concurrency 1`;
      const { code, output } = await underPty(command, { VOD_INGEST_URL: server.url, VOD_INGEST_KEY: key });
      assert.equal(code, 0, output);
      assert.match(output, /[█░]{10,} \d{1,3}% \| sent [\d.]+ (B|KiB|MiB) \| stored [\d.]+ (B|KiB|MiB) \| [\d.]+ (B|KiB|MiB)\/s \| ETA /, output);
      assert.match(output, /100% \| sent 4\.0 MiB/, 'the bar ends full');
      assert.match(output, /[1-9][\d.]* (KiB|MiB)\/s/, 'a non-zero rate');
      assert.match(output, /FileId: \S+/);
      assert.match(output, /MediaUrl: http\S+tty\.mp4/);
    } finally {
      server.emulator.faults.clear();
    }
  });
});
