import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { it } from 'node:test';
import type { TestServer } from '../support/server.ts';
import { assertInvariants, assertRefused, sendManifestUpload } from './surface-support.ts';

export const playlist = (lines: readonly string[], head = ''): string =>
  `#EXTM3U\n#EXT-X-TARGETDURATION:4\n${head}${lines.map((line) => `#EXTINF:4,\n${line}`).join('\n')}\n#EXT-X-ENDLIST\n`;
const mpd = (period: string): string =>
  `<?xml version="1.0"?>\n<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" mediaPresentationDuration="PT8S">${period}</MPD>`;
const segmentList = (base: string, media: readonly string[]): string =>
  mpd(
    `<Period>${base === '' ? '' : `<BaseURL>${base}</BaseURL>`}<AdaptationSet><Representation id="v" bandwidth="1"><SegmentList duration="4">${media
      .map((m) => `<SegmentURL media="${m}"/>`)
      .join('')}</SegmentList></Representation></AdaptationSet></Period>`,
  );

export interface HostileManifest {
  readonly name: string;
  readonly manifest: { name: string; content: string };
  readonly segments: ReadonlyArray<{ path: string; content: string }>;
  /** Part of the refusal's message (which rule refused it). */
  readonly why: RegExp;
}

export const TS = 'x'.repeat(188);
const hls = (name: string, [lines, segments, head = '']: [string[], string[], string?], why: RegExp): HostileManifest => ({
  name,
  manifest: { name: 'index.m3u8', content: playlist(lines, head) },
  segments: segments.map((path) => ({ path, content: TS })),
  why,
});

export const HLS_CASES: HostileManifest[] = [
  hls('a percent-encoded parent (%2e%2e/%2e%2e/x.ts), listed under the same path', [['%2e%2e/%2e%2e/x.ts'], ['%2e%2e/%2e%2e/x.ts']], /percent/),
  hls('a percent-encoded parent in the manifest, given under a harmless path', [['%2e%2e/%2e%2e/x.ts'], ['x.ts']], /percent/),
  hls('a half-encoded parent (.%2e/)', [['.%2e/x.ts'], ['x.ts']], /percent/),
  hls('an upper-case encoded parent (%2E%2E)', [['%2E%2E/x.ts'], ['x.ts']], /percent/),
  hls('an encoded slash (..%2Fx.ts)', [['..%2Fx.ts'], ['x.ts']], /percent/),
  hls('an encoded parent in a segment path only', [['a.ts'], ['%61.ts']], /percent/),
  hls('a backslash parent (..\\x.ts)', [['..\\x.ts'], ['x.ts']], /backslash/),
  hls('a NUL byte', [['a\u0000.ts'], ['a.ts']], /control or invisible/),
  hls('a right-to-left override', [['a\u202Ests.ts'], ['a.ts']], /control or invisible/),
  hls('fullwidth full stops as a parent (．．/x.ts)', [['\uFF0E\uFF0E/x.ts'], ['x.ts']], /look-alike/),
  hls('one-dot leaders as a parent (․․/x.ts)', [['\u2024\u2024/x.ts'], ['x.ts']], /look-alike/),
  hls('a fullwidth solidus (a／x.ts)', [['a\uFF0Fx.ts'], ['x.ts']], /look-alike/),
  hls('an empty path segment (a//x.ts)', [['a//x.ts'], ['a/x.ts']], /empty path segment/),
  hls('a query string', [['x.ts?token=1'], ['x.ts']], /query or fragment/),
  hls('a fragment', [['x.ts#t=1'], ['x.ts']], /query or fragment/),
  hls('a protocol-relative URL (//host/x.ts)', [['//evil.example/x.ts'], ['x.ts']], /absolute path/),
  hls('a path longer than 512 bytes', [[`${'d/'.repeat(300)}x.ts`], ['x.ts']], /longer than 512 bytes/),
  hls('an encoded parent in an EXT-X-KEY URI', [['a.ts'], ['a.ts', 'key.bin'], '#EXT-X-KEY:METHOD=AES-128,URI="%2e%2e/key.bin"\n'], /percent/),
  hls('an encoded parent in an EXT-X-MAP URI', [['a.ts'], ['a.ts', 'init.mp4'], '#EXT-X-MAP:URI=".%2E/init.mp4"\n'], /percent/),
];

