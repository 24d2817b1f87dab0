import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { cosFormatString, cosSignKey, cosSignature, cosStringToSign } from '../../src/emulator/cos-sign.ts';
import { Crc64, crc64 } from '../../src/checksums/crc64.ts';
import { tc3CanonicalRequest, tc3Signature, tc3StringToSign } from '../../src/emulator/tc3.ts';
import { rejection, startTestEmulator, vodClient, type TestEmulator } from './helpers.ts';
import { rawVod } from './raw-vod.ts';

describe('emulator: signature algorithms against the research test vectors', () => {
  it('TC3-HMAC-SHA256 (tencentcloud-sdk-nodejs-vod 4.1.287 capture)', () => {
    const input = {
      method: 'POST',
      path: '/',
      query: '',
      headers: [
        ['content-type', 'application/json'],
        ['host', 'vod.tencentcloudapi.com'],
      ] as const,
      payloadHash: '286ac4d1d3f4cf911196fedf3504055ff5baf0b9507bab3e43cb7723729bd27c',
      timestamp: 1795621300,
      service: 'vod',
      secretKey: 'testSecretKey',
    };
    assert.equal(
      tc3CanonicalRequest(input),
      'POST\n/\n\ncontent-type:application/json\nhost:vod.tencentcloudapi.com\n\ncontent-type;host\n286ac4d1d3f4cf911196fedf3504055ff5baf0b9507bab3e43cb7723729bd27c',
    );
    assert.equal(
      tc3StringToSign(input),
      'TC3-HMAC-SHA256\n1795621300\n2026-11-25/vod/tc3_request\n3520927d0eff280549f0ccecf1c1a67d451fc80be5263f3fae8d8d685bb3894b',
    );
    assert.equal(tc3Signature(input), '5c56f02438525e34da32ac39740895ff10303b9ba7edfb5799eb23a92dac4f11');
  });

  it('COS q-sign-algorithm=sha1 (cos-nodejs-sdk-v5 3.0.0 capture)', () => {
    const input = {
      method: 'PUT',
      path: '/a1b2c3/5285/playlist/f0 x(1).mp4',
      params: [],
      headers: [
        ['content-length', '2000'],
        ['host', '127.0.0.1:18080'],
      ] as const,
      signTime: '1795621300;1795622200',
      keyTime: '1795621300;1795622200',
      secretKey: 'tmpSecretKey',
    };
    assert.equal(cosFormatString(input), 'put\n/a1b2c3/5285/playlist/f0 x(1).mp4\n\ncontent-length=2000&host=127.0.0.1%3A18080\n');
    assert.equal(cosSignKey('tmpSecretKey', input.keyTime), '4d6fca69503651bc7ff4705a216342c7d2fdad4d');
    assert.equal(cosStringToSign(input), 'sha1\n1795621300;1795622200\nc452ab0e5314363187df52f792dc83d9169f7e9b\n');
    assert.equal(cosSignature(input), '78ec32729d0e6cc8337bc05fdc3704953a80e8c7');
  });

  it('CRC-64/XZ check value and incremental updates', () => {
    assert.equal(crc64(Buffer.from('123456789')), '11051210869376104954');
    assert.equal(BigInt(crc64(Buffer.from('123456789'))), 0x995dc9bbdf1939fan);
    assert.equal(crc64(new Uint8Array(0)), '0');
    const data = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 31) & 0xff));
    for (const split of [1, 7, 8, 9, 500, 999]) {
      const c = new Crc64();
      c.update(data.subarray(0, split));
      c.update(data.subarray(split));
      assert.equal(c.digest(), crc64(data));
    }
  });

  it('CRC-64 checksums running side by side keep their own state', () => {
    const a = Buffer.from('the first file, in several updates');
    const b = Buffer.from('another file, hashed in between');
    const first = new Crc64();
    const second = new Crc64();
    for (let i = 0; i < Math.max(a.length, b.length); i += 5) {
      first.update(a.subarray(i, i + 5));
      second.update(b.subarray(i, i + 5));
      if (i === 10) assert.equal(first.digest(), crc64(a.subarray(0, 15)));
    }
    assert.equal(first.digest(), crc64(a));
    assert.equal(second.digest(), crc64(b));
  });
});

