// Reliability promise: "a failed upload leaves no object in storage". Real app, real emulator, real
// Postgres; failures injected through the emulator's fault controls.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import { StorageCleanupRepository } from '../../src/db/storage-cleanup-repository.ts';
import { VodError } from '../../src/errors/vod-error.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { createPipelineDependencies } from '../../src/runtime/pipeline-dependencies.ts';
import { StorageCleaner } from '../../src/uploads/storage-cleaner.ts';
import { sendMediaUpload, sendMultipart, UPLOAD_MUTATION, type MultipartAnswer } from '../support/multipart.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { payload } from './helpers.ts';

const MiB = 1024 * 1024;

let server: TestServer;
let key: string;
let tenantId: string;

before(async () => {
  server = await startTestServer('cleanup');
  ({ key, tenantId } = await server.app.apiKeys.createKey('cleanup'));
});
after(async () => {
  await server.dispose();
});
beforeEach(() => {
  server.emulator.faults.clear();
});

function errorCode(answer: MultipartAnswer): unknown {
  const [error] = answer.body.errors ?? [];
  assert.ok(error, `expected an error, got ${JSON.stringify(answer.body)}`);
  return error.extensions?.['code'];
}

/** Every object key in every bucket this file's uploads were given. */
async function allObjects(): Promise<string[]> {
  const rows = await server.database.db.prisma.upload.findMany({ where: { storageBucket: { not: null } }, select: { storageBucket: true } });
  const buckets = new Set(rows.map((row) => row.storageBucket!));
  assert.ok(buckets.size > 0);
  return [...buckets].flatMap((bucket) => server.emulator.state.objects(bucket).map((object) => `${bucket}/${object.key}`)).sort();
}

/** The keys the upload wrote (its stored_files rows), with the bucket it wrote them to. */
async function keysOf(id: string): Promise<{ bucket: string; keys: string[] }> {
  const { prisma } = server.database.db;
  const row = await prisma.upload.findUnique({ where: { tenantId_id: { tenantId, id } } });
  assert.ok(row?.storageBucket, 'the upload got a bucket');
  const files = await prisma.storedFile.findMany({ where: { tenantId, uploadId: id }, select: { storageKey: true } });
  return { bucket: row.storageBucket, keys: files.flatMap((file) => (file.storageKey === null ? [] : [file.storageKey])) };
}

