// The state changes of an upload's whole life reach the customer's webhooks, written in the same
// transaction as the change (outbox): a real upload → upload.succeeded, its task flow →
// processing.succeeded / processing.failed, deleteMedia → media.deleted, a paused or canceled upload,
// each verified with standardwebhooks by a receiver on 127.0.0.1.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sendMediaUpload } from '../support/multipart.ts';
import { WebhookReceiver, type ReceivedWebhook } from '../support/webhook-receiver.ts';
import { openLifecycleWorld, type LifecycleWorld } from './support.ts';

const MiB = 1024 * 1024;
const ALL_EVENTS = ['UPLOAD_SUCCEEDED', 'UPLOAD_FAILED', 'UPLOAD_CANCELED', 'UPLOAD_PAUSED', 'PROCESSING_SUCCEEDED', 'PROCESSING_FAILED', 'MEDIA_DELETED'];

let world: LifecycleWorld;
let receiver: WebhookReceiver;
before(async () => {
  receiver = await WebhookReceiver.start();
  world = await openLifecycleWorld('lifecycle-hooks', { WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'on', WEBHOOK_RETRY_DELAYS: '0,1,1', WEBHOOK_TIMEOUT_MS: '3000' });
  const created = await world.servers[0]!.graphql(
    `mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { secret endpoint { id } } }`,
    { key: world.key, variables: { input: { url: `${receiver.url}/hooks`, events: ALL_EVENTS } } },
  );
  assert.equal(created.body.errors, undefined, JSON.stringify(created.body.errors));
  receiver.secrets.push((created.body.data?.['createWebhookEndpoint'] as { secret: string }).secret);
});
after(async () => {
  await world?.dispose();
  await receiver?.close();
});

function hooksOf(uploadId: string): ReceivedWebhook[] {
  return receiver.received.filter((hook) => (hook.body.data as { id?: string }).id === uploadId);
}

async function upload(input: Record<string, unknown>): Promise<string> {
  const id = randomUUID();
  const { answer } = sendMediaUpload({ url: world.servers[0]!.url, key: world.key, filename: 'hook.mp4', content: Buffer.alloc(MiB + 1, 2), input: { id, ...input } });
  const result = await answer;
  assert.equal(result.body.errors, undefined, JSON.stringify(result.body.errors));
  return id;
}

describe('webhooks over an upload\'s life', () => {
  it('upload.succeeded, then processing.succeeded, then media.deleted, each once and verified', async () => {
    const id = await upload({ procedure: 'hooked-flow' });
    await receiver.until(() => hooksOf(id).some((hook) => hook.body.type === 'processing.succeeded'));
    const deleted = await world.servers[0]!.graphql(`mutation($id: ID!) { deleteMedia(id: $id) { deletedAt } }`, { key: world.key, variables: { id } });
    assert.equal(deleted.body.errors, undefined, JSON.stringify(deleted.body.errors));
    await receiver.until(() => hooksOf(id).some((hook) => hook.body.type === 'media.deleted'));
    // The FileDeleted event VOD sends after DeleteMedia changes nothing more: no second media.deleted.
    await world.waitForProcessing(world.servers[0]!, id, () => true);
    const hooks = hooksOf(id);
    assert.ok(hooks.every((hook) => hook.verifiedWith.length > 0), 'every request verifies');
    assert.deepEqual(hooks.map((hook) => hook.body.type).sort(), ['media.deleted', 'processing.succeeded', 'upload.succeeded']);
    const processed = hooks.find((hook) => hook.body.type === 'processing.succeeded')!.body.data as {
      status: string;
      processing: { status: string; outputs: unknown[] };
    };
    assert.equal(processed.status, 'SUCCEEDED');
    assert.equal(processed.processing.status, 'SUCCEEDED');
    assert.ok(processed.processing.outputs.length >= 2, 'the data is the record as the change committed it');
  });

  it('processing.failed carries VOD\'s code', async () => {
    world.emulator.faults.failNextProcedure('InternalError.Hooked', { message: 'cannot transcode' });
    const id = await upload({ procedure: 'failing-hooked' });
    await receiver.until(() => hooksOf(id).some((hook) => hook.body.type === 'processing.failed'));
    const failed = hooksOf(id).find((hook) => hook.body.type === 'processing.failed')!.body.data as { processing: { error: { code: string } } };
    assert.equal(failed.processing.error.code, 'InternalError.Hooked');
  });

  it('upload.failed for an upload VOD refused', async () => {
    world.emulator.faults.failNextVod('InvalidParameterValue.MediaType', { action: 'ApplyUpload' });
    const id = randomUUID();
    const { answer } = sendMediaUpload({ url: world.servers[0]!.url, key: world.key, filename: 'bad.mp4', content: Buffer.alloc(1024, 1), input: { id } });
    const result = await answer;
    assert.equal(result.body.errors?.[0]?.extensions?.['code'], 'InvalidParameterValue.MediaType');
    await receiver.until(() => hooksOf(id).some((hook) => hook.body.type === 'upload.failed'));
    const data = hooksOf(id)[0]!.body.data as { status: string; error: { code: string } };
    assert.deepEqual([data.status, data.error.code], ['FAILED', 'InvalidParameterValue.MediaType']);
  });
});
