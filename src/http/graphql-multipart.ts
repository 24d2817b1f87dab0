import type { IncomingMessage } from 'node:http';
import busboy from 'busboy';
import { Upload, type FileUpload } from 'graphql-upload-minimal';
import { cancellationError } from '../errors/cancellation.ts';
import { isVodError, VodError } from '../errors/vod-error.ts';
import { resolveMapTargets } from './multipart-map.ts';
import { rememberFileBytes } from './multipart-file-bytes.ts';

export interface MultipartLimits {
  readonly maxFileBytes: number;
  readonly maxFiles: number;
}

/** What the rest of the request needs to know about its multipart body. */
export interface MultipartBody {
  /** Set once the body turned out malformed, too large or cut short: the request fails with it. */
  readonly failure: VodError | undefined;
}

/** Headers a browser cannot send cross-site without a CORS preflight (as Apollo's CSRF prevention). */
const PREFLIGHT_HEADERS = ['x-apollo-operation-name', 'apollo-require-preflight', 'graphql-require-preflight'];
/** Size of the `operations` and `map` fields. */
export const MAX_FIELD_BYTES = 1024 * 1024;
const SPEC = 'a GraphQL multipart request is the operations field, the map field, then the files the map names';

export interface ParseWatch {
  /** Called as soon as the body is piped into the parser (the moment a body watch may start). */
  readonly onBodyFlowing?: (() => void) | undefined;
  /** Stops waiting for the operations with the signal's reason (a VodError, e.g. RequestTimeout). */
  readonly signal?: AbortSignal | undefined;
}

export function isMultipartRequest(req: IncomingMessage): boolean {
  return req.method === 'POST' && (req.headers['content-type'] ?? '').toLowerCase().startsWith('multipart/form-data');
}

/**
 * A multipart/form-data POST is a "simple" request a browser sends cross-site without asking; one
 * of the preflight headers proves the sender is not a page on another origin.
 */
export function assertCsrfSafe(req: IncomingMessage): void {
  if (PREFLIGHT_HEADERS.some((header) => (req.headers[header] ?? '') !== '')) return;
  throw new VodError(
    'InvalidParameter',
    `Multipart requests need one of the headers ${PREFLIGHT_HEADERS.join(', ')} (CSRF protection).`,
  );
}

/**
 * Reads a GraphQL multipart request (the spec graphql-upload-minimal implements, with its `Upload`
 * values, so its `Upload` scalar takes them): resolves as soon as the operations and map are read,
 * leaving the files to stream into resolvers while the body arrives. The parsed operations go on
 * `req.body`, which graphql-yoga then takes instead of reading the body.
 *
 * Every way the body can go wrong ends in one VodError (`failure`) that rejects what is still
 * pending: before the operations, this promise; after, the files not yet arrived and the file being
 * read. Nothing the parser emits is left without a listener, so no body can crash the process.
 */
export async function parseMultipartOperations(req: IncomingMessage, limits: MultipartLimits, watch: ParseWatch = {}): Promise<MultipartBody> {
  const reader = new MultipartReader(req, limits);
  // Rejected later when the connection dies; nobody may be left with an unhandled rejection.
  reader.operations.catch(() => undefined);
  watch.onBodyFlowing?.();
  (req as IncomingMessage & { body?: unknown }).body = await (watch.signal === undefined
    ? reader.operations
    : Promise.race([reader.operations, rejectOnAbort(watch.signal)]));
  // Read before it goes: progress has a total from the first byte (see multipart-file-bytes.ts).
  rememberFileBytes(req, (req as IncomingMessage & { body?: unknown }).body);
  // yoga would compare the upload's Content-Length with its JSON body limit; this body is not its to read.
  delete req.headers['content-length'];
  return reader;
}

interface PendingUpload {
  readonly upload: Upload & { resolve(file: FileUpload): void; reject(error: unknown): void };
  arrived: boolean;
}

class MultipartReader implements MultipartBody {
  failure: VodError | undefined;
  readonly operations: Promise<unknown>;
  #resolveOperations: (operations: unknown) => void = () => undefined;
  #rejectOperations: (error: unknown) => void = () => undefined;
  #parsedOperations: unknown;
  #uploads: Map<string, PendingUpload> | undefined;
  /** The file part being received, until it ends. */
  #current: busboy.FileStream | undefined;
  #parser: busboy.Busboy | undefined;