describe('a failed upload leaves nothing in storage', () => {
  it('HLS failing after the manifest and a segment were stored: every stored object is deleted', async () => {
    const id = randomUUID();
    const manifest = '#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:4,\nseg0.ts\n#EXTINF:4,\nseg1.ts\n#EXT-X-ENDLIST\n';
    const segments = [
      { path: 'seg0.ts', data: payload(4000) },
      // Larger than a part: a multipart upload whose second part always fails.
      { path: 'seg1.ts', data: payload(2 * MiB + 100) },
    ];
    server.emulator.faults.set({ failPartNumbers: [2], failStatus: 503 });
    const { answer } = sendMultipart({
      url: server.url,
      key,
      query: UPLOAD_MUTATION,
      variables: { input: { id, media: null, segments: segments.map((segment) => ({ path: segment.path, file: null })) } },
      map: { m: ['variables.input.media'], ...Object.fromEntries(segments.map((_, i) => [`s${i}`, [`variables.input.segments.${i}.file`]])) },
      files: [
        { field: 'm', filename: 'index.m3u8', content: Buffer.from(manifest) },
        ...segments.map((segment, i) => ({ field: `s${i}`, filename: segment.path, content: segment.data })),
      ],
    });
    assert.equal(errorCode(await answer), 'InternalError');

    const { bucket, keys } = await keysOf(id);
    assert.equal(keys.length, 3, 'manifest and both segments were started');
    const record = await server.database.db.prisma.storedFile.findMany({ where: { tenantId, uploadId: id, storedAt: { not: null } } });
    assert.equal(record.length, 2, 'the manifest and the first segment had been stored before the failure');
    for (const storageKey of keys) assert.equal(server.emulator.state.object(bucket, storageKey), undefined, `${storageKey} deleted`);
    const prefix = keys[0]!.slice(0, keys[0]!.lastIndexOf('/') + 1);
    assert.deepEqual(server.emulator.state.objects(bucket, prefix), [], "the bucket holds no object under the upload's directory");
    assert.deepEqual(server.emulator.state.multipartUploads(bucket, prefix), []);
    assert.ok(server.emulator.state.count('cos.deleteObject') >= 2);
    assert.equal(await new StorageCleanupRepository(server.database.db.prisma, server.database.schema).pendingFor({ tenantId, id }), 0);
  });

  it('CommitUpload failing: the media and the cover are deleted', async () => {
    // A committed upload first: its objects must stay.
    const committed = await sendMediaUpload({ url: server.url, key, filename: 'committed.mp4', content: payload(2000) }).answer;
    assert.equal(committed.body.errors, undefined, JSON.stringify(committed.body.errors));
    const before = await allObjects();
    assert.ok(before.length > 0, 'the committed upload left objects to compare with');
    const id = randomUUID();
    server.emulator.faults.failNextVod('InternalError', { action: 'CommitUpload' });
    const { answer } = sendMultipart({
      url: server.url,
      key,
      query: UPLOAD_MUTATION,
      variables: { input: { id, media: null, cover: null } },
      map: { c: ['variables.input.cover'], m: ['variables.input.media'] },
      files: [
        { field: 'c', filename: 'cover.png', content: payload(3000) },
        { field: 'm', filename: 'clip.mp4', content: payload(3 * MiB) },
      ],
    });
    assert.equal(errorCode(await answer), 'InternalError');
    const { bucket, keys } = await keysOf(id);
    assert.equal(keys.length, 2);
    for (const storageKey of keys) assert.equal(server.emulator.state.object(bucket, storageKey), undefined, `${storageKey} deleted`);
    assert.deepEqual(await allObjects(), before, 'storage holds what it held before the upload');
    const row = await server.database.db.prisma.upload.findUnique({ where: { tenantId_id: { tenantId, id } } });
    assert.deepEqual([row?.status, row?.errorCode], ['FAILED', 'InternalError']);
  });

  it('a deletion that fails stays recorded and a later sweep removes it', async () => {
    const id = randomUUID();
    const { prisma } = server.database.db;
    const queue = new StorageCleanupRepository(prisma, server.database.schema);
    // A committed-looking object no media owns, queued as the end of a failed upload would queue it.
    const { emulator } = server;
    const real = createPipelineDependencies(
      { secretId: emulator.secretId, secretKey: emulator.secretKey, vodEndpoint: emulator.vodEndpoint, cosEndpoint: emulator.cosEndpoint },
      { partBytes: MiB, defaultConcurrency: 2 },
    );
    const uploaded = await sendMediaUpload({ url: server.url, key, filename: 'kept.mp4', content: payload(1000) }).answer;
    const bucket = (await prisma.upload.findFirstOrThrow({ where: { tenantId, storageBucket: { not: null } } })).storageBucket!;
    assert.equal(uploaded.body.errors, undefined);
    const storageKey = `orphans/${id}/media.mp4`;
    const store = real.openObjectStore({ bucket, region: emulator.region, credentials: real.fallbackCredentials });
    await store.putObject({ key: storageKey, body: payload(500) });
    await prisma.storageCleanup.create({ data: { tenantId, uploadId: id, bucket, bucketRegion: emulator.region, storageKey } });

    let failDeletes = true;
    const flaky = {
      ...real,
      openObjectStore: (target: Parameters<typeof real.openObjectStore>[0]) => {
        const inner = real.openObjectStore(target);
        return {
          ...inner,
          bucket: inner.bucket,
          region: inner.region,
          deleteObject: (input: Parameters<typeof inner.deleteObject>[0]) =>
            failDeletes ? Promise.reject(new VodError('InternalError', 'storage is down')) : inner.deleteObject(input),
        };
      },
    };
    const cleaner = new StorageCleaner({ queue, pipeline: flaky, logger: createLogger('silent') });
    assert.deepEqual(await cleaner.run({ tenantId, id }), { removed: 0, failed: 1 });
    const kept = await prisma.storageCleanup.findFirstOrThrow({ where: { uploadId: id } });
    assert.equal(kept.attempts, 1);
    assert.match(kept.lastError ?? '', /storage is down/);
    assert.ok(kept.nextAttemptAt.getTime() > Date.now(), 'the next attempt is backed off');
    assert.deepEqual(await cleaner.run({ tenantId, id }), { removed: 0, failed: 0 }, 'not due yet: left alone');
    assert.ok(emulator.state.object(bucket, storageKey) !== undefined);

    failDeletes = false;
    await prisma.storageCleanup.updateMany({ where: { uploadId: id }, data: { nextAttemptAt: new Date(0) } });
    assert.deepEqual(await cleaner.run(), { removed: 1, failed: 0 });
    assert.equal(emulator.state.object(bucket, storageKey), undefined);
    assert.equal(await queue.pendingFor({ tenantId, id }), 0);
  });
});
