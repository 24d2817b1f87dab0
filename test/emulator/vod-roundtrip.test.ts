import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Crc64 } from '../../src/checksums/crc64.ts';
import { bytes, cosClient, cosPathStyleClient, sha256, startTestEmulator, vodClient, type TestEmulator } from './helpers.ts';

const MiB = 1024 * 1024;

describe('emulator: ApplyUpload → COS → CommitUpload with the real SDKs', () => {
  let t: TestEmulator;
  before(async () => {
    t = await startTestEmulator();
  });
  after(async () => {
    await t.stop();
  });

  it('single PUT round trip; MediaUrl serves the same bytes with the right CRC64', async () => {
    const { emulator } = t;
    const vod = vodClient(emulator);
    const media = bytes(300_000, 7);
    const cover = bytes(5_000, 9);
    const apply = await vod.ApplyUpload({
      MediaType: 'mp4', MediaName: 'Wild life', CoverType: 'PNG', SubAppId: 1500000001, Procedure: 'QCVB_SimpleProcessFile(1, 1)',
      ExpireTime: '2099-01-01T00:00:00Z', ClassId: 3, SourceContext: 'src', SessionContext: 'sess',
    });
    assert.match(apply.StorageBucket ?? '', /^[a-z\d-]+-\d+$/);
    assert.equal(apply.StorageRegion, 'ap-guangzhou');
    assert.match(apply.MediaStoragePath ?? '', /^\/[a-z0-9]+\/\d{19}\/Wild_life\.mp4$/);
    assert.ok(apply.CoverStoragePath?.endsWith('/cover.png'));
    assert.match(apply.RequestId ?? '', /^[0-9a-f-]{36}$/);
    const cert = apply.TempCertificate!;
    assert.ok(cert.SecretId && cert.SecretKey && cert.Token && (cert.ExpiredTime ?? 0) > Date.now() / 1000);

    const cos = cosClient(emulator, cert);
    const Bucket = apply.StorageBucket!;
    const Region = apply.StorageRegion;
    const put = await cos.putObject({ Bucket, Region, Key: apply.MediaStoragePath!.slice(1), Body: media });
    assert.equal(put.ETag, `"${(await import('node:crypto')).createHash('md5').update(media).digest('hex')}"`);
    const expectedCrc = new Crc64();
    expectedCrc.update(media);
    assert.equal(put.headers?.['x-cos-hash-crc64ecma'], expectedCrc.digest());
    await cosPathStyleClient(emulator, cert).putObject({ Bucket, Region, Key: apply.CoverStoragePath!.slice(1), Body: cover });

    const commit = await vod.CommitUpload({ VodSessionKey: apply.VodSessionKey!, SubAppId: 1500000001 });
    assert.match(commit.FileId ?? '', /^\d{19}$/);
    assert.ok(commit.MediaUrl?.startsWith(`${emulator.cosEndpoint}/${Bucket}/`));
    assert.notEqual(commit.RequestId, apply.RequestId);

    const got = await fetch(commit.MediaUrl!);
    assert.equal(got.status, 200);
    assert.equal(sha256(Buffer.from(await got.arrayBuffer())), sha256(media));
    assert.equal(got.headers.get('x-cos-hash-crc64ecma'), expectedCrc.digest());
    const coverGot = await fetch(commit.CoverUrl!);
    assert.equal(sha256(Buffer.from(await coverGot.arrayBuffer())), sha256(cover));

    const ranged = await fetch(commit.MediaUrl!, { headers: { Range: 'bytes=100-199' } });
    assert.equal(ranged.status, 206);
    assert.equal(ranged.headers.get('content-range'), `bytes 100-199/${media.length}`);
    assert.deepEqual(Buffer.from(await ranged.arrayBuffer()), media.subarray(100, 200));

    const record = emulator.state.mediaRecord(commit.FileId!);
    assert.ok(record);
    assert.equal(record.mediaName, 'Wild life');
    assert.equal(record.coverType, 'PNG');
    assert.equal(record.classId, 3);
    assert.equal(record.procedure, 'QCVB_SimpleProcessFile(1, 1)');
    assert.equal(record.subAppId, 1500000001);
    assert.equal(record.sourceContext, 'src');
    assert.equal(record.sessionContext, 'sess');
    assert.equal(record.expireTime, '2099-01-01T00:00:00Z');
    assert.equal(record.objects.length, 2);
    const admin = (await (await fetch(`${emulator.vodEndpoint}/__emulator/media/${commit.FileId}`)).json()) as { fileId: string };
    assert.equal(admin.fileId, commit.FileId);
  });

  it('3-part multipart round trip (multipartInit / multipartUpload ×3 / multipartComplete)', async () => {
    const { emulator } = t;
    const vod = vodClient(emulator);
    const apply = await vod.ApplyUpload({ MediaType: 'mov', StorageRegion: 'ap-chongqing' });
    assert.equal(apply.StorageRegion, 'ap-chongqing');
    const cos = cosClient(emulator, apply.TempCertificate!);
    const Bucket = apply.StorageBucket!;
    const Region = apply.StorageRegion;
    const Key = apply.MediaStoragePath!.slice(1);
    const data = bytes(2 * MiB + 12_345, 3);
    const init = await cos.multipartInit({ Bucket, Region, Key });
    assert.equal(emulator.state.multipartUploads().length, 1);
    const parts = [];
    for (let n = 1; n <= 3; n++) {
      const Body = data.subarray((n - 1) * MiB, Math.min(n * MiB, data.length));
      const r = await cos.multipartUpload({ Bucket, Region, Key, UploadId: init.UploadId, PartNumber: n, Body });
      parts.push({ PartNumber: n, ETag: r.ETag });
    }
    const done = await cos.multipartComplete({ Bucket, Region, Key, UploadId: init.UploadId, Parts: parts });
    assert.match(done.ETag, /^"[0-9a-f]{32}-3"$/);
    assert.equal(emulator.state.multipartUploads().length, 0);
    const commit = await vod.CommitUpload({ VodSessionKey: apply.VodSessionKey! });
    const got = await fetch(commit.MediaUrl!);
    const body = Buffer.from(await got.arrayBuffer());
    assert.equal(sha256(body), sha256(data));
    const crc = new Crc64();
    crc.update(data);
    assert.equal(got.headers.get('x-cos-hash-crc64ecma'), crc.digest());
    assert.equal(emulator.state.count('cos.uploadPart'), 3);
    assert.equal(emulator.state.count('cos.completeMultipart'), 1);
  });

  it('sliceUploadFile (ListMultipartUploads first) works', async () => {
    const { emulator } = t;
    const { writeFile } = await import('node:fs/promises');
    const path = await import('node:path');
    const vod = vodClient(emulator);
    const apply = await vod.ApplyUpload({ MediaType: 'mp4' });
    const cos = cosClient(emulator, apply.TempCertificate!);
    const file = path.join(t.dataDir, 'slice-src.bin');
    const data = bytes(3_500_000, 11);
    await writeFile(file, data);
    const before = emulator.state.count('cos.listMultipartUploads');
    await cos.sliceUploadFile({ Bucket: apply.StorageBucket!, Region: apply.StorageRegion!, Key: apply.MediaStoragePath!.slice(1), FilePath: file });
    assert.equal(emulator.state.count('cos.listMultipartUploads'), before + 1);
    const commit = await vod.CommitUpload({ VodSessionKey: apply.VodSessionKey! });
    const got = Buffer.from(await (await fetch(commit.MediaUrl!)).arrayBuffer());
    assert.equal(sha256(got), sha256(data));
  });
});
