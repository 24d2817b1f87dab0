import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { getIntrospectionQuery } from 'graphql';
import WebSocket from 'ws';
import { MAX_JSON_BODY_BYTES, QUERY_LIMITS } from '../../src/graphql/query-limits.ts';
import { startTestServer, type GraphQLAnswer, type TestServer } from '../support/server.ts';
import { subscribeSse, subscribeWs } from '../support/subscriptions.ts';
import { assertInvariants, assertRefused, rawRequest, type Refusal } from './surface-support.ts';

let server: TestServer;
let key: string;

before(async () => {
  server = await startTestServer('hostile-cost');
  key = (await server.app.apiKeys.createKey('hostile-cost')).key;
});
after(async () => {
  await server.dispose();
});

const LIMIT_EXCEEDED = { code: 'LimitExceeded', status: 200 } as const;
const RECORD_FIELDS = `id status region mediaName mediaType coverType procedure subAppId classId storageRegion expireTime sourceContext
  bytesTotal bytesReceived bytesUploaded progress fileId mediaUrl coverUrl requestId error { code message } files { role path bytes sha256 }
  createdAt updatedAt finishedAt`;

/** One subscription field selecting its id under 16 aliases (one over the limit). */
const ALIASED_SUBSCRIPTION = `subscription { uploadProgress(id: "${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}") { ${Array.from({ length: 16 }, (_, i) => `a${i}: id`).join(' ')} } }`;

const aliases = (count: number, selection: string): string =>
  `{ ${Array.from({ length: count }, (_, i) => `a${i}: ${selection}`).join(' ')} }`;

async function refusedQuery(query: string, message: RegExp, expected: Refusal = LIMIT_EXCEEDED): Promise<GraphQLAnswer> {
  const answer = await server.graphql(query, { key });
  assertRefused(answer, expected);
  assert.match(answer.body.errors?.[0]?.message ?? '', message);
  assert.equal(answer.body.data, undefined, 'nothing ran');
  await assertInvariants(server);
  return answer;
}

