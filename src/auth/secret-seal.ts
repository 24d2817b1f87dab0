import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const FORMAT = 'v1';
/** Binds a derived key to its one use: a service key derives nothing else with this label. */
const DERIVATION_INFO = 'vod-ingest session credentials v1';

/**
 * A 32-byte key written as 64 hex digits or as base64 (standard or URL-safe, padding optional);
 * undefined when it is neither or has another length.
 */
export function parseSealKey(text: string): Buffer | undefined {
  const value = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(value)) return Buffer.from(value, 'hex');
  if (!/^[A-Za-z0-9+/_-]{43}=?$/.test(value)) return undefined;
  const key = Buffer.from(value, 'base64');
  return key.length === KEY_BYTES ? key : undefined;
}

/**
 * Encrypts small secrets for storage with AES-256-GCM (node:crypto): a fresh 96-bit IV each time,
 * and a context (what the secret belongs to) authenticated with it, so a sealed value copied to
 * another row does not open there. A value sealed with another key does not open either.
 */
export class SecretSeal {
  readonly #key: Buffer;

  private constructor(key: Buffer) {
    if (key.length !== KEY_BYTES) throw new RangeError(`A seal key has ${KEY_BYTES} bytes, not ${key.length}.`);
    this.#key = Buffer.from(key);
  }

  /** With a configured key (see parseSealKey). */
  static withKey(key: Buffer): SecretSeal {
    return new SecretSeal(key);
  }

  /**
   * Without one: a key derived (HKDF-SHA256) from a secret the service holds anyway, stable for as
   * long as that secret is. Another secret, and what was sealed before no longer opens.
   */
  static derivedFrom(secret: string): SecretSeal {
    if (secret === '') throw new RangeError('A seal key cannot be derived from an empty secret.');
    return new SecretSeal(Buffer.from(hkdfSync('sha256', secret, 'vod-ingest', DERIVATION_INFO, KEY_BYTES)));
  }

  seal(plaintext: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return `${FORMAT}.${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url')}`;
  }

  /** The plaintext, or undefined when the value is malformed, was sealed with another key or for another context. */
  open(sealed: string, context: string): string | undefined {
    const [format, data, ...rest] = sealed.split('.');
    if (format !== FORMAT || data === undefined || rest.length > 0) return undefined;
    const bytes = Buffer.from(data, 'base64url');
    if (bytes.length < IV_BYTES + TAG_BYTES) return undefined;
    const decipher = createDecipheriv('aes-256-gcm', this.#key, bytes.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      return undefined;
    }
  }
}

/**
 * The seal of the sessions' temporary keys: the configured key (`CREDENTIALS_KEY`, validated at
 * start-up), else one derived from the service's own secret key (configuration-free defaults).
 */
export function sessionCredentialSeal(configuredKey: string | undefined, serviceSecretKey: string): SecretSeal {
  if (configuredKey === undefined) return SecretSeal.derivedFrom(serviceSecretKey);
  const key = parseSealKey(configuredKey);
  if (key === undefined) throw new RangeError('CREDENTIALS_KEY is not a 32-byte key.');
  return SecretSeal.withKey(key);
}
