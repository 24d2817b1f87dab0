import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MemoryBudget } from '../../src/pipeline/memory-budget.ts';
import { uploadMedia } from '../../src/pipeline/upload-pipeline.ts';
import { MiB, emulatorDeps, patternSha256, patternStream, startTestEmulator, storedSha256, type TestEmulator } from './support.ts';

/** A budget that remembers the most it ever had reserved. */
class WatchedBudget extends MemoryBudget {
  highWater = 0;
  override tryReserve(bytes: number): boolean {
    const granted = super.tryReserve(bytes);
    this.highWater = Math.max(this.highWater, this.used);
    return granted;
  }
  override release(bytes: number): void {
    super.release(bytes);
    this.highWater = Math.max(this.highWater, this.used);
  }
}

describe('MemoryBudget', () => {
  it('grants in order, waits when spent, and lets one oversize reservation through when empty', async () => {
    const budget = new MemoryBudget(10);
    assert.equal(budget.tryReserve(6), true);
    assert.equal(budget.tryReserve(6), false);
    const order: string[] = [];
    const first = budget.reserve(6).then(() => order.push('first'));
    const second = budget.reserve(2).then(() => order.push('second'));
    assert.equal(budget.tryReserve(1), false, 'nobody jumps the queue');
    budget.release(6);
    await Promise.all([first, second]);
    assert.deepEqual(order, ['first', 'second']);
    assert.equal(budget.used, 8);
    budget.release(8);
    await budget.reserve(50);
    assert.equal(budget.used, 50, 'larger than the whole budget, granted because nothing else was reserved');
  });
});

describe('pipeline: a memory budget shared by concurrent uploads', () => {
  let test: TestEmulator;
  before(async () => {
    test = await startTestEmulator();
  });
  after(async () => {
    await test.close();
  });

  it('keeps all part buffers within the budget; every upload still completes with the right bytes', async () => {
    const budget = new WatchedBudget(3 * MiB);
    const deps = emulatorDeps(test.emulator, { partBytes: MiB, defaultConcurrency: 4, memoryBudget: budget });
    const sizes = [5 * MiB + 17, 4 * MiB, 6 * MiB + 1, 3 * MiB + 5];
    const results = await Promise.all(
      sizes.map((size, index) =>
        uploadMedia(
          { fields: { region: test.emulator.region }, media: { fileName: `u${index}.mp4`, open: () => patternStream(size, index + 1) } },
          deps,
        ),
      ),
    );
    assert.ok(budget.highWater <= 4 * MiB, `high water ${budget.highWater} (one first buffer may exceed a full budget)`);
    assert.equal(budget.used, 0, 'every byte went back to the budget');
    for (const [index, result] of results.entries()) {
      const record = test.emulator.state.mediaRecord(result.fileId);
      assert.ok(record);
      assert.equal(await storedSha256(test, record.bucket, record.mediaKey), patternSha256(sizes[index] ?? 0, index + 1));
    }
  });

  it('gives a small file (and its cover) buffers of its size, by mediaSize or the request bound, not a part', async () => {
    const budget = new WatchedBudget(64 * MiB);
    const deps = emulatorDeps(test.emulator, { partBytes: 8 * MiB, defaultConcurrency: 4, memoryBudget: budget });
    const media = 300_000;
    const cover = 20_000;
    const upload = (input: { mediaSizeHint?: number; fileBytesAtMost?: number }, withCover: boolean) =>
      uploadMedia(
        {
          fields: { region: test.emulator.region },
          media: { fileName: 'small.mp4', open: () => patternStream(media, 7) },
          ...(withCover ? { cover: { fileName: 'small.jpg', open: () => patternStream(cover, 8) } } : {}),
          ...input,
        },
        deps,
      );
    // The request's bound (all its files) caps every file's first buffer; a file reserves two of them.
    await upload({ fileBytesAtMost: media + cover + 100 }, true);
    assert.ok(budget.highWater <= 2 * (media + cover + 100), `high water ${budget.highWater} with the request's bound`);
    budget.highWater = 0;
    // mediaSize alone sizes the media's.
    const result = await upload({ mediaSizeHint: media }, false);
    assert.ok(budget.highWater <= 2 * media, `high water ${budget.highWater} with mediaSize`);
    assert.equal(budget.used, 0);
    const record = test.emulator.state.mediaRecord(result.fileId);
    assert.ok(record);
    assert.equal(await storedSha256(test, record.bucket, record.mediaKey), patternSha256(media, 7));
  });
});

