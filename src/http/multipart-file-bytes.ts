import type { IncomingMessage } from 'node:http';
import { Upload } from 'graphql-upload-minimal';

/** File bytes of each multipart request, by request: known once its operations and map are parsed. */
const fileBytesByRequest = new WeakMap<IncomingMessage, number>();

/**
 * Remembers how many file bytes a multipart request carries, from its `Content-Length`: call after
 * the operations and map are parsed and before the header is dropped. Chunked requests (no
 * Content-Length) and batches (several operations sharing the files) get no estimate.
 */
export function rememberFileBytes(req: IncomingMessage, operations: unknown): void {
  const contentLength = Number(req.headers['content-length'] ?? Number.NaN);
  const boundary = boundaryOf(req.headers['content-type']);
  if (!Number.isSafeInteger(contentLength) || boundary === undefined || Array.isArray(operations)) return;
  const estimate = estimateFileBytes(contentLength, boundary, operations);
  if (estimate !== undefined) fileBytesByRequest.set(req, estimate);
}

/** The file bytes `rememberFileBytes` found for this request, if any. */
export function fileBytesOf(req: IncomingMessage | undefined): number | undefined {
  return req === undefined ? undefined : fileBytesByRequest.get(req);
}

/**
 * The body's length less what is certainly not file content: the multipart framing, the
 * `operations` and `map` fields (as compact JSON, which is what clients send) and the least each
 * part's headers can be. Part headers a client adds (a file's name, its Content-Type) are unknown
 * here, so the estimate is never below the true file total (by a few dozen bytes per file): progress
 * never claims the end before it. Undefined when the numbers do not add up.
 */
export function estimateFileBytes(contentLength: number, boundary: string, operations: unknown): number | undefined {
  const uploads = uploadPaths(operations);
  const delimiter = `--${boundary}\r\n`.length;
  const field = (name: string, value: string) =>
    delimiter + `Content-Disposition: form-data; name="${name}"\r\n\r\n`.length + utf8Length(value) + '\r\n'.length;
  const operationsJson = JSON.stringify(operations, (_key, value: unknown) => (value instanceof Upload ? null : value));
  const map = [...uploads.values()].map((paths) => `"?":[${paths.map((path) => JSON.stringify(path)).join(',')}]`);
  const filePart = delimiter + 'Content-Disposition: form-data; name="?"; filename=""\r\n\r\n'.length + '\r\n'.length;
  const overhead =
    field('operations', operationsJson) + field('map', `{${map.join(',')}}`) + uploads.size * filePart + `--${boundary}--`.length;
  const estimate = contentLength - overhead;
  return estimate >= 0 ? estimate : undefined;
}

/** Each distinct Upload in the operations with the dotted paths it sits at (the map's entries). */
function uploadPaths(operations: unknown): Map<Upload, string[]> {
  const found = new Map<Upload, string[]>();
  const walk = (value: unknown, path: string): void => {
    if (value instanceof Upload) {
      found.set(value, [...(found.get(value) ?? []), path]);
      return;
    }
    if (typeof value !== 'object' || value === null) return;
    for (const [key, child] of Object.entries(value)) walk(child, path === '' ? key : `${path}.${key}`);
  };
  walk(operations, '');
  return found;
}

function boundaryOf(contentType: string | undefined): string | undefined {
  const match = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType ?? '');
  return match?.[1] ?? match?.[2];
}

function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}
