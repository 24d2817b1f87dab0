// Resumable uploads: a client cut off mid-media leaves the upload PAUSED at a part boundary; any
// instance continues it with resumeUpload, and the stored media is byte-identical to the source.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { RunningEmulator } from '../../src/emulator/emulator.ts';
import { heldBytes, payload, waitFor } from '../reliability/helpers.ts';
import type { TestDatabase } from '../support/database.ts';
import { sendMultipart, UPLOAD_MUTATION } from '../support/multipart.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { startCuttingProxy } from '../support/tcp-proxy.ts';
import { crc64, openTwoInstances, RESUME_MUTATION, sendResume, sha256, UPLOAD_QUERY, type TwoInstances } from './helpers.ts';

const MiB = 1024 * 1024;
const SIZE = 8 * MiB;

let instances: TwoInstances;
let emulator: RunningEmulator;
let database: TestDatabase;
let serverA: TestServer;
let serverB: TestServer;
let keyA: string;
let keyB: string;
let tenantA: string;

interface PausedUpload {
  readonly id: string;
  readonly source: Buffer;
  readonly offset: number;
  readonly resumableUntil: string;
}

async function record(server: TestServer, key: string, id: string) {
  const answer = await server.graphql(UPLOAD_QUERY, { key, variables: { id } });
  return answer.body.data?.['upload'] as
    | { status: string; resumableOffset: number | null; resumableUntil: string | null; error: { code: string } | null; bytesUploaded: number }
    | undefined;
}

/** Uploads through a proxy that cuts the connection at 40 % of the media; waits for PAUSED (or `until`). */
async function uploadCutAt40(server: TestServer, options: { cover?: Buffer; until?: string } = {}): Promise<PausedUpload & { status: string }> {
  const id = randomUUID();
  const source = payload(SIZE);
  const proxy = await startCuttingProxy(server.url, { cutAfterBytes: Math.floor(SIZE * 0.4) });
  try {
    const files = [{ field: '0', filename: 'cut.mp4', content: source }];
    const map: Record<string, string[]> = { 0: ['variables.input.media'] };
    if (options.cover !== undefined) {
      files.push({ field: '1', filename: 'cover.jpg', content: options.cover });
      map[1] = ['variables.input.cover'];
    }
    const { answer } = sendMultipart({
      url: proxy.url,
      key: keyA,
      query: UPLOAD_MUTATION,
      variables: { input: { id, media: null, ...(options.cover === undefined ? {} : { cover: null, coverType: 'jpg' }) } },
      map,
      files,
    });
    await assert.rejects(answer, 'the cut client gets no answer');
    await proxy.cut;
    const wanted = options.until ?? 'PAUSED';
    const paused = await waitFor(`the upload to become ${wanted}`, async () => {
      const current = await record(server, keyA, id);
      return current?.status === wanted ? current : undefined;
    });
    return {
      id,
      source,
      status: paused.status,
      offset: paused.resumableOffset ?? -1,
      resumableUntil: paused.resumableUntil ?? '',
    };
  } finally {
    await proxy.close();
  }
}

async function openMultipartsOf(id: string): Promise<number> {
  const file = await database.db.prisma.storedFile.findFirst({ where: { tenantId: tenantA, uploadId: id, role: 'MEDIA' } });
  const row = await database.db.prisma.upload.findUnique({ where: { tenantId_id: { tenantId: tenantA, id } } });
  if (file?.storageKey == null || row?.storageBucket == null) return 0;
  return emulator.state.multipartUploads(row.storageBucket, file.storageKey).length;
}

before(async () => {
  instances = await openTwoInstances('resume');
  ({ emulator, database, serverA, serverB } = instances);
  const a = await serverA.app.apiKeys.createKey('resume-tenant-a', 'resume test');
  keyA = a.key;
  tenantA = a.tenantId;
  keyB = (await serverA.app.apiKeys.createKey('resume-tenant-b', 'resume test')).key;
});

after(async () => {
  await instances?.dispose();
});

