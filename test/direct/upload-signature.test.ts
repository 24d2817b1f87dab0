import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  createUploadSignature,
  decodeUploadSignature,
  issueUploadSignature,
  signatureOriginal,
} from '../../src/direct/upload-signature.ts';

/** HMAC-SHA1 through WebCrypto: a second implementation to check node:crypto's use against. */
async function webHmacSha1(key: string, text: string): Promise<Buffer> {
  const k = await webcrypto.subtle.importKey('raw', new TextEncoder().encode(key), { name: 'HMAC', hash: 'SHA-1' }, false, ['sign']);
  return Buffer.from(await webcrypto.subtle.sign('HMAC', k, new TextEncoder().encode(text)));
}

describe('client-upload signature', () => {
  const params = {
    secretId: 'AKIDexample',
    currentTimeStamp: 1_700_000_000,
    expireTime: 1_700_000_600,
    random: 12345,
    procedure: 'QCVB_SimpleProcessFile({1,1,1,1})',
    sourceContext: 'vi:d:abc.mac/+=&',
    vodSubAppId: 1500000001,
    oneTimeValid: 1 as const,
  };

  it('writes the original as a URL query string, required parameters first, values URL-encoded', () => {
    assert.equal(
      signatureOriginal(params),
      'secretId=AKIDexample&currentTimeStamp=1700000000&expireTime=1700000600&random=12345' +
        '&procedure=QCVB_SimpleProcessFile%28%7B1%2C1%2C1%2C1%7D%29&sourceContext=vi%3Ad%3Aabc.mac%2F%2B%3D%26' +
        '&vodSubAppId=1500000001&oneTimeValid=1',
    );
    assert.equal(signatureOriginal({ secretId: 'a', currentTimeStamp: 1, expireTime: 2, random: 3 }), 'secretId=a&currentTimeStamp=1&expireTime=2&random=3');
  });

  it('is base64 of HMAC-SHA1(secretKey, original) followed by the original bytes', async () => {
    const signature = createUploadSignature(params, 'the-secret-key');
    const bytes = Buffer.from(signature, 'base64');
    const original = signatureOriginal(params);
    assert.equal(bytes.subarray(20).toString('utf8'), original);
    assert.deepEqual(bytes.subarray(0, 20), await webHmacSha1('the-secret-key', original));
  });

  it('decodes back to the parameters, and refuses what is no signature', () => {
    const decoded = decodeUploadSignature(createUploadSignature(params, 'k'));
    assert.ok(decoded);
    assert.equal(decoded.params.get('sourceContext'), params.sourceContext);
    assert.equal(decoded.params.get('procedure'), params.procedure);
    assert.equal(decoded.params.get('oneTimeValid'), '1');
    assert.equal(decodeUploadSignature('not base64!'), undefined);
    assert.equal(decodeUploadSignature(Buffer.alloc(20).toString('base64')), undefined);
  });

  it('issues with the given validity and a random per signature', () => {
    const a = issueUploadSignature({ secretId: 'id', oneTimeValid: 1 }, { secretKey: 'k' }, { nowSeconds: 1000, ttlSeconds: 900 });
    const b = issueUploadSignature({ secretId: 'id', oneTimeValid: 1 }, { secretKey: 'k' }, { nowSeconds: 1000, ttlSeconds: 900 });
    assert.equal(a.expiresAtSeconds, 1900);
    const pa = decodeUploadSignature(a.signature)?.params;
    assert.equal(pa?.get('currentTimeStamp'), '1000');
    assert.equal(pa?.get('expireTime'), '1900');
    assert.notEqual(a.signature, b.signature);
  });
});
