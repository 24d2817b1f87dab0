import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../support/server.ts';
import { assertInvariants, sendManifestUpload } from './surface-support.ts';
import { HLS_CASES, playlist, refusesEach, TS } from './manifest-cases.ts';

let server: TestServer;
let key: string;

before(async () => {
  server = await startTestServer('hostile-manifest-hls');
  key = (await server.app.apiKeys.createKey('hostile-manifest-hls')).key;
});
after(async () => {
  await server.dispose();
});

describe('hostile HLS manifests: every reference is judged as a player resolves it', () => {
  // The percent-encoded forms run in manifest-encoded.test.ts (each file stays short).
  refusesEach(HLS_CASES.filter((hostile) => !hostile.why.source.includes('percent')), () => ({ server, key }));

  it('stores ./ prefixes, ./ inner segments and non-ASCII names under exactly the key a player requests', async () => {
    const names = ['./a.ts', 'sub/./b.ts', '视频 1.ts'];
    const answer = await sendManifestUpload(server, key, {
      manifest: { name: 'index.m3u8', content: playlist(names) },
      segments: names.map((path) => ({ path, content: TS })),
    });
    assert.equal(answer.body.errors, undefined, JSON.stringify(answer.body.errors));
    const upload = answer.body.data?.['uploadMedia'] as { status: string; fileId: string; mediaUrl: string };
    assert.equal(upload.status, 'SUCCEEDED');
    const media = server.emulator.state.mediaRecord(upload.fileId);
    assert.ok(media);
    const directory = media.mediaKey.slice(0, media.mediaKey.lastIndexOf('/') + 1);
    const manifestUrl = new URL(`https://player.example/${media.mediaKey}`);
    for (const reference of names) {
      // What a player fetches: the reference resolved against the manifest's URL, then decoded by the server.
      const requested = decodeURIComponent(new URL(reference, manifestUrl).pathname.slice(1));
      assert.ok(requested.startsWith(directory), `${reference} stays below the manifest`);
      assert.ok(server.emulator.state.object(media.bucket, requested), `${reference} is stored at ${requested}`);
    }
    await assertInvariants(server);
  });
});
