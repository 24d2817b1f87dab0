import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { ProgressTracker, type UploadProgress } from '../../src/pipeline/progress.ts';

/** Mocked timers and a clock that moves with them: the test decides how much time passes, not the machine's load. */
function manualClock(t: TestContext): { now: () => number; settle: (ms: number) => void } {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  let now = 0;
  return {
    now: () => now,
    settle: (ms) => {
      now += ms;
      t.mock.timers.tick(ms);
    },
  };
}

describe('pipeline progress', () => {
  it('reports at once on phase and file changes, throttles byte updates, and reports held-back bytes when the interval ends', (t) => {
    const { now, settle } = manualClock(t);
    const reports: UploadProgress[] = [];
    const tracker = new ProgressTracker((progress) => reports.push(progress), 40, now);
    tracker.setPhase('uploading');
    const file = tracker.startFile('MEDIA', 'a.mp4');
    assert.equal(reports.length, 2);
    file.read(100);
    file.stored(100);
    assert.equal(reports.length, 2, 'bytes within the interval are held back');
    settle(80);
    assert.equal(reports.length, 3, 'then reported when the interval is over, though nothing moved since');
    assert.deepEqual([reports[2]?.bytesRead, reports[2]?.bytesStored], [100, 100]);
    file.finish();
    assert.equal(reports.at(-1)?.files[0]?.done, true);
    tracker.close();
  });

  it('drops a held-back report on close, leaving no timer behind', (t) => {
    const { now, settle } = manualClock(t);
    const reports: UploadProgress[] = [];
    const tracker = new ProgressTracker((progress) => reports.push(progress), 40, now);
    const file = tracker.startFile('MEDIA', 'a.mp4');
    file.read(10);
    tracker.close();
    settle(80);
    assert.equal(reports.length, 1);
  });
});
