import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { enqueueWebhookDeliveries } from '../../src/webhooks/outbox.ts';
import type { WebhookEventType } from '../../src/webhooks/event-types.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { WebhookReceiver } from '../support/webhook-receiver.ts';

/**
 * Webhooks end to end: the real app (its pg-boss worker on the test Postgres), endpoints made through
 * GraphQL, deliveries added by enqueueWebhookDeliveries in a transaction, and a real receiver on
 * 127.0.0.1 that verifies every request with the standardwebhooks library.
 */
let server: TestServer;
let receiver: WebhookReceiver;
let key: string;
let tenantId: string;
let otherKey: string;
const logLines: string[] = [];

const CREATE = `mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { secret endpoint { id url events enabled } } }`;
const DELIVERIES = `query($endpointId: ID, $status: DeliveryStatus) { webhookDeliveries(endpointId: $endpointId, status: $status, first: 50) {
  edges { node { id endpointId eventType uploadId status attempts lastStatusCode lastError nextAttemptAt deliveredAt } } } }`;

before(async () => {
  receiver = await WebhookReceiver.start();
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(chunk.toString('utf8'));
      done();
    },
  });
  server = await startTestServer('webhooks', {
    env: { WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'on', WEBHOOK_RETRY_DELAYS: '0,1,1', WEBHOOK_TIMEOUT_MS: '3000' },
    logger: pino({ level: 'debug' }, sink),
  });
  ({ key, tenantId } = await server.app.apiKeys.createKey('hooks-a'));
  ({ key: otherKey } = await server.app.apiKeys.createKey('hooks-b'));
});
after(async () => {
  await server.dispose();
  await receiver.close();
});

interface Endpoint {
  id: string;
  secret: string;
}

async function createEndpoint(path: string, events: WebhookEventType[] = ['UPLOAD_SUCCEEDED'], as = key): Promise<Endpoint> {
  const answer = await server.graphql(CREATE, { key: as, variables: { input: { url: `${receiver.url}${path}`, events } } });
  assert.equal(answer.body.errors, undefined, JSON.stringify(answer.body.errors));
  const created = answer.body.data?.['createWebhookEndpoint'] as { secret: string; endpoint: { id: string } };
  receiver.secrets.push(created.secret);
  return { id: created.endpoint.id, secret: created.secret };
}

/** An upload row of the tenant, and the event enqueued in a transaction that commits (or throws to roll back). */
async function uploadWithEvent(type: WebhookEventType, options: { rollBack?: boolean } = {}): Promise<{ uploadId: string; count: number }> {
  const uploadId = randomUUID();
  const { prisma } = server.database.db;
  let count = 0;
  const work = prisma.$transaction(async (tx) => {
    await tx.upload.create({ data: { tenantId, id: uploadId, region: 'ap-guangzhou', mediaName: 'clip', mediaType: 'mp4', status: 'SUCCEEDED', fileId: `f-${uploadId}` } });
    count = await enqueueWebhookDeliveries(tx, { tenantId, uploadId, type });
    if (options.rollBack === true) throw new Error('roll back');
  });
  if (options.rollBack === true) await assert.rejects(work, /roll back/);
  else await work;
  return { uploadId, count };
}

async function deliveriesOf(endpointId: string, as = key) {
  const answer = await server.graphql(DELIVERIES, { key: as, variables: { endpointId } });
  assert.equal(answer.body.errors, undefined, JSON.stringify(answer.body.errors));
  const connection = answer.body.data?.['webhookDeliveries'] as { edges: Array<{ node: Record<string, unknown> }> };
  return connection.edges.map((edge) => edge.node);
}

