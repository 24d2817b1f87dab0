import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createUploadSignature } from '../../src/direct/upload-signature.ts';
import { callUgc, UgcApiError, uploadDirect } from '../../src/direct/ugc-client.ts';
import { confirmAll, getBytes, pullAtLeast } from './events-helpers.ts';
import { bytes, cosClient, rejection, sha256, startTestEmulator, vodClient, type TestEmulator } from './helpers.ts';

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

describe('emulator: client-upload API (ApplyUploadUGC / CommitUploadUGC) and COS for browsers', () => {
  let t: TestEmulator;
  let vodUrl: string;
  const sign = (fields: Record<string, unknown> = {}, key?: string): string =>
    createUploadSignature(
      { secretId: t.emulator.secretId, currentTimeStamp: nowSeconds() - 5, expireTime: nowSeconds() + 600, random: Math.floor(Math.random() * 1e9), ...fields },
      key ?? t.emulator.secretKey,
    );
  const apply = (signature: string): Promise<unknown> => callUgc(vodUrl, 'ApplyUploadUGC', { signature, videoName: 'clip', videoType: 'mp4' });
  const codeOf = async (promise: Promise<unknown>): Promise<number> => {
    try {
      await promise;
    } catch (error) {
      if (error instanceof UgcApiError) return error.code;
      throw error;
    }
    assert.fail('expected a refusal');
  };

  before(async () => {
    t = await startTestEmulator({ eventTimings: { longPollMs: 200 } });
    vodUrl = t.emulator.vodEndpoint;
  });
  after(async () => t.stop());

  it('refuses an expired signature with 10005', async () => {
    assert.equal(await codeOf(apply(sign({ currentTimeStamp: nowSeconds() - 700, expireTime: nowSeconds() - 100 }))), 10005);
  });

  it('refuses a tampered signature (parameters changed after signing, or signed with another key) with 10002', async () => {
    const genuine = Buffer.from(sign({ sourceContext: 'mine' }), 'base64');
    const forged = Buffer.concat([genuine.subarray(0, 20), Buffer.from(genuine.subarray(20).toString('utf8').replace('sourceContext=mine', 'sourceContext=them'))]);
    assert.equal(await codeOf(apply(forged.toString('base64'))), 10002);
    assert.equal(await codeOf(apply(sign({}, 'not-the-secret-key'))), 10002);
    assert.equal(await codeOf(apply('bm90IGEgc2lnbmF0dXJl')), 10002);
    assert.equal(await codeOf(apply(sign({ secretId: 'AKIDunknown' }))), 10002);
  });

  it('takes a one-time signature once (10006 after), a plain one again and again', async () => {
    const once = sign({ oneTimeValid: 1 });
    await apply(once);
    assert.equal(await codeOf(apply(once)), 10006);
    const reusable = sign();
    await apply(reusable);
    await apply(reusable);
    assert.ok(t.emulator.state.count('ugc.error') >= 1);
  });

  it('a good signature: media (multipart) and cover to COS, commit, and NewFileUpload carries the signature\'s SourceContext', async () => {
    const media = bytes(3 * 1024 * 1024 + 123, 7);
    const cover = bytes(2000, 8);
    const mediaPath = path.join(t.dataDir, 'direct-clip.mp4');
    const coverPath = path.join(t.dataDir, 'direct-cover.png');
    await writeFile(mediaPath, media);
    await writeFile(coverPath, cover);
    const signature = sign({ sourceContext: 'vi:d:upload-1.mac', oneTimeValid: 1, procedure: 'LongVideoPreset' });
    const done = await uploadDirect(signature, { media: { path: mediaPath }, cover: { path: coverPath } }, { vodUrl, cosUrl: t.emulator.cosEndpoint });
    assert.match(done.fileId, /^\d+$/);
    const stored = await getBytes(done.mediaUrl);
    assert.equal(sha256(stored.body), sha256(media));
    assert.equal(sha256((await getBytes(done.coverUrl ?? '')).body), sha256(cover));
    assert.ok(t.emulator.state.count('cos.initiateMultipart') >= 1);

    const vod = vodClient(t.emulator);
    const [event] = await pullAtLeast(vod, 1);
    assert.equal(event?.EventType, 'NewFileUpload');
    assert.equal(event?.FileUploadEvent?.FileId, done.fileId);
    assert.deepEqual(event?.FileUploadEvent?.MediaBasicInfo?.SourceInfo, { SourceType: 'Upload', SourceContext: 'vi:d:upload-1.mac' });
    assert.equal(event?.FileUploadEvent?.MediaBasicInfo?.Name, 'direct-clip');
    assert.match(event?.FileUploadEvent?.ProcedureTaskId ?? '', /Procedure/);
    if (event !== undefined) await confirmAll(vod, [event]);
  });

  it('commits only with a signature of the same upload: another SourceContext gets 10008', async () => {
    const applied = await callUgc<{ vodSessionKey: string }>(vodUrl, 'ApplyUploadUGC', { signature: sign({ sourceContext: 'a' }), videoName: 'x', videoType: 'mp4' });
    const commit = callUgc(vodUrl, 'CommitUploadUGC', { signature: sign({ sourceContext: 'b' }), vodSessionKey: applied.vodSessionKey });
    assert.equal(await codeOf(commit), 10008);
  });

  it("lets a client-upload session's key leave host unsigned (as vod-js-sdk-v6 does), and no other key", async () => {
    const applied = await callUgc<{ video: { storagePath: string }; storageBucket: string; storageAppId: number; storageRegionV5: string; tempCertificate: { secretId: string; secretKey: string; token: string } }>(
      vodUrl,
      'ApplyUploadUGC',
      { signature: sign(), videoName: 'unsigned-host', videoType: 'mp4' },
    );
    const ugcCert = { SecretId: applied.tempCertificate.secretId, SecretKey: applied.tempCertificate.secretKey, Token: applied.tempCertificate.token };
    const ugcTarget = { Bucket: `${applied.storageBucket}-${applied.storageAppId}`, Region: applied.storageRegionV5, Key: applied.video.storagePath.slice(1) };
    await cosClient(t.emulator, ugcCert, { ForceSignHost: false }).putObject({ ...ugcTarget, Body: bytes(1000, 4) });
    assert.equal(t.emulator.state.object(ugcTarget.Bucket, ugcTarget.Key)?.size, 1000);

    const server = await vodClient(t.emulator).ApplyUpload({ MediaType: 'mp4' });
    const serverCert = server.TempCertificate ?? {};
    const serverTarget = { Bucket: server.StorageBucket ?? '', Region: server.StorageRegion ?? '', Key: (server.MediaStoragePath ?? '').slice(1) };
    const refused = await rejection(() => cosClient(t.emulator, serverCert, { ForceSignHost: false }).putObject({ ...serverTarget, Body: bytes(1000, 5) }));
    assert.equal(refused['code'], 'AccessDenied');
    assert.match(String(refused['message']), /host header must be signed/);
  });

  it('answers CORS preflights for COS and the client-upload API, and exposes ETag to the browser', async () => {
    const origin = 'http://127.0.0.1:4000';
    const preflight = await fetch(`${t.emulator.cosEndpoint}/vodgzp1250000000-1250000000/a/b.mp4?partNumber=1&uploadId=x`, {
      method: 'OPTIONS',
      headers: { Origin: origin, 'Access-Control-Request-Method': 'PUT', 'Access-Control-Request-Headers': 'authorization,x-cos-security-token' },
    });
    assert.equal(preflight.status, 200);
    assert.equal(preflight.headers.get('access-control-allow-origin'), origin);
    assert.match(preflight.headers.get('access-control-allow-methods') ?? '', /PUT/);
    assert.equal(preflight.headers.get('access-control-allow-headers'), 'authorization,x-cos-security-token');
    const api = await fetch(`${vodUrl}/v3/index.php?Action=ApplyUploadUGC`, {
      method: 'OPTIONS',
      headers: { Origin: origin, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type' },
    });
    assert.equal(api.status, 200);
    assert.equal(api.headers.get('access-control-allow-headers'), 'content-type');
    const answered = await fetch(`${vodUrl}/v3/index.php?Action=PrepareUploadUGC`, { method: 'POST', headers: { Origin: origin }, body: '{}' });
    assert.equal(answered.headers.get('access-control-allow-origin'), origin);
    assert.match(answered.headers.get('access-control-expose-headers') ?? '', /ETag/);
    assert.match(answered.headers.get('access-control-expose-headers') ?? '', /x-cos-request-id/);
  });
});
