// The statements of a small upload's hot path (claim, session with its objects, COMMITTING with
// the stored files, the one-round-trip success) on a real Postgres: what they write equals what the
// general path writes, hostile values go in as data, and a move the state machine forbids is refused.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { SecretSeal } from '../../src/auth/secret-seal.ts';
import { UploadRepository } from '../../src/db/upload-repository.ts';
import { UploadWriter, type NewUploadFields } from '../../src/db/upload-writer.ts';
import { isVodError } from '../../src/errors/vod-error.ts';
import { openTestDatabase, type TestDatabase } from '../support/database.ts';

let database: TestDatabase;
let writer: UploadWriter;
let reader: UploadRepository;
let tenantId: string;
before(async () => {
  database = await openTestDatabase('hot-path');
  writer = new UploadWriter(database.db, SecretSeal.derivedFrom('hot-path'));
  reader = new UploadRepository(database.db.prisma);
  tenantId = (await database.db.prisma.tenant.create({ data: { name: `hot-path-${randomUUID()}` } })).id;
});
after(async () => {
  await database?.dispose();
});

const HOSTILE = `it's a "quote" \\ back\\slash'); DROP TABLE uploads; -- ${'\u00e9\u4e2d'}`;

function fields(overrides: Partial<NewUploadFields> = {}): NewUploadFields {
  return {
    region: 'ap-guangzhou',
    mediaName: HOSTILE,
    mediaType: 'mp4',
    coverType: 'jpg',
    procedure: null,
    subAppId: 1500000001,
    classId: 7,
    storageRegion: 'ap-chongqing',
    expireTime: new Date('2031-01-02T03:04:05.678Z'),
    sourceContext: HOSTILE.slice(0, 40),
    concurrency: 3,
    mediaSizeHint: 2 ** 40,
    bytesTotal: 2 ** 40,
    ...overrides,
  };
}

const session = {
  vodSessionKey: `session ${HOSTILE}`,
  storageBucket: 'bucket-1250000000',
  bucketRegion: 'ap-guangzhou',
  requestId: 'apply-request',
  mediaStoragePath: '/a/b/media.mp4',
  coverStoragePath: '/a/b/cover.jpg',
  sessionCredentials: { secretId: 'tmp-id', secretKey: 'tmp-secret', token: 'tmp-token', expiresAt: new Date(Date.now() + 3_600_000) },
};

