// Reliability promise: "a dead instance's uploads are swept by its peers (lease)". Two servers as
// real processes on one Postgres schema and one emulator; A is killed and never restarted.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { InterruptedUploadClaims } from '../../src/db/interrupted-upload-claims.ts';
import { PrismaClient } from '../../src/generated/prisma/client.ts';
import { interruptionOutcome } from '../../src/uploads/interruption.ts';
import { TEST_DATABASE_URL } from '../support/database.ts';
import { sendMediaUpload } from '../support/multipart.ts';
import { PROGRESS_SUBSCRIPTION, subscribeSse } from '../support/subscriptions.ts';
import { heldBytes, payload, waitFor } from './helpers.ts';
import { killProcess, openProcessFixture, waitForStoredParts, type ProcessFixture } from './server-process.ts';

const MiB = 1024 * 1024;
// Small, so the test waits seconds; the sweep is gated on the record's status, never on a clock.
// RESUME_TTL 0: the swept upload fails (with resuming on it would be PAUSED, see test/resume).
const LEASE = { LEASE_TTL: '2s', LEASE_HEARTBEAT: '400ms', RESUME_TTL: '0' };

let fixture: ProcessFixture;
before(async () => {
  fixture = await openProcessFixture('lease');
});
after(async () => {
  await fixture?.dispose();
});

