import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sendMultipart, UPLOAD_MUTATION, type MultipartAnswer, type MultipartFile } from '../support/multipart.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { PROGRESS_SUBSCRIPTION, subscribeSse } from '../support/subscriptions.ts';

// Clients write files in the order of the variables' keys: `{ media, cover }` sends the media first.
// Below ~64 KiB a file sits whole in the parser's buffers and any order works by accident, so every
// media here is larger than 1 MiB.

const MiB = 1024 * 1024;
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** Real magic numbers followed by noise: what file-type recognises. */
const PNG = Buffer.concat([
  Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64'),
  randomBytes(3000),
]);
const JPEG = Buffer.concat([Buffer.from('ffd8ffe000104a46494600010100000100010000', 'hex'), randomBytes(5000)]);
const WEBP = Buffer.concat([Buffer.from('RIFF'), Buffer.from([0x24, 0x10, 0, 0]), Buffer.from('WEBPVP8 '), randomBytes(4000)]);

let server: TestServer;
let key: string;

before(async () => {
  server = await startTestServer('file-order');
  key = (await server.app.apiKeys.createKey('file-order')).key;
});
after(async () => {
  await server.dispose();
});

interface Sent {
  readonly name: 'media' | 'cover';
  readonly filename: string;
  readonly content: Buffer;
}

/** Sends media and cover in the given body order (the map lists them in that order too). */
function sendInOrder(files: readonly Sent[], input: Record<string, unknown> = {}) {
  return sendMultipart({
    url: server.url,
    key,
    query: UPLOAD_MUTATION,
    variables: { input: { media: null, cover: null, ...input } },
    map: Object.fromEntries(files.map((file) => [file.name, [`variables.input.${file.name}`]])),
    files: files.map((file): MultipartFile => ({ field: file.name, filename: file.filename, content: file.content })),
  });
}

function recordOf(answer: MultipartAnswer): Record<string, unknown> {
  assert.equal(answer.body.errors, undefined, JSON.stringify(answer.body.errors));
  const record = answer.body.data?.['uploadMedia'] as Record<string, unknown> | undefined;
  assert.ok(record);
  return record;
}

function errorOf(answer: MultipartAnswer): { code: unknown; uploadId: unknown; message: string } {
  const [error] = answer.body.errors ?? [];
  assert.ok(error, `expected an error, got ${JSON.stringify(answer.body)}`);
  return { code: error.extensions?.['code'], uploadId: error.extensions?.['uploadId'], message: error.message };
}

async function download(url: string): Promise<Buffer> {
  const response = await fetch(url);
  assert.equal(response.status, 200, `GET ${url}`);
  return Buffer.from(await response.arrayBuffer());
}

async function assertCoverServed(record: Record<string, unknown>, cover: Buffer): Promise<void> {
  assert.equal(typeof record['coverUrl'], 'string');
  assert.equal(sha256(await download(String(record['coverUrl']))), sha256(cover));
}

