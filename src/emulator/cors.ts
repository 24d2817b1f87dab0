/**
 * CORS as VOD's buckets and the client-upload API answer a browser: any origin, the methods COS
 * uploads use, and the headers a browser SDK must read (ETag of each part, x-cos-*) exposed.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { header } from './http-util.ts';

const ALLOWED_METHODS = 'GET, PUT, POST, DELETE, HEAD';
export const EXPOSED_HEADERS = [
  'ETag', 'Content-Length', 'Content-Type', 'Date', 'Server', 'x-cos-request-id', 'x-cos-hash-crc64ecma',
  'x-cos-version-id', 'x-cos-server-side-encryption', 'x-cos-storage-class',
].join(', ');
const PREFLIGHT_MAX_AGE_SECONDS = '600';

/**
 * Sets the CORS headers of a browser request on `res` (writeHead merges them into every answer) and
 * answers a preflight itself. Returns true when the request was a preflight and is answered.
 */
export function applyCors(req: IncomingMessage, res: ServerResponse): boolean {
  const origin = header(req.headers, 'origin');
  if (origin === undefined) return false;
  res.setHeader('Access-Control-Allow-Origin', origin);
  res.setHeader('Vary', 'Origin');
  res.setHeader('Access-Control-Expose-Headers', EXPOSED_HEADERS);
  const requestedMethod = header(req.headers, 'access-control-request-method');
  if (req.method !== 'OPTIONS' || requestedMethod === undefined) return false;
  res.setHeader('Access-Control-Allow-Methods', ALLOWED_METHODS);
  const requestedHeaders = header(req.headers, 'access-control-request-headers');
  if (requestedHeaders !== undefined) res.setHeader('Access-Control-Allow-Headers', requestedHeaders);
  res.setHeader('Access-Control-Max-Age', PREFLIGHT_MAX_AGE_SECONDS);
  res.writeHead(200, { 'Content-Length': '0' });
  res.end();
  return true;
}
