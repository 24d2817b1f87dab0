/**
 * The SourceContext the service puts into a direct upload's signature:
 * `vi:d:<tenantId>.<uploadId>.<mac>`, the mac an HMAC-SHA256 of both ids under the service's secret
 * key. VOD echoes it in the NewFileUpload event, which is how the service ties that event to its
 * record (ids are per tenant, so both are named). A client cannot make one for another upload (it
 * has no key), and cannot change the one it was given (the upload signature's own HMAC covers it).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { UploadKey } from '../domain/upload-key.ts';

const PREFIX = 'vi:d:';
/** 128 bits of the HMAC, base64url: 22 characters. */
const MAC_BYTES = 16;
const ID = /^[A-Za-z0-9_-]{1,100}$/;

function macOf(key: UploadKey, secretKey: string): Buffer {
  return createHmac('sha256', secretKey).update(`${PREFIX}${key.tenantId}.${key.id}`).digest().subarray(0, MAC_BYTES);
}

/** At most 5 + 100 + 1 + 100 + 1 + 22 = 229 characters: within VOD's 250. */
export function directSourceContext(key: UploadKey, secretKey: string): string {
  if (!ID.test(key.tenantId) || !ID.test(key.id)) throw new RangeError('tenant and upload ids are 1-100 letters, digits, _ or -');
  return `${PREFIX}${key.tenantId}.${key.id}.${macOf(key, secretKey).toString('base64url')}`;
}

/** The upload a SourceContext names, when the service made it; undefined for anything else. */
export function parseDirectSourceContext(value: string, secretKey: string): UploadKey | undefined {
  if (!value.startsWith(PREFIX)) return undefined;
  const parts = value.slice(PREFIX.length).split('.');
  if (parts.length !== 3) return undefined;
  const [tenantId = '', id = '', mac = ''] = parts;
  if (!ID.test(tenantId) || !ID.test(id)) return undefined;
  const key = { tenantId, id };
  const given = Buffer.from(mac, 'base64url');
  const expected = macOf(key, secretKey);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  return key;
}
