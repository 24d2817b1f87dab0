import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sendMediaUpload, slowBytes, type MultipartAnswer } from '../support/multipart.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { PROGRESS_SUBSCRIPTION, subscribeSse, subscribeWs, type SubscriptionResult } from '../support/subscriptions.ts';
import { assertInvariants } from './surface-support.ts';

let server: TestServer;
let keyA: string;
let keyB: string;

before(async () => {
  server = await startTestServer('hostile-tenant-progress');
  keyA = (await server.app.apiKeys.createKey('tenant-a')).key;
  keyB = (await server.app.apiKeys.createKey('tenant-b')).key;
});
after(async () => {
  await server.dispose();
});

interface Uploaded {
  id: string;
  status: string;
  fileId: string;
  mediaUrl: string;
  files: Array<{ path: string }>;
}

function uploaded(answer: MultipartAnswer): Uploaded {
  assert.equal(answer.body.errors, undefined, JSON.stringify(answer.body.errors));
  return answer.body.data?.['uploadMedia'] as Uploaded;
}

async function finishedUpload(key: string, id: string = randomUUID()): Promise<Uploaded> {
  return uploaded(await sendMediaUpload({ url: server.url, key, filename: 'clip.mp4', content: randomBytes(2000), input: { id } }).answer);
}

/** A's upload, slow enough to act on while it runs; resolves once it is UPLOADING. */
async function inFlightUpload(): Promise<{ id: string; answer: Promise<MultipartAnswer>; progress: SubscriptionResult }> {
  const id = randomUUID();
  const progress = subscribeSse(server.url, keyA, PROGRESS_SUBSCRIPTION, { id });
  await progress.ready;
  const { answer } = sendMediaUpload({
    url: server.url,
    key: keyA,
    filename: 'slow.mp4',
    content: slowBytes(randomBytes(2 * 1024 * 1024), 64 * 1024, 40),
    input: { id, mediaSize: 2 * 1024 * 1024 },
  });
  while (!progress.events.some((event) => (event['uploadProgress'] as { status: string }).status === 'UPLOADING')) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { id, answer, progress };
}

describe("hostile tenants: another tenant's id reveals nothing to uploadProgress", () => {
  for (const door of ['SSE', 'WebSocket'] as const) {
    it(`reveals nothing over ${door}: B's uploadProgress on A's running id waits like on an unused id`, async () => {
      const subscribe = door === 'SSE' ? subscribeSse : subscribeWs;
      const running = await inFlightUpload();
      const foreign = subscribe(server.url, keyB, PROGRESS_SUBSCRIPTION, { id: running.id });
      const never = subscribe(server.url, keyB, PROGRESS_SUBSCRIPTION, { id: randomUUID() });
      await Promise.all([foreign.ready, never.ready]);
      assert.equal(uploaded(await running.answer).status, 'SUCCEEDED');
      await running.progress.done;
      // Every event of A's upload has gone out by now: B saw none of them, as on an id nobody used.
      assert.deepEqual([foreign.events, foreign.errors], [[], []]);
      assert.deepEqual([never.events, never.errors], [[], []]);
      foreign.close();
      never.close();
      await assertInvariants(server);
    });
  }

  it("lets B upload with A's running id (not refused as in progress), and B's subscription follows B's upload only", async () => {
    const running = await inFlightUpload();
    const mySubscription = subscribeSse(server.url, keyB, PROGRESS_SUBSCRIPTION, { id: running.id });
    await mySubscription.ready;
    const mine = await finishedUpload(keyB, running.id);
    assert.equal(mine.status, 'SUCCEEDED');
    await mySubscription.done;
    const seen = mySubscription.events.map((event) => event['uploadProgress'] as { fileId: string | null; status: string });
    assert.equal(seen.at(-1)?.fileId, mine.fileId);
    assert.ok(seen.every((event) => event.fileId === null || event.fileId === mine.fileId), "none of A's snapshots");
    const theirs = uploaded(await running.answer);
    assert.equal(theirs.status, 'SUCCEEDED');
    assert.notEqual(theirs.fileId, mine.fileId);
    await running.progress.done;
    await assertInvariants(server);
  });
});
