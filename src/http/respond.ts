import type { ServerResponse } from 'node:http';
import type { VodError } from '../errors/vod-error.ts';
import { ERROR_CODE_INFO } from '../errors/error-codes.ts';

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(payload) });
  res.end(payload);
}

/** A GraphQL-shaped error answer for requests refused before GraphQL runs (auth, CSRF, limits). */
export function sendGraphQLError(res: ServerResponse, error: VodError): void {
  sendJson(res, ERROR_CODE_INFO[error.code].http, {
    errors: [{ message: error.message, extensions: { code: error.code } }],
  });
}
