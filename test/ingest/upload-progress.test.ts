import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sendMultipart, slowBytes, UPLOAD_MUTATION } from '../support/multipart.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { PROGRESS_SUBSCRIPTION, subscribeSse, subscribeWs, type SubscriptionResult } from '../support/subscriptions.ts';

let server: TestServer;
let key: string;
let otherKey: string;

before(async () => {
  server = await startTestServer('progress');
  key = (await server.app.apiKeys.createKey('progress')).key;
  otherKey = (await server.app.apiKeys.createKey('progress-other')).key;
});
after(async () => {
  await server.dispose();
});

interface ProgressEvent {
  id: string;
  status: string;
  bytesReceived: number;
  bytesUploaded: number;
  fileId: string | null;
}

function eventsOf(subscription: SubscriptionResult): ProgressEvent[] {
  return subscription.events.map((event) => event['uploadProgress'] as ProgressEvent);
}

/** Uploads ~3 MiB slowly (about 1.5 s) so several progress snapshots go out. */
async function slowUpload(id: string): Promise<Record<string, unknown>> {
  const { answer } = sendMultipart({
    url: server.url,
    key,
    query: UPLOAD_MUTATION,
    variables: { input: { id, media: null, mediaSize: 3 * 1024 * 1024 } },
    map: { 0: ['variables.input.media'] },
    files: [{ field: '0', filename: 'progress.mp4', content: slowBytes(randomBytes(3 * 1024 * 1024), 96 * 1024, 45) }],
  });
  const { body } = await answer;
  assert.equal(body.errors, undefined, JSON.stringify(body.errors));
  return body.data?.['uploadMedia'] as Record<string, unknown>;
}

function assertProgressStory(events: ProgressEvent[], id: string, fileId: unknown): void {
  assert.ok(events.length >= 3, `several snapshots, got ${events.length}`);
  for (const event of events) assert.equal(event.id, id);
  for (let i = 1; i < events.length; i += 1) {
    const [previous, current] = [events[i - 1], events[i]];
    assert.ok(previous && current);
    assert.ok(current.bytesReceived >= previous.bytesReceived, 'bytesReceived never goes back');
    assert.ok(current.bytesUploaded >= previous.bytesUploaded, 'bytesUploaded never goes back');
  }
  assert.ok(events.some((event) => event.status === 'UPLOADING' && event.bytesReceived > 0 && event.bytesReceived < 3 * 1024 * 1024));
  const last = events.at(-1);
  assert.equal(last?.status, 'SUCCEEDED');
  assert.equal(last?.fileId, fileId);
  assert.equal(events.filter((event) => event.status === 'SUCCEEDED').length, 1, 'one terminal event, then the end');
}

describe('uploadProgress', () => {
  it('streams snapshots over SSE to a subscriber that came before the upload, then completes', async () => {
    const id = randomUUID();
    const subscription = subscribeSse(server.url, key, PROGRESS_SUBSCRIPTION, { id });
    await subscription.ready;
    const record = await slowUpload(id);
    await subscription.done;
    assert.deepEqual(subscription.errors, []);
    assertProgressStory(eventsOf(subscription), id, record['fileId']);
  });

  it('streams snapshots over WebSocket (graphql-ws) too', async () => {
    const id = randomUUID();
    const subscription = subscribeWs(server.url, key, PROGRESS_SUBSCRIPTION, { id });
    await subscription.ready;
    await new Promise((resolve) => setTimeout(resolve, 100));
    const record = await slowUpload(id);
    await subscription.done;
    assert.deepEqual(subscription.errors, []);
    assertProgressStory(eventsOf(subscription), id, record['fileId']);
  });

  it('answers a finished upload with its final snapshot and completes', async () => {
    const id = randomUUID();
    const record = await slowUpload(id);
    const subscription = subscribeSse(server.url, key, PROGRESS_SUBSCRIPTION, { id });
    await subscription.done;
    assert.deepEqual(
      eventsOf(subscription).map((event) => [event.status, event.fileId]),
      [['SUCCEEDED', record['fileId']]],
    );
  });

  it("waits on another tenant's upload id exactly like on an unused id, then follows its own upload", async () => {
    const id = randomUUID();
    const theirs = await slowUpload(id);
    const subscription = subscribeSse(server.url, otherKey, PROGRESS_SUBSCRIPTION, { id });
    await subscription.ready;
    assert.equal(subscription.events.length + subscription.errors.length, 0, 'nothing is revealed about the other upload');
    const { answer } = sendMultipart({
      url: server.url,
      key: otherKey,
      query: UPLOAD_MUTATION,
      variables: { input: { id, media: null } },
      map: { 0: ['variables.input.media'] },
      files: [{ field: '0', filename: 'mine.mp4', content: randomBytes(1000) }],
    });
    const mine = (await answer).body.data?.['uploadMedia'] as Record<string, unknown>;
    await subscription.done;
    assert.equal(subscription.errors.length, 0);
    assert.equal(eventsOf(subscription).at(-1)?.fileId, mine['fileId']);
    assert.notEqual(mine['fileId'], theirs['fileId']);
  });

  it('refuses a WebSocket without a valid key', async () => {
    const subscription = subscribeWs(server.url, `${key}nope`, PROGRESS_SUBSCRIPTION, { id: randomUUID() });
    await assert.rejects(subscription.done);
    assert.equal(subscription.events.length, 0);
  });
});
