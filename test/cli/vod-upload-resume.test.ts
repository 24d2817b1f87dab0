import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../support/server.ts';
import { download, sha256 } from './cli-server.ts';
import { MEDIA_BYTES, mediaOnDisk, uploadThroughCut } from './cut-connection.ts';
import { jsonEvents } from './run-vod-upload.ts';

const media = mediaOnDisk('vod-upload-resume-');

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
    const { code, stdout, stderr } = await uploadThroughCut(server, key, id, media.path);
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
    assert.equal((upload['files'] as Array<{ sha256: string }>)[0]!.sha256, sha256(media.bytes));
    assert.equal(sha256(await download(String(upload['mediaUrl']))), sha256(media.bytes));
  });
});
