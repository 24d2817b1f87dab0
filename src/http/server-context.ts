import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuthenticatedTenant } from '../db/api-key-repository.ts';
import type { MultipartBody } from './graphql-multipart.ts';

/** What the HTTP (or WebSocket) layer hands graphql-yoga along with each request. */
export interface ServerContext {
  req: IncomingMessage;
  res?: ServerResponse;
  tenant: AuthenticatedTenant;
  requestId: string;
  /** Aborts when the client's connection goes away. */
  signal: AbortSignal;
  /** A multipart request's body, which may still fail after the operations were read. */
  multipart?: MultipartBody | undefined;
}
