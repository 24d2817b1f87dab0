// The event store on a real Postgres: each event applied once, in any order, and events that come
// before the upload knows its FileId applied when it learns it. And the parser, on hostile input.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { SecretSeal } from '../../src/auth/secret-seal.ts';
import { UploadWriter } from '../../src/db/upload-writer.ts';
import { VodEventStore } from '../../src/db/vod-event-store.ts';
import { parseVodEvent } from '../../src/events/vod-event.ts';
import { directSourceContext, parseDirectSourceContext } from '../../src/direct/direct-context.ts';
import { openTestDatabase, type TestDatabase } from '../support/database.ts';

let database: TestDatabase;
let tenantId: string;
before(async () => {
  database = await openTestDatabase('event-store');
  tenantId = (await database.db.prisma.tenant.create({ data: { name: `event-store-${randomUUID()}` } })).id;
});
after(async () => {
  await database?.dispose();
});

const newFileUpload = (fileId: string, taskId?: string, handle: string = randomUUID()) => ({
  EventHandle: handle,
  EventType: 'NewFileUpload',
  FileUploadEvent: { FileId: fileId, ...(taskId === undefined ? {} : { ProcedureTaskId: taskId }), MediaBasicInfo: { Name: 'x' } },
});
const finished = (fileId: string, taskId: string, failed = false) => ({
  EventHandle: randomUUID(),
  EventType: 'ProcedureStateChanged',
  ProcedureStateChangeEvent: {
    TaskId: taskId,
    Status: 'FINISH',
    ErrCode: failed ? 70000 : 0,
    FileId: fileId,
    MediaProcessResultSet: [
      {
        Type: 'Transcode',
        TranscodeTask: failed
          ? { Status: 'FAIL', ErrCodeExt: 'InternalError.Transcode', ErrCode: 70000, Message: 'bad source' }
          : { Status: 'SUCCESS', ErrCode: 0, Output: { Url: 'http://vod/v.f100010.mp4', Definition: 100010, Size: 10, Width: 16, Height: 9, Bitrate: 1, Container: 'mp4' } },
      },
      { Type: 'SnapshotByTimeOffset', SnapshotByTimeOffsetTask: { Status: 'SUCCESS', Output: { Definition: 10, PicInfoSet: [{ TimeOffset: 0, Url: 'http://vod/s.png' }] } } },
    ],
  },
});

/** An upload past CommitUpload with `fileId` (and a task flow when `procedure`), written as the service does. */
async function committedUpload(fileId: string, procedure: string | null) {
  const writer = new UploadWriter(database.db, SecretSeal.derivedFrom('event-store'));
  const key = { tenantId, id: randomUUID() };
  await writer.claim(
    key,
    { region: 'ap-guangzhou', mediaName: 'm', mediaType: 'mp4', coverType: null, procedure, subAppId: null, classId: null, storageRegion: null, expireTime: null, sourceContext: null, concurrency: null, mediaSizeHint: null, bytesTotal: null },
    'event-store',
  );
  await writer.markApplied(key, { vodSessionKey: 's', storageBucket: 'b-1', bucketRegion: 'ap-guangzhou', requestId: 'r', mediaStoragePath: '/m.mp4', coverStoragePath: null, sessionCredentials: undefined });
  await writer.markCommitting(key, { bytesReceived: 1, bytesUploaded: 1 });
  return { key, succeed: () => writer.markSucceeded(key, { fileId, mediaUrl: 'http://vod/m.mp4', coverUrl: null, requestId: 'r', counters: { bytesReceived: 1, bytesUploaded: 1 } }) };
}

async function processingOf(key: { tenantId: string; id: string }) {
  const row = await database.db.prisma.upload.findUniqueOrThrow({ where: { tenantId_id: key } });
  return { status: row.processingStatus, taskId: row.processingTaskId, code: row.processingErrorCode, outputs: row.processingOutputs };
}

