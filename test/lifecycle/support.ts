// The lifecycle tests' world: an emulator whose task flows and event timings are short, servers that
// follow its events (VOD_EVENTS=pull) on one schema, and the queries a client uses.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startEmulator, type RunningEmulator } from '../../src/emulator/emulator.ts';
import { openTestDatabase, type TestDatabase } from '../support/database.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { waitFor } from '../reliability/helpers.ts';

/** Task flows take 300 ms; an unconfirmed event comes again after 1.5 s; a long poll holds 400 ms. */
export const EMULATOR_TIMINGS = {
  procedureDurationMs: 300,
  eventTimings: { longPollMs: 400, redeliverAfterMs: 1_500, handleTtlMs: 1_500 },
} as const;

export const UPLOAD_FIELDS = `id status fileId mediaUrl deletedAt
  processing { status taskId error { code message } outputs { kind definition url size } startedAt finishedAt }`;

export const UPLOAD_QUERY = `query($id: ID!) { upload(id: $id) { ${UPLOAD_FIELDS} } }`;

export const PROCESSED_SUBSCRIPTION = `subscription($id: ID!) { uploadProgress(id: $id, untilProcessed: true) { ${UPLOAD_FIELDS} } }`;

export interface ProcessingShape {
  status: string;
  taskId: string | null;
  error: { code: string; message: string } | null;
  outputs: Array<{ kind: string; definition: number | null; url: string; size: number | null }>;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface UploadShape {
  id: string;
  status: string;
  fileId: string | null;
  mediaUrl: string | null;
  deletedAt: string | null;
  processing: ProcessingShape;
}

export interface LifecycleWorld {
  readonly emulator: RunningEmulator;
  readonly database: TestDatabase;
  readonly key: string;
  readonly tenantId: string;
  /** Servers on the world's schema and emulator; the first one is started by openLifecycleWorld. */
  readonly servers: TestServer[];
  startServer(label: string, env?: Record<string, string>): Promise<TestServer>;
  upload(server: TestServer, id: string): Promise<UploadShape>;
  waitForProcessing(server: TestServer, id: string, done: (upload: UploadShape) => boolean): Promise<UploadShape>;
  dispose(): Promise<void>;
}

export async function openLifecycleWorld(label: string, env: Record<string, string> = {}): Promise<LifecycleWorld> {
  const emulatorDir = await mkdtemp(path.join(os.tmpdir(), `${label}-emu-`));
  const emulator = await startEmulator({ port: 0, dataDir: emulatorDir, ...EMULATOR_TIMINGS });
  const database = await openTestDatabase(label);
  const servers: TestServer[] = [];
  const startServer = async (name: string, extra: Record<string, string> = {}) => {
    const server = await startTestServer(name, { emulator, database, env: { VOD_EVENTS: 'pull', ...env, ...extra }, instanceId: name });
    servers.push(server);
    return server;
  };
  const first = await startServer(`${label}-1`);
  const created = await first.app.apiKeys.createKey(`${label}-tenant`, label);
  const world: LifecycleWorld = {
    emulator,
    database,
    key: created.key,
    tenantId: created.tenantId,
    servers,
    startServer,
    async upload(server, id) {
      const answer = await server.graphql(UPLOAD_QUERY, { key: created.key, variables: { id } });
      const upload = answer.body.data?.['upload'] as UploadShape | undefined;
      if (upload === undefined) throw new Error(`no upload ${id}: ${JSON.stringify(answer.body.errors)}`);
      return upload;
    },
    waitForProcessing(server, id, done) {
      return waitFor(`upload ${id} to reach its processing state`, async () => {
        const upload = await world.upload(server, id);
        return done(upload) ? upload : undefined;
      }, { timeoutMs: 30_000, intervalMs: 50 });
    },
    async dispose() {
      for (const server of servers) await server.dispose();
      await database.dispose();
      await emulator.close();
      await rm(emulatorDir, { recursive: true, force: true });
    },
  };
  return world;
}
