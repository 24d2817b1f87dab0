import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { listManifestReferences } from '../../src/manifest/manifest-references.ts';
import { DASH, MASTER } from '../manifest/manifest-fixtures.ts';
import { rejection, startTestEmulator, vodClient, type TestEmulator } from './helpers.ts';

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
    assert.deepEqual(hls.MediaSegmentSet, listManifestReferences('m3u8', MASTER));
    const dash = await vod.ParseStreamingManifest({ MediaManifestContent: DASH, ManifestType: 'mpd' });
    assert.equal(dash.MediaSegmentSet?.length, 19);
    const e = await rejection(() => vod.ParseStreamingManifest({ MediaManifestContent: MASTER, ManifestType: 'ism' }));
    assert.equal(e['code'], 'InvalidParameterValue.ManifestType');
  });

  it('a manifest the lister refuses is answered with InvalidParameterValue.MediaManifestContent and its reason', async () => {
    const vod = vodClient(t.emulator);
    const notXml = await rejection(() => vod.ParseStreamingManifest({ MediaManifestContent: '<MPD><Period>', ManifestType: 'mpd' }));
    assert.equal(notXml['code'], 'InvalidParameterValue.MediaManifestContent');
    assert.match(String(notXml['message']), /not well-formed XML/);
    const notHls = await rejection(() => vod.ParseStreamingManifest({ MediaManifestContent: 'seg.ts\n' }));
    assert.equal(notHls['code'], 'InvalidParameterValue.MediaManifestContent');
    assert.match(String(notHls['message']), /#EXTM3U/);
  });
});
