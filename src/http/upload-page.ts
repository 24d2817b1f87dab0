import { readFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

/**
 * The upload page's files. Resolved from the project root (two levels above this module, whether
 * it runs from src/http or from the compiled dist/http), so `npm start` finds them too.
 */
const ASSET_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/http/upload-page');

const ASSETS: Readonly<Record<string, { file: string; type: string }>> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/upload-page/upload.js': { file: 'upload.js', type: 'text/javascript; charset=utf-8' },
  '/upload-page/upload.css': { file: 'upload.css', type: 'text/css; charset=utf-8' },
};

/** Only this origin's script and style; no inline code, no framing, nothing from elsewhere. */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data: blob:",
  "form-action 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

const cache = new Map<string, Buffer>();

export function isUploadPagePath(pathname: string): boolean {
  return Object.hasOwn(ASSETS, pathname);
}

/** Serves one of the page's files (read once, then kept: they are a few kilobytes). */
export async function serveUploadPage(pathname: string, method: string | undefined, res: ServerResponse): Promise<void> {
  const asset = ASSETS[pathname];
  if (asset === undefined) throw new Error(`not an upload page path: ${pathname}`);
  let body = cache.get(asset.file);
  if (body === undefined) {
    body = await readFile(path.join(ASSET_DIR, asset.file));
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
