// Shared by the CLI tests of a network failure: a random media file on disk, and an upload of it by
// `vod-upload` through a proxy that cuts its connection once at ~40 %.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';
import type { TestServer } from '../support/server.ts';
import { startCuttingProxy } from '../support/tcp-proxy.ts';
import { runVodUpload } from './run-vod-upload.ts';

export const MEDIA_BYTES = 4 * 1024 * 1024;

/** A random media file written before the file's tests and removed after them. */
export function mediaOnDisk(prefix: string): { readonly path: string; readonly bytes: Buffer } {
  let dir = '';
  const file = { path: '', bytes: Buffer.alloc(0) };
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), prefix));
    file.bytes = randomBytes(MEDIA_BYTES);
    file.path = path.join(dir, 'broken.mp4');
    await writeFile(file.path, file.bytes);
  });
  after(async () => {
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });
  return file;
}

/** Uploads `mediaPath` through a proxy that cuts the upload's connection at ~40 % of the media. */
export async function uploadThroughCut(server: TestServer, key: string, id: string, mediaPath: string) {
  const proxy = await startCuttingProxy(server.url, { cutAfterBytes: Math.round(MEDIA_BYTES * 0.4) });
  try {
    const result = await runVodUpload([mediaPath, '--json', '--id', id, '--concurrency', '2', '--retries', '3'], {
      VOD_INGEST_URL: proxy.url,
      VOD_INGEST_KEY: key,
    }).result;
    assert.equal(proxy.cuts, 1, 'the connection was cut once');
    return result;
  } finally {
    await proxy.close();
  }
}
