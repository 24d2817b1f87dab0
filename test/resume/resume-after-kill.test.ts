// A server SIGKILLed mid-media: the start-up recovery of its INSTANCE_ID (what main.ts runs before
// listening) PAUSES the upload at the last recorded part instead of failing it, and another
// instance resumes it. The killed server is a real child process (src/main.ts); the recovery runs
// in this process (one child start fewer: starts are slow on a loaded machine).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { RunningEmulator } from '../../src/emulator/emulator.ts';
import { heldBytes, payload, waitFor } from '../reliability/helpers.ts';
import { recoverInProcess } from '../reliability/recover-in-process.ts';
import { killProcess } from '../reliability/server-process.ts';
import { openKillResumeFixture, type KillResumeFixture } from '../reliability/kill-resume-fixture.ts';
import type { TestDatabase } from '../support/database.ts';
import { sendMediaUpload } from '../support/multipart.ts';
import type { TestServer } from '../support/server.ts';
import { crc64, sendResume, sha256 } from './helpers.ts';

const INSTANCE_ID = 'resume-killed-1';
const MiB = 1024 * 1024;

let fixture: KillResumeFixture;
let emulator: RunningEmulator;
let database: TestDatabase;
let other: TestServer;
let apiKey: string;
let tenantId: string;
before(async () => {
  fixture = await openKillResumeFixture('resume-kill');
  ({ emulator, database, other, apiKey, tenantId } = fixture);
});
after(async () => {
  await fixture?.dispose();
});

describe('resume after the serving process was killed', () => {
  it('pauses the upload when the instance restarts, and another instance completes it', async () => {
    const first = await fixture.startProcess({ INSTANCE_ID, RESUME_TTL: '1h' });
    const id = randomUUID();
    const source = payload(8 * MiB);
    // The client stops after 3 MiB and waits: parts are stored when the process is killed.
    const body = heldBytes(source, { chunk: 64 * 1024, delayMs: 0, holdAfter: 3 * MiB });
    const { answer } = sendMediaUpload({ url: first.url, key: apiKey, filename: 'killed.mp4', content: body.content, input: { id } });
    answer.catch(() => undefined);
    await waitFor('two recorded parts', async () => (await database.db.prisma.uploadPart.count({ where: { tenantId, uploadId: id } })) >= 2);
    await killProcess(first, 'SIGKILL');
    body.release();

    const report = await recoverInProcess(INSTANCE_ID, { emulator, database, pubsub: other.events.pubsub, resumeTtlMs: 3_600_000 });
    assert.deepEqual(report, { interrupted: 0, paused: 1, removed: 0, failedRemovals: 0 });
    const row = await database.db.prisma.upload.findUniqueOrThrow({ where: { tenantId_id: { tenantId, id } } });
    assert.equal(row.status, 'PAUSED');
    assert.equal(row.errorCode, 'Interrupted');
    const offset = Number(row.resumableOffset);
    assert.ok(offset >= 2 * MiB && offset % MiB === 0, `paused at a part boundary (${offset})`);
    assert.equal(emulator.state.count('cos.abortMultipart'), 0, 'the multipart upload is kept');

    const resumed = await sendResume({ url: other.url, key: apiKey, id, offset, rest: source.subarray(offset) }).answer;
    assert.equal(resumed.body.errors, undefined, JSON.stringify(resumed.body.errors));
    const upload = resumed.body.data?.['resumeUpload'] as { status: string; files: Array<{ role: string; bytes: number; sha256: string }> };
    assert.equal(upload.status, 'SUCCEEDED');
    const media = upload.files.find((stored) => stored.role === 'MEDIA');
    assert.deepEqual({ bytes: media?.bytes, sha256: media?.sha256 }, { bytes: source.length, sha256: sha256(source) });
    const file = await database.db.prisma.storedFile.findFirstOrThrow({ where: { tenantId, uploadId: id, role: 'MEDIA' } });
    assert.equal(emulator.state.object(row.storageBucket!, file.storageKey!)?.crc64, crc64(source));
    assert.deepEqual(emulator.state.multipartUploads(row.storageBucket!, file.storageKey!), []);
  });
});
