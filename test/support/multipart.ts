import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** A file part of a GraphQL multipart request. `content` may be a generator for large or slow bodies. */
export interface MultipartFile {
  readonly field: string;
  readonly filename: string;
  readonly content: Buffer | (() => AsyncIterable<Buffer>);
  /** Length of a generator `content`; needed only with `contentLength`. */
  readonly bytes?: number;
}

export interface MultipartRequest {
  readonly url: string;
  readonly key?: string | undefined;
  readonly query: string;
  readonly variables: Record<string, unknown>;
  /** field name → variable paths, in the order the files are sent. */
  readonly map: Record<string, string[]>;
  readonly files: readonly MultipartFile[];
  /** Default: a CSRF preflight header is sent. */
  readonly headers?: Record<string, string>;
  /** Send a Content-Length (as browsers and most clients do) instead of a chunked body. */
  readonly contentLength?: boolean;
}

export interface MultipartAnswer {
  readonly status: number;
  readonly body: {
    data?: Record<string, unknown> | null;
    errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
  };
}

/**
 * Sends a request per the GraphQL multipart request spec over a real HTTP connection, streaming the
 * file contents (chunked). `request` is exposed so a test can destroy it mid-body.
 */
export function sendMultipart(options: MultipartRequest): { request: http.ClientRequest; answer: Promise<MultipartAnswer> } {
  const boundary = `----vodingest${randomBytes(8).toString('hex')}`;
  const target = new URL(`${options.url}/graphql`);
  const headers: Record<string, string> = {
    'content-type': `multipart/form-data; boundary=${boundary}`,
    ...(options.headers ?? { 'graphql-require-preflight': '1' }),
  };
  if (options.key !== undefined) headers['authorization'] = `Bearer ${options.key}`;
  if (options.contentLength === true) headers['content-length'] = String(multipartLength(boundary, options));
  const request = http.request({ hostname: target.hostname, port: target.port, path: target.pathname, method: 'POST', headers });
  const answer = new Promise<MultipartAnswer>((resolve, reject) => {
    request.once('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.once('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        try {
          resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) as MultipartAnswer['body'] });
        } catch {
          reject(new Error(`not JSON (${response.statusCode}): ${text.slice(0, 200)}`));
        }
      });
      response.once('error', reject);
    });
    request.once('error', reject);
  });
  // A test may await the answer late; an early connection error must not count as unhandled meanwhile.
  answer.catch(() => undefined);
  const body = Readable.from(multipartBody(boundary, options));
  pipeline(body, request).catch(() => undefined);
  return { request, answer };
}

const fieldPart = (boundary: string, name: string, value: string) =>
  Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`);
const fileHead = (boundary: string, file: MultipartFile) =>
  Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="${file.field}"; filename="${file.filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
  );
const operationsOf = (options: MultipartRequest) => JSON.stringify({ query: options.query, variables: options.variables });
const closing = (boundary: string) => Buffer.from(`--${boundary}--\r\n`);

async function* multipartBody(boundary: string, options: MultipartRequest): AsyncGenerator<Buffer> {
  yield fieldPart(boundary, 'operations', operationsOf(options));
  yield fieldPart(boundary, 'map', JSON.stringify(options.map));
  for (const file of options.files) {
    yield fileHead(boundary, file);
    if (Buffer.isBuffer(file.content)) yield file.content;
    else for await (const chunk of file.content()) yield chunk;
    yield Buffer.from('\r\n');
  }
  yield closing(boundary);
}

/** The exact length of what `multipartBody` sends. */
function multipartLength(boundary: string, options: MultipartRequest): number {
  let length = fieldPart(boundary, 'operations', operationsOf(options)).length + fieldPart(boundary, 'map', JSON.stringify(options.map)).length;
  for (const file of options.files) {
    const bytes = Buffer.isBuffer(file.content) ? file.content.length : file.bytes;
    if (bytes === undefined) throw new Error(`contentLength needs the size of ${file.filename}`);
    length += fileHead(boundary, file).length + bytes + 2;
  }
  return length + closing(boundary).length;
}

/** One media file with an `uploadMedia` input, the commonest request of the tests. */
export function sendMediaUpload(options: {
  readonly url: string;
  readonly key?: string | undefined;
  readonly filename: string;
  readonly content: MultipartFile['content'];
  readonly input?: Record<string, unknown>;
  readonly headers?: Record<string, string>;
}): ReturnType<typeof sendMultipart> {
  return sendMultipart({
    url: options.url,
    key: options.key,
    query: UPLOAD_MUTATION,
    variables: { input: { media: null, ...options.input } },
    map: { 0: ['variables.input.media'] },
    files: [{ field: '0', filename: options.filename, content: options.content }],
    ...(options.headers === undefined ? {} : { headers: options.headers }),
  });
}

/** `total` pseudo-random bytes in `chunk`-sized pieces, pausing `delayMs` between pieces (a slow client). */
export function slowBytes(data: Buffer, chunk: number, delayMs: number): () => AsyncIterable<Buffer> {
  return async function* () {
    for (let offset = 0; offset < data.length; offset += chunk) {
      yield data.subarray(offset, offset + chunk);
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  };
}

export const UPLOAD_MUTATION = `mutation Upload($input: UploadMediaInput!) {
  uploadMedia(input: $input) {
    id status region mediaName mediaType coverType procedure subAppId classId storageRegion expireTime sourceContext
    bytesTotal bytesReceived bytesUploaded progress fileId mediaUrl coverUrl requestId
    error { code message }
    files { role path bytes sha256 }
    createdAt updatedAt finishedAt
  }
}`;

/** The `extensions` of an answer's first error; fails the test when the answer has no error. */
export function firstErrorExtensions(answer: MultipartAnswer): Record<string, unknown> {
  const [error] = answer.body.errors ?? [];
  assert.ok(error, `expected an error, got ${JSON.stringify(answer.body)}`);
  return error.extensions ?? {};
}
