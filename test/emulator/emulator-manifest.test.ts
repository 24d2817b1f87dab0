import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseManifest } from '../../src/emulator/manifest.ts';
import { rejection, startTestEmulator, vodClient, type TestEmulator } from './helpers.ts';

const MASTER = `#EXTM3U
#EXT-X-VERSION:6
#EXT-X-SESSION-KEY:METHOD=AES-128,URI="keys/session.key"
#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",NAME="en",DEFAULT=YES,URI="audio/en.m3u8"
#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360,AUDIO="aud"
gear1/prog_index.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=2000000,RESOLUTION=1280x720,AUDIO="aud"
gear2/prog_index.m3u8
#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=90000,URI="gear1/iframe.m3u8"
`;

const MEDIA = `#EXTM3U\r
#EXT-X-TARGETDURATION:10\r
#EXT-X-MAP:URI="init.mp4",BYTERANGE="720@0"\r
#EXT-X-KEY:METHOD=AES-128,URI="../keys/k1.key",IV=0x1234\r
#EXTINF:10.0,\r
seg0.m4s\r
# a comment\r
#EXTINF:10.0,\r
sub/seg1.m4s\r
#EXT-X-KEY:METHOD=NONE\r
#EXTINF:10.0,\r
http://cdn.example.com/seg2.m4s\r
#EXT-X-KEY:METHOD=AES-128,URI="../keys/k1.key"\r
#EXTINF:10.0,\r
seg0.m4s\r
#EXT-X-ENDLIST\r
`;

const DASH = `<?xml version="1.0" encoding="UTF-8"?>
<!-- on-demand + live-profile mix -->
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" mediaPresentationDuration="PT0H0M12.5S" minBufferTime="PT2S">
  <Period id="p0">
    <AdaptationSet mimeType="video/mp4" segmentAlignment="true">
      <SegmentTemplate initialization="video/$RepresentationID$/init.mp4" media="video/$RepresentationID$/seg-$Number%03d$.m4s" startNumber="5" timescale="1000" duration="4000"/>
      <Representation id="v720" bandwidth="2000000" width="1280" height="720"/>
      <Representation id="v360" bandwidth="600000" width="640" height="360"/>
    </AdaptationSet>
    <AdaptationSet mimeType="audio/mp4">
      <BaseURL>audio/</BaseURL>
      <SegmentTemplate initialization="a-$Bandwidth$-init.mp4" media="a-$Bandwidth$-$Time$.m4s" timescale="48000">
        <SegmentTimeline>
          <S t="0" d="96000" r="2"/>
          <S d="48000"/>
        </SegmentTimeline>
      </SegmentTemplate>
      <Representation id="a1" bandwidth="128000"/>
    </AdaptationSet>
    <AdaptationSet mimeType="text/vtt">
      <Representation id="sub" bandwidth="256"><BaseURL>subs/en.vtt</BaseURL></Representation>
    </AdaptationSet>
    <AdaptationSet mimeType="video/mp4">
      <Representation id="list" bandwidth="1000">
        <BaseURL>list/</BaseURL>
        <SegmentList duration="10">
          <Initialization sourceURL="init.mp4"/>
          <SegmentURL media="s1.m4s"/>
          <SegmentURL media="s2.m4s"/>
        </SegmentList>
      </Representation>
    </AdaptationSet>
  </Period>
</MPD>`;

describe('emulator: manifest parsing', () => {
  it('HLS master playlist: variants, EXT-X-MEDIA, I-frame playlists, session key', () => {
    assert.deepEqual(parseManifest('m3u8', MASTER), [
      'keys/session.key', 'audio/en.m3u8', 'gear1/prog_index.m3u8', 'gear2/prog_index.m3u8', 'gear1/iframe.m3u8',
    ]);
  });

  it('HLS media playlist: EXT-X-MAP, EXT-X-KEY, segments, as written, de-duplicated, CRLF', () => {
    assert.deepEqual(parseManifest('m3u8', MEDIA), ['init.mp4', '../keys/k1.key', 'seg0.m4s', 'sub/seg1.m4s', 'http://cdn.example.com/seg2.m4s']);
  });

  it('DASH: SegmentTemplate with duration and with SegmentTimeline, BaseURL files and directories, SegmentList', () => {
    assert.deepEqual(parseManifest('mpd', DASH), [
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
    assert.deepEqual(parseManifest('mpd', mpd), ['r_1.m4s', 'r_2.m4s', 'r_3.m4s', 'r_4.m4s', 'b0.m4s', 'b1.m4s', 'b2.m4s']);
  });

  it('bad manifests are refused with InvalidParameterValue.MediaManifestContent', () => {
    for (const [type, content] of [
      ['m3u8', 'seg.ts\n'],
      ['mpd', '<MPD><Period>'],
      ['mpd', '<NotMpd/>'],
      ['mpd', '<MPD type="dynamic"/>'],
      ['mpd', '<MPD><Period><AdaptationSet><SegmentTemplate media="$Number$.m4s" duration="2"/><Representation id="x"/></AdaptationSet></Period></MPD>'],
    ] as const) {
      assert.throws(() => parseManifest(type, content), { code: 'InvalidParameterValue.MediaManifestContent' }, content);
    }
  });
});

describe('emulator: ParseStreamingManifest through the SDK', () => {
  let t: TestEmulator;
  before(async () => {
    t = await startTestEmulator();
  });
  after(async () => {
    await t.stop();
  });

  it('m3u8 (default type) and mpd', async () => {
    const vod = vodClient(t.emulator);
    const hls = await vod.ParseStreamingManifest({ MediaManifestContent: MASTER });
    assert.deepEqual(hls.MediaSegmentSet, parseManifest('m3u8', MASTER));
    const dash = await vod.ParseStreamingManifest({ MediaManifestContent: DASH, ManifestType: 'mpd' });
    assert.equal(dash.MediaSegmentSet?.length, 19);
    const e = await rejection(() => vod.ParseStreamingManifest({ MediaManifestContent: MASTER, ManifestType: 'ism' }));
    assert.equal(e['code'], 'InvalidParameterValue.ManifestType');
  });
});
