import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { request } from 'node:http';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RunningEmulator } from '../../src/emulator/emulator.ts';
import { cosAuthorizationHeader } from '../../src/emulator/cos-sign.ts';
import { bytes, cosClient, cosPathStyleClient, rejection, sha256, startTestEmulator, vodClient, type TestEmulator } from './helpers.ts';

const MiB = 1024 * 1024;

interface Session {
  readonly Bucket: string;
  readonly Region: string;
  readonly Key: string;
  readonly cert: { SecretId?: string; SecretKey?: string; Token?: string };
}

async function session(emulator: RunningEmulator): Promise<Session> {
  const apply = await vodClient(emulator).ApplyUpload({ MediaType: 'mp4' });
  return { Bucket: apply.StorageBucket!, Region: apply.StorageRegion!, Key: apply.MediaStoragePath!.slice(1), cert: apply.TempCertificate! };
}

describe('emulator: COS XML API', () => {
  let t: TestEmulator;
  before(async () => {
    t = await startTestEmulator();
  });
  after(async () => {
    await t.stop();
  });

  it('wrong temporary key → SignatureDoesNotMatch; missing token → AccessDenied; unknown id → InvalidAccessKeyId', async () => {
    const { emulator } = t;
    const s = await session(emulator);
    const put = (cert: Session['cert']) => () => cosClient(emulator, cert).putObject({ Bucket: s.Bucket, Region: s.Region, Key: s.Key, Body: Buffer.from('x') });
    const wrongKey = await rejection(put({ ...s.cert, SecretKey: 'wrong' }));
    assert.equal(wrongKey['statusCode'], 403);
    assert.equal(wrongKey['code'], 'SignatureDoesNotMatch');
    assert.ok(wrongKey['RequestId']);
    const noToken = await rejection(put({ ...s.cert, Token: '' }));
    assert.equal(noToken['code'], 'AccessDenied');
    const badToken = await rejection(put({ ...s.cert, Token: 'forged' }));
    assert.equal(badToken['code'], 'AccessDenied');
    const unknown = await rejection(put({ SecretId: 'AKIDnobody', SecretKey: 'x' }));
    assert.equal(unknown['code'], 'InvalidAccessKeyId');
    assert.equal(emulator.state.object(s.Bucket, s.Key), undefined);
  });

  it('temporary keys are scoped to the upload directory; the permanent key is accepted anywhere', async () => {
    const { emulator } = t;
    const s = await session(emulator);
    const outside = await rejection(() =>
      cosClient(emulator, s.cert).putObject({ Bucket: s.Bucket, Region: s.Region, Key: 'elsewhere/x.mp4', Body: Buffer.from('x') }),
    );
    assert.equal(outside['code'], 'AccessDenied');
    const perm = cosClient(emulator, { SecretId: emulator.secretId, SecretKey: emulator.secretKey });
    const r = await perm.putObject({ Bucket: s.Bucket, Region: s.Region, Key: 'elsewhere/x y(1).mp4', Body: Buffer.from('hello') });
    assert.equal(r.ETag, `"${createHash('md5').update('hello').digest('hex')}"`);
    const head = await perm.headObject({ Bucket: s.Bucket, Region: s.Region, Key: 'elsewhere/x y(1).mp4' });
    assert.equal(head.headers?.['content-length'], '5');
  });

  it('an expired q-sign-time is refused', async () => {
    const { emulator } = t;
    const s = await session(emulator);
    const skewed = cosClient(emulator, s.cert, { SystemClockOffset: -3600 * 1000 });
    const e = await rejection(() => skewed.putObject({ Bucket: s.Bucket, Region: s.Region, Key: s.Key, Body: Buffer.from('x') }));
    assert.equal(e['code'], 'AccessDenied');
  });

  it('Content-MD5 mismatch → InvalidDigest, nothing stored', async () => {
    const { emulator } = t;
    const s = await session(emulator);
    const e = await rejection(() =>
      cosClient(emulator, s.cert).putObject({
        Bucket: s.Bucket, Region: s.Region, Key: s.Key, Body: Buffer.from('abc'), Headers: { 'Content-MD5': createHash('md5').update('abd').digest('base64') },
      }),
    );
    assert.equal(e['code'], 'InvalidDigest');
    assert.equal(emulator.state.object(s.Bucket, s.Key), undefined);
  });

  it('GET of a missing key → 404 NoSuchKey in COS XML', async () => {
    const { emulator } = t;
    const s = await session(emulator);
    const res = await fetch(`${emulator.cosEndpoint}/${s.Bucket}/${s.Key}`);
    assert.equal(res.status, 404);
    assert.ok(res.headers.get('x-cos-request-id'));
    assert.match(await res.text(), /<Error><Code>NoSuchKey<\/Code><Message>[^<]+<\/Message>.*<RequestId>[^<]+<\/RequestId><\/Error>/);
  });

  it('complete with a wrong ETag → InvalidPart; out of order → InvalidPartOrder; small non-last part → EntityTooSmall', async () => {
    const { emulator } = t;
    const s = await session(emulator);
    const cos = cosPathStyleClient(emulator, s.cert);
    const base = { Bucket: s.Bucket, Region: s.Region, Key: s.Key };
    const init = await cos.multipartInit(base);
    const p1 = await cos.multipartUpload({ ...base, UploadId: init.UploadId, PartNumber: 1, Body: bytes(MiB, 1) });
    const p2 = await cos.multipartUpload({ ...base, UploadId: init.UploadId, PartNumber: 2, Body: bytes(1000, 2) });
    const complete = (Parts: { PartNumber: number; ETag: string }[]) => () => cos.multipartComplete({ ...base, UploadId: init.UploadId, Parts });
    const wrong = await rejection(complete([{ PartNumber: 1, ETag: p1.ETag }, { PartNumber: 2, ETag: '"00000000000000000000000000000000"' }]));
    assert.equal(wrong['code'], 'InvalidPart');
    const missing = await rejection(complete([{ PartNumber: 1, ETag: p1.ETag }, { PartNumber: 3, ETag: p2.ETag }]));
    assert.equal(missing['code'], 'InvalidPart');
    const order = await rejection(complete([{ PartNumber: 2, ETag: p2.ETag }, { PartNumber: 1, ETag: p1.ETag }]));
    assert.equal(order['code'], 'InvalidPartOrder');
    const small = await rejection(complete([{ PartNumber: 2, ETag: p2.ETag }, { PartNumber: 3, ETag: p2.ETag }]));
    assert.equal(small['code'], 'InvalidPart');
    const listed = await cos.multipartListPart({ ...base, UploadId: init.UploadId });
    assert.deepEqual(listed.Part.map((p) => [p.PartNumber, p.ETag, p.Size]), [['1', p1.ETag, String(MiB)], ['2', p2.ETag, '1000']]);
    assert.equal(emulator.state.multipartUploads(s.Bucket).length, 1);
    const ok = await cos.multipartComplete({ ...base, UploadId: init.UploadId, Parts: [{ PartNumber: 1, ETag: p1.ETag }, { PartNumber: 2, ETag: p2.ETag }] });
    assert.match(ok.ETag, /-2"$/);
    assert.equal(emulator.state.object(s.Bucket, s.Key)?.size, MiB + 1000);
  });

  it('CompleteMultipartUpload bodies that are not usable XML → 400 MalformedXML in COS XML; the upload stays open', async () => {
    const { emulator } = t;
    const s = await session(emulator);
    const cos = cosClient(emulator, s.cert);
    const base = { Bucket: s.Bucket, Region: s.Region, Key: s.Key };
    const init = await cos.multipartInit(base);
    const p1 = await cos.multipartUpload({ ...base, UploadId: init.UploadId, PartNumber: 1, Body: bytes(1000, 1) });
    const host = `${s.Bucket}.cos.${s.Region}.myqcloud.com`;
    const complete = async (body: string): Promise<{ status: number; text: string }> => {
      const now = Math.floor(Date.now() / 1000);
      const times = `${now - 1};${now + 600}`;
      const authorization = cosAuthorizationHeader({
        method: 'POST', path: `/${s.Key}`, params: [['uploadid', init.UploadId]], headers: [['host', host]],
        signTime: times, keyTime: times, secretKey: emulator.secretKey, secretId: emulator.secretId,
      });
      const [hostname, port] = emulator.hostPort.split(':') as [string, string];
      const headers = { Host: host, Authorization: authorization, 'Content-Type': 'application/xml', 'Content-Length': String(Buffer.byteLength(body)) };
      return new Promise((resolve, reject) => {
        const req = request({ hostname, port: Number(port), method: 'POST', path: `/${s.Key}?uploadId=${encodeURIComponent(init.UploadId)}`, headers }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        });
        req.on('error', reject);
        req.end(body);
      });
    };
    const part = `<Part><PartNumber>1</PartNumber><ETag>${p1.ETag.replaceAll('"', '&quot;')}</ETag></Part>`;
    for (const body of [
      `<CompleteMultipartUpload>${part}`,
      `<CompleteMultipartUpload>${part}</CompleteMultipartUpload><CompleteMultipartUpload/>`,
      `<Other>${part}</Other>`,
      '<CompleteMultipartUpload><Part><ETag>"x"</ETag></Part></CompleteMultipartUpload>',
      `<!DOCTYPE CompleteMultipartUpload [<!ENTITY e SYSTEM "file:///etc/passwd">]><CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&e;</ETag></Part></CompleteMultipartUpload>`,
      'not xml',
    ]) {
      const answer = await complete(body);
      assert.equal(answer.status, 400, body);
      assert.match(answer.text, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<Error><Code>MalformedXML<\/Code><Message>/, body);
      assert.doesNotMatch(answer.text, /root:/, body);
    }
    assert.equal(emulator.state.multipartUploads(s.Bucket, s.Key).length, 1);
    const done = await complete(`<?xml version="1.0"?>\n<CompleteMultipartUpload>${part}</CompleteMultipartUpload>`);
    assert.equal(done.status, 200, done.text);
    assert.equal(emulator.state.object(s.Bucket, s.Key)?.size, 1000);
  });

  it('EntityTooSmall for a non-last part under 1 MiB', async () => {
    const { emulator } = t;
    const s = await session(emulator);
    const cos = cosClient(emulator, s.cert);
    const base = { Bucket: s.Bucket, Region: s.Region, Key: s.Key };
    const init = await cos.multipartInit(base);
    const p1 = await cos.multipartUpload({ ...base, UploadId: init.UploadId, PartNumber: 1, Body: bytes(1000, 1) });
    const p2 = await cos.multipartUpload({ ...base, UploadId: init.UploadId, PartNumber: 2, Body: bytes(1000, 2) });
    const e = await rejection(() => cos.multipartComplete({ ...base, UploadId: init.UploadId, Parts: [{ PartNumber: 1, ETag: p1.ETag }, { PartNumber: 2, ETag: p2.ETag }] }));
    assert.equal(e['code'], 'EntityTooSmall');
  });

  it('abort removes the upload; later calls answer NoSuchUpload', async () => {
    const { emulator } = t;
    const s = await session(emulator);
    const cos = cosClient(emulator, s.cert);
    const base = { Bucket: s.Bucket, Region: s.Region, Key: s.Key };
    const init = await cos.multipartInit(base);
    await cos.multipartUpload({ ...base, UploadId: init.UploadId, PartNumber: 1, Body: bytes(2000, 1) });
    const listed = await cos.multipartList({ Bucket: s.Bucket, Region: s.Region, Prefix: s.Key, Delimiter: '' });
    assert.deepEqual(listed.Upload.map((u) => u.UploadId), [init.UploadId]);
    const before = emulator.state.count('cos.abortMultipart');
    await cos.multipartAbort({ ...base, UploadId: init.UploadId });
    assert.equal(emulator.state.count('cos.abortMultipart'), before + 1);
    assert.equal(emulator.state.multipartUploads(s.Bucket, s.Key).length, 0);
    assert.equal((await cos.multipartList({ Bucket: s.Bucket, Region: s.Region, Prefix: s.Key, Delimiter: '' })).Upload.length, 0);
    const e = await rejection(() => cos.multipartUpload({ ...base, UploadId: init.UploadId, PartNumber: 2, Body: bytes(10, 1) }));
    assert.equal(e['code'], 'NoSuchUpload');
    const admin = (await (await fetch(`${emulator.vodEndpoint}/__emulator/uploads?bucket=${s.Bucket}&prefix=${encodeURIComponent(s.Key)}`)).json()) as unknown[];
    assert.equal(admin.length, 0);
  });

  it('a client that disconnects mid-body stores nothing and leaves no temp file', async () => {
    const { emulator } = t;
    const s = await session(emulator);
    const host = `${s.Bucket}.cos.${s.Region}.myqcloud.com`;
    const now = Math.floor(Date.now() / 1000);
    const times = `${now - 1};${now + 600}`;
    const authorization = cosAuthorizationHeader({
      method: 'PUT', path: `/${s.Key}`, params: [], headers: [['content-length', String(MiB)], ['host', host]],
      signTime: times, keyTime: times, secretKey: emulator.secretKey, secretId: emulator.secretId,
    });
    const [hostname, port] = emulator.hostPort.split(':') as [string, string];
    const req = request({ hostname, port: Number(port), method: 'PUT', path: `/${s.Key}`, headers: { Host: host, 'Content-Length': String(MiB), Authorization: authorization } });
    req.on('error', () => undefined);
    req.write(bytes(200_000));
    await new Promise((r) => setTimeout(r, 100));
    req.destroy();
    const tmp = path.join(t.dataDir, 'tmp');
    for (let i = 0; i < 50 && (await readdir(tmp)).length > 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(await readdir(tmp), []);
    assert.equal(emulator.state.object(s.Bucket, s.Key), undefined);
  });

  it('concurrent multipart uploads of several sessions all land intact', async () => {
    const { emulator } = t;
    const results = await Promise.all(
      Array.from({ length: 6 }, async (_, i) => {
        const s = await session(emulator);
        const cos = cosClient(emulator, s.cert);
        const base = { Bucket: s.Bucket, Region: s.Region, Key: s.Key };
        const data = bytes(2 * MiB + i * 1000, 100 + i);
        const init = await cos.multipartInit(base);
        const parts = await Promise.all(
          [0, 1, 2].map(async (k) => {
            const r = await cos.multipartUpload({ ...base, UploadId: init.UploadId, PartNumber: k + 1, Body: data.subarray(k * MiB, (k + 1) * MiB) });
            return { PartNumber: k + 1, ETag: r.ETag };
          }),
        );
        await cos.multipartComplete({ ...base, UploadId: init.UploadId, Parts: parts });
        return { s, data };
      }),
    );
    for (const { s, data } of results) {
      const res = await fetch(`${emulator.cosEndpoint}/${s.Bucket}/${s.Key}`);
      assert.equal(sha256(Buffer.from(await res.arrayBuffer())), sha256(data));
    }
  });
});
