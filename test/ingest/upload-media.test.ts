import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sendMediaUpload, sendMultipart, UPLOAD_MUTATION } from '../support/multipart.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

let server: TestServer;
let key: string;
let tenantId: string;

before(async () => {
  server = await startTestServer('ingest');
  const created = await server.app.apiKeys.createKey('ingest');
  key = created.key;
  tenantId = created.tenantId;
});
after(async () => {
  await server.dispose();
});

async function download(url: string): Promise<Buffer> {
  const response = await fetch(url);
  assert.equal(response.status, 200, `GET ${url}`);
  return Buffer.from(await response.arrayBuffer());
}

describe('uploadMedia', () => {
  it('uploads media with a cover: every input field lands on the record and at VOD', async () => {
    const media = randomBytes(3 * 1024 * 1024 + 123);
    const cover = randomBytes(2000);
    const id = randomUUID();
    const expireTime = '2031-01-02T03:04:05.000Z';
    const input = {
      id,
      media: null,
      cover: null,
      region: 'ap-guangzhou',
      mediaName: 'Wildlife in 4K',
      procedure: 'QCVB_SimpleProcessFile(1, 1)',
      subAppId: 1500000001,
      classId: 7,
      storageRegion: 'ap-chongqing',
      expireTime,
      sourceContext: 'from the ingest test',
      concurrentUploadNumber: 3,
      mediaSize: media.length,
    };
    const { answer } = sendMultipart({
      url: server.url,
      key,
      query: UPLOAD_MUTATION,
      variables: { input },
      map: { 0: ['variables.input.cover'], 1: ['variables.input.media'] },
      files: [
        { field: '0', filename: 'Wildlife-Cover.png', content: cover },
        { field: '1', filename: 'Wildlife.mp4', content: media },
      ],
    });
    const { status, body } = await answer;
    assert.equal(status, 200);
    assert.equal(body.errors, undefined, JSON.stringify(body.errors));
    const record = body.data?.['uploadMedia'] as Record<string, unknown>;
    assert.equal(record['id'], id);
    assert.equal(record['status'], 'SUCCEEDED');
    assert.equal(record['mediaName'], 'Wildlife in 4K');
    assert.equal(record['mediaType'], 'mp4');
    assert.equal(record['coverType'], 'png');
    assert.equal(record['procedure'], 'QCVB_SimpleProcessFile(1, 1)');
    assert.equal(record['subAppId'], 1500000001);
    assert.equal(record['classId'], 7);
    assert.equal(record['storageRegion'], 'ap-chongqing');
    assert.equal(record['expireTime'], expireTime);
    assert.equal(record['sourceContext'], 'from the ingest test');
    assert.equal(record['bytesTotal'], media.length + cover.length);
    assert.equal(record['bytesReceived'], media.length + cover.length);
    assert.equal(record['bytesUploaded'], media.length + cover.length);
    assert.equal(record['progress'], 1);
    assert.equal(record['error'], null);
    assert.ok(typeof record['finishedAt'] === 'string');
    assert.deepEqual(record['files'], [
      { role: 'MEDIA', path: 'Wildlife.mp4', bytes: media.length, sha256: sha256(media) },
      { role: 'COVER', path: 'Wildlife-Cover.png', bytes: cover.length, sha256: sha256(cover) },
    ]);

    const committed = server.emulator.state.mediaRecord(String(record['fileId']));
    assert.ok(committed, 'the emulator committed the media');
    assert.equal(committed.mediaName, 'Wildlife in 4K');
    assert.equal(committed.mediaType, 'mp4');
    assert.equal(committed.coverType, 'png');
    assert.equal(committed.procedure, 'QCVB_SimpleProcessFile(1, 1)');
    assert.equal(committed.subAppId, 1500000001);
    assert.equal(committed.classId, 7);
    assert.equal(committed.storageRegion, 'ap-chongqing');
    assert.equal(committed.sourceContext, 'from the ingest test');
    assert.equal(new Date(String(committed.expireTime)).toISOString(), expireTime);
    assert.equal(committed.commitRequestId, record['requestId']);
    assert.equal(sha256(await download(String(record['mediaUrl']))), sha256(media));
    assert.equal(sha256(await download(String(record['coverUrl']))), sha256(cover));

    const stored = await server.database.db.prisma.upload.findUnique({ where: { tenantId_id: { tenantId, id } } });
    assert.equal(stored?.vodSessionKey !== null && stored?.storageBucket !== null, true, 'cleanup facts were recorded');
    assert.equal(stored?.bucketRegion, 'ap-chongqing');
  });

  it('uploads without a cover, defaults the name and type from the file name, and lists it newest first', async () => {
    const media = randomBytes(200_000);
    const { answer } = sendMediaUpload({
      url: server.url,
      key,
      filename: 'Holiday.Clip.MOV',
      content: media,
    });
    const { body } = await answer;
    const record = body.data?.['uploadMedia'] as Record<string, unknown>;
    assert.equal(record['status'], 'SUCCEEDED', JSON.stringify(body.errors));
    assert.equal(record['mediaName'], 'Holiday.Clip');
    assert.equal(record['mediaType'], 'mov');
    assert.equal(record['coverType'], null);
    assert.equal(record['coverUrl'], null);
    assert.equal(record['region'], 'ap-guangzhou');

    const list = await server.graphql('{ uploads(first: 1) { edges { node { id status } } pageInfo { hasNextPage } } }', { key });
    assert.deepEqual(list.body.data, {
      uploads: { edges: [{ node: { id: record['id'], status: 'SUCCEEDED' } }], pageInfo: { hasNextPage: true } },
    });
    const succeeded = await server.graphql('{ uploads(first: 10, status: FAILED) { edges { node { id } } } }', { key });
    assert.deepEqual(succeeded.body.data, { uploads: { edges: [] } });
  });

  it('returns the stored record for a repeat of a SUCCEEDED id without uploading again', async () => {
    const id = randomUUID();
    const media = randomBytes(100_000);
    const send = () =>
      sendMediaUpload({
        url: server.url,
        key,
        filename: 'repeat.mp4',
        content: media,
        input: { id },
      }).answer;
    const first = (await send()).body.data?.['uploadMedia'] as Record<string, unknown>;
    assert.equal(first['status'], 'SUCCEEDED');
    const applies = server.emulator.state.count('vod.ApplyUpload');
    const second = (await send()).body.data?.['uploadMedia'] as Record<string, unknown>;
    assert.equal(second['fileId'], first['fileId']);
    assert.equal(second['updatedAt'], first['updatedAt']);
    assert.equal(server.emulator.state.count('vod.ApplyUpload'), applies, 'nothing was uploaded again');
  });

  it('uploads an HLS manifest with its segments, keeping their layout', async () => {
    const master = Buffer.from('#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=800000\nlow/index.m3u8\n');
    const variant = Buffer.from('#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:4,\nseg0.ts\n#EXTINF:4,\nseg1.ts\n#EXT-X-ENDLIST\n');
    const seg0 = randomBytes(1500 * 1024);
    const seg1 = randomBytes(700 * 1024);
    const { answer } = sendMultipart({
      url: server.url,
      key,
      query: UPLOAD_MUTATION,
      variables: {
        input: {
          media: null,
          segments: [
            { path: 'low/index.m3u8', file: null },
            { path: 'low/seg0.ts', file: null },
            { path: 'low/seg1.ts', file: null },
          ],
        },
      },
      map: {
        m: ['variables.input.media'],
        v: ['variables.input.segments.0.file'],
        s0: ['variables.input.segments.1.file'],
        s1: ['variables.input.segments.2.file'],
      },
      files: [
        { field: 'm', filename: 'master.m3u8', content: master },
        { field: 'v', filename: 'index.m3u8', content: variant },
        { field: 's0', filename: 'seg0.ts', content: seg0 },
        { field: 's1', filename: 'seg1.ts', content: seg1 },
      ],
    });
    const { body } = await answer;
    const record = body.data?.['uploadMedia'] as Record<string, unknown>;
    assert.equal(record['status'], 'SUCCEEDED', JSON.stringify(body.errors));
    assert.equal(record['mediaType'], 'm3u8');
    const files = record['files'] as Array<{ role: string; path: string; sha256: string }>;
    assert.deepEqual(
      files.map((file) => [file.role, file.path]),
      [
        ['MEDIA', 'master.m3u8'],
        ['SEGMENT', 'low/index.m3u8'],
        ['SEGMENT', 'low/seg0.ts'],
        ['SEGMENT', 'low/seg1.ts'],
      ],
    );
    const mediaUrl = String(record['mediaUrl']);
    const base = mediaUrl.slice(0, mediaUrl.lastIndexOf('/') + 1);
    assert.equal(sha256(await download(`${base}low/seg0.ts`)), sha256(seg0));
    assert.equal(sha256(await download(`${base}low/index.m3u8`)), sha256(variant));
  });

  it('survives storage faults on parts (500s and a reset): retried, stored bytes equal sent bytes, retries counted', async () => {
    const media = randomBytes(6 * 1024 * 1024 + 5);
    server.emulator.faults.set({ failPartNumbers: [2, 4], failStatus: 500, failTimes: 2, resetPartNumbers: [3], resetTimes: 1 });
    try {
      const { answer } = sendMediaUpload({
        url: server.url,
        key,
        filename: 'faulty.mp4',
        content: media,
      });
      const { body } = await answer;
      const record = body.data?.['uploadMedia'] as Record<string, unknown>;
      assert.equal(record['status'], 'SUCCEEDED', JSON.stringify(body.errors));
      assert.equal(sha256(await download(String(record['mediaUrl']))), sha256(media));
      assert.equal((record['files'] as Array<{ sha256: string }>)[0]?.sha256, sha256(media));
    } finally {
      server.emulator.faults.clear();
    }
    assert.ok(server.emulator.state.count('fault.partFailure') >= 2 && server.emulator.state.count('fault.reset') >= 1);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const retries = Number(/^vod_ingest_part_retries_total (\d+)/m.exec(metrics)?.[1]);
    assert.ok(retries >= 3, `part retries counted: ${retries}`);
  });
});
