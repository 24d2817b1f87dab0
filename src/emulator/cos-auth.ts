/** Verifies COS `q-sign-algorithm=sha1` signatures and the scope of temporary credentials. */
import type { IncomingMessage } from 'node:http';
import { cosErrors } from './cos-errors.ts';
import type { CosAddress } from './cos-route.ts';
import { cosSignature, parseCosAuthorization } from './cos-sign.ts';
import type { CredentialStore } from './credentials.ts';
import { header } from './http-util.ts';
import { safeEqualHex } from './tc3.ts';

/** Seconds a q-sign-time start may lie in the future (clock skew). */
const SKEW_SECONDS = 60;

export type CosPrincipal = 'anonymous' | 'permanent' | 'temporary';

/** Who signed a request: nobody (a public read), or the permanent or a temporary key, by its id. */
export type CosSigner = { readonly kind: 'anonymous' } | { readonly kind: 'permanent' | 'temporary'; readonly secretId: string };

function authorizationOf(req: IncomingMessage, addr: CosAddress): string | undefined {
  const h = header(req.headers, 'authorization');
  if (h !== undefined && h !== '') return h;
  if (!addr.query.has('q-sign-algorithm')) return undefined;
  // Presigned URL: the same fields in the query string.
  return [...addr.query].filter(([k]) => k.startsWith('q-')).map(([k, v]) => `${k}=${v}`).join('&');
}

/**
 * Returns who signed the request, or throws AccessDenied / SignatureDoesNotMatch / InvalidAccessKeyId.
 * `allowAnonymous`: GET/HEAD of objects need no signature (public-read, like a CDN media URL).
 */
export function verifyCosRequest(
  req: IncomingMessage,
  addr: CosAddress,
  options: { credentials: CredentialStore; nowSeconds: number; allowAnonymous: boolean },
): CosSigner {
  const raw = authorizationOf(req, addr);
  if (raw === undefined) {
    if (options.allowAnonymous) return { kind: 'anonymous' };
    throw cosErrors.accessDenied('Access Denied: the request is not signed.');
  }
  const auth = parseCosAuthorization(raw);
  if (auth === undefined) throw cosErrors.accessDenied('Access Denied: malformed Authorization.');
  const key = options.credentials.lookup(auth.ak);
  if (key === undefined) throw cosErrors.invalidAccessKeyId();
  const now = options.nowSeconds;
  if (now < auth.signStart - SKEW_SECONDS || now > auth.signEnd) throw cosErrors.accessDenied('Request has expired (q-sign-time).');
  if (key.kind === 'temporary') {
    const c = key.credential;
    const token = header(req.headers, 'x-cos-security-token') ?? addr.query.get('x-cos-security-token');
    if (token !== c.token) throw cosErrors.accessDenied('Access Denied: missing or invalid x-cos-security-token.');
    if (c.expiredTime <= now) throw cosErrors.accessDenied('Access Denied: the temporary credentials have expired.');
    const scope = c.scope;
    if (c.purpose !== 'cos' || scope === undefined) throw cosErrors.accessDenied('Access Denied: no COS permission.');
    const inScope =
      addr.bucket === scope.bucket &&
      (addr.key === '' ? (addr.query.get('prefix') ?? '').startsWith(scope.prefix) : addr.key.startsWith(scope.prefix));
    if (!inScope) throw cosErrors.accessDenied('Access Denied: outside the upload session.');
  }
  const hostMayBeUnsigned = key.kind === 'temporary' && key.credential.scope?.allowUnsignedHost === true;
  if (!auth.headerList.includes('host') && !hostMayBeUnsigned) throw cosErrors.accessDenied('Access Denied: the host header must be signed.');
  const params = auth.paramList.map((name): [string, string] => [name, addr.query.get(name) ?? '']);
  const headers = auth.headerList.map((name): [string, string] => [name, header(req.headers, name) ?? '']);
  for (const path of addr.signPaths) {
    const expected = cosSignature({
      method: req.method ?? 'GET',
      path,
      params,
      headers,
      signTime: auth.signTime,
      keyTime: auth.keyTime,
      secretKey: key.secretKey,
    });
    if (safeEqualHex(expected, auth.signature)) return { kind: key.kind, secretId: auth.ak };
  }
  throw cosErrors.signatureDoesNotMatch();
}
