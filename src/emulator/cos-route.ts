/** Where a COS request points: virtual-host (`{bucket}.cos.{region}.myqcloud.com`) or path-style (`/{bucket}/{key}`). */
import type { IncomingMessage } from 'node:http';
import { cosErrors } from './cos-errors.ts';
import { header, parseQuery, splitTarget } from './http-util.ts';

export const BUCKET_RE = /^[a-z0-9-]+-\d+$/;
const VIRTUAL_HOST_RE = /^([a-z0-9-]+-\d+)\.cos\.([a-z0-9-]+)\.(?:myqcloud\.com|tencentcos\.cn)(?::\d+)?$/;

export interface CosAddress {
  readonly bucket: string;
  /** Decoded object key without the leading `/`; '' for bucket-level requests. */
  readonly key: string;
  readonly style: 'virtual' | 'path';
  /** Decoded paths a signature may have been computed over (first: the COS SDK's choice). */
  readonly signPaths: readonly string[];
  readonly query: Map<string, string>;
}

function decodePath(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw cosErrors.invalidArgument('the request path is not valid percent-encoding');
  }
}

/** Resolves bucket and key; undefined when the request names no bucket. */
export function resolveCosAddress(req: IncomingMessage): CosAddress | undefined {
  const target = splitTarget(req.url ?? '/');
  const host = (target.host ?? header(req.headers, 'host') ?? '').toLowerCase();
  const query = parseQuery(target.rawQuery);
  const virtual = VIRTUAL_HOST_RE.exec(host);
  if (virtual !== null) {
    const path = decodePath(target.rawPath);
    return { bucket: virtual[1]!, key: path.replace(/^\//, ''), style: 'virtual', signPaths: [path], query };
  }
  const m = /^\/([^/?]+)(\/.*)?$/.exec(target.rawPath);
  if (m === null || !BUCKET_RE.test(m[1]!)) return undefined;
  const rest = decodePath(m[2] ?? '/');
  return {
    bucket: m[1]!,
    key: rest.replace(/^\//, ''),
    style: 'path',
    signPaths: [rest, `/${m[1]!}${rest === '/' ? '' : rest}`],
    query,
  };
}
