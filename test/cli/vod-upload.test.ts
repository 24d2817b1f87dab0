import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { cliServer, download, sha256 } from './cli-server.ts';
import { jsonEvents, runVodUpload } from './run-vod-upload.ts';

const cli = cliServer('vod_upload_cli', { keyLabel: 'cli', tmpPrefix: 'vod-upload-cli-' });

describe('vod-upload', () => {
  it('uploads a file with a cover and prints JSON events and the final record (--json)', async () => {
    const { server, key, dir } = cli;
    const media = randomBytes(3 * 1024 * 1024 + 5);
    const cover = randomBytes(3000);
    await writeFile(path.join(dir, 'Wildlife.mp4'), media);
    await writeFile(path.join(dir, 'Wildlife-Cover.png'), cover);
    const id = randomUUID();
    const run = runVodUpload(
      [path.join(dir, 'Wildlife.mp4'), '--cover', path.join(dir, 'Wildlife-Cover.png'), '--json', '--id', id, '--procedure', 'flow-1', '--class-id', '7', '--media-name', 'Wild life', '--concurrency', '2'],
      { VOD_INGEST_URL: server.url, VOD_INGEST_KEY: key },
    );
    const { code, stdout, stderr } = await run.result;
    assert.equal(code, 0, stderr + stdout);
    const events = jsonEvents(stdout);
    assert.ok(events.some((event) => event['event'] === 'progress' && event['id'] === id), 'progress events from the subscription');
    const last = events.at(-1)!;
    assert.equal(last['event'], 'result');
    const upload = last['upload'] as Record<string, unknown>;
    assert.equal(upload['id'], id);
    assert.equal(upload['status'], 'SUCCEEDED');
    assert.equal(upload['procedure'], 'flow-1');
    assert.equal(upload['classId'], 7);
    assert.equal(upload['mediaName'], 'Wild life');
    assert.equal(upload['coverType'], 'png');
    // The cover follows the media in the body, so the service names it before its file name arrives.
    const [storedMedia, storedCover] = upload['files'] as Array<Record<string, unknown>>;
    assert.deepEqual(storedMedia, { role: 'MEDIA', path: 'Wildlife.mp4', bytes: media.length, sha256: sha256(media) });
    assert.deepEqual({ ...storedCover, path: undefined }, { role: 'COVER', path: undefined, bytes: cover.length, sha256: sha256(cover) });
    assert.match(String(upload['fileId']), /\S/);
    assert.match(String(upload['requestId']), /\S/);
    assert.equal(sha256(await download(String(upload['mediaUrl']))), sha256(media));
    assert.equal(sha256(await download(String(upload['coverUrl']))), sha256(cover));
  });

});
