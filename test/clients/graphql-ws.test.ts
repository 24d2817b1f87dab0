// graphql-ws's client as its README shows (the key in `connectionParams`, `ws` as the WebSocket on Node): it
// watches and cancels; the upload itself is a multipart request by fetch (the socket carries no files).
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { subscribingClientSuite } from './subscribing-client-suite.ts';

subscribingClientSuite({
  name: 'ws',
  connect: (serverUrl, key) =>
    createClient({
      url: `${serverUrl.replace(/^http/, 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { Authorization: `Bearer ${key}` },
      retryAttempts: 0,
    }),
});
