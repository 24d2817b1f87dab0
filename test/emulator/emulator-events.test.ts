import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { afterEach, describe, it } from 'node:test';
import { startEmulator, type EmulatorOptions } from '../../src/emulator/emulator.ts';
import { confirmAll, errorCode, getBytes, pullAtLeast, pullOnce, upload } from './events-helpers.ts';
import { bytes, sha256, startTestEmulator, vodClient, type TestEmulator } from './helpers.ts';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('emulator: VOD events (PullEvents / ConfirmEvents), procedures, DescribeMediaInfos, DeleteMedia', () => {
  const started: TestEmulator[] = [];
  /** A fresh emulator with short timings (a test can override any of them). */
  async function emulatorWith(options: Partial<EmulatorOptions> = {}): Promise<TestEmulator> {
    const t = await startTestEmulator({ procedureDurationMs: 200, ...options, eventTimings: { longPollMs: 200, ...options.eventTimings } });
    started.push(t);
    return t;
  }
  afterEach(async () => {
    await Promise.all(started.splice(0).map((t) => t.stop()));
  });

  it('an upload without procedure: exactly one NewFileUpload (no ProcedureTaskId); confirmed, it is gone; an empty poll is ResourceNotFound', async () => {
    const { emulator } = await emulatorWith();
    const vod = vodClient(emulator);
    const media = bytes(10_000, 3);
    const up = await upload(emulator, vod, media, { SourceContext: 'upload-42', MediaName: 'clip' });
    const [event, ...more] = await pullAtLeast(vod, 1);
    assert.equal(more.length, 0);
    assert.equal(event?.EventType, 'NewFileUpload');
    const task = event?.FileUploadEvent;
    assert.equal(task?.FileId, up.fileId);
    assert.equal(task?.ProcedureTaskId, '');
    assert.equal(task?.MediaBasicInfo?.Name, 'clip');
    assert.equal(task?.MediaBasicInfo?.MediaUrl, up.mediaUrl);
    assert.equal(task?.MediaBasicInfo?.Type, 'mp4');
    assert.deepEqual(task?.MediaBasicInfo?.SourceInfo, { SourceType: 'Upload', SourceContext: 'upload-42' });
    assert.equal(task?.MetaData?.Size, media.length);
    assert.ok(event?.EventHandle);
    await confirmAll(vod, [event]);
    assert.deepEqual(emulator.state.events(), []);
    assert.equal(await errorCode(() => vod.PullEvents({})), 'ResourceNotFound');
    assert.equal(emulator.state.count('vod.ConfirmEvents'), 1);
  });

  it('emptyPullAnswer EmptyEventSet answers an empty EventSet instead', async () => {
    const { emulator } = await emulatorWith({ emptyPullAnswer: 'EmptyEventSet' });
    assert.deepEqual((await vodClient(emulator).PullEvents({})).EventSet, []);
  });

  it('with a procedure: NewFileUpload with ProcedureTaskId, then ProcedureStateChanged FINISH whose outputs GET real bytes; DescribeMediaInfos shows them', async () => {
    const { emulator } = await emulatorWith();
    const vod = vodClient(emulator);
    const media = bytes(50_000, 5);
    const up = await upload(emulator, vod, media, { Procedure: 'LongVideoPreset', SessionContext: 'ctx-1', cover: bytes(500, 2) });
    const first = await pullAtLeast(vod, 1);
    assert.equal(first[0]?.EventType, 'NewFileUpload');
    const taskId = first[0]?.FileUploadEvent?.ProcedureTaskId ?? '';
    assert.match(taskId, /Procedure/);
    await confirmAll(vod, first);

    const [done] = await pullAtLeast(vod, 1);
    assert.equal(done?.EventType, 'ProcedureStateChanged');
    const task = done?.ProcedureStateChangeEvent;
    assert.equal(task?.TaskId, taskId);
    assert.equal(task?.Status, 'FINISH');
    assert.equal(task?.ErrCode, 0);
    assert.equal(task?.FileId, up.fileId);
    assert.equal(task?.SessionContext, 'ctx-1');
    const results = task?.MediaProcessResultSet ?? [];
    assert.deepEqual(results.map((r) => r.Type), ['Transcode', 'SnapshotByTimeOffset', 'CoverBySnapshot']);
    const transcode = results[0]?.TranscodeTask;
    assert.equal(transcode?.Status, 'SUCCESS');
    assert.equal(transcode?.Input?.Definition, 100010);
    const transcoded = await getBytes(transcode?.Output?.Url ?? '');
    assert.equal(transcoded.status, 200);
    assert.equal(sha256(transcoded.body), sha256(media));
    assert.equal(transcode?.Output?.Size, media.length);
    const snapshotUrl = results[1]?.SnapshotByTimeOffsetTask?.Output?.PicInfoSet?.[0]?.Url ?? '';
    const snapshot = await getBytes(snapshotUrl);
    assert.equal(snapshot.status, 200);
    assert.deepEqual(snapshot.body.subarray(0, 8), PNG_SIGNATURE);
    const coverUrl = results[2]?.CoverBySnapshotTask?.Output?.CoverUrl ?? '';
    assert.deepEqual((await getBytes(coverUrl)).body.subarray(0, 8), PNG_SIGNATURE);
    await confirmAll(vod, [done]);

    const described = await vod.DescribeMediaInfos({ FileIds: [up.fileId, '5285890000000000000'] });
    assert.deepEqual(described.NotExistFileIdSet, ['5285890000000000000']);
    const info = described.MediaInfoSet?.[0];
    assert.equal(info?.FileId, up.fileId);
    assert.equal(info?.BasicInfo?.CoverUrl, coverUrl);
    assert.equal(info?.MetaData?.Size, media.length);
    assert.equal(info?.MetaData?.Duration, 0);
    const [item] = info?.TranscodeInfo?.TranscodeSet ?? [];
    assert.equal(item?.Definition, 100010);
    assert.equal(item?.Url, transcode?.Output?.Url);
    assert.equal(item?.Md5, (await import('node:crypto')).createHash('md5').update(media).digest('hex'));
    const onlyBasic = await vod.DescribeMediaInfos({ FileIds: [up.fileId], Filters: ['basicInfo'] });
    assert.equal(onlyBasic.MediaInfoSet?.[0]?.TranscodeInfo, null);
    const none = await vod.DescribeMediaInfos({ FileIds: ['1', '2'] });
    assert.deepEqual([none.MediaInfoSet, none.NotExistFileIdSet], [[], ['1', '2']]);
    assert.equal(await errorCode(() => vod.DescribeMediaInfos({ FileIds: [] })), 'InvalidParameterValue.FileIdsEmpty');
    const many = Array.from({ length: 21 }, (_, i) => String(i));
    assert.equal(await errorCode(() => vod.DescribeMediaInfos({ FileIds: many })), 'InvalidParameterValue.FileIdsOverLimit');
  });

  it('a long poll answers as soon as an event arrives; close() ends a held poll', async () => {
    const { emulator } = await emulatorWith({ eventTimings: { longPollMs: 120_000 } });
    const vod = vodClient(emulator);
    const held = pullOnce(vod);
    // The poll is held (nothing queued yet); an upload ends it with its event, long before 120 s.
    const up = await upload(emulator, vod, bytes(1000, 1));
    const got = await held;
    assert.equal(got[0]?.FileUploadEvent?.FileId, up.fileId);
    await confirmAll(vod, got);
    const polls = emulator.state.count('vod.PullEvents');
    const second = pullOnce(vod);
    while (emulator.state.count('vod.PullEvents') === polls) await sleep(10); // until the poll is held
    await emulator.close();
    assert.deepEqual(await second, []);
  });

  it('at most 16 events a pull', async () => {
    const { emulator } = await emulatorWith();
    const vod = vodClient(emulator);
    for (let i = 0; i < 20; i++) await upload(emulator, vod, bytes(100, i + 1));
    const first = await pullOnce(vod);
    assert.equal(first.length, 16);
    const second = await pullOnce(vod);
    assert.equal(second.length, 4);
    await confirmAll(vod, first);
    await confirmAll(vod, second);
    assert.equal(new Set([...first, ...second].map((e) => e.FileUploadEvent?.FileId)).size, 20);
  });

  it('not confirmed → delivered again under a new handle; the old handle is refused, the new one confirms', async () => {
    const { emulator } = await emulatorWith({ eventTimings: { redeliverAfterMs: 150 } });
    const vod = vodClient(emulator);
    const up = await upload(emulator, vod, bytes(100, 9));
    const [once] = await pullAtLeast(vod, 1);
    const [again] = await pullAtLeast(vod, 1);
    assert.equal(again?.FileUploadEvent?.FileId, up.fileId);
    assert.notEqual(again?.EventHandle, once?.EventHandle);
    assert.equal(emulator.state.events()[0]?.deliveries, 2);
    assert.equal(await errorCode(() => confirmAll(vod, [once!])), 'InvalidParameterValue');
    await confirmAll(vod, [again]);
    assert.deepEqual(emulator.state.events(), []);
  });

  it('a handle older than handleTtlMs is refused and the event stays queued', async () => {
    const { emulator } = await emulatorWith({ eventTimings: { handleTtlMs: 100, redeliverAfterMs: 600_000 } });
    const vod = vodClient(emulator);
    await upload(emulator, vod, bytes(100, 4));
    const [event] = await pullAtLeast(vod, 1);
    await sleep(150);
    assert.equal(await errorCode(() => confirmAll(vod, [event!])), 'InvalidParameterValue');
    assert.equal(emulator.state.events().length, 1);
  });

  it('duplicateEvents: each event is delivered twice', async () => {
    const { emulator } = await emulatorWith({ faults: { duplicateEvents: true } });
    const vod = vodClient(emulator);
    const up = await upload(emulator, vod, bytes(100, 6));
    const got = await pullAtLeast(vod, 2);
    assert.deepEqual(got.map((e) => [e.EventType, e.FileUploadEvent?.FileId]), [['NewFileUpload', up.fileId], ['NewFileUpload', up.fileId]]);
    assert.notEqual(got[0]?.EventHandle, got[1]?.EventHandle);
    await confirmAll(vod, got);
  });

  it('delayEventsMs: an event is queued but not pullable before its time', async () => {
    const { emulator } = await emulatorWith({ faults: { delayEventsMs: 600_000 } });
    const vod = vodClient(emulator);
    await upload(emulator, vod, bytes(100, 6));
    assert.deepEqual(await pullOnce(vod), []);
    const [queued] = emulator.state.events();
    assert.ok(queued !== undefined && queued.visibleAt - queued.createdAt === 600_000);
    const admin = (await (await fetch(`${emulator.vodEndpoint}/__emulator/events?subAppId=0`)).json()) as { eventType: string }[];
    assert.deepEqual(admin.map((e) => e.eventType), ['NewFileUpload']);
  });

  it('the admin API sets the event faults and queues procedure failures', async () => {
    const { emulator } = await emulatorWith();
    const call = (method: string, route: string, body: unknown): Promise<Response> =>
      fetch(`${emulator.vodEndpoint}/__emulator${route}`, { method, body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } });
    assert.equal((await call('PATCH', '/faults', { duplicateEvents: true, delayEventsMs: 5 })).status, 200);
    assert.equal((await call('POST', '/faults/procedure-failure', { code: 'InternalError', procedure: 'P' })).status, 200);
    assert.equal((await call('PATCH', '/faults', { delayEventsMs: -1 })).status, 400);
    const faults = emulator.faults.get();
    assert.deepEqual([faults.duplicateEvents, faults.delayEventsMs, faults.failProcedure], [true, 5, [{ code: 'InternalError', procedure: 'P', message: undefined }]]);
  });

  it('failProcedure: the task ends FINISH with the fault code, its sub-tasks FAIL, no outputs', async () => {
    const { emulator } = await emulatorWith();
    emulator.faults.failNextProcedure('FailedOperation.InvalidVodUser', { procedure: 'Flow', message: 'no such user' });
    const vod = vodClient(emulator);
    const up = await upload(emulator, vod, bytes(2000, 8), { Procedure: 'Flow' });
    const got = await pullAtLeast(vod, 2);
    const task = got.find((e) => e.EventType === 'ProcedureStateChanged')?.ProcedureStateChangeEvent;
    assert.equal(task?.Status, 'FINISH');
    assert.notEqual(task?.ErrCode, 0);
    assert.equal(task?.Message, 'no such user');
    const transcode = task?.MediaProcessResultSet?.[0]?.TranscodeTask;
    assert.equal(transcode?.Status, 'FAIL');
    assert.equal(transcode?.ErrCodeExt, 'FailedOperation.InvalidVodUser');
    assert.equal(transcode?.Output, null);
    assert.equal(emulator.state.mediaRecord(up.fileId)?.outputs?.length, 0);
    assert.equal(emulator.state.count('fault.procedureFailure'), 1);
  });

  it('events belong to their SubAppId', async () => {
    const { emulator } = await emulatorWith();
    const vod = vodClient(emulator);
    const up = await upload(emulator, vod, bytes(100, 7), { SubAppId: 101 });
    assert.deepEqual(await pullOnce(vod), []);
    const got = await pullAtLeast(vod, 1, 101);
    assert.equal(got[0]?.FileUploadEvent?.FileId, up.fileId);
    assert.equal(await errorCode(() => confirmAll(vod, got)), 'InvalidParameterValue');
    await confirmAll(vod, got, 101);
  });

  it('DeleteMedia: media, cover and outputs are gone (GET 404), FileDeleted is queued, a second delete is refused', async () => {
    const { emulator } = await emulatorWith();
    const vod = vodClient(emulator);
    const up = await upload(emulator, vod, bytes(3000, 11), { Procedure: 'Any', cover: bytes(300, 12) });
    const events = await pullAtLeast(vod, 2);
    await confirmAll(vod, events);
    const outputs = emulator.state.mediaRecord(up.fileId)?.outputs ?? [];
    assert.equal(outputs.length, 3);
    await vod.DeleteMedia({ FileId: up.fileId });
    for (const url of [up.mediaUrl, up.coverUrl, ...outputs.map((o) => o.url)]) assert.equal((await getBytes(url)).status, 404, url);
    const [deleted] = await pullAtLeast(vod, 1);
    assert.equal(deleted?.EventType, 'FileDeleted');
    assert.deepEqual(deleted?.FileDeleteEvent?.FileIdSet, [up.fileId]);
    assert.equal(await errorCode(() => vod.DeleteMedia({ FileId: up.fileId })), 'ResourceNotFound');
    assert.deepEqual((await vod.DescribeMediaInfos({ FileIds: [up.fileId] })).NotExistFileIdSet, [up.fileId]);
  });

  it('events and a task in progress survive a restart on the same data dir', async () => {
    const first = await emulatorWith({ procedureDurationMs: 300 });
    const vod1 = vodClient(first.emulator);
    const up = await upload(first.emulator, vod1, bytes(700, 13), { Procedure: 'Any' });
    await first.emulator.close();
    const emulator = await startEmulator({
      dataDir: first.dataDir, procedureDurationMs: 300, eventTimings: { longPollMs: 200 },
    });
    try {
      const vod = vodClient(emulator);
      const got = await pullAtLeast(vod, 2);
      assert.deepEqual(got.map((e) => [e.EventType, e.FileUploadEvent?.FileId ?? e.ProcedureStateChangeEvent?.FileId]), [
        ['NewFileUpload', up.fileId],
        ['ProcedureStateChanged', up.fileId],
      ]);
      await confirmAll(vod, got);
    } finally {
      await emulator.close();
      await rm(first.dataDir, { recursive: true, force: true });
    }
  });
});
