import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestServer } from '../support/server.ts';
import {
  assertInvariants,
  assertRefused,
  BOUNDARY,
  CLOSING,
  field,
  file,
  map,
  openHostileServer,
  operations,
  part,
  postRaw,
  whileAnotherTenantUploads,
} from './support.ts';

const MAX_FILES = 4;
let server: TestServer;
let key: string;
let otherKey: string;

before(async () => {
  ({ server, key, otherKey } = await openHostileServer('hoffspec', { MAX_FILES: String(MAX_FILES) }));
});
after(async () => {
  await server.dispose();
});

const MEDIA_MAP = map({ 0: ['variables.input.media'] });


/** Bodies that parse but break the GraphQL multipart request spec. */
const offSpecBodies: Array<[string, Buffer, string, number]> = [
  ['a file before the operations and map', Buffer.concat([file('0', 'a.mp4', 'x'), operations(), MEDIA_MAP, CLOSING]), 'InvalidParameter', 400],
  ['map before operations', Buffer.concat([MEDIA_MAP, operations(), file('0', 'a.mp4', 'x'), CLOSING]), 'InvalidParameter', 400],
  ['operations that are not JSON', Buffer.concat([field('operations', '{nope'), MEDIA_MAP, file('0', 'a.mp4', 'x'), CLOSING]), 'InvalidParameter', 400],
  ['operations that are a JSON string', Buffer.concat([field('operations', '"query"'), MEDIA_MAP, CLOSING]), 'InvalidParameter', 400],
  ['map that is not JSON', Buffer.concat([operations(), field('map', '{0:'), file('0', 'a.mp4', 'x'), CLOSING]), 'InvalidParameter', 400],
  ['operations sent twice', Buffer.concat([operations(), operations(), MEDIA_MAP, file('0', 'a.mp4', 'x'), CLOSING]), 'InvalidParameter', 400],
  ['an operations field over 1 MiB', Buffer.concat([operations({ mediaName: 'n'.repeat(1024 * 1024) }), MEDIA_MAP, CLOSING]), 'LimitExceeded', 413],
  ['no map at all', Buffer.concat([operations(), CLOSING]), 'InvalidParameter', 400],
  [
    'a file part with no name',
    Buffer.concat([operations(), MEDIA_MAP, part(['Content-Disposition: form-data; filename="a.mp4"'], 'xxxx'), file('0', 'a.mp4', 'x'), CLOSING]),
    'InvalidParameter',
    400,
  ],
  [
    'a plain field where a file is mapped',
    Buffer.concat([operations(), MEDIA_MAP, field('0', 'not a file'), CLOSING]),
    'InvalidParameter',
    400,
  ],
  ['an unexpected extra field', Buffer.concat([operations(), MEDIA_MAP, field('extra', 'x'), file('0', 'a.mp4', 'x'), CLOSING]), 'InvalidParameter', 400],
  ['a file the map does not name', Buffer.concat([operations(), MEDIA_MAP, file('9', 'a.mp4', 'x'), file('0', 'a.mp4', 'x'), CLOSING]), 'InvalidParameter', 400],
  [
    'the same file part twice',
    Buffer.concat([operations({ cover: null }), map({ 0: ['variables.input.media'], 1: ['variables.input.cover'] }), file('0', 'a.mp4', 'x'), file('0', 'a.mp4', 'y'), CLOSING]),
    'InvalidParameter',
    400,
  ],
  ['a mapped file that never arrives', Buffer.concat([operations(), MEDIA_MAP, CLOSING]), 'InvalidParameter', 400],
  [
    'more files than MAX_FILES',
    Buffer.concat([
      operations({ segments: [0, 1, 2, 3].map((i) => ({ path: `${i}.ts`, file: null })) }),
      map({ m: ['variables.input.media'], ...Object.fromEntries([0, 1, 2, 3].map((i) => [`s${i}`, [`variables.input.segments.${i}.file`]])) }),
      CLOSING,
    ]),
    'LimitExceeded',
    413,
  ],
];

describe('hostile multipart bodies', () => {
  for (const [name, body, code, status] of offSpecBodies) {
    it(`${name}: ${code} (${status}), nothing left stored`, async () => {
      const answer = await postRaw(server.url, body, { key });
      assertRefused(answer, code, status);
      assert.ok(answer.closedCleanly, 'no connection reset');
      await assertInvariants(server);
    });
  }

  it('a multipart content type without a boundary: InvalidParameter (400)', async () => {
    const answer = await postRaw(server.url, Buffer.concat([operations(), CLOSING]), { key, contentType: 'multipart/form-data' });
    assertRefused(answer, 'InvalidParameter', 400);
    await assertInvariants(server);
  });

  it('a client that vanishes in the middle of a part header leaves nothing behind, and another upload goes on', async () => {
    await whileAnotherTenantUploads(server, otherKey, async () => {
      const { port } = new URL(server.url);
      const body = Buffer.concat([operations(), MEDIA_MAP, Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; na`)]);
      const net = await import('node:net');
      const socket = net.connect(Number(port), '127.0.0.1');
      socket.on('error', () => undefined);
      socket.write(
        `POST /graphql HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${key}\r\ngraphql-require-preflight: 1\r\n` +
          `content-type: multipart/form-data; boundary=${BOUNDARY}\r\ncontent-length: ${body.length + 100000}\r\n\r\n`,
      );
      socket.write(body);
      await new Promise((resolve) => setTimeout(resolve, 200));
      socket.destroy();
    });
    await assertInvariants(server);
  });
});
