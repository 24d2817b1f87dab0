import { createApp, type App } from '../../src/app.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { openTestDatabase, type TestDatabase } from './database.ts';

export interface TestServer {
  readonly app: App;
  readonly database: TestDatabase;
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

/** The real app on a random loopback port, with its own database schema. */
export async function startTestServer(label: string): Promise<TestServer> {
  const database = await openTestDatabase(label);
  const config = loadConfig({ DATABASE_URL: 'postgresql://unused@127.0.0.1/unused', LOG_LEVEL: 'silent' });
  const app = createApp({ config, db: database.db, logger: createLogger('silent') });
  const address = await app.listen(0, '127.0.0.1');
  const url = `http://127.0.0.1:${address.port}`;
  return {
    app,
    database,
    url,
    async graphql(query, options = {}) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (options.key !== undefined) headers['authorization'] = `Bearer ${options.key}`;
      const response = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ query, variables: options.variables }),
      });
      return { status: response.status, body: (await response.json()) as GraphQLAnswer['body'] };
    },
    async dispose() {
      await app.close();
      await database.dispose();
    },
  };
}
