import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { cliServer } from './cli-server.ts';
import { jsonEvents, runVodUpload } from './run-vod-upload.ts';

const cli = cliServer('vod_upload_cli_cancel', { keyLabel: 'cli', tmpPrefix: 'vod-upload-cli-' });

describe('vod-upload interrupted', () => {
  it('cancels the upload on Ctrl-C (SIGINT) and exits 130', async () => {
    const { server, key, dir } = cli;
    const media = randomBytes(8 * 1024 * 1024);
    await writeFile(path.join(dir, 'long.mp4'), media);
    server.emulator.faults.set({ delayMs: 400 });
    try {
      const id = randomUUID();
      const run = runVodUpload([path.join(dir, 'long.mp4'), '--json', '--id', id, '--concurrency', '1'], {
        VOD_INGEST_URL: server.url,
        VOD_INGEST_KEY: key,
      });
      await run.waitForEvent((event) => event['event'] === 'progress' && event['status'] === 'UPLOADING');
      run.child.kill('SIGINT');
      const { code, stdout, stderr } = await run.result;
      assert.equal(code, 130, stderr);
      const last = jsonEvents(stdout).at(-1)!;
      assert.equal(last['event'], 'error');
      assert.equal(last['code'], 'RequestCanceled');
      assert.equal((await cli.record(id))['status'], 'CANCELED');
    } finally {
      server.emulator.faults.clear();
    }
  });
});
