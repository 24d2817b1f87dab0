import type { IncomingMessage, ServerResponse } from 'node:http';
import { processRequest } from 'graphql-upload-minimal';
import { cancellationError } from '../errors/cancellation.ts';
import { VodError, isVodError } from '../errors/vod-error.ts';

export interface MultipartLimits {
  readonly maxFileBytes: number;
  readonly maxFiles: number;
}

/** Headers a browser cannot send cross-site without a CORS preflight (as Apollo's CSRF prevention). */
const PREFLIGHT_HEADERS = ['x-apollo-operation-name', 'apollo-require-preflight', 'graphql-require-preflight'];
/** Size of the `operations` and `map` fields. */
const MAX_FIELD_BYTES = 1024 * 1024;

export interface ParseWatch {
  /** Called as soon as the body is piped into the parser (the moment a body watch may start). */
  readonly onBodyFlowing?: (() => void) | undefined;
  /** Stops waiting for the operations with the signal's reason (a VodError, e.g. RequestTimeout). */
  readonly signal?: AbortSignal | undefined;
}

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
export async function parseMultipartOperations(
  req: IncomingMessage,
  res: ServerResponse,
  limits: MultipartLimits,
  watch: ParseWatch = {},
): Promise<void> {
  try {
    const parsing = processRequest(req, res, {
      maxFileSize: limits.maxFileBytes,
      maxFiles: limits.maxFiles,
      maxFieldSize: MAX_FIELD_BYTES,
    });
    // Rejected later when the connection dies; nobody may be left with an unhandled rejection.
    parsing.catch(() => undefined);
    watch.onBodyFlowing?.();
    const operations: unknown = await (watch.signal === undefined ? parsing : Promise.race([parsing, rejectOnAbort(watch.signal)]));
    (req as IncomingMessage & { body?: unknown }).body = operations;
  } catch (error) {
    if (isVodError(error)) throw error;
    const status = (error as { status?: unknown }).status;
    const message = error instanceof Error ? error.message : 'Malformed multipart request.';
    throw new VodError(status === 413 ? 'LimitExceeded' : 'InvalidParameter', message, { cause: error });
  }
  // yoga would compare the upload's Content-Length with its JSON body limit; this body is not its to read.
  delete req.headers['content-length'];
}

function rejectOnAbort(signal: AbortSignal): Promise<never> {
  return new Promise((_resolve, reject) => {
    const fail = () => reject(cancellationError(signal));
    if (signal.aborted) fail();
    else signal.addEventListener('abort', fail, { once: true });
  });
}