describe('instance leases', () => {
  it('a peer sweeps the uploads of an instance killed mid-upload (never restarted); its own uploads go on', async () => {
    const { db, emulator, apiKey, tenantId } = fixture;
    const [a, b] = await Promise.all([fixture.start(LEASE), fixture.start(LEASE)]);
    const leases = await db.prisma.instanceLease.findMany();
    assert.equal(leases.length, 2, 'each process holds a lease of its own (unique instance ids)');

    const onA = randomUUID();
    const onB = randomUUID();
    const bodyA = heldBytes(payload(8 * MiB), { chunk: 64 * 1024, delayMs: 2, holdAfter: 3 * MiB });
    const dataB = payload(4 * MiB);
    const bodyB = heldBytes(dataB, { chunk: 64 * 1024, delayMs: 2, holdAfter: 2 * MiB });
    const answerA = sendMediaUpload({ url: a.url, key: apiKey, filename: 'on-a.mp4', content: bodyA.content, input: { id: onA } }).answer;
    const answerB = sendMediaUpload({ url: b.url, key: apiKey, filename: 'on-b.mp4', content: bodyB.content, input: { id: onB } }).answer;
    const openA = await waitForStoredParts(fixture, onA);
    await waitForStoredParts(fixture, onB);
    // Someone watches A's upload through B: the sweep must tell them.
    const watcher = subscribeSse(b.url, apiKey, PROGRESS_SUBSCRIPTION, { id: onA });
    await watcher.ready;

    assert.equal(await killProcess(a, 'SIGKILL'), null);
    await answerA.then(
      () => assert.fail('the client of a killed server gets no answer'),
      () => undefined,
    );

    const swept = await waitFor(
      "A's upload to be swept by B",
      async () => {
        const row = await db.prisma.upload.findUnique({ where: { tenantId_id: { tenantId, id: onA } } });
        return row?.status === 'FAILED' ? row : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    assert.equal(swept.errorCode, 'Interrupted');
    await waitFor('the multipart upload of A to be aborted', () => emulator.state.multipartUploads(openA.bucket, openA.key).length === 0);
    await waitFor('nothing of A left to clean up', async () => (await db.prisma.storageCleanup.count({ where: { uploadId: onA } })) === 0);
    assert.equal(emulator.state.object(openA.bucket, openA.key), undefined);
    await watcher.done;
    const last = watcher.events.at(-1)?.['uploadProgress'] as { status: string; error: { code: string } | null };
    assert.deepEqual([last.status, last.error?.code], ['FAILED', 'Interrupted'], 'the subscriber saw the terminal snapshot');
    // B logs the sweep once its storage cleanup is over, after the deletion seen above: the line
    // may still be on its way through the pipe.
    await waitFor('B to log the sweep', () => /recovered interrupted uploads/.test(b.output()));
    assert.match(b.output(), /recovered interrupted uploads/);

    // B's own upload was never touched: it finishes.
    const stillB = await db.prisma.upload.findUnique({ where: { tenantId_id: { tenantId, id: onB } } });
    assert.equal(stillB?.status, 'UPLOADING');
    bodyB.release();
    const resultB = await answerB;
    assert.equal(resultB.body.errors, undefined, JSON.stringify(resultB.body.errors));
    assert.equal((resultB.body.data?.['uploadMedia'] as { status: string }).status, 'SUCCEEDED');

    // The dead lease is forgotten once nothing of A is left; B's stays.
    await waitFor('the dead lease to be dropped', async () => (await db.prisma.instanceLease.count()) === 1);
    assert.equal(await killProcess(b, 'SIGTERM'), 0);
    assert.equal(await db.prisma.instanceLease.count(), 0, 'B released its lease on a clean stop');
    bodyA.release();
  });

  it('several sweepers at once end each orphaned upload exactly once', async () => {
    const { db, tenantId } = fixture;
    const dead = `dead-${randomUUID()}`;
    const ids = Array.from({ length: 40 }, () => randomUUID());
    await db.prisma.upload.createMany({
      data: ids.map((id) => ({ tenantId, id, region: 'ap-guangzhou', mediaName: 'orphan', mediaType: 'mp4', status: 'UPLOADING' as const, instanceId: dead })),
    });
    await db.prisma.instanceLease.create({ data: { instanceId: dead, expiresAt: new Date(Date.now() - 60_000) } });
    // Each sweeper on its own connection pool, as on separate instances.
    const url = new URL(TEST_DATABASE_URL);
    const sweepers = Array.from({ length: 4 }, (_, index) => {
      const pool = new pg.Pool({ connectionString: url.toString(), max: 2 });
      const prisma = new PrismaClient({ adapter: new PrismaPg(pool, { schema: db.schema }) });
      return { prisma, pool, claims: new InterruptedUploadClaims(prisma, db.schema), self: `sweeper-${index}` };
    });
    try {
      const ended = await Promise.all(
        sweepers.map(async ({ claims, self }) => {
          const mine: string[] = [];
          for (;;) {
            const batch = await claims.endBatch({ kind: 'expired', self, ttlMs: 2000 }, interruptionOutcome('instance-lost'));
            if (batch.length === 0) return mine;
            mine.push(...batch.map((key) => key.id));
          }
        }),
      );
      const all = ended.flat();
      assert.equal(all.length, ids.length, 'no upload ended twice');
      assert.deepEqual([...new Set(all)].sort(), [...ids].sort(), 'every orphan ended');
      const rows = await db.prisma.upload.findMany({ where: { id: { in: ids } }, select: { status: true, errorCode: true } });
      assert.ok(rows.every((row) => row.status === 'FAILED' && row.errorCode === 'Interrupted'));
    } finally {
      for (const sweeper of sweepers) {
        await sweeper.prisma.$disconnect();
        await sweeper.pool.end();
      }
    }
  });

  it("never sweeps a live instance's uploads", async () => {
    const { db, tenantId } = fixture;
    const alive = `alive-${randomUUID()}`;
    const id = randomUUID();
    await db.prisma.upload.create({
      data: { tenantId, id, region: 'ap-guangzhou', mediaName: 'alive', mediaType: 'mp4', status: 'UPLOADING', instanceId: alive },
    });
    await db.prisma.instanceLease.create({ data: { instanceId: alive, expiresAt: new Date(Date.now() + 600_000) } });
    const claims = new InterruptedUploadClaims(db.prisma, db.schema);
    assert.deepEqual(await claims.endBatch({ kind: 'expired', self: 'someone', ttlMs: 2000 }, interruptionOutcome('instance-lost')), []);
    const row = await db.prisma.upload.findUnique({ where: { tenantId_id: { tenantId, id } } });
    assert.equal(row?.status, 'UPLOADING');
  });
});
