import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { Crc64 } from '../../src/checksums/crc64.ts';
import { isVodError } from '../../src/errors/vod-error.ts';
import type { PipelineDependencies } from '../../src/pipeline/upload-pipeline.ts';

/** A VOD backend the ports are checked against: the emulator always, Tencent Cloud when configured. */
export interface ContractBackend {
  readonly name: string;
  readonly region: string;
  /** A sub-application id the backend knows (undefined: the primary application). */
  readonly subAppId?: number | undefined;
  deps(): PipelineDependencies;
}

const MiB = 1024 * 1024;
/** A real 1×1 PNG. */
const TINY_PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);
const crc64Of = (data: Buffer) => {
  const crc = new Crc64();
  crc.update(data);
  return crc.digest();
};

/**
 * The behaviour the pipeline relies on from its two ports, VodApi and ObjectStore, written once and
 * run against every backend: the proof that the emulator and the cloud are interchangeable.
 */
export function describeVodBackendContract(backend: ContractBackend): void {
  describe(`VodApi + ObjectStore contract: ${backend.name}`, () => {
    const apply = async (mediaType = 'mp4') => {
      const deps = backend.deps();
      const vod = deps.vodApiFor(backend.region);
      const session = await vod.applyUpload({ mediaType, mediaName: 'contract', subAppId: backend.subAppId });
      const store = deps.openObjectStore({
        bucket: session.storageBucket,
        region: session.storageRegion,
        credentials: session.tempCertificate ?? deps.fallbackCredentials,
      });
      return { vod, session, store, key: session.mediaStoragePath.replace(/^\//, '') };
    };

    it('applies, stores one object with its CRC-64 reported, and commits', async () => {
      const { vod, session, store, key } = await apply();
      assert.ok(session.vodSessionKey !== '' && session.requestId !== '');
      assert.match(session.storageBucket, /^[a-z\d-]+-\d+$/);
      const body = randomBytes(4096);
      const stored = await store.putObject({ key, body });
      assert.equal(stored.crc64, crc64Of(body));
      assert.match(stored.etag, /^"?[0-9a-f]{32}"?$/);
      const commit = await vod.commitUpload({ vodSessionKey: session.vodSessionKey, subAppId: backend.subAppId });
      assert.ok(commit.fileId !== '' && commit.mediaUrl !== '' && commit.requestId !== '');
    });

    it('completes a multipart upload from its listed parts, with the whole-object CRC-64', async () => {
      const { store, key } = await apply();
      const parts = [randomBytes(MiB), randomBytes(MiB), randomBytes(1000)];
      const { uploadId } = await store.createMultipartUpload({ key });
      const uploaded = [];
      for (const [index, body] of parts.entries()) uploaded.push(await store.uploadPart({ key, uploadId, partNumber: index + 1, body }));
      const listed = await store.listParts({ key, uploadId });
      assert.deepEqual(
        listed.map((part) => [part.partNumber, part.size]),
        parts.map((body, index) => [index + 1, body.length]),
      );
      const completed = await store.completeMultipartUpload({ key, uploadId, parts: uploaded });
      assert.equal(completed.crc64, crc64Of(Buffer.concat(parts)));
    });

    it('aborts a multipart upload, after which it is gone', async () => {
      const { store, key } = await apply();
      const { uploadId } = await store.createMultipartUpload({ key });
      await store.uploadPart({ key, uploadId, partNumber: 1, body: randomBytes(MiB) });
      await store.abortMultipartUpload({ key, uploadId });
      await assert.rejects(store.listParts({ key, uploadId }), (error: unknown) => isVodError(error));
    });

    it('deletes an object, after which storage no longer holds it; deleting it again succeeds', async () => {
      const { store, key } = await apply();
      await store.putObject({ key, body: randomBytes(2048) });
      await store.deleteObject({ key });
      // A multipart upload of the same key can be created and listed empty: the key is free, and
      // the object is gone (a fresh put gives a fresh object below).
      await store.deleteObject({ key });
      const { uploadId } = await store.createMultipartUpload({ key });
      assert.deepEqual(await store.listParts({ key, uploadId }), []);
      await store.abortMultipartUpload({ key, uploadId });
    });

    it('refuses a commit before the media exists with ResourceNotFound, and an unknown type with its code', async () => {
      const { vod, session } = await apply();
      await assert.rejects(vod.commitUpload({ vodSessionKey: session.vodSessionKey, subAppId: backend.subAppId }), (error: unknown) => {
        assert.ok(isVodError(error));
        assert.equal(error.code, 'ResourceNotFound');
        assert.ok(error.requestId !== undefined && error.requestId !== '');
        return true;
      });
      await assert.rejects(apply('definitely-not-a-type'), (error: unknown) => {
        assert.ok(isVodError(error));
        assert.equal(error.code, 'InvalidParameterValue.MediaType');
        return true;
      });
    });

    it('sets the cover of a committed file with ModifyMediaInfo, served at the CoverUrl it answers', async () => {
      const { vod, session, store, key } = await apply();
      await store.putObject({ key, body: randomBytes(4096) });
      const commit = await vod.commitUpload({ vodSessionKey: session.vodSessionKey, subAppId: backend.subAppId });
      const image = Buffer.concat([TINY_PNG, randomBytes(2048)]);
      const cover = await vod.setCover({ fileId: commit.fileId, subAppId: backend.subAppId, image });
      assert.match(cover.coverUrl, /^https?:\/\//);
      assert.ok(cover.requestId !== '');
      const served = await fetch(cover.coverUrl);
      assert.equal(served.status, 200);
      assert.deepEqual(Buffer.from(await served.arrayBuffer()), image);
    });

    it('refuses to set a cover on an unknown file with ResourceNotFound, and bytes that are no image with a coded error', async () => {
      await assert.rejects(
        backend.deps().vodApiFor(backend.region).setCover({ fileId: '5285890799999999999', subAppId: backend.subAppId, image: TINY_PNG }),
        (error: unknown) => {
          assert.ok(isVodError(error));
          assert.equal(error.code, 'ResourceNotFound');
          assert.ok(error.requestId !== undefined && error.requestId !== '');
          return true;
        },
      );
      const { vod, session, store, key } = await apply();
      await store.putObject({ key, body: randomBytes(4096) });
      const commit = await vod.commitUpload({ vodSessionKey: session.vodSessionKey, subAppId: backend.subAppId });
      await assert.rejects(vod.setCover({ fileId: commit.fileId, subAppId: backend.subAppId, image: randomBytes(3000) }), (error: unknown) => {
        assert.ok(isVodError(error));
        assert.ok(error.code.startsWith('InvalidParameter'), error.code);
        return true;
      });
    });

    it('lists what an HLS manifest references', async () => {
      const vod = backend.deps().vodApiFor(backend.region);
      const manifest = '#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:4,\na/seg0.ts\n#EXTINF:4,\na/seg1.ts\n#EXT-X-ENDLIST\n';
      const parsed = await vod.parseStreamingManifest({ content: manifest, manifestType: 'm3u8' });
      assert.deepEqual([...parsed.segments].sort(), ['a/seg0.ts', 'a/seg1.ts']);
      assert.ok(parsed.requestId !== '');
    });
  });
}
