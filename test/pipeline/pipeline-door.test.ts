import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { VodUploadClient, VodUploadRequest, isVodError, type ErrorCode } from '../../src/index.ts';
import { MiB, patternBytes, sha256Of, startTestEmulator, storedSha256, type TestEmulator } from './support.ts';

const HLS_MASTER = `#EXTM3U
#EXT-X-STREAM-INF:BANDWIDTH=200000
gear1/prog_index.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=400000
gear2/prog_index.m3u8
`;
const variant = (segments: string[]): string =>
  `#EXTM3U\n#EXT-X-TARGETDURATION:10\n${segments.map((s) => `#EXTINF:10,\n${s}`).join('\n')}\n#EXT-X-ENDLIST\n`;
const DASH = `<?xml version="1.0"?>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" mediaPresentationDuration="PT4S" minBufferTime="PT2S">
  <Period><AdaptationSet mimeType="video/mp4">
    <Representation id="v1" bandwidth="100000"><SegmentList>
      <Initialization sourceURL="v1/init.mp4"/>
      <SegmentURL media="v1/seg1.m4s"/><SegmentURL media="v1/seg2.m4s"/>
    </SegmentList></Representation>
  </AdaptationSet></Period>
</MPD>
`;

describe('pipeline library door: the seed examples through VodUploadClient', () => {
  let test: TestEmulator;
  let dir: string;
  let client: VodUploadClient;
  const files: Record<string, Buffer> = {};

  const put = async (relative: string, data: Buffer | string): Promise<string> => {
    const full = path.join(dir, relative);
    await mkdir(path.dirname(full), { recursive: true });
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    await writeFile(full, bytes);
    files[relative] = bytes;
    return full;
  };
  const requestFor = (fields: Partial<VodUploadRequest>): VodUploadRequest => {
    const request = new VodUploadRequest();
    Object.assign(request, { MediaFilePath: path.join(dir, 'Wildlife.mp4'), ...fields });
    return request;
  };

  before(async () => {
    test = await startTestEmulator();
    dir = await mkdtemp(path.join(tmpdir(), 'vod-door-'));
    await put('Wildlife.mp4', patternBytes(2 * MiB + 100, 11));
    await put('Wild.life.mp4', patternBytes(1000, 12));
    await put('Wildlife-Cover.png', patternBytes(2000, 13));
    await put('hls/bipbop.m3u8', HLS_MASTER);
    await put('hls/gear1/prog_index.m3u8', variant(['fileSequence0.ts', 'fileSequence1.ts']));
    await put('hls/gear2/prog_index.m3u8', variant(['fileSequence0.ts', 'sub/fileSequence1.ts']));
    await put('hls/gear1/fileSequence0.ts', patternBytes(1500, 21));
    await put('hls/gear1/fileSequence1.ts', patternBytes(MiB + 1, 22));
    await put('hls/gear2/fileSequence0.ts', patternBytes(1700, 23));
    await put('hls/gear2/sub/fileSequence1.ts', patternBytes(1800, 24));
    await put('dash/stream.mpd', DASH);
    await put('dash/v1/init.mp4', patternBytes(900, 31));
    await put('dash/v1/seg1.m4s', patternBytes(4000, 32));
    await put('dash/v1/seg2.m4s', patternBytes(5000, 33));
    const { emulator } = test;
    client = new VodUploadClient(emulator.secretId, emulator.secretKey, undefined, {
      vodEndpoint: emulator.vodEndpoint,
      cosEndpoint: emulator.cosEndpoint,
      partBytes: MiB,
    });
  });
  after(async () => {
    await test.close();
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    test.emulator.faults.clear();
    test.emulator.state.resetCounters();
  });

  const recordOf = (fileId: string) => {
    const record = test.emulator.state.mediaRecord(fileId);
    assert.ok(record !== undefined, `no record for ${fileId}`);
    return record;
  };

  it('plain upload: type and name from the file name, bytes intact', async () => {
    const response = await client.upload('ap-guangzhou', requestFor({}));
    assert.ok(response.FileId && response.MediaUrl && response.RequestId);
    assert.equal(response.CoverUrl, '');
    const record = recordOf(response.FileId);
    assert.equal(record.mediaType, 'mp4');
    assert.equal(record.mediaName, 'Wildlife');
    assert.equal(record.region, 'ap-guangzhou');
    assert.equal(await storedSha256(test, record.bucket, record.mediaKey), sha256Of(files['Wildlife.mp4']!));
    assert.equal(test.emulator.state.count('cos.initiateMultipart'), 1);
  });

  it('media name keeps inner dots (splitext)', async () => {
    const response = await client.upload('ap-guangzhou', requestFor({ MediaFilePath: path.join(dir, 'Wild.life.mp4') }));
    assert.equal(recordOf(response.FileId).mediaName, 'Wild.life');
  });

  it('with a cover', async () => {
    const response = await client.upload('ap-guangzhou', requestFor({ CoverFilePath: path.join(dir, 'Wildlife-Cover.png') }));
    assert.ok(response.CoverUrl !== '');
    const record = recordOf(response.FileId);
    assert.equal(record.coverType, 'png');
    assert.ok(record.coverKey !== undefined);
    assert.equal(await storedSha256(test, record.bucket, record.coverKey), sha256Of(files['Wildlife-Cover.png']!));
  });

  it('with a cover file without extension: its magic bytes give the type, set after the commit', async () => {
    const png = Buffer.concat([
      Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64'),
      patternBytes(1000, 14),
    ]);
    const coverPath = await put('poster', png);
    const response = await client.upload('ap-guangzhou', requestFor({ CoverFilePath: coverPath }));
    const record = recordOf(response.FileId);
    assert.equal(record.coverType, 'png');
    assert.equal(response.CoverUrl, record.coverUrl);
    assert.equal(await storedSha256(test, record.bucket, record.coverKey ?? ''), sha256Of(png));
    assert.equal(test.emulator.state.count('vod.ModifyMediaInfo'), 1);
  });

  it('with a procedure, a sub-application, a storage region, a class and the contexts', async () => {
    const request = requestFor({
      Procedure: 'Your Procedure Name',
      SubAppId: 101,
      StorageRegion: 'ap-chongqing',
      ClassId: 3,
      SourceContext: 'source',
      SessionContext: 'session',
      ExpireTime: '2099-01-01T00:00:00Z',
      MediaName: 'Named',
    });
    const record = recordOf((await client.upload('ap-guangzhou', request)).FileId);
    assert.equal(record.procedure, 'Your Procedure Name');
    assert.equal(record.subAppId, 101);
    assert.equal(record.storageRegion, 'ap-chongqing');
    assert.equal(record.classId, 3);
    assert.equal(record.sourceContext, 'source');
    assert.equal(record.sessionContext, 'session');
    assert.equal(record.expireTime, '2099-01-01T00:00:00Z');
    assert.equal(record.mediaName, 'Named');
  });

  it('with ConcurrentUploadNumber', async () => {
    const response = await client.upload('ap-guangzhou', requestFor({ ConcurrentUploadNumber: 5, SubAppId: 1500000001 }));
    assert.equal(recordOf(response.FileId).subAppId, 1500000001);
    assert.equal(test.emulator.state.count('cos.uploadPart'), 3);
  });

  it('with temporary credentials (token)', async () => {
    const { emulator } = test;
    const temporary = await emulator.createTemporaryCredential();
    const tempClient = new VodUploadClient(temporary.secretId, temporary.secretKey, temporary.token, {
      vodEndpoint: emulator.vodEndpoint,
      cosEndpoint: emulator.cosEndpoint,
    });
    const response = await tempClient.upload('ap-guangzhou', requestFor({}));
    assert.equal(recordOf(response.FileId).mediaType, 'mp4');
    const withoutToken = new VodUploadClient(temporary.secretId, temporary.secretKey, undefined, {
      vodEndpoint: emulator.vodEndpoint,
      cosEndpoint: emulator.cosEndpoint,
    });
    await assert.rejects(withoutToken.upload('ap-guangzhou', requestFor({})), { code: 'AuthFailure' });
  });

  it('HLS: a master playlist with its variants and segments, layout preserved', async () => {
    const response = await client.upload('ap-guangzhou', requestFor({ MediaFilePath: path.join(dir, 'hls/bipbop.m3u8') }));
    const record = recordOf(response.FileId);
    assert.equal(record.mediaType, 'm3u8');
    const base = record.mediaKey.slice(0, record.mediaKey.lastIndexOf('/') + 1);
    const stored = new Map(record.objects.map((object) => [object.key, object]));
    for (const relative of [
      'gear1/prog_index.m3u8',
      'gear1/fileSequence0.ts',
      'gear1/fileSequence1.ts',
      'gear2/prog_index.m3u8',
      'gear2/fileSequence0.ts',
      'gear2/sub/fileSequence1.ts',
    ]) {
      assert.ok(stored.has(base + relative), `stored ${relative}`);
      assert.equal(await storedSha256(test, record.bucket, base + relative), sha256Of(files[`hls/${relative}`]!));
    }
    assert.equal(test.emulator.state.count('vod.ParseStreamingManifest'), 3);
  });

  it('DASH: the manifest with its init and media segments', async () => {
    const response = await client.upload('ap-guangzhou', requestFor({ MediaFilePath: path.join(dir, 'dash/stream.mpd') }));
    const record = recordOf(response.FileId);
    assert.equal(record.mediaType, 'mpd');
    const base = record.mediaKey.slice(0, record.mediaKey.lastIndexOf('/') + 1);
    for (const relative of ['v1/init.mp4', 'v1/seg1.m4s', 'v1/seg2.m4s']) {
      assert.equal(await storedSha256(test, record.bucket, base + relative), sha256Of(files[`dash/${relative}`]!));
    }
  });

  it('refuses a manifest whose segment is missing on disk, before ApplyUpload', async () => {
    await put('bad/index.m3u8', variant(['present.ts', 'absent.ts']));
    await put('bad/present.ts', 'x');
    await assert.rejects(client.upload('ap-guangzhou', requestFor({ MediaFilePath: path.join(dir, 'bad/index.m3u8') })), {
      code: 'InvalidParameter',
    });
    assert.equal(test.emulator.state.count('vod.ApplyUpload'), 0);
  });

  it('checks the request locally with the seed codes', async () => {
    const cases: [Partial<VodUploadRequest>, ErrorCode][] = [
      [{ MediaFilePath: '' }, 'InvalidParameter'],
      [{ MediaFilePath: path.join(dir, 'nope.mp4') }, 'InvalidParameter'],
      [{ ExpireTime: '2001-01-01T00:00:00Z' }, 'InvalidParameter.ExpireTime'],
      [{ SubAppId: -5 }, 'InvalidParameterValue.SubAppId'],
    ];
    for (const [fields, code] of cases) {
      await assert.rejects(client.upload('ap-guangzhou', requestFor(fields)), { code }, JSON.stringify(fields));
    }
    assert.equal(test.emulator.state.count('vod.ApplyUpload'), 0);
  });

  const seedCodes: { code: ErrorCode; action: 'ApplyUpload' | 'CommitUpload' }[] = [
    { code: 'InternalError', action: 'ApplyUpload' },
    { code: 'InvalidParameter.ExpireTime', action: 'ApplyUpload' },
    { code: 'InvalidParameterValue.CoverType', action: 'ApplyUpload' },
    { code: 'InvalidParameterValue.MediaType', action: 'ApplyUpload' },
    { code: 'InvalidParameterValue.SubAppId', action: 'ApplyUpload' },
    { code: 'InvalidParameterValue.VodSessionKey', action: 'CommitUpload' },
    { code: 'ResourceNotFound', action: 'CommitUpload' },
  ];
  for (const { code, action } of seedCodes) {
    it(`passes ${code} from ${action} through unchanged, with its RequestId, without retrying`, async () => {
      test.emulator.faults.failNextVod(code, { action });
      const error: unknown = await client.upload('ap-guangzhou', requestFor({})).then(
        () => assert.fail('expected a failure'),
        (failure: unknown) => failure,
      );
      assert.ok(isVodError(error));
      assert.equal(error.code, code);
      assert.ok(error.requestId !== undefined && error.requestId !== '', 'has a RequestId');
      assert.equal(test.emulator.state.count(`vod.${action}`), 1);
    });
  }

  it('maps other API codes to the nearest of ours and keeps the original in the message', async () => {
    test.emulator.faults.failNextVod('AuthFailure.UnauthorizedOperation', { action: 'ApplyUpload' });
    await assert.rejects(client.upload('ap-guangzhou', requestFor({})), (error: unknown) => {
      return isVodError(error) && error.code === 'AuthFailure' && /AuthFailure\.UnauthorizedOperation/.test(error.message);
    });
  });
});
