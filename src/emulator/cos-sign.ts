/**
 * COS XML API request signature (`q-sign-algorithm=sha1`), pure functions.
 * See /work/shared/research/vod-sdk.md §5.3.
 */
import { createHash, createHmac } from 'node:crypto';

export interface CosAuthorization {
  readonly ak: string;
  readonly signStart: number;
  readonly signEnd: number;
  readonly signTime: string;
  readonly keyTime: string;
  readonly headerList: readonly string[];
  readonly paramList: readonly string[];
  readonly signature: string;
}

/** Parses a COS `Authorization` header (`q-sign-algorithm=sha1&q-ak=...`); undefined when malformed. */
export function parseCosAuthorization(header: string): CosAuthorization | undefined {
  const fields = new Map<string, string>();
  for (const pair of header.trim().split('&')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    fields.set(pair.slice(0, eq).toLowerCase(), pair.slice(eq + 1));
  }
  const signTime = fields.get('q-sign-time');
  const keyTime = fields.get('q-key-time');
  const ak = fields.get('q-ak');
  const signature = fields.get('q-signature');
  if (fields.get('q-sign-algorithm') !== 'sha1' || signTime === undefined || keyTime === undefined) return undefined;
  if (ak === undefined || ak === '' || signature === undefined || !/^[0-9a-f]{40}$/.test(signature)) return undefined;
  const m = /^(\d+);(\d+)$/.exec(signTime);
  if (m === null) return undefined;
  const list = (name: string): string[] =>
    (fields.get(name) ?? '').split(';').filter((s) => s !== '').map((s) => s.toLowerCase());
  return {
    ak,
    signStart: Number(m[1]),
    signEnd: Number(m[2]),
    signTime,
    keyTime,
    headerList: list('q-header-list'),
    paramList: list('q-url-param-list'),
    signature,
  };
}

/** RFC 3986 strict percent-encoding: encodeURIComponent plus `! ' ( ) *`. */
export function cosEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export interface CosSignInput {
  readonly method: string;
  /** Decoded object path with a leading `/` (`/` for bucket-level calls). */
  readonly path: string;
  /** Lower-case name → value for each signed query parameter, in list order. */
  readonly params: ReadonlyArray<readonly [string, string]>;
  /** Lower-case name → value for each signed header, in list order. */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly signTime: string;
  readonly keyTime: string;
  readonly secretKey: string;
}

export function cosFormatString(input: CosSignInput): string {
  const kv = (pairs: ReadonlyArray<readonly [string, string]>): string =>
    pairs.map(([k, v]) => `${k}=${cosEncode(v)}`).join('&');
  return `${input.method.toLowerCase()}\n${input.path}\n${kv(input.params)}\n${kv(input.headers)}\n`;
}

export function cosSignKey(secretKey: string, keyTime: string): string {
  return createHmac('sha1', secretKey).update(keyTime).digest('hex');
}

export function cosStringToSign(input: CosSignInput): string {
  const hash = createHash('sha1').update(cosFormatString(input)).digest('hex');
  return `sha1\n${input.signTime}\n${hash}\n`;
}

export function cosSignature(input: CosSignInput): string {
  return createHmac('sha1', cosSignKey(input.secretKey, input.keyTime)).update(cosStringToSign(input)).digest('hex');
}

/** Builds a full COS `Authorization` header value (for tests and helpers). */
export function cosAuthorizationHeader(input: CosSignInput & { readonly secretId: string }): string {
  const names = (pairs: ReadonlyArray<readonly [string, string]>): string => pairs.map(([k]) => k).join(';');
  return [
    'q-sign-algorithm=sha1',
    `q-ak=${input.secretId}`,
    `q-sign-time=${input.signTime}`,
    `q-key-time=${input.keyTime}`,
    `q-header-list=${names(input.headers)}`,
    `q-url-param-list=${names(input.params)}`,
    `q-signature=${cosSignature(input)}`,
  ].join('&');
}
