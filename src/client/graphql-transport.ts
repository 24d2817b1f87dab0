import { CLIENT_ERROR_CODES, IngestError } from './ingest-error.ts';

/** A file part of a GraphQL multipart request: where it goes in the variables, and its bytes. */
export interface MultipartFile {
  /** e.g. `input.media`, `input.segments.0.file` (without the `variables.` prefix). */
  readonly variablePath: string;
  readonly name: string;
  readonly blob: Blob;
}

/** An operation and the field of `data` its caller wants. */
export interface GraphQLOperation {
  readonly field: string;
  readonly query: string;
  readonly variables: Record<string, unknown>;
}

interface GraphQLResponseBody {
  data?: Record<string, unknown> | null;
  errors?: Array<{ message?: unknown; extensions?: Record<string, unknown> }>;
}

/** Codes a server answers with when the request may succeed later (it stopped, or a peer swept it). */
const RETRYABLE_CODES = new Set(['Interrupted']);
/** Gateways between the client and the service answer these when the service is briefly away. */
const RETRYABLE_HTTP = new Set([502, 503, 504]);

/**
 * POSTs GraphQL operations with a bearer key: JSON, or a GraphQL multipart request whose files
 * stream from their Blobs (file-backed Blobs stream from disk). Every failure becomes an IngestError.
 */
export class GraphQLTransport {
  constructor(
    readonly endpoint: string,
    private readonly key: string,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  get authorization(): string {
    return `Bearer ${this.key}`;
  }

  /** A query or mutation as JSON; returns `data[field]`. */
  async request<T>(field: string, query: string, variables: Record<string, unknown>, signal?: AbortSignal): Promise<T> {
    const body = JSON.stringify({ query, variables });
    return this.#send<T>(field, { body, headers: { 'content-type': 'application/json' }, signal });
  }

  /**
   * A GraphQL multipart request. The files go into the body in the order given (the service reads
   * them in that order: media, cover, segments); the variables they fill must be null.
   */
  async upload<T>(operation: GraphQLOperation, files: readonly MultipartFile[], signal?: AbortSignal): Promise<T> {
    const { field, query, variables } = operation;
    const form = new FormData();
    form.append('operations', JSON.stringify({ query, variables }));
    form.append('map', JSON.stringify(Object.fromEntries(files.map((file, i) => [String(i), [`variables.${file.variablePath}`]]))));
    files.forEach((file, i) => form.append(String(i), file.blob, file.name));
    return this.#send<T>(field, { body: form, headers: { 'graphql-require-preflight': '1' }, signal });
  }

  async #send<T>(field: string, init: { body: string | FormData; headers: Record<string, string>; signal?: AbortSignal | undefined }): Promise<T> {
    let response: Response;
    let text: string;
    try {
      response = await this.fetchImpl(this.endpoint, {
        method: 'POST',
        headers: { ...init.headers, authorization: this.authorization, accept: 'application/graphql-response+json, application/json' },
        body: init.body,
        // Not only a policy: with any other value Node's fetch clones the request, which tees the
        // body and buffers the whole file in memory when the server reads slower than the disk.
        redirect: 'error',
        signal: init.signal ?? null,
      });
      text = await response.text();
    } catch (error) {
      if (init.signal?.aborted === true) throw new IngestError(CLIENT_ERROR_CODES.aborted, 'The request was aborted.', { cause: error });
      throw new IngestError(CLIENT_ERROR_CODES.network, `Cannot reach ${this.endpoint}: ${describeNetworkError(error)}`, {
        retryable: true,
        cause: error,
      });
    }
    const body = parseBody(text);
    if (body === undefined) {
      throw new IngestError(CLIENT_ERROR_CODES.invalidResponse, `${this.endpoint} answered HTTP ${response.status} without a GraphQL response.`, {
        httpStatus: response.status,
        retryable: RETRYABLE_HTTP.has(response.status),
      });
    }
    const first = body.errors?.[0];
    if (first !== undefined) throw toIngestError(first, response.status);
    const value = body.data?.[field];
    if (value === undefined || value === null) {
      throw new IngestError(CLIENT_ERROR_CODES.invalidResponse, `The answer has no ${field}.`, { httpStatus: response.status });
    }
    return value as T;
  }
}

function parseBody(text: string): GraphQLResponseBody | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed !== null && typeof parsed === 'object' && ('data' in parsed || 'errors' in parsed) ? (parsed as GraphQLResponseBody) : undefined;
  } catch {
    return undefined;
  }
}

function toIngestError(error: { message?: unknown; extensions?: Record<string, unknown> }, httpStatus: number): IngestError {
  const extensions = error.extensions ?? {};
  const code = typeof extensions['code'] === 'string' ? extensions['code'] : 'InternalError';
  const offset = extensions['resumableOffset'];
  return new IngestError(code, typeof error.message === 'string' ? error.message : code, {
    uploadId: typeof extensions['uploadId'] === 'string' ? extensions['uploadId'] : undefined,
    resumableOffset: typeof offset === 'number' && Number.isSafeInteger(offset) && offset >= 0 ? offset : undefined,
    httpStatus,
    retryable: RETRYABLE_CODES.has(code),
  });
}

/** fetch's "fetch failed" hides the reason in `cause` (ECONNREFUSED, "other side closed", ...). */
function describeNetworkError(error: unknown): string {
  const cause = error instanceof Error ? error.cause : undefined;
  const reason = cause instanceof Error ? ((cause as { code?: unknown }).code ?? cause.message) : undefined;
  const message = error instanceof Error ? error.message : String(error);
  return typeof reason === 'string' && reason !== '' ? `${message} (${reason})` : message;
}
