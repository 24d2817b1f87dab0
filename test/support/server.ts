import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createApp, type App } from '../../src/app.ts';
import type { PubSubConfig } from '../../src/config/config.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { startEmulator, type RunningEmulator } from '../../src/emulator/emulator.ts';
import { createLogger, type Logger } from '../../src/logging/logger.ts';
import { createPipelineDependencies, createVodMediaFactory, pipelineSettingsFrom } from '../../src/runtime/pipeline-dependencies.ts';
import { createUploadEventBus, type UploadEventBus } from '../../src/uploads/upload-events.ts';
import type { ResolveAll } from '../../src/webhooks/endpoint-address.ts';
import { openTestDatabase, type TestDatabase } from './database.ts';

export interface TestServer {
  readonly app: App;
  readonly database: TestDatabase;
  readonly emulator: RunningEmulator;
  readonly events: UploadEventBus;
  readonly url: string;
  /** POSTs a GraphQL operation as JSON; `key` becomes the bearer token when given. */
  graphql(query: string, options?: { key?: string; variables?: Record<string, unknown> }): Promise<GraphQLAnswer>;
  dispose(): Promise<void>;
}

export interface GraphQLAnswer {
  readonly status: number;
  readonly body: {
    data?: Record<string, unknown> | null;
    errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
  };
}

export interface TestServerOptions {
  /** Extra environment for loadConfig (limits, part size, ...). */
  readonly env?: Record<string, string>;
  /** Share one emulator between servers (e.g. two instances). */
  readonly emulator?: RunningEmulator;
  /** Share one database between servers. */
  readonly database?: TestDatabase;
  readonly pubsub?: PubSubConfig;
  readonly instanceId?: string;
  /** Where the app logs (default: silent, or debug to stdout with TEST_LOG_LEVEL). */
  readonly logger?: Logger;
  /** Name resolution for webhook endpoint checks. */
  readonly resolveAll?: ResolveAll;
}

/** The real app on a random loopback port, with its own database schema and a real emulator. */
export async function startTestServer(label: string, options: TestServerOptions = {}): Promise<TestServer> {
  const database = options.database ?? (await openTestDatabase(label));
  const emulatorDir = options.emulator === undefined ? await mkdtemp(path.join(os.tmpdir(), 'emu-')) : undefined;
  const emulator = options.emulator ?? (await startEmulator({ port: 0, dataDir: emulatorDir ?? '' }));
  const config = loadConfig({
    DATABASE_URL: 'postgresql://unused@127.0.0.1/unused',
    LOG_LEVEL: 'silent',
    PART_BYTES: String(1024 * 1024),
    // Tests that follow VOD's events turn them on (a shared emulator's events belong to one schema).
    VOD_EVENTS: 'off',
    ...options.env,
  });
  const access = { secretId: emulator.secretId, secretKey: emulator.secretKey, vodEndpoint: emulator.vodEndpoint, cosEndpoint: emulator.cosEndpoint };
  const pipeline = createPipelineDependencies(access, pipelineSettingsFrom(config.multipart));
  const events = createUploadEventBus(options.pubsub ?? { mode: 'memory' });
  const app = createApp({
    config,
    db: database.db,
    logger: options.logger ?? createLogger(process.env['TEST_LOG_LEVEL'] === undefined ? 'silent' : 'debug'),
    pipeline,
    events,
    vodMediaFor: createVodMediaFactory(access),
    instanceId: options.instanceId ?? `test-${label}`,
    ...(options.resolveAll === undefined ? {} : { resolveAll: options.resolveAll }),
  });
  const address = await app.listen(0, '127.0.0.1');
  const url = `http://127.0.0.1:${address.port}`;
  return {
    app,
    database,
    emulator,
    events,
    url,
    async graphql(query, requestOptions = {}) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (requestOptions.key !== undefined) headers['authorization'] = `Bearer ${requestOptions.key}`;
      const response = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ query, variables: requestOptions.variables }),
      });
      return { status: response.status, body: (await response.json()) as GraphQLAnswer['body'] };
    },
    async dispose() {
      await app.close();
      await events.close();
      if (options.emulator === undefined) await emulator.close();
      if (emulatorDir !== undefined) await rm(emulatorDir, { recursive: true, force: true });
      if (options.database === undefined) await database.dispose();
    },
  };
}
