/** Manifests that use every kind of reference the listers know: HLS master and media playlists, a DASH MPD. */
export const MASTER = `#EXTM3U
#EXT-X-VERSION:6
#EXT-X-SESSION-KEY:METHOD=AES-128,URI="keys/session.key"
#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",NAME="en",DEFAULT=YES,URI="audio/en.m3u8"
#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360,AUDIO="aud"
gear1/prog_index.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=2000000,RESOLUTION=1280x720,AUDIO="aud"
gear2/prog_index.m3u8
#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=90000,URI="gear1/iframe.m3u8"
`;

export const MEDIA = `#EXTM3U\r
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

export const DASH = `<?xml version="1.0" encoding="UTF-8"?>
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
