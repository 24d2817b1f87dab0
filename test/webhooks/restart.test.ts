// Reliability promise: a webhook whose receiver is down while the service is SIGKILLed is delivered
// after the restart: once, verified, nothing lost. The server runs as a real child process
// (src/main.ts) on a schema and an emulator that live in this test process, so the deliveries (the
// outbox rows and their pg-boss jobs) outlive the kill; the receiver on 127.0.0.1 verifies every
// request with the standardwebhooks library.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sendMediaUpload } from '../support/multipart.ts';
import { WebhookReceiver } from '../support/webhook-receiver.ts';
import { waitFor } from '../reliability/helpers.ts';
import { killProcess, openProcessFixture, type ProcessFixture } from '../reliability/server-process.ts';

const MiB = 1024 * 1024;
const UPLOADS = 3;
/** Retries every ~2 s (±20 % jitter) for a minute: the deliveries are still pending when the process is killed. */
const SERVER_ENV = {
  WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'on',
  WEBHOOK_RETRY_DELAYS: Array.from({ length: 30 }, () => '2').join(','),
  WEBHOOK_TIMEOUT_MS: '3000',
  LOG_LEVEL: 'warn',
};
/** The kill waits for a moment when no delivery's next attempt is due within this margin (so none is in flight). */
const QUIET_MARGIN_MS = 500;

let fixture: ProcessFixture;
let receiver: WebhookReceiver;
before(async () => {
  receiver = await WebhookReceiver.start();
  fixture = await openProcessFixture('hooks-restart');
});
after(async () => {
  // Kills whatever still runs, even when a test failed: no child process may outlive the file.
  await fixture?.dispose();
  await receiver?.close();
});

describe('webhooks across a SIGKILL', () => {
  it('delivers what a killed process enqueued while the receiver was down, after the restart, once each', async () => {
    const { db, apiKey } = fixture;
    let down = true;
    receiver.answer = () => ({ status: down ? 503 : 204 });

    const first = await fixture.start({ ...SERVER_ENV, INSTANCE_ID: 'hooks-restart-1' });
    const created = await fixture.graphql(
      first.url,
      `mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { secret endpoint { id } } }`,
      { input: { url: `${receiver.url}/hooks`, events: ['UPLOAD_SUCCEEDED'] } },
    );
    assert.equal(created.errors, undefined, JSON.stringify(created.errors));
    const { secret, endpoint } = created.data?.['createWebhookEndpoint'] as { secret: string; endpoint: { id: string } };
    receiver.secrets.push(secret);

    // Real uploads through the process: each success writes its delivery in the same transaction.
    const uploadIds: string[] = [];
    for (let index = 0; index < UPLOADS; index += 1) {
      const id = randomUUID();
      const { answer } = sendMediaUpload({ url: first.url, key: apiKey, filename: `hook-${index}.mp4`, content: Buffer.alloc(MiB + 1, index), input: { id } });
      const result = await answer;
      assert.equal(result.body.errors, undefined, JSON.stringify(result.body.errors));
      uploadIds.push(id);
    }
    const deliveries = await db.prisma.webhookDelivery.findMany({ where: { endpointId: endpoint.id } });
    assert.deepEqual(deliveries.map((delivery) => delivery.uploadId).sort(), [...uploadIds].sort());
    const messageIds = deliveries.map((delivery) => delivery.messageId);

    // Every delivery was tried and refused (503), its retry recorded and not yet due: nothing in flight.
    await waitFor(
      'every delivery refused once and none due soon',
      async () => {
        const rows = await db.prisma.webhookDelivery.findMany({ where: { endpointId: endpoint.id } });
        const quietUntil = Date.now() + QUIET_MARGIN_MS;
        return rows.every((row) => row.status === 'PENDING' && row.attempts >= 1 && row.nextAttemptAt !== null && row.nextAttemptAt.getTime() > quietUntil);
      },
      { timeoutMs: 30_000, intervalMs: 20 },
    );
    await killProcess(first, 'SIGKILL');
    assert.equal(first.child.signalCode, 'SIGKILL');
    const beforeRestart = receiver.received.length;
    assert.ok(receiver.received.every((entry) => entry.answeredWith === 503), 'nothing was delivered before the kill');
    for (const messageId of messageIds) assert.ok(receiver.received.some((entry) => entry.id === messageId), `${messageId} was tried before the kill`);

    down = false;
    const second = await fixture.start({ ...SERVER_ENV, INSTANCE_ID: 'hooks-restart-2' });
    await waitFor(
      'every delivery SUCCEEDED after the restart',
      async () => (await db.prisma.webhookDelivery.count({ where: { endpointId: endpoint.id, status: 'SUCCEEDED' } })) === UPLOADS,
      { timeoutMs: 60_000, intervalMs: 50 },
    );
    await receiver.until(() => messageIds.every((messageId) => receiver.successesById().has(messageId)));

    // None lost, none doubled: each webhook-id got exactly one 2xx answer, and it came from the new process.
    const successes = receiver.successesById();
    assert.deepEqual([...successes.keys()].sort(), [...messageIds].sort());
    for (const [messageId, count] of successes) assert.equal(count, 1, `${messageId} answered 2xx once`);
    const afterRestart = receiver.received.slice(beforeRestart);
    assert.ok(afterRestart.every((entry) => entry.answeredWith === 204), 'after the restart every request is the delivery that succeeds');
    assert.equal(afterRestart.length, UPLOADS);
    assert.ok(receiver.received.every((entry) => entry.verifiedWith.length === 1), 'every request verifies with standardwebhooks');
    for (const uploadId of uploadIds) {
      const delivered = afterRestart.find((entry) => entry.body.data['id'] === uploadId);
      assert.equal(delivered?.body.type, 'upload.succeeded', `upload ${uploadId} announced`);
      assert.equal(delivered.body.data['status'], 'SUCCEEDED');
    }

    // The record agrees: every attempt numbered once, the 503s of the first life and the 204 of the second.
    for (const delivery of deliveries) {
      const attempts = await db.prisma.webhookAttempt.findMany({ where: { deliveryId: delivery.id }, orderBy: { number: 'asc' } });
      assert.deepEqual(attempts.map((attempt) => attempt.number), attempts.map((_, index) => index + 1));
      assert.deepEqual(attempts.map((attempt) => attempt.statusCode), [...attempts.slice(0, -1).map(() => 503), 204]);
      assert.equal(attempts.length, receiver.received.filter((entry) => entry.id === delivery.messageId).length, 'every request was recorded once');
    }
    await killProcess(second, 'SIGTERM');
  });
});
