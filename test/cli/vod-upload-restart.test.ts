import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../support/server.ts';
import { download, sha256 } from './cli-server.ts';
import { mediaOnDisk, uploadThroughCut } from './cut-connection.ts';
import { jsonEvents } from './run-vod-upload.ts';

const media = mediaOnDisk('vod-upload-restart-');

describe('vod-upload after a network failure, on a server that keeps nothing to resume (RESUME_TTL=0)', () => {
  let server: TestServer;
  let key: string;
  before(async () => {
    server = await startTestServer('vod_upload_cli_restart', { env: { RESUME_TTL: '0' } });
    key = (await server.app.apiKeys.createKey('cli-restart')).key;
  });
  after(async () => {
    await server.dispose();
  });

  it('starts over under a new id, leaves the broken upload FAILED, and stores the same bytes', async () => {
    const id = randomUUID();
    const { code, stdout, stderr } = await uploadThroughCut(server, key, id, media.path);
    assert.equal(code, 0, stderr);
    const events = jsonEvents(stdout);
    const restarted = events.find((event) => event['event'] === 'restarting');
    assert.ok(restarted, stdout);
    assert.equal(restarted['previousId'], id);
    const upload = events.at(-1)!['upload'] as Record<string, unknown>;
    assert.equal(upload['id'], restarted['id']);
    assert.notEqual(upload['id'], id);
    assert.equal(upload['status'], 'SUCCEEDED');
    assert.equal(sha256(await download(String(upload['mediaUrl']))), sha256(media.bytes));
    const broken = await server.graphql('query($id: ID!) { upload(id: $id) { status } }', { key, variables: { id } });
    assert.equal((broken.body.data?.['upload'] as { status: string }).status, 'FAILED');
  });
});
