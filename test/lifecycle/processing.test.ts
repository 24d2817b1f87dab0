// After the upload: VOD's events (PullEvents/ConfirmEvents, through the real SDK against the
// emulator) drive processing and deletion on the record and on the subscription.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sendMediaUpload } from '../support/multipart.ts';
import { subscribeSse } from '../support/subscriptions.ts';
import { waitFor } from '../reliability/helpers.ts';
import { vodClient } from '../emulator/helpers.ts';
import { upload as uploadThroughSdk } from '../emulator/events-helpers.ts';
import { openLifecycleWorld, PROCESSED_SUBSCRIPTION, type LifecycleWorld, type UploadShape } from './support.ts';

const MiB = 1024 * 1024;
let world: LifecycleWorld;

before(async () => {
  world = await openLifecycleWorld('lifecycle');
});
after(async () => {
  await world?.dispose();
});

async function uploadWith(input: Record<string, unknown>, bytes = 2 * MiB + 17): Promise<{ id: string; media: Buffer; upload: UploadShape }> {
  const id = randomUUID();
  const media = Buffer.alloc(bytes, 7);
  const { answer } = sendMediaUpload({ url: world.servers[0]!.url, key: world.key, filename: 'clip.mp4', content: media, input: { id, ...input } });
  const result = await answer;
  assert.equal(result.body.errors, undefined, JSON.stringify(result.body.errors));
  return { id, media, upload: result.body.data?.['uploadMedia'] as UploadShape };
}

async function getStatus(url: string): Promise<{ status: number; bytes: number }> {
  const response = await fetch(url);
  return { status: response.status, bytes: (await response.arrayBuffer()).byteLength };
}

