import { readFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

/**
 * The upload page's files. Resolved from the project root (two levels above this module, whether
 * it runs from src/http or from the compiled dist/http), so `npm start` finds them too.
 */
const ASSET_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/http/upload-page');

/** Tencent's browser upload SDK (it bundles cos-js-sdk-v5), served from this origin: no CDN. */
const VOD_SDK_FILE = createRequire(import.meta.url).resolve('vod-js-sdk-v6/dist/vod-js-sdk-v6.js');

const ASSETS: Readonly<Record<string, { file: string; type: string }>> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/upload-page/upload.js': { file: 'upload.js', type: 'text/javascript; charset=utf-8' },
  '/upload-page/direct-upload.js': { file: 'direct-upload.js', type: 'text/javascript; charset=utf-8' },
  '/upload-page/webhooks.js': { file: 'webhooks.js', type: 'text/javascript; charset=utf-8' },
  '/upload-page/upload.css': { file: 'upload.css', type: 'text/css; charset=utf-8' },
  '/upload-page/vod-js-sdk-v6.js': { file: VOD_SDK_FILE, type: 'text/javascript; charset=utf-8' },
};

/**
 * The hosts "Direct to VOD" talks to, exactly as vod-js-sdk-v6 names them: its client-upload API
 * (vod2.qcloud.com, and vod2.dnsv1.com as its fallback) and COS buckets (`*.cos.<region>.myqcloud.com`,
 * and `*.tencentcos.cn`, cos-js-sdk-v5's fallback). COS without a scheme: cos-js-sdk-v5 uses the
 * page's own (so plain http only for a page served over http).
 */
const DIRECT_UPLOAD_HOSTS = ['https://vod2.qcloud.com', 'https://vod2.dnsv1.com', '*.myqcloud.com', '*.tencentcos.cn'];

/** Only this origin's script and style; no inline code, no framing; connections to this origin and VOD's upload hosts. */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  `connect-src 'self' ${DIRECT_UPLOAD_HOSTS.join(' ')}`,
  "img-src 'self' data: blob:",
  "form-action 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

const cache = new Map<string, Buffer>();

export function isUploadPagePath(pathname: string): boolean {
  return Object.hasOwn(ASSETS, pathname);
}

/** Serves one of the page's files (read once, then kept: a few kilobytes, and the SDK's 4 MB). */
export async function serveUploadPage(pathname: string, method: string | undefined, res: ServerResponse): Promise<void> {
  const asset = ASSETS[pathname];
  if (asset === undefined) throw new Error(`not an upload page path: ${pathname}`);
  let body = cache.get(asset.file);
  if (body === undefined) {
    body = await readFile(path.resolve(ASSET_DIR, asset.file));
    cache.set(asset.file, body);
  }
  res.writeHead(200, {
    'content-type': asset.type,
    'content-length': body.length,
    'content-security-policy': CONTENT_SECURITY_POLICY,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-cache',
  });
  res.end(method === 'HEAD' ? undefined : body);
}
