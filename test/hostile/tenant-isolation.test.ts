import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sendMediaUpload, slowBytes, type MultipartAnswer } from '../support/multipart.ts';
import { startTestServer, type GraphQLAnswer, type TestServer } from '../support/server.ts';
import { PROGRESS_SUBSCRIPTION, subscribeSse, type SubscriptionResult } from '../support/subscriptions.ts';
import { assertInvariants, assertRefused } from './surface-support.ts';

let server: TestServer;
let keyA: string;
let keyB: string;

before(async () => {
  server = await startTestServer('hostile-tenant');
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

/** The answer with the id replaced, to compare a foreign id's answer with an unused id's. */
function shape(answer: GraphQLAnswer, id: string): string {
  return JSON.stringify({ status: answer.status, body: answer.body }).replaceAll(id, '<id>');
}

const UPLOAD_QUERY = 'query($id: ID!) { upload(id: $id) { id status fileId } }';
const CANCEL = 'mutation($id: ID!) { cancelUpload(id: $id) { id status } }';

describe("hostile tenants: another tenant's id behaves exactly like an unused id", () => {
  it("answers upload(id) on A's id for B exactly as on an unused id (ResourceNotFound)", async () => {
    const theirs = await finishedUpload(keyA);
    const unused = randomUUID();
    const foreign = await server.graphql(UPLOAD_QUERY, { key: keyB, variables: { id: theirs.id } });
    const never = await server.graphql(UPLOAD_QUERY, { key: keyB, variables: { id: unused } });
    assertRefused(foreign, { code: 'ResourceNotFound', status: 200 });
    assert.equal(shape(foreign, theirs.id), shape(never, unused));
    await assertInvariants(server);
  });

  it("never lists A's uploads to B, whatever the filter", async () => {
    const theirs = await finishedUpload(keyA);
    for (const status of [null, 'SUCCEEDED']) {
      const page = await server.graphql('query($s: UploadStatus) { uploads(first: 100, status: $s) { edges { node { id } } } }', {
        key: keyB,
        variables: { s: status },
      });
      const ids = (page.body.data?.['uploads'] as { edges: Array<{ node: { id: string } }> }).edges.map((edge) => edge.node.id);
      assert.ok(!ids.includes(theirs.id));
    }
    await assertInvariants(server);
  });

  it("answers cancelUpload on A's finished id for B exactly as on an unused id (ResourceNotFound)", async () => {
    const theirs = await finishedUpload(keyA);
    const unused = randomUUID();
    const foreign = await server.graphql(CANCEL, { key: keyB, variables: { id: theirs.id } });
    const never = await server.graphql(CANCEL, { key: keyB, variables: { id: unused } });
    assertRefused(foreign, { code: 'ResourceNotFound', status: 200 });
    assert.equal(shape(foreign, theirs.id), shape(never, unused));
    await assertInvariants(server);
  });

  it("cannot cancel A's running upload: B gets ResourceNotFound and A's upload succeeds", async () => {
    const running = await inFlightUpload();
    const foreign = await server.graphql(CANCEL, { key: keyB, variables: { id: running.id } });
    assertRefused(foreign, { code: 'ResourceNotFound', status: 200 });
    assert.equal(uploaded(await running.answer).status, 'SUCCEEDED');
    await running.progress.done;
    await assertInvariants(server);
  });

  it("lets B upload with A's finished id: both records coexist, stored under different keys", async () => {
    const theirs = await finishedUpload(keyA);
    const mine = await finishedUpload(keyB, theirs.id);
    assert.equal(mine.status, 'SUCCEEDED');
    assert.equal(mine.id, theirs.id);
    assert.notEqual(mine.fileId, theirs.fileId, 'a new upload, not A’s record');
    assert.notEqual(mine.mediaUrl, theirs.mediaUrl);
    const a = await server.graphql(UPLOAD_QUERY, { key: keyA, variables: { id: theirs.id } });
    const b = await server.graphql(UPLOAD_QUERY, { key: keyB, variables: { id: theirs.id } });
    assert.equal((a.body.data?.['upload'] as Uploaded).fileId, theirs.fileId);
    assert.equal((b.body.data?.['upload'] as Uploaded).fileId, mine.fileId);
    const keys = [theirs.fileId, mine.fileId].map((fileId) => server.emulator.state.mediaRecord(fileId)?.mediaKey);
    assert.ok(keys[0] !== undefined && keys[1] !== undefined && keys[0] !== keys[1]);
    await assertInvariants(server);
  });

});
