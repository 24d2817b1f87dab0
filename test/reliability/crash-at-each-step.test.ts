// Reliability promise: "Process killed mid-upload, whatever the record's status said: on restart the
// upload is PAUSED properly or FAILED with every multipart upload it started aborted and every object
// it stored deleted." The server (src/main.ts, a real child process) is SIGKILLed at each step of an
// upload's start: the emulator carries out the step in full but holds its answer, so the process
// dies knowing nothing of what storage now holds. The start-up recovery of its INSTANCE_ID then runs
// (in this process, as main.ts would before listening) and storage must be empty, or the upload
// resumable and completed byte-identical by another instance.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { HeldOperation, RunningEmulator } from '../../src/emulator/emulator.ts';
import type { TestDatabase } from '../support/database.ts';
import { sendMediaUpload } from '../support/multipart.ts';
import type { TestServer } from '../support/server.ts';
import { crc64, sendResume, sha256 } from '../resume/helpers.ts';
import { payload } from './helpers.ts';
import { recoverInProcess } from './recover-in-process.ts';
import { killProcess } from './server-process.ts';
import { openKillResumeFixture, type KillResumeFixture } from './kill-resume-fixture.ts';

const MiB = 1024 * 1024;
const HOUR_MS = 3_600_000;

let fixture: KillResumeFixture;
let emulator: RunningEmulator;
let database: TestDatabase;
let other: TestServer;
let apiKey: string;
let tenantId: string;
before(async () => {
  fixture = await openKillResumeFixture('crash-steps');
  ({ emulator, database, other, apiKey, tenantId } = fixture);
});
after(async () => {
  await fixture?.dispose();
});

interface Crash {
  readonly id: string;
  readonly source: Buffer;
  readonly instanceId: string;
  /** What the record said when the process died. */
  readonly statusAtCrash: string | undefined;
  readonly multipartIntentAtCrash: boolean | undefined;
}

/**
 * Starts a 3 MiB upload (three 1 MiB parts) on a fresh server process, holds the answer of `step`,
 * SIGKILLs the process once the step was carried out, and reports what the record said then.
 */
async function crashAt(step: HeldOperation, resumeTtl: string): Promise<Crash> {
  const instanceId = `crash-${step}-${resumeTtl}-${randomUUID().slice(0, 8)}`;
  const server = await fixture.startProcess({ INSTANCE_ID: instanceId, RESUME_TTL: resumeTtl });
  const hold = emulator.faults.holdResponse(step);
  const id = randomUUID();
  const source = payload(3 * MiB);
  const { answer } = sendMediaUpload({ url: server.url, key: apiKey, filename: 'crash.mp4', content: source, input: { id } });
  answer.catch(() => undefined);
  await hold.reached;
  await killProcess(server, 'SIGKILL');
  hold.release();
  const row = await database.db.prisma.upload.findUnique({ where: { tenantId_id: { tenantId, id } } });
  const media = await database.db.prisma.storedFile.findFirst({ where: { tenantId, uploadId: id, role: 'MEDIA' } });
  return { id, source, instanceId, statusAtCrash: row?.status, multipartIntentAtCrash: media?.multipartIntent };
}

async function recover(crash: Crash, resumeTtlMs: number) {
  return recoverInProcess(crash.instanceId, { emulator, database, pubsub: other.events.pubsub, resumeTtlMs });
}

async function record(id: string) {
  return database.db.prisma.upload.findUniqueOrThrow({ where: { tenantId_id: { tenantId, id } } });
}

/** Nothing of the upload is left in storage: no open multipart upload, no object under its paths. */
function assertStorageEmpty(bucket: string | null, mediaStoragePath: string | null): void {
  if (bucket === null || mediaStoragePath === null) return;
  const directory = mediaStoragePath.replace(/^\/+/, '').replace(/[^/]*$/, '');
  assert.deepEqual(emulator.state.multipartUploads(bucket, directory), [], 'no multipart upload left open');
  assert.deepEqual(emulator.state.objects(bucket, directory), [], 'no object left stored');
}

