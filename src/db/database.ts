import { mkdir } from 'node:fs/promises';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import type { DatabaseConfig } from '../config/config.ts';
import { PrismaClient } from '../generated/prisma/client.ts';
import type { Logger } from '../logging/logger.ts';
import { installDeliveryQueue } from '../webhooks/delivery-queue.ts';
import { migrate } from './migrate.ts';

export type { PrismaClient };

export interface Database {
  readonly prisma: PrismaClient;
  readonly pool: pg.Pool;
  readonly schema: string;
  readonly embedded: boolean;
  /** True when the database answers a trivial query. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * Opens the configured Postgres (or starts the embedded PGlite and serves it over a loopback
 * socket), applies pending migrations (and installs the webhook delivery queue), and returns a Prisma client on top of one pg pool.
 */
export async function openDatabase(config: DatabaseConfig, logger: Logger): Promise<Database> {
  const embedded = config.mode === 'embedded' ? await startEmbeddedPostgres(config.dataDir, logger) : undefined;
  const connectionString = embedded?.connectionString ?? (config.mode === 'postgres' ? config.url : '');
  const schema = config.mode === 'postgres' ? config.schema : 'public';
  // PGlite is a single session: one pooled connection keeps transactions from interleaving.
  const pool = new pg.Pool({ connectionString, max: embedded ? 1 : 10 });
  pool.on('error', (error) => logger.warn({ err: error }, 'idle database connection failed'));
  try {
    await migrate({ pool, schema, logger });
    // The webhook delivery queue's own tables: present before anything can add a delivery.
    await installDeliveryQueue(pool, schema);
  } catch (error) {
    await pool.end();
    await embedded?.stop();
    throw error;
  }
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool, { schema }) });
  return {
    prisma,
    pool,
    schema,
    embedded: embedded !== undefined,
    async ping() {
      try {
        await pool.query('SELECT 1');
        return true;
      } catch {
        return false;
      }
    },
    async close() {
      await prisma.$disconnect();
      await pool.end();
      await embedded?.stop();
    },
  };
}

interface EmbeddedPostgres {
  readonly connectionString: string;
  stop(): Promise<void>;
}

async function startEmbeddedPostgres(dataDir: string, logger: Logger): Promise<EmbeddedPostgres> {
  await mkdir(dataDir, { recursive: true });
  // Loaded only when used: a service on a real Postgres never carries PGlite in memory.
  const { PGlite } = await import('@electric-sql/pglite');
  const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
  const db = await PGlite.create(dataDir);
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 4 });
  await server.start();
  const address = server.getServerConn();
  logger.info({ dataDir }, 'embedded Postgres (PGlite) started');
  return {
    connectionString: `postgresql://postgres:postgres@${address}/postgres?sslmode=disable`,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
