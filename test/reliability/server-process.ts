// The service as a real child process (`node --import tsx src/main.ts`) against an emulator and a
// Postgres schema that live in the test process, so they outlive a SIGKILL of the server.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiKeyRepository } from '../../src/db/api-key-repository.ts';
import { openDatabase, type Database } from '../../src/db/database.ts';
import { startEmulator, type EmulatorOptions, type RunningEmulator } from '../../src/emulator/emulator.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { dropSchema, TEST_DATABASE_URL, uniqueSchemaName } from '../support/database.ts';
import { waitFor } from './helpers.ts';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MiB = 1024 * 1024;

/** One run of the server, with its output kept for failure messages. */
export interface ServerProcess {
  readonly child: ChildProcess;
  readonly url: string;
  output(): string;
  /** Resolves with the exit code (null when killed by a signal) once the process has exited. */
  exited(): Promise<number | null>;
}

export interface ProcessFixture {
  readonly emulator: RunningEmulator;
  /** The servers' database schema, opened in the test process too (to look at rows). */
  readonly db: Database;
  readonly apiKey: string;
  readonly tenantId: string;
  /** Starts a server process; `env` adds to or overrides the defaults (emulator, schema, 1 MiB parts). */
  start(env?: Record<string, string>): Promise<ServerProcess>;
  /** A JSON GraphQL request with the fixture's key. */
  graphql(url: string, query: string, variables: Record<string, unknown>): Promise<GraphQLBody>;
  /** Kills whatever still runs, drops the schema, stops the emulator. */
  dispose(): Promise<void>;
}

export interface GraphQLBody {
  data?: Record<string, unknown> | null;
  errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
}

/**
 * The environment of a server process on `schema` of the test Postgres, talking to `emulator`, with
 * 1 MiB parts and two in flight; callers add or override (INSTANCE_ID, RESUME_TTL, ...).
 */
export function serverProcessEnv(target: { emulator: RunningEmulator; schema: string; dataDir: string }): NodeJS.ProcessEnv {
  const { emulator } = target;
  const url = new URL(TEST_DATABASE_URL);
  url.searchParams.set('schema', target.schema);
  return {
    PATH: process.env['PATH'],
    HOME: process.env['HOME'],
    // Port 0: the OS picks a free port and main.ts prints it; no window for another process to take it.
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: target.dataDir,
    DATABASE_URL: url.toString(),
    TENCENTCLOUD_SECRET_ID: emulator.secretId,
    TENCENTCLOUD_SECRET_KEY: emulator.secretKey,
    VOD_ENDPOINT: emulator.vodEndpoint,
    COS_ENDPOINT: emulator.cosEndpoint,
    VOD_REGION: emulator.region,
    PART_BYTES: String(MiB),
    DEFAULT_CONCURRENCY: '2',
    LOG_LEVEL: 'info',
  };
}

/** Starts `src/main.ts` with `env` and resolves once it listens (rejects with its output if it exits first). */
export async function startServerProcess(env: NodeJS.ProcessEnv): Promise<ServerProcess> {
  const server = spawnServer(env);
  await waitFor(
    'the server to listen',
    () => {
      const { child } = server;
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`the server exited (${child.exitCode ?? child.signalCode})`);
      }
      return server.url !== '';
    },
    { timeoutMs: 150_000, intervalMs: 50 },
  ).catch((error: unknown) => {
    // A server that never listened is not left running behind the test.
    server.child.kill('SIGKILL');
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n--- server output ---\n${server.output()}`);
  });
  return server;
}

export async function openProcessFixture(label: string, emulatorOptions: Partial<EmulatorOptions> = {}): Promise<ProcessFixture> {
  const emulatorDir = await mkdtemp(path.join(os.tmpdir(), `${label}-emu-`));
  const emulator = await startEmulator({ ...emulatorOptions, port: 0, dataDir: emulatorDir });
  const schema = uniqueSchemaName(label);
  const db = await openDatabase({ mode: 'postgres', url: TEST_DATABASE_URL, schema }, createLogger('silent'));
  const created = await new ApiKeyRepository(db.prisma).createKey(`${label}-tenant`, `${label} test`);
  const started: ServerProcess[] = [];

  return {
    emulator,
    db,
    apiKey: created.key,
    tenantId: created.tenantId,
    async start(env = {}) {
      const server = await startServerProcess({ ...serverProcessEnv({ emulator, schema, dataDir: path.join(emulatorDir, 'server-data') }), ...env });
      started.push(server);
      return server;
    },
    async graphql(url, query, variables) {
      const response = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${created.key}` },
        body: JSON.stringify({ query, variables }),
      });
      return (await response.json()) as GraphQLBody;
    },
    async dispose() {
      // Runs even when a test failed: no child process may outlive the file.
      await Promise.all(started.map((server) => killProcess(server, 'SIGKILL')));
      await db.close();
      await dropSchema(schema);
      await emulator.close();
      await rm(emulatorDir, { recursive: true, force: true });
    },
  };
}

function spawnServer(env: NodeJS.ProcessEnv): ServerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (text: string) => (output += text));
  child.stderr?.setEncoding('utf8').on('data', (text: string) => (output += text));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    get url() {
      const port = /GraphQL and GraphiQL at http:\/\/[^:/]+:(\d+)\/graphql/.exec(output)?.[1];
      return port === undefined ? '' : `http://127.0.0.1:${port}`;
    },
    output: () => output,
    exited: () => exit,
  };
}

/** Sends the signal (unless the process has already exited) and waits for the exit. */
export async function killProcess(server: ServerProcess, signal: NodeJS.Signals): Promise<number | null> {
  const { child } = server;
  if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  return server.exited();
}

/**
 * Waits until the upload runs with a multipart upload that storage holds parts of; returns where.
 * The caller's client must keep the upload in flight (see heldBytes).
 */
export async function waitForStoredParts(
  fixture: ProcessFixture,
  id: string,
): Promise<{ bucket: string; key: string; uploadId: string }> {
  const { db, emulator, tenantId } = fixture;
  return waitFor(
    'an UPLOADING record with stored parts',
    async () => {
      const row = await db.prisma.upload.findUnique({ where: { tenantId_id: { tenantId, id } } });
      if (row?.status !== 'UPLOADING' || row.storageBucket === null) return undefined;
      const file = await db.prisma.storedFile.findFirst({ where: { tenantId, uploadId: id, role: 'MEDIA' } });
      if (file?.multipartUploadId == null || file.storageKey === null) return undefined;
      const inStorage = emulator.state
        .multipartUploads(row.storageBucket, file.storageKey)
        .find((upload) => upload.uploadId === file.multipartUploadId);
      if (inStorage === undefined || inStorage.parts < 1) return undefined;
      return { bucket: row.storageBucket, key: file.storageKey, uploadId: file.multipartUploadId };
    },
    { timeoutMs: 60_000 },
  );
}
