import { createHash, randomBytes } from 'node:crypto';

const KEY_PREFIX = 'vodk';

export interface GeneratedApiKey {
  /** The whole key: shown once to its owner, never stored. */
  readonly key: string;
  /** A short, non-secret handle for listing and revoking. */
  readonly prefix: string;
  readonly keyHash: string;
}

/** Keys look like `vodk_<8 hex handle>_<secret>`; 192 random bits make a plain SHA-256 a safe hash. */
export function generateApiKey(): GeneratedApiKey {
  const prefix = `${KEY_PREFIX}_${randomBytes(4).toString('hex')}`;
  const key = `${prefix}_${randomBytes(24).toString('base64url')}`;
  return { key, prefix, keyHash: hashApiKey(key) };
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** Reads `Authorization: Bearer <key>`; anything else yields undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}
