import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Prisma } from '../../src/generated/prisma/client.ts';
import { openTestDatabase, type TestDatabase } from '../support/database.ts';

/**
 * Proves prisma/schema.prisma and the migrated database agree: every scalar field of every model
 * is written with a non-default value and read back, and each table has exactly the columns the
 * model has. A field added to the Prisma schema without a migration (or the reverse) fails here.
 */
let database: TestDatabase;

before(async () => {
  database = await openTestDatabase('agree');
});
after(async () => {
  await database.dispose();
});

function selectAll(fields: Record<string, string>): Record<string, true> {
  return Object.fromEntries(Object.keys(fields).map((field) => [field, true]));
}

function assertCovers(fields: Record<string, string>, written: Record<string, unknown>, model: string): void {
  assert.deepEqual(Object.keys(written).sort(), Object.keys(fields).sort(), `the test writes every ${model} field`);
}

async function columnCount(table: string): Promise<number> {
  const { rows } = await database.db.pool.query<{ count: string }>(
    'SELECT count(*) FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2',
    [database.schema, table],
  );
  return Number(rows[0]?.count);
}

describe('Prisma schema and migrated database', () => {
  it('agree on every model and field', async () => {
    const { prisma } = database.db;
    const when = new Date('2030-01-02T03:04:05.678Z');

    const tenant = { id: randomUUID(), name: 'agreement', createdAt: when };
    assertCovers(Prisma.TenantScalarFieldEnum, tenant, 'Tenant');
    await prisma.tenant.create({ data: tenant });
    assert.deepEqual(await prisma.tenant.findUnique({ where: { id: tenant.id }, select: selectAll(Prisma.TenantScalarFieldEnum) }), tenant);

    const apiKey = {
      id: randomUUID(),
      tenantId: tenant.id,
      prefix: 'vodk_0000abcd',
      keyHash: 'f'.repeat(64),
      label: 'label',
      createdAt: when,
      lastUsedAt: when,
      revokedAt: when,
    };
    assertCovers(Prisma.ApiKeyScalarFieldEnum, apiKey, 'ApiKey');
    await prisma.apiKey.create({ data: apiKey });
    assert.deepEqual(await prisma.apiKey.findUnique({ where: { id: apiKey.id }, select: selectAll(Prisma.ApiKeyScalarFieldEnum) }), apiKey);

    const upload = {
      tenantId: tenant.id,
      id: randomUUID(),
      status: 'COMMITTING' as const,
      region: 'ap-guangzhou',
      mediaName: 'Wildlife',
      mediaType: 'mp4',
      coverType: 'png',
      procedure: 'QCVB_SimpleProcessFile(1, 1)',
      subAppId: 1500000001,
      classId: 3,
      storageRegion: 'ap-chongqing',
      expireTime: when,
      sourceContext: 'ctx',
      concurrency: 6,
      mediaSizeHint: 9_007_199_254_740_991n,
      bytesTotal: 6_000_000_000n,
      bytesReceived: 5_000_000_000n,
      bytesUploaded: 4_000_000_000n,
      fileId: '5285890780000000000',
      mediaUrl: 'http://example.invalid/m.mp4',
      coverUrl: 'http://example.invalid/c.png',
      requestId: randomUUID(),
      errorCode: 'InternalError',
      errorMessage: 'message',
      vodSessionKey: 'session',
      storageBucket: 'bucket-1250000000',
      bucketRegion: 'ap-chongqing',
      instanceId: 'instance-1',
      mediaStoragePath: '/a/b/f.mp4',
      coverStoragePath: '/a/b/c.png',
      resumableOffset: 9_000_000_000n,
      resumableUntil: when,
      sessionCredentialId: 'AKIDtmp0000',
      sessionCredentialSealed: 'v1.sealed',
      sessionCredentialExpiresAt: when,
      source: 'DIRECT' as const,
      processingStatus: 'FAILED' as const,
      processingTaskId: 'task-1',
      processingErrorCode: 'InternalError.Transcode',
      processingErrorMessage: 'bad source',
      processingOutputs: [{ kind: 'Transcode', definition: 100010, url: 'http://example.invalid/v.mp4', size: 1, width: 2, height: 3, bitrate: 4, container: 'mp4' }],
      processingStartedAt: when,
      processingFinishedAt: when,
      deletedAt: when,
      createdAt: when,
      updatedAt: when,
      finishedAt: when,
    };
    assertCovers(Prisma.UploadScalarFieldEnum, upload, 'Upload');
    await prisma.upload.create({ data: upload });
    const readUpload = await prisma.upload.findUnique({
      where: { tenantId_id: { tenantId: tenant.id, id: upload.id } },
      select: selectAll(Prisma.UploadScalarFieldEnum),
    });
    assert.deepEqual({ ...readUpload, updatedAt: when }, upload, 'updatedAt is set by Prisma on write; the rest round-trips');

    const storedFile = {
      id: randomUUID(),
      tenantId: tenant.id,
      uploadId: upload.id,
      role: 'SEGMENT' as const,
      path: 'gear1/fileSequence0.ts',
      storageKey: 'a/b/gear1/fileSequence0.ts',
      bytes: 5_000_000_000n,
      sha256: 'a'.repeat(64),
      crc64: '11051210869376104954',
      multipartUploadId: 'upload-id',
      multipartIntent: true,
      partsUploaded: 12,
      createdAt: when,
      storedAt: when,
    };
    assertCovers(Prisma.StoredFileScalarFieldEnum, storedFile, 'StoredFile');
    await prisma.storedFile.create({ data: storedFile });
    assert.deepEqual(
      await prisma.storedFile.findUnique({ where: { id: storedFile.id }, select: selectAll(Prisma.StoredFileScalarFieldEnum) }),
      storedFile,
    );

    const lease = { instanceId: 'host:4000:0a1b2c3d', startedAt: when, heartbeatAt: when, expiresAt: when };
    assertCovers(Prisma.InstanceLeaseScalarFieldEnum, lease, 'InstanceLease');
    await prisma.instanceLease.create({ data: lease });
    assert.deepEqual(
      await prisma.instanceLease.findUnique({ where: { instanceId: lease.instanceId }, select: selectAll(Prisma.InstanceLeaseScalarFieldEnum) }),
      lease,
    );

    const leftover = {
      id: 9_007_199_254_740_993n,
      tenantId: tenant.id,
      uploadId: upload.id,
      bucket: 'bucket-1250000000',
      bucketRegion: 'ap-chongqing',
      storageKey: 'a/b/media.mp4',
      multipartUploadId: 'upload-id',
      listMultipartUploads: true,
      attempts: 3,
      lastError: 'COS DeleteObject failed',
      nextAttemptAt: when,
      createdAt: when,
    };
    assertCovers(Prisma.StorageCleanupScalarFieldEnum, leftover, 'StorageCleanup');
    await prisma.storageCleanup.create({ data: leftover });
    assert.deepEqual(
      await prisma.storageCleanup.findUnique({ where: { id: leftover.id }, select: selectAll(Prisma.StorageCleanupScalarFieldEnum) }),
      leftover,
    );

    const vodEvent = {
      dedupeKey: 'ProcedureStateChanged:task-1:FINISH',
      eventType: 'ProcedureStateChanged',
      fileId: upload.fileId,
      subAppId: 1500000001,
      tenantId: tenant.id,
      uploadId: upload.id,
      payload: { EventType: 'ProcedureStateChanged', ProcedureStateChangeEvent: { TaskId: 'task-1' } },
      receivedAt: when,
      appliedAt: when,
    };
    assertCovers(Prisma.VodEventScalarFieldEnum, vodEvent, 'VodEvent');
    await prisma.vodEvent.create({ data: vodEvent });
    assert.deepEqual(await prisma.vodEvent.findUnique({ where: { dedupeKey: vodEvent.dedupeKey }, select: selectAll(Prisma.VodEventScalarFieldEnum) }), vodEvent);
    assert.equal(await columnCount('vod_events'), Object.keys(Prisma.VodEventScalarFieldEnum).length);

    assert.equal(await columnCount('instance_leases'), Object.keys(Prisma.InstanceLeaseScalarFieldEnum).length);
    assert.equal(await columnCount('storage_cleanup'), Object.keys(Prisma.StorageCleanupScalarFieldEnum).length);
    const part = {
      tenantId: tenant.id,
      uploadId: upload.id,
      partNumber: 10_000,
      etag: '"etag"',
      bytes: 5_000_000_000n,
      endOffset: 9_000_000_000n,
      crc64: '11051210869376104954',
      createdAt: when,
    };
    assertCovers(Prisma.UploadPartScalarFieldEnum, part, 'UploadPart');
    await prisma.uploadPart.create({ data: part });
    assert.deepEqual(
      await prisma.uploadPart.findFirst({ where: { uploadId: upload.id }, select: selectAll(Prisma.UploadPartScalarFieldEnum) }),
      part,
    );
    assert.equal(await columnCount('upload_parts'), Object.keys(Prisma.UploadPartScalarFieldEnum).length);

    const endpoint = {
      id: randomUUID(),
      tenantId: tenant.id,
      url: 'https://hooks.example.com/vod',
      events: ['UPLOAD_SUCCEEDED' as const, 'MEDIA_DELETED' as const],
      enabled: false,
      secretSealed: 'v1.sealed',
      previousSecretSealed: 'v1.previous',
      previousSecretExpiresAt: when,
      disabledReason: 'the receiver answered 410 Gone',
      createdAt: when,
      updatedAt: when,
    };
    assertCovers(Prisma.WebhookEndpointScalarFieldEnum, endpoint, 'WebhookEndpoint');
    await prisma.webhookEndpoint.create({ data: endpoint });
    const readEndpoint = await prisma.webhookEndpoint.findUnique({ where: { id: endpoint.id }, select: selectAll(Prisma.WebhookEndpointScalarFieldEnum) });
    assert.deepEqual({ ...readEndpoint, updatedAt: when }, endpoint);
    const delivery = {
      id: randomUUID(),
      endpointId: endpoint.id,
      tenantId: tenant.id,
      uploadId: upload.id,
      eventType: 'PROCESSING_FAILED' as const,
      messageId: 'msg_agreement',
      payload: { type: 'processing.failed', data: { id: upload.id } },
      status: 'FAILED' as const,
      attempts: 8,
      lastStatusCode: 503,
      lastError: 'HTTP 503',
      nextAttemptAt: when,
      createdAt: when,
      deliveredAt: when,
    };
    assertCovers(Prisma.WebhookDeliveryScalarFieldEnum, delivery, 'WebhookDelivery');
    await prisma.webhookDelivery.create({ data: delivery });
    assert.deepEqual(await prisma.webhookDelivery.findUnique({ where: { id: delivery.id }, select: selectAll(Prisma.WebhookDeliveryScalarFieldEnum) }), delivery);
    const attempt = { id: 9_007_199_254_740_993n, deliveryId: delivery.id, number: 8, statusCode: 503, error: 'HTTP 503', durationMs: 1234, attemptedAt: when };
    assertCovers(Prisma.WebhookAttemptScalarFieldEnum, attempt, 'WebhookAttempt');
    await prisma.webhookAttempt.create({ data: attempt });
    assert.deepEqual(await prisma.webhookAttempt.findUnique({ where: { id: attempt.id }, select: selectAll(Prisma.WebhookAttemptScalarFieldEnum) }), attempt);
    const queue = { id: 1, pgbossSchema: `${database.schema}_pgboss` };
    assertCovers(Prisma.WebhookQueueScalarFieldEnum, queue, 'WebhookQueue');
    assert.deepEqual(await prisma.webhookQueue.findUnique({ where: { id: 1 }, select: selectAll(Prisma.WebhookQueueScalarFieldEnum) }), queue, 'the migration names the queue schema');
    for (const [table, fields] of [
      ['webhook_endpoints', Prisma.WebhookEndpointScalarFieldEnum],
      ['webhook_deliveries', Prisma.WebhookDeliveryScalarFieldEnum],
      ['webhook_attempts', Prisma.WebhookAttemptScalarFieldEnum],
      ['webhook_queue', Prisma.WebhookQueueScalarFieldEnum],
    ] as const) {
      assert.equal(await columnCount(table), Object.keys(fields).length, table);
    }

    assert.equal(await columnCount('tenants'), Object.keys(Prisma.TenantScalarFieldEnum).length);
    assert.equal(await columnCount('api_keys'), Object.keys(Prisma.ApiKeyScalarFieldEnum).length);
    assert.equal(await columnCount('uploads'), Object.keys(Prisma.UploadScalarFieldEnum).length);
    assert.equal(await columnCount('stored_files'), Object.keys(Prisma.StoredFileScalarFieldEnum).length);
  });

  it('enforces the relations and uniqueness the schema declares', async () => {
    const { prisma } = database.db;
    await assert.rejects(
      prisma.upload.create({
        data: { tenantId: randomUUID(), id: randomUUID(), region: 'r', mediaName: 'n', mediaType: 'mp4' },
      }),
      'an upload needs an existing tenant',
    );
    await assert.rejects(prisma.tenant.create({ data: { name: 'agreement' } }), 'tenant names are unique');
  });
});
