import type { IncomingMessage, ServerResponse } from 'node:http';
import { processRequest } from 'graphql-upload-minimal';
import { VodError } from '../errors/vod-error.ts';
import { rememberFileBytes } from './multipart-file-bytes.ts';

export interface MultipartLimits {
  readonly maxFileBytes: number;
  readonly maxFiles: number;
}

/** Headers a browser cannot send cross-site without a CORS preflight (as Apollo's CSRF prevention). */
const PREFLIGHT_HEADERS = ['x-apollo-operation-name', 'apollo-require-preflight', 'graphql-require-preflight'];
/** Size of the `operations` and `map` fields. */
const MAX_FIELD_BYTES = 1024 * 1024;

export function isMultipartRequest(req: IncomingMessage): boolean {
  return req.method === 'POST' && (req.headers['content-type'] ?? '').toLowerCase().startsWith('multipart/form-data');
}

/**
 * A multipart/form-data POST is a "simple" request a browser sends cross-site without asking; one
 * of the preflight headers proves the sender is not a page on another origin.
 */
export function assertCsrfSafe(req: IncomingMessage): void {
  if (PREFLIGHT_HEADERS.some((header) => (req.headers[header] ?? '') !== '')) return;
  throw new VodError(
    'InvalidParameter',
    `Multipart requests need one of the headers ${PREFLIGHT_HEADERS.join(', ')} (CSRF protection).`,
  );
}

/**
 * Parses the GraphQL multipart request spec with graphql-upload-minimal: resolves as soon as the
 * operations and map are read, leaving the files to stream into resolvers while the body arrives.
 * The parsed operations go on `req.body`, which graphql-yoga then takes instead of reading the body.
 */
export async function parseMultipartOperations(req: IncomingMessage, res: ServerResponse, limits: MultipartLimits): Promise<void> {
  try {
    const operations: unknown = await processRequest(req, res, {
      maxFileSize: limits.maxFileBytes,
      maxFiles: limits.maxFiles,
      maxFieldSize: MAX_FIELD_BYTES,
    });
    (req as IncomingMessage & { body?: unknown }).body = operations;
  } catch (error) {
    const status = (error as { status?: unknown }).status;
    const message = error instanceof Error ? error.message : 'Malformed multipart request.';
    throw new VodError(status === 413 ? 'LimitExceeded' : 'InvalidParameter', message, { cause: error });
  }
  // Read before it goes: progress has a total from the first byte (see multipart-file-bytes.ts).
  rememberFileBytes(req, (req as IncomingMessage & { body?: unknown }).body);
  // yoga would compare the upload's Content-Length with its JSON body limit; this body is not its to read.
  delete req.headers['content-length'];
}
