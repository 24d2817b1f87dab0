import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';

/** A 1×1 PNG: the small cover every client sends. */
export const COVER_PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);

/** Media over 1 MiB: more than graphql-upload-minimal reads before it hands the files to the resolver. */
export const MEDIA_BYTES = 1024 * 1024 + 123_457;

export function mediaFile(name = 'clip.mp4', bytes = MEDIA_BYTES): File {
  return new File([randomBytes(bytes)], name, { type: 'video/mp4' });
}

export function coverFile(name = 'clip-cover.png'): File {
  return new File([COVER_PNG], name, { type: 'image/png' });
}

/**
 * A File whose bytes leave slowly, as over a slow uplink: its stream() trickles `chunk` bytes every
 * `delayMs`. Node's fetch (undici) sends a FormData file through stream() when the entry is
 * appended without a file name argument (with one, FormData copies it into a plain File).
 */
export class TrickleFile extends File {
  constructor(
    bytes: number,
    name: string,
    private readonly chunk = 64 * 1024,
    private readonly delayMs = 50,
  ) {
    super([new Uint8Array(bytes)], name, { type: 'video/mp4' });
  }

  override stream(): ReadableStream<Uint8Array<ArrayBuffer>> {
    let sent = 0;
    const { size, chunk, delayMs } = this;
    return new ReadableStream({
      async pull(controller) {
        if (sent >= size) {
          controller.close();
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        const length = Math.min(chunk, size - sent);
        controller.enqueue(new Uint8Array(randomBytes(length)));
        sent += length;
      },
    });
  }
}

/** FormData.append without a file name, so a TrickleFile keeps its own stream() (see above). */
export function appendKeepingStream(form: FormData, field: string, file: Blob): void {
  form.append(field, file);
}

export async function waitFor(condition: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export interface Snapshot {
  readonly id: string;
  readonly status: string;
  readonly bytesReceived: number;
  readonly bytesUploaded: number;
  readonly fileId: string | null;
  readonly error: { code: string; message: string } | null;
}

/** What every client's subscription must have seen: progress that never goes back, one terminal status last. */
export function assertProgressEndsIn(snapshots: readonly Snapshot[], status: string): void {
  assert.ok(snapshots.length > 0, 'at least one snapshot');
  assert.equal(snapshots.at(-1)?.status, status, JSON.stringify(snapshots.map((s) => s.status)));
  const terminal = snapshots.filter((s) => ['SUCCEEDED', 'FAILED', 'CANCELED'].includes(s.status));
  assert.equal(terminal.length, 1, 'exactly one terminal snapshot');
  for (let i = 1; i < snapshots.length; i++) {
    const [before, now] = [snapshots[i - 1], snapshots[i]];
    if (before?.status === now?.status) assert.ok((now?.bytesReceived ?? 0) >= (before?.bytesReceived ?? 0), 'bytes never go back');
  }
}

export const PROGRESS_QUERY = `subscription Progress($id: ID!) {
  uploadProgress(id: $id) { id status bytesReceived bytesUploaded fileId error { code message } }
}`;
export const UPLOAD_QUERY = `mutation Upload($input: UploadMediaInput!) {
  uploadMedia(input: $input) { id status fileId mediaUrl coverUrl coverType bytesTotal error { code message } }
}`;
export const CANCEL_QUERY = `mutation Cancel($id: ID!) { cancelUpload(id: $id) { id status error { code } } }`;

export interface UploadResult {
  readonly id: string;
  readonly status: string;
  readonly fileId: string | null;
  readonly mediaUrl: string | null;
  readonly coverUrl: string | null;
  readonly coverType: string | null;
  readonly bytesTotal: number | null;
}

export interface FetchAnswer {
  readonly data?: { uploadMedia: UploadResult } | null;
  readonly errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
}

/**
 * What a script does where the client library carries no files (graphql-sse, graphql-ws): the GraphQL
 * multipart request with Node's own fetch and FormData, files in the input's key order.
 */
export async function uploadWithFetch(url: string, key: string, input: Record<string, File>, rest: Record<string, unknown> = {}): Promise<FetchAnswer> {
  const fields = Object.keys(input);
  const form = new FormData();
  form.append('operations', JSON.stringify({ query: UPLOAD_QUERY, variables: { input: { ...rest, ...Object.fromEntries(fields.map((f) => [f, null])) } } }));
  form.append('map', JSON.stringify(Object.fromEntries(fields.map((f, i) => [String(i), [`variables.input.${f}`]]))));
  fields.forEach((field, i) => appendKeepingStream(form, String(i), input[field] as File));
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'graphql-require-preflight': '1' },
    body: form,
  });
  return (await response.json()) as FetchAnswer;
}

/** What graphql-sse's and graphql-ws's clients both offer: a subscription into a sink, and an iteration. */
export interface SubscribingClient {
  subscribe<Data>(
    request: { query: string; variables: Record<string, unknown> },
    sink: { next(value: { data?: Data | null; errors?: unknown }): void; error(error: unknown): void; complete(): void },
  ): () => void;
  iterate<Data>(request: { query: string; variables: Record<string, unknown> }): AsyncIterableIterator<{ data?: Data | null }>;
}

/** Follows uploadProgress for `id` until the subscription completes (rejects on an error). */
export function watchProgress(client: SubscribingClient, id: string): { snapshots: Snapshot[]; done: Promise<void> } {
  const snapshots: Snapshot[] = [];
  const done = new Promise<void>((resolve, reject) => {
    client.subscribe<{ uploadProgress: Snapshot }>(
      { query: PROGRESS_QUERY, variables: { id } },
      {
        next: (result) => {
          if (result.errors) reject(new Error(JSON.stringify(result.errors)));
          if (result.data) snapshots.push(result.data.uploadProgress);
        },
        error: (error) => reject(error instanceof Error ? error : new Error(JSON.stringify(error))),
        complete: resolve,
      },
    );
  });
  return { snapshots, done };
}

/** cancelUpload through the client (a single-result operation). */
export async function cancelThrough(client: SubscribingClient, id: string): Promise<{ status: string }> {
  const result = await client.iterate<{ cancelUpload: { status: string } }>({ query: CANCEL_QUERY, variables: { id } }).next();
  const value = result.value as { data?: { cancelUpload: { status: string } } } | undefined;
  assert.ok(value?.data, JSON.stringify(result.value));
  return value.data.cancelUpload;
}