async function untilDelivery(endpointId: string, condition: (node: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
  for (let tries = 0; tries < 200; tries += 1) {
    const found = (await deliveriesOf(endpointId)).find(condition);
    if (found !== undefined) return found;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the delivery never reached the expected state');
}

describe('signed webhooks', () => {
  it('delivers an enqueued event, signed so standardwebhooks verifies it, with the upload as data', async () => {
    const endpoint = await createEndpoint('/ok');
    const { uploadId, count } = await uploadWithEvent('UPLOAD_SUCCEEDED');
    assert.equal(count, 1);
    await receiver.until(() => receiver.received.some((entry) => entry.body.data['id'] === uploadId));
    const got = receiver.received.find((entry) => entry.body.data['id'] === uploadId)!;
    assert.deepEqual(got.verifiedWith, [receiver.secrets.indexOf(endpoint.secret)]);
    assert.equal(got.body.type, 'upload.succeeded');
    assert.equal(got.body.data['status'], 'SUCCEEDED');
    assert.equal(got.body.data['fileId'], `f-${uploadId}`);
    assert.equal(got.body.data['tenantId'], undefined, 'the tenant id is not part of the record the API shows');
    assert.match(String(got.body.data['createdAt']), /^\d{4}-\d\d-\d\dT/);
    const delivery = await untilDelivery(endpoint.id, (node) => node['uploadId'] === uploadId && node['status'] === 'SUCCEEDED');
    assert.equal(delivery['attempts'], 1);
    assert.equal(delivery['eventType'], 'UPLOAD_SUCCEEDED');
    assert.ok(delivery['deliveredAt'] !== null);
    assert.equal(delivery['nextAttemptAt'], null);
  });

  it('delivers nothing of a transaction that rolled back, and nothing to an endpoint not subscribed', async () => {
    const endpoint = await createEndpoint('/rollback', ['UPLOAD_FAILED']);
    const rolledBack = await uploadWithEvent('UPLOAD_FAILED', { rollBack: true });
    assert.equal(rolledBack.count, 1);
    const notSubscribed = await uploadWithEvent('UPLOAD_CANCELED');
    assert.equal(notSubscribed.count, 0);
    // A committed event after them: once it arrived, the worker has had every chance to send the others.
    const committed = await uploadWithEvent('UPLOAD_FAILED');
    await untilDelivery(endpoint.id, (node) => node['uploadId'] === committed.uploadId && node['status'] === 'SUCCEEDED');
    const ids = receiver.received.map((entry) => entry.body.data['id']);
    assert.ok(!ids.includes(rolledBack.uploadId));
    assert.ok(!ids.includes(notSubscribed.uploadId));
    assert.equal((await deliveriesOf(endpoint.id)).length, 1);
    assert.equal(await server.database.db.prisma.webhookDelivery.count({ where: { uploadId: rolledBack.uploadId } }), 0);
  });

  it('retries after a 500 and delivers on the retry with the same webhook-id; every attempt is recorded', async () => {
    const endpoint = await createEndpoint('/flaky', ['UPLOAD_PAUSED']);
    receiver.answer = ({ path, attempt }) => ({ status: path === '/flaky' && attempt === 1 ? 500 : 200 });
    const { uploadId } = await uploadWithEvent('UPLOAD_PAUSED');
    const delivery = await untilDelivery(endpoint.id, (node) => node['uploadId'] === uploadId && node['status'] === 'SUCCEEDED');
    receiver.answer = () => ({ status: 204 });
    assert.equal(delivery['attempts'], 2);
    assert.equal(delivery['lastStatusCode'], 200);
    const requests = receiver.received.filter((entry) => entry.body.data['id'] === uploadId);
    assert.equal(requests.length, 2);
    assert.equal(requests[0]!.id, requests[1]!.id);
    assert.ok(requests.every((entry) => entry.verifiedWith.length === 1));
    const attempts = await server.database.db.prisma.webhookAttempt.findMany({ where: { deliveryId: String(delivery['id']) }, orderBy: { number: 'asc' } });
    assert.deepEqual(attempts.map((attempt) => [attempt.number, attempt.statusCode]), [[1, 500], [2, 200]]);
    assert.match(attempts[0]!.error ?? '', /^HTTP 500: receiver says no/);
  });

  it('does not follow a redirect, fails the delivery after the last retry, and redeliverWebhook sends it once more', async () => {
    const endpoint = await createEndpoint('/moved', ['UPLOAD_CANCELED']);
    receiver.answer = ({ path }) => (path === '/moved' ? { status: 302, headers: { location: `${receiver.url}/ok` } } : { status: 204 });
    const { uploadId } = await uploadWithEvent('UPLOAD_CANCELED');
    const failed = await untilDelivery(endpoint.id, (node) => node['uploadId'] === uploadId && node['status'] === 'FAILED');
    assert.equal(failed['attempts'], 4, 'the first attempt and the three retries of WEBHOOK_RETRY_DELAYS');
    assert.equal(failed['lastStatusCode'], 302);
    assert.match(String(failed['lastError']), /redirect.*not followed/);
    assert.equal(receiver.received.filter((entry) => entry.body.data['id'] === uploadId).length, 4, 'the redirect target was never asked');
    receiver.answer = () => ({ status: 204 });
    const redelivered = await server.graphql(`mutation($id: ID!) { redeliverWebhook(deliveryId: $id) { id status } }`, { key, variables: { id: failed['id'] } });
    assert.deepEqual(redelivered.body.data?.['redeliverWebhook'], { id: failed['id'], status: 'PENDING' });
    const done = await untilDelivery(endpoint.id, (node) => node['id'] === failed['id'] && node['status'] === 'SUCCEEDED');
    assert.equal(done['attempts'], 5);
  });

  it('disables the endpoint on a 410 Gone and sends it nothing more', async () => {
    const endpoint = await createEndpoint('/gone', ['MEDIA_DELETED']);
    receiver.answer = ({ path }) => ({ status: path === '/gone' ? 410 : 204 });
    const first = await uploadWithEvent('MEDIA_DELETED');
    const failed = await untilDelivery(endpoint.id, (node) => node['uploadId'] === first.uploadId && node['status'] === 'FAILED');
    receiver.answer = () => ({ status: 204 });
    assert.equal(failed['attempts'], 1);
    const listed = await server.graphql('{ webhookEndpoints { id enabled } }', { key });
    const endpoints = listed.body.data?.['webhookEndpoints'] as Array<{ id: string; enabled: boolean }>;
    assert.equal(endpoints.find((entry) => entry.id === endpoint.id)?.enabled, false);
    assert.equal((await uploadWithEvent('MEDIA_DELETED')).count, 0, 'a disabled endpoint gets no new deliveries');
  });

  it('signs with the old and the new secret during a rotation overlap; both verify', async () => {
    const endpoint = await createEndpoint('/rotating', ['PROCESSING_SUCCEEDED']);
    const rotated = await server.graphql(`mutation($id: ID!) { rotateWebhookSecret(id: $id) { secret endpoint { id } } }`, { key, variables: { id: endpoint.id } });
    const newSecret = (rotated.body.data?.['rotateWebhookSecret'] as { secret: string }).secret;
    assert.match(newSecret, /^whsec_[A-Za-z0-9+/]+=*$/);
    assert.notEqual(newSecret, endpoint.secret);
    receiver.secrets.push(newSecret);
    const { uploadId } = await uploadWithEvent('PROCESSING_SUCCEEDED');
    await receiver.until(() => receiver.received.some((entry) => entry.body.data['id'] === uploadId));
    const got = receiver.received.find((entry) => entry.body.data['id'] === uploadId)!;
    assert.equal(String(got.headers['webhook-signature']).split(' ').length, 2);
    assert.deepEqual(
      [...got.verifiedWith].sort(),
      [receiver.secrets.indexOf(endpoint.secret), receiver.secrets.indexOf(newSecret)].sort(),
      'the old secret and the new one each verify the request on their own',
    );
  });

  it("keeps tenants apart: another tenant's endpoints and deliveries are invisible and answer ResourceNotFound", async () => {
    const endpoint = await createEndpoint('/private-to-a', ['UPLOAD_SUCCEEDED']);
    const [delivery] = await deliveriesOf(endpoint.id);
    const listed = await server.graphql('{ webhookEndpoints { id } webhookDeliveries(first: 100) { edges { node { id } } } }', { key: otherKey });
    assert.deepEqual(listed.body.data, { webhookEndpoints: [], webhookDeliveries: { edges: [] } });
    for (const [query, variables] of [
      [`mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }`, { id: endpoint.id }],
      [`mutation($id: ID!) { rotateWebhookSecret(id: $id) { secret } }`, { id: endpoint.id }],
      [`mutation($input: UpdateWebhookEndpointInput!) { updateWebhookEndpoint(input: $input) { id } }`, { input: { id: endpoint.id, enabled: false } }],
      [DELIVERIES, { endpointId: endpoint.id }],
      [`mutation($id: ID!) { redeliverWebhook(deliveryId: $id) { id } }`, { id: delivery?.['id'] ?? randomUUID() }],
    ] as const) {
      const answer = await server.graphql(query, { key: otherKey, variables });
      assert.equal(answer.body.errors?.[0]?.extensions?.['code'], 'ResourceNotFound', query);
    }
    const still = await server.graphql('{ webhookEndpoints { id enabled } }', { key });
    assert.ok((still.body.data?.['webhookEndpoints'] as Array<{ id: string; enabled: boolean }>).some((entry) => entry.id === endpoint.id && entry.enabled));
  });

  it('validates input with InvalidParameter, and updates and deletes an endpoint', async () => {
    for (const input of [
      { url: 'not a url', events: ['UPLOAD_SUCCEEDED'] },
      { url: 'ftp://127.0.0.1/x', events: ['UPLOAD_SUCCEEDED'] },
      { url: 'http://user:pw@127.0.0.1/x', events: ['UPLOAD_SUCCEEDED'] },
      { url: `${receiver.url}/x`, events: [] },
    ]) {
      const answer = await server.graphql(CREATE, { key, variables: { input } });
      assert.equal(answer.body.errors?.[0]?.extensions?.['code'], 'InvalidParameter', JSON.stringify(input));
    }
    const endpoint = await createEndpoint('/to-change');
    const updated = await server.graphql(`mutation($input: UpdateWebhookEndpointInput!) { updateWebhookEndpoint(input: $input) { url events enabled } }`, {
      key,
      variables: { input: { id: endpoint.id, url: `${receiver.url}/changed`, events: ['UPLOAD_FAILED', 'UPLOAD_FAILED'], enabled: false } },
    });
    assert.deepEqual(updated.body.data?.['updateWebhookEndpoint'], { url: `${receiver.url}/changed`, events: ['UPLOAD_FAILED'], enabled: false });
    const deleted = await server.graphql(`mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }`, { key, variables: { id: endpoint.id } });
    assert.equal(deleted.body.data?.['deleteWebhookEndpoint'], true);
    const again = await server.graphql(`mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }`, { key, variables: { id: endpoint.id } });
    assert.equal(again.body.errors?.[0]?.extensions?.['code'], 'ResourceNotFound');
  });

  it('never shows a secret: not in queries, not in the database in clear, not in the logs', async () => {
    const listed = await server.graphql('{ webhookEndpoints { id url events enabled createdAt } }', { key });
    assert.ok(!JSON.stringify(listed.body).includes('whsec_'));
    const rows = await server.database.db.prisma.webhookEndpoint.findMany();
    const stored = JSON.stringify(rows);
    const logs = logLines.join('');
    assert.ok(logs.length > 0, 'the app logged (the failed attempts above at least)');
    for (const secret of receiver.secrets) {
      const bare = secret.slice('whsec_'.length);
      assert.ok(!stored.includes(bare), 'the database keeps only sealed secrets');
      assert.ok(!logs.includes(bare), 'no secret in the logs');
    }
    assert.ok(!logs.includes('webhook-signature'), 'no signature header in the logs');
  });
});
