import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuthenticatedTenant } from '../db/api-key-repository.ts';
import type { VodError } from '../errors/vod-error.ts';
import type { MultipartBody } from './graphql-multipart.ts';

/** What the HTTP (or WebSocket) layer hands graphql-yoga along with each request. */
export interface ServerContext {
  req: IncomingMessage;
  res?: ServerResponse;
  /** Absent when the request had no valid key: then only introspection runs (see authFailure). */
  tenant?: AuthenticatedTenant;
  /** Why the key did not authenticate; answers any operation that is not introspection-only. */
  authFailure?: VodError;
  requestId: string;
  /** Aborts when the client's connection goes away. */
  signal: AbortSignal;
  /** A multipart request's body, which may still fail after the operations were read. */
  multipart?: MultipartBody | undefined;
}
