// The tests every subscription client (graphql-sse, graphql-ws) passes: it watches uploads sent by
// fetch as multipart requests (neither carries files) to SUCCEEDED, and cancels one still streaming.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
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
  type SubscribingClient,
} from './support.ts';

export interface ClientUnderTest {
  /** Names the suite, the test server and the files sent (e.g. `sse`). */
  readonly name: string;
  readonly connect: (serverUrl: string, key: string) => SubscribingClient & { dispose(): void | Promise<void> };
}

export function subscribingClientSuite(client: ClientUnderTest): void {
  const { name } = client;
  let server: TestServer;
  let key: string;
  let connected: SubscribingClient & { dispose(): void | Promise<void> };
  const watch = (id: string) => watchProgress(connected, id);

  before(async () => {
    server = await startTestServer(`client-${name}`);
    key = (await server.app.apiKeys.createKey(name)).key;
    connected = client.connect(server.url, key);
  });
  after(async () => {
    await connected?.dispose();
    await server?.dispose();
  });

  describe(`graphql-${name} client`, () => {
    it('watches media and cover sent in natural key order (media first, over 1 MiB) to SUCCEEDED', async () => {
      const id = randomUUID();
      const progress = watch(id);
      await new Promise((resolve) => setTimeout(resolve, 200)); // the subscription reaches the server first
      const answer = await uploadWithFetch(server.url, key, { media: mediaFile(`${name}.mp4`), cover: coverFile(`${name}-cover.png`) }, { id });
      assert.equal(answer.data?.uploadMedia.status, 'SUCCEEDED', JSON.stringify(answer.errors));
      assert.match(answer.data.uploadMedia.coverUrl ?? '', /^http/);
      await progress.done;
      assertProgressEndsIn(progress.snapshots, 'SUCCEEDED');
    });

    it('follows media alone from before the upload (client-chosen id) to SUCCEEDED', async () => {
      const id = randomUUID();
      const progress = watch(id);
      await new Promise((resolve) => setTimeout(resolve, 200));
      const answer = await uploadWithFetch(server.url, key, { media: mediaFile(`${name}-alone.mp4`) }, { id });
      assert.equal(answer.data?.uploadMedia.status, 'SUCCEEDED', JSON.stringify(answer.errors));
      await progress.done;
      assertProgressEndsIn(progress.snapshots, 'SUCCEEDED');
      assert.equal(progress.snapshots.at(-1)?.fileId, answer.data.uploadMedia.fileId);
    });

    it('cancels an upload that is still streaming', async () => {
      const id = randomUUID();
      const progress = watch(id);
      const pending = uploadWithFetch(server.url, key, { media: new TrickleFile(8 * 1024 * 1024, `${name}-slow.mp4`) }, { id });
      await waitFor(() => progress.snapshots.some((s) => s.bytesReceived > 0), 'the upload to stream');
      assert.equal((await cancelThrough(connected, id)).status, 'CANCELED');
      const answer = await pending;
      assert.equal(answer.errors?.[0]?.extensions?.['code'], 'RequestCanceled', JSON.stringify(answer));
      await progress.done;
      assertProgressEndsIn(progress.snapshots, 'CANCELED');
    });
  });
}
