import assert from 'node:assert/strict';
import http from 'node:http';
import { TERMINAL_STATUSES } from '../../src/domain/upload-record.ts';
import { sendMultipart, UPLOAD_MUTATION, type MultipartAnswer, type MultipartFile } from '../support/multipart.ts';
import type { GraphQLAnswer, TestServer } from '../support/server.ts';

/** What a hostile case expects back: the code in `extensions.code` and the HTTP status. */
export interface Refusal {
  readonly code: string;
  readonly status: number;
}

export interface RawAnswer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly text: string;
}

/** One request exactly as given (method, target, headers, body), over a fresh connection. */
export function rawRequest(
  url: string,
  options: { method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer },
): Promise<RawAnswer> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const request = http.request({
      hostname: target.hostname,
      port: target.port,
      method: options.method ?? 'GET',
      path: options.path,
      headers: options.headers,
      agent: false,
    });
    request.once('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.once('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, text: Buffer.concat(chunks).toString('utf8') }));
      response.once('error', reject);
    });
    request.once('error', reject);
    request.end(options.body);
  });
}

/** The first error's code of a GraphQL answer (fails when there is none). */
export function codeOf(answer: GraphQLAnswer | MultipartAnswer): unknown {
  const [error] = answer.body.errors ?? [];
  assert.ok(error, `expected an error, got ${JSON.stringify(answer.body).slice(0, 500)}`);
  return error.extensions?.['code'];
}

/** Asserts the exact code and HTTP status, and that no stack trace or file path went out. */
export function assertRefused(answer: GraphQLAnswer | MultipartAnswer, expected: Refusal): void {
  assert.equal(codeOf(answer), expected.code, JSON.stringify(answer.body).slice(0, 500));
  assert.equal(answer.status, expected.status);
  const text = JSON.stringify(answer.body);
  assert.doesNotMatch(text, /\bat .+:\d+:\d+|\/work\/|node_modules|\.ts:\d+/, 'no stack trace or file path in the answer');
}

/** An HLS/DASH upload: the manifest as media, then each segment (path + bytes), in that order. */
export function sendManifestUpload(
  server: TestServer,
  key: string,
  upload: {
    readonly manifest: { name: string; content: string };
    readonly segments: ReadonlyArray<{ path: string; content: Buffer | string }>;
    readonly input?: Record<string, unknown>;
  },
): Promise<MultipartAnswer> {
  const { manifest, segments, input = {} } = upload;
  const files: MultipartFile[] = [
    { field: 'm', filename: manifest.name, content: Buffer.from(manifest.content) },
    ...segments.map((segment, i) => ({
      field: `s${i}`,
      filename: segment.path.split('/').at(-1) || 'segment',
      content: Buffer.from(segment.content),
    })),
  ];
  const map: Record<string, string[]> = { m: ['variables.input.media'] };
  segments.forEach((_, i) => (map[`s${i}`] = [`variables.input.segments.${i}.file`]));
  return sendMultipart({
    url: server.url,
    key,
    query: UPLOAD_MUTATION,
    variables: { input: { ...input, media: null, segments: segments.map((segment) => ({ path: segment.path, file: null })) } },
    map,
    files,
  }).answer;
}

/**
 * What must hold after any hostile request: the process answers /healthz; no upload is left in a
 * non-terminal state; no multipart upload is open on the emulator; every stored object belongs to a
 * committed media. Waits (bounded) for in-flight cleanup to settle before failing.
 */
export async function assertInvariants(server: TestServer): Promise<void> {
  const health = await rawRequest(server.url, { path: '/healthz' });
  assert.equal(health.status, 200, 'healthz answers');
  assert.deepEqual(JSON.parse(health.text), { status: 'ok' });
  const deadline = Date.now() + 15_000;
  for (;;) {
    const problems = await invariantProblems(server);
    if (problems.length === 0) return;
    if (Date.now() > deadline) assert.fail(`invariants broken:\n${problems.join('\n')}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function invariantProblems(server: TestServer): Promise<string[]> {
  const problems: string[] = [];
  const unsettled = await server.database.db.prisma.upload.findMany({
    where: { status: { notIn: [...TERMINAL_STATUSES] } },
    select: { id: true, status: true },
  });
  for (const upload of unsettled) problems.push(`upload ${upload.id} is ${upload.status}`);
  const { state } = server.emulator;
  for (const open of state.multipartUploads()) problems.push(`multipart upload open: ${open.bucket}/${open.key}`);
  const media = state.mediaRecords();
  const committed = new Set(media.flatMap((record) => [record.mediaKey, record.coverKey, ...record.objects.map((object) => object.key)]));
  const buckets = new Set([...media.map((record) => record.bucket), ...state.pendingSessions().map((session) => session.bucket)]);
  for (const bucket of buckets) {
    for (const object of state.objects(bucket)) {
      if (!committed.has(object.key)) problems.push(`object without a committed media: ${bucket}/${object.key}`);
    }
  }
  return problems;
}
