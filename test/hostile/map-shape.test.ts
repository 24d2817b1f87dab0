import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestServer } from '../support/server.ts';
import {
  assertInvariants,
  assertRefused,
  CLOSING,
  field,
  file,
  intrinsicsSnapshot,
  map,
  openHostileServer,
  operations,
  postRaw,
} from './support.ts';

const MAX_FILES = 3;
let server: TestServer;
let key: string;
let intrinsics: Record<string, unknown>;

before(async () => {
  ({ server, key } = await openHostileServer('hmapshape', { MAX_FILES: String(MAX_FILES) }));
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


const offSpecMaps: Array<[string, unknown, Record<string, unknown>, string, number]> = [
  ['a path to a value that is not a null placeholder', { 0: media, 1: ['variables.input.region'] }, { region: 'ap-guangzhou' }, 'InvalidParameter', 400],
  ['a path to a property that does not exist', { 0: ['variables.input.nothing'] }, {}, 'InvalidParameter', 400],
  ['a path that ends at an object', { 0: ['variables.input'] }, {}, 'InvalidParameter', 400],
  ['a path to the query string', { 0: ['query'] }, {}, 'InvalidParameter', 400],
  ['an array index out of range', { 0: media, 1: ['variables.input.segments.5.file'] }, { segments: [{ path: 'a.ts', file: null }] }, 'InvalidParameter', 400],
  ['a non-canonical array index (01)', { 0: media, 1: ['variables.input.segments.01.file'] }, { segments: [{ path: 'a.ts', file: null }] }, 'InvalidParameter', 400],
  ['an empty path segment', { 0: ['variables..input.media'] }, {}, 'InvalidParameter', 400],
  ['one file mapped to both media and cover', { 0: [...media, 'variables.input.cover'] }, { cover: null }, 'InvalidParameter', 400],
  ['two files mapped to the same variable', { 0: media, 1: media }, {}, 'InvalidParameter', 400],
  ['a map entry with no path', { 0: [] }, {}, 'InvalidParameter', 400],
  ['a map entry that is not an array', { 0: 'variables.input.media' }, {}, 'InvalidParameter', 400],
  ['a path that is not a string', { 0: [42] }, {}, 'InvalidParameter', 400],
  ['a map that is an array', [media], {}, 'InvalidParameter', 400],
  ['a 10 KB path', { 0: [`variables.${'x'.repeat(10_000)}`] }, {}, 'InvalidParameter', 400],
  ['more map entries than MAX_FILES', { 0: media, 1: ['a'], 2: ['b'], 3: ['c'] }, {}, 'LimitExceeded', 413],
];

describe('hostile map paths', () => {
  for (const [name, entries, input, code, status] of offSpecMaps) {
    it(`${name}: ${code} (${status}), nothing stored`, async () => {
      const applies = server.emulator.state.count('vod.ApplyUpload');
      assertRefused(await postRaw(server.url, withMap(entries, input), { key }), code, status);
      assert.equal(server.emulator.state.count('vod.ApplyUpload'), applies, 'no ApplyUpload');
      await assertInvariants(server);
    });
  }

  it('a JSON map key "__proto__" is only a field name: refused as a path, intrinsics untouched', async () => {
    const body = Buffer.concat([operations(), field('map', '{"__proto__":["variables.input.media"]}'), file('__proto__', 'a.mp4', 'x'), CLOSING]);
    const answer = await postRaw(server.url, body, { key });
    // The entry is an own key of the parsed map; the file fills the media like any other name would.
    assert.ok(answer.status === 200 || answer.status === 400, answer.text);
    assert.deepEqual(intrinsicsSnapshot(), intrinsics);
    await assertInvariants(server);
  });
});
