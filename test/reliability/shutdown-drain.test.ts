// Reliability promise: "SIGTERM drains and then aborts cleanly". The server is a real process
// (src/main.ts); the emulator and the database live in this test process.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { sendMediaUpload, firstErrorExtensions } from '../support/multipart.ts';
import { PROGRESS_SUBSCRIPTION, subscribeSse } from '../support/subscriptions.ts';
import { heldBytes, payload, waitFor } from './helpers.ts';
import { openProcessFixture, waitForStoredParts, type ProcessFixture } from './server-process.ts';

const MiB = 1024 * 1024;

let fixture: ProcessFixture;
before(async () => {
  fixture = await openProcessFixture('shutdown');
});
after(async () => {
  await fixture?.dispose();
});

/** A graphql-ws subscriber whose connection stays open after the subscription ends, so the server's close code is seen. */
function wsWatcher(url: string, key: string, id: string) {
  const events: Array<{ status: string; error: { code: string } | null }> = [];
  let connected: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (connected = resolve));
  let closedWith: (code: number) => void = () => undefined;
  const closed = new Promise<number>((resolve) => (closedWith = resolve));
  const client = createClient({
    url: `${url.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { Authorization: `Bearer ${key}` },
    lazy: false,
    // The server's 1001 close reaches `on.closed` below; graphql-ws would also console.error it.
    onNonLazyError: () => undefined,
    retryAttempts: 0,
    on: { connected: () => connected(), closed: (event) => closedWith((event as { code: number }).code) },
  });
  const done = new Promise<void>((resolve, reject) => {
    client.subscribe(
      { query: PROGRESS_SUBSCRIPTION, variables: { id } },
      {
        next: (value) => events.push((value.data as { uploadProgress: (typeof events)[number] }).uploadProgress),
        error: (error) => reject(error instanceof Error ? error : new Error(JSON.stringify(error))),
        complete: () => resolve(),
      },
    );
  });
  done.catch(() => undefined);
  return { events, ready, done, closed, dispose: () => void client.dispose() };
}

async function readyzStatus(url: string): Promise<number> {
  return (await fetch(`${url}/readyz`)).status;
}

describe('SIGTERM with an upload in flight', () => {
  it('turns /readyz 503, refuses new uploads, then interrupts the upload cleanly once the grace runs out, and exits 0', async () => {
    // A grace long enough to look at the draining server, short enough for the test to wait out.
    // Resuming off: the interrupted upload fails (with resuming on it pauses: test/resume/shutdown-pause).
    const server = await fixture.start({ SHUTDOWN_GRACE_MS: '4000', RESUME_TTL: '0' });
    const { emulator, apiKey } = fixture;
    assert.equal(await readyzStatus(server.url), 200);
    const id = randomUUID();
    const sse = subscribeSse(server.url, apiKey, PROGRESS_SUBSCRIPTION, { id });
    const ws = wsWatcher(server.url, apiKey, id);
    await Promise.all([sse.ready, ws.ready]);

    const body = heldBytes(payload(8 * MiB), { chunk: 64 * 1024, delayMs: 2, holdAfter: 3 * MiB });
    const { answer } = sendMediaUpload({ url: server.url, key: apiKey, filename: 'drained.mp4', content: body.content, input: { id } });
    const open = await waitForStoredParts(fixture, id);
    emulator.state.resetCounters();

    server.child.kill('SIGTERM');
    // At once: out of the load balancer's rotation, and no new upload is taken.
    await waitFor('/readyz to answer 503', async () => (await readyzStatus(server.url)) === 503);
    const refused = await sendMediaUpload({ url: server.url, key: apiKey, filename: 'late.mp4', content: payload(1000) }).answer;
    assert.equal(firstErrorExtensions(refused)['code'], 'ServiceUnavailable');

    // The grace runs out (the client never sends the rest): the uploader is answered with the code.
    const interrupted = firstErrorExtensions(await answer);
    assert.equal(interrupted['code'], 'Interrupted');
    assert.equal(interrupted['uploadId'], id);
    assert.equal(await server.exited(), 0, `exit code 0\n${server.output()}`);

    await sse.done;
    const lastSse = sse.events.at(-1)?.['uploadProgress'] as { status: string; error: { code: string } | null };
    assert.deepEqual([lastSse.status, lastSse.error?.code], ['FAILED', 'Interrupted'], 'SSE saw the terminal snapshot');
    await ws.done;
    assert.deepEqual([ws.events.at(-1)?.status, ws.events.at(-1)?.error?.code], ['FAILED', 'Interrupted'], 'WS saw the terminal snapshot');
    assert.equal(await ws.closed, 1001, 'WebSocket closed with 1001 (going away)');
    ws.dispose();

    const row = await fixture.db.prisma.upload.findUnique({ where: { tenantId_id: { tenantId: fixture.tenantId, id } } });
    assert.equal(row?.status, 'FAILED');
    assert.equal(row?.errorCode, 'Interrupted');
    assert.deepEqual(emulator.state.multipartUploads(open.bucket, open.key), [], 'multipart upload aborted');
    assert.equal(emulator.state.count('cos.abortMultipart'), 1);
    assert.equal(emulator.state.count('vod.CommitUpload'), 0);
    assert.equal(emulator.state.object(open.bucket, open.key), undefined, 'no object stored');
    assert.equal(await fixture.db.prisma.storageCleanup.count({ where: { uploadId: id } }), 0, 'nothing left to clean up');
    assert.equal(await fixture.db.prisma.instanceLease.count(), 0, 'the lease was released');
    body.release();
  });

  it('lets an upload that finishes within the grace succeed, then exits 0', async () => {
    const server = await fixture.start({ SHUTDOWN_GRACE_MS: '60000' });
    const { apiKey } = fixture;
    const id = randomUUID();
    const data = payload(4 * MiB);
    const body = heldBytes(data, { chunk: 64 * 1024, delayMs: 0, holdAfter: 2 * MiB });
    const { answer } = sendMediaUpload({ url: server.url, key: apiKey, filename: 'finishes.mp4', content: body.content, input: { id } });
    await waitForStoredParts(fixture, id);

    server.child.kill('SIGTERM');
    // Draining has begun (readiness is the event to gate on); now the client sends the rest.
    await waitFor('/readyz to answer 503', async () => (await readyzStatus(server.url)) === 503);
    body.release();
    const result = await answer;
    assert.equal(result.body.errors, undefined, JSON.stringify(result.body.errors));
    const upload = result.body.data?.['uploadMedia'] as { status: string; bytesTotal: number; fileId: string | null };
    assert.equal(upload.status, 'SUCCEEDED');
    assert.equal(upload.bytesTotal, data.length);
    assert.ok(upload.fileId !== null);
    assert.equal(await server.exited(), 0, `exit code 0\n${server.output()}`);
    assert.match(server.output(), /uploads drained/);
  });
});
