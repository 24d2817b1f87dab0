import http, { type IncomingHttpHeaders } from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';

export interface WireAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** The body as it came over the wire (still compressed when Content-Encoding says so). */
  readonly body: Buffer;
  /** Everything the client read on its connection for this answer: status line, headers and body. */
  readonly wireBytes: number;
}

export interface WireRequest {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

/**
 * One request on a connection of its own (no keep-alive agent), with exactly the headers given (no
 * Accept-Encoding unless set), read to its end without decoding: what a browser's network panel shows.
 */
export function wireRequest(url: string, request: WireRequest = {}): Promise<WireAnswer> {
  return new Promise((resolve, reject) => {
    const outgoing = http.request(url, { method: request.method ?? 'GET', headers: request.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.once('error', reject);
      res.once('end', () => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), wireBytes: res.socket.bytesRead });
        res.socket.destroy();
      });
    });
    outgoing.once('error', reject);
    outgoing.end(request.body);
  });
}

/** The body with its Content-Encoding (br, gzip or none) undone. */
export function decodedBody(answer: WireAnswer): Buffer {
  switch (answer.headers['content-encoding']) {
    case undefined:
      return answer.body;
    case 'br':
      return brotliDecompressSync(answer.body);
    case 'gzip':
      return gunzipSync(answer.body);
    default:
      throw new Error(`unexpected Content-Encoding ${answer.headers['content-encoding']}`);
  }
}
