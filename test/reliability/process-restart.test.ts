// Reliability promise: "Process killed mid-upload: on restart the record becomes FAILED (Interrupted)
// and its multipart upload is aborted." The server runs as a real child process (src/main.ts) against
// an emulator that lives in this test process, so the emulator outlives the SIGKILL.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sendMultipart, UPLOAD_MUTATION } from '../support/multipart.ts';
import { heldBytes, payload } from './helpers.ts';
import { killProcess, openProcessFixture, waitForStoredParts, type ProcessFixture } from './server-process.ts';

const INSTANCE_ID = 'reliability-restart-1';
const MiB = 1024 * 1024;
/** The same INSTANCE_ID for both lives; resuming off: the restart fails what it finds (test/resume covers the restart that pauses). */
const SERVER_ENV = { INSTANCE_ID, RESUME_TTL: '0', LOG_LEVEL: 'warn' };

let fixture: ProcessFixture;
before(async () => {
  fixture = await openProcessFixture('restart');
});
after(async () => {
  // Kills whatever still runs, even when a test failed: no child process may outlive the file.
  await fixture?.dispose();
});

describe('process killed mid-upload', () => {
  it('marks the upload FAILED (Interrupted) on restart and aborts its multipart upload', async () => {
    const { emulator, db, apiKey, tenantId } = fixture;
    const first = await fixture.start(SERVER_ENV);
    emulator.state.resetCounters();
    const id = randomUUID();
    // 8 MiB in 64 KiB pieces; the client stops after 3 MiB and waits, so the upload is certainly
    // still running (parts stored, the next one buffering) when the process is killed.
    const body = heldBytes(payload(8 * MiB), { chunk: 64 * 1024, delayMs: 5, holdAfter: 3 * MiB });
    const { answer } = sendMultipart({
      url: first.url,
      key: apiKey,
      query: UPLOAD_MUTATION,
      variables: { input: { id, media: null, mediaName: 'killed' } },
      map: { '0': ['variables.input.media'] },
      files: [{ field: '0', filename: 'killed.mp4', content: body.content }],
    });
    const answered = answer.then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );

    // In flight: the row is UPLOADING, its open multipart upload is recorded, and storage holds parts of it.
    const open = await waitForStoredParts(fixture, id);
    assert.equal(emulator.state.count('cos.abortMultipart'), 0);

    await killProcess(first, 'SIGKILL');
    assert.equal(first.child.signalCode, 'SIGKILL');
    const lost = await answered;
    assert.ok('error' in lost, 'the client of a killed server gets no answer');
    // Nothing cleaned up behind the dead process: the multipart upload is still open.
    assert.equal(emulator.state.multipartUploads(open.bucket, open.key).length, 1);

    const second = await fixture.start(SERVER_ENV);
    // Recovery runs before the server listens: by now it has finished.
    const answer2 = await fixture.graphql(second.url, 'query($id: ID!) { upload(id: $id) { id status error { code message } finishedAt } }', { id });
    assert.equal(answer2.errors, undefined, JSON.stringify(answer2.errors));
    const record = answer2.data?.['upload'] as { status: string; error: { code: string; message: string } | null; finishedAt: string | null };
    assert.equal(record.status, 'FAILED');
    assert.equal(record.error?.code, 'Interrupted');
    assert.ok(record.finishedAt !== null);

    assert.deepEqual(emulator.state.multipartUploads(open.bucket, open.key), [], 'no multipart upload left open for the key');
    assert.equal(emulator.state.count('cos.abortMultipart'), 1, 'the restart aborted the multipart upload');
    assert.equal(emulator.state.count('cos.completeMultipart'), 0);
    assert.equal(emulator.state.count('vod.CommitUpload'), 0);
    assert.equal(emulator.state.object(open.bucket, open.key), undefined, 'no object was stored');
    const stillOpen = await db.prisma.storedFile.count({ where: { tenantId, uploadId: id, multipartUploadId: { not: null } } });
    assert.equal(stillOpen, 0, 'the database no longer lists an open multipart upload');
    assert.match(second.output(), /recovered interrupted uploads/);
    body.release();
  });
});
