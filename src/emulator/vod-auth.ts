/** Verifies a VOD API request: TC3-HMAC-SHA256 signature, timestamp window and X-TC-Token. */
import type { IncomingHttpHeaders } from 'node:http';
import type { CredentialStore } from './credentials.ts';
import { header } from './http-util.ts';
import { parseTc3Authorization, safeEqualHex, sha256Hex, tc3Date, tc3Signature } from './tc3.ts';
import { vodErrors } from './vod-errors.ts';

export const TIMESTAMP_TOLERANCE_SECONDS = 300;

export interface VodAuthInput {
  readonly method: string;
  readonly rawPath: string;
  readonly rawQuery: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** Returns the verified secret id, or throws the matching AuthFailure.* VodApiError. */
export function verifyTc3Request(input: VodAuthInput, credentials: CredentialStore, nowSeconds: number): string {
  const authHeader = header(input.headers, 'authorization');
  if (authHeader === undefined || authHeader === '') throw vodErrors.signatureFailure('missing Authorization header');
  const auth = parseTc3Authorization(authHeader);
  if (auth === undefined) throw vodErrors.signatureFailure('malformed TC3-HMAC-SHA256 Authorization header');
  const key = credentials.lookup(auth.secretId);
  if (key === undefined) throw vodErrors.secretIdNotFound();
  const tsText = header(input.headers, 'x-tc-timestamp') ?? '';
  if (!/^\d{1,12}$/.test(tsText)) throw vodErrors.signatureFailure('missing or malformed X-TC-Timestamp');
  const timestamp = Number(tsText);
  if (Math.abs(nowSeconds - timestamp) > TIMESTAMP_TOLERANCE_SECONDS) throw vodErrors.signatureExpire();
  if (auth.date !== tc3Date(timestamp)) throw vodErrors.signatureFailure('credential scope date does not match X-TC-Timestamp');
  if (key.kind === 'temporary') {
    const c = key.credential;
    if (header(input.headers, 'x-tc-token') !== c.token) throw vodErrors.tokenFailure('missing or invalid X-TC-Token for temporary credentials');
    if (c.expiredTime <= nowSeconds) throw vodErrors.tokenFailure('the temporary credentials have expired');
    if (c.purpose !== 'vod') throw vodErrors.unauthorized('these temporary credentials only grant COS access');
  }
  if (!auth.signedHeaders.includes('host')) throw vodErrors.signatureFailure('the host header must be signed');
  const payloadHash =
    header(input.headers, 'x-tc-content-sha256') === 'UNSIGNED-PAYLOAD' ? sha256Hex('UNSIGNED-PAYLOAD') : sha256Hex(input.body);
  const host = header(input.headers, 'host') ?? '';
  const hosts = [...new Set([host, host.replace(/:\d+$/, '')])];
  for (const h of hosts) {
    const headers = auth.signedHeaders.map((name): [string, string] => [name, name === 'host' ? h : header(input.headers, name) ?? '']);
    const expected = tc3Signature({
      method: input.method,
      path: input.rawPath,
      query: input.rawQuery,
      headers,
      payloadHash,
      timestamp,
      service: auth.service,
      secretKey: key.secretKey,
    });
    if (safeEqualHex(expected, auth.signature)) return auth.secretId;
  }
  throw vodErrors.signatureFailure('the request signature does not match');
}
