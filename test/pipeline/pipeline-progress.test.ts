import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProgressTracker, type UploadProgress } from '../../src/pipeline/progress.ts';

const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('pipeline progress', () => {
  it('reports at once on phase and file changes, throttles byte updates, and reports held-back bytes when the interval ends', async () => {
    const reports: UploadProgress[] = [];
    const tracker = new ProgressTracker((progress) => reports.push(progress), 40);
    tracker.setPhase('uploading');
    const file = tracker.startFile('MEDIA', 'a.mp4');
    assert.equal(reports.length, 2);
    file.read(100);
    file.stored(100);
    assert.equal(reports.length, 2, 'bytes within the interval are held back');
    await settle(80);
    assert.equal(reports.length, 3, 'then reported when the interval is over, though nothing moved since');
    assert.deepEqual([reports[2]?.bytesRead, reports[2]?.bytesStored], [100, 100]);
    file.finish();
    assert.equal(reports.at(-1)?.files[0]?.done, true);
    tracker.close();
  });

  it('drops a held-back report on close, leaving no timer behind', async () => {
    const reports: UploadProgress[] = [];
    const tracker = new ProgressTracker((progress) => reports.push(progress), 40);
    const file = tracker.startFile('MEDIA', 'a.mp4');
    file.read(10);
    tracker.close();
    await settle(80);
    assert.equal(reports.length, 1);
  });
});