describe('the hot path statements', () => {
  it('write a whole upload as the general path would, hostile strings as plain data', async () => {
    const key = { tenantId, id: randomUUID() };
    const claim = await writer.claim(key, fields(), 'instance-1');
    assert.equal(claim.kind, 'claimed');
    const read = await reader.find(tenantId, key.id);
    assert.deepEqual(claim.kind === 'claimed' ? claim.record : undefined, read, 'the claim answers the record as written');
    assert.equal(read?.mediaName, HOSTILE);
    assert.equal(read?.bytesTotal, 2 ** 40);

    await writer.markApplied(key, session, [
      { role: 'MEDIA', path: HOSTILE, storageKey: 'a/b/media.mp4' },
      { role: 'COVER', path: 'c.jpg', storageKey: 'a/b/cover.jpg' },
      { role: 'MEDIA', path: HOSTILE, storageKey: 'a/b/media.mp4' },
    ]);
    const starting = await database.db.prisma.storedFile.findMany({ where: { uploadId: key.id }, orderBy: { createdAt: 'asc' } });
    assert.deepEqual(
      starting.map((file) => [file.role, file.path, file.storageKey, file.storedAt]),
      [
        ['MEDIA', HOSTILE, 'a/b/media.mp4', null],
        ['COVER', 'c.jpg', 'a/b/cover.jpg', null],
      ],
      'every object is recorded as starting (once) before anything is written',
    );
    const applied = await database.db.prisma.upload.findUniqueOrThrow({ where: { tenantId_id: key } });
    assert.equal(applied.status, 'UPLOADING');
    assert.equal(applied.vodSessionKey, session.vodSessionKey);
    assert.ok(applied.sessionCredentialSealed !== null && !applied.sessionCredentialSealed.includes('tmp-secret'), 'the temporary key is sealed');

    await writer.markCommitting(key, { bytesReceived: 11, bytesUploaded: 11, bytesTotal: 11 }, [
      { role: 'MEDIA', path: HOSTILE, storageKey: 'a/b/media.mp4', bytes: 10, sha256: 'a'.repeat(64) },
      { role: 'COVER', path: 'c.jpg', storageKey: 'a/b/cover.jpg', bytes: 1, sha256: 'b'.repeat(64) },
    ]);
    const fileId = `5285890${HOSTILE}`;
    const record = await writer.markSucceeded(key, {
      fileId,
      mediaUrl: `http://vod/${HOSTILE}`,
      coverUrl: null,
      requestId: HOSTILE,
      counters: { bytesReceived: 11, bytesUploaded: 11, bytesTotal: 11 },
    });
    assert.deepEqual(record, await reader.find(tenantId, key.id), 'the success answers the record as committed');
    assert.equal(record.status, 'SUCCEEDED');
    assert.equal(record.fileId, fileId);
    assert.equal(record.requestId, HOSTILE);
    assert.equal(record.processing.status, 'NONE', 'no task flow: nothing queued');
    assert.deepEqual(
      record.files.map((file) => [file.role, file.path, file.bytes]),
      [
        ['MEDIA', HOSTILE, 10],
        ['COVER', 'c.jpg', 1],
      ],
    );
    const after = await database.db.prisma.upload.findUniqueOrThrow({ where: { tenantId_id: key } });
    assert.equal(after.sessionCredentialSealed, null, 'a finished upload keeps no key');
    assert.ok(after.finishedAt !== null);
    assert.equal((await database.db.prisma.upload.count()) > 0, true, 'the tables are all still there');

    assert.equal((await writer.claim(key, fields(), 'instance-2')).kind, 'succeeded-before', 'a repeat of a finished id');
  });

  it('queues processing when a task flow was asked for', async () => {
    const key = { tenantId, id: randomUUID() };
    await writer.claim(key, fields({ procedure: 'flow' }), 'instance-1');
    await writer.markApplied(key, session, [{ role: 'MEDIA', path: 'm.mp4', storageKey: 'a/b/media.mp4' }]);
    await writer.markCommitting(key, { bytesReceived: 1, bytesUploaded: 1, bytesTotal: 1 });
    const record = await writer.markSucceeded(key, { fileId: `f-${randomUUID()}`, mediaUrl: 'http://vod/m.mp4', coverUrl: null, requestId: 'r', counters: { bytesReceived: 1, bytesUploaded: 1 } });
    assert.equal(record.processing.status, 'QUEUED');
  });

  it('writes the upload.succeeded deliveries and their queue jobs with the success, for the endpoints subscribed', async () => {
    const tenant = (await database.db.prisma.tenant.create({ data: { name: `hot-path-hooks-${randomUUID()}` } })).id;
    const endpoint = (extra: { events: Array<'UPLOAD_SUCCEEDED' | 'UPLOAD_FAILED'>; enabled?: boolean }) =>
      database.db.prisma.webhookEndpoint.create({ data: { tenantId: tenant, url: 'https://hooks.example/x', secretSealed: 'sealed', ...extra } });
    const subscribed = [await endpoint({ events: ['UPLOAD_SUCCEEDED'] }), await endpoint({ events: ['UPLOAD_FAILED', 'UPLOAD_SUCCEEDED'] })];
    await endpoint({ events: ['UPLOAD_FAILED'] });
    await endpoint({ events: ['UPLOAD_SUCCEEDED'], enabled: false });
    const succeed = async (procedure: string | null) => {
      const key = { tenantId: tenant, id: randomUUID() };
      await writer.claim(key, fields({ procedure }), 'instance-1');
      await writer.markApplied(key, session, [{ role: 'MEDIA', path: HOSTILE, storageKey: 'a/b/media.mp4' }]);
      await writer.markCommitting(key, { bytesReceived: 5, bytesUploaded: 5, bytesTotal: 5 }, [
        { role: 'MEDIA', path: HOSTILE, storageKey: 'a/b/media.mp4', bytes: 5, sha256: 'd'.repeat(64) },
      ]);
      const record = await writer.markSucceeded(key, { fileId: `f-${randomUUID()}`, mediaUrl: 'http://vod/m.mp4', coverUrl: null, requestId: 'r', counters: { bytesReceived: 5, bytesUploaded: 5 } });
      return { key, record };
    };
    // The first success finds the endpoints; the second goes straight to the path with deliveries.
    for (const procedure of [null, 'flow']) {
      const { key, record } = await succeed(procedure);
      assert.deepEqual(record, await reader.find(tenant, key.id));
      const deliveries = await database.db.prisma.webhookDelivery.findMany({ where: { uploadId: key.id }, orderBy: { createdAt: 'asc' } });
      assert.deepEqual(new Set(deliveries.map((delivery) => delivery.endpointId)), new Set(subscribed.map((e) => e.id)), 'one per enabled, subscribed endpoint');
      for (const delivery of deliveries) {
        assert.equal(delivery.eventType, 'UPLOAD_SUCCEEDED');
        assert.equal(delivery.status, 'PENDING');
        assert.match(delivery.messageId, /^msg_[0-9a-f]{32}$/);
        const body = delivery.payload as { type: string; data: { id: string; status: string; processing: { status: string }; files: Array<{ path: string }> } };
        assert.equal(body.type, 'upload.succeeded');
        assert.equal(body.data.id, key.id);
        assert.equal(body.data.status, 'SUCCEEDED');
        assert.equal(body.data.processing.status, procedure === null ? 'NONE' : 'QUEUED', 'the payload is the record as committed');
        assert.deepEqual(body.data.files.map((file) => file.path), [HOSTILE]);
      }
      const { pgbossSchema } = await database.db.prisma.webhookQueue.findUniqueOrThrow({ where: { id: 1 } });
      const jobs = await database.db.pool.query<{ delivery: string; attempt: number }>(
        `SELECT data->>'deliveryId' AS delivery, (data->>'attempt')::int AS attempt FROM "${pgbossSchema}".job WHERE data->>'deliveryId' = ANY($1::text[])`,
        [deliveries.map((delivery) => delivery.id)],
      );
      assert.deepEqual(jobs.rows.map((job) => [job.delivery, job.attempt]).sort(), deliveries.map((delivery) => [delivery.id, 1]).sort(), 'a queue job per delivery');
    }
    // Endpoints gone: the success goes through with none.
    await database.db.prisma.webhookEndpoint.deleteMany({ where: { tenantId: tenant } });
    const { key } = await succeed(null);
    assert.equal(await database.db.prisma.webhookDelivery.count({ where: { uploadId: key.id } }), 0);
  });

  it('refuses moves the state machine forbids, and an id in flight', async () => {
    const key = { tenantId, id: randomUUID() };
    await writer.claim(key, fields(), 'instance-1');
    await assert.rejects(writer.claim(key, fields(), 'instance-2'), (error) => isVodError(error) && /already in progress/.test(error.message));
    // PENDING cannot commit: nothing is written, the files with it neither.
    await assert.rejects(
      writer.markCommitting(key, { bytesReceived: 1, bytesUploaded: 1 }, [{ role: 'MEDIA', path: 'm.mp4', storageKey: 'k', bytes: 1, sha256: 'c'.repeat(64) }]),
      (error) => isVodError(error) && error.code === 'InternalError',
    );
    assert.equal(await database.db.prisma.storedFile.count({ where: { uploadId: key.id } }), 0);
    await writer.markEnded(key, 'FAILED', { code: 'InternalError', message: 'x' });
    // A failed upload cannot succeed, by either path.
    await assert.rejects(
      writer.markSucceeded(key, { fileId: `f-${randomUUID()}`, mediaUrl: 'http://vod/m.mp4', coverUrl: null, requestId: 'r', counters: { bytesReceived: 1, bytesUploaded: 1 } }),
      (error) => isVodError(error) && error.code === 'InternalError',
    );
    assert.equal((await reader.find(tenantId, key.id))?.status, 'FAILED');
    // A FAILED id may be sent again: the claim takes it over, from nothing.
    const again = await writer.claim(key, fields({ mediaName: 'again' }), 'instance-3');
    assert.equal(again.kind === 'claimed' ? again.record.status : undefined, 'PENDING');
    assert.equal(again.kind === 'claimed' ? again.record.mediaName : undefined, 'again');
  });
});
