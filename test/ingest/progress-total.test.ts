import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sendMediaUpload, sendMultipart, slowBytes, UPLOAD_MUTATION } from '../support/multipart.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { PROGRESS_SUBSCRIPTION, subscribeSse } from '../support/subscriptions.ts';

const MiB = 1024 * 1024;

let server: TestServer;
let key: string;

before(async () => {
  server = await startTestServer('progress-total');
  key = (await server.app.apiKeys.createKey('progress-total')).key;
});
after(async () => {
  await server.dispose();
});

type Snapshot = { status: string; bytesTotal: number | null; bytesUploaded: number; progress: number | null };
const snapshotsOf = (events: Array<Record<string, unknown>>) => events.map((event) => event['uploadProgress'] as Snapshot);

describe('progress without mediaSize', () => {
  it('moves from the first part when the request has a Content-Length: values strictly between 0 and 1 over SSE', async () => {
    const id = randomUUID();
    const media = randomBytes(20 * MiB);
    const subscription = subscribeSse(server.url, key, PROGRESS_SUBSCRIPTION, { id });
    await subscription.ready;
    const { answer } = sendMultipart({
      url: server.url,
      key,
      query: UPLOAD_MUTATION,
      variables: { input: { id, media: null } },
      map: { 0: ['variables.input.media'] },
      // A client sending at a bounded rate: the body takes a few hundred ms.
      files: [{ field: '0', filename: 'big.mp4', content: slowBytes(media, 512 * 1024, 15), bytes: media.length }],
      contentLength: true,
    });
    const { body } = await answer;
    assert.equal((body.data?.['uploadMedia'] as { status: string } | undefined)?.status, 'SUCCEEDED', JSON.stringify(body.errors));
    await subscription.done;
    const snapshots = snapshotsOf(subscription.events);
    const uploading = snapshots.filter((snapshot) => snapshot.status === 'UPLOADING');
    assert.ok(uploading.length > 0);
    for (const snapshot of uploading) {
      assert.ok(snapshot.bytesTotal !== null && snapshot.bytesTotal >= media.length, `bytesTotal ${snapshot.bytesTotal} known and not below the real total`);
    }
    const between = snapshots.filter((snapshot) => snapshot.progress !== null && snapshot.progress > 0 && snapshot.progress < 1);
    assert.ok(between.length > 0, `intermediate progress expected, got ${JSON.stringify(snapshots.map((s) => s.progress))}`);
    const last = snapshots.at(-1);
    assert.deepEqual([last?.status, last?.bytesTotal, last?.progress], ['SUCCEEDED', media.length, 1]);
  });

  it('a chunked request (no Content-Length) has no total until the streams end, as before', async () => {
    const id = randomUUID();
    const media = randomBytes(3 * MiB);
    const subscription = subscribeSse(server.url, key, PROGRESS_SUBSCRIPTION, { id });
    await subscription.ready;
    const { body } = await sendMediaUpload({ url: server.url, key, filename: 'clip.mp4', content: slowBytes(media, 256 * 1024, 5), input: { id } })
      .answer;
    assert.equal((body.data?.['uploadMedia'] as { status: string } | undefined)?.status, 'SUCCEEDED');
    await subscription.done;
    const snapshots = snapshotsOf(subscription.events);
    for (const snapshot of snapshots.filter((s) => s.status === 'PENDING' || s.status === 'UPLOADING')) {
      assert.equal(snapshot.bytesTotal, null);
    }
    assert.equal(snapshots.at(-1)?.bytesTotal, media.length);
  });
});
