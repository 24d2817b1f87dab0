import type { IncomingMessage } from 'node:http';
import { isVodError, VodError } from '../errors/vod-error.ts';

/**
 * Reads the body of a GraphQL request sent as JSON, at most `limit` bytes, and leaves it on
 * `req.body` where graphql-yoga takes it instead of reading the stream itself (yoga would buffer any
 * size). Past the limit — by Content-Length up front, or by the bytes of a chunked body — it refuses
 * with LimitExceeded and stops reading; the caller's answer then drains or cuts the rest.
 */
export async function readJsonBody(req: IncomingMessage, limit: number): Promise<void> {
  const refuse = (): never => {
    throw new VodError('LimitExceeded', `A GraphQL request body sent as JSON may be at most ${limit} bytes.`);
  };
  const declared = Number(req.headers['content-length'] ?? Number.NaN);
  if (declared > limit) refuse();
  const chunks: Buffer[] = [];
  let received = 0;
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      received += chunk.length;
      if (received > limit) refuse();
      chunks.push(chunk);
    }
  } catch (error) {
    if (isVodError(error)) throw error;
    throw new VodError('RequestCanceled', 'The client went away while sending the request.', { cause: error });
  }
  if (received > 0) (req as IncomingMessage & { body?: unknown }).body = Buffer.concat(chunks, received);
}
