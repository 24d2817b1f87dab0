import type { IncomingMessage, ServerResponse } from 'node:http';

/** Answers that stream for as long as the client listens (subscriptions): exempt once they have started. */
const STREAMING_TYPES = ['text/event-stream', 'multipart/mixed'];

/**
 * A deadline for an ordinary (non-upload) request: from its arrival until its answer has been
 * sent, covering a body that trickles in as much as a slow answer. Node's own requestTimeout cannot
 * do this job: it covers the whole body of every request, uploads included, which would cut long
 * uploads. A subscription stream whose headers went out is left alone (its keep-alive pings and the
 * client's reading keep it honest); `onExpire` is called for everything else still unanswered.
 */
export function startRequestDeadline(res: ServerResponse, ms: number, onExpire: () => void): void {
  const timer = setTimeout(() => {
    if (res.writableEnded || isStreamingAnswer(res)) return;
    onExpire();
  }, ms);
  timer.unref();
  res.once('close', () => clearTimeout(timer));
}

function isStreamingAnswer(res: ServerResponse): boolean {
  if (!res.headersSent) return false;
  const type = String(res.getHeader('content-type') ?? '').toLowerCase();
  return STREAMING_TYPES.some((streaming) => type.startsWith(streaming));
}

/**
 * Closes the connection of a request that was given up (a timeout). The answer, if one goes out,
 * says `Connection: close`, and the connection is ended once it is sent. If no answer has started
 * after `graceMs` (the work that should answer is stuck waiting for the client), `fallbackAnswer`
 * answers; in every case the socket is destroyed shortly after.
 */
export function closeConnectionAfterAnswer(
  req: IncomingMessage,
  res: ServerResponse,
  graceMs: number,
  fallbackAnswer: () => void,
): void {
  if (!res.headersSent) res.setHeader('connection', 'close');
  const socket = req.socket;
  let ending = false;
  const end = () => {
    if (ending) return;
    ending = true;
    clearTimeout(timer);
    socket.end();
    setTimeout(() => socket.destroy(), END_GRACE_MS).unref();
  };
  const timer = setTimeout(() => {
    if (!res.headersSent) fallbackAnswer();
    end();
  }, graceMs);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
  if (res.writableFinished) end();
  else res.once('finish', end);
}

/** How long an ended connection may take to flush its answer before it is destroyed. */
const END_GRACE_MS = 1_000;
