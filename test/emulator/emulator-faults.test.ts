import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import type { RunningEmulator } from '../../src/emulator/emulator.ts';
import { bytes, cosClient, rejection, sha256, startTestEmulator, vodClient, type TestEmulator } from './helpers.ts';

const MiB = 1024 * 1024;

async function session(emulator: RunningEmulator) {
  const vod = vodClient(emulator);
  const apply = await vod.ApplyUpload({ MediaType: 'mp4' });
  return {
    vod,
    apply,
    cos: cosClient(emulator, apply.TempCertificate!),
    base: { Bucket: apply.StorageBucket!, Region: apply.StorageRegion!, Key: apply.MediaStoragePath!.slice(1) },
  };
}

describe('emulator: fault injection', () => {
  let t: TestEmulator;
  let file: string;
  const data = bytes(3 * MiB + 5000, 21);
  before(async () => {
    t = await startTestEmulator({ faults: { delayMs: 0 } });
    file = path.join(t.dataDir, 'src.bin');
    await writeFile(file, data);
  });
  afterEach(() => {
    t.emulator.faults.clear();
    t.emulator.state.resetCounters();
  });
  after(async () => {
    await t.stop();
  });

  it('transient 503s on a given part are retried by sliceUploadFile; the bytes arrive intact', async () => {
    const { emulator } = t;
    const s = await session(emulator);
    emulator.faults.set({ failPartNumbers: [2], failStatus: 503, failTimes: 2 });
    await s.cos.sliceUploadFile({ ...s.base, FilePath: file });
    assert.equal(emulator.state.count('fault.partFailure'), 2);
    assert.equal(emulator.state.count('cos.uploadPart'), 4 + 2);
    const commit = await s.vod.CommitUpload({ VodSessionKey: s.apply.VodSessionKey! });
    assert.equal(sha256(Buffer.from(await (await fetch(commit.MediaUrl!)).arrayBuffer())), sha256(data));
  });

  it('persistent 500s make the SDK call fail after its retries', async () => {
    const { emulator } = t;
    const s = await session(emulator);
    const init = await s.cos.multipartInit(s.base);
    emulator.faults.set({ failPartRate: 1, failStatus: 500 });
    const e = await rejection(() => s.cos.multipartUpload({ ...s.base, UploadId: init.UploadId, PartNumber: 1, Body: bytes(1000, 1) }));
    assert.equal(e['statusCode'], 500);
    assert.equal(e['code'], 'InternalError');
    const attempts = emulator.state.count('cos.uploadPart');
    assert.ok(attempts >= 1);
    assert.equal(emulator.state.count('fault.partFailure'), attempts);
    assert.equal(emulator.state.multipartUploads(s.base.Bucket, s.base.Key)[0]?.parts, 0);
  });

  it('a connection reset mid-body on one part is survived by sliceUploadFile', async () => {
    const { emulator } = t;
    const s = await session(emulator);
    emulator.faults.set({ resetPartNumbers: [3], resetAfterBytes: 100_000, resetTimes: 1 });
    await s.cos.sliceUploadFile({ ...s.base, FilePath: file });
    assert.equal(emulator.state.count('fault.reset'), 1);
    assert.equal(emulator.state.count('cos.uploadPart'), 5);
    assert.equal(emulator.state.object(s.base.Bucket, s.base.Key)?.size, data.length);
  });

  it('resetting every part upload surfaces as an SDK error', async () => {
    const { emulator } = t;
    const s = await session(emulator);
    const init = await s.cos.multipartInit(s.base);
    emulator.faults.set({ resetPartRate: 1, resetAfterBytes: 1000 });
    const e = await rejection(() => s.cos.multipartUpload({ ...s.base, UploadId: init.UploadId, PartNumber: 1, Body: bytes(MiB, 1) }));
    assert.ok(e['code'] === 'ECONNRESET' || e['code'] === 'EPIPE' || /socket hang up|ECONNRESET|EPIPE/.test(String(e['message'])), String(e['message']));
    assert.ok(emulator.state.count('fault.reset') >= 1);
  });

  it('includePutObject applies part faults to PutObject (Buffer bodies are retried by the SDK)', async () => {
    const { emulator } = t;
    const s = await session(emulator);
    emulator.faults.set({ failPartRate: 1, failTimes: 1, includePutObject: true });
    await s.cos.putObject({ ...s.base, Body: bytes(5000, 3) });
    assert.equal(emulator.state.count('cos.putObject'), 2);
    assert.equal(emulator.state.count('fault.partFailure'), 1);
  });

  it('delayMs slows every answer', async () => {
    const { emulator } = t;
    emulator.faults.set({ delayMs: 250 });
    const started = Date.now();
    await vodClient(emulator).ApplyUpload({ MediaType: 'mp4' });
    assert.ok(Date.now() - started >= 240);
    assert.equal(emulator.state.count('fault.delay'), 1);
  });

  it('the admin endpoint sets, merges, reads and clears faults; VOD errors can be queued over HTTP', async () => {
    const { emulator } = t;
    const admin = `${emulator.vodEndpoint}/__emulator`;
    const call = async (method: string, p: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> => {
      const res = await fetch(admin + p, { method, body: body === undefined ? undefined : JSON.stringify(body) });
      return { status: res.status, json: (await res.json()) as Record<string, unknown> };
    };
    assert.equal((await call('PUT', '/faults', { failPartNumbers: [1, 2], failStatus: 500 })).status, 200);
    assert.deepEqual(emulator.faults.get().failPartNumbers, [1, 2]);
    await call('PATCH', '/faults', { delayMs: 5 });
    assert.equal(emulator.faults.get().failStatus, 500);
    assert.equal(emulator.faults.get().delayMs, 5);
    assert.equal((await call('PUT', '/faults', { failPartRate: 2 })).status, 400);
    assert.equal((await call('PUT', '/faults', { bogus: true })).status, 400);
    await call('DELETE', '/faults');
    assert.deepEqual(emulator.faults.get(), { vodErrors: [], failProcedure: [] });
    await call('POST', '/faults/vod-error', { code: 'InvalidParameterValue.MediaType', action: 'ApplyUpload' });
    const e = await rejection(() => vodClient(emulator).ApplyUpload({ MediaType: 'mp4' }));
    assert.equal(e['code'], 'InvalidParameterValue.MediaType');
    const state = await call('GET', '/state');
    assert.equal((state.json['counters'] as Record<string, number>)['fault.vodError'], 1);
    const creds = await call('POST', '/credentials', { ttlSeconds: 60 });
    assert.ok((await vodClient(emulator, creds.json as { secretId: string; secretKey: string; token: string }).ApplyUpload({ MediaType: 'mp4' })).VodSessionKey);
  });
});
