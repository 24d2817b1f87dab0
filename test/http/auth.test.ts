import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { KEY_LOOKUP_TTL_MS } from '../../src/auth/recent-keys.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const UPLOADS_QUERY = '{ uploads(first: 5) { edges { node { id mediaName } } } }';

let server: TestServer;
let keyA: string;
let keyB: string;
let tenantA: string;

before(async () => {
  server = await startTestServer('auth');
  const createdA = await server.app.apiKeys.createKey('tenant-a');
  keyA = createdA.key;
  tenantA = createdA.tenantId;
  keyB = (await server.app.apiKeys.createKey('tenant-b')).key;
});
after(async () => {
  await server.dispose();
});

function assertAuthFailure(answer: Awaited<ReturnType<TestServer['graphql']>>): void {
  assert.equal(answer.status, 401);
  assert.equal(answer.body.errors?.[0]?.extensions?.['code'], 'AuthFailure');
  assert.equal(answer.body.data, undefined);
}

describe('authentication', () => {
  it('refuses a request without a key', async () => {
    assertAuthFailure(await server.graphql(UPLOADS_QUERY));
  });

  it('refuses an unknown key and a malformed header', async () => {
    assertAuthFailure(await server.graphql(UPLOADS_QUERY, { key: `${keyA}x` }));
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${keyA}` },
      body: JSON.stringify({ query: UPLOADS_QUERY }),
    });
    assert.equal(response.status, 401);
  });

  it('accepts a valid key and refuses it once revoked', async () => {
    const { key, prefix } = await server.app.apiKeys.createKey('tenant-c');
    const ok = await server.graphql(UPLOADS_QUERY, { key });
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.body.data, { uploads: { edges: [] } });
    assert.equal(await server.app.apiKeys.revokeKey(prefix), true);
    assertAuthFailure(await server.graphql(UPLOADS_QUERY, { key }));
  });

  it('refuses a key revoked elsewhere on every instance within a second', async (t) => {
    assert.ok(KEY_LOOKUP_TTL_MS <= 500, 'a kept lookup leaves half of the second for the database read');
    const second = await startTestServer('auth-second', { database: server.database, emulator: server.emulator });
    try {
      const { key, prefix } = await server.app.apiKeys.createKey('tenant-revoked-elsewhere');
      const instances = [server, second];
      // Both instances have just looked the key up (and keep it).
      for (const instance of instances) assert.equal((await instance.graphql(UPLOADS_QUERY, { key })).status, 200);
      // Revoked as the keys CLI of another process revokes it: in the database, no instance told.
      await server.database.db.pool.query(`UPDATE "${server.database.schema}".api_keys SET revoked_at = now() WHERE prefix = $1`, [prefix]);
      const revokedAt = performance.now();
      const refusedAfterMs = await Promise.all(
        instances.map(async (instance) => {
          for (;;) {
            const sentAt = performance.now();
            const answer = await instance.graphql(UPLOADS_QUERY, { key });
            if (answer.status === 401) return performance.now() - revokedAt;
            // Accepted: only while the lookup made before the revocation may still be kept.
            assert.ok(sentAt - revokedAt < KEY_LOOKUP_TTL_MS, `accepted ${Math.round(sentAt - revokedAt)} ms after the revocation`);
            await sleep(20);
          }
        }),
      );
      t.diagnostic(`revoked key refused after ${refusedAfterMs.map((ms) => `${Math.round(ms)} ms`).join(' and ')} (two instances)`);
      // Revoked here: forgotten at once on this instance.
      const other = await server.app.apiKeys.createKey('tenant-revoked-here');
      assert.equal((await server.graphql(UPLOADS_QUERY, { key: other.key })).status, 200);
      assert.equal(await server.app.apiKeys.revokeKey(other.prefix), true);
      assertAuthFailure(await server.graphql(UPLOADS_QUERY, { key: other.key }));
    } finally {
      await second.dispose();
    }
  });

  it('stores keys hashed, never in clear', async () => {
    const { rows } = await server.database.db.pool.query<{ key_hash: string; prefix: string }>(
      `SELECT key_hash, prefix FROM "${server.database.schema}".api_keys`,
    );
    assert.ok(rows.length >= 2);
    for (const row of rows) {
      assert.match(row.key_hash, /^[0-9a-f]{64}$/);
      assert.ok(!keyA.includes(row.key_hash) && row.key_hash !== keyA);
      assert.ok(keyA.startsWith(row.prefix) || keyB.startsWith(row.prefix) || row.prefix.startsWith('vodk_'));
    }
  });

  it('serves the GraphiQL page without a key, but no operation', async () => {
    const page = await fetch(`${server.url}/graphql`, { headers: { accept: 'text/html' } });
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, /graphiql/i);
    assert.doesNotMatch(html, /<script[^>]+src=["']?https?:|<link[^>]+href=["']?https?:/i, 'no asset comes from a CDN (works offline)');
    // A link with a query opens GraphiQL on it; asked for as JSON, the operation itself needs a key.
    const link = await fetch(`${server.url}/graphql?query=${encodeURIComponent(UPLOADS_QUERY)}`, {
      headers: { accept: 'text/html' },
    });
    assert.match(link.headers.get('content-type') ?? '', /text\/html/);
    assert.doesNotMatch(await link.text(), /"edges":\[/);
    const operation = await fetch(`${server.url}/graphql?query=${encodeURIComponent(UPLOADS_QUERY)}`, {
      headers: { accept: 'application/json' },
    });
    assert.equal(operation.status, 401);
  });
});

describe('tenant isolation', () => {
  it("answers ResourceNotFound for another tenant's upload and lists only one's own", async () => {
    const id = randomUUID();
    await server.database.db.prisma.upload.create({
      data: { tenantId: tenantA, id, region: 'ap-guangzhou', mediaName: 'private', mediaType: 'mp4' },
    });
    const query = 'query($id: ID!) { upload(id: $id) { id mediaName status } }';

    const own = await server.graphql(query, { key: keyA, variables: { id } });
    assert.deepEqual(own.body.data, { upload: { id, mediaName: 'private', status: 'PENDING' } });

    const foreign = await server.graphql(query, { key: keyB, variables: { id } });
    assert.equal(foreign.body.errors?.[0]?.extensions?.['code'], 'ResourceNotFound');
    assert.deepEqual(foreign.body.data, { upload: null });

    const listA = await server.graphql(UPLOADS_QUERY, { key: keyA });
    assert.deepEqual(listA.body.data, { uploads: { edges: [{ node: { id, mediaName: 'private' } }] } });
    const listB = await server.graphql(UPLOADS_QUERY, { key: keyB });
    assert.deepEqual(listB.body.data, { uploads: { edges: [] } });
  });

  it('answers ResourceNotFound for an id that is not a UUID', async () => {
    const answer = await server.graphql('{ upload(id: "../etc") { id } }', { key: keyA });
    assert.equal(answer.body.errors?.[0]?.extensions?.['code'], 'ResourceNotFound');
  });
});
