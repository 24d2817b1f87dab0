import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sendMediaUpload, slowBytes, UPLOAD_MUTATION } from '../support/multipart.ts';
import { multipartUploadHead, parseAnswer, rawConnect, trickle, type RawClient } from '../support/raw-socket.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const MiB = 1024 * 1024;
const UPLOAD_IDLE_TIMEOUT_MS = 1500;

let server: TestServer;
let key: string;
let otherKey: string;

before(async () => {
  server = await startTestServer('timeouts-uploads', {
    env: {
      UPLOAD_IDLE_TIMEOUT_MS: String(UPLOAD_IDLE_TIMEOUT_MS),
      UPLOAD_IDLE_MIN_BYTES: '1024',
      MAX_UPLOADS_PER_TENANT: '1',
      // Resuming off: a timed-out upload FAILS (with RESUME_TTL it would wait PAUSED for a resume).
      RESUME_TTL: '0',
    },
  });
  key = (await server.app.apiKeys.createKey('uploader')).key;
  otherKey = (await server.app.apiKeys.createKey('neighbour')).key;
});
after(async () => {
  await server.dispose();
});

async function recordOf(id: string, apiKey = key): Promise<{ status: string; error: { code: string } | null } | undefined> {
  const answer = await server.graphql('query($id: ID!) { upload(id: $id) { status error { code } } }', { key: apiKey, variables: { id } });
  return answer.body.data?.['upload'] as { status: string; error: { code: string } | null } | undefined;
}

async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Opens a raw upload of `mediaBytes` bytes of which the test writes what it wants. */
async function rawUpload(id: string, mediaBytes: number): Promise<{ client: RawClient; tail: string; boundary: string }> {
  const client = await rawConnect(server.url);
  const { head, tail, boundary } = multipartUploadHead({ key, input: { id }, filename: 'held.mp4', mediaBytes, query: UPLOAD_MUTATION });
  client.write(head);
  return { client, tail, boundary };
}

/** The record failed with RequestTimeout, no multipart upload is left open, the connection is closed. */
async function assertTimedOut(id: string, client: RawClient): Promise<void> {
  await waitFor(async () => (await recordOf(id))?.status === 'FAILED', 'the record to fail');
  assert.equal((await recordOf(id))?.error?.code, 'RequestTimeout');
  await client.closed;
  await waitFor(() => server.emulator.state.multipartUploads().length === 0, 'no multipart upload left open');
  const answer = parseAnswer(client.received());
  if (answer !== undefined) {
    const errors = (answer.body as { errors?: Array<{ extensions?: Record<string, unknown> }> }).errors;
    assert.equal(errors?.[0]?.extensions?.['code'], 'RequestTimeout', client.received());
    assert.equal(errors?.[0]?.extensions?.['uploadId'], id);
  }
}

describe('upload idle timeout', () => {
  it('fails an upload whose client stops sending mid-media: FAILED (RequestTimeout), multipart aborted, connection closed', async () => {
    const id = randomUUID();
    const commits = server.emulator.state.count('vod.CommitUpload');
    const { client } = await rawUpload(id, 8 * MiB);
    client.write(randomBytes(3 * MiB));
    await waitFor(() => server.emulator.state.multipartUploads().length > 0, 'a multipart upload to start');
    await assertTimedOut(id, client);
    assert.equal(server.emulator.state.count('vod.CommitUpload'), commits);
  });

  it('fails an upload whose media is all sent but whose closing boundary never comes', async () => {
    const id = randomUUID();
    const { client } = await rawUpload(id, 2 * MiB + 7);
    client.write(randomBytes(2 * MiB + 7));
    await assertTimedOut(id, client);
  });

  it('fails an upload whose media trickles in a byte at a time (too little to count as moving)', async () => {
    const id = randomUUID();
    const { client } = await rawUpload(id, 2 * MiB);
    client.write(randomBytes(MiB + 5));
    await waitFor(async () => (await recordOf(id))?.status === 'UPLOADING', 'the upload to start');
    void trickle(client, randomBytes(MiB), 50);
    await assertTimedOut(id, client);
  });

  it('fails a multipart request that sends its headers and then nothing, with 408 and no record', async () => {
    const client = await rawConnect(server.url);
    const { head } = multipartUploadHead({ key, input: {}, filename: 'x.mp4', mediaBytes: 10, query: UPLOAD_MUTATION });
    client.write(head.slice(0, head.indexOf('\r\n\r\n') + 4));
    await client.closed;
    const answer = parseAnswer(client.received());
    assert.equal(answer?.status, 408, client.received());
    assert.equal((answer.body as { errors: Array<{ extensions: { code: string } }> }).errors[0]?.extensions.code, 'RequestTimeout');
  });

  it('never cuts a slow upload that keeps moving, even while storage holds it back longer than the idle timeout', async () => {
    const id = randomUUID();
    const data = randomBytes(3 * MiB + 11);
    // Storage answers every request after twice the idle timeout: the server stops reading meanwhile.
    server.emulator.faults.set({ delayMs: UPLOAD_IDLE_TIMEOUT_MS * 2 });
    try {
      const { answer } = sendMediaUpload({ url: server.url, key, filename: 'slow.mp4', content: slowBytes(data, 96 * 1024, 400), input: { id } });
      const result = await answer;
      assert.equal((result.body.data?.['uploadMedia'] as { status: string } | undefined)?.status, 'SUCCEEDED', JSON.stringify(result.body));
    } finally {
      server.emulator.faults.clear();
    }
  });
});

describe('uploads per tenant', () => {
  it('refuses a tenant past MAX_UPLOADS_PER_TENANT with LimitExceeded (429) before storing anything; other tenants go on', async () => {
    const id = randomUUID();
    const running = sendMediaUpload({ url: server.url, key, filename: 'long.mp4', content: slowBytes(randomBytes(2 * MiB), 64 * 1024, 150), input: { id } });
    await waitFor(async () => (await recordOf(id))?.status === 'UPLOADING', 'the first upload to run');
    const applies = server.emulator.state.count('vod.ApplyUpload');
    const refusedId = randomUUID();
    const refused = await sendMediaUpload({ url: server.url, key, filename: 'second.mp4', content: randomBytes(1000), input: { id: refusedId } }).answer;
    assert.equal(refused.status, 429);
    assert.equal(refused.body.errors?.[0]?.extensions?.['code'], 'LimitExceeded');
    assert.match(refused.body.errors?.[0]?.message ?? '', /already runs 1 upload/);
    assert.equal(await recordOf(refusedId), null, 'no record');
    const neighbour = await sendMediaUpload({ url: server.url, key: otherKey, filename: 'n.mp4', content: randomBytes(1000) }).answer;
    assert.equal((neighbour.body.data?.['uploadMedia'] as { status: string }).status, 'SUCCEEDED');
    assert.equal(server.emulator.state.count('vod.ApplyUpload'), applies + 1, 'only the other tenant applied');
    assert.equal((await recordOf(id))?.status, 'UPLOADING', 'the first upload was still running throughout');
    assert.equal(((await running.answer).body.data?.['uploadMedia'] as { status: string }).status, 'SUCCEEDED');
    const again = await sendMediaUpload({ url: server.url, key, filename: 'third.mp4', content: randomBytes(1000) }).answer;
    assert.equal((again.body.data?.['uploadMedia'] as { status: string }).status, 'SUCCEEDED', 'the slot was given back');
  });
});
