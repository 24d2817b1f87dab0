import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { cosClient, rejection, startTestEmulator, vodClient, type TestEmulator } from './helpers.ts';

describe('emulator: VOD parameter errors (seed error codes)', () => {
  let t: TestEmulator;
  let clockOffsetMs = 0;
  before(async () => {
    // A movable clock: within the ±5 min signature window it can expire sessions without waiting.
    t = await startTestEmulator({ sessionTtlSeconds: 100, subAppIds: [1500000001, 101], now: () => Date.now() + clockOffsetMs });
  });
  after(async () => {
    await t.stop();
  });

  const code = async (fn: () => Promise<unknown>): Promise<unknown> => (await rejection(fn))['code'];

  it('unknown media type → InvalidParameterValue.MediaType; types are case-insensitive', async () => {
    const vod = vodClient(t.emulator);
    assert.equal(await code(() => vod.ApplyUpload({ MediaType: 'exe' })), 'InvalidParameterValue.MediaType');
    assert.equal(await code(() => vod.ApplyUpload({ MediaType: 'png' })), 'InvalidParameterValue.MediaType');
    for (const MediaType of ['MP4', 'm3u8', 'Mpd', 'flac', 'webm']) assert.ok((await vod.ApplyUpload({ MediaType })).VodSessionKey);
  });

  it('unknown cover type → InvalidParameterValue.CoverType', async () => {
    const vod = vodClient(t.emulator);
    assert.equal(await code(() => vod.ApplyUpload({ MediaType: 'mp4', CoverType: 'mp4' })), 'InvalidParameterValue.CoverType');
    assert.ok((await vod.ApplyUpload({ MediaType: 'mp4', CoverType: 'JPEG' })).CoverStoragePath);
  });

  it('ModifyMediaInfo: FileId required, unknown file → ResourceNotFound, CoverData not base64 → InvalidParameter, not jpeg/png/gif → InvalidParameterValue.CoverType', async () => {
    const vod = vodClient(t.emulator);
    const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');
    const applied = await vod.ApplyUpload({ MediaType: 'mp4', SubAppId: 101 });
    const cos = cosClient(t.emulator, applied.TempCertificate ?? {});
    await cos.putObject({ Bucket: applied.StorageBucket ?? '', Region: applied.StorageRegion ?? '', Key: (applied.MediaStoragePath ?? '').slice(1), Body: Buffer.from('media') });
    const { FileId } = await vod.CommitUpload({ VodSessionKey: applied.VodSessionKey ?? '', SubAppId: 101 });
    const FileIdOk = FileId ?? '';
    assert.equal(await code(() => vod.ModifyMediaInfo({ FileId: '', CoverData: png.toString('base64') })), 'MissingParameter');
    assert.equal(await code(() => vod.ModifyMediaInfo({ FileId: '123', CoverData: png.toString('base64') })), 'ResourceNotFound');
    // A file of another sub-application is not found under this one.
    assert.equal(await code(() => vod.ModifyMediaInfo({ FileId: FileIdOk, CoverData: png.toString('base64') })), 'ResourceNotFound');
    assert.equal(await code(() => vod.ModifyMediaInfo({ FileId: FileIdOk, SubAppId: 42 })), 'InvalidParameterValue.SubAppId');
    assert.equal(await code(() => vod.ModifyMediaInfo({ FileId: FileIdOk, SubAppId: 101, CoverData: 'not base64!' })), 'InvalidParameter');
    const webp = Buffer.concat([Buffer.from('RIFF'), Buffer.from([0x24, 0x10, 0, 0]), Buffer.from('WEBPVP8 '), Buffer.alloc(64)]);
    assert.equal(await code(() => vod.ModifyMediaInfo({ FileId: FileIdOk, SubAppId: 101, CoverData: webp.toString('base64') })), 'InvalidParameterValue.CoverType');
    assert.equal(await code(() => vod.ModifyMediaInfo({ FileId: FileIdOk, SubAppId: 101, Name: 'x' })), 'UnknownParameter');
    const set = await vod.ModifyMediaInfo({ FileId: FileIdOk, SubAppId: 101, CoverData: png.toString('base64') });
    assert.match(set.CoverUrl ?? '', /\/cover\.png$/);
    assert.deepEqual(Buffer.from(await (await fetch(set.CoverUrl ?? '')).arrayBuffer()), png);
    assert.equal(t.emulator.state.mediaRecord(FileIdOk)?.coverUrl, set.CoverUrl);
  });

  it('unknown SubAppId → InvalidParameterValue.SubAppId (0 and the configured ids are fine)', async () => {
    const vod = vodClient(t.emulator);
    assert.equal(await code(() => vod.ApplyUpload({ MediaType: 'mp4', SubAppId: 42 })), 'InvalidParameterValue.SubAppId');
    assert.equal(await code(() => vod.CommitUpload({ VodSessionKey: 'x', SubAppId: 42 })), 'InvalidParameterValue.SubAppId');
    for (const SubAppId of [0, 101, 1500000001]) assert.ok((await vod.ApplyUpload({ MediaType: 'mp4', SubAppId })).VodSessionKey);
  });

  it('bad or past ExpireTime → InvalidParameter.ExpireTime', async () => {
    const vod = vodClient(t.emulator);
    for (const ExpireTime of ['2001-01-01T00:00:00Z', 'tomorrow', '2099-13-01T00:00:00Z', '2099-01-01']) {
      assert.equal(await code(() => vod.ApplyUpload({ MediaType: 'mp4', ExpireTime })), 'InvalidParameter.ExpireTime', ExpireTime);
    }
    assert.ok((await vod.ApplyUpload({ MediaType: 'mp4', ExpireTime: '2099-01-01T08:00:00+08:00' })).VodSessionKey);
  });

  it('SourceContext longer than 250 characters → InvalidParameterValue.SourceContext', async () => {
    const vod = vodClient(t.emulator);
    assert.equal(await code(() => vod.ApplyUpload({ MediaType: 'mp4', SourceContext: 'x'.repeat(251) })), 'InvalidParameterValue.SourceContext');
    assert.ok((await vod.ApplyUpload({ MediaType: 'mp4', SourceContext: 'x'.repeat(250) })).VodSessionKey);
  });

  it('commit before the media object exists → ResourceNotFound; the session stays usable', async () => {
    const { emulator } = t;
    const vod = vodClient(emulator);
    const apply = await vod.ApplyUpload({ MediaType: 'mp4' });
    assert.equal(await code(() => vod.CommitUpload({ VodSessionKey: apply.VodSessionKey! })), 'ResourceNotFound');
    await cosClient(emulator, apply.TempCertificate!).putObject({
      Bucket: apply.StorageBucket!, Region: apply.StorageRegion!, Key: apply.MediaStoragePath!.slice(1), Body: Buffer.from('abc'),
    });
    assert.ok((await vod.CommitUpload({ VodSessionKey: apply.VodSessionKey! })).FileId);
  });

  it('unknown, used, other-sub-app and expired session keys → InvalidParameterValue.VodSessionKey', async () => {
    const { emulator } = t;
    const vod = vodClient(emulator);
    assert.equal(await code(() => vod.CommitUpload({ VodSessionKey: 'no-such-session' })), 'InvalidParameterValue.VodSessionKey');

    const upload = async (SubAppId?: number): Promise<string> => {
      const apply = await vod.ApplyUpload({ MediaType: 'mp3', SubAppId });
      await cosClient(emulator, apply.TempCertificate!).putObject({
        Bucket: apply.StorageBucket!, Region: apply.StorageRegion!, Key: apply.MediaStoragePath!.slice(1), Body: Buffer.from('id3'),
      });
      return apply.VodSessionKey!;
    };
    const used = await upload(101);
    assert.equal(await code(() => vod.CommitUpload({ VodSessionKey: used })), 'InvalidParameterValue.VodSessionKey');
    await vod.CommitUpload({ VodSessionKey: used, SubAppId: 101 });
    assert.equal(await code(() => vod.CommitUpload({ VodSessionKey: used, SubAppId: 101 })), 'InvalidParameterValue.VodSessionKey');

    const expiring = await upload();
    clockOffsetMs = 150_000; // past the 100 s session lifetime, inside the 300 s signature window
    try {
      assert.equal(await code(() => vod.CommitUpload({ VodSessionKey: expiring })), 'InvalidParameterValue.VodSessionKey');
    } finally {
      clockOffsetMs = 0;
    }
  });

  it('an injected error answers the next matching call once', async () => {
    const { emulator } = t;
    const vod = vodClient(emulator);
    emulator.faults.failNextVod('InternalError', { action: 'CommitUpload' });
    assert.ok((await vod.ApplyUpload({ MediaType: 'mp4' })).VodSessionKey);
    assert.equal(await code(() => vod.CommitUpload({ VodSessionKey: 'whatever' })), 'InternalError');
    assert.equal(await code(() => vod.CommitUpload({ VodSessionKey: 'whatever' })), 'InvalidParameterValue.VodSessionKey');
    assert.equal(emulator.state.count('fault.vodError'), 1);
  });

  it('unknown parameters and missing MediaType are refused', async () => {
    const vod = vodClient(t.emulator);
    assert.equal(await code(() => vod.request('ApplyUpload', { MediaType: 'mp4', Bogus: 1 })), 'UnknownParameter');
    assert.equal(await code(() => vod.request('ApplyUpload', {})), 'MissingParameter');
  });
});