describe('resumeUpload', () => {
  it('pauses an upload cut at 40 % and completes it on another instance, byte-identical', async () => {
    const cover = payload(64 * 1024);
    const paused = await uploadCutAt40(serverA, { cover });
    assert.ok(paused.offset > 0, `some parts were kept (offset ${paused.offset})`);
    assert.equal(paused.offset % MiB, 0, 'the offset is a part boundary');
    assert.ok(paused.offset <= SIZE * 0.4, 'nothing past what the client sent');
    assert.ok(Date.parse(paused.resumableUntil) > Date.now() + 30 * 60_000, 'kept for RESUME_TTL');
    assert.equal(await openMultipartsOf(paused.id), 1, 'the multipart upload stays open');

    const readsBefore = emulator.state.count('cos.getObject');
    const { answer } = sendResume({
      url: serverB.url,
      key: keyA,
      id: paused.id,
      offset: paused.offset,
      rest: paused.source.subarray(paused.offset),
      cover,
    });
    const resumed = await answer;
    assert.equal(emulator.state.count('cos.getObject'), readsBefore + 1, 'another instance reads the object back once for its SHA-256');
    assert.equal(resumed.body.errors, undefined, JSON.stringify(resumed.body.errors));
    const upload = resumed.body.data?.['resumeUpload'] as {
      status: string;
      bytesUploaded: number;
      mediaUrl: string;
      coverUrl: string;
      resumableOffset: number | null;
      files: Array<{ role: string; bytes: number; sha256: string }>;
    };
    assert.equal(upload.status, 'SUCCEEDED');
    assert.equal(upload.resumableOffset, null);
    assert.equal(upload.bytesUploaded, SIZE + cover.length);
    const media = upload.files.find((file) => file.role === 'MEDIA');
    assert.deepEqual({ bytes: media?.bytes, sha256: media?.sha256 }, { bytes: SIZE, sha256: sha256(paused.source) });
    assert.equal(upload.files.find((file) => file.role === 'COVER')?.sha256, sha256(cover));

    // What storage holds is the source: its CRC-64 and its bytes as served.
    const row = await database.db.prisma.upload.findUniqueOrThrow({ where: { tenantId_id: { tenantId: tenantA, id: paused.id } } });
    const file = await database.db.prisma.storedFile.findFirstOrThrow({ where: { tenantId: tenantA, uploadId: paused.id, role: 'MEDIA' } });
    assert.equal(emulator.state.object(row.storageBucket!, file.storageKey!)?.crc64, crc64(paused.source));
    const served = Buffer.from(await (await fetch(upload.mediaUrl)).arrayBuffer());
    assert.equal(sha256(served), sha256(paused.source));
    assert.equal(await openMultipartsOf(paused.id), 0, 'no multipart upload left open');
    assert.equal(row.instanceId, 'resume-b', 'the other instance finished it');
  });

  it('continues the SHA-256 it paused with when the same instance resumes: no read-back, same digest', async () => {
    const paused = await uploadCutAt40(serverA);
    assert.ok(paused.offset > 0, `some parts were kept (offset ${paused.offset})`);
    const readsBefore = emulator.state.count('cos.getObject');
    const resumed = await sendResume({ url: serverA.url, key: keyA, id: paused.id, offset: paused.offset, rest: paused.source.subarray(paused.offset) }).answer;
    assert.equal(resumed.body.errors, undefined, JSON.stringify(resumed.body.errors));
    const upload = resumed.body.data?.['resumeUpload'] as { status: string; files: Array<{ role: string; bytes: number; sha256: string }> };
    assert.equal(upload.status, 'SUCCEEDED');
    assert.deepEqual(upload.files.map(({ role, bytes, sha256: digest }) => ({ role, bytes, digest })), [
      { role: 'MEDIA', bytes: SIZE, digest: sha256(paused.source) },
    ]);
    assert.equal(emulator.state.count('cos.getObject'), readsBefore, 'nothing read back');
    const row = await database.db.prisma.upload.findUniqueOrThrow({ where: { tenantId_id: { tenantId: tenantA, id: paused.id } } });
    const file = await database.db.prisma.storedFile.findFirstOrThrow({ where: { tenantId: tenantA, uploadId: paused.id, role: 'MEDIA' } });
    assert.equal(emulator.state.object(row.storageBucket!, file.storageKey!)?.crc64, crc64(paused.source));
  });

  for (const firstResumeOn of ['the pausing instance', 'another instance'] as const) {
    it(`pauses a resume cut again (first resume on ${firstResumeOn}) and completes it with the whole file's digests`, async () => {
      const paused = await uploadCutAt40(serverA);
      const firstServer = firstResumeOn === 'the pausing instance' ? serverA : serverB;
      // The resume sends 3 MiB of the rest and stalls; once storage holds two more parts, the
      // client goes away: the upload pauses again further on.
      const body = heldBytes(paused.source.subarray(paused.offset), { chunk: 64 * 1024, delayMs: 0, holdAfter: 3 * MiB });
      const cut = sendResume({ url: firstServer.url, key: keyA, id: paused.id, offset: paused.offset, rest: body.content });
      cut.answer.catch(() => undefined);
      await waitFor('two more parts recorded', async () => {
        const parts = await database.db.prisma.uploadPart.findMany({ where: { tenantId: tenantA, uploadId: paused.id } });
        return parts.some((part) => Number(part.endOffset) >= paused.offset + 2 * MiB);
      });
      cut.request.destroy();
      body.release();
      const again = await waitFor('the resumed upload to pause again', async () => {
        const current = await record(firstServer, keyA, paused.id);
        return current?.status === 'PAUSED' && (current.resumableOffset ?? 0) > paused.offset ? current : undefined;
      });
      const offset = again.resumableOffset ?? -1;
      assert.ok(offset >= paused.offset + 2 * MiB && offset % MiB === 0, `paused again further on, at a part boundary (${paused.offset} → ${offset})`);

      const readsBefore = emulator.state.count('cos.getObject');
      const done = await sendResume({ url: firstServer.url, key: keyA, id: paused.id, offset, rest: paused.source.subarray(offset) }).answer;
      assert.equal(done.body.errors, undefined, JSON.stringify(done.body.errors));
      const upload = done.body.data?.['resumeUpload'] as { status: string; files: Array<{ role: string; bytes: number; sha256: string }> };
      assert.equal(upload.status, 'SUCCEEDED');
      assert.deepEqual(
        upload.files.map(({ bytes, sha256: digest }) => ({ bytes, digest })),
        [{ bytes: SIZE, digest: sha256(paused.source) }],
      );
      // The pausing instance carries its SHA-256 through both resumes; another one has none to carry.
      const readsBack = firstResumeOn === 'the pausing instance' ? 0 : 1;
      assert.equal(emulator.state.count('cos.getObject') - readsBefore, readsBack);
      const row = await database.db.prisma.upload.findUniqueOrThrow({ where: { tenantId_id: { tenantId: tenantA, id: paused.id } } });
      const file = await database.db.prisma.storedFile.findFirstOrThrow({ where: { tenantId: tenantA, uploadId: paused.id, role: 'MEDIA' } });
      assert.equal(emulator.state.object(row.storageBucket!, file.storageKey!)?.crc64, crc64(paused.source));
    });
  }

  it('keeps the upload PAUSED at its offset when a resume request is malformed, and a good one completes it', async () => {
    const paused = await uploadCutAt40(serverA);
    // The map names the media, but the body ends without it.
    const malformed = await sendMultipart({
      url: serverA.url,
      key: keyA,
      query: RESUME_MUTATION,
      variables: { input: { id: paused.id, offset: paused.offset, media: null } },
      map: { 0: ['variables.input.media'] },
      files: [],
    }).answer;
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.errors?.[0]?.extensions?.['code'], 'InvalidParameter');
    const after = await record(serverA, keyA, paused.id);
    assert.deepEqual([after?.status, after?.resumableOffset], ['PAUSED', paused.offset], 'still resumable where it was');
    assert.equal(await openMultipartsOf(paused.id), 1, 'the multipart upload is kept');

    const done = await sendResume({ url: serverA.url, key: keyA, id: paused.id, offset: paused.offset, rest: paused.source.subarray(paused.offset) }).answer;
    assert.equal(done.body.errors, undefined, JSON.stringify(done.body.errors));
    const upload = done.body.data?.['resumeUpload'] as { status: string; files: Array<{ sha256: string }> };
    assert.deepEqual([upload.status, upload.files[0]?.sha256], ['SUCCEEDED', sha256(paused.source)]);
  });

  it('refuses a resume that brings a cover the upload never had, and changes nothing', async () => {
    const paused = await uploadCutAt40(serverA);
    const rest = paused.source.subarray(paused.offset);
    const refused = await sendResume({ url: serverA.url, key: keyA, id: paused.id, offset: paused.offset, rest, cover: payload(1000) }).answer;
    assert.equal(refused.body.errors?.[0]?.extensions?.['code'], 'InvalidParameter');
    assert.match(refused.body.errors?.[0]?.message ?? '', /without a cover/);
    const after = await record(serverA, keyA, paused.id);
    assert.deepEqual([after?.status, after?.resumableOffset], ['PAUSED', paused.offset]);
    const done = await sendResume({ url: serverA.url, key: keyA, id: paused.id, offset: paused.offset, rest }).answer;
    assert.equal((done.body.data?.['resumeUpload'] as { status: string } | undefined)?.status, 'SUCCEEDED', JSON.stringify(done.body.errors));
  });

  it('refuses a wrong offset with the right one, and another tenant or an unknown id as not found', async () => {
    const paused = await uploadCutAt40(serverA);
    const wrong = await sendResume({ url: serverB.url, key: keyA, id: paused.id, offset: paused.offset + 1, rest: Buffer.alloc(16) }).answer;
    assert.equal(wrong.body.errors?.[0]?.extensions?.['code'], 'ResumeOffsetMismatch');
    assert.equal(wrong.body.errors?.[0]?.extensions?.['resumableOffset'], paused.offset);
    assert.equal((await record(serverA, keyA, paused.id))?.status, 'PAUSED', 'a refused resume changes nothing');

    const otherTenant = await sendResume({ url: serverB.url, key: keyB, id: paused.id, offset: paused.offset, rest: Buffer.alloc(16) }).answer;
    const unknown = await sendResume({ url: serverB.url, key: keyB, id: randomUUID(), offset: 0, rest: Buffer.alloc(16) }).answer;
    assert.equal(otherTenant.body.errors?.[0]?.extensions?.['code'], 'ResourceNotFound');
    assert.equal(unknown.body.errors?.[0]?.extensions?.['code'], 'ResourceNotFound');
    assert.equal(otherTenant.body.errors?.[0]?.message.replace(paused.id, 'ID'), unknown.body.errors?.[0]?.message.replace(/[0-9a-f-]{36}/, 'ID'));

    // cancelUpload of a PAUSED upload aborts its multipart upload.
    const aborts = emulator.state.count('cos.abortMultipart');
    const canceled = await serverB.graphql('mutation($id: ID!) { cancelUpload(id: $id) { status error { code } } }', {
      key: keyA,
      variables: { id: paused.id },
    });
    assert.deepEqual(canceled.body.data?.['cancelUpload'], { status: 'CANCELED', error: { code: 'RequestCanceled' } });
    assert.equal(emulator.state.count('cos.abortMultipart'), aborts + 1);
    assert.equal(await openMultipartsOf(paused.id), 0);
  });

  it('lets one of two simultaneous resumes win, and refuses a running or finished upload', async () => {
    const paused = await uploadCutAt40(serverA);
    const rest = paused.source.subarray(paused.offset);
    const bodies = [0, 1].map(() => heldBytes(rest, { chunk: 64 * 1024, delayMs: 0, holdAfter: MiB }));
    const answers = [serverA, serverB].map((server, i) =>
      sendResume({ url: server.url, key: keyA, id: paused.id, offset: paused.offset, rest: bodies[i]!.content }).answer,
    );
    // The loser answers at once; the winner waits for the held bytes.
    const loser = await Promise.race(answers.map((answer, index) => answer.then(() => index)));
    const lost = await answers[loser]!;
    assert.equal(lost.body.errors?.[0]?.extensions?.['code'], 'UploadNotPaused');
    assert.equal((await record(serverA, keyA, paused.id))?.status, 'UPLOADING');
    bodies[1 - loser]!.release();
    bodies[loser]!.release();
    const won = await answers[1 - loser]!;
    assert.equal(won.body.errors, undefined, JSON.stringify(won.body.errors));
    const upload = won.body.data?.['resumeUpload'] as { status: string; files: Array<{ sha256: string }> };
    assert.equal(upload.status, 'SUCCEEDED');
    assert.equal(upload.files[0]?.sha256, sha256(paused.source));

    const again = await sendResume({ url: serverB.url, key: keyA, id: paused.id, offset: paused.offset, rest }).answer;
    assert.equal(again.body.errors?.[0]?.extensions?.['code'], 'UploadNotPaused');
  });

  it('fails an upload not resumed within RESUME_TTL and aborts its multipart upload', async () => {
    const serverC = await startTestServer('resume-c', { emulator, database, env: { RESUME_TTL: '1s', DEFAULT_CONCURRENCY: '2' }, instanceId: 'resume-c' });
    try {
      const aborts = emulator.state.count('cos.abortMultipart');
      const expired = await uploadCutAt40(serverC, { until: 'FAILED' });
      const current = await record(serverC, keyA, expired.id);
      assert.equal(current?.error?.code, 'ResumeExpired');
      assert.equal(current?.resumableOffset, null);
      assert.equal(await openMultipartsOf(expired.id), 0, 'the emulator shows no open multipart upload');
      assert.equal(emulator.state.count('cos.abortMultipart'), aborts + 1);
      const late = await sendResume({ url: serverB.url, key: keyA, id: expired.id, offset: 0, rest: Buffer.alloc(16) }).answer;
      assert.equal(late.body.errors?.[0]?.extensions?.['code'], 'ResumeExpired');
      assert.equal(await serverC.app.uploads.sweepExpiredPauses(), 0, 'nothing is swept twice');
    } finally {
      await serverC.dispose();
    }
  });
});
