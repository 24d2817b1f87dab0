// Reliability promise: "Process killed mid-upload: on restart the record becomes FAILED (Interrupted)
// and its multipart upload is aborted." The server runs as a real child process (src/main.ts) against
// an emulator that lives in this test process, so the emulator outlives the SIGKILL.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ApiKeyRepository } from '../../src/db/api-key-repository.ts';
import { openDatabase, type Database } from '../../src/db/database.ts';
import { startEmulator, type RunningEmulator } from '../../src/emulator/emulator.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { dropSchema, TEST_DATABASE_URL, uniqueSchemaName } from '../support/database.ts';
import { sendMultipart, UPLOAD_MUTATION } from '../support/multipart.ts';
import { heldBytes, payload, waitFor } from './helpers.ts';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const INSTANCE_ID = 'reliability-restart-1';
const MiB = 1024 * 1024;

/** One run of `node --import tsx src/main.ts`, with its output kept for failure messages. */
interface ServerProcess {
  readonly child: ChildProcess;
  readonly url: string;
  output(): string;
  /** Resolves once the process has exited (at once when it already has). */
  exited(): Promise<void>;
}

let emulator: RunningEmulator;
let emulatorDir: string;
let schema: string;
let db: Database;
let apiKey: string;
let tenantId: string;
const started: ServerProcess[] = [];

function serverEnv(): NodeJS.ProcessEnv {
  const url = new URL(TEST_DATABASE_URL);
  url.searchParams.set('schema', schema);
  return {
    PATH: process.env['PATH'],
    HOME: process.env['HOME'],
    // Port 0: the OS picks a free port and main.ts prints it; no window for another process to take it.
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: path.join(emulatorDir, 'server-data'),
    DATABASE_URL: url.toString(),
    INSTANCE_ID,
    TENCENTCLOUD_SECRET_ID: emulator.secretId,
    TENCENTCLOUD_SECRET_KEY: emulator.secretKey,
    VOD_ENDPOINT: emulator.vodEndpoint,
    COS_ENDPOINT: emulator.cosEndpoint,
    VOD_REGION: emulator.region,
    PART_BYTES: String(MiB),
    DEFAULT_CONCURRENCY: '2',
    LOG_LEVEL: 'warn',
    // Resuming off: the restart fails what it finds (test/resume covers the restart that pauses).
    RESUME_TTL: '0',
  };
}

