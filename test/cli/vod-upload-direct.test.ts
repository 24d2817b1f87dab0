import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { cliServer, download, sha256 } from './cli-server.ts';
import { jsonEvents, runVodUpload } from './run-vod-upload.ts';

const cli = cliServer('vod_upload_direct', { keyLabel: 'cli-direct', tmpPrefix: 'vod-upload-direct-' });

describe('vod-upload --direct', () => {
  it('gets a signature from the service and sends media and cover straight to VOD; the service receives none of the bytes', async () => {
    const { server, key, dir } = cli;
    const media = randomBytes(2 * 1024 * 1024 + 11);
    const cover = randomBytes(1500);
    await writeFile(path.join(dir, 'Direct.mp4'), media);
    await writeFile(path.join(dir, 'Direct-Cover.png'), cover);
    const id = randomUUID();
    const endpoints = ['--vod-url', server.emulator.vodEndpoint, '--cos-url', server.emulator.cosEndpoint];
    const run = runVodUpload(
      [path.join(dir, 'Direct.mp4'), '--direct', '--cover', path.join(dir, 'Direct-Cover.png'), '--json', '--id', id, '--source-context', 'cli', ...endpoints],
      { VOD_INGEST_URL: server.url, VOD_INGEST_KEY: key },
    );
    const { code, stdout, stderr } = await run.result;
    assert.equal(code, 0, stderr + stdout);
    const last = jsonEvents(stdout).at(-1)!;
    assert.equal(last['event'], 'result');
    const upload = last['upload'] as Record<string, unknown>;
    assert.equal(upload['id'], id);
    assert.equal(upload['status'], 'PENDING');
    assert.equal(upload['sourceContext'], 'cli');
    assert.equal(sha256(await download(String(last['mediaUrl']))), sha256(media));
    assert.equal(sha256(await download(String(last['coverUrl']))), sha256(cover));
    assert.ok(server.emulator.state.mediaRecord(String(last['fileId'])));
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(metrics, /^vod_ingest_bytes_received_total 0$/m);

    // The same id again: the service refuses a second signature for one record.
    const again = await runVodUpload([path.join(dir, 'Direct.mp4'), '--direct', '--id', id, ...endpoints], { VOD_INGEST_URL: server.url, VOD_INGEST_KEY: key }).result;
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /InvalidParameter/);
  });
});
