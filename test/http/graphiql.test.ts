import { parse, validate } from 'graphql';
import { GRAPHIQL_OPTIONS } from '../../src/http/graphiql.ts';
import { schema } from '../../src/graphql/schema/index.ts';
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { getIntrospectionQuery } from 'graphql';
import { decodedBody, wireRequest, type WireAnswer } from '../support/wire-request.ts';
import { subscribeSse, PROGRESS_SUBSCRIPTION } from '../support/subscriptions.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

let server: TestServer;
let key: string;

before(async () => {
  server = await startTestServer('graphiql');
  key = (await server.app.apiKeys.createKey('graphiql')).key;
});
after(async () => {
  await server.dispose();
});

function assertAuthFailure(answer: Awaited<ReturnType<TestServer['graphql']>>): void {
  assert.equal(answer.status, 401, JSON.stringify(answer.body));
  assert.equal(answer.body.errors?.[0]?.extensions?.['code'], 'AuthFailure');
  assert.equal(answer.body.data, undefined);
  assert.equal(answer.body.errors?.[0]?.extensions?.['http'], undefined, 'no internal extension leaks');
}

describe('GraphiQL without a key', () => {
  it("runs GraphiQL's introspection query without a key, and with a wrong one", async () => {
    for (const options of [{}, { key: 'vodk_00000000_wrong' }]) {
      const answer = await server.graphql(getIntrospectionQuery(), options);
      assert.equal(answer.status, 200, JSON.stringify(answer.body.errors));
      const types = (answer.body.data?.['__schema'] as { types: Array<{ name: string }> }).types.map((type) => type.name);
      assert.ok(types.includes('MediaUpload') && types.includes('UploadMediaInput'));
    }
    const typename = await server.graphql('{ __typename t: __type(name: "UploadStatus") { enumValues { name } } }');
    assert.equal(typename.status, 200);
    assert.equal(typename.body.data?.['__typename'], 'Query');
  });

  it('refuses anything that reads data, however it is dressed up', async () => {
    const documents = [
      '{ __schema { queryType { name } } uploads(first: 1) { edges { node { id } } } }',
      '{ ...F } fragment F on Query { __typename uploads(first: 1) { edges { node { id } } } }',
      '{ ... on Query { upload(id: "00000000-0000-4000-8000-000000000000") { id } } }',
      'mutation { __typename }',
    ];
    for (const document of documents) {
      const answer = await server.graphql(document, { variables: {} });
      assertAuthFailure(answer);
    }
    const named = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'query A { __typename } query B { uploads(first: 1) { edges { node { id } } } }', operationName: 'B' }),
    });
    assertAuthFailure({ status: named.status, body: (await named.json()) as Awaited<ReturnType<TestServer['graphql']>>['body'] });
    // What does not parse or validate gets its GraphQL error (the schema is public) and runs nothing.
    for (const broken of ['{ "__schema" }', '{ ...Loop } fragment Loop on Query { ...Loop }']) {
      const answer = await server.graphql(broken);
      assert.equal(answer.body.data, undefined);
      assert.ok((answer.body.errors?.length ?? 0) > 0);
    }
  });

  it('says where the key goes when it is missing', async () => {
    const answer = await server.graphql('{ uploads(first: 1) { edges { node { id } } } }');
    assertAuthFailure(answer);
    assert.match(answer.body.errors?.[0]?.message ?? '', /Headers tab.*"Authorization": "Bearer <api key>"/);
  });

  it('refuses a subscription without a key', async () => {
    const subscription = subscribeSse(server.url, 'vodk_00000000_wrong', PROGRESS_SUBSCRIPTION, { id: '00000000-0000-4000-8000-000000000000' });
    await subscription.done.catch(() => undefined);
    assert.equal(subscription.events.length, 0);
  });

  it('still answers a keyed request as before', async () => {
    const answer = await server.graphql('{ __typename uploads(first: 1) { edges { node { id } } } }', { key });
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.body.data, { __typename: 'Query', uploads: { edges: [] } });
  });
});

