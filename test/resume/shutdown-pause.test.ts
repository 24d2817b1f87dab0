// Graceful shutdown with resuming on: an upload still streaming when the grace runs out is PAUSED
// (not failed) at the last part stored, its uploader is answered `Interrupted` with the upload id,
// watchers see the PAUSED snapshot, the process exits 0, and another instance resumes the upload
// to a byte-identical object. Real server processes (src/main.ts) on one Postgres schema.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { heldBytes, payload, waitFor } from '../reliability/helpers.ts';
import { openProcessFixture, waitForStoredParts, type ProcessFixture } from '../reliability/server-process.ts';
import { sendMediaUpload, sendMultipart, firstErrorExtensions } from '../support/multipart.ts';
import { PROGRESS_SUBSCRIPTION, subscribeSse } from '../support/subscriptions.ts';
import { crc64, sendResume, sha256 } from './helpers.ts';

const MiB = 1024 * 1024;

let fixture: ProcessFixture;
before(async () => {
  fixture = await openProcessFixture('shutdown-pause');
});
after(async () => {
  await fixture?.dispose();
});

describe('SIGTERM with resuming on', () => {
  it('pauses the streaming upload instead of failing it, and another instance resumes it', async () => {
    const { emulator, apiKey, tenantId, db } = fixture;
    const first = await fixture.start({ SHUTDOWN_GRACE_MS: '1500', RESUME_TTL: '1h' });
    const id = randomUUID();
    const sse = subscribeSse(first.url, apiKey, PROGRESS_SUBSCRIPTION, { id });
    await sse.ready;

    const source = payload(8 * MiB);
    // The client sends 3 MiB, then waits past the grace: parts are stored when the server stops.
    const body = heldBytes(source, { chunk: 64 * 1024, delayMs: 0, holdAfter: 3 * MiB });
    const { answer } = sendMediaUpload({ url: first.url, key: apiKey, filename: 'paused.mp4', content: body.content, input: { id } });
    const open = await waitForStoredParts(fixture, id);
    emulator.state.resetCounters();

    first.child.kill('SIGTERM');
    const interrupted = firstErrorExtensions(await answer);
    assert.equal(interrupted['code'], 'Interrupted');
    assert.equal(interrupted['uploadId'], id);
    assert.equal(await first.exited(), 0, `exit code 0\n${first.output()}`);
    body.release();

    // PAUSED is not the end of the upload: the stream stays open until the process goes, which
    // cuts it (the watcher reconnects to another instance, as after any lost connection).
    await sse.done.catch(() => undefined);
    const last = sse.events.at(-1)?.['uploadProgress'] as { status: string; error: { code: string } | null };
    assert.deepEqual([last.status, last.error?.code], ['PAUSED', 'Interrupted'], 'the watcher saw the PAUSED snapshot');

    const row = await db.prisma.upload.findUniqueOrThrow({ where: { tenantId_id: { tenantId, id } } });
    assert.equal(row.status, 'PAUSED');
    assert.equal(row.errorCode, 'Interrupted');
    assert.match(row.errorMessage ?? '', /resume/i);
    const offset = Number(row.resumableOffset);
    assert.ok(offset >= MiB && offset <= 3 * MiB && offset % MiB === 0, `paused at a part boundary within what was sent (${offset})`);
    assert.ok(row.resumableUntil !== null && row.resumableUntil.getTime() > Date.now() + 30 * 60_000, 'resumable for the configured hour');
    assert.equal(emulator.state.count('cos.abortMultipart'), 0, 'the multipart upload is kept');
    assert.equal(emulator.state.multipartUploads(open.bucket, open.key).length, 1);
    assert.equal(await db.prisma.storageCleanup.count({ where: { uploadId: id } }), 0, 'nothing queued for deletion');

    const second = await fixture.start({ RESUME_TTL: '1h' });
    const resumed = await sendResume({ url: second.url, key: apiKey, id, offset, rest: source.subarray(offset) }).answer;
    assert.equal(resumed.body.errors, undefined, JSON.stringify(resumed.body.errors));
    const upload = resumed.body.data?.['resumeUpload'] as { status: string; files: Array<{ role: string; bytes: number; sha256: string }> };
    assert.equal(upload.status, 'SUCCEEDED');
    const media = upload.files.find((stored) => stored.role === 'MEDIA');
    assert.deepEqual({ bytes: media?.bytes, sha256: media?.sha256 }, { bytes: source.length, sha256: sha256(source) });
    await waitFor('the object to be stored whole', () => emulator.state.object(open.bucket, open.key) !== undefined);
    assert.equal(emulator.state.object(open.bucket, open.key)?.crc64, crc64(source));
    assert.deepEqual(emulator.state.multipartUploads(open.bucket, open.key), []);
  });

  it('fails a manifest upload it cannot pause, as before (HLS is not resumable)', async () => {
    const { apiKey, tenantId, db, emulator } = fixture;
    const server = await fixture.start({ SHUTDOWN_GRACE_MS: '1000', RESUME_TTL: '1h' });
    const id = randomUUID();
    const manifest = Buffer.from('#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nseg0.ts\n#EXT-X-ENDLIST\n');
    const segment = heldBytes(payload(4 * MiB), { chunk: 64 * 1024, delayMs: 0, holdAfter: MiB });
    const { answer } = sendMultipart({
      url: server.url,
      key: apiKey,
      query: `mutation($input: UploadMediaInput!) { uploadMedia(input: $input) { id status } }`,
      variables: { input: { id, media: null, segments: [{ path: 'seg0.ts', file: null }] } },
      map: { 0: ['variables.input.media'], 1: ['variables.input.segments.0.file'] },
      files: [
        { field: '0', filename: 'show.m3u8', content: manifest },
        { field: '1', filename: 'seg0.ts', content: segment.content },
      ],
    });
    await waitFor('the upload to be UPLOADING', async () => {
      const row = await db.prisma.upload.findUnique({ where: { tenantId_id: { tenantId, id } } });
      return row?.status === 'UPLOADING' && emulator.state.count('cos.putObject') + emulator.state.count('cos.initiateMultipart') >= 1;
    });
    server.child.kill('SIGTERM');
    const interrupted = firstErrorExtensions(await answer);
    assert.equal(interrupted['code'], 'Interrupted');
    assert.equal(await server.exited(), 0, `exit code 0\n${server.output()}`);
    segment.release();
    const row = await db.prisma.upload.findUniqueOrThrow({ where: { tenantId_id: { tenantId, id } } });
    assert.deepEqual([row.status, row.errorCode], ['FAILED', 'Interrupted']);
    assert.equal(await db.prisma.storageCleanup.count({ where: { uploadId: id } }), 0, 'what it stored was removed');
  });
});
