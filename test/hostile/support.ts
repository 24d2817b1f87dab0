/**
 * Shared helpers of the hostile suite: raw multipart bodies written byte for byte over a real
 * socket (no client library to tidy them up), the invariants every hostile request must leave
 * intact, and an upload of another tenant running while the hostile request is answered.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import net from 'node:net';
import { quoteIdent } from '../../src/db/migrate.ts';
import { sendMediaUpload, UPLOAD_MUTATION } from '../support/multipart.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

export const BOUNDARY = 'hostile7MA4YWxkTrZu0gW';

/** One part: its header lines as written (CRLF-joined), then its content. */
export function part(headerLines: readonly string[], content: string | Buffer = ''): Buffer {
  return Buffer.concat([Buffer.from(`--${BOUNDARY}\r\n${headerLines.join('\r\n')}\r\n\r\n`), Buffer.from(content), Buffer.from('\r\n')]);
}

export function field(name: string, value: string): Buffer {
  return part([`Content-Disposition: form-data; name="${name}"`], value);
}

export function file(name: string, filename: string, content: string | Buffer): Buffer {
  return part([`Content-Disposition: form-data; name="${name}"; filename="${filename}"`, 'Content-Type: application/octet-stream'], content);
}

/** The `operations` field of an uploadMedia call; `media: null` unless the input says otherwise. */
export function operations(input: Record<string, unknown> = {}): Buffer {
  return field('operations', JSON.stringify({ query: UPLOAD_MUTATION, variables: { input: { media: null, ...input } } }));
}

export function map(entries: unknown): Buffer {
  return field('map', JSON.stringify(entries));
}

export const CLOSING = Buffer.from(`--${BOUNDARY}--\r\n`);

export interface RawAnswer {
  readonly status: number;
  readonly text: string;
  readonly body: { data?: Record<string, unknown> | null; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> } | undefined;
  /** The server ended the connection after a complete answer (no reset). */
  readonly closedCleanly: boolean;
}

/**
 * POSTs `body` to /graphql exactly as given, with a Content-Length, over a plain socket, and reads
 * the whole answer until the server closes the connection (`Connection: close`).
 */