describe('GraphiQL page', () => {
  it('offers only examples that are valid against the schema', () => {
    const document = parse(String(GRAPHIQL_OPTIONS.defaultQuery));
    assert.deepEqual(validate(schema, document).map((error) => error.message), []);
    assert.ok(document.definitions.length >= 6);
  });

  it("opens on this API's examples, with the key kept out of storage", async () => {
    const page = await fetch(`${server.url}/graphql`, { headers: { accept: 'text/html' } });
    assert.equal(page.status, 200);
    const html = await page.text();
    for (const example of [
      'query RecentUploads',
      'subscription WatchUpload',
      'mutation CancelUpload',
      'subscription WatchProcessing',
      'query MediaInfo',
      'mutation DeleteMedia',
      'Bearer <your api key>',
    ]) {
      assert.ok(html.includes(example), `the page carries ${example}`);
    }
    assert.match(html, /"defaultTabs":\[\{"query":"# vod-ingest/);
    assert.match(html, /"shouldPersistHeaders":false/);
  });
});

const KiB = 1024;
const MB = 1000 * 1000;
/** What Chromium sends. */
const BROWSER_ACCEPT_ENCODING = 'gzip, deflate, br, zstd';
const PAGE_HEADERS = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };

describe('GraphiQL page on the wire', () => {
  let plain: WireAnswer;
  before(async () => {
    plain = await wireRequest(`${server.url}/graphql`, { headers: PAGE_HEADERS });
  });

  it('is plain to a client that accepts no coding, with a strong ETag', () => {
    assert.equal(plain.status, 200);
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.equal(Number(plain.headers['content-length']), plain.body.length);
    assert.ok(plain.body.length > 3 * MB, `the page is ${plain.body.length} bytes uncompressed`);
    assert.match(plain.headers.etag ?? '', /^"[\w-]+"$/);
    assert.equal(plain.headers['cache-control'], 'no-cache');
    assert.match(plain.headers.vary ?? '', /accept-encoding/i);
  });

  it('comes compressed under 3 MB on a first load, in the coding the browser prefers, and decodes to the same page', async () => {
    const cases = [
      { acceptEncoding: BROWSER_ACCEPT_ENCODING, coding: 'br' },
      { acceptEncoding: 'gzip', coding: 'gzip' },
      { acceptEncoding: 'br;q=0.5, gzip;q=1', coding: 'gzip' },
    ];
    const etags = new Set([plain.headers.etag]);
    for (const { acceptEncoding, coding } of cases) {
      const first = await wireRequest(`${server.url}/graphql`, { headers: { ...PAGE_HEADERS, 'accept-encoding': acceptEncoding } });
      assert.equal(first.status, 200);
      assert.equal(first.headers['content-encoding'], coding, acceptEncoding);
      assert.equal(Number(first.headers['content-length']), first.body.length);
      assert.ok(first.wireBytes < 3 * MB, `${coding}: ${first.wireBytes} bytes on the wire`);
      assert.ok(decodedBody(first).equals(plain.body), `${coding} decodes to the page`);
      assert.match(first.headers.vary ?? '', /accept-encoding/i);
      etags.add(first.headers.etag);
    }
    assert.equal(etags.size, 3, 'each coding has its own validator');
  });

  it('answers a reload with the page in cache 304, under 50 KB on the wire; a stale or forced reload gets the page', async () => {
    const headers = { ...PAGE_HEADERS, 'accept-encoding': BROWSER_ACCEPT_ENCODING };
    const first = await wireRequest(`${server.url}/graphql`, { headers });
    const etag = first.headers.etag ?? '';
    const repeat = await wireRequest(`${server.url}/graphql`, { headers: { ...headers, 'if-none-match': etag } });
    assert.equal(repeat.status, 304);
    assert.equal(repeat.body.length, 0);
    assert.equal(repeat.headers.etag, etag);
    assert.ok(repeat.wireBytes < 50 * KiB, `${repeat.wireBytes} bytes on the wire`);
    const listed = await wireRequest(`${server.url}/graphql`, { headers: { ...headers, 'if-none-match': `"stale", W/${etag}` } });
    assert.equal(listed.status, 304, 'If-None-Match compares weakly and takes a list');

    const stale = await wireRequest(`${server.url}/graphql`, { headers: { ...headers, 'if-none-match': '"an-older-page"' } });
    assert.equal(stale.status, 200);
    assert.ok(decodedBody(stale).equals(plain.body));
    const forced = await wireRequest(`${server.url}/graphql`, { headers: { ...headers, 'if-none-match': etag, 'cache-control': 'no-cache' } });
    assert.equal(forced.status, 200, 'a hard reload');
    // A client that now takes only gzip does not get a 304 for the brotli bytes it has.
    const otherCoding = await wireRequest(`${server.url}/graphql`, { headers: { ...PAGE_HEADERS, 'accept-encoding': 'gzip', 'if-none-match': etag } });
    assert.equal(otherCoding.status, 200);
    assert.equal(otherCoding.headers['content-encoding'], 'gzip');
  });
});

describe('JSON answers on the wire', () => {
  const post = (query: string, acceptEncoding?: string) =>
    wireRequest(`${server.url}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json, application/json',
        ...(acceptEncoding === undefined ? {} : { 'accept-encoding': acceptEncoding }),
      },
      body: JSON.stringify({ query }),
    });

  it('compresses a large answer when the client accepts it, and sends it plain when not', async () => {
    const plain = await post(getIntrospectionQuery());
    assert.equal(plain.status, 200);
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.equal(Number(plain.headers['content-length']), plain.body.length);
    assert.ok(plain.body.length > 20 * KiB, `introspection is ${plain.body.length} bytes`);
    assert.match(plain.headers.vary ?? '', /accept-encoding/i);
    const answer = JSON.parse(plain.body.toString('utf8')) as unknown;
    for (const [acceptEncoding, coding] of [
      [BROWSER_ACCEPT_ENCODING, 'br'],
      ['gzip', 'gzip'],
      ['gzip;q=1, br;q=0.1', 'gzip'],
    ] as const) {
      const compressed = await post(getIntrospectionQuery(), acceptEncoding);
      assert.equal(compressed.headers['content-encoding'], coding, acceptEncoding);
      assert.equal(Number(compressed.headers['content-length']), compressed.body.length);
      assert.ok(compressed.body.length * 4 < plain.body.length, `${coding}: ${compressed.body.length} of ${plain.body.length} bytes`);
      assert.match(compressed.headers['content-type'] ?? '', /json/);
      assert.match(compressed.headers.vary ?? '', /accept-encoding/i);
      assert.deepEqual(JSON.parse(decodedBody(compressed).toString('utf8')), answer);
    }
    for (const refusing of ['identity', 'br;q=0, gzip;q=0', 'deflate']) {
      const uncompressed = await post(getIntrospectionQuery(), refusing);
      assert.equal(uncompressed.headers['content-encoding'], undefined, refusing);
      assert.equal(uncompressed.body.length, plain.body.length);
    }
  });

  it('sends a small answer plain, and an error answer still decodes', async () => {
    const small = await post('{ __typename }', BROWSER_ACCEPT_ENCODING);
    assert.equal(small.headers['content-encoding'], undefined);
    assert.deepEqual(JSON.parse(small.body.toString('utf8')), { data: { __typename: 'Query' } });
    const refused = await post('{ uploads(first: 1) { edges { node { id } } } }', BROWSER_ACCEPT_ENCODING);
    assert.equal(refused.status, 401);
    const body = JSON.parse(decodedBody(refused).toString('utf8')) as { errors: Array<{ extensions: { code: string } }> };
    assert.equal(body.errors[0]?.extensions.code, 'AuthFailure');
  });

  it('never compresses a subscription stream (SSE)', async () => {
    const response = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const request = http.request(`${server.url}/graphql`, {
        method: 'POST',
        agent: false,
        headers: {
          'content-type': 'application/json',
          accept: 'text/event-stream',
          'accept-encoding': BROWSER_ACCEPT_ENCODING,
          authorization: `Bearer ${key}`,
        },
      });
      request.once('response', resolve).once('error', reject);
      request.end(JSON.stringify({ query: PROGRESS_SUBSCRIPTION, variables: { id: '00000000-0000-4000-8000-000000000000' } }));
    });
    try {
      assert.equal(response.statusCode, 200);
      assert.match(response.headers['content-type'] ?? '', /^text\/event-stream/);
      // yoga marks the stream `Content-Encoding: none` so that proxies leave it alone too.
      assert.ok([undefined, 'none'].includes(response.headers['content-encoding']), response.headers['content-encoding']);
    } finally {
      response.socket.destroy();
    }
  });
});
