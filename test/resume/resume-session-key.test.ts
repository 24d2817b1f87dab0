// On Tencent VOD the bucket is VOD's: only the session's temporary key from ApplyUpload may write to
// the session's path. A resume stores with that key while it is valid (kept sealed with the upload),
// and falls back to the service's own key after it expired, which VOD's bucket refuses: the upload
// then stays PAUSED at its offset. The emulator acts like VOD's bucket here (sessionPathsTempOnly).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RunningEmulator } from '../../src/emulator/emulator.ts';
import { payload, waitFor } from '../reliability/helpers.ts';
import type { TestDatabase } from '../support/database.ts';
import { sendMultipart, UPLOAD_MUTATION } from '../support/multipart.ts';
import type { TestServer } from '../support/server.ts';
import { startCuttingProxy } from '../support/tcp-proxy.ts';
import { openTwoInstances, sendResume, sha256, UPLOAD_QUERY, type TwoInstances } from './helpers.ts';

const MiB = 1024 * 1024;
const SIZE = 8 * MiB;

let instances: TwoInstances;
let emulatorDir: string;
let emulator: RunningEmulator;
let database: TestDatabase;
let serverA: TestServer;
let serverB: TestServer;
let key: string;
let tenantId: string;

interface UploadView {
  status: string;
  resumableOffset: number | null;
  error: { code: string; message: string } | null;
  files: Array<{ role: string; bytes: number; sha256: string }>;
}

async function record(id: string): Promise<UploadView | undefined> {
  const answer = await serverA.graphql(UPLOAD_QUERY, { key, variables: { id } });
  return answer.body.data?.['upload'] as UploadView | undefined;
}

/** The upload's row as Postgres holds it, every column as text: what a reader of the database sees. */
async function rowText(id: string): Promise<string> {
  const { rows } = await database.db.pool.query<{ row: string }>(
    `SELECT row_to_json(u)::text AS row FROM "${database.schema}"."uploads" u WHERE u.tenant_id = $1 AND u.id = $2`,
    [tenantId, id],
  );
  assert.equal(rows.length, 1);
  return rows[0]!.row;
}

async function sessionColumns(id: string) {
  return database.db.prisma.upload.findUniqueOrThrow({
    where: { tenantId_id: { tenantId, id } },
    select: { sessionCredentialId: true, sessionCredentialSealed: true, sessionCredentialExpiresAt: true },
  });
}

/** The session key as the emulator issued it (its credential file), to look for it in the database. */
async function issuedKey(secretId: string): Promise<{ secretKey: string; token: string; expiredTime: number }> {
  const file = path.join(emulatorDir, 'vod', 'credentials', `${encodeURIComponent(secretId)}.json`);
  return JSON.parse(await readFile(file, 'utf8')) as { secretKey: string; token: string; expiredTime: number };
}

/** Uploads through a proxy that cuts the connection at 40 % of the media, and waits for PAUSED. */
async function pausedUpload(): Promise<{ id: string; source: Buffer; offset: number }> {
  const id = randomUUID();
  const source = payload(SIZE);
  const proxy = await startCuttingProxy(serverA.url, { cutAfterBytes: Math.floor(SIZE * 0.4) });
  try {
    const { answer } = sendMultipart({
      url: proxy.url,
      key,
      query: UPLOAD_MUTATION,
      variables: { input: { id, media: null } },
      map: { 0: ['variables.input.media'] },
      files: [{ field: '0', filename: 'cut.mp4', content: source }],
    });
    await assert.rejects(answer, 'the cut client gets no answer');
    const paused = await waitFor('the upload to become PAUSED', async () => {
      const current = await record(id);
      return current?.status === 'PAUSED' ? current : undefined;
    });
    assert.ok((paused.resumableOffset ?? 0) > 0, 'some parts were kept');
    return { id, source, offset: paused.resumableOffset ?? -1 };
  } finally {
    await proxy.close();
  }
}

function resume(server: TestServer, upload: { id: string; source: Buffer; offset: number }) {
  return sendResume({ url: server.url, key, id: upload.id, offset: upload.offset, rest: upload.source.subarray(upload.offset) }).answer;
}

async function openMultipartUploads(id: string): Promise<number> {
  const row = await database.db.prisma.upload.findUniqueOrThrow({ where: { tenantId_id: { tenantId, id } } });
  const key = row.mediaStoragePath?.slice(1) ?? '';
  return emulator.state.multipartUploads(row.storageBucket ?? '', key).length;
}

before(async () => {
  instances = await openTwoInstances('resume-key', { sessionPathsTempOnly: true });
  ({ emulator, emulatorDir, database, serverA, serverB } = instances);
  ({ key, tenantId } = await serverA.app.apiKeys.createKey('resume-key-tenant', 'resume key test'));
});

after(async () => {
  await instances?.dispose();
});