export function postRaw(
  url: string,
  body: Buffer,
  options: { key?: string | undefined; contentType?: string; headers?: Record<string, string> } = {},
): Promise<RawAnswer> {
  const { port, hostname } = new URL(url);
  const headers: Record<string, string> = {
    host: `${hostname}:${port}`,
    'content-type': options.contentType ?? `multipart/form-data; boundary=${BOUNDARY}`,
    'graphql-require-preflight': '1',
    'content-length': String(body.length),
    connection: 'close',
    ...(options.key === undefined ? {} : { authorization: `Bearer ${options.key}` }),
    ...options.headers,
  };
  const head = `POST /graphql HTTP/1.1\r\n${Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}`)
    .join('\r\n')}\r\n\r\n`;
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    let failed: Error | undefined;
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (error) => {
      failed = error;
    });
    socket.on('close', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const split = raw.indexOf('\r\n\r\n');
      if (split < 0) return reject(new Error(`no HTTP answer (${failed?.message ?? 'connection closed'}): ${raw.slice(0, 200)}`));
      const statusLine = raw.slice(0, raw.indexOf('\r\n'));
      const headerText = raw.slice(0, split).toLowerCase();
      let text = raw.slice(split + 4);
      if (headerText.includes('transfer-encoding: chunked')) text = dechunk(text);
      let parsed: RawAnswer['body'];
      try {
        parsed = JSON.parse(text) as RawAnswer['body'];
      } catch {
        parsed = undefined;
      }
      resolve({ status: Number(statusLine.split(' ')[1]), text, body: parsed, closedCleanly: failed === undefined });
    });
    socket.write(head);
    socket.write(body);
  });
}

function dechunk(text: string): string {
  let out = '';
  let rest = text;
  for (;;) {
    const lineEnd = rest.indexOf('\r\n');
    const size = Number.parseInt(rest.slice(0, lineEnd), 16);
    if (!(size > 0)) return out;
    const data = Buffer.from(rest.slice(lineEnd + 2), 'utf8').subarray(0, size).toString('utf8');
    out += data;
    rest = rest.slice(lineEnd + 2 + data.length + 2);
  }
}

/** The answer is a GraphQL error with exactly this code and HTTP status, and leaks no internals. */
export function assertRefused(answer: { status: number; text?: string; body: RawAnswer['body'] }, code: string, status: number): string {
  const text = answer.text ?? JSON.stringify(answer.body);
  assert.ok(answer.body?.errors?.length, `expected a GraphQL error, got ${answer.status}: ${text.slice(0, 300)}`);
  assert.equal(answer.body.errors[0]?.extensions?.['code'], code, text.slice(0, 500));
  assert.equal(answer.status, status, text.slice(0, 500));
  assertNoInternals(text);
  return answer.body.errors[0]?.message ?? '';
}

/** No stack frame, file path or module name in anything a client reads. */
export function assertNoInternals(text: string): void {
  assert.doesNotMatch(text, /\bat \S+ \(|\bat (file|node):|node_modules|\/work\/|\/home\/|\/src\/|\.[cm]?[jt]s:\d+/, `internals leaked: ${text.slice(0, 500)}`);
}

export async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Upload records not (yet) in a terminal status. */
async function unsettledUploads(server: TestServer): Promise<Array<{ id: string; status: string }>> {
  const table = `${quoteIdent(server.database.schema)}.uploads`;
  const result = await server.database.db.pool.query<{ id: string; status: string }>(
    `SELECT id, status::text AS status FROM ${table} WHERE status::text NOT IN ('SUCCEEDED', 'FAILED', 'CANCELED')`,
  );
  return result.rows;
}

async function statusOf(server: TestServer, id: string): Promise<string | undefined> {
  const table = `${quoteIdent(server.database.schema)}.uploads`;
  const result = await server.database.db.pool.query<{ status: string }>(`SELECT status::text AS status FROM ${table} WHERE id = $1`, [id]);
  return result.rows[0]?.status;
}

/** Objects in the emulator's buckets that no committed media accounts for. */
function orphanObjects(server: TestServer): string[] {
  const { state } = server.emulator;
  const media = state.mediaRecords();
  const committed = new Set(media.flatMap((record) => record.objects.map((object) => `${record.bucket}/${object.key}`)));
  const buckets = new Set([...media.map((record) => record.bucket), ...state.pendingSessions().map((session) => session.bucket)]);
  return [...buckets].flatMap((bucket) => state.objects(bucket).map((object) => `${bucket}/${object.key}`)).filter((key) => !committed.has(key));
}

/**
 * What no request may break: the process answers /healthz, every upload record reaches a terminal
 * status, no multipart upload is left open in storage, and no stored object lacks a committed media.
 * Failures settle asynchronously, so each is awaited (generously) rather than sampled once.
 */
export async function assertInvariants(server: TestServer): Promise<void> {
  const health = await fetch(`${server.url}/healthz`);
  assert.equal(health.status, 200, '/healthz answers');
  assert.deepEqual(await health.json(), { status: 'ok' });
  await waitFor(async () => (await unsettledUploads(server)).length === 0, 'every upload record to reach a terminal status').catch(
    async (error: unknown) => assert.fail(`${String(error)}: ${JSON.stringify(await unsettledUploads(server))}`),
  );
  await waitFor(() => server.emulator.state.multipartUploads().length === 0, 'no open multipart upload in storage');
  await waitFor(() => orphanObjects(server).length === 0, 'no stored object without a committed media').catch(() =>
    assert.fail(`objects without a committed media: ${orphanObjects(server).join(', ')}`),
  );
}

/**
 * Runs `during` while an upload of another tenant is in flight (its first part stored, the rest
 * held back), then lets it finish and asserts it SUCCEEDED with every byte: whatever `during`
 * did to the process, other tenants' uploads go on.
 */
export async function whileAnotherTenantUploads(server: TestServer, otherKey: string, during: () => Promise<void>): Promise<void> {
  const id = randomUUID();
  const data = randomBytes(2 * 1024 * 1024 + 12345);
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const { answer } = sendMediaUpload({
    url: server.url,
    key: otherKey,
    filename: 'bystander.mp4',
    input: { id },
    content: async function* () {
      yield data.subarray(0, 1536 * 1024);
      await gate;
      yield data.subarray(1536 * 1024);
    },
  });
  try {
    await waitFor(async () => (await statusOf(server, id)) === 'UPLOADING', "the other tenant's upload to be streaming");
    await during();
  } finally {
    release();
  }
  const done = await answer;
  const upload = done.body.data?.['uploadMedia'] as { status: string; bytesUploaded: number; fileId: string } | undefined;
  assert.equal(upload?.status, 'SUCCEEDED', `the other tenant's upload: ${JSON.stringify(done.body).slice(0, 500)}`);
  assert.equal(upload.bytesUploaded, data.length);
  assert.ok(server.emulator.state.mediaRecord(upload.fileId), 'committed at VOD');
}

/** The intrinsics a poisoned map path would write into, as they are now. */
export function intrinsicsSnapshot(): Record<string, unknown> {
  const snapshot: Record<string, unknown> = {};
  for (const owner of [Object.prototype, Function.prototype, Array.prototype, String.prototype]) {
    for (const name of Object.getOwnPropertyNames(owner)) {
      const value: unknown = Object.getOwnPropertyDescriptor(owner, name)?.value;
      if (typeof value !== 'function') continue;
      snapshot[`${owner.constructor.name}.${name}`] = value;
      snapshot[`${owner.constructor.name}.${name}#own`] = Object.getOwnPropertyNames(value).sort().join(',');
    }
  }
  snapshot['Object.prototype#own'] = Object.getOwnPropertyNames(Object.prototype).sort().join(',');
  return snapshot;
}

/** A test server for hostile cases with two tenants' keys: the hostile one and a bystander's. */
export async function openHostileServer(
  label: string,
  env: Record<string, string> = {},
): Promise<{ server: TestServer; key: string; otherKey: string }> {
  const server = await startTestServer(label, { env });
  const key = (await server.app.apiKeys.createKey('hostile')).key;
  const otherKey = (await server.app.apiKeys.createKey('bystander')).key;
  return { server, key, otherKey };
}
