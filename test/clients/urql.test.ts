// @urql/core 6 as its docs show: the fetchExchange sends a GraphQL multipart request when variables
// hold File/Blob values, and with `fetchSubscriptions` it runs subscriptions over SSE through fetch.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Client, fetchExchange } from '@urql/core';
import { startTestServer, type TestServer } from '../support/server.ts';
import {
  assertProgressEndsIn,
  CANCEL_QUERY,
  coverFile,
  MEDIA_BYTES,
  mediaFile,
  PROGRESS_QUERY,
  TrickleFile,
  UPLOAD_QUERY,
  waitFor,
  type Snapshot,
  type UploadResult,
} from './support.ts';

const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'CANCELED']);

let server: TestServer;
let client: Client;

async function upload(input: Record<string, unknown>): Promise<UploadResult> {
  const result = await client.mutation<{ uploadMedia: UploadResult }>(UPLOAD_QUERY, { input }).toPromise();
  assert.ok(result.data, result.error?.message);
  return result.data.uploadMedia;
}

/** urql's sources end silently; the terminal status is the end of this one. */
function watch(id: string): { snapshots: Snapshot[]; done: Promise<void> } {
  const snapshots: Snapshot[] = [];
  let subscription: { unsubscribe(): void } | undefined;
  const done = new Promise<void>((resolve, reject) => {
    subscription = client.subscription<{ uploadProgress: Snapshot }>(PROGRESS_QUERY, { id }).subscribe((result) => {
      if (result.error) reject(result.error);
      if (result.data) snapshots.push(result.data.uploadProgress);
      if (TERMINAL.has(result.data?.uploadProgress.status ?? '')) resolve();
    });
  });
  return { snapshots, done: done.finally(() => subscription?.unsubscribe()) };
}

before(async () => {
  server = await startTestServer('client-urql');
  const { key } = await server.app.apiKeys.createKey('urql');
  client = new Client({
    url: `${server.url}/graphql`,
    exchanges: [fetchExchange],
    fetchSubscriptions: true,
    fetchOptions: { headers: { Authorization: `Bearer ${key}`, 'GraphQL-Require-Preflight': '1' } },
  });
});
after(async () => {
  await server.dispose();
});

describe('@urql/core', () => {
  it('uploads media and cover given in natural key order (media first, over 1 MiB)', async () => {
    const result = await upload({ media: mediaFile('urql.mp4'), cover: coverFile('urql-cover.png'), procedure: 'urql-flow' });
    assert.equal(result.status, 'SUCCEEDED');
    assert.match(result.fileId ?? '', /\S/);
    assert.match(result.coverUrl ?? '', /^http/);
    assert.equal(result.coverType, 'png');
    assert.ok((result.bytesTotal ?? 0) > MEDIA_BYTES);
  });

  it('uploads media alone', async () => {
    const result = await upload({ media: mediaFile('urql-alone.mp4') });
    assert.equal(result.status, 'SUCCEEDED');
    assert.equal(result.coverUrl, null);
  });

  it('follows an upload from before it starts (client-chosen id) to SUCCEEDED, over SSE', async () => {
    const id = randomUUID();
    const progress = watch(id);
    await new Promise((resolve) => setTimeout(resolve, 200)); // the SSE request reaches the server first
    const result = await upload({ id, media: mediaFile('urql-watched.mp4') });
    await progress.done;
    assertProgressEndsIn(progress.snapshots, 'SUCCEEDED');
    assert.equal(progress.snapshots.at(-1)?.fileId, result.fileId);
  });

  it('cancels an upload that is still streaming', async () => {
    // urql appends files to its FormData without a file name, so a slow File keeps its own stream.
    const id = randomUUID();
    const progress = watch(id);
    const pending = client.mutation(UPLOAD_QUERY, { input: { id, media: new TrickleFile(8 * 1024 * 1024, 'urql-slow.mp4') } }).toPromise();
    await waitFor(() => progress.snapshots.some((s) => s.bytesReceived > 0), 'the upload to stream');
    const canceled = await client.mutation<{ cancelUpload: { status: string } }>(CANCEL_QUERY, { id }).toPromise();
    assert.equal(canceled.data?.cancelUpload.status, 'CANCELED', canceled.error?.message);
    const result = await pending;
    assert.equal(result.error?.graphQLErrors[0]?.extensions['code'], 'RequestCanceled', result.error?.message);
    await progress.done;
    assertProgressEndsIn(progress.snapshots, 'CANCELED');
  });
});
