import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { MemoryBudget } from '../../src/pipeline/memory-budget.ts';
import { PartBufferPool } from '../../src/pipeline/part-buffer-pool.ts';
import { MAX_PARTS, PartSizer, maxPartBytesWithin } from '../../src/pipeline/part-size.ts';
import { sendMediaUpload, slowBytes } from '../support/multipart.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const MiB = 1024 * 1024;
const FOUR_TIB = 4398046511104;

/** `count` buffers of `size`, taken one after the other as the chunker takes them. */
async function acquireEach(pool: PartBufferPool, count: number, size: number): Promise<Buffer[]> {
  const buffers: Buffer[] = [];
  for (let i = 0; i < count; i += 1) buffers.push(await pool.acquire(size));
  return buffers;
}

/** Settles with 'pending' if the promise has not settled by the next turns of the event loop. */
async function stateOf(promise: Promise<unknown>): Promise<'settled' | 'pending'> {
  const pending = Symbol('pending');
  const winner = await Promise.race([promise.then(() => 'settled' as const), new Promise((resolve) => setImmediate(() => resolve(pending)))]);
  return winner === pending ? 'pending' : 'settled';
}

describe('part sizes within the memory budget', () => {
  it('a 4 TiB size hint cannot grow parts past what the budget serves to eight files', () => {
    const maxPartBytes = maxPartBytesWithin(256 * MiB, 8 * MiB);
    assert.equal(maxPartBytes, 16 * MiB);
    const sizer = new PartSizer(8 * MiB, { sizeHint: FOUR_TIB, maxPartBytes });
    assert.equal(sizer.baseBytes, 16 * MiB);
    for (const part of [1, 1001, 5001, MAX_PARTS]) assert.ok(sizer.sizeOf(part) <= maxPartBytes);
    assert.equal(new PartSizer(8 * MiB, { sizeHint: 100 * MiB, maxPartBytes }).baseBytes, 8 * MiB, 'a small hint changes nothing');
  });

  it('never goes below the configured part size', () => {
    assert.equal(maxPartBytesWithin(4 * MiB, 2 * MiB), 2 * MiB);
  });
});

describe('memory budget shared fairly', () => {
  it('lets a file alone use every buffer its window wants (throughput unchanged)', async () => {
    const budget = new MemoryBudget(64);
    const pool = new PartBufferPool(5, budget);
    const buffers = await acquireEach(pool, 5, 8);
    assert.equal(buffers.length, 5);
    assert.equal(budget.used, 40);
    pool.close();
    assert.equal(budget.used, 0);
  });

  it('a file that holds more than its share gives a buffer back as soon as its part is stored, so a newcomer starts', async () => {
    const budget = new MemoryBudget(48);
    const big = new PartBufferPool(5, budget);
    const held = await acquireEach(big, 5, 8);
    assert.equal(budget.used, 40);
    const small = new PartBufferPool(5, budget);
    const first = small.acquire(8);
    assert.equal(await stateOf(first), 'pending', 'the newcomer waits: 8 bytes free, it needs 16 to start');
    big.release(held[0]!);
    assert.equal(await stateOf(first), 'settled', 'one part stored elsewhere was enough; no whole upload had to end');
    await first;
    assert.ok(budget.used <= 48);
    // Now two files share: neither grows past half of the budget.
    const second = await small.acquire(8);
    assert.equal(await stateOf(small.acquire(8)), 'pending', 'the newcomer holds 16 of its fair 24 but no more is free');
    big.release(held[1]!);
    small.release(second);
    big.close();
    small.close();
    assert.equal(budget.used, 0);
  });

  it('grants a file extra buffers only within its fair share while another file holds buffers', async () => {
    const budget = new MemoryBudget(100);
    const a = new PartBufferPool(10, budget);
    const b = new PartBufferPool(10, budget);
    await acquireEach(a, 2, 10);
    await acquireEach(b, 2, 10);
    await acquireEach(a, 3, 10);
    assert.equal(budget.used, 70, 'a grew to its fair 50');
    assert.equal(await stateOf(a.acquire(10)), 'pending', 'not past it, though 30 are free');
    a.close();
    b.close();
  });
});

/** The default MAX_FILE_BYTES: the largest size hint an upload may give. */
const LARGEST_ALLOWED_FILE = 50 * 1024 * MiB;

describe('a hostile slow upload with a huge size hint', () => {
  let server: TestServer;
  let hostileKey: string;
  let otherKey: string;
  before(async () => {
    // Default budget (MAX_BUFFER_BYTES 224 MiB), 1 MiB parts.
    server = await startTestServer('fairness-memory');
    hostileKey = (await server.app.apiKeys.createKey('hostile')).key;
    otherKey = (await server.app.apiKeys.createKey('bystander')).key;
  });
  after(async () => {
    await server.dispose();
  });

  it("does not hold up another tenant's small upload: it SUCCEEDS while the slow one is still UPLOADING", async () => {
    const id = randomUUID();
    // 20 KiB/s, claiming the largest size allowed (MAX_FILE_BYTES, 50 GiB; a 4 TiB claim is refused at
    // once with LimitExceeded): before, a huge claim made its first two parts take most of the budget.
    const hostile = sendMediaUpload({
      url: server.url,
      key: hostileKey,
      filename: 'huge.mp4',
      content: slowBytes(randomBytes(4 * MiB), 2 * 1024, 100),
      input: { id, mediaSize: LARGEST_ALLOWED_FILE },
    });
    hostile.answer.catch(() => undefined);
    const statusOf = async () =>
      ((await server.graphql('query($id: ID!) { upload(id: $id) { status bytesReceived } }', { key: hostileKey, variables: { id } })).body.data?.[
        'upload'
      ] as { status: string; bytesReceived: number } | null) ?? undefined;
    for (let record = await statusOf(); !(record?.status === 'UPLOADING' && record.bytesReceived > 0); record = await statusOf()) {
      assert.ok(!['FAILED', 'CANCELED', 'SUCCEEDED'].includes(record?.status ?? ''), `the slow upload ended: ${record?.status}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const small = await sendMediaUpload({ url: server.url, key: otherKey, filename: 'small.mp4', content: randomBytes(64 * 1024) }).answer;
    assert.equal((small.body.data?.['uploadMedia'] as { status: string } | undefined)?.status, 'SUCCEEDED', JSON.stringify(small.body));
    assert.equal((await statusOf())?.status, 'UPLOADING', 'the slow upload was still running');
    hostile.request.destroy();
  });
});