  constructor(
    private readonly req: IncomingMessage,
    private readonly limits: MultipartLimits,
  ) {
    this.operations = new Promise((resolve, reject) => {
      this.#resolveOperations = resolve;
      this.#rejectOperations = reject;
    });
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        defParamCharset: 'utf8',
        // busboy counts a part that reaches its limit exactly as over it: one byte more allows the limit itself.
        limits: { fieldSize: MAX_FIELD_BYTES + 1, fileSize: limits.maxFileBytes + 1, files: limits.maxFiles },
      });
    } catch (error) {
      this.fail(malformed(error));
      return;
    }
    this.#parser = parser;
    parser.on('field', (name, value, info) => this.onField(name, value, info.valueTruncated));
    parser.on('file', (name, stream, info) => this.onFile(name, stream, info.filename, info));
    parser.on('filesLimit', () => this.fail(new VodError('LimitExceeded', `The request has more than ${limits.maxFiles} files.`)));
    // Persistent: busboy can emit more than one error (a parse error, then "Unexpected end of form" on destroy).
    parser.on('error', (error) => this.fail(malformed(error)));
    parser.on('close', () => this.onBodyEnd());
    req.on('close', () => {
      if (!req.complete) this.fail(new VodError('RequestCanceled', 'The client went away before the multipart body ended.'));
    });
    req.pipe(parser);
  }

  private onField(name: string | undefined, value: string, truncated: boolean): void {
    if (name === undefined || name === '') return this.fail(invalid(`A multipart part has no name: ${SPEC}.`));
    if (truncated) return this.fail(new VodError('LimitExceeded', `The ${quote(name)} field is larger than ${MAX_FIELD_BYTES} bytes.`));
    if (name === 'operations' && this.#parsedOperations === undefined) return this.onOperations(value);
    if (name === 'map' && this.#parsedOperations !== undefined && this.#uploads === undefined) return this.onMap(value);
    if (this.#uploads?.has(name) === true) return this.fail(invalid(`Part ${quote(name)} is mapped to a file but was sent without a filename.`));
    this.fail(invalid(`Unexpected field ${quote(name)}: ${SPEC}.`));
  }

  private onOperations(value: string): void {
    const operations = parseJson(value);
    if (typeof operations !== 'object' || operations === null) {
      return this.fail(invalid("The 'operations' field must be a JSON object (or an array of them)."));
    }
    this.#parsedOperations = operations;
  }

  private onMap(value: string): void {
    let targets;
    try {
      const map = parseJson(value);
      if (map === undefined) throw invalid("The 'map' field is not valid JSON.");
      targets = resolveMapTargets(this.#parsedOperations, map, this.limits.maxFiles);
    } catch (error) {
      return this.fail(error as VodError);
    }
    const uploads = new Map<string, PendingUpload>();
    for (const target of targets) {
      const pending: PendingUpload = { upload: new Upload() as PendingUpload['upload'], arrived: false };
      uploads.set(target.field, pending);
      (target.holder as Record<string | number, unknown>)[target.key] = pending.upload;
    }
    this.#uploads = uploads;
    this.#resolveOperations(this.#parsedOperations);
  }

  private onFile(name: string | undefined, stream: busboy.FileStream, filename: string | undefined, info: busboy.FileInfo): void {
    // The stream may be destroyed with an error while nobody reads it: that must not go unhandled.
    stream.on('error', () => undefined);
    if (this.#uploads === undefined) return this.refuseFile(stream, invalid(`A file came before the operations and map: ${SPEC}.`));
    if (name === undefined || name === '') return this.refuseFile(stream, invalid(`A multipart part has no name: ${SPEC}.`));
    const pending = this.#uploads.get(name);
    if (pending === undefined) return this.refuseFile(stream, invalid(`File part ${quote(name)} is not named in the map.`));
    if (pending.arrived) return this.refuseFile(stream, invalid(`File part ${quote(name)} was sent twice.`));
    pending.arrived = true;
    // busboy ends a file it cannot finish (the body broke off) with a plain Error of its own; whoever
    // reads the file gets the request's failure instead, a coded VodError.
    const destroy = stream.destroy.bind(stream);
    stream.destroy = (error?: Error) => {
      if (error === undefined || isVodError(error)) return destroy(error);
      this.fail(malformed(error));
      return destroy(this.failure);
    };
    this.#current = stream;
    stream.once('end', () => {
      if (this.#current === stream) this.#current = undefined;
    });
    let handedOut = false;
    pending.upload.resolve({
      fieldName: name,
      filename: filename ?? '',
      mimetype: info.mimeType,
      encoding: info.encoding,
      createReadStream: () => {
        if (stream.errored !== null) throw stream.errored;
        if (handedOut) throw new VodError('InternalError', `File ${quote(name)} was read twice.`);
        handedOut = true;
        return stream as unknown as ReturnType<FileUpload['createReadStream']>;
      },
    });
  }

  private refuseFile(stream: busboy.FileStream, error: VodError): void {
    stream.resume();
    this.fail(error);
  }

  private onBodyEnd(): void {
    if (this.failure !== undefined) return;
    if (this.#uploads === undefined) {
      const missing = this.#parsedOperations === undefined ? 'operations' : 'map';
      return this.fail(invalid(`The request has no ${missing} field: ${SPEC}.`));
    }
    const missing = [...this.#uploads].filter(([, pending]) => !pending.arrived).map(([name]) => quote(name));
    if (missing.length > 0) this.fail(invalid(`The map names files the request does not carry: ${missing.join(', ')}.`));
  }

  /** The first failure wins; it ends the parsing and everything still waiting for the body. */
  private fail(error: VodError): void {
    if (this.failure !== undefined) return;
    this.failure = error;
    this.#rejectOperations(error);
    for (const pending of this.#uploads?.values() ?? []) if (!pending.arrived) pending.upload.reject(error);
    if (this.#current !== undefined && !this.#current.readableEnded) this.#current.destroy(error);
    this.#current = undefined;
    if (this.#parser !== undefined) {
      this.req.unpipe(this.#parser);
      this.#parser.destroy();
    }
    // What is left of the body is read and dropped (or the connection cut) once the answer is out: see app.ts.
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function malformed(error: unknown): VodError {
  const reason = error instanceof Error ? error.message : 'unreadable';
  return invalid(`Malformed multipart body (${reason}).`);
}

function invalid(message: string): VodError {
  return new VodError('InvalidParameter', message);
}

function quote(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}

function rejectOnAbort(signal: AbortSignal): Promise<never> {
  return new Promise((_resolve, reject) => {
    const fail = () => reject(cancellationError(signal));
    if (signal.aborted) fail();
    else signal.addEventListener('abort', fail, { once: true });
  });
}
