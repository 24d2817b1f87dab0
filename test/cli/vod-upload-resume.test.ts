import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../support/server.ts';
import { startCuttingProxy } from '../support/tcp-proxy.ts';
import { jsonEvents, runVodUpload } from './run-vod-upload.ts';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const MEDIA_BYTES = 4 * 1024 * 1024;

let dir: string;
let mediaPath: string;
let media: Buffer;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'vod-upload-resume-'));
  media = randomBytes(MEDIA_BYTES);
  mediaPath = path.join(dir, 'broken.mp4');
  await writeFile(mediaPath, media);
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function download(url: string): Promise<Buffer> {
  const response = await fetch(url);
  assert.equal(response.status, 200, `GET ${url}`);
  return Buffer.from(await response.arrayBuffer());
}

/** Uploads through a proxy that cuts the upload's connection at ~40 % of the media. */
async function uploadThroughCut(server: TestServer, key: string, id: string) {
  const proxy = await startCuttingProxy(server.url, { cutAfterBytes: Math.round(MEDIA_BYTES * 0.4) });
  try {
    const result = await runVodUpload([mediaPath, '--json', '--id', id, '--concurrency', '2', '--retries', '3'], {
      VOD_INGEST_URL: proxy.url,
      VOD_INGEST_KEY: key,
    }).result;
    assert.equal(proxy.cuts, 1, 'the connection was cut once');
    return result;
  } finally {
    await proxy.close();
  }
}

describe('vod-upload after a network failure', () => {
  let server: TestServer;
  let key: string;
  before(async () => {
    server = await startTestServer('vod_upload_cli_resume');
    key = (await server.app.apiKeys.createKey('cli-resume')).key;
  });
  after(async () => {
    await server.dispose();
  });

  // Needs the server side of resumable uploads (PAUSED, resumeUpload).
  it('resumes the PAUSED upload from resumableOffset, under the same id, and stores the same bytes', async () => {
    const id = randomUUID();
    const { code, stdout, stderr } = await uploadThroughCut(server, key, id);
    assert.equal(code, 0, stderr);
    const events = jsonEvents(stdout);
    assert.ok(events.some((event) => event['event'] === 'retrying' && event['code'] === 'NetworkError'), stdout);
    const resumed = events.find((event) => event['event'] === 'resuming');
    assert.ok(resumed, `a resume, not a restart: ${stdout}`);
    assert.equal(resumed['id'], id);
    const offset = Number(resumed['offset']);
    assert.ok(offset >= 0 && offset <= MEDIA_BYTES * 0.4, `resumed at ${offset}`);
    assert.ok(!events.some((event) => event['event'] === 'restarting'));
    const upload = events.at(-1)!['upload'] as Record<string, unknown>;
    assert.equal(upload['id'], id);
    assert.equal(upload['status'], 'SUCCEEDED');
    assert.equal((upload['files'] as Array<{ sha256: string }>)[0]!.sha256, sha256(media));
    assert.equal(sha256(await download(String(upload['mediaUrl']))), sha256(media));
  });
});
