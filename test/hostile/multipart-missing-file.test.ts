import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../support/server.ts';
import { assertInvariants, assertRefused, CLOSING, file, map, operations, postRaw } from './support.ts';

let server: TestServer;
let key: string;

before(async () => {
  server = await startTestServer('hmissing');
  key = (await server.app.apiKeys.createKey('hostile')).key;
});
after(async () => {
  await server.dispose();
});

describe('a mapped file missing after another was stored', () => {
  // The body's end is the first moment the cover is known to be missing; the media is stored by
  // then. The request is refused with the right code, and the failed upload's storage cleanup
  // deletes the media object it stored (no object is left without a committed media).
  it(
    'a cover the map names but the body never carries: InvalidParameter (400), nothing left stored',
    async () => {
      const body = Buffer.concat([
        operations({ cover: null, coverType: 'jpg' }),
        map({ 0: ['variables.input.media'], 1: ['variables.input.cover'] }),
        file('0', 'a.mp4', 'x'.repeat(5000)),
        CLOSING,
      ]);
      assertRefused(await postRaw(server.url, body, { key }), 'InvalidParameter', 400);
      await assertInvariants(server);
    },
  );
});
