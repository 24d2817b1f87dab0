// A slow receiver does not slow uploads: deliveries run on the pg-boss worker after the upload's
// transaction committed, never in the upload's path. Shown structurally, without timing: the receiver
// holds the first delivery's request open (no answer) while further uploads run and answer, and only
// then lets every request through.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sendMediaUpload } from '../support/multipart.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { WebhookReceiver } from '../support/webhook-receiver.ts';

const MiB = 1024 * 1024;
const UPLOADS_WHILE_HELD = 3;

let server: TestServer;
let receiver: WebhookReceiver;
before(async () => {
  receiver = await WebhookReceiver.start();
  // A generous attempt timeout: the held request must stay open as long as the test holds it.
  server = await startTestServer('hooks-slow', { env: { WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'on', WEBHOOK_RETRY_DELAYS: '0,1,1', WEBHOOK_TIMEOUT_MS: '120000' } });
});
after(async () => {
  await server?.dispose();
  await receiver?.close();
});

async function upload(key: string, index: number): Promise<string> {
  const id = randomUUID();
  const { answer } = sendMediaUpload({ url: server.url, key, filename: `slow-${index}.mp4`, content: Buffer.alloc(MiB + 1, index), input: { id } });
  const result = await answer;
  assert.equal(result.body.errors, undefined, JSON.stringify(result.body.errors));
  assert.equal((result.body.data?.['uploadMedia'] as { status?: string } | undefined)?.status, 'SUCCEEDED');
  return id;
}

describe('a slow webhook receiver', () => {
  it('does not hold up uploads: they answer while the first delivery is still held open', async () => {
    const { key } = await server.app.apiKeys.createKey('hooks-slow', 'slow receiver');
    const created = await server.graphql(`mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { secret } }`, {
      key,
      variables: { input: { url: `${receiver.url}/slow`, events: ['UPLOAD_SUCCEEDED'] } },
    });
    assert.equal(created.body.errors, undefined, JSON.stringify(created.body.errors));
    receiver.secrets.push((created.body.data?.['createWebhookEndpoint'] as { secret: string }).secret);

    const release = receiver.hold();
    try {
      const first = await upload(key, 0);
      const firstDelivery = await server.database.db.prisma.webhookDelivery.findFirstOrThrow({ where: { uploadId: first } });
      await receiver.until(() => receiver.held.includes(firstDelivery.messageId));

      const later: string[] = [];
      for (let index = 1; index <= UPLOADS_WHILE_HELD; index += 1) {
        later.push(await upload(key, index));
        assert.ok(receiver.held.includes(firstDelivery.messageId), 'the first delivery is still waiting for its answer');
      }
      assert.equal(receiver.received.length, 0, 'no delivery has been answered yet');
      const pending = await server.database.db.prisma.webhookDelivery.findUniqueOrThrow({ where: { id: firstDelivery.id } });
      assert.deepEqual([pending.status, pending.attempts], ['PENDING', 0], 'its attempt is still in flight');

      release();
      const all = [first, ...later];
      await receiver.until(() => all.every((id) => receiver.received.some((entry) => entry.body.data['id'] === id && entry.answeredWith === 204)));
      assert.ok(receiver.received.every((entry) => entry.verifiedWith.length === 1));
      assert.equal(new Set(receiver.received.map((entry) => entry.id)).size, receiver.received.length, 'each delivered once');
    } finally {
      release();
    }
  });
});
