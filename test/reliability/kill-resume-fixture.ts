// What the tests that SIGKILL a server process and resume on another instance share: an emulator and
// a schema that outlive the process, an in-process server (the other instance, resuming on), a
// tenant's key, and server processes on the same schema, killed at the end whatever happened.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startEmulator, type RunningEmulator } from '../../src/emulator/emulator.ts';
import { openTestDatabase, type TestDatabase } from '../support/database.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { killProcess, serverProcessEnv, startServerProcess, type ServerProcess } from './server-process.ts';

export interface KillResumeFixture {
  readonly emulator: RunningEmulator;
  readonly database: TestDatabase;
  /** The other instance: in this process, resuming on (RESUME_TTL 1h). */
  readonly other: TestServer;
  readonly apiKey: string;
  readonly tenantId: string;
  /** `src/main.ts` as a process on the fixture's schema and emulator; `env` adds INSTANCE_ID, RESUME_TTL, … */
  startProcess(env: Record<string, string>): Promise<ServerProcess>;
  dispose(): Promise<void>;
}

export async function openKillResumeFixture(label: string): Promise<KillResumeFixture> {
  const emulatorDir = await mkdtemp(path.join(os.tmpdir(), `${label}-emu-`));
  const emulator = await startEmulator({ port: 0, dataDir: emulatorDir });
  const database = await openTestDatabase(label);
  const other = await startTestServer(`${label}-other`, { emulator, database, env: { RESUME_TTL: '1h' }, instanceId: `${label}-other` });
  const created = await other.app.apiKeys.createKey(`${label}-tenant`, label);
  const processes: ServerProcess[] = [];
  return {
    emulator,
    database,
    other,
    apiKey: created.key,
    tenantId: created.tenantId,
    async startProcess(env) {
      const server = await startServerProcess({
        ...serverProcessEnv({ emulator, schema: database.schema, dataDir: path.join(emulatorDir, 'server-data') }),
        LOG_LEVEL: 'warn',
        ...env,
      });
      processes.push(server);
      return server;
    },
    async dispose() {
      await Promise.all(processes.map((server) => killProcess(server, 'SIGKILL')));
      await other.dispose();
      await database.dispose();
      await emulator.close();
      await rm(emulatorDir, { recursive: true, force: true });
    },
  };
}
