import type { IncomingMessage, ServerResponse } from 'node:http';
import { VodError } from '../errors/vod-error.ts';
import { sendGraphQLError } from './respond.ts';

/** What of a request's unread body is read and dropped after an early answer before the connection is cut. */
const UNREAD_BODY_DRAIN_MS = 5_000;
const UNREAD_BODY_DRAIN_BYTES = 64 * 1024 * 1024;
/** What a refused client is told to wait before trying again. */
const RETRY_AFTER_SECONDS = 1;

/**
 * When the answer goes out before the body was read (an early error, a refusal), the client is still
 * sending into a paused socket. Read and drop the rest so it can read the answer and reuse the
 * connection; past a budget of bytes or time, cut the connection instead of reading gigabytes.
 */
export function settleUnreadBodyAfterResponse(req: IncomingMessage, res: ServerResponse): void {
  res.once('finish', () => {
    if (req.complete || req.destroyed) return;
    let dropped = 0;
    const cut = () => {
      if (!req.complete) req.destroy();
    };
    const timer = setTimeout(cut, UNREAD_BODY_DRAIN_MS).unref();
    req.once('end', () => clearTimeout(timer));
    req.once('close', () => clearTimeout(timer));
    req.on('data', (chunk: Buffer) => {
      dropped += chunk.length;
      if (dropped > UNREAD_BODY_DRAIN_BYTES) cut();
    });
    req.unpipe();
    req.resume();
  });
}

/**
 * The request's cancellation: aborts when the connection closes before the response was sent (the
 * client went away), or earlier with a VodError when the server gives up on the request (a timeout).
 */
export function requestAbortController(res: ServerResponse): AbortController {
  const controller = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) controller.abort(new VodError('RequestCanceled', 'The client went away.'));
  });
  return controller;
}

/** A connection past MAX_CONNECTIONS: told so, and closed. */
export function refuseOverCapacity(res: ServerResponse, max: number): void {
  res.setHeader('connection', 'close');
  sendGraphQLError(res, new VodError('LimitExceeded', `The server has ${max} connections open, its limit; retry shortly.`), {
    status: 503,
    retryAfterSeconds: RETRY_AFTER_SECONDS,
  });
}

/** A tenant at MAX_UPLOADS_PER_TENANT: refused before its body is read (what was sent is drained or cut). */
export function refuseTooManyUploads(res: ServerResponse, max: number): void {
  sendGraphQLError(
    res,
    new VodError('LimitExceeded', `This tenant already runs ${max} uploads on this instance, its limit; wait for one to finish and retry.`),
    { status: 429, retryAfterSeconds: RETRY_AFTER_SECONDS },
  );
}

export function requestUrl(req: IncomingMessage): URL | undefined {
  try {
    return new URL(req.url ?? '/', 'http://localhost');
  } catch {
    return undefined;
  }
}

/** A client's X-Request-Id, when it is a sane one. */
export function headerValue(value: string | string[] | undefined): string | undefined {
  const single = Array.isArray(value) ? value[0] : value;
  return single !== undefined && /^[\w.-]{1,128}$/.test(single) ? single : undefined;
}

/** A browser asking for the GraphiQL page itself (not running an operation) needs no key. */
export function isGraphiQLPageRequest(req: IncomingMessage, url: URL): boolean {
  return req.method === 'GET' && !url.searchParams.has('query') && (req.headers.accept ?? '').includes('text/html');
}
