/**
 * The SourceContext the service puts into a direct upload's signature: `vi:d:<uploadId>.<mac>`,
 * the mac an HMAC-SHA256 of the upload id under the service's secret key. VOD echoes it in the
 * NewFileUpload event, which is how the service ties that event to its record. A client cannot
 * make one for another upload (it has no key), and cannot change the one it was given (the upload
 * signature's own HMAC covers it).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

const PREFIX = 'vi:d:';
/** 128 bits of the HMAC, base64url: 22 characters. */
const MAC_BYTES = 16;
const UPLOAD_ID = /^[A-Za-z0-9_-]{1,200}$/;

function macOf(uploadId: string, secretKey: string): Buffer {
  return createHmac('sha256', secretKey).update(`${PREFIX}${uploadId}`).digest().subarray(0, MAC_BYTES);
}

export function directSourceContext(uploadId: string, secretKey: string): string {
  if (!UPLOAD_ID.test(uploadId)) throw new RangeError('an upload id is 1-200 letters, digits, _ or -');
  return `${PREFIX}${uploadId}.${macOf(uploadId, secretKey).toString('base64url')}`;
}

/** The upload id a SourceContext names, when the service made it; undefined for anything else. */
export function parseDirectSourceContext(value: string, secretKey: string): string | undefined {
  if (!value.startsWith(PREFIX)) return undefined;
  const dot = value.lastIndexOf('.');
  if (dot < PREFIX.length) return undefined;
  const uploadId = value.slice(PREFIX.length, dot);
  if (!UPLOAD_ID.test(uploadId)) return undefined;
  const given = Buffer.from(value.slice(dot + 1), 'base64url');
  const expected = macOf(uploadId, secretKey);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  return uploadId;
}
