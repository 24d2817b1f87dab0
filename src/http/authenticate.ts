import type { IncomingMessage } from 'node:http';
import { bearerToken } from '../auth/api-key.ts';
import type { ApiKeyRepository, AuthenticatedTenant } from '../db/api-key-repository.ts';
import { VodError } from '../errors/vod-error.ts';

/** Resolves the request's bearer key to its tenant, or throws AuthFailure. */
export async function authenticateRequest(req: IncomingMessage, apiKeys: ApiKeyRepository): Promise<AuthenticatedTenant> {
  return authenticateKey(bearerToken(req.headers.authorization), apiKeys);
}

export async function authenticateKey(key: string | undefined, apiKeys: ApiKeyRepository): Promise<AuthenticatedTenant> {
  if (key === undefined) {
    throw new VodError('AuthFailure', 'Missing or malformed API key: send the header "Authorization: Bearer <api key>" (in GraphiQL: the Headers tab, {"Authorization": "Bearer <api key>"}).',);
  }
  const tenant = await apiKeys.authenticate(key);
  if (tenant === undefined) throw new VodError('AuthFailure', 'Unknown or revoked API key.');
  return tenant;
}
