import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import fresh from 'fresh';
import type { GraphiQLOptions } from 'graphql-yoga';
import { encodeBody, negotiateContentCoding, type ContentCoding } from './content-coding.ts';

export interface GraphiQLPage {
  /** The page as HTML (rendered once). */
  html(): Promise<string>;
  /**
   * Answers a browser's GET: compressed as it accepts, with a strong ETag and `Cache-Control:
   * no-cache`, so a reload with the page in cache is a 304 without a body.
   */
  serve(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

interface Representation {
  readonly body: Buffer;
  readonly etag: string;
}

/**
 * GraphiQL with its assets inlined (yoga's default page loads them from a CDN, which a self-hosted
 * service behind a firewall cannot reach): about 9 MB of HTML, the same for the life of the process.
 * Rendered on the first page view, each coding compressed once when first asked for, then kept.
 */
export function createGraphiQLPage(options: GraphiQLOptions): GraphiQLPage {
  let rendered: Promise<{ html: string; body: Buffer; hash: string }> | undefined;
  const representations = new Map<ContentCoding, Promise<Representation>>();

  const render = () => {
    if (rendered === undefined) {
      rendered = (async () => {
        const { renderGraphiQL } = await import('@graphql-yoga/render-graphiql');
        const html = renderGraphiQL(options);
        const body = Buffer.from(html);
        return { html, body, hash: createHash('sha256').update(body).digest('base64url') };
      })();
      // A failure is not kept: the next view tries again.
      rendered.catch(() => (rendered = undefined));
    }
    return rendered;
  };

  const representation = (coding: ContentCoding): Promise<Representation> => {
    let pending = representations.get(coding);
    if (pending === undefined) {
      pending = (async () => {
        const { body, hash } = await render();
        // One tag per coding: each is a different sequence of bytes (a strong validator names one).
        return { body: await encodeBody(body, coding), etag: coding === 'identity' ? `"${hash}"` : `"${hash}-${coding}"` };
      })();
      pending.catch(() => representations.delete(coding));
      representations.set(coding, pending);
    }
    return pending;
  };

  return {
    async html() {
      return (await render()).html;
    },
    async serve(req, res) {
      const coding = negotiateContentCoding(req.headers['accept-encoding']);
      const { body, etag } = await representation(coding);
      const validators = { etag, 'cache-control': 'no-cache', vary: 'Accept-Encoding' };
      if (fresh(req.headers, validators)) {
        res.writeHead(304, validators);
        res.end();
        return;
      }
      res.writeHead(200, {
        ...validators,
        'content-type': 'text/html; charset=utf-8',
        'content-length': body.length,
        ...(coding === 'identity' ? {} : { 'content-encoding': coding }),
        'x-content-type-options': 'nosniff',
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    },
  };
}