export const NESTED_AND_DASH_CASES: HostileManifest[] = [
  {
    name: 'an encoded parent inside a nested playlist',
    manifest: { name: 'master.m3u8', content: '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nv/index.m3u8\n' },
    segments: [
      { path: 'v/index.m3u8', content: playlist(['%2e%2e/%2e%2e/x.ts']) },
      { path: 'x.ts', content: TS },
    ],
    why: /percent/,
  },
  {
    name: 'a parent inside a nested playlist that leaves the top directory',
    manifest: { name: 'master.m3u8', content: '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nv/index.m3u8\n' },
    segments: [
      { path: 'v/index.m3u8', content: playlist(['../../x.ts']) },
      { path: 'x.ts', content: TS },
    ],
    why: /leaves the manifest directory/,
  },
  {
    name: 'a DASH BaseURL of %2e%2e/',
    manifest: { name: 'index.mpd', content: segmentList('%2e%2e/', ['seg1.m4s']) },
    segments: [{ path: 'seg1.m4s', content: TS }],
    why: /percent/,
  },
  {
    name: 'a DASH BaseURL of ../',
    manifest: { name: 'index.mpd', content: segmentList('../', ['seg1.m4s']) },
    segments: [{ path: 'seg1.m4s', content: TS }],
    why: /leaves the manifest directory/,
  },
  {
    name: 'a DASH BaseURL that is another host',
    manifest: { name: 'index.mpd', content: segmentList('https://evil.example/', ['seg1.m4s']) },
    segments: [{ path: 'seg1.m4s', content: TS }],
    why: /is a URL/,
  },
  {
    name: 'a DASH SegmentTemplate whose media encodes a parent',
    manifest: {
      name: 'index.mpd',
      content: mpd(
        '<Period><AdaptationSet><Representation id="v" bandwidth="1"><SegmentTemplate media="%2e%2e/$Number$.m4s" duration="4" startNumber="1"/></Representation></AdaptationSet></Period>',
      ),
    },
    segments: [
      { path: '1.m4s', content: TS },
      { path: '2.m4s', content: TS },
    ],
    why: /percent/,
  },
  {
    name: 'a DASH Representation id that climbs out through $RepresentationID$',
    manifest: {
      name: 'index.mpd',
      content: mpd(
        '<Period><AdaptationSet><Representation id="../.." bandwidth="1"><SegmentTemplate initialization="$RepresentationID$/init.mp4" media="$RepresentationID$/$Number$.m4s" duration="8" startNumber="1"/></Representation></AdaptationSet></Period>',
      ),
    },
    segments: [{ path: 'init.mp4', content: TS }],
    why: /leaves the manifest directory/,
  },
  {
    name: 'a DASH SegmentURL whose parent is spelled in character references (&#x2e;&#46;/)',
    manifest: { name: 'index.mpd', content: segmentList('', ['&#x2e;&#46;/seg1.m4s']) },
    segments: [{ path: 'seg1.m4s', content: TS }],
    why: /leaves the manifest directory/,
  },
  {
    name: 'a DASH SegmentURL whose parent hides in an entity the DOCTYPE declares',
    manifest: {
      name: 'index.mpd',
      content: segmentList('', ['&up;/seg1.m4s']).replace('?>\n', '?>\n<!DOCTYPE MPD [<!ENTITY up "..">]>\n'),
    },
    segments: [{ path: 'seg1.m4s', content: TS }],
    why: /leaves the manifest directory/,
  },
];

/** One test per hostile manifest: refused with InvalidParameter by the named rule, nothing stored, invariants hold. */
export function refusesEach(cases: readonly HostileManifest[], context: () => { server: TestServer; key: string }): void {
  for (const hostile of cases) {
    it(`refuses ${hostile.name} with InvalidParameter before anything is stored`, async () => {
      const { server, key } = context();
      const { state } = server.emulator;
      const before = { apply: state.count('vod.ApplyUpload'), put: state.count('cos.putObject'), initiate: state.count('cos.initiateMultipart') };
      const id = randomUUID();
      const answer = await sendManifestUpload(server, key, { manifest: hostile.manifest, segments: hostile.segments, input: { id } });
      assertRefused(answer, { code: 'InvalidParameter', status: 200 });
      assert.match(answer.body.errors?.[0]?.message ?? '', hostile.why);
      assert.equal(state.count('vod.ApplyUpload'), before.apply, 'no ApplyUpload');
      assert.equal(state.count('cos.putObject') + state.count('cos.initiateMultipart'), before.put + before.initiate, 'nothing stored');
      const record = await server.graphql('query($id: ID!) { upload(id: $id) { status error { code } files { path } } }', { key, variables: { id } });
      const upload = record.body.data?.['upload'] as { status: string; error: { code: string }; files: unknown[] } | null;
      if (upload !== null && upload !== undefined) {
        assert.equal(upload.status, 'FAILED');
        assert.equal(upload.error.code, 'InvalidParameter');
        assert.deepEqual(upload.files, []);
      }
      await assertInvariants(server);
    });
  }

}