describe('processing from VOD events', () => {
  it('streams SUCCEEDED, then PROCESSING, then processing SUCCEEDED with outputs whose URLs serve bytes', async () => {
    const server = world.servers[0]!;
    const id = randomUUID();
    const watch = subscribeSse(server.url, world.key, PROCESSED_SUBSCRIPTION, { id });
    await watch.ready;
    const media = Buffer.alloc(2 * MiB + 5, 3);
    const { answer } = sendMediaUpload({ url: server.url, key: world.key, filename: 'flow.mp4', content: media, input: { id, procedure: 'my-flow' } });
    const result = await answer;
    assert.equal(result.body.errors, undefined, JSON.stringify(result.body.errors));
    await watch.done;
    assert.deepEqual(watch.errors, []);
    const seen = watch.events.map((event) => event['uploadProgress'] as UploadShape);
    const phases = seen.map((upload) => `${upload.status}/${upload.processing.status}`);
    const firstSucceeded = phases.findIndex((phase) => phase.startsWith('SUCCEEDED/'));
    assert.ok(firstSucceeded >= 0, `the upload succeeded: ${phases.join(', ')}`);
    assert.ok(['SUCCEEDED/QUEUED', 'SUCCEEDED/PROCESSING'].includes(phases[firstSucceeded]!), phases.join(', '));
    assert.ok(phases.includes('SUCCEEDED/PROCESSING'), `PROCESSING was shown: ${phases.join(', ')}`);
    assert.equal(phases.at(-1), 'SUCCEEDED/SUCCEEDED', 'the stream ends once processing is over');
    const done = seen.at(-1)!;
    assert.ok(done.processing.taskId !== null);
    assert.ok(done.processing.finishedAt !== null);
    const kinds = done.processing.outputs.map((output) => output.kind).sort();
    assert.ok(kinds.includes('Transcode'), kinds.join(','));
    assert.ok(kinds.some((kind) => kind === 'SnapshotByTimeOffset' || kind === 'CoverBySnapshot'), kinds.join(','));
    for (const output of done.processing.outputs) {
      const got = await getStatus(output.url);
      assert.equal(got.status, 200, output.url);
      assert.ok(got.bytes > 0, `${output.kind} has bytes`);
    }
    const transcode = done.processing.outputs.find((output) => output.kind === 'Transcode')!;
    assert.equal((await getStatus(transcode.url)).bytes, media.length, 'the emulator\'s transcode is a copy of the media');
  });

  it('an upload without procedure answers processing NONE, and an untilProcessed subscription ends with it', async () => {
    const { id, upload } = await uploadWith({});
    assert.equal(upload.status, 'SUCCEEDED');
    // Its NewFileUpload (with an empty ProcedureTaskId: no task flow) is applied first, then watched.
    await waitFor('the NewFileUpload applied', async () =>
      (await world.database.db.prisma.vodEvent.count({ where: { fileId: upload.fileId, appliedAt: { not: null } } })) === 1,
    );
    const watch = subscribeSse(world.servers[0]!.url, world.key, PROCESSED_SUBSCRIPTION, { id });
    await watch.done;
    const last = watch.events.at(-1)?.['uploadProgress'] as UploadShape;
    assert.equal(last.processing.status, 'NONE');
  });

  it('a failing task ends processing FAILED with VOD\'s error code', async () => {
    world.emulator.faults.failNextProcedure('InternalError.TranscodeFailed', { message: 'the source has no video stream' });
    const { id } = await uploadWith({ procedure: 'failing-flow' });
    const failed = await world.waitForProcessing(world.servers[0]!, id, (upload) => upload.processing.status === 'FAILED');
    assert.equal(failed.status, 'SUCCEEDED', 'the upload itself succeeded');
    assert.equal(failed.processing.error?.code, 'InternalError.TranscodeFailed');
    assert.match(failed.processing.error?.message ?? '', /no video stream/);
    assert.deepEqual(failed.processing.outputs, []);
  });

  it('events delivered twice are applied once', async () => {
    world.emulator.faults.update({ duplicateEvents: true });
    try {
      const { id, upload } = await uploadWith({ procedure: 'twice' });
      const done = await world.waitForProcessing(world.servers[0]!, id, (shape) => shape.processing.status === 'SUCCEEDED');
      const rows = await world.database.db.prisma.vodEvent.findMany({ where: { fileId: upload.fileId } });
      assert.deepEqual(rows.map((row) => row.eventType).sort(), ['NewFileUpload', 'ProcedureStateChanged'], 'one row per event');
      assert.ok(rows.every((row) => row.appliedAt !== null && row.uploadId === id));
      await waitFor('the duplicates to be received and recognised', async () => (await duplicatesCounted(world)) >= 2);
      const again = await world.upload(world.servers[0]!, id);
      assert.deepEqual(again.processing, done.processing, 'nothing changed after the duplicates');
      assert.equal(new Set(done.processing.outputs.map((output) => output.url)).size, done.processing.outputs.length, 'no output twice');
    } finally {
      world.emulator.faults.update({ duplicateEvents: false });
    }
  });

  it('an event whose confirmation failed comes again and changes nothing', async () => {
    world.emulator.faults.failNextVod('InternalError', { action: 'ConfirmEvents' });
    const before = await duplicatesCounted(world);
    const { id } = await uploadWith({});
    // The NewFileUpload was applied, its confirmation refused: after 1.5 s VOD delivers it again.
    await waitFor('the redelivered event to be recognised', async () => (await duplicatesCounted(world)) > before, { timeoutMs: 20_000 });
    const rows = await world.database.db.prisma.vodEvent.count({ where: { uploadId: id } });
    assert.equal(rows, 1);
    await waitFor('every event confirmed', () => world.emulator.state.events().length === 0, { timeoutMs: 20_000 });
  });

  it('keeps and confirms events of media this service does not know', async () => {
    const before = await world.database.db.prisma.vodEvent.count({ where: { uploadId: null } });
    // A media put into VOD without this service (straight through the emulator, with its own key).
    const { fileId } = await uploadStraightToEmulator(world);
    await waitFor('the foreign event to be kept', async () =>
      (await world.database.db.prisma.vodEvent.count({ where: { fileId, uploadId: null } })) === 1,
    );
    assert.equal(await world.database.db.prisma.vodEvent.count({ where: { uploadId: null } }), before + 1);
    await waitFor('the foreign event confirmed', () => world.emulator.state.events().every((event) => event.body['FileId'] !== fileId));
  });
});

