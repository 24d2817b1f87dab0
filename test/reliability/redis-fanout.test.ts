// Two instances sharing Postgres, Redis and one emulator: progress of an upload running on A reaches
// a subscriber on B, and cancelUpload sent to B stops the upload running on A.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { PubSubConfig } from '../../src/config/config.ts';
import { startEmulator, type RunningEmulator } from '../../src/emulator/emulator.ts';
import { openTestDatabase, TEST_DATABASE_URL, type TestDatabase } from '../support/database.ts';
import { sendMultipart, slowBytes, UPLOAD_MUTATION } from '../support/multipart.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { PROGRESS_SUBSCRIPTION, subscribeSse, type SubscriptionResult } from '../support/subscriptions.ts';
import { heldBytes, payload, waitFor } from './helpers.ts';

const REDIS_URL = process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const PUBSUB: PubSubConfig = { mode: 'redis', url: REDIS_URL };
const MiB = 1024 * 1024;

let database: TestDatabase | undefined;
let emulator: RunningEmulator | undefined;
let emulatorDir: string | undefined;
let serverA: TestServer | undefined;
let serverB: TestServer | undefined;
let redis: Redis | undefined;
let apiKey: string;
let tenantId: string;
const subscriptions: SubscriptionResult[] = [];

before(async () => {
  database = await openTestDatabase('fanout');
  emulatorDir = await mkdtemp(path.join(os.tmpdir(), 'fanout-emu-'));
  emulator = await startEmulator({ port: 0, dataDir: emulatorDir });
  const shared = { database, emulator, pubsub: PUBSUB };
  serverA = await startTestServer('fanout-a', { ...shared, instanceId: 'fanout-a' });
  serverB = await startTestServer('fanout-b', { ...shared, instanceId: 'fanout-b' });
  redis = new Redis(REDIS_URL, { lazyConnect: false, maxRetriesPerRequest: 3 });
  const created = await serverA.app.apiKeys.createKey('fanout-tenant');
  apiKey = created.key;
  tenantId = created.tenantId;
});

after(async () => {
  for (const subscription of subscriptions) subscription.close();
  // A server started with a shared database and emulator leaves both alone at dispose: close them here.
  await serverA?.dispose();
  await serverB?.dispose();
  redis?.disconnect();
  await database?.dispose();
  await emulator?.close();
  if (emulatorDir !== undefined) await rm(emulatorDir, { recursive: true, force: true });
});

/** Subscribers on a pub/sub topic across every instance (graphql-yoga's channel name is `event:key`). */
async function redisSubscribers(channel: string): Promise<number> {
  const reply = (await redis!.call('PUBSUB', 'NUMSUB', channel)) as [string, number];
  return Number(reply[1]);
}