describe('files in any order', () => {
  const cases: Array<{ title: string; order: 'media-first' | 'cover-first'; coverName: string; cover: Buffer; coverType?: string; expectType: string; late: boolean }> = [
    { title: 'media first, cover named cover.png, no coverType', order: 'media-first', coverName: 'cover.png', cover: PNG, expectType: 'png', late: true },
    { title: 'media first, cover without extension (magic bytes), no coverType', order: 'media-first', coverName: 'poster', cover: JPEG, expectType: 'jpg', late: true },
    { title: 'media first, with coverType', order: 'media-first', coverName: 'poster', cover: WEBP, coverType: 'webp', expectType: 'webp', late: false },
    { title: 'cover first without extension (magic bytes), no coverType', order: 'cover-first', coverName: 'poster', cover: WEBP, expectType: 'webp', late: false },
    { title: 'cover first, with coverType', order: 'cover-first', coverName: 'poster.bin', cover: PNG, coverType: 'png', expectType: 'png', late: false },
  ];
  for (const c of cases) {
    it(`${c.title}: SUCCEEDED, the cover served, its real file name listed`, async () => {
      const media = randomBytes(MiB + 300 * 1024);
      const mediaFile: Sent = { name: 'media', filename: 'clip.mp4', content: media };
      const coverFile: Sent = { name: 'cover', filename: c.coverName, content: c.cover };
      const modifies = server.emulator.state.count('vod.ModifyMediaInfo');
      const answer = await sendInOrder(
        c.order === 'media-first' ? [mediaFile, coverFile] : [coverFile, mediaFile],
        c.coverType === undefined ? {} : { coverType: c.coverType },
      ).answer;
      const record = recordOf(answer);
      assert.equal(record['status'], 'SUCCEEDED');
      assert.equal(record['coverType'], c.expectType);
      assert.deepEqual(
        (record['files'] as Array<Record<string, unknown>>).map((file) => [file['role'], file['path'], file['bytes'], file['sha256']]),
        [
          ['MEDIA', 'clip.mp4', media.length, sha256(media)],
          ['COVER', c.coverName, c.cover.length, sha256(c.cover)],
        ],
      );
      await assertCoverServed(record, c.cover);
      assert.equal(sha256(await download(String(record['mediaUrl']))), sha256(media));
      // A cover whose type was unknown at ApplyUpload is set after the commit with ModifyMediaInfo.
      assert.equal(server.emulator.state.count('vod.ModifyMediaInfo') - modifies, c.late ? 1 : 0);
      const vodRecord = server.emulator.state.mediaRecord(String(record['fileId']));
      assert.equal(vodRecord?.coverUrl, record['coverUrl']);
    });
  }

  it('the record and the subscription show the late cover\'s coverUrl', async () => {
    const id = randomUUID();
    const subscription = subscribeSse(server.url, key, PROGRESS_SUBSCRIPTION.replace('fileId', 'fileId coverUrl coverType'), { id });
    await subscription.ready;
    const answer = await sendInOrder(
      [
        { name: 'media', filename: 'clip.mp4', content: randomBytes(2 * MiB) },
        { name: 'cover', filename: 'shot', content: PNG },
      ],
      { id },
    ).answer;
    const record = recordOf(answer);
    await subscription.done;
    const last = subscription.events.at(-1)?.['uploadProgress'] as Record<string, unknown> | undefined;
    assert.equal(last?.['status'], 'SUCCEEDED');
    assert.equal(last?.['coverUrl'], record['coverUrl']);
    assert.equal(last?.['coverType'], 'png');
    const read = await server.graphql('query($id: ID!) { upload(id: $id) { coverUrl coverType } }', { key, variables: { id } });
    assert.deepEqual(read.body.data?.['upload'], { coverUrl: record['coverUrl'], coverType: 'png' });
  });

  it('fails with ModifyMediaInfo\'s code when the late cover cannot be set; the record keeps the committed FileId', async () => {
    const id = randomUUID();
    server.emulator.faults.failNextVod('ResourceNotFound', { action: 'ModifyMediaInfo' });
    const answer = await sendInOrder(
      [
        { name: 'media', filename: 'clip.mp4', content: randomBytes(2 * MiB) },
        { name: 'cover', filename: 'cover.png', content: PNG },
      ],
      { id },
    ).answer;
    const error = errorOf(answer);
    assert.equal(error.code, 'ResourceNotFound');
    assert.equal(error.uploadId, id);
    const read = await server.graphql('query($id: ID!) { upload(id: $id) { status fileId mediaUrl coverUrl error { code } } }', {
      key,
      variables: { id },
    });
    const record = read.body.data?.['upload'] as Record<string, unknown>;
    assert.equal(record['status'], 'FAILED');
    assert.deepEqual(record['error'], { code: 'ResourceNotFound' });
    assert.equal(record['coverUrl'], null);
    assert.ok(server.emulator.state.mediaRecord(String(record['fileId'])), 'the media was committed under that FileId');
  });

  it('refuses, before the commit, a late cover of a type ModifyMediaInfo does not take, or over the late-cover cap', async () => {
    const commits = server.emulator.state.count('vod.CommitUpload');
    const webp = await sendInOrder([
      { name: 'media', filename: 'clip.mp4', content: randomBytes(2 * MiB) },
      { name: 'cover', filename: 'cover.webp', content: WEBP },
    ]).answer;
    assert.equal(errorOf(webp).code, 'InvalidParameterValue.CoverType');
    assert.match(errorOf(webp).message, /coverType/);
    const huge = await sendInOrder([
      { name: 'media', filename: 'clip.mp4', content: randomBytes(2 * MiB) },
      { name: 'cover', filename: 'cover.png', content: Buffer.concat([PNG, randomBytes(5 * MiB)]) },
    ]).answer;
    assert.equal(errorOf(huge).code, 'LimitExceeded');
    assert.equal(server.emulator.state.count('vod.CommitUpload'), commits);
  });

  it('refuses a cover sent first whose type neither its name nor its bytes give, before any cloud call', async () => {
    const applies = server.emulator.state.count('vod.ApplyUpload');
    const answer = await sendInOrder([
      { name: 'cover', filename: 'poster', content: randomBytes(3000) },
      { name: 'media', filename: 'clip.mp4', content: randomBytes(2 * MiB) },
    ]).answer;
    assert.equal(errorOf(answer).code, 'InvalidParameterValue.CoverType');
    assert.equal(server.emulator.state.count('vod.ApplyUpload'), applies);
  });
});