describe('VOD event store', () => {
  it('records an event that changes no upload once, linked to its upload whichever commits first', async () => {
    const store = new VodEventStore(database.db);
    for (let round = 0; round < 20; round += 1) {
      const fileId = `plain-${round}-${randomUUID()}`;
      const upload = await committedUpload(fileId, null);
      // No task flow (no ProcedureTaskId): nothing to apply but the link; a hostile name inside.
      const raw = { ...newFileUpload(fileId), FileUploadEvent: { FileId: fileId, MediaBasicInfo: { Name: `it's \\ "x" \u00e9 ${round}` } } };
      const event = parseVodEvent(raw);
      const [first] = await (round % 2 === 0
        ? Promise.all([store.record(event, 1500000001), upload.succeed()])
        : Promise.all([upload.succeed(), store.record(event, 1500000001)]).then(([, recorded]) => [recorded]));
      assert.deepEqual(first, { duplicate: false, changed: [] }, `round ${round}`);
      assert.deepEqual(await store.record(parseVodEvent(raw), 1500000001), { duplicate: true, changed: [] }, 'a redelivery changes nothing');
      const row = await database.db.prisma.vodEvent.findUniqueOrThrow({ where: { dedupeKey: `NewFileUpload:${fileId}` } });
      assert.equal(row.uploadId, upload.key.id, `round ${round}: linked`);
      assert.ok(row.appliedAt !== null);
      assert.equal(row.subAppId, 1500000001);
      assert.deepEqual(row.payload, (({ EventHandle: _handle, ...rest }) => rest)(raw), 'the payload is stored as sent (less its handle)');
      assert.equal((await processingOf(upload.key)).status, 'NONE');
    }
  });

  it('applies an event that races the upload\'s success, whichever commits first', async () => {
    const store = new VodEventStore(database.db);
    for (let round = 0; round < 25; round += 1) {
      const fileId = `race-${randomUUID()}`;
      const upload = await committedUpload(fileId, 'flow');
      const event = parseVodEvent(newFileUpload(fileId, `task-${round}`));
      // Both at once, in either order of start: the FileId's lock decides, and nothing is missed.
      await (round % 2 === 0 ? Promise.all([store.record(event, undefined), upload.succeed()]) : Promise.all([upload.succeed(), store.record(event, undefined)]));
      const processing = await processingOf(upload.key);
      assert.deepEqual([processing.status, processing.taskId], ['PROCESSING', `task-${round}`], `round ${round}`);
    }
  });

  it('applies events that came before the upload learned its FileId, once it does', async () => {
    const store = new VodEventStore(database.db);
    const fileId = `f-${randomUUID()}`;
    const upload = await committedUpload(fileId, 'flow');
    const early = await store.record(parseVodEvent(newFileUpload(fileId, 'task-1')), undefined);
    assert.deepEqual(early, { duplicate: false, changed: [] }, 'no upload has this FileId yet: kept unlinked');
    await upload.succeed();
    assert.equal((await processingOf(upload.key)).status, 'PROCESSING', 'applied when the FileId was recorded (not QUEUED)');
    const row = await database.db.prisma.vodEvent.findUniqueOrThrow({ where: { dedupeKey: `NewFileUpload:${fileId}` } });
    assert.equal(row.uploadId, upload.key.id);
    assert.ok(row.appliedAt !== null);
  });

  it('applies each event once and never moves processing back, whatever the order', async () => {
    const store = new VodEventStore(database.db);
    const fileId = `f-${randomUUID()}`;
    const upload = await committedUpload(fileId, 'flow');
    await upload.succeed();
    assert.equal((await processingOf(upload.key)).status, 'QUEUED');
    const finish = await store.record(parseVodEvent(finished(fileId, 'task-2')), undefined);
    assert.deepEqual(finish.changed, [upload.key]);
    const done = await processingOf(upload.key);
    assert.equal(done.status, 'SUCCEEDED');
    assert.deepEqual(
      (done.outputs as Array<{ kind: string; url: string }>).map((output) => [output.kind, output.url]),
      [
        ['Transcode', 'http://vod/v.f100010.mp4'],
        ['SnapshotByTimeOffset', 'http://vod/s.png'],
      ],
    );
    // The NewFileUpload comes late (and twice): it cannot move SUCCEEDED back to PROCESSING.
    const late = await store.record(parseVodEvent(newFileUpload(fileId, 'task-2')), undefined);
    assert.deepEqual(late, { duplicate: false, changed: [] });
    const again = await store.record(parseVodEvent(newFileUpload(fileId, 'task-2', 'another-handle')), undefined);
    assert.deepEqual(again, { duplicate: true, changed: [] });
    const redelivered = await store.record(parseVodEvent(finished(fileId, 'task-2')), undefined);
    assert.equal(redelivered.duplicate, true);
    assert.deepEqual(await processingOf(upload.key), done);
  });

  it('an empty ProcedureTaskId (VOD\'s way of saying no task flow runs) leaves processing NONE', async () => {
    const store = new VodEventStore(database.db);
    const fileId = `f-${randomUUID()}`;
    const upload = await committedUpload(fileId, null);
    await upload.succeed();
    const recorded = await store.record(parseVodEvent(newFileUpload(fileId, '')), undefined);
    assert.deepEqual(recorded, { duplicate: false, changed: [] });
    assert.equal((await processingOf(upload.key)).status, 'NONE');
  });

  it('takes a failure code from the failed sub-task; a FileDeleted sets deletedAt once', async () => {
    const store = new VodEventStore(database.db);
    const fileId = `f-${randomUUID()}`;
    const upload = await committedUpload(fileId, 'flow');
    await upload.succeed();
    await store.record(parseVodEvent(finished(fileId, 'task-3', true)), undefined);
    const failed = await processingOf(upload.key);
    assert.deepEqual([failed.status, failed.code], ['FAILED', 'InternalError.Transcode']);
    await store.record(parseVodEvent({ EventHandle: 'h', EventType: 'FileDeleted', FileDeleteEvent: { FileIdSet: [fileId] } }), undefined);
    const first = await database.db.prisma.upload.findUniqueOrThrow({ where: { tenantId_id: upload.key } });
    assert.ok(first.deletedAt !== null);
    const dup = await store.record(parseVodEvent({ EventHandle: 'h2', EventType: 'FileDeleted', FileDeleteEvent: { FileIdSet: [fileId] } }), undefined);
    assert.equal(dup.duplicate, true);
  });
});

