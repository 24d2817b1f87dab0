// Stored parts are recorded in batches: one write per interval (not one per part), flush() writes
// what is pending at once and waits for every write, a failed write is reported and not retried,
// and close() drops what is pending.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PartRecorder } from '../../src/uploads/part-recorder.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('PartRecorder', () => {
  it('writes the parts of one interval in one batch, in order', async () => {
    const batches: number[][] = [];
    const recorder = new PartRecorder<number>((parts) => Promise.resolve(void batches.push([...parts])), { intervalMs: 30, onError: (error) => assert.fail(String(error)) });
    for (const part of [1, 2, 3]) recorder.add(part);
    assert.deepEqual(batches, [], 'nothing written before the interval');
    await sleep(80);
    recorder.add(4);
    await sleep(80);
    assert.deepEqual(batches, [[1, 2, 3], [4]]);
  });

  it('flush() writes what is pending at once and waits for the writes before it', async () => {
    const written: number[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let calls = 0;
    const recorder = new PartRecorder<number>(
      async (parts) => {
        calls += 1;
        if (calls === 1) await gate;
        written.push(...parts);
      },
      { intervalMs: 10_000, onError: (error) => assert.fail(String(error)) },
    );
    recorder.add(1);
    const first = recorder.flush();
    recorder.add(2);
    const second = recorder.flush();
    setTimeout(release, 20);
    await second;
    assert.deepEqual(written, [1, 2], 'the second flush resolved only after both writes');
    await first;
  });

  it('reports a failed write and goes on; close() drops what is pending', async () => {
    const errors: unknown[] = [];
    const written: number[] = [];
    const recorder = new PartRecorder<number>(
      (parts) => {
        if (parts.includes(1)) return Promise.reject(new Error('database down'));
        written.push(...parts);
        return Promise.resolve();
      },
      { intervalMs: 10_000, onError: (error) => errors.push(error) },
    );
    recorder.add(1);
    await recorder.flush();
    recorder.add(2);
    await recorder.flush();
    recorder.add(3);
    recorder.close();
    await recorder.flush();
    assert.equal(errors.length, 1);
    assert.deepEqual(written, [2]);
  });
});
