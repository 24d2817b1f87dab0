// Apollo Client 4 with apollo-upload-client 19, set up the way their READMEs show: UploadHttpLink
// (v19's name for createUploadLink) for queries and mutations, GraphQLWsLink for subscriptions.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ApolloClient, ApolloLink, InMemoryCache, gql } from '@apollo/client';
import { CombinedGraphQLErrors } from '@apollo/client/errors';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { getMainDefinition } from '@apollo/client/utilities';
import UploadHttpLink from 'apollo-upload-client/UploadHttpLink.mjs';
import { Kind, OperationTypeNode } from 'graphql';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { startTestServer, type TestServer } from '../support/server.ts';
import {
  appendKeepingStream,
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

let server: TestServer;
let client: ApolloClient;
let closeSocket: () => void | Promise<void>;

function apolloClient(url: string, key: string, upload: { formDataAppendFile?: (form: FormData, field: string, file: Blob) => void } = {}) {
  const wsClient = createClient({
    url: `${url.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { Authorization: `Bearer ${key}` },
  });
  const httpLink = new UploadHttpLink({
    uri: `${url}/graphql`,
    headers: { Authorization: `Bearer ${key}`, 'Apollo-Require-Preflight': 'true' },
    ...upload,
  });
  const link = ApolloLink.split(
    ({ query }) => {
      const definition = getMainDefinition(query);
      return definition.kind === Kind.OPERATION_DEFINITION && definition.operation === OperationTypeNode.SUBSCRIPTION;
    },
    new GraphQLWsLink(wsClient),
    httpLink,
  );
  return { client: new ApolloClient({ link, cache: new InMemoryCache() }), close: () => wsClient.dispose() };
}

async function upload(apollo: ApolloClient, input: Record<string, unknown>): Promise<UploadResult> {
  const result = await apollo.mutate<{ uploadMedia: UploadResult }>({ mutation: gql(UPLOAD_QUERY), variables: { input } });
  assert.ok(result.data, JSON.stringify(result.error));
  return result.data.uploadMedia;
}

function watch(apollo: ApolloClient, id: string): { snapshots: Snapshot[]; done: Promise<void> } {
  const snapshots: Snapshot[] = [];
  const done = new Promise<void>((resolve, reject) => {
    apollo.subscribe<{ uploadProgress: Snapshot }>({ query: gql(PROGRESS_QUERY), variables: { id } }).subscribe({
      next: (result) => {
        if (result.data) snapshots.push(result.data.uploadProgress);
      },
      error: reject,
      complete: resolve,
    });
  });
  return { snapshots, done };
}

before(async () => {
  server = await startTestServer('client-apollo');
  const { key } = await server.app.apiKeys.createKey('apollo');
  const made = apolloClient(server.url, key);
  client = made.client;
  closeSocket = made.close;
});
after(async () => {
  await closeSocket();
  client.stop();
  await server.dispose();
});

describe('Apollo Client + apollo-upload-client', () => {
  it('uploads media and cover given in natural key order (media first, over 1 MiB)', async () => {
    const result = await upload(client, { media: mediaFile('apollo.mp4'), cover: coverFile('apollo-cover.png'), procedure: 'apollo-flow' });
    assert.equal(result.status, 'SUCCEEDED');
    assert.match(result.fileId ?? '', /\S/);
    assert.match(result.coverUrl ?? '', /^http/);
    assert.equal(result.coverType, 'png');
    assert.ok((result.bytesTotal ?? 0) > MEDIA_BYTES);
  });

  it('uploads media alone', async () => {
    const result = await upload(client, { media: mediaFile('apollo-alone.mp4') });
    assert.equal(result.status, 'SUCCEEDED');
    assert.equal(result.coverUrl, null);
  });

  it('follows an upload from before it starts (client-chosen id) to SUCCEEDED', async () => {
    const id = randomUUID();
    const progress = watch(client, id);
    await new Promise((resolve) => setTimeout(resolve, 200)); // the socket subscribes; no event is expected yet
    const result = await upload(client, { id, media: mediaFile('apollo-watched.mp4') });
    await progress.done;
    assertProgressEndsIn(progress.snapshots, 'SUCCEEDED');
    assert.equal(progress.snapshots.at(-1)?.fileId, result.fileId);
  });

  it('cancels an upload that is still streaming', async () => {
    // Apollo's default appender passes file.name, which makes FormData copy the file; appending
    // without it lets the trickling stream through (an option UploadHttpLink documents).
    const { key } = await server.app.apiKeys.createKey('apollo-cancel');
    const slow = apolloClient(server.url, key, { formDataAppendFile: appendKeepingStream });
    try {
      const id = randomUUID();
      const progress = watch(slow.client, id);
      const pending = upload(slow.client, { id, media: new TrickleFile(8 * 1024 * 1024, 'apollo-slow.mp4') });
      pending.catch(() => undefined);
      await waitFor(() => progress.snapshots.some((s) => s.bytesReceived > 0), 'the upload to stream');
      const canceled = await slow.client.mutate<{ cancelUpload: { status: string } }>({ mutation: gql(CANCEL_QUERY), variables: { id } });
      assert.equal(canceled.data?.cancelUpload.status, 'CANCELED');
      await assert.rejects(pending, (error: unknown) => {
        assert.ok(CombinedGraphQLErrors.is(error), String(error));
        assert.equal(error.errors[0]?.extensions?.['code'], 'RequestCanceled');
        return true;
      });
      await progress.done;
      assertProgressEndsIn(progress.snapshots, 'CANCELED');
    } finally {
      await slow.close();
      slow.client.stop();
    }
  });
});
