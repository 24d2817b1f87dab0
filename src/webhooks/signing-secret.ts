import { randomBytes } from 'node:crypto';
import type { SecretSeal } from '../auth/secret-seal.ts';
import { VodError } from '../errors/vod-error.ts';

/** 32 random bytes, in the Standard Webhooks form `whsec_<base64>`. */
export function newSigningSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** The seal's context: a sealed secret opens only on the endpoint it was made for. */
function contextOf(endpointId: string): string {
  return `webhook-endpoint:${endpointId}`;
}

export function sealSigningSecret(seal: SecretSeal, endpointId: string, secret: string): string {
  return seal.seal(secret, contextOf(endpointId));
}

/** The secret, or an InternalError when it does not open (another seal key, or a copied value). */
export function openSigningSecret(seal: SecretSeal, endpointId: string, sealed: string): string {
  const secret = seal.open(sealed, contextOf(endpointId));
  if (secret === undefined) throw new VodError('InternalError', 'The endpoint\'s signing secret does not open with this service\'s seal key.');
  return secret;
}
