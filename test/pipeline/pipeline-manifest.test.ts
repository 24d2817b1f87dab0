import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { SegmentSource } from '../../src/pipeline/sources.ts';
import { uploadMedia } from '../../src/pipeline/upload-pipeline.ts';
import { bufferSource, emulatorDeps, patternBytes, sha256Of, startTestEmulator, storedSha256, type TestEmulator } from './support.ts';

const playlist = (lines: string[]): string =>
  `#EXTM3U\n#EXT-X-TARGETDURATION:10\n${lines.map((line) => `#EXTINF:10,\n${line}`).join('\n')}\n#EXT-X-ENDLIST\n`;
const master = `#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nlow/index.m3u8\n#EXT-X-STREAM-INF:BANDWIDTH=2\nhigh/index.m3u8\n`;

describe('pipeline: streamed HLS segments and manifest rules', () => {
  let test: TestEmulator;
  before(async () => {
    test = await startTestEmulator();
  });
  after(async () => {
    await test.close();
  });
  beforeEach(() => test.emulator.state.resetCounters());

  const segment = (path: string, data: Buffer | string, opened?: string[]): SegmentSource => ({
    path,
    open: () => {
      opened?.push(path);
      return bufferSource(typeof data === 'string' ? Buffer.from(data) : data).open();
    },
  });
  const upload = (manifest: string, segments: readonly SegmentSource[]) =>
    uploadMedia(
      { fields: { region: test.emulator.region }, media: bufferSource(Buffer.from(manifest), 'index.m3u8'), segments },
      emulatorDeps(test.emulator),
    );

  it('uploads a master playlist streamed with its variants, opening sources in the order given', async () => {
    const opened: string[] = [];
    const segments = [
      segment('low/index.m3u8', playlist(['a.ts', 'b.ts']), opened),
      segment('high/index.m3u8', playlist(['a.ts']), opened),
      segment('low/a.ts', patternBytes(3000, 1), opened),
      segment('low/b.ts', patternBytes(4000, 2), opened),
      segment('high/a.ts', patternBytes(5000, 3), opened),
    ];
    const result = await upload(master, segments);
    assert.deepEqual(opened, segments.map((s) => s.path));
    assert.deepEqual(
      result.files.map((file) => `${file.role} ${file.path}`),
      ['MEDIA index.m3u8', 'SEGMENT low/index.m3u8', 'SEGMENT high/index.m3u8', 'SEGMENT low/a.ts', 'SEGMENT low/b.ts', 'SEGMENT high/a.ts'],
    );
    const record = test.emulator.state.mediaRecord(result.fileId);
    assert.ok(record !== undefined);
    const base = record.mediaKey.slice(0, record.mediaKey.lastIndexOf('/') + 1);
    assert.equal(await storedSha256(test, record.bucket, `${base}high/a.ts`), sha256Of(patternBytes(5000, 3)));
    assert.equal(result.files[5]?.key, `${base}high/a.ts`);
  });

  const refused: { name: string; manifest: string; segments: [string, string][]; parsed: boolean }[] = [
    { name: 'a URL', manifest: playlist(['http://example.com/a.ts']), segments: [], parsed: true },
    { name: 'an absolute path', manifest: playlist(['/abs/a.ts']), segments: [['abs/a.ts', 'x']], parsed: true },
    { name: 'a parent directory', manifest: playlist(['../up.ts']), segments: [['up.ts', 'x']], parsed: true },
    { name: 'a backslash', manifest: playlist(['sub\\win.ts']), segments: [['sub/win.ts', 'x']], parsed: true },
    { name: 'a missing segment', manifest: playlist(['a.ts', 'b.ts']), segments: [['a.ts', 'x']], parsed: true },
    { name: 'an extra segment', manifest: playlist(['a.ts']), segments: [['a.ts', 'x'], ['extra.ts', 'y']], parsed: true },
    { name: 'a segment given twice', manifest: playlist(['a.ts']), segments: [['a.ts', 'x'], ['./a.ts', 'y']], parsed: true },
    { name: 'a provided path outside the manifest', manifest: playlist(['a.ts']), segments: [['../a.ts', 'x']], parsed: false },
  ];
  for (const { name, manifest, segments, parsed } of refused) {
    it(`refuses ${name} before ApplyUpload`, async () => {
      await assert.rejects(upload(manifest, segments.map(([path, data]) => segment(path, data))), { code: 'InvalidParameter' });
      const { state } = test.emulator;
      assert.equal(state.count('vod.ApplyUpload'), 0);
      assert.equal(state.count('vod.ParseStreamingManifest'), parsed ? 1 : 0);
      assert.equal(state.count('cos.putObject') + state.count('cos.initiateMultipart'), 0);
    });
  }

  it('refuses a nested playlist listed after bytes that do not fit the read-ahead budget', async () => {
    const segments = [segment('low/a.ts', patternBytes(3000, 1)), segment('low/index.m3u8', playlist(['a.ts']))];
    await assert.rejects(
      uploadMedia(
        {
          fields: { region: test.emulator.region },
          media: bufferSource(Buffer.from(`#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nlow/index.m3u8\n`), 'index.m3u8'),
          segments,
        },
        emulatorDeps(test.emulator, { manifestBytesLimit: 2048 }),
      ),
      { code: 'LimitExceeded' },
    );
    assert.equal(test.emulator.state.count('vod.ApplyUpload'), 0);
  });

  it('refuses segments for a media file that is not a manifest', async () => {
    await assert.rejects(
      uploadMedia(
        { fields: { region: test.emulator.region }, media: bufferSource(Buffer.from('x'), 'a.mp4'), segments: [segment('a.ts', 'x')] },
        emulatorDeps(test.emulator),
      ),
      { code: 'InvalidParameter' },
    );
  });
});
