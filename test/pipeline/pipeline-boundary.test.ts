import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { BufferGauge } from '../../src/pipeline/buffer-gauge.ts';
import { uploadMedia } from '../../src/pipeline/upload-pipeline.ts';
import { MiB, emulatorDeps, patternSha256, patternStream, startTestEmulator, storedSha256, type TestEmulator } from './support.ts';

describe('pipeline: simple vs multipart at the part boundary', () => {
  let test: TestEmulator;
  before(async () => {
    test = await startTestEmulator();
  });
  after(async () => {
    await test.close();
  });
  beforeEach(() => test.emulator.state.resetCounters());

  const cases = [
    { size: 0, multipart: false },
    { size: MiB - 1, multipart: false },
    { size: MiB, multipart: false },
    { size: MiB + 1, multipart: true },
    { size: 3 * MiB + 17, multipart: true },
  ];
  for (const { size, multipart } of cases) {
    it(`${size} bytes go up ${multipart ? 'in parts' : 'in one PUT'} and arrive intact`, async () => {
      const { state } = test.emulator;
      const result = await uploadMedia(
        {
          fields: { region: test.emulator.region },
          media: { fileName: 'clip.mp4', open: () => patternStream(size, size) },
        },
        emulatorDeps(test.emulator),
      );
      assert.equal(state.count('cos.putObject'), multipart ? 0 : 1);
      assert.equal(state.count('cos.initiateMultipart'), multipart ? 1 : 0);
      assert.equal(state.count('cos.completeMultipart'), multipart ? 1 : 0);
      assert.equal(state.count('cos.uploadPart'), multipart ? Math.ceil(size / MiB) : 0);
      const [media] = result.files;
      assert.ok(media !== undefined);
      assert.equal(media.role, 'MEDIA');
      assert.equal(media.bytes, size);
      assert.equal(media.sha256, patternSha256(size, size));
      const record = state.mediaRecord(result.fileId);
      assert.ok(record !== undefined);
      assert.equal(await storedSha256(test, record.bucket, media.key), media.sha256);
      assert.equal(record.mediaKey, media.key);
    });
  }

  it('holds at most partBytes × (concurrency + 1) of the source in memory', async () => {
    const gauge = new BufferGauge();
    const concurrency = 2;
    const size = 12 * MiB + 5;
    test.emulator.faults.set({ delayMs: 20 });
    try {
      const result = await uploadMedia(
        {
          fields: { region: test.emulator.region, concurrentUploadNumber: concurrency },
          media: { fileName: 'big.mp4', open: () => patternStream(size, 7, 256 * 1024) },
        },
        emulatorDeps(test.emulator),
        { gauge },
      );
      assert.equal(result.files[0]?.sha256, patternSha256(size, 7));
    } finally {
      test.emulator.faults.clear();
    }
    assert.ok(gauge.highWaterMark <= MiB * (concurrency + 1), `high-water mark ${gauge.highWaterMark}`);
    assert.ok(gauge.highWaterMark >= MiB * concurrency, `window was used: ${gauge.highWaterMark}`);
    assert.equal(gauge.current, 0);
  });
});
