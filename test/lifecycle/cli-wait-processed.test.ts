// `vod-upload --wait-processed`: the CLI (a real child process) waits for VOD's task flow after the
// upload and prints its outcome; a failed task flow is a failed command.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { jsonEvents, runVodUpload } from '../cli/run-vod-upload.ts';
import { openLifecycleWorld, type LifecycleWorld } from './support.ts';

let world: LifecycleWorld;
let dir: string;
let mediaPath: string;
before(async () => {
  world = await openLifecycleWorld('cli-processed');
  dir = await mkdtemp(path.join(os.tmpdir(), 'cli-processed-'));
  mediaPath = path.join(dir, 'clip.mp4');
  await writeFile(mediaPath, Buffer.alloc(1024 * 1024 + 9, 5));
});
after(async () => {
  await world?.dispose();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('vod-upload --wait-processed', () => {
  it('prints the processing outcome and its outputs once the task flow has ended', async () => {
    const run = runVodUpload([mediaPath, '--procedure', 'cli-flow', '--wait-processed', '--server', world.servers[0]!.url, '--key', world.key]);
    const { code, stdout, stderr } = await run.result;
    assert.equal(code, 0, stderr);
    assert.match(stdout, /^Processing: SUCCEEDED$/m);
    assert.match(stdout, /^Output: Transcode 100010 http:\/\//m);
    assert.match(stderr, /waiting for VOD to process it/);
  });

  it('exits non-zero with VOD\'s code when the task flow failed (--json: the final record carries it)', async () => {
    world.emulator.faults.failNextProcedure('InternalError.Snapshot', { message: 'no frame at that offset' });
    const run = runVodUpload([mediaPath, '--procedure', 'cli-failing', '--wait-processed', '--json', '--server', world.servers[0]!.url, '--key', world.key]);
    const { code, stdout } = await run.result;
    assert.notEqual(code, 0);
    const events = jsonEvents(stdout);
    const result = events.find((event) => event['event'] === 'result')?.['upload'] as { status: string; processing: { status: string; error: { code: string } } };
    assert.equal(result.status, 'SUCCEEDED');
    assert.deepEqual([result.processing.status, result.processing.error.code], ['FAILED', 'InternalError.Snapshot']);
    assert.equal(events.at(-1)?.['code'], 'InternalError.Snapshot');
  });
});
