// graphql-ws's client as its README shows (the key in `connectionParams`, `ws` as the WebSocket on Node): it
// watches and cancels; the upload itself is a multipart request by fetch (the socket carries no files).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { startTestServer, type TestServer } from '../support/server.ts';
import {
  assertProgressEndsIn,
  cancelThrough,
  coverFile,
  mediaFile,
  TrickleFile,
  uploadWithFetch,
  waitFor,
  watchProgress,
} from './support.ts';

let server: TestServer;
let key: string;
let client: Client;

const watch = (id: string) => watchProgress(client, id);
const cancel = (id: string) => cancelThrough(client, id);

before(async () => {
  server = await startTestServer('client-ws');
  key = (await server.app.apiKeys.createKey('ws')).key;
  client = createClient({
    url: `${server.url.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { Authorization: `Bearer ${key}` },
    retryAttempts: 0,
  });
});
after(async () => {
  await client.dispose();
  await server.dispose();
});

describe('graphql-ws client', () => {
  it('watches media and cover sent in natural key order (media first, over 1 MiB) to SUCCEEDED', async () => {
    const id = randomUUID();
    const progress = watch(id);
    await new Promise((resolve) => setTimeout(resolve, 200)); // the socket subscribes first
    const answer = await uploadWithFetch(server.url, key, { media: mediaFile('ws.mp4'), cover: coverFile('ws-cover.png') }, { id });
    assert.equal(answer.data?.uploadMedia.status, 'SUCCEEDED', JSON.stringify(answer.errors));
    assert.match(answer.data.uploadMedia.coverUrl ?? '', /^http/);
    await progress.done;
    assertProgressEndsIn(progress.snapshots, 'SUCCEEDED');
  });

  it('follows media alone from before the upload (client-chosen id) to SUCCEEDED', async () => {
    const id = randomUUID();
    const progress = watch(id);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const answer = await uploadWithFetch(server.url, key, { media: mediaFile('ws-alone.mp4') }, { id });
    assert.equal(answer.data?.uploadMedia.status, 'SUCCEEDED', JSON.stringify(answer.errors));
    await progress.done;
    assertProgressEndsIn(progress.snapshots, 'SUCCEEDED');
    assert.equal(progress.snapshots.at(-1)?.fileId, answer.data.uploadMedia.fileId);
  });

  it('cancels an upload that is still streaming', async () => {
    const id = randomUUID();
    const progress = watch(id);
    const pending = uploadWithFetch(server.url, key, { media: new TrickleFile(8 * 1024 * 1024, 'ws-slow.mp4') }, { id });
    await waitFor(() => progress.snapshots.some((s) => s.bytesReceived > 0), 'the upload to stream');
    assert.equal((await cancel(id)).status, 'CANCELED');
    const answer = await pending;
    assert.equal(answer.errors?.[0]?.extensions?.['code'], 'RequestCanceled', JSON.stringify(answer));
    await progress.done;
    assertProgressEndsIn(progress.snapshots, 'CANCELED');
  });
});
