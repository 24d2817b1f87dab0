import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestServer } from '../support/server.ts';
import {
  assertInvariants,
  assertRefused,
  BOUNDARY,
  CLOSING,
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
  ({ server, key, otherKey } = await openHostileServer('hmultipart', { MAX_FILES: String(MAX_FILES) }));
});
after(async () => {
  await server.dispose();
});

const MEDIA_MAP = map({ 0: ['variables.input.media'] });
const disposition = (name: string, filename: string) => `Content-Disposition: form-data; name="${name}"; filename="${filename}"`;

/** Bodies the multipart parser itself refuses: each once crashed the process or hung the request. */
const malformedBodies: Array<[string, Buffer, string, number]> = [
  [
    'a part header line without a colon',
    Buffer.concat([operations(), MEDIA_MAP, part([disposition('0', 'a.mp4'), 'no colon here'], 'xxxx'), CLOSING]),
    'InvalidParameter',
    400,
  ],
  [
    'a part header over 16 KiB',
    Buffer.concat([operations(), MEDIA_MAP, part([disposition('0', 'a.mp4'), `X-Padding: ${'p'.repeat(17 * 1024)}`], 'xxxx'), CLOSING]),
    'InvalidParameter',
    400,
  ],
  [
    'CR/LF inside a quoted filename',
    Buffer.concat([operations(), MEDIA_MAP, part([disposition('0', 'a\r\nb.mp4')], 'xxxx'), CLOSING]),
    'InvalidParameter',
    400,
  ],
  [
    'a body that ends inside a file, without the closing boundary',
    Buffer.concat([operations(), MEDIA_MAP, Buffer.from(`--${BOUNDARY}\r\n${disposition('0', 'a.mp4')}\r\n\r\nxxxxxxxx`)]),
    'InvalidParameter',
    400,
  ],
  [
    "a body that ends inside a part's headers",
    Buffer.concat([operations(), MEDIA_MAP, Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-da`)]),
    'InvalidParameter',
    400,
  ],
  [
    'a body that ends inside the operations field',
    Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n{"query":`),
    'InvalidParameter',
    400,
  ],
  ['no boundary at all, only garbage', Buffer.from('x'.repeat(5000)), 'InvalidParameter', 400],
];


describe('hostile multipart bodies', () => {
  for (const [name, body, code, status] of malformedBodies) {
    it(`${name}: ${code} (${status}), the connection closes cleanly, another tenant's upload goes on`, async () => {
      await whileAnotherTenantUploads(server, otherKey, async () => {
        const answer = await postRaw(server.url, body, { key });
        assertRefused(answer, code, status);
        assert.ok(answer.closedCleanly, 'no connection reset');
      });
      await assertInvariants(server);
    });
  }

});
