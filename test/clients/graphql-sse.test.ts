// graphql-sse's client as its README shows (distinct connections mode, the key in `headers`): it
// watches and cancels; the upload itself is a multipart request by fetch (SSE carries no files).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createClient, type Client } from 'graphql-sse';
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
  server = await startTestServer('client-sse');
  key = (await server.app.apiKeys.createKey('sse')).key;
  client = createClient({ url: `${server.url}/graphql`, headers: { Authorization: `Bearer ${key}` }, retryAttempts: 0 });
});
after(async () => {
  client.dispose();
  await server.dispose();
});

describe('graphql-sse client', () => {
  it('watches media and cover sent in natural key order (media first, over 1 MiB) to SUCCEEDED', async () => {
    const id = randomUUID();
    const progress = watch(id);
    await new Promise((resolve) => setTimeout(resolve, 200)); // the SSE request reaches the server first
    const answer = await uploadWithFetch(server.url, key, { media: mediaFile('sse.mp4'), cover: coverFile('sse-cover.png') }, { id });
    assert.equal(answer.data?.uploadMedia.status, 'SUCCEEDED', JSON.stringify(answer.errors));
    assert.match(answer.data.uploadMedia.coverUrl ?? '', /^http/);
    await progress.done;
    assertProgressEndsIn(progress.snapshots, 'SUCCEEDED');
  });

  it('follows media alone from before the upload (client-chosen id) to SUCCEEDED', async () => {
    const id = randomUUID();
    const progress = watch(id);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const answer = await uploadWithFetch(server.url, key, { media: mediaFile('sse-alone.mp4') }, { id });
    assert.equal(answer.data?.uploadMedia.status, 'SUCCEEDED', JSON.stringify(answer.errors));
    await progress.done;
    assertProgressEndsIn(progress.snapshots, 'SUCCEEDED');
    assert.equal(progress.snapshots.at(-1)?.fileId, answer.data.uploadMedia.fileId);
  });

  it('cancels an upload that is still streaming', async () => {
    const id = randomUUID();
    const progress = watch(id);
    const pending = uploadWithFetch(server.url, key, { media: new TrickleFile(8 * 1024 * 1024, 'sse-slow.mp4') }, { id });
    await waitFor(() => progress.snapshots.some((s) => s.bytesReceived > 0), 'the upload to stream');
    assert.equal((await cancel(id)).status, 'CANCELED');
    const answer = await pending;
    assert.equal(answer.errors?.[0]?.extensions?.['code'], 'RequestCanceled', JSON.stringify(answer));
    await progress.done;
    assertProgressEndsIn(progress.snapshots, 'CANCELED');
  });
});
