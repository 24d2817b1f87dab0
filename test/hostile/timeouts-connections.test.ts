import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { parseAnswer, rawConnect, trickle } from '../support/raw-socket.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { PROGRESS_SUBSCRIPTION, subscribeSse } from '../support/subscriptions.ts';
import { sendMediaUpload } from '../support/multipart.ts';

const HEADERS_TIMEOUT_MS = 600;
const REQUEST_TIMEOUT_MS = 800;
const KEEP_ALIVE_TIMEOUT_MS = 700;
const WS_KEEP_ALIVE_MS = 400;
/** Shorter than the headers timeout: the WebSocket's wait for connection_init is its own setting. */
const WS_CONNECTION_INIT_TIMEOUT_MS = 300;

let server: TestServer;
let key: string;

before(async () => {
  server = await startTestServer('timeouts-connections', {
    env: {
      HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
      REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
      KEEP_ALIVE_TIMEOUT_MS: String(KEEP_ALIVE_TIMEOUT_MS),
      WS_KEEP_ALIVE_MS: String(WS_KEEP_ALIVE_MS),
      WS_CONNECTION_INIT_TIMEOUT_MS: String(WS_CONNECTION_INIT_TIMEOUT_MS),
    },
  });
  key = (await server.app.apiKeys.createKey('timeouts')).key;
});
after(async () => {
  await server.dispose();
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe('connection timeouts', () => {
  it('closes a connection whose headers arrive at one byte per 100 ms, with 408', async () => {
    const client = await rawConnect(server.url);
    const headers = `POST /graphql HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\nX-Padding: ${'a'.repeat(200)}\r\n\r\n`;
    void trickle(client, headers, 100);
    await client.closed;
    assert.match(client.received(), /^HTTP\/1\.1 408/);
  });

  it('closes a bare request line that never finishes its headers', async () => {
    const client = await rawConnect(server.url);
    client.write('POST /graphql HTTP/1.1\r\nHost: x\r\n');
    await client.closed;
    assert.match(client.received(), /^HTTP\/1\.1 408/);
  });

  it('closes 50 connections that send nothing', async () => {
    const clients = await Promise.all(Array.from({ length: 50 }, () => rawConnect(server.url)));
    await Promise.all(clients.map((client) => client.closed));
    assert.ok(clients.every((client) => client.isClosed()));
  });

  it('answers an ordinary request whose body never completes with RequestTimeout (408) and closes it', async () => {
    const client = await rawConnect(server.url);
    client.write(
      `POST /graphql HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"qu`,
    );
    await client.closed;
    const answer = parseAnswer(client.received());
    assert.equal(answer?.status, 408, client.received());
    assert.match(answer.headers, /connection: close/i);
    assert.deepEqual((answer.body as { errors: Array<{ extensions: unknown }> }).errors[0]?.extensions, { code: 'RequestTimeout' });
  });

  it('closes a kept-alive connection that stays idle, after serving it', async () => {
    const client = await rawConnect(server.url);
    client.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    await client.closed;
    assert.match(client.received(), /^HTTP\/1\.1 200/);
    assert.match(client.received(), /keep-alive/i, 'the connection was kept alive before it idled out');
  });

  it('keeps a silent SSE subscriber past the request timeout: it still gets the upload it waits for', async () => {
    const id = randomUUID();
    const subscription = subscribeSse(server.url, key, PROGRESS_SUBSCRIPTION, { id });
    await subscription.ready;
    // Silence (for the subscriber) well past REQUEST_TIMEOUT_MS; nothing is published for this id meanwhile.
    await sleep(REQUEST_TIMEOUT_MS * 3);
    const { answer } = sendMediaUpload({ url: server.url, key, filename: 'late.mp4', content: Buffer.alloc(1000, 1), input: { id } });
    const result = await answer;
    assert.equal((result.body.data?.['uploadMedia'] as { status: string }).status, 'SUCCEEDED');
    await subscription.done;
    const statuses = subscription.events.map((event) => (event['uploadProgress'] as { status: string }).status);
    assert.equal(statuses.at(-1), 'SUCCEEDED', JSON.stringify(statuses));
  });

  it('closes a WebSocket that never sends connection_init (4408), after WS_CONNECTION_INIT_TIMEOUT_MS', async () => {
    const socket = new WebSocket(`${server.url.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
    await new Promise((resolve) => socket.once('open', resolve));
    const openedAt = performance.now();
    const { code, reason } = await new Promise<{ code: number; reason: string }>((resolve) =>
      socket.once('close', (closeCode, closeReason) => resolve({ code: closeCode, reason: closeReason.toString() })),
    );
    const heldMs = performance.now() - openedAt;
    assert.equal(code, 4408, reason);
    assert.match(reason, /initiali[sz]ation timeout/i);
    // Held for the configured wait, not closed on sight (no upper bound: a loaded machine may be late).
    assert.ok(heldMs >= WS_CONNECTION_INIT_TIMEOUT_MS * 0.8, `closed after ${heldMs.toFixed(0)} ms`);
  });

  it('drops a WebSocket that stops answering pings, and keeps one that answers', async () => {
    const url = `${server.url.replace('http', 'ws')}/graphql`;
    const deaf = new WebSocket(url, 'graphql-transport-ws', { autoPong: false });
    const alive = new WebSocket(url, 'graphql-transport-ws');
    for (const socket of [deaf, alive]) {
      await new Promise((resolve) => socket.once('open', resolve));
      socket.send(JSON.stringify({ type: 'connection_init', payload: { Authorization: `Bearer ${key}` } }));
    }
    let pings = 0;
    alive.on('ping', () => (pings += 1));
    const code = await new Promise<number>((resolve) => deaf.once('close', (closeCode) => resolve(closeCode)));
    assert.equal(code, 1006, 'terminated, not closed politely');
    // The one that answers has been pinged too and is still open.
    while (pings < 2) await new Promise((resolve) => alive.once('ping', resolve));
    assert.equal(alive.readyState, WebSocket.OPEN);
    alive.close();
  });
});

describe('connection cap', () => {
  let capped: TestServer;
  before(async () => {
    capped = await startTestServer('timeouts-cap', { env: { MAX_CONNECTIONS: '3', HEADERS_TIMEOUT_MS: '60000' } });
  });
  after(async () => {
    await capped.dispose();
  });

  it('answers a connection past MAX_CONNECTIONS with 503 LimitExceeded and Retry-After, then closes it; serves again once one closes', async () => {
    const held = await Promise.all([1, 2, 3].map(() => rawConnect(capped.url)));
    const extra = await rawConnect(capped.url);
    extra.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    await extra.closed;
    const answer = parseAnswer(extra.received());
    assert.equal(answer?.status, 503, extra.received());
    assert.match(answer.headers, /retry-after: 1/i);
    assert.equal((answer.body as { errors: Array<{ extensions: { code: string } }> }).errors[0]?.extensions.code, 'LimitExceeded');

    const upgrade = new WebSocket(`${capped.url.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
    const status = await new Promise<number>((resolve) => {
      upgrade.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
      upgrade.once('error', () => undefined);
    });
    assert.equal(status, 503, 'a WebSocket upgrade past the cap is refused too');

    held[0]?.socket.destroy();
    await held[0]?.closed;
    let ok = false;
    for (let attempt = 0; attempt < 50 && !ok; attempt += 1) {
      ok = (await fetch(`${capped.url}/healthz`, { headers: { connection: 'close' } })).status === 200;
      if (!ok) await sleep(50);
    }
    assert.ok(ok, 'served again once a connection closed');
    for (const client of held) client.socket.destroy();
  });
});
