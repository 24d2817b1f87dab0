// graphql-sse's client as its README shows (distinct connections mode, the key in `headers`): it
// watches and cancels; the upload itself is a multipart request by fetch (SSE carries no files).
import { createClient } from 'graphql-sse';
import { subscribingClientSuite } from './subscribing-client-suite.ts';

subscribingClientSuite({
  name: 'sse',
  connect: (serverUrl, key) => createClient({ url: `${serverUrl}/graphql`, headers: { Authorization: `Bearer ${key}` }, retryAttempts: 0 }),
});