/** Another instance resumes the paused upload from its offset; the stored media equals the source. */
async function resumeToTheEnd(crash: Crash): Promise<void> {
  const paused = await record(crash.id);
  const offset = Number(paused.resumableOffset);
  const resumed = await sendResume({ url: other.url, key: apiKey, id: crash.id, offset, rest: crash.source.subarray(offset) }).answer;
  assert.equal(resumed.body.errors, undefined, JSON.stringify(resumed.body.errors));
  const upload = resumed.body.data?.['resumeUpload'] as { status: string; files: Array<{ role: string; bytes: number; sha256: string }> };
  assert.equal(upload.status, 'SUCCEEDED');
  const media = upload.files.find((stored) => stored.role === 'MEDIA');
  assert.deepEqual({ bytes: media?.bytes, sha256: media?.sha256 }, { bytes: crash.source.length, sha256: sha256(crash.source) });
  const file = await database.db.prisma.storedFile.findFirstOrThrow({ where: { tenantId, uploadId: crash.id, role: 'MEDIA' } });
  assert.equal(emulator.state.object(paused.storageBucket!, file.storageKey!)?.crc64, crc64(crash.source));
  assert.deepEqual(emulator.state.multipartUploads(paused.storageBucket!, file.storageKey!), [], 'only the completed upload was ever kept');
}

describe('SIGKILL at each step of an upload start', () => {
  it('after ApplyUpload: the record was PENDING, storage holds nothing, the upload fails Interrupted', async () => {
    const crash = await crashAt('vod.ApplyUpload', '1h');
    assert.equal(crash.statusAtCrash, 'PENDING');
    const report = await recover(crash, HOUR_MS);
    assert.equal(report.interrupted, 1);
    const row = await record(crash.id);
    assert.equal(row.status, 'FAILED');
    assert.equal(row.errorCode, 'Interrupted');
    assert.equal(row.storageBucket, null, 'no storage was granted to the record');
    assert.equal(await database.db.prisma.storedFile.count({ where: { tenantId, uploadId: crash.id } }), 0);
  });

  it('after the multipart upload was created (its id never recorded): UPLOADING was committed first; the restart aborts it and pauses at 0; a resume completes', async () => {
    const crash = await crashAt('cos.initiateMultipart', '1h');
    assert.equal(crash.statusAtCrash, 'UPLOADING', 'UPLOADING is committed before anything is stored');
    assert.equal(crash.multipartIntentAtCrash, true, 'the multipart upload was announced before it was created');
    const before = await record(crash.id);
    const mediaKey = before.mediaStoragePath!.replace(/^\/+/, '');
    assert.equal(emulator.state.multipartUploads(before.storageBucket!, mediaKey).length, 1, 'storage holds the unrecorded multipart upload');

    const report = await recover(crash, HOUR_MS);
    assert.equal(report.paused, 1);
    const row = await record(crash.id);
    assert.equal(row.status, 'PAUSED');
    assert.equal(Number(row.resumableOffset), 0);
    assert.deepEqual(emulator.state.multipartUploads(row.storageBucket!, mediaKey), [], 'the unrecorded multipart upload was aborted');
    await resumeToTheEnd(crash);
  });

  it('after the multipart upload was created, resuming off: the restart fails the upload and aborts the unrecorded multipart upload', async () => {
    const crash = await crashAt('cos.initiateMultipart', '0');
    assert.equal(crash.statusAtCrash, 'UPLOADING');
    const report = await recover(crash, 0);
    assert.equal(report.interrupted, 1);
    assert.equal(report.failedRemovals, 0);
    const row = await record(crash.id);
    assert.equal(row.status, 'FAILED');
    assert.equal(row.errorCode, 'Interrupted');
    assertStorageEmpty(row.storageBucket, row.mediaStoragePath);
    assert.equal(await database.db.prisma.storageCleanup.count({ where: { tenantId, uploadId: crash.id } }), 0, 'nothing left queued');
  });

  it('after the first part was stored (its answer never came): the restart pauses with the multipart upload kept; a resume completes', async () => {
    const crash = await crashAt('cos.uploadPart', '1h');
    assert.equal(crash.statusAtCrash, 'UPLOADING');
    const report = await recover(crash, HOUR_MS);
    assert.equal(report.paused, 1);
    const row = await record(crash.id);
    assert.equal(row.status, 'PAUSED');
    const file = await database.db.prisma.storedFile.findFirstOrThrow({ where: { tenantId, uploadId: crash.id, role: 'MEDIA' } });
    assert.ok(file.multipartUploadId !== null, 'the recorded multipart upload is the one a resume continues');
    assert.deepEqual(
      emulator.state.multipartUploads(row.storageBucket!, file.storageKey!).map((upload) => upload.uploadId),
      [file.multipartUploadId],
      'exactly the recorded multipart upload is kept',
    );
    await resumeToTheEnd(crash);
  });

  it('after the first part was stored, resuming off: the restart fails the upload and storage is empty', async () => {
    const crash = await crashAt('cos.uploadPart', '0');
    const report = await recover(crash, 0);
    assert.equal(report.interrupted, 1);
    const row = await record(crash.id);
    assert.equal(row.status, 'FAILED');
    assertStorageEmpty(row.storageBucket, row.mediaStoragePath);
  });
});
