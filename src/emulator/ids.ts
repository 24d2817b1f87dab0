/** Random identifiers in the shapes Tencent uses. */
import { randomBytes, randomInt, randomUUID } from 'node:crypto';

export const requestId = (): string => randomUUID();

/** Lower-case alphanumerics. */
export function randomToken(length: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(length);
  let out = '';
  for (const b of bytes) out += alphabet[b % alphabet.length];
  return out;
}

/** Mixed-case alphanumerics (secret keys, tokens). */
export function randomSecret(length: number): string {
  return randomBytes(Math.ceil((length * 3) / 4) + 3)
    .toString('base64')
    .replace(/[^A-Za-z0-9]/g, '')
    .padEnd(length, 'x')
    .slice(0, length);
}

/** A VOD FileId-like 19-digit decimal string. */
export function fileId(): string {
  return `5285890${String(randomInt(0, 1e6)).padStart(6, '0')}${String(randomInt(0, 1e6)).padStart(6, '0')}`;
}

/** A COS UploadId-like string: timestamp + random hex. */
export function uploadId(): string {
  return `${Date.now()}${randomBytes(16).toString('hex')}`;
}