async function settled<T>(promise: Promise<T>, what: string, timeoutMs = 20_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

interface ProgressEvent {
  id: string;
  status: string;
  bytesReceived: number;
  bytesUploaded: number;
  bytesTotal: number | null;
  fileId: string | null;
  error: { code: string } | null;
}

describe('two instances sharing Redis and Postgres', () => {
  it('streams the progress of an upload on A to a subscriber on B, ending with SUCCEEDED', async () => {
    const a = serverA!;
    const b = serverB!;
    const id = randomUUID();
    const subscription = subscribeSse(b.url, apiKey, PROGRESS_SUBSCRIPTION, { id });
    subscriptions.push(subscription);
    // B has subscribed (through Redis) before the upload exists.
    await waitFor('B to subscribe in Redis', async () => (await redisSubscribers(`uploadProgress:${tenantId}:${id}`)) >= 1);

    const data = payload(4 * MiB + 12_345);
    const { answer } = sendMultipart({
      url: a.url,
      key: apiKey,
      query: UPLOAD_MUTATION,
      variables: { input: { id, media: null, mediaName: 'fanout' } },
      map: { '0': ['variables.input.media'] },
      files: [{ field: '0', filename: 'fanout.mp4', content: slowBytes(data, 64 * 1024, 15) }],
    });
    const result = await settled(answer, 'the upload on A');
    assert.equal(result.body.errors, undefined, JSON.stringify(result.body.errors));
    const uploaded = result.body.data?.['uploadMedia'] as { status: string; fileId: string };
    assert.equal(uploaded.status, 'SUCCEEDED');

    await settled(subscription.done, 'the subscription on B to end');
    assert.deepEqual(subscription.errors, []);
    const events = subscription.events.map((event) => event['uploadProgress'] as ProgressEvent);
    assert.ok(events.length >= 3, `B saw only ${events.length} events`);
    assert.ok(events.every((event) => event.id === id));
    // Subscribed before the upload started, B saw its whole life: the first snapshot, live bytes, the end.
    assert.equal(events[0]?.status, 'PENDING');
    assert.ok(
      events.some((event) => event.status === 'UPLOADING' && event.bytesReceived > 0 && event.bytesReceived < data.length),
      'B saw bytes moving while the upload ran',
    );
    for (let i = 1; i < events.length; i += 1) {
      const [previous, current] = [events[i - 1]!, events[i]!];
      assert.ok(current.bytesReceived >= previous.bytesReceived, `bytesReceived went down at event ${i}`);
      assert.ok(current.bytesUploaded >= previous.bytesUploaded, `bytesUploaded went down at event ${i}`);
    }
    const last = events.at(-1)!;
    assert.equal(last.status, 'SUCCEEDED');
    assert.equal(last.fileId, uploaded.fileId);
    assert.equal(last.bytesReceived, data.length);
    assert.equal(last.bytesUploaded, data.length);
    assert.ok(emulator!.state.mediaRecord(uploaded.fileId) !== undefined, 'the emulator holds the committed media');
  });

  it('cancels, through B, an upload running on A', async () => {
    const a = serverA!;
    const b = serverB!;
    const emu = emulator!;
    const id = randomUUID();
    const before = { ...emu.state.counters };
    // The client sends 3 MiB (three whole 1 MiB parts) and then stalls, as a slow or stuck client does:
    // once storage holds those three parts, the upload on A is waiting for client bytes, not for storage.
    const body = heldBytes(payload(8 * MiB), { chunk: 64 * 1024, delayMs: 5, holdAfter: 3 * MiB });
    try {
      const { answer } = sendMultipart({
        url: a.url,
        key: apiKey,
        query: UPLOAD_MUTATION,
        variables: { input: { id, media: null, mediaName: 'canceled' } },
        map: { '0': ['variables.input.media'] },
        files: [{ field: '0', filename: 'canceled.mp4', content: body.content }],
      });
      const answered = answer.then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      );

      const prisma = database!.db.prisma;
      const open = await waitFor('the upload on A to have stored what the client sent', async () => {
        const row = await prisma.upload.findUnique({ where: { tenantId_id: { tenantId, id } } });
        if (row?.status !== 'UPLOADING' || row.storageBucket === null || row.instanceId !== 'fanout-a') return undefined;
        const file = await prisma.storedFile.findFirst({ where: { tenantId, uploadId: id, role: 'MEDIA' } });
        if (file?.multipartUploadId == null || file.storageKey === null) return undefined;
        const inStorage = emu.state.multipartUploads(row.storageBucket, file.storageKey);
        if (!inStorage.some((upload) => upload.uploadId === file.multipartUploadId && upload.parts >= 3)) return undefined;
        // A listens for cancellation through Redis.
        if ((await redisSubscribers(`uploadCancel:${tenantId}:${id}`)) < 1) return undefined;
        return { bucket: row.storageBucket, key: file.storageKey };
      });

      const canceled = await b.graphql('mutation($id: ID!) { cancelUpload(id: $id) { id status error { code message } } }', {
        key: apiKey,
        variables: { id },
      });
      assert.equal(canceled.body.errors, undefined, JSON.stringify(canceled.body.errors));
      const record = canceled.body.data?.['cancelUpload'] as { status: string; error: { code: string } | null };
      assert.equal(record.status, 'CANCELED');
      assert.equal(record.error?.code, 'RequestCanceled');

      // The client of A gets the cancellation as the mutation's error.
      const outcome = await settled(answered, 'the answer of A');
      assert.ok('value' in outcome, `A's client got no answer: ${String((outcome as { error?: unknown }).error)}`);
      const error = outcome.value.body.errors?.[0];
      assert.equal(error?.extensions?.['code'], 'RequestCanceled');
      assert.equal(error?.extensions?.['uploadId'], id);

      const stored = await a.graphql('query($id: ID!) { upload(id: $id) { status error { code } } }', { key: apiKey, variables: { id } });
      assert.deepEqual(stored.body.data?.['upload'], { status: 'CANCELED', error: { code: 'RequestCanceled' } });
      assert.deepEqual(emu.state.multipartUploads(open.bucket, open.key), [], 'the multipart upload was aborted');
      assert.equal(emu.state.count('cos.abortMultipart') - before['cos.abortMultipart'], 1);
      assert.equal(emu.state.count('cos.completeMultipart') - before['cos.completeMultipart'], 0);
      assert.equal(emu.state.count('vod.CommitUpload') - before['vod.CommitUpload'], 0);
      assert.equal(emu.state.object(open.bucket, open.key), undefined, 'no object was stored');
    } finally {
      body.release();
    }
  });

  it('listens in Redis before it reads the record, so nothing published in between is lost', async () => {
    const a = serverA!;
    const b = serverB!;
    const db = database!;
    const id = randomUUID();
    const data = payload(3 * MiB + 777);
    const body = heldBytes(data, { chunk: 64 * 1024, delayMs: 2, holdAfter: MiB });
    const locker = new pg.Client({ connectionString: TEST_DATABASE_URL });
    let locked = false;
    try {
      const { answer } = sendMultipart({
        url: a.url,
        key: apiKey,
        query: UPLOAD_MUTATION,
        variables: { input: { id, media: null, mediaName: 'late-subscriber' } },
        map: { '0': ['variables.input.media'] },
        files: [{ field: '0', filename: 'late.mp4', content: body.content }],
      });
      await waitFor('the upload on A to run', async () => {
        const row = await db.db.prisma.upload.findUnique({ where: { tenantId_id: { tenantId, id } } });
        return row?.status === 'UPLOADING';
      });

      // Hold B's read of the record (a slow database) while it subscribes to an upload already running.
      await locker.connect();
      await locker.query('BEGIN');
      await locker.query(`LOCK TABLE "${db.schema}".uploads IN ACCESS EXCLUSIVE MODE`);
      locked = true;
      const subscription = subscribeSse(b.url, apiKey, PROGRESS_SUBSCRIPTION, { id });
      subscriptions.push(subscription);
      await waitFor('B to be reading the record', async () => {
        // Not on the locking connection: inside its transaction pg_stat_activity is a frozen snapshot.
        const { rows } = await db.db.pool.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity
            WHERE wait_event_type = 'Lock' AND state = 'active' AND query ILIKE 'select%' AND query LIKE $1`,
          [`%"${db.schema}"."uploads"%`],
        );
        return rows[0]!.n >= 1;
      });
      // Whatever A publishes from now on must reach B: B is already listening while its read waits.
      await waitFor(
        'B to subscribe in Redis before its read of the record returns',
        async () => (await redisSubscribers(`uploadProgress:${tenantId}:${id}`)) >= 1,
        { timeoutMs: 5000 },
      );
      await locker.query('ROLLBACK');
      locked = false;

      body.release();
      const result = await settled(answer, 'the upload on A');
      assert.equal(result.body.errors, undefined, JSON.stringify(result.body.errors));
      await settled(subscription.done, 'the subscription on B to end');
      const events = subscription.events.map((event) => event['uploadProgress'] as ProgressEvent);
      assert.equal(events[0]?.status, 'UPLOADING', 'the first event is the record as read');
      assert.equal(events.at(-1)?.status, 'SUCCEEDED');
      assert.equal(events.at(-1)?.bytesUploaded, data.length);
    } finally {
      body.release();
      if (locked) await locker.query('ROLLBACK');
      await locker.end();
    }
  });
});
