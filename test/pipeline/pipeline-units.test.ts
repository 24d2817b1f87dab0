/* eslint-disable @typescript-eslint/require-await -- fakes are async to match the interfaces they stand in for */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { BufferGauge } from '../../src/pipeline/buffer-gauge.ts';
import { chunkParts, type Part } from '../../src/pipeline/chunker.ts';
import { checkProvidedSegments, checkSegmentPath, listManifestFiles } from '../../src/pipeline/manifest-rules.ts';
import { PartBufferPool } from '../../src/pipeline/part-buffer-pool.ts';
import { MAX_PARTS, PartSizer } from '../../src/pipeline/part-size.ts';
import { backoffDelayMs, retryWithBackoff } from '../../src/pipeline/retry.ts';
import { TransientVodError } from '../../src/errors/transient-error.ts';
import { VodError } from '../../src/errors/vod-error.ts';

const MiB = 1024 * 1024;

async function collect(parts: AsyncIterable<Part>): Promise<Part[]> {
  const out: Part[] = [];
  for await (const part of parts) out.push(part);
  return out;
}

function chunksOf(total: number, chunkSize: number): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= total) return void this.push(null);
      const size = Math.min(chunkSize, total - sent);
      const chunk = Buffer.alloc(size);
      for (let i = 0; i < size; i += 1) chunk[i] = (sent + i) % 251;
      sent += size;
      this.push(chunk);
    },
  });
}

describe('pipeline chunker', () => {
  const sizer = new PartSizer(MiB);
  for (const total of [0, 1, MiB - 1, MiB, MiB + 1, 3 * MiB + 12345]) {
    it(`cuts ${total} bytes into full parts and a remainder`, async () => {
      const parts = await collect(chunkParts(chunksOf(total, 65_000), { sizer }));
      const expectedCount = Math.max(1, Math.ceil(total / MiB));
      assert.equal(parts.length, expectedCount);
      parts.forEach((part, i) => {
        assert.equal(part.partNumber, i + 1);
        if (i < parts.length - 1) assert.equal(part.data.length, MiB);
      });
      const joined = Buffer.concat(parts.map((part) => part.data));
      assert.equal(joined.length, total);
      for (let i = 0; i < total; i += 4099) assert.equal(joined[i], i % 251);
    });
  }

  it('pulls from the source only as parts are asked for', async () => {
    const gauge = new BufferGauge();
    const counted = chunkParts(chunksOf(10 * MiB, 64 * 1024), { sizer, gauge });
    const first = await counted.next();
    assert.equal(first.done, false);
    assert.ok(gauge.current <= MiB + 64 * 1024, `held ${gauge.current}`);
    await counted.return(undefined);
  });

  it('gives a file expected to be small a buffer of its size, and grows it when more comes', async () => {
    // [expected, sent]: exact, over-estimated, under-estimated (a wrong hint), empty, zero expected.
    for (const [expected, total] of [
      [300_000, 300_000],
      [400_000, 300_000],
      [300_000, 3 * MiB + 7],
      [0, 0],
      [0, 70_000],
    ] as const) {
      const pool = new PartBufferPool(3);
      const allocations: number[] = [];
      const acquire = pool.acquire.bind(pool);
      pool.acquire = async (size: number) => {
        allocations.push(size);
        return acquire(size);
      };
      const parts: Part[] = [];
      for await (const part of chunkParts(chunksOf(total, 65_000), { sizer, pool, expectedBytes: expected })) {
        parts.push({ partNumber: part.partNumber, data: Buffer.from(part.data) });
        pool.release(part.data);
      }
      const label = `expected ${expected}, sent ${total}`;
      // An empty file is one empty part.
      assert.equal(allocations[0], total === 0 ? 0 : Math.min(MiB, Math.max(1, expected)), `${label}: first buffer`);
      assert.ok(Math.max(...allocations) <= MiB, label);
      // However wrong the expectation, parts are the sizer's size but the last.
      parts.slice(0, -1).forEach((part) => assert.equal(part.data.length, MiB, label));
      const joined = Buffer.concat(parts.map((part) => part.data));
      assert.equal(joined.length, total, label);
      for (let i = 0; i < total; i += 4099) assert.equal(joined[i], i % 251, label);
    }
  });

  it('destroys the source when iteration stops early', async () => {
    const source = chunksOf(10 * MiB, 64 * 1024);
    for await (const part of chunkParts(source, { sizer })) {
      assert.equal(part.partNumber, 1);
      break;
    }
    assert.equal(source.destroyed, true);
  });
});

describe('pipeline part sizes', () => {
  it('keeps the configured size for small files and grows it so 10 000 parts suffice', () => {
    const sizer = new PartSizer(8 * MiB);
    assert.equal(sizer.sizeOf(1), 8 * MiB);
    assert.equal(sizer.sizeOf(1000), 8 * MiB);
    assert.equal(sizer.sizeOf(1001), 16 * MiB);
    let capacity = 0;
    for (let n = 1; n <= MAX_PARTS; n += 1) capacity += sizer.sizeOf(n);
    assert.ok(capacity > 5 * 1024 ** 4, `10 000 parts hold ${capacity} bytes`);
  });

  it('raises the base size from a size hint', () => {
    const sizer = new PartSizer(MiB, { sizeHint: 200 * 1024 * MiB });
    assert.ok(sizer.baseBytes * MAX_PARTS >= 200 * 1024 * MiB);
    assert.equal(sizer.baseBytes % MiB, 0);
  });

  it('refuses parts below 1 MiB', () => {
    assert.throws(() => new PartSizer(MiB - 1), RangeError);
  });
});

