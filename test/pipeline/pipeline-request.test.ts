import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { baseNameOf, extensionOf, normalizeUploadRequest } from '../../src/pipeline/upload-request.ts';

const now = new Date('2026-01-01T00:00:00Z');
const base = { region: 'ap-guangzhou', mediaFileName: 'Wild.life.MP4', hasCover: false };

describe('pipeline request rules', () => {
  it('derives type (lower-cased) and name (splitext) from the file name', () => {
    const request = normalizeUploadRequest(base, now);
    assert.equal(request.apply.mediaType, 'mp4');
    assert.equal(request.apply.mediaName, 'Wild.life');
    assert.equal(request.manifestType, undefined);
    assert.equal(extensionOf('.hidden'), undefined);
    assert.equal(extensionOf('noext'), undefined);
    assert.equal(baseNameOf('dir/Wildlife.mp4'), 'Wildlife');
  });

  it('keeps explicit fields and recognises manifests', () => {
    const request = normalizeUploadRequest(
      { ...base, mediaFileName: 'index.m3u8', mediaName: 'Show', procedure: 'P', subAppId: 101, classId: 3 },
      now,
    );
    assert.equal(request.manifestType, 'm3u8');
    assert.equal(request.apply.mediaName, 'Show');
    assert.equal(request.apply.subAppId, 101);
  });

  it('codes each violation', () => {
    const cases: [Partial<Parameters<typeof normalizeUploadRequest>[0]>, string][] = [
      [{ mediaFileName: 'noext' }, 'InvalidParameterValue.MediaType'],
      [{ hasCover: true, coverFileName: 'cover' }, 'InvalidParameterValue.CoverType'],
      [{ expireTime: 'tomorrow' }, 'InvalidParameter.ExpireTime'],
      [{ expireTime: '2025-01-01T00:00:00Z' }, 'InvalidParameter.ExpireTime'],
      [{ sourceContext: 'x'.repeat(251) }, 'InvalidParameter'],
      [{ subAppId: 0 }, 'InvalidParameterValue.SubAppId'],
      [{ subAppId: 1.5 }, 'InvalidParameterValue.SubAppId'],
      [{ classId: -1 }, 'InvalidParameter'],
      [{ concurrentUploadNumber: 65 }, 'InvalidParameter'],
      [{ concurrentUploadNumber: 0 }, 'InvalidParameter'],
      [{ region: ' ' }, 'InvalidParameter'],
    ];
    for (const [patch, code] of cases) {
      assert.throws(() => normalizeUploadRequest({ ...base, ...patch }, now), { code }, JSON.stringify(patch));
    }
  });

  it('accepts a future ISO 8601 expire time and 250 characters of context', () => {
    const request = normalizeUploadRequest(
      { ...base, expireTime: '2030-01-01T00:00:00+08:00', sourceContext: 'x'.repeat(250) },
      now,
    );
    assert.equal(request.apply.expireTime, '2030-01-01T00:00:00+08:00');
  });
});
