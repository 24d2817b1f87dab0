import type { Plugin } from 'graphql-yoga';
import { encodeBody, MIN_COMPRESSIBLE_BYTES, negotiateContentCoding } from './content-coding.ts';

/** GraphQL's JSON answers; never a stream (SSE, multipart/mixed), which must reach the client as it is written. */
const JSON_ANSWER = /^application\/(?:graphql-response\+)?json\b/i;

/**
 * Compresses yoga's JSON answers of at least MIN_COMPRESSIBLE_BYTES in the coding the client
 * accepts best (brotli, gzip). Such an answer is one string already in memory, so it is compressed
 * whole; every JSON answer says `Vary: Accept-Encoding`.
 */
export function useAnswerCompression(): Plugin {
  return {
    async onResponse(payload) {
      const { request, response, fetchAPI } = payload;
      if (!JSON_ANSWER.test(response.headers.get('content-type') ?? '') || response.headers.has('content-encoding') || response.body === null) {
        return;
      }
      const coding = negotiateContentCoding(request.headers.get('accept-encoding') ?? undefined);
      const body = new Uint8Array(await response.arrayBuffer());
      const compress = coding !== 'identity' && body.byteLength >= MIN_COMPRESSIBLE_BYTES;
      const headers = new fetchAPI.Headers(response.headers);
      headers.append('vary', 'Accept-Encoding');
      // zlib's output is a Buffer over an ArrayBuffer of its own.
      const sent = compress ? ((await encodeBody(body, coding)) as Uint8Array<ArrayBuffer>) : body;
      if (compress) headers.set('content-encoding', coding);
      headers.set('content-length', String(sent.byteLength));
      payload.setResponse(new fetchAPI.Response(sent, { status: response.status, statusText: response.statusText, headers }));
    },
  };
}
