import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { SecretSeal } from '../../src/auth/secret-seal.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { DeliveryWorker } from '../../src/webhooks/delivery-worker.ts';
import { checkEndpoint, parseEndpointUrl, type ResolveAll, type ResolvedAddress } from '../../src/webhooks/endpoint-address.ts';
import { enqueueWebhookDeliveries } from '../../src/webhooks/outbox.ts';
import { WebhookEndpoints } from '../../src/webhooks/webhook-endpoints.ts';
import { openTestDatabase, type TestDatabase } from '../support/database.ts';
import { WebhookReceiver } from '../support/webhook-receiver.ts';

/** A resolver stub that records every name asked and answers from a table; never a real DNS query. */
function stubResolver(table: Record<string, string[]>): ResolveAll & { asked: string[] } {
  const asked: string[] = [];
  const resolve = (hostname: string): Promise<ResolvedAddress[]> => {
    asked.push(hostname);
    const addresses = table[hostname];
    if (addresses === undefined) return Promise.reject(new Error('ENOTFOUND'));
    return Promise.resolve(addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));
  };
  return Object.assign(resolve, { asked });
}

const REFUSED_ALWAYS = [
  'https://0.0.0.0/',
  'https://[::]/',
  'https://224.0.0.1/',
  'https://255.255.255.255/',
  'https://[ff02::1]/',
  'https://240.0.0.1/',
];
const PRIVATE = [
  'https://127.0.0.1/',
  'https://2130706433/',
  'https://0177.0.0.1/',
  'https://0x7f.1/',
  'https://127.1/',
  'https://[::1]/',
  'https://[::ffff:127.0.0.1]/',
  'https://[::ffff:7f00:1]/',
  'https://10.1.2.3/',
  'https://172.16.0.1/',
  'https://172.31.255.255/',
  'https://192.168.1.1/',
  'https://100.64.0.1/',
  'https://169.254.169.254/latest/meta-data/',
  'https://[fe80::1]/',
  'https://[fc00::1]/',
  'https://[fd12:3456::1]/',
  'https://[::ffff:10.0.0.1]/',
  'https://internal.example/',
  'https://mixed.example/',
];

describe('endpoint address checks (stubbed resolver)', () => {
  const resolveAll = stubResolver({
    'internal.example': ['10.0.0.7'],
    'mixed.example': ['93.184.216.34', '192.168.0.10'],
    'public.example': ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946'],
  });

  for (const url of PRIVATE) {
    it(`refuses ${url} unless private networks are allowed`, async () => {
      await assert.rejects(checkEndpoint(parseEndpointUrl(url), { allowPrivateNetworks: false, resolveAll }), (error: { code?: string }) => error.code === 'InvalidParameter');
      await checkEndpoint(parseEndpointUrl(url), { allowPrivateNetworks: true, resolveAll });
    });
  }

  for (const url of REFUSED_ALWAYS) {
    it(`refuses ${url} even with private networks allowed`, async () => {
      await assert.rejects(checkEndpoint(parseEndpointUrl(url), { allowPrivateNetworks: true, resolveAll }), (error: { code?: string }) => error.code === 'InvalidParameter');
    });
  }

  it('normalises numeric IPv4 spellings before judging them (WHATWG URL)', () => {
    for (const url of ['http://2130706433/', 'http://0177.0.0.1/', 'http://0x7f.1/']) assert.equal(parseEndpointUrl(url).hostname, '127.0.0.1');
  });

  it('accepts a public https endpoint (every address public), refuses it over plain http, and refuses a name that does not resolve', async () => {
    const checked = await checkEndpoint(parseEndpointUrl('https://public.example/hook'), { allowPrivateNetworks: false, resolveAll });
    assert.equal(checked.addresses.length, 2);
    await assert.rejects(checkEndpoint(parseEndpointUrl('http://public.example/hook'), { allowPrivateNetworks: false, resolveAll }), /https/);
    await assert.rejects(checkEndpoint(parseEndpointUrl('https://nowhere.example/'), { allowPrivateNetworks: false, resolveAll }), /does not resolve/);
    await checkEndpoint(parseEndpointUrl('http://127.0.0.1:9/'), { allowPrivateNetworks: true, resolveAll });
  });
});

describe('a name that turns private after the check', () => {
  let database: TestDatabase;
  let receiver: WebhookReceiver;
  before(async () => {
    database = await openTestDatabase('ssrf');
    receiver = await WebhookReceiver.start();
  });
  after(async () => {
    await database.dispose();
    await receiver.close();
  });

  it('is refused at delivery time: the resolver is asked, no connection is made, the attempt is recorded', async () => {
    const { prisma } = database.db;
    const port = new URL(receiver.url).port;
    const table: Record<string, string[]> = { 'rebind.example': ['93.184.216.34'] };
    const resolveAll = stubResolver(table);
    const seal = SecretSeal.withKey(Buffer.alloc(32, 7));
    const endpoints = new WebhookEndpoints(prisma, seal, { allowPrivateNetworks: false, resolveAll });
    const tenant = await prisma.tenant.create({ data: { name: 'ssrf' } });
    const { endpoint } = await endpoints.create(tenant.id, { url: `https://rebind.example:${port}/hook`, events: ['UPLOAD_SUCCEEDED'] });
    const uploadId = randomUUID();
    await prisma.$transaction(async (tx) => {
      await tx.upload.create({ data: { tenantId: tenant.id, id: uploadId, region: 'ap-guangzhou', mediaName: 'm', mediaType: 'mp4', status: 'SUCCEEDED' } });
      assert.equal(await enqueueWebhookDeliveries(tx, { tenantId: tenant.id, uploadId, type: 'UPLOAD_SUCCEEDED' }), 1);
    });
    // The name now points at the loopback receiver (DNS rebinding).
    table['rebind.example'] = ['127.0.0.1'];
    resolveAll.asked.length = 0;
    const worker = new DeliveryWorker({
      db: database.db,
      seal,
      config: { retryDelaysMs: [60_000], timeoutMs: 2000, allowPrivateNetworks: false },
      logger: createLogger('silent'),
      resolveAll,
    });
    const delivery = await prisma.webhookDelivery.findFirstOrThrow({ where: { endpointId: endpoint.id } });
    await worker.attempt({ deliveryId: delivery.id, attempt: 1 });
    await worker.stop();
    assert.deepEqual(resolveAll.asked, ['rebind.example'], 'the name was checked again before the attempt');
    assert.equal(receiver.connections, 0, 'no connection reached the loopback receiver');
    const after = await prisma.webhookDelivery.findUniqueOrThrow({ where: { id: delivery.id } });
    assert.equal(after.status, 'PENDING');
    assert.equal(after.attempts, 1);
    assert.equal(after.lastStatusCode, null);
    assert.match(after.lastError ?? '', /^refused before connecting: .*127\.0\.0\.1.*loopback/);
    assert.ok(after.nextAttemptAt !== null, 'a retry is scheduled (DNS may change back)');
  });
});