describe('emulator: VOD API authentication', () => {
  let t: TestEmulator;
  before(async () => {
    t = await startTestEmulator();
  });
  after(async () => {
    await t.stop();
  });

  const body = JSON.stringify({ MediaType: 'mp4' });

  it('accepts a well-signed raw request (service name from the scope, host without port)', async () => {
    const { emulator } = t;
    const r = await rawVod({ endpoint: emulator.vodEndpoint, secretId: emulator.secretId, secretKey: emulator.secretKey, action: 'ApplyUpload', body });
    assert.equal(r.status, 200);
    assert.equal(r.json.Response.Error, undefined);
    assert.ok(typeof r.json.Response['VodSessionKey'] === 'string');
  });

  it('wrong secret key → AuthFailure.SignatureFailure (HTTP 200, application/json, UUID RequestId)', async () => {
    const { emulator } = t;
    const e = await rejection(() => vodClient(emulator, { secretId: emulator.secretId, secretKey: 'wrong' }).ApplyUpload({ MediaType: 'mp4' }));
    assert.equal(e['code'], 'AuthFailure.SignatureFailure');
    assert.match(String(e['requestId']), /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const raw = await rawVod({ endpoint: emulator.vodEndpoint, secretId: emulator.secretId, secretKey: 'wrong', action: 'ApplyUpload', body });
    assert.equal(raw.status, 200);
    assert.equal(raw.contentType, 'application/json');
    assert.equal(raw.json.Response.Error?.Code, 'AuthFailure.SignatureFailure');
    assert.notEqual(raw.json.Response.RequestId, e['requestId']);
  });

  it('unknown secret id → AuthFailure.SecretIdNotFound', async () => {
    const e = await rejection(() => vodClient(t.emulator, { secretId: 'AKIDnobody', secretKey: 'x' }).ApplyUpload({ MediaType: 'mp4' }));
    assert.equal(e['code'], 'AuthFailure.SecretIdNotFound');
  });

  it('temporary credentials: work with their token, missing or wrong token → AuthFailure.TokenFailure', async () => {
    const { emulator } = t;
    const tmp = await emulator.createTemporaryCredential();
    const ok = await vodClient(emulator, tmp).ApplyUpload({ MediaType: 'mp4' });
    assert.ok(ok.VodSessionKey);
    const missing = await rejection(() => vodClient(emulator, { secretId: tmp.secretId, secretKey: tmp.secretKey }).ApplyUpload({ MediaType: 'mp4' }));
    assert.equal(missing['code'], 'AuthFailure.TokenFailure');
    const wrong = await rejection(() => vodClient(emulator, { ...tmp, token: 'nope' }).ApplyUpload({ MediaType: 'mp4' }));
    assert.equal(wrong['code'], 'AuthFailure.TokenFailure');
  });

  it('the COS TempCertificate of ApplyUpload does not grant VOD API access', async () => {
    const { emulator } = t;
    const apply = await vodClient(emulator).ApplyUpload({ MediaType: 'mp4' });
    const c = apply.TempCertificate!;
    const e = await rejection(() => vodClient(emulator, { secretId: c.SecretId!, secretKey: c.SecretKey!, token: c.Token! }).ApplyUpload({ MediaType: 'mp4' }));
    assert.equal(e['code'], 'AuthFailure.UnauthorizedOperation');
  });

  it('tampered body → AuthFailure.SignatureFailure', async () => {
    const { emulator } = t;
    const r = await rawVod({
      endpoint: emulator.vodEndpoint, secretId: emulator.secretId, secretKey: emulator.secretKey, action: 'ApplyUpload',
      body, sentBody: JSON.stringify({ MediaType: 'mp3' }),
    });
    assert.equal(r.json.Response.Error?.Code, 'AuthFailure.SignatureFailure');
  });

  it('stale or future timestamp (> 5 min) → AuthFailure.SignatureExpire', async () => {
    const { emulator } = t;
    for (const skew of [-301, 400]) {
      const r = await rawVod({
        endpoint: emulator.vodEndpoint, secretId: emulator.secretId, secretKey: emulator.secretKey, action: 'ApplyUpload',
        body, timestamp: Math.floor(Date.now() / 1000) + skew,
      });
      assert.equal(r.json.Response.Error?.Code, 'AuthFailure.SignatureExpire');
    }
  });

  it('unknown action → InvalidAction', async () => {
    const { emulator } = t;
    const r = await rawVod({ endpoint: emulator.vodEndpoint, secretId: emulator.secretId, secretKey: emulator.secretKey, action: 'ProcessMedia', body: '{}' });
    assert.equal(r.json.Response.Error?.Code, 'InvalidAction');
    assert.equal(r.contentType, 'application/json');
  });
});