describe('pipeline retry', () => {
  const policy = { attempts: 3, baseDelayMs: 1, maxDelayMs: 4 };
  it('retries transient errors and then succeeds', async () => {
    let calls = 0;
    const value = await retryWithBackoff(async () => {
      calls += 1;
      if (calls < 3) throw new TransientVodError('InternalError', 'reset');
      return 'ok';
    }, { policy });
    assert.equal(value, 'ok');
    assert.equal(calls, 3);
  });

  it('does not retry API errors and gives up after the attempts', async () => {
    let calls = 0;
    await assert.rejects(
      retryWithBackoff(async () => {
        calls += 1;
        throw new VodError('InvalidParameterValue.MediaType');
      }, { policy }),
      { code: 'InvalidParameterValue.MediaType' },
    );
    assert.equal(calls, 1);
    calls = 0;
    await assert.rejects(
      retryWithBackoff(async () => {
        calls += 1;
        throw new TransientVodError('InternalError');
      }, { policy }),
    );
    assert.equal(calls, 3);
  });

  it('backs off exponentially with full jitter, capped', () => {
    const p = { attempts: 9, baseDelayMs: 100, maxDelayMs: 1000 };
    assert.equal(backoffDelayMs(p, 1, () => 1), 100);
    assert.equal(backoffDelayMs(p, 3, () => 1), 400);
    assert.equal(backoffDelayMs(p, 8, () => 1), 1000);
    assert.equal(backoffDelayMs(p, 8, () => 0), 0);
  });

  it('stops waiting when the signal aborts', async () => {
    const controller = new AbortController();
    const slow = { attempts: 5, baseDelayMs: 10_000, maxDelayMs: 10_000 };
    const pending = retryWithBackoff(async () => {
      throw new TransientVodError('InternalError');
    }, { policy: slow, signal: controller.signal });
    setTimeout(() => controller.abort(new VodError('RequestCanceled')), 20);
    await assert.rejects(pending, { code: 'RequestCanceled' });
  });
});

describe('pipeline manifest rules', () => {
  it('accepts relative paths at or below the manifest and normalizes them', () => {
    assert.equal(checkSegmentPath('a.ts'), 'a.ts');
    assert.equal(checkSegmentPath('./gear1/./b.ts'), 'gear1/b.ts');
    assert.equal(checkSegmentPath('b.ts', 'gear1'), 'gear1/b.ts');
  });
  for (const bad of ['http://x/a.ts', 'https:a.ts', '/abs.ts', '../up.ts', 'a/../../b.ts', 'sub\\win.ts', '', 'a.ts?x=1', 'gear1//b.ts', '%2e%2e/x.ts']) {
    it(`refuses ${JSON.stringify(bad)}`, () => {
      assert.throws(() => checkSegmentPath(bad), { code: 'InvalidParameter' });
    });
  }

  it('walks nested playlists depth first, relative to each playlist, each file once', async () => {
    const tree: Record<string, string[]> = {
      top: ['gear1/index.m3u8', 'gear2/index.m3u8', 'gear1/index.m3u8'],
      'gear1/index.m3u8': ['a.ts', 'b.ts'],
      'gear2/index.m3u8': ['a.ts', 'sub/c.ts'],
    };
    const files = await listManifestFiles('top', 'm3u8', {
      listReferences: async (content) => tree[content] ?? [],
      readPlaylist: async (path) => path,
    });
    assert.deepEqual(files, [
      'gear1/index.m3u8',
      'gear1/a.ts',
      'gear1/b.ts',
      'gear2/index.m3u8',
      'gear2/a.ts',
      'gear2/sub/c.ts',
    ]);
  });

  it('refuses missing, extra and duplicate segments', () => {
    assert.doesNotThrow(() => checkProvidedSegments(['a.ts', 'b.ts'], ['b.ts', 'a.ts']));
    assert.throws(() => checkProvidedSegments(['a.ts', 'b.ts'], ['a.ts']), /not provided: b.ts/);
    assert.throws(() => checkProvidedSegments(['a.ts'], ['a.ts', 'x.ts']), /does not reference: x.ts/);
    assert.throws(() => checkProvidedSegments(['a.ts'], ['a.ts', 'a.ts']), /more than once/);
  });
});

describe('pipeline part buffer pool', () => {
  it('reuses released buffers and makes the extra taker wait', async () => {
    const pool = new PartBufferPool(2);
    const a = await pool.acquire(MiB);
    const b = await pool.acquire(MiB);
    const taken: Buffer[] = [];
    const waiting = pool.acquire(MiB).then((buffer) => taken.push(buffer));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(taken.length, 0);
    pool.release(a.subarray(0, 10));
    await waiting;
    const [third] = taken;
    assert.ok(third !== undefined);
    assert.equal(third.buffer, a.buffer);
    assert.equal(third.length, MiB);
    pool.release(b);
    pool.release(third);
  });
});
