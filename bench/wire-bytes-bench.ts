/**
 * Bytes on the wire for a person's browser (BENCH_SKIP_WIRE=1 skips it): GraphiQL's first load in
 * each coding and a reload with the page in cache (If-None-Match), and GraphiQL's introspection
 * answer, the largest JSON answer a browser asks for, compressed and plain. Against the real server
 * process (service.ts); counts what the client read on its connection (status line, headers, body).
 *
 * Alone: `npm run build && tsx bench/wire-bytes-bench.ts`.
 */
import { fileURLToPath } from 'node:url';
import { getIntrospectionQuery } from 'graphql';
import { wireRequest, type WireRequest } from '../test/support/wire-request.ts';
import { startService, type RunningService } from './service.ts';

const PAGE_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
/** What Chromium sends. */
const BROWSER_ACCEPT_ENCODING = 'gzip, deflate, br, zstd';

export interface WireLoad {
  /** The request's Accept-Encoding ('' for none). */
  readonly acceptEncoding: string;
  /** The answer's Content-Encoding ('identity' for none). */
  readonly coding: string;
  readonly status: number;
  readonly wireBytes: number;
  /** From the request to the answer's last byte; the first request of a coding includes compressing it. */
  readonly seconds: number;
}

export interface WireBytesResults {
  readonly graphiqlFirstLoads: readonly WireLoad[];
  /** A reload in Chromium's coding with the ETag it was given. */
  readonly graphiqlRepeatLoad: WireLoad;
  readonly introspectionAnswers: readonly WireLoad[];
}

async function timedLoad(url: string, acceptEncoding: string, request: WireRequest): Promise<{ load: WireLoad; etag: string | undefined }> {
  const started = performance.now();
  const answer = await wireRequest(url, request);
  const seconds = (performance.now() - started) / 1000;
  const coding = answer.headers['content-encoding'] ?? 'identity';
  return { load: { acceptEncoding, coding, status: answer.status, wireBytes: answer.wireBytes, seconds }, etag: answer.headers.etag };
}

const acceptEncodingHeader = (acceptEncoding: string): Record<string, string> =>
  acceptEncoding === '' ? {} : { 'accept-encoding': acceptEncoding };

export async function runWireBytesBench(service: RunningService): Promise<WireBytesResults> {
  const url = `${service.url}/graphql`;
  const page = (acceptEncoding: string, extra: Record<string, string> = {}) =>
    timedLoad(url, acceptEncoding, { headers: { accept: PAGE_ACCEPT, ...acceptEncodingHeader(acceptEncoding), ...extra } });
  const graphiqlFirstLoads: WireLoad[] = [];
  let browserEtag: string | undefined;
  for (const acceptEncoding of [BROWSER_ACCEPT_ENCODING, 'gzip', '']) {
    const { load, etag } = await page(acceptEncoding);
    graphiqlFirstLoads.push(load);
    if (acceptEncoding === BROWSER_ACCEPT_ENCODING) browserEtag = etag;
  }
  const repeat = await page(BROWSER_ACCEPT_ENCODING, browserEtag === undefined ? {} : { 'if-none-match': browserEtag });

  const introspectionAnswers: WireLoad[] = [];
  for (const acceptEncoding of [BROWSER_ACCEPT_ENCODING, 'gzip', '']) {
    const { load } = await timedLoad(url, acceptEncoding, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json, application/json',
        ...acceptEncodingHeader(acceptEncoding),
      },
      body: JSON.stringify({ query: getIntrospectionQuery() }),
    });
    introspectionAnswers.push(load);
  }
  return { graphiqlFirstLoads, graphiqlRepeatLoad: repeat.load, introspectionAnswers };
}

/** `br 1.95 MB (0.71 s), gzip 2.44 MB, identity 9.05 MB` */
export function describeLoads(loads: readonly WireLoad[]): string {
  return loads.map((load) => `${load.coding} ${formatBytes(load.wireBytes)} (${load.seconds.toFixed(2)} s)`).join(', ');
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1000 * 1000) return `${(bytes / 1000 / 1000).toFixed(2)} MB`;
  if (bytes >= 1000) return `${(bytes / 1000).toFixed(1)} kB`;
  return `${bytes} B`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const service = await startService({ partBytes: 8 * 1024 * 1024, concurrency: 4 });
  try {
    const results = await runWireBytesBench(service);
    process.stdout.write(`GraphiQL first load: ${describeLoads(results.graphiqlFirstLoads)}\n`);
    process.stdout.write(`GraphiQL repeat load: ${results.graphiqlRepeatLoad.status}, ${formatBytes(results.graphiqlRepeatLoad.wireBytes)}\n`);
    process.stdout.write(`introspection answer: ${describeLoads(results.introspectionAnswers)}\n`);
  } finally {
    await service.close();
  }
}
