import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { listManifestReferences } from '../../src/manifest/manifest-references.ts';
import { DASH, MASTER, MEDIA } from './manifest-fixtures.ts';

describe('manifest references', () => {
  it('HLS master playlist: variants, EXT-X-MEDIA, I-frame playlists, session key', () => {
    assert.deepEqual(listManifestReferences('m3u8', MASTER), [
      'keys/session.key', 'audio/en.m3u8', 'gear1/prog_index.m3u8', 'gear2/prog_index.m3u8', 'gear1/iframe.m3u8',
    ]);
  });

  it('HLS media playlist: EXT-X-MAP, EXT-X-KEY, segments, as written, de-duplicated, CRLF', () => {
    assert.deepEqual(listManifestReferences('m3u8', MEDIA), ['init.mp4', '../keys/k1.key', 'seg0.m4s', 'sub/seg1.m4s', 'http://cdn.example.com/seg2.m4s']);
  });

  it('DASH: SegmentTemplate with duration and with SegmentTimeline, BaseURL files and directories, SegmentList', () => {
    assert.deepEqual(listManifestReferences('mpd', DASH), [
      'video/v720/init.mp4', 'video/v720/seg-005.m4s', 'video/v720/seg-006.m4s', 'video/v720/seg-007.m4s', 'video/v720/seg-008.m4s',
      'video/v360/init.mp4', 'video/v360/seg-005.m4s', 'video/v360/seg-006.m4s', 'video/v360/seg-007.m4s', 'video/v360/seg-008.m4s',
      'audio/a-128000-init.mp4', 'audio/a-128000-0.m4s', 'audio/a-128000-96000.m4s', 'audio/a-128000-192000.m4s', 'audio/a-128000-288000.m4s',
      'subs/en.vtt',
      'list/init.mp4', 'list/s1.m4s', 'list/s2.m4s',
    ]);
  });

  it('DASH: r=-1 repeats to the period end; endNumber; Period@duration', () => {
    const mpd = `<MPD type="static"><Period duration="PT10S"><AdaptationSet>
      <SegmentTemplate media="$RepresentationID$_$Number$.m4s" timescale="10"><SegmentTimeline><S t="0" d="30" r="-1"/></SegmentTimeline></SegmentTemplate>
      <Representation id="r"/></AdaptationSet>
      <AdaptationSet><SegmentTemplate media="b$Number$.m4s" duration="1" startNumber="0" endNumber="2"/><Representation id="b"/></AdaptationSet>
      </Period></MPD>`;
    assert.deepEqual(listManifestReferences('mpd', mpd), ['r_1.m4s', 'r_2.m4s', 'r_3.m4s', 'r_4.m4s', 'b0.m4s', 'b1.m4s', 'b2.m4s']);
  });

  it('bad manifests are refused with InvalidParameterValue.MediaManifestContent', () => {
    for (const [type, content] of [
      ['m3u8', 'seg.ts\n'],
      ['mpd', '<MPD><Period>'],
      ['mpd', '<NotMpd/>'],
      ['mpd', '<MPD type="dynamic"/>'],
      ['mpd', '<MPD><Period><AdaptationSet><SegmentTemplate media="$Number$.m4s" duration="2"/><Representation id="x"/></AdaptationSet></Period></MPD>'],
    ] as const) {
      assert.throws(() => listManifestReferences(type, content), { code: 'InvalidParameterValue.MediaManifestContent' }, content);
    }
  });
});
