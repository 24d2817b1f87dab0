import type { ServerResponse } from 'node:http';
import type { VodError } from '../errors/vod-error.ts';
import { ERROR_CODE_INFO } from '../errors/error-codes.ts';

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
  });
  res.end(payload);
}

export interface ErrorAnswerOptions {
  /** Instead of the code's own status (e.g. 429 or 503 for a LimitExceeded that is worth retrying). */
  readonly status?: number;
  /** Seconds after which a retry may succeed. */
  readonly retryAfterSeconds?: number;
}

/** A GraphQL-shaped error answer for requests refused before GraphQL runs (auth, CSRF, limits, timeouts). */
export function sendGraphQLError(res: ServerResponse, error: VodError, options: ErrorAnswerOptions = {}): void {
  const headers: Record<string, string> = options.retryAfterSeconds === undefined ? {} : { 'retry-after': String(options.retryAfterSeconds) };
  sendJson(
    res,
    options.status ?? ERROR_CODE_INFO[error.code].http,
    { errors: [{ message: error.message, extensions: { code: error.code } }] },
    headers,
  );
}
