/** Small HTTP helpers shared by the VOD, COS and admin handlers. */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { once } from 'node:events';

export class BodyTooLargeError extends Error {}

/** Reads a whole (small) body; throws BodyTooLargeError past `limit` bytes (and drains the rest). */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) tooLarge = true;
    else chunks.push(chunk);
  }
  if (tooLarge) throw new BodyTooLargeError(`body larger than ${limit} bytes`);
  return Buffer.concat(chunks);
}

/** Reads and discards the rest of a request body (so a keep-alive connection stays usable). */
export async function drain(req: IncomingMessage): Promise<void> {
  if (req.readableEnded || req.destroyed) return;
  req.resume();
  await Promise.race([once(req, 'end'), once(req, 'close')]).catch(() => undefined);
}

export function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, extraHeaders: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...extraHeaders });
  res.end(text);
}

/** Splits a request target into its raw (undecoded) path and query, accepting absolute-form targets. */
export function splitTarget(url: string): { host?: string | undefined; rawPath: string; rawQuery: string } {
  let target = url;
  let host: string | undefined;
  const abs = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(target);
  if (abs !== null) {
    host = abs[1];
    target = target.slice(abs[0].length) || '/';
  }
  const q = target.indexOf('?');
  return { host, rawPath: q < 0 ? target : target.slice(0, q), rawQuery: q < 0 ? '' : target.slice(q + 1) };
}

/** Query parameters, names lower-cased, values decoded (`+` as space). Valueless keys map to ''. */
export function parseQuery(rawQuery: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const pair of rawQuery.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const rawName = eq < 0 ? pair : pair.slice(0, eq);
    const rawValue = eq < 0 ? '' : pair.slice(eq + 1);
    out.set(safeDecode(rawName).toLowerCase(), safeDecode(rawValue.replace(/\+/g, '%20')));
  }
  return out;
}

export function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
