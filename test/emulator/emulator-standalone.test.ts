import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { startEmulator } from '../../src/emulator/emulator.ts';
import { bytes, cosClient, vodClient } from './helpers.ts';

describe('emulator: standalone process and restarts', () => {
  const dirs: string[] = [];
  const tempDir = async (): Promise<string> => {
    const d = await mkdtemp(path.join(os.tmpdir(), 'vod-emu-test-'));
    dirs.push(d);
    return d;
  };
  after(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('npm run emulator prints exactly one JSON line, serves, and exits 0 on SIGTERM', async () => {
    const dataDir = await tempDir();
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/emulator/main.ts', '--port', '0', '--data-dir', dataDir, '--secret-id', 'AKIDstandalone', '--secret-key', 'standaloneKey'],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'info' } },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    while (!stdout.includes('\n')) await once(child.stdout, 'data');
    const info = JSON.parse(stdout.split('\n')[0]!) as Record<string, string>;
    assert.deepEqual(Object.keys(info), ['vodEndpoint', 'cosEndpoint', 'secretId', 'secretKey', 'region']);
    assert.equal(info['secretId'], 'AKIDstandalone');
    assert.equal(info['region'], 'ap-guangzhou');
    const hostPort = new URL(info['vodEndpoint']!).host;
    const vod = vodClient({ hostPort, region: 'ap-guangzhou' } as never, { secretId: 'AKIDstandalone', secretKey: 'standaloneKey' });
    assert.ok((await vod.ApplyUpload({ MediaType: 'mp4' })).VodSessionKey);
    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number | null];
    assert.equal(code, 0);
    assert.equal(stdout.trim().split('\n').length, 1);
    assert.ok(!stderr.includes('standaloneKey'), 'the secret key must not be logged');
  });

  it('keys, media records, objects and in-progress multipart uploads survive a restart', async () => {
    const dataDir = await tempDir();
    const first = await startEmulator({ dataDir });
    const vod = vodClient(first);
    const done = await vod.ApplyUpload({ MediaType: 'mp4' });
    const base = { Bucket: done.StorageBucket!, Region: done.StorageRegion! };
    await cosClient(first, done.TempCertificate!).putObject({ ...base, Key: done.MediaStoragePath!.slice(1), Body: bytes(1234) });
    const commit = await vod.CommitUpload({ VodSessionKey: done.VodSessionKey! });
    const open = await vod.ApplyUpload({ MediaType: 'mp4' });
    const openKey = open.MediaStoragePath!.slice(1);
    const init = await cosClient(first, open.TempCertificate!).multipartInit({ ...base, Key: openKey });
    await first.close();

    const second = await startEmulator({ dataDir });
    try {
      assert.equal(second.secretId, first.secretId);
      assert.equal(second.secretKey, first.secretKey);
      assert.equal(second.state.mediaRecord(commit.FileId!)?.mediaKey, done.MediaStoragePath!.slice(1));
      const res = await fetch(`${second.cosEndpoint}/${base.Bucket}/${done.MediaStoragePath!.slice(1)}`);
      assert.equal(Buffer.from(await res.arrayBuffer()).length, 1234);
      assert.deepEqual(second.state.multipartUploads().map((u) => u.uploadId), [init.UploadId]);
      // The TempCertificate issued before the restart still works, e.g. to abort the leftover upload.
      await cosClient(second, open.TempCertificate!).multipartAbort({ ...base, Key: openKey, UploadId: init.UploadId });
      assert.equal(second.state.multipartUploads().length, 0);
      // The pending session can still be committed once the object exists.
      await cosClient(second, open.TempCertificate!).putObject({ ...base, Key: openKey, Body: bytes(10) });
      assert.ok((await vodClient(second).CommitUpload({ VodSessionKey: open.VodSessionKey! })).FileId);
    } finally {
      await second.close();
    }
  });
});
