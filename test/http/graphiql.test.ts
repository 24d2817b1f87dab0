import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { getIntrospectionQuery } from 'graphql';
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
  it("opens on this API's examples, with the key kept out of storage", async () => {
    const page = await fetch(`${server.url}/graphql`, { headers: { accept: 'text/html' } });
    assert.equal(page.status, 200);
    const html = await page.text();
    for (const example of ['query RecentUploads', 'subscription WatchUpload', 'mutation CancelUpload', 'Bearer <your api key>']) {
      assert.ok(html.includes(example), `the page carries ${example}`);
    }
    assert.match(html, /"defaultTabs":\[\{"query":"# vod-ingest/);
    assert.match(html, /"shouldPersistHeaders":false/);
  });
});