describe('hostile queries: cost limits (graphql-armor) answer a client error, never InternalError', () => {
  it('refuses 1 000 aliases of uploads(first: 100) at the token limit, before parsing', async () => {
    await refusedQuery(aliases(1_000, 'uploads(first: 100) { edges { node { id } } }'), /Token limit of 1000 exceeded/);
  });

  it('refuses 20 000 nested selections without overflowing the parser stack', async () => {
    await refusedQuery(`{ ${'uploads { edges { node { '.repeat(5_000)}${'} } } '.repeat(5_000)} }`, /Token limit/);
  });

  it('refuses a document of plain fields one token over the limit', async () => {
    await refusedQuery(`{ ${'__typename '.repeat(QUERY_LIMITS.maxTokens - 1)} }`, /Token limit/);
  });

  it(`refuses ${QUERY_LIMITS.maxAliases + 1} aliases`, async () => {
    await refusedQuery(aliases(QUERY_LIMITS.maxAliases + 1, 'uploads(first: 1) { pageInfo { hasNextPage } }'), /Aliases limit of 15 exceeded, found 16/);
  });

  it(`refuses a selection nested deeper than ${QUERY_LIMITS.maxDepth}`, async () => {
    const deep = `{ uploads { edges { node { files { ${'path { x { '.repeat(4)}y${' } }'.repeat(4)} } } } } }`;
    await refusedQuery(deep, /depth limit of 10 exceeded/);
  });

  it('refuses a cycle of fragments as a client error, without recursing forever', async () => {
    const query = '{ uploads { edges { node { ...A } } } } fragment A on MediaUpload { id ...B } fragment B on MediaUpload { status ...A }';
    await refusedQuery(query, /Cannot spread fragment "A" within itself/, { code: 'GRAPHQL_VALIDATION_FAILED', status: 200 });
  });

  it(`refuses ${QUERY_LIMITS.maxDirectives + 1} directives`, async () => {
    await refusedQuery(`{ uploads${' @skip(if: false)'.repeat(QUERY_LIMITS.maxDirectives + 1)} { pageInfo { hasNextPage } } }`, /Directives limit of 10 exceeded/);
  });

  it(`refuses a query whose cost passes ${QUERY_LIMITS.maxCost}`, async () => {
    await refusedQuery(aliases(QUERY_LIMITS.maxAliases, `uploads(first: 100) { edges { cursor node { ${RECORD_FIELDS} } } }`), new RegExp(`Cost limit of ${QUERY_LIMITS.maxCost} exceeded`));
  });

  it('refuses uploads(first: 101) with InvalidParameter rather than clamping', async () => {
    const answer = await server.graphql('{ uploads(first: 101) { pageInfo { hasNextPage } } }', { key });
    assertRefused(answer, { code: 'InvalidParameter', status: 200 });
    assert.match(answer.body.errors?.[0]?.message ?? '', /between 0 and 100/);
    await assertInvariants(server);
  });

  it('refuses uploads(first: -1) with InvalidParameter', async () => {
    const answer = await server.graphql('{ uploads(first: -1) { pageInfo { hasNextPage } } }', { key });
    assertRefused(answer, { code: 'InvalidParameter', status: 200 });
    await assertInvariants(server);
  });

  it('refuses the fan-out of nested introspection (graphql-js MaxIntrospectionDepthRule)', async () => {
    await refusedQuery('{ __schema { types { fields { type { fields { type { fields { type { name } } } } } } } } }', /Maximum introspection depth exceeded/, {
      code: 'GRAPHQL_VALIDATION_FAILED',
      status: 200,
    });
  });

  it("answers GraphiQL's full introspection query and the API's widest legitimate query", async () => {
    const introspection = await server.graphql(
      getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, schemaDescription: true, inputValueDeprecation: true }),
      { key },
    );
    assert.equal(introspection.body.errors, undefined, JSON.stringify(introspection.body.errors));
    assert.ok((introspection.body.data?.['__schema'] as { types: unknown[] }).types.length > 10);
    const widest = await server.graphql(`{ uploads(first: 100) { edges { cursor node { ${RECORD_FIELDS} } } pageInfo { hasNextPage endCursor } } }`, { key });
    assert.equal(widest.body.errors, undefined, JSON.stringify(widest.body.errors));
    await assertInvariants(server);
  });

  it('refuses a JSON body over 1 MiB by its Content-Length with LimitExceeded (413)', async () => {
    const body = JSON.stringify({ query: '{ __typename }', variables: { padding: 'x'.repeat(MAX_JSON_BODY_BYTES) } });
    const answer = await rawRequest(server.url, {
      method: 'POST',
      path: '/graphql',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, 'content-length': String(Buffer.byteLength(body)) },
      body,
    });
    assert.equal(answer.status, 413);
    assert.equal((JSON.parse(answer.text) as GraphQLAnswer['body']).errors?.[0]?.extensions?.['code'], 'LimitExceeded');
    await assertInvariants(server);
  });

  it('refuses a chunked JSON body once it passes 1 MiB with LimitExceeded (413)', async () => {
    const body = JSON.stringify({ query: '{ __typename }', variables: { padding: 'x'.repeat(2 * MAX_JSON_BODY_BYTES) } });
    const answer = await rawRequest(server.url, {
      method: 'POST',
      path: '/graphql',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, 'transfer-encoding': 'chunked' },
      body,
    });
    assert.equal(answer.status, 413);
    assert.equal((JSON.parse(answer.text) as GraphQLAnswer['body']).errors?.[0]?.extensions?.['code'], 'LimitExceeded');
    await assertInvariants(server);
  });

  it('refuses a batch of operations (batching is off): 400', async () => {
    const answer = await rawRequest(server.url, {
      method: 'POST',
      path: '/graphql',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify(Array.from({ length: 100 }, () => ({ query: '{ uploads(first: 100) { edges { cursor } } }' }))),
    });
    assert.equal(answer.status, 400);
    assert.equal((JSON.parse(answer.text) as GraphQLAnswer['body']).errors?.[0]?.extensions?.['code'], 'BAD_REQUEST');
    await assertInvariants(server);
  });

  it('applies the limits to subscriptions over SSE', async () => {
    const subscription = subscribeSse(server.url, key, ALIASED_SUBSCRIPTION, {});
    await subscription.done.catch(() => undefined);
    assert.equal(subscription.events.length, 0);
    assert.equal((subscription.errors[0] as { extensions?: { code?: string } } | undefined)?.extensions?.code, 'LimitExceeded');
    await assertInvariants(server);
  });

  it('applies the token limit to subscriptions over WebSocket, before parsing', async () => {
    const subscription = subscribeWs(server.url, key, `subscription { ${'uploadProgress(id: "x") { '.repeat(2_000)} }`, {});
    await assert.rejects(subscription.done);
    const [errors] = subscription.errors as Array<Array<{ extensions?: { code?: string } }>>;
    assert.equal(errors?.[0]?.extensions?.code, 'LimitExceeded');
    await assertInvariants(server);
  });

  it('applies the alias limit to subscriptions over WebSocket', async () => {
    const subscription = subscribeWs(server.url, key, ALIASED_SUBSCRIPTION, {});
    await assert.rejects(subscription.done);
    const [errors] = subscription.errors as Array<Array<{ extensions?: { code?: string } }>>;
    assert.equal(errors?.[0]?.extensions?.code, 'LimitExceeded');
    await assertInvariants(server);
  });

  it('closes a WebSocket whose message passes 1 MiB (1009, message too big)', async () => {
    const socket = new WebSocket(`${server.url.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws');
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    socket.send(JSON.stringify({ type: 'connection_init', payload: { Authorization: `Bearer ${key}`, padding: 'x'.repeat(MAX_JSON_BODY_BYTES) } }));
    assert.equal(await closed, 1009);
    await assertInvariants(server);
  });
});
