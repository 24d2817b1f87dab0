import { randomBytes } from 'node:crypto';
import net from 'node:net';

/** A raw TCP client of the server: writes exactly what a test says, records what comes back and when it closes. */
export interface RawClient {
  readonly socket: net.Socket;
  /** Everything received so far, as text. */
  received(): string;
  /** Resolves when the server has closed the connection (or it was reset). */
  readonly closed: Promise<void>;
  isClosed(): boolean;
  write(data: string | Buffer): void;
}

export async function rawConnect(url: string): Promise<RawClient> {
  const { hostname, port } = new URL(url);
  const socket = net.connect(Number(port), hostname);
  const chunks: Buffer[] = [];
  let isClosed = false;
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) =>
    socket.once('close', () => {
      isClosed = true;
      resolve();
    }),
  );
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return {
    socket,
    received: () => Buffer.concat(chunks).toString('utf8'),
    closed,
    isClosed: () => isClosed,
    write: (data) => {
      if (!socket.destroyed) socket.write(data);
    },
  };
}

/** Writes `data` one byte at a time, `intervalMs` apart, until it is all sent or the socket closes. */
export async function trickle(client: RawClient, data: string | Buffer, intervalMs: number): Promise<void> {
  const bytes = Buffer.isBuffer(data) ? data : Buffer.from(data);
  for (let i = 0; i < bytes.length && !client.isClosed(); i += 1) {
    client.write(bytes.subarray(i, i + 1));
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** The status line and JSON body of the (first) HTTP answer in `text`, if complete. */
export function parseAnswer(text: string): { status: number; headers: string; body: unknown } | undefined {
  const match = /^HTTP\/1\.1 (\d{3})[^\r]*\r\n([\s\S]*?)\r\n\r\n([\s\S]*)$/.exec(text);
  if (match === null) return undefined;
  const [, status, headers, rest] = match as unknown as [string, string, string, string];
  const chunked = /transfer-encoding: chunked/i.test(headers);
  const body = chunked ? dechunk(rest) : rest;
  try {
    return { status: Number(status), headers, body: body === '' ? undefined : (JSON.parse(body) as unknown) };
  } catch {
    return { status: Number(status), headers, body };
  }
}

function dechunk(text: string): string {
  let out = '';
  let rest = text;
  for (;;) {
    const end = rest.indexOf('\r\n');
    if (end < 0) return out;
    const size = Number.parseInt(rest.slice(0, end), 16);
    if (!(size > 0)) return out;
    out += rest.slice(end + 2, end + 2 + size);
    rest = rest.slice(end + 2 + size + 2);
  }
}

/**
 * The head of a GraphQL multipart upload request (headers, operations, map, the media part's
 * headers) for writing by hand; the test then writes media bytes and, if it wants, `tail`.
 * Sent with Content-Length of a body that is never all sent, or chunked: here, a Content-Length.
 */
export function multipartUploadHead(options: {
  readonly key: string;
  readonly input: Record<string, unknown>;
  readonly filename: string;
  readonly mediaBytes: number;
  readonly query: string;
}): { head: string; tail: string; boundary: string } {
  const boundary = `----raw${randomBytes(6).toString('hex')}`;
  const field = (name: string, value: string) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  const bodyStart =
    field('operations', JSON.stringify({ query: options.query, variables: { input: { media: null, ...options.input } } })) +
    field('map', JSON.stringify({ 0: ['variables.input.media'] })) +
    `--${boundary}\r\nContent-Disposition: form-data; name="0"; filename="${options.filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`;
  const tail = `\r\n--${boundary}--\r\n`;
  const length = Buffer.byteLength(bodyStart) + options.mediaBytes + Buffer.byteLength(tail);
  const head =
    `POST /graphql HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer ${options.key}\r\ngraphql-require-preflight: 1\r\n` +
    `Content-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${length}\r\n\r\n` +
    bodyStart;
  return { head, tail, boundary };
}
