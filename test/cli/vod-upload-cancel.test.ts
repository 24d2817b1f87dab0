import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../support/server.ts';
import { jsonEvents, runVodUpload } from './run-vod-upload.ts';

let server: TestServer;
let key: string;
let dir: string;

before(async () => {
  server = await startTestServer('vod_upload_cli_cancel');
  key = (await server.app.apiKeys.createKey('cli')).key;
  dir = await mkdtemp(path.join(os.tmpdir(), 'vod-upload-cli-'));
});
after(async () => {
  await server.dispose();
  await rm(dir, { recursive: true, force: true });
});

async function record(id: string): Promise<Record<string, unknown>> {
  const answer = await server.graphql(`query($id: ID!) { upload(id: $id) { id status error { code } files { role path bytes sha256 } } }`, {
    key,
    variables: { id },
  });
  return answer.body.data?.['upload'] as Record<string, unknown>;
}

describe('vod-upload interrupted', () => {
  it('cancels the upload on Ctrl-C (SIGINT) and exits 130', async () => {
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
      assert.equal((await record(id))['status'], 'CANCELED');
    } finally {
      server.emulator.faults.clear();
    }
  });
});
