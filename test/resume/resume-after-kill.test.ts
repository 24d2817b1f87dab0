// A server SIGKILLed mid-media: the start-up recovery of its INSTANCE_ID (what main.ts runs before
// listening) PAUSES the upload at the last recorded part instead of failing it, and another
// instance resumes it. The killed server is a real child process (src/main.ts); the recovery runs
// in this process (one child start fewer: starts are slow on a loaded machine).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SecretSeal } from '../../src/auth/secret-seal.ts';
import { UploadRepository } from '../../src/db/upload-repository.ts';
import { UploadWriter } from '../../src/db/upload-writer.ts';
import { InterruptedUploadClaims } from '../../src/db/interrupted-upload-claims.ts';
import { StorageCleanupRepository } from '../../src/db/storage-cleanup-repository.ts';
import { StorageCleaner } from '../../src/uploads/storage-cleaner.ts';
import { startEmulator, type RunningEmulator } from '../../src/emulator/emulator.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { createPipelineDependencies } from '../../src/runtime/pipeline-dependencies.ts';
import { recoverInterruptedUploads } from '../../src/uploads/recovery.ts';
import { heldBytes, payload, waitFor } from '../reliability/helpers.ts';
import { killProcess, serverProcessEnv, startServerProcess, type ServerProcess } from '../reliability/server-process.ts';
import { openTestDatabase, type TestDatabase } from '../support/database.ts';
import { sendMediaUpload } from '../support/multipart.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { crc64, sendResume, sha256 } from './helpers.ts';

const INSTANCE_ID = 'resume-killed-1';
const MiB = 1024 * 1024;

let emulator: RunningEmulator;
let emulatorDir: string;
let database: TestDatabase;
let other: TestServer;
let apiKey: string;
let tenantId: string;
const servers: ServerProcess[] = [];

/** `src/main.ts` as a process on the test's schema and emulator, as INSTANCE_ID, resuming on. */
async function startKillableServer(): Promise<ServerProcess> {
  const server = await startServerProcess({
    ...serverProcessEnv({ emulator, schema: database.schema, dataDir: path.join(emulatorDir, 'server-data') }),
    INSTANCE_ID,
    RESUME_TTL: '1h',
    LOG_LEVEL: 'warn',
  });
  servers.push(server);
  return server;
}

before(async () => {
  emulatorDir = await mkdtemp(path.join(os.tmpdir(), 'resume-kill-emu-'));
  emulator = await startEmulator({ port: 0, dataDir: emulatorDir });
  database = await openTestDatabase('resume-kill');
  other = await startTestServer('resume-kill-other', { emulator, database, env: { RESUME_TTL: '1h' }, instanceId: 'resume-kill-other' });
  const created = await other.app.apiKeys.createKey('resume-kill-tenant', 'resume after kill');
  apiKey = created.key;
  tenantId = created.tenantId;
});

after(async () => {
  await Promise.all(servers.map((server) => killProcess(server, 'SIGKILL')));
  await other?.dispose();
  await database?.dispose();
  await emulator?.close();
  if (emulatorDir !== undefined) await rm(emulatorDir, { recursive: true, force: true });
});

describe('resume after the serving process was killed', () => {
  it('pauses the upload when the instance restarts, and another instance completes it', async () => {
    const first = await startKillableServer();
    const id = randomUUID();
    const source = payload(8 * MiB);
    // The client stops after 3 MiB and waits: parts are stored when the process is killed.
    const body = heldBytes(source, { chunk: 64 * 1024, delayMs: 0, holdAfter: 3 * MiB });
    const { answer } = sendMediaUpload({ url: first.url, key: apiKey, filename: 'killed.mp4', content: body.content, input: { id } });
    answer.catch(() => undefined);
    await waitFor('two recorded parts', async () => (await database.db.prisma.uploadPart.count({ where: { tenantId, uploadId: id } })) >= 2);
    await killProcess(first, 'SIGKILL');
    body.release();

    const pipeline = createPipelineDependencies(
      { secretId: emulator.secretId, secretKey: emulator.secretKey, vodEndpoint: emulator.vodEndpoint, cosEndpoint: emulator.cosEndpoint },
      { partBytes: MiB, defaultConcurrency: 2 },
    );
    const logger = createLogger('silent');
    const report = await recoverInterruptedUploads(INSTANCE_ID, {
      claims: new InterruptedUploadClaims(database.db.prisma, database.schema),
      reader: new UploadRepository(database.db.prisma),
      writer: new UploadWriter(database.db.prisma, database.schema, SecretSeal.derivedFrom(emulator.secretKey)),
      cleaner: new StorageCleaner({ queue: new StorageCleanupRepository(database.db.prisma, database.schema), pipeline, logger }),
      pubsub: other.events.pubsub,
      logger,
      resumeTtlMs: 3_600_000,
    });
    assert.deepEqual(report, { interrupted: 0, paused: 1, removed: 0, failedRemovals: 0 });
    const row = await database.db.prisma.upload.findUniqueOrThrow({ where: { tenantId_id: { tenantId, id } } });
    assert.equal(row.status, 'PAUSED');
    assert.equal(row.errorCode, 'Interrupted');
    const offset = Number(row.resumableOffset);
    assert.ok(offset >= 2 * MiB && offset % MiB === 0, `paused at a part boundary (${offset})`);
    assert.equal(emulator.state.count('cos.abortMultipart'), 0, 'the multipart upload is kept');

    const resumed = await sendResume({ url: other.url, key: apiKey, id, offset, rest: source.subarray(offset) }).answer;
    assert.equal(resumed.body.errors, undefined, JSON.stringify(resumed.body.errors));
    const upload = resumed.body.data?.['resumeUpload'] as { status: string; files: Array<{ role: string; bytes: number; sha256: string }> };
    assert.equal(upload.status, 'SUCCEEDED');
    const media = upload.files.find((stored) => stored.role === 'MEDIA');
    assert.deepEqual({ bytes: media?.bytes, sha256: media?.sha256 }, { bytes: source.length, sha256: sha256(source) });
    const file = await database.db.prisma.storedFile.findFirstOrThrow({ where: { tenantId, uploadId: id, role: 'MEDIA' } });
    assert.equal(emulator.state.object(row.storageBucket!, file.storageKey!)?.crc64, crc64(source));
    assert.deepEqual(emulator.state.multipartUploads(row.storageBucket!, file.storageKey!), []);
  });
});
