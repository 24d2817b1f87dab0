/**
 * TC3-HMAC-SHA256 (Tencent Cloud API v3) signing and verification, pure functions.
 * See /work/shared/research/vod-sdk.md §5.1.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export interface Tc3Authorization {
  readonly secretId: string;
  readonly date: string;
  readonly service: string;
  readonly signedHeaders: readonly string[];
  readonly signature: string;
}

const AUTH_RE =
  /^TC3-HMAC-SHA256\s+Credential=([^/\s,]+)\/(\d{4}-\d{2}-\d{2})\/([^/\s,]+)\/tc3_request,\s*SignedHeaders=([a-z0-9;-]+),\s*Signature=([0-9a-f]{64})$/;

/** Parses an `Authorization: TC3-HMAC-SHA256 ...` header; undefined when malformed. */
export function parseTc3Authorization(header: string): Tc3Authorization | undefined {
  const m = AUTH_RE.exec(header.trim());
  if (m === null) return undefined;
  return {
    secretId: m[1]!,
    date: m[2]!,
    service: m[3]!,
    signedHeaders: m[4]!.split(';').filter((h) => h !== ''),
    signature: m[5]!,
  };
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

function hmac(key: string | Buffer, msg: string): Buffer {
  return createHmac('sha256', key).update(msg).digest();
}

/** UTC `YYYY-MM-DD` of a unix timestamp in seconds. */
export function tc3Date(timestamp: number): string {
  return new Date(timestamp * 1000).toISOString().slice(0, 10);
}

export interface Tc3SignInput {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  /** Lower-case header name → value, for the signed headers only, in signing order. */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  /** Hex SHA-256 of the raw body (or of the literal `UNSIGNED-PAYLOAD`). */
  readonly payloadHash: string;
  readonly timestamp: number;
  readonly service: string;
  readonly secretKey: string;
}

export function tc3CanonicalRequest(input: Tc3SignInput): string {
  const canonicalHeaders = input.headers.map(([k, v]) => `${k}:${v.trim()}\n`).join('');
  const signed = input.headers.map(([k]) => k).join(';');
  return [input.method.toUpperCase(), input.path, input.query, canonicalHeaders, signed, input.payloadHash].join('\n');
}

export function tc3StringToSign(input: Tc3SignInput): string {
  const date = tc3Date(input.timestamp);
  const scope = `${date}/${input.service}/tc3_request`;
  return ['TC3-HMAC-SHA256', String(input.timestamp), scope, sha256Hex(tc3CanonicalRequest(input))].join('\n');
}

export function tc3Signature(input: Tc3SignInput): string {
  const date = tc3Date(input.timestamp);
  const kDate = hmac(`TC3${input.secretKey}`, date);
  const kService = hmac(kDate, input.service);
  const kSigning = hmac(kService, 'tc3_request');
  return createHmac('sha256', kSigning).update(tc3StringToSign(input)).digest('hex');
}

/** The full `Authorization` header value for a request signed with TC3. */
export function tc3AuthorizationHeader(input: Tc3SignInput & { readonly secretId: string }): string {
  const date = tc3Date(input.timestamp);
  const signed = input.headers.map(([k]) => k).join(';');
  return `TC3-HMAC-SHA256 Credential=${input.secretId}/${date}/${input.service}/tc3_request, SignedHeaders=${signed}, Signature=${tc3Signature(input)}`;
}

export function safeEqualHex(a: string, b: string): boolean {
  const ba = Buffer.from(a, 'utf8');
  const bb = Buffer.from(b, 'utf8');
  return ba.length === bb.length && timingSafeEqual(ba, bb);
}
