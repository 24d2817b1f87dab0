import { pino, type Logger } from 'pino';
import type { LogLevel } from '../config/config.ts';

export type { Logger };

/** Paths whose values never reach a log line: keys, secrets, tokens, signatures. */
export const REDACTED_PATHS = [
  'authorization',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers["x-cos-security-token"]',
  'req.headers["x-tc-token"]',
  '*.secretKey',
  '*.secretId',
  '*.sessionToken',
  '*.SecretKey',
  '*.SecretId',
  '*.Token',
  '*.apiKey',
  '*.key',
  '*.token',
  'secretKey',
  'secretId',
  'sessionToken',
  'apiKey',
  'credentials',
  '*.credentials',
  'sessionCredentials',
  '*.sessionCredentials',
  'tempCertificate',
  '*.tempCertificate',
];

export function createLogger(level: LogLevel, destination?: NodeJS.WritableStream): Logger {
  const options = { level, base: { service: 'vod-ingest' }, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } };
  return destination === undefined ? pino(options) : pino(options, destination);
}