async function startServer(): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: REPO_ROOT,
    env: serverEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (text: string) => (output += text));
  child.stderr?.setEncoding('utf8').on('data', (text: string) => (output += text));
  const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const server: ServerProcess = {
    child,
    get url() {
      const port = /GraphQL and GraphiQL at http:\/\/[^:/]+:(\d+)\/graphql/.exec(output)?.[1];
      return port === undefined ? '' : `http://127.0.0.1:${port}`;
    },
    output: () => output,
    exited: () => exit,
  };
  started.push(server);
  await waitFor(
    'the server to listen',
    () => {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`the server exited (${child.exitCode ?? child.signalCode}):\n${output}`);
      }
      return server.url !== '';
    },
    { timeoutMs: 30_000, intervalMs: 50 },
  ).catch((error: unknown) => {
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n--- server output ---\n${output}`);
  });
  return server;
}

async function kill(server: ServerProcess, signal: NodeJS.Signals): Promise<void> {
  const { child } = server;
  if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  await server.exited();
}

async function graphql(url: string, query: string, variables: Record<string, unknown>) {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as {
    data?: Record<string, unknown> | null;
    errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
  };
}

before(async () => {
  emulatorDir = await mkdtemp(path.join(os.tmpdir(), 'restart-emu-'));
  emulator = await startEmulator({ port: 0, dataDir: emulatorDir });
  schema = uniqueSchemaName('restart');
  db = await openDatabase({ mode: 'postgres', url: TEST_DATABASE_URL, schema }, createLogger('silent'));
  const created = await new ApiKeyRepository(db.prisma).createKey('restart-tenant', 'process-restart test');
  apiKey = created.key;
  tenantId = created.tenantId;
});

after(async () => {
  // Runs even when a test failed: no child process may outlive the file.
  await Promise.all(started.map((server) => kill(server, 'SIGKILL')));
  await db?.close();
  if (schema !== undefined) await dropSchema(schema);
  await emulator?.close();
  if (emulatorDir !== undefined) await rm(emulatorDir, { recursive: true, force: true });
});

describe('process killed mid-upload', () => {
  it('marks the upload FAILED (Interrupted) on restart and aborts its multipart upload', async () => {
    const first = await startServer();
    emulator.state.resetCounters();
    const id = randomUUID();
    // 8 MiB in 64 KiB pieces; the client stops after 3 MiB and waits, so the upload is certainly
    // still running (parts stored, the next one buffering) when the process is killed.
    const body = heldBytes(payload(8 * MiB), { chunk: 64 * 1024, delayMs: 5, holdAfter: 3 * MiB });
    const { answer } = sendMultipart({
      url: first.url,
      key: apiKey,
      query: UPLOAD_MUTATION,
      variables: { input: { id, media: null, mediaName: 'killed' } },
      map: { '0': ['variables.input.media'] },
      files: [{ field: '0', filename: 'killed.mp4', content: body.content }],
    });
    const answered = answer.then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );

    // In flight: the row is UPLOADING, its open multipart upload is recorded, and storage holds parts of it.
    const open = await waitFor('an UPLOADING record with stored parts', async () => {
      const row = await db.prisma.upload.findUnique({ where: { tenantId_id: { tenantId, id } } });
      if (row?.status !== 'UPLOADING' || row.storageBucket === null) return undefined;
      const file = await db.prisma.storedFile.findFirst({ where: { tenantId, uploadId: id, role: 'MEDIA' } });
      if (file?.multipartUploadId == null || file.storageKey === null) return undefined;
      const inStorage = emulator.state
        .multipartUploads(row.storageBucket, file.storageKey)
        .find((upload) => upload.uploadId === file.multipartUploadId);
      if (inStorage === undefined || inStorage.parts < 1) return undefined;
      return { bucket: row.storageBucket, key: file.storageKey, uploadId: file.multipartUploadId };
    });
    assert.equal(emulator.state.count('cos.abortMultipart'), 0);

    await kill(first, 'SIGKILL');
    assert.equal(first.child.signalCode, 'SIGKILL');
    const lost = await answered;
    assert.ok('error' in lost, 'the client of a killed server gets no answer');
    // Nothing cleaned up behind the dead process: the multipart upload is still open.
    assert.equal(emulator.state.multipartUploads(open.bucket, open.key).length, 1);

    const second = await startServer();
    // Recovery runs before the server listens: by now it has finished.
    const answer2 = await graphql(second.url, 'query($id: ID!) { upload(id: $id) { id status error { code message } finishedAt } }', { id });
    assert.equal(answer2.errors, undefined, JSON.stringify(answer2.errors));
    const record = answer2.data?.['upload'] as { status: string; error: { code: string; message: string } | null; finishedAt: string | null };
    assert.equal(record.status, 'FAILED');
    assert.equal(record.error?.code, 'Interrupted');
    assert.ok(record.finishedAt !== null);

    assert.deepEqual(emulator.state.multipartUploads(open.bucket, open.key), [], 'no multipart upload left open for the key');
    assert.equal(emulator.state.count('cos.abortMultipart'), 1, 'the restart aborted the multipart upload');
    assert.equal(emulator.state.count('cos.completeMultipart'), 0);
    assert.equal(emulator.state.count('vod.CommitUpload'), 0);
    assert.equal(emulator.state.object(open.bucket, open.key), undefined, 'no object was stored');
    const stillOpen = await db.prisma.storedFile.count({ where: { tenantId, uploadId: id, multipartUploadId: { not: null } } });
    assert.equal(stillOpen, 0, 'the database no longer lists an open multipart upload');
    assert.match(second.output(), /recovered interrupted uploads/);
    body.release();
  });
});
