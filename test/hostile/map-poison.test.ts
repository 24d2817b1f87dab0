import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestServer } from '../support/server.ts';
import {
  assertInvariants,
  assertRefused,
  CLOSING,
  file,
  intrinsicsSnapshot,
  map,
  openHostileServer,
  operations,
  postRaw,
  whileAnotherTenantUploads,
} from './support.ts';

const MAX_FILES = 3;
let server: TestServer;
let key: string;
let otherKey: string;
let intrinsics: Record<string, unknown>;

before(async () => {
  ({ server, key, otherKey } = await openHostileServer('hmap', { MAX_FILES: String(MAX_FILES) }));
  intrinsics = intrinsicsSnapshot();
});
after(async () => {
  await server.dispose();
});

const media = ['variables.input.media'];
/** A request whose map is `entries`, carrying a small file for each entry. */
function withMap(entries: unknown, input: Record<string, unknown> = {}): Buffer {
  const names = entries !== null && typeof entries === 'object' && !Array.isArray(entries) ? Object.keys(entries) : ['0'];
  return Buffer.concat([operations(input), map(entries), ...names.map((name) => file(name, `${name}.mp4`, 'xxxx')), CLOSING]);
}

/** Paths through inherited members: each once wrote an Upload into the process's intrinsics. */
const poisonPaths: Array<[string, string]> = [
  ['through an inherited method (hasOwnProperty.call)', 'variables.hasOwnProperty.call'],
  ['through toString.call of a variable', 'variables.input.toString.call'],
  ['through __proto__', 'variables.__proto__.polluted'],
  ['through constructor.prototype', 'variables.constructor.prototype.polluted'],
  ['through a string method (query.at)', 'query.at'],
  ['through an array method (segments.push)', 'variables.input.segments.push'],
  ['to an inherited member of a placeholder-free object (valueOf)', 'variables.valueOf'],
];


describe('hostile map paths', () => {
  for (const [name, path] of poisonPaths) {
    it(`a map path ${name}: InvalidParameter (400), intrinsics untouched, another tenant's upload goes on`, async () => {
      await whileAnotherTenantUploads(server, otherKey, async () => {
        const answer = await postRaw(server.url, withMap({ 0: media, 1: [path] }, { segments: [] }), { key });
        const message = assertRefused(answer, 'InvalidParameter', 400);
        assert.match(message, /map/i);
      });
      assert.deepEqual(intrinsicsSnapshot(), intrinsics, 'no intrinsic was written');
      assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
      await assertInvariants(server);
    });
  }

});
