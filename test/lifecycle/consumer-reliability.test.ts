// VOD events are applied exactly once in effect: with two instances consuming together, and across
// a SIGKILL between an event's commit and its confirmation (VOD then delivers it again).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sendMediaUpload } from '../support/multipart.ts';
import { waitFor } from '../reliability/helpers.ts';
import { killProcess, openProcessFixture, type ProcessFixture } from '../reliability/server-process.ts';
import { EMULATOR_TIMINGS, openLifecycleWorld, UPLOAD_QUERY, type LifecycleWorld, type UploadShape } from './support.ts';

const MiB = 1024 * 1024;

describe('two instances consume VOD events together', () => {
  let world: LifecycleWorld;
  before(async () => {
    world = await openLifecycleWorld('events-two');
    await world.startServer('events-two-2');
  });
  after(async () => {
    await world?.dispose();
  });

  it('applies every event of six uploads once, whichever instance pulled it', async () => {
    const ids: string[] = [];
    await Promise.all(
      Array.from({ length: 6 }, async (_, index) => {
        const id = randomUUID();
        ids.push(id);
        const server = world.servers[index % 2]!;
        const { answer } = sendMediaUpload({
          url: server.url,
          key: world.key,
          filename: `clip-${index}.mp4`,
          content: Buffer.alloc(MiB + index, index),
          input: { id, procedure: 'shared-flow' },
        });
        const result = await answer;
        assert.equal(result.body.errors, undefined, JSON.stringify(result.body.errors));
      }),
    );
    const done: UploadShape[] = [];
    for (const [index, id] of ids.entries()) {
      done.push(await world.waitForProcessing(world.servers[(index + 1) % 2]!, id, (upload) => upload.processing.status === 'SUCCEEDED'));
    }
    const rows = await world.database.db.prisma.vodEvent.findMany({ where: { uploadId: { in: ids } } });
    assert.equal(rows.length, 12, 'NewFileUpload and ProcedureStateChanged once per upload');
    assert.ok(rows.every((row) => row.appliedAt !== null));
    for (const upload of done) {
      assert.equal(new Set(upload.processing.outputs.map((output) => output.url)).size, upload.processing.outputs.length);
      assert.ok(upload.processing.outputs.length >= 2);
    }
    await waitFor('every event confirmed', () => world.emulator.state.events().length === 0, { timeoutMs: 20_000 });
    assert.ok(world.emulator.state.count('vod.PullEvents') >= 2);
  });
});

describe('a SIGKILL between applying an event and confirming it', () => {
  let fixture: ProcessFixture;
  before(async () => {
    fixture = await openProcessFixture('events-kill', EMULATOR_TIMINGS);
  });
  after(async () => {
    await fixture?.dispose();
  });

  it('loses nothing and doubles nothing: the next process recognises the redelivered events', async () => {
    const { emulator, db, apiKey, tenantId } = fixture;
    // Every confirmation fails while the first process lives: it applies events but confirms none.
    for (let refusal = 0; refusal < 50; refusal += 1) emulator.faults.failNextVod('InternalError', { action: 'ConfirmEvents' });
    const first = await fixture.start({ INSTANCE_ID: 'events-kill-1', LOG_LEVEL: 'warn' });
    const id = randomUUID();
    const { answer } = sendMediaUpload({ url: first.url, key: apiKey, filename: 'kill.mp4', content: Buffer.alloc(MiB + 3, 9), input: { id, procedure: 'kill-flow' } });
    const result = await answer;
    assert.equal(result.body.errors, undefined, JSON.stringify(result.body.errors));
    const applied = await waitFor(
      'both events applied by the first process',
      async () => {
        const row = await db.prisma.upload.findUnique({ where: { tenantId_id: { tenantId, id } } });
        return row?.processingStatus === 'SUCCEEDED' ? row : undefined;
      },
      { timeoutMs: 30_000 },
    );
    assert.ok(emulator.state.events().length >= 2, 'the events are still unconfirmed at VOD');
    await killProcess(first, 'SIGKILL');
    emulator.faults.clear();

    const second = await fixture.start({ INSTANCE_ID: 'events-kill-2', LOG_LEVEL: 'warn' });
    await waitFor('the redelivered events confirmed by the second process', () => emulator.state.events().length === 0, { timeoutMs: 30_000 });
    const metrics = await (await fetch(`${second.url}/metrics`)).text();
    const duplicates = metrics
      .split('\n')
      .filter((line) => line.startsWith('vod_ingest_vod_events_duplicate_total{'))
      .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
    assert.ok(duplicates >= 2, `the second process recognised the redelivered events (${duplicates})`);
    assert.equal(await db.prisma.vodEvent.count({ where: { uploadId: id } }), 2, 'each event recorded once');
    const after = await db.prisma.upload.findUniqueOrThrow({ where: { tenantId_id: { tenantId, id } } });
    assert.deepEqual(
      { status: after.processingStatus, task: after.processingTaskId, outputs: after.processingOutputs, finishedAt: after.processingFinishedAt },
      { status: applied.processingStatus, task: applied.processingTaskId, outputs: applied.processingOutputs, finishedAt: applied.processingFinishedAt },
      'nothing changed on redelivery',
    );
    const answer2 = await fixture.graphql(second.url, UPLOAD_QUERY, { id });
    assert.equal((answer2.data?.['upload'] as UploadShape).processing.status, 'SUCCEEDED');
  });
});
