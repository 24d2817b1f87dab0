/** fresh 2.x: whether a conditional request (If-None-Match, If-Modified-Since) may be answered 304. */
declare module 'fresh' {
  import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

  function fresh(requestHeaders: IncomingHttpHeaders, responseHeaders: OutgoingHttpHeaders): boolean;
  export = fresh;
}