describe('HLS segments and the cover', () => {
  const manifest = Buffer.from('#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:4,\na.ts\n#EXTINF:4,\nb.ts\n#EXT-X-ENDLIST\n');
  const segmentA = randomBytes(MiB + 1000);
  const segmentB = randomBytes(MiB + 2000);
  const input = { media: null, cover: null, segments: [{ path: 'a.ts', file: null }, { path: 'b.ts', file: null }] };
  const files: Record<string, MultipartFile> = {
    m: { field: 'm', filename: 'index.m3u8', content: manifest },
    c: { field: 'c', filename: 'cover', content: PNG },
    a: { field: 'a', filename: 'a.ts', content: segmentA },
    b: { field: 'b', filename: 'b.ts', content: segmentB },
  };
  const paths: Record<string, string> = {
    m: 'variables.input.media',
    c: 'variables.input.cover',
    a: 'variables.input.segments.0.file',
    b: 'variables.input.segments.1.file',
  };
  const send = (order: string) =>
    sendMultipart({
      url: server.url,
      key,
      query: UPLOAD_MUTATION,
      variables: { input },
      map: Object.fromEntries([...order].map((field) => [field, [paths[field] ?? '']])),
      files: [...order].map((field) => files[field]!),
    }).answer;

  it('media, cover (no extension), segments in list order — the clients\' order — works with a late cover', async () => {
    const record = recordOf(await send('mcab'));
    assert.equal(record['status'], 'SUCCEEDED');
    assert.equal(record['coverType'], 'png');
    await assertCoverServed(record, PNG);
  });

  it('cover first works too', async () => {
    const record = recordOf(await send('cmab'));
    assert.equal(record['status'], 'SUCCEEDED');
    await assertCoverServed(record, PNG);
  });

  for (const order of ['mabc', 'mcba', 'amcb']) {
    it(`body order ${order} (cover after segments, segments out of list order, segment before the media): InvalidParameter at once`, async () => {
      const applies = server.emulator.state.count('vod.ApplyUpload');
      const error = errorOf(await send(order));
      assert.equal(error.code, 'InvalidParameter');
      assert.match(error.message, /out of order/);
      assert.ok(server.emulator.state.count('vod.ApplyUpload') - applies <= 1);
    });
  }
});
