import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sendMediaUpload, sendMultipart, UPLOAD_MUTATION } from '../support/multipart.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { assertInvariants, assertRefused, CLOSING, map, operations, part, postRaw } from './support.ts';

const MAX_FILE_BYTES = 3 * 1024 * 1024;
let server: TestServer;
let key: string;

before(async () => {
  server = await startTestServer('hfields', { env: { MAX_FILE_BYTES: String(MAX_FILE_BYTES) } });
  key = (await server.app.apiKeys.createKey('hostile')).key;
});
after(async () => {
  await server.dispose();
});

const NUL = '\u0000';

/** Inputs refused before anything is stored: [what, input, code]. GraphQL answers them with HTTP 200. */
const badInputs: Array<[string, Record<string, unknown>, string]> = [
  ['a NUL byte in mediaName', { mediaName: `a${NUL}b` }, 'InvalidParameter'],
  ['a NUL byte in procedure', { procedure: `p${NUL}` }, 'InvalidParameter'],
  ['a NUL byte in sourceContext', { sourceContext: `s${NUL}` }, 'InvalidParameter'],
  ['a NUL byte in sessionContext', { sessionContext: `s${NUL}` }, 'InvalidParameter'],
  ['a NUL byte in storageRegion', { storageRegion: `ap-guangzhou${NUL}` }, 'InvalidParameter'],
  ['a NUL byte in mediaType', { mediaType: `mp4${NUL}` }, 'InvalidParameterValue.MediaType'],
  ['a NUL byte in expireTime', { expireTime: `2030-01-01T00:00:00Z${NUL}` }, 'InvalidParameter.ExpireTime'],
  ['CR/LF in region', { region: 'ap-guangzhou\r\nX-Injected: 1' }, 'InvalidParameter'],
  ['10 KB of region', { region: `ap-${'g'.repeat(10_000)}` }, 'InvalidParameter'],
  ['a region with a slash', { region: 'ap-guangzhou/../x' }, 'InvalidParameter'],
  ['10 KB of procedure', { procedure: 'p'.repeat(10_000) }, 'InvalidParameter'],
  ['10 KB of mediaName', { mediaName: 'n'.repeat(10_000) }, 'InvalidParameter'],
  ['a lone surrogate in mediaName', { mediaName: 'a\ud800b' }, 'InvalidParameter'],
  ['a mediaType with slashes', { mediaType: 'video/mp4' }, 'InvalidParameterValue.MediaType'],
  ['a negative classId', { classId: -1 }, 'InvalidParameter'],
  ['a negative subAppId', { subAppId: -5 }, 'InvalidParameterValue.SubAppId'],
  ['concurrentUploadNumber 0', { concurrentUploadNumber: 0 }, 'InvalidParameter'],
  ['concurrentUploadNumber 1e9', { concurrentUploadNumber: 1_000_000_000 }, 'InvalidParameter'],
  ['expireTime 2030-02-31', { expireTime: '2030-02-31' }, 'InvalidParameter.ExpireTime'],
  ['expireTime 2030-02-31T00:00:00Z', { expireTime: '2030-02-31T00:00:00Z' }, 'InvalidParameter.ExpireTime'],
  ['expireTime at hour 24', { expireTime: '2030-01-01T24:00:00Z' }, 'InvalidParameter.ExpireTime'],
  ['mediaSize of 2^53-1', { mediaSize: Number.MAX_SAFE_INTEGER }, 'LimitExceeded'],
  ['mediaSize one byte above MAX_FILE_BYTES', { mediaSize: MAX_FILE_BYTES + 1 }, 'LimitExceeded'],
];

describe('hostile input fields', () => {
  for (const [name, input, code] of badInputs) {
    it(`${name}: ${code}, no record, nothing stored`, async () => {
      const applies = server.emulator.state.count('vod.ApplyUpload');
      const { answer } = sendMediaUpload({ url: server.url, key, filename: 'clip.mp4', content: randomBytes(2000), input });
      const result = await answer;
      assertRefused(result, code, 200);
      assert.equal(result.body.errors?.[0]?.extensions?.['uploadId'], undefined, 'no record was written');
      assert.equal(server.emulator.state.count('vod.ApplyUpload'), applies, 'no ApplyUpload');
      await assertInvariants(server);
    });
  }

  it('a NUL byte in a segment path: InvalidParameter before anything is stored', async () => {
    const applies = server.emulator.state.count('vod.ApplyUpload');
    const puts = server.emulator.state.count('cos.putObject');
    const { answer } = sendMultipart({
      url: server.url,
      key,
      query: UPLOAD_MUTATION,
      variables: { input: { media: null, segments: [{ path: 'a.ts', file: null }, { path: `b${NUL}.ts`, file: null }] } },
      map: { m: ['variables.input.media'], s0: ['variables.input.segments.0.file'], s1: ['variables.input.segments.1.file'] },
      files: [
        { field: 'm', filename: 'index.m3u8', content: Buffer.from('#EXTM3U\n#EXTINF:4,\na.ts\n#EXTINF:4,\nb.ts\n') },
        { field: 's0', filename: 'a.ts', content: randomBytes(100) },
        { field: 's1', filename: 'b.ts', content: randomBytes(100) },
      ],
    });
    assertRefused(await answer, 'InvalidParameter', 200);
    assert.equal(server.emulator.state.count('vod.ApplyUpload'), applies, 'no ApplyUpload');
    assert.equal(server.emulator.state.count('cos.putObject'), puts, 'nothing stored');
    await assertInvariants(server);
  });

  it('a NUL byte in the media file name: InvalidParameter, no record', async () => {
    const body = Buffer.concat([
      operations(),
      map({ 0: ['variables.input.media'] }),
      part(["Content-Disposition: form-data; name=\"0\"; filename*=utf-8''clip%00.mp4", 'Content-Type: application/octet-stream'], 'xxxx'),
      CLOSING,
    ]);
    const answer = await postRaw(server.url, body, { key });
    assertRefused(answer, 'InvalidParameter', 200);
    assert.equal(answer.body?.errors?.[0]?.extensions?.['uploadId'], undefined);
    await assertInvariants(server);
  });

  it('a 2000-character media file name: InvalidParameter, no record', async () => {
    const { answer } = sendMediaUpload({ url: server.url, key, filename: `${'f'.repeat(2000)}.mp4`, content: randomBytes(100) });
    assertRefused(await answer, 'InvalidParameter', 200);
    await assertInvariants(server);
  });

  it('a file of exactly MAX_FILE_BYTES is accepted, one byte more is LimitExceeded', async () => {
    const exact = await sendMediaUpload({ url: server.url, key, filename: 'exact.mp4', content: randomBytes(MAX_FILE_BYTES), input: { mediaSize: MAX_FILE_BYTES } }).answer;
    const upload = exact.body.data?.['uploadMedia'] as { status: string; bytesUploaded: number } | undefined;
    assert.equal(upload?.status, 'SUCCEEDED', JSON.stringify(exact.body).slice(0, 400));
    assert.equal(upload.bytesUploaded, MAX_FILE_BYTES);
    const over = await sendMediaUpload({ url: server.url, key, filename: 'over.mp4', content: randomBytes(MAX_FILE_BYTES + 1) }).answer;
    assertRefused(over, 'LimitExceeded', 200);
    await assertInvariants(server);
  });
});
