// Two instances of the app on one schema, both running the pg-boss delivery worker: while the
// receiver answers 2xx, every delivery is sent exactly once (one request per webhook-id), whichever
// instance's state change wrote it and whichever worker took it.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startEmulator, type RunningEmulator } from '../../src/emulator/emulator.ts';
import { enqueueWebhookDeliveries } from '../../src/webhooks/outbox.ts';
import { openTestDatabase, type TestDatabase } from '../support/database.ts';
import { sendMediaUpload } from '../support/multipart.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { WebhookReceiver } from '../support/webhook-receiver.ts';
import { waitFor } from '../reliability/helpers.ts';

const MiB = 1024 * 1024;
const ENQUEUED = 60;
const UPLOADS_PER_INSTANCE = 2;
const ENV = { WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'on', WEBHOOK_RETRY_DELAYS: '0,1,1', WEBHOOK_TIMEOUT_MS: '3000' };

let emulatorDir: string;
let emulator: RunningEmulator;
let database: TestDatabase;
let receiver: WebhookReceiver;
const servers: TestServer[] = [];

before(async () => {
  receiver = await WebhookReceiver.start();
  emulatorDir = await mkdtemp(path.join(os.tmpdir(), 'hooks-two-emu-'));
  emulator = await startEmulator({ port: 0, dataDir: emulatorDir });
  database = await openTestDatabase('hooks-two');
  for (const name of ['hooks-two-a', 'hooks-two-b']) servers.push(await startTestServer(name, { emulator, database, env: ENV, instanceId: name }));
});
after(async () => {
  for (const server of servers) await server.dispose();
  await database?.dispose();
  await emulator?.close();
  if (emulatorDir !== undefined) await rm(emulatorDir, { recursive: true, force: true });
  await receiver?.close();
});

describe('webhooks with two instances', () => {
  it('sends each delivery exactly once while the receiver answers 2xx', async () => {
    const [a, b] = servers as [TestServer, TestServer];
    const { key, tenantId } = await a.app.apiKeys.createKey('hooks-two', 'two instances');
    const created = await a.graphql(`mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { secret endpoint { id } } }`, {
      key,
      variables: { input: { url: `${receiver.url}/hooks`, events: ['UPLOAD_SUCCEEDED', 'UPLOAD_FAILED'] } },
    });
    assert.equal(created.body.errors, undefined, JSON.stringify(created.body.errors));
    const { secret, endpoint } = created.body.data?.['createWebhookEndpoint'] as { secret: string; endpoint: { id: string } };
    receiver.secrets.push(secret);

    // State changes committed all at once, each in its own transaction, so both workers find jobs waiting.
    const { prisma } = database.db;
    await Promise.all(
      Array.from({ length: ENQUEUED }, async () => {
        const uploadId = randomUUID();
        await prisma.$transaction(async (tx) => {
          await tx.upload.create({ data: { tenantId, id: uploadId, region: 'ap-guangzhou', mediaName: 'clip', mediaType: 'mp4', status: 'FAILED' } });
          assert.equal(await enqueueWebhookDeliveries(tx, { tenantId, uploadId, type: 'UPLOAD_FAILED' }), 1);
        });
      }),
    );
    // And real uploads through each instance, at the same time.
    const uploads = await Promise.all(
      [a, b].flatMap((server) =>
        Array.from({ length: UPLOADS_PER_INSTANCE }, async (_, index) => {
          const id = randomUUID();
          const { answer } = sendMediaUpload({ url: server.url, key, filename: `two-${index}.mp4`, content: Buffer.alloc(MiB + 1, index), input: { id } });
          const result = await answer;
          assert.equal(result.body.errors, undefined, JSON.stringify(result.body.errors));
          return id;
        }),
      ),
    );
    const total = ENQUEUED + uploads.length;

    await waitFor(
      'every delivery SUCCEEDED',
      async () => (await prisma.webhookDelivery.count({ where: { endpointId: endpoint.id, status: 'SUCCEEDED' } })) === total,
      { timeoutMs: 60_000, intervalMs: 50 },
    );
    const deliveries = await prisma.webhookDelivery.findMany({ where: { endpointId: endpoint.id } });
    assert.equal(deliveries.length, total);
    const messageIds = deliveries.map((delivery) => delivery.messageId).sort();
    await receiver.until(() => receiver.received.length >= total);

    // Exactly once: one request per webhook-id, each answered 2xx, each the delivery's only attempt.
    const requestsById = new Map<string, number>();
    for (const entry of receiver.received) requestsById.set(entry.id, (requestsById.get(entry.id) ?? 0) + 1);
    assert.deepEqual([...requestsById.keys()].sort(), messageIds);
    assert.deepEqual([...requestsById.values()].filter((count) => count !== 1), [], 'no webhook-id sent twice');
    assert.ok(receiver.received.every((entry) => entry.answeredWith === 204 && entry.verifiedWith.length === 1));
    assert.ok(deliveries.every((delivery) => delivery.attempts === 1));
    assert.equal(await prisma.webhookAttempt.count({ where: { delivery: { endpointId: endpoint.id } } }), total);
    const announced = receiver.received.filter((entry) => entry.body.type === 'upload.succeeded').map((entry) => String(entry.body.data['id']));
    assert.deepEqual(announced.sort(), [...uploads].sort());
  });
});