describe('media and deleteMedia', () => {
  it('media(id) describes the own upload\'s media; deleteMedia removes it from VOD and sets deletedAt', async () => {
    const server = world.servers[0]!;
    const { id, upload } = await uploadWith({ procedure: 'to-delete' });
    const processed = await world.waitForProcessing(server, id, (shape) => shape.processing.status === 'SUCCEEDED');
    const described = await server.graphql(`query($id: ID!) { media(id: $id) { fileId name type mediaUrl size transcodes { url definition } } }`, {
      key: world.key,
      variables: { id },
    });
    assert.equal(described.body.errors, undefined, JSON.stringify(described.body.errors));
    const info = described.body.data?.['media'] as { fileId: string; size: number; mediaUrl: string; transcodes: Array<{ url: string }> };
    assert.equal(info.fileId, upload.fileId);
    assert.equal(info.size, 2 * MiB + 17);
    assert.equal(info.transcodes.length, 1);

    const deleted = await server.graphql(`mutation($id: ID!) { deleteMedia(id: $id) { id status deletedAt } }`, { key: world.key, variables: { id } });
    assert.equal(deleted.body.errors, undefined, JSON.stringify(deleted.body.errors));
    const record = deleted.body.data?.['deleteMedia'] as { status: string; deletedAt: string | null };
    assert.equal(record.status, 'SUCCEEDED', 'the record keeps its history');
    assert.ok(record.deletedAt !== null);
    assert.equal((await getStatus(upload.mediaUrl!)).status, 404, 'the media is gone');
    for (const output of processed.processing.outputs) assert.equal((await getStatus(output.url)).status, 404, `${output.kind} is gone`);
    const after = await server.graphql(`query($id: ID!) { media(id: $id) { fileId } }`, { key: world.key, variables: { id } });
    assert.equal(after.body.data?.['media'], null);
    await waitFor('the FileDeleted event to be recorded', async () =>
      (await world.database.db.prisma.vodEvent.count({ where: { fileId: upload.fileId, eventType: 'FileDeleted' } })) === 1,
    );
    const again = await server.graphql(`mutation($id: ID!) { deleteMedia(id: $id) { deletedAt } }`, { key: world.key, variables: { id } });
    assert.equal(again.body.errors, undefined, 'deleting again answers the record');
  });

  it("another tenant's id behaves like an unused one in media and deleteMedia", async () => {
    const server = world.servers[0]!;
    const { id } = await uploadWith({});
    const stranger = await server.app.apiKeys.createKey(`lifecycle-stranger-${id.slice(0, 6)}`, 'stranger');
    const unused = randomUUID();
    const answers = [];
    for (const target of [id, unused]) {
      const media = await server.graphql(`query($id: ID!) { media(id: $id) { fileId } }`, { key: stranger.key, variables: { id: target } });
      const deletion = await server.graphql(`mutation($id: ID!) { deleteMedia(id: $id) { id } }`, { key: stranger.key, variables: { id: target } });
      answers.push({
        media: media.body.data?.['media'],
        deleteCode: deletion.body.errors?.[0]?.extensions?.['code'],
        deleteMessage: deletion.body.errors?.[0]?.message.replace(target, '<id>'),
      });
    }
    assert.deepEqual(answers[0], answers[1]);
    assert.deepEqual(answers[0], { media: null, deleteCode: 'ResourceNotFound', deleteMessage: 'No upload with id <id>.' });
    assert.equal((await world.upload(server, id)).deletedAt, null, 'the owner\'s media is untouched');
  });
});

/** The service's count of recognised duplicates (all event types), from /metrics. */
async function duplicatesCounted(target: LifecycleWorld): Promise<number> {
  let total = 0;
  for (const server of target.servers) {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    for (const line of text.split('\n')) {
      if (line.startsWith('vod_ingest_vod_events_duplicate_total{')) total += Number(line.split(' ').at(-1));
    }
  }
  return total;
}

/** A media put into VOD without this service (the emulator's own key, the real SDKs). */
function uploadStraightToEmulator(target: LifecycleWorld): Promise<{ fileId: string }> {
  return uploadThroughSdk(target.emulator, vodClient(target.emulator), Buffer.alloc(1024, 1));
}