describe("resume with the session's temporary key (emulator acting like VOD's bucket)", () => {
  it('keeps the session key sealed with the paused upload, resumes with it on another instance, and clears it at the end', async () => {
    emulator.setSessionPathsTempOnly(true);
    const upload = await pausedUpload();
    const kept = await sessionColumns(upload.id);
    assert.ok(kept.sessionCredentialId !== null && kept.sessionCredentialSealed !== null, 'the session key is kept');
    const issued = await issuedKey(kept.sessionCredentialId);
    assert.equal(kept.sessionCredentialExpiresAt?.getTime(), issued.expiredTime * 1000, 'with its expiry');
    const row = await rowText(upload.id);
    assert.ok(!row.includes(issued.secretKey), 'the secret key is not in the database in clear');
    assert.ok(!row.includes(issued.token), 'nor is the token');

    emulator.state.resetCounters();
    const resumed = await resume(serverB, upload);
    assert.equal(resumed.body.errors, undefined, JSON.stringify(resumed.body.errors));
    const done = resumed.body.data?.['resumeUpload'] as UploadView;
    assert.equal(done.status, 'SUCCEEDED');
    assert.deepEqual(done.files.map((file) => [file.role, file.bytes, file.sha256]), [['MEDIA', SIZE, sha256(upload.source)]]);
    assert.ok(emulator.state.count('cos.uploadPart') > 0, 'the resume stored parts');
    assert.equal(emulator.state.count('cos.signedPermanent'), 0, "storage never saw the service's own key");
    assert.equal(
      emulator.state.cosRequestsSignedBy(kept.sessionCredentialId),
      emulator.state.count('cos.signedTemporary'),
      "every signed storage request of the resume carried the session's key",
    );
    assert.deepEqual(await sessionColumns(upload.id), { sessionCredentialId: null, sessionCredentialSealed: null, sessionCredentialExpiresAt: null });
  });

  it('after the session key expired, the refused fallback leaves the upload PAUSED at its offset; a bucket that takes the service key completes it', async () => {
    emulator.setSessionPathsTempOnly(true);
    const upload = await pausedUpload();
    // The session key's expiry passed (as after a long pause): the resume falls back to the service key.
    await database.db.prisma.upload.update({
      where: { tenantId_id: { tenantId, id: upload.id } },
      data: { sessionCredentialExpiresAt: new Date(Date.now() - 60_000) },
    });
    emulator.state.resetCounters();
    const refused = await resume(serverA, upload);
    const error = refused.body.errors?.[0];
    assert.equal(error?.extensions?.['code'], 'AuthFailure', JSON.stringify(refused.body.errors));
    assert.equal(error?.extensions?.['uploadId'], upload.id);
    assert.match(error?.message ?? '', /service's own key .*expired at/);
    assert.ok(emulator.state.count('cos.permanentKeyRefused') > 0, 'VOD-like storage refused the service key');
    assert.equal(emulator.state.count('cos.uploadPart'), 0, 'no part was sent with a key storage refuses');
    const paused = await record(upload.id);
    assert.equal(paused?.status, 'PAUSED');
    assert.equal(paused?.resumableOffset, upload.offset, 'at the same offset: nothing was lost');
    assert.equal(paused?.error?.code, 'AuthFailure');
    assert.equal(await openMultipartUploads(upload.id), 1, 'the multipart upload stays open');

    // Storage that lets the service's key in (the emulator by default, a bucket of one's own): the fallback works.
    emulator.setSessionPathsTempOnly(false);
    emulator.state.resetCounters();
    const resumed = await resume(serverB, upload);
    assert.equal(resumed.body.errors, undefined, JSON.stringify(resumed.body.errors));
    const done = resumed.body.data?.['resumeUpload'] as UploadView;
    assert.equal(done.status, 'SUCCEEDED');
    assert.deepEqual(done.files.map((file) => [file.role, file.bytes, file.sha256]), [['MEDIA', SIZE, sha256(upload.source)]]);
    assert.equal(emulator.state.count('cos.signedTemporary'), 0, 'the expired session key was not used');
    assert.equal(emulator.state.cosRequestsSignedBy(emulator.secretId), emulator.state.count('cos.signedPermanent'));
    assert.ok(emulator.state.count('cos.uploadPart') > 0);
    assert.deepEqual(await sessionColumns(upload.id), { sessionCredentialId: null, sessionCredentialSealed: null, sessionCredentialExpiresAt: null });
  });

  it('clears the kept session key when a paused upload is canceled', async () => {
    emulator.setSessionPathsTempOnly(true);
    const upload = await pausedUpload();
    assert.notEqual((await sessionColumns(upload.id)).sessionCredentialSealed, null);
    const canceled = await serverA.graphql('mutation($id: ID!) { cancelUpload(id: $id) { status } }', { key, variables: { id: upload.id } });
    assert.deepEqual(canceled.body.data?.['cancelUpload'], { status: 'CANCELED' });
    assert.deepEqual(await sessionColumns(upload.id), { sessionCredentialId: null, sessionCredentialSealed: null, sessionCredentialExpiresAt: null });
  });
});