describe('direct uploads completed by VOD\'s event', () => {
  const SECRET = 'service-secret-key';
  const link = (sourceContext: string) => parseDirectSourceContext(sourceContext, SECRET);
  const uploadEvent = (fileId: string, sourceContext: string) => ({
    EventHandle: randomUUID(),
    EventType: 'NewFileUpload',
    FileUploadEvent: { FileId: fileId, ProcedureTaskId: '', MediaBasicInfo: { MediaUrl: `http://vod/${fileId}.mp4`, Type: 'mp4', SourceInfo: { SourceContext: sourceContext } } },
  });

  it('only a SourceContext the service signed completes a PENDING direct upload, once', async () => {
    const store = new VodEventStore(database.db, link);
    const key = { tenantId, id: randomUUID() };
    await database.db.prisma.upload.create({ data: { ...key, region: 'ap-guangzhou', mediaName: 'd', mediaType: '', status: 'PENDING', source: 'DIRECT' } });
    const status = async () => (await database.db.prisma.upload.findUniqueOrThrow({ where: { tenantId_id: key } })).status;
    const genuine = directSourceContext(key, SECRET);
    const forgeries = [
      directSourceContext(key, 'another-key'),
      genuine.slice(0, -2) + (genuine.endsWith('AA') ? 'BB' : 'AA'),
      genuine.replace(key.id, randomUUID()),
      `vi:d:${key.tenantId}.${key.id}`,
      key.id,
    ];
    for (const [index, forged] of forgeries.entries()) {
      const recorded = await store.record(parseVodEvent(uploadEvent(`forged-${index}-${randomUUID()}`, forged)), undefined);
      assert.equal(recorded.completedDirect, undefined, forged);
      assert.equal(await status(), 'PENDING', `a forged context (${index}) completes nothing`);
    }
    const fileId = `f-${randomUUID()}`;
    const done = await store.record(parseVodEvent(uploadEvent(fileId, genuine)), undefined);
    assert.deepEqual(done.completedDirect, key);
    const row = await database.db.prisma.upload.findUniqueOrThrow({ where: { tenantId_id: key } });
    assert.deepEqual([row.status, row.fileId, row.mediaUrl, row.mediaType], ['SUCCEEDED', fileId, `http://vod/${fileId}.mp4`, 'mp4']);
    // Another media naming the same record (a replayed or copied context) changes nothing.
    const again = await store.record(parseVodEvent(uploadEvent(`f-${randomUUID()}`, genuine)), undefined);
    assert.equal(again.completedDirect, undefined);
    assert.equal((await database.db.prisma.upload.findUniqueOrThrow({ where: { tenantId_id: key } })).fileId, fileId);
  });
});

