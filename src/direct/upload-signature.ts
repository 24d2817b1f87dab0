/**
 * Tencent VOD's client-upload signature ("客户端上传签名"): the parameters as a URL query string
 * (`original`), then base64 of HMAC-SHA1(secretKey, original) followed by the bytes of `original`.
 * VOD (and the emulator) read the parameters back from the signature itself; the HMAC proves the
 * holder of the secret key wrote them, so a client cannot change any of them.
 */
import { createHmac, randomInt } from 'node:crypto';

/** The signature's parameters, named as in Tencent's documentation. Times are Unix seconds. */
export interface UploadSignatureParams {
  readonly secretId: string;
  readonly currentTimeStamp: number;
  readonly expireTime: number;
  /** Random unsigned 32-bit integer. */
  readonly random: number;
  readonly procedure?: string | undefined;
  readonly classId?: number | undefined;
  /** At most 250 characters; VOD echoes it in the NewFileUpload event. */
  readonly sourceContext?: string | undefined;
  readonly sessionContext?: string | undefined;
  readonly vodSubAppId?: number | undefined;
  /** 1: the signature can be used for one upload only. */
  readonly oneTimeValid?: 0 | 1 | undefined;
  readonly storageRegion?: string | undefined;
  readonly taskPriority?: number | undefined;
  readonly taskNotifyMode?: string | undefined;
}

const HMAC_BYTES = 20;
const OPTIONAL_KEYS = [
  'procedure', 'classId', 'sourceContext', 'sessionContext', 'vodSubAppId', 'oneTimeValid', 'storageRegion',
  'taskPriority', 'taskNotifyMode',
] as const satisfies readonly (keyof UploadSignatureParams)[];

/** The plain-text `original`: required parameters first, then the optional ones that are set, URL-encoded. */
export function signatureOriginal(params: UploadSignatureParams): string {
  const query = new URLSearchParams();
  query.set('secretId', params.secretId);
  query.set('currentTimeStamp', String(params.currentTimeStamp));
  query.set('expireTime', String(params.expireTime));
  query.set('random', String(params.random));
  for (const key of OPTIONAL_KEYS) {
    const value = params[key];
    if (value !== undefined) query.set(key, String(value));
  }
  return query.toString();
}

/** Signs an `original` string with the secret key. */
export function signOriginal(original: string, secretKey: string): string {
  const text = Buffer.from(original, 'utf8');
  const mac = createHmac('sha1', secretKey).update(text).digest();
  return Buffer.concat([mac, text]).toString('base64');
}

export function createUploadSignature(params: UploadSignatureParams, secretKey: string): string {
  return signOriginal(signatureOriginal(params), secretKey);
}

/** A fresh signature valid from `nowSeconds` for `ttlSeconds`, one-time unless told otherwise. */
export function issueUploadSignature(
  fields: Omit<UploadSignatureParams, 'currentTimeStamp' | 'expireTime' | 'random'>,
  keys: { secretKey: string },
  timing: { nowSeconds: number; ttlSeconds: number },
): { signature: string; expiresAtSeconds: number } {
  const expiresAtSeconds = timing.nowSeconds + timing.ttlSeconds;
  const signature = createUploadSignature(
    { ...fields, currentTimeStamp: timing.nowSeconds, expireTime: expiresAtSeconds, random: randomInt(0, 2 ** 32 - 1) },
    keys.secretKey,
  );
  return { signature, expiresAtSeconds };
}

/** A signature taken apart: the HMAC it carries and the `original` it covers. */
export interface DecodedSignature {
  readonly mac: Buffer;
  readonly original: string;
  readonly params: URLSearchParams;
}

/** Splits a signature; undefined when it is not base64 of an HMAC-SHA1 followed by a query string. */
export function decodeUploadSignature(signature: string): DecodedSignature | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(signature)) return undefined;
  const bytes = Buffer.from(signature, 'base64');
  if (bytes.length <= HMAC_BYTES) return undefined;
  const original = bytes.subarray(HMAC_BYTES).toString('utf8');
  return { mac: bytes.subarray(0, HMAC_BYTES), original, params: new URLSearchParams(original) };
}