describe('VOD event parser on hostile input', () => {
  it('turns anything it cannot read into an Other event with a stable key, never throwing', () => {
    const hostile: unknown[] = [
      null,
      42,
      'NewFileUpload',
      [],
      {},
      { EventType: 'NewFileUpload' },
      { EventType: 'NewFileUpload', FileUploadEvent: { FileId: '' } },
      { EventType: 'ProcedureStateChanged', ProcedureStateChangeEvent: { TaskId: 't', Status: 'FINISH' } },
      { EventType: 'FileDeleted', FileDeleteEvent: { FileIdSet: [] } },
      { EventType: 'FileDeleted', FileDeleteEvent: { FileIdSet: 'f' } },
      { EventType: '__proto__', ['__proto__']: { polluted: true } },
      { EventHandle: 7, EventType: 'SomethingNew', Payload: 'x'.repeat(100_000) },
    ];
    for (const raw of hostile) {
      const event = parseVodEvent(raw);
      assert.equal(event.type, 'Other', JSON.stringify(raw)?.slice(0, 80));
      assert.equal(parseVodEvent(raw).dedupeKey, event.dedupeKey, 'the same content gives the same key');
    }
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  });

  it('gives a redelivery (a new handle) the key of the first delivery', () => {
    const first = parseVodEvent({ ...finished('f', 't'), EventHandle: 'one' });
    const second = parseVodEvent({ ...finished('f', 't'), EventHandle: 'two' });
    assert.equal(first.dedupeKey, second.dedupeKey);
    assert.equal(first.handle, 'one');
    const other = parseVodEvent({ EventHandle: 'a', EventType: 'PullComplete', PullCompleteEvent: { FileId: 'x' } });
    const otherAgain = parseVodEvent({ EventHandle: 'b', EventType: 'PullComplete', PullCompleteEvent: { FileId: 'x' } });
    assert.equal(other.dedupeKey, otherAgain.dedupeKey);
  });

  it('reads a FINISH whose task failed without a failed sub-task from its ErrCode', () => {
    const event = parseVodEvent({
      EventType: 'ProcedureStateChanged',
      ProcedureStateChangeEvent: { TaskId: 't', Status: 'FINISH', ErrCode: 40000, Message: 'bad input', FileId: 'f' },
    });
    assert.equal(event.type, 'ProcedureStateChanged');
    if (event.type !== 'ProcedureStateChanged') return;
    assert.deepEqual(event.outcome, { state: 'FAILED', code: 'ErrCode.40000', message: 'bad input', outputs: [] });
  });
});
