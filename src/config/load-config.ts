import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { EnvSchema, type Env } from './schema.ts';
import type { Config, DatabaseConfig, VodConfig } from './config.ts';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
  }
}

/**
 * Parses the environment once. Pure but for the default instance id (host name, port and a random
 * suffix, so two processes never share one): reads only its argument. Reports every bad variable at once
 * by throwing a ConfigError; the caller decides how to stop.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = EnvSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.') || 'environment'}: ${issue.message}`));
  }
  return deepFreeze(toConfig(parsed.data));
}

function toConfig(env: Env): Config {
  const dataDir = path.resolve(env.DATA_DIR);
  return {
    server: {
      port: env.PORT,
      host: env.HOST,
      instanceId: env.INSTANCE_ID ?? `${os.hostname()}:${env.PORT}:${randomBytes(4).toString('hex')}`,
    },
    lifecycle: {
      shutdownGraceMs: env.SHUTDOWN_GRACE_MS,
      leaseTtlMs: env.LEASE_TTL,
      leaseHeartbeatMs: env.LEASE_HEARTBEAT ?? Math.max(100, Math.floor(env.LEASE_TTL / 3)),
    },
    dataDir,
    database: databaseConfig(env, dataDir),
    vod: vodConfig(env, dataDir),
    vodEvents: env.VOD_EVENTS,
    pubsub: env.REDIS_URL === undefined ? { mode: 'memory' } : { mode: 'redis', url: env.REDIS_URL },
    limits: { maxFileBytes: env.MAX_FILE_BYTES, maxFiles: env.MAX_FILES, maxUploadsPerTenant: env.MAX_UPLOADS_PER_TENANT },
    http: {
      headersTimeoutMs: env.HEADERS_TIMEOUT_MS,
      requestTimeoutMs: env.REQUEST_TIMEOUT_MS,
      keepAliveTimeoutMs: env.KEEP_ALIVE_TIMEOUT_MS,
      uploadIdleTimeoutMs: env.UPLOAD_IDLE_TIMEOUT_MS,
      uploadIdleMinBytes: env.UPLOAD_IDLE_MIN_BYTES,
      webSocketKeepAliveMs: env.WS_KEEP_ALIVE_MS,
      webSocketConnectionInitTimeoutMs: env.WS_CONNECTION_INIT_TIMEOUT_MS,
      maxConnections: env.MAX_CONNECTIONS,
    },
    multipart: {
      partBytes: env.PART_BYTES,
      defaultConcurrency: env.DEFAULT_CONCURRENCY,
      maxBufferBytes: env.MAX_BUFFER_BYTES,
    },
    resume: { ttlMs: env.RESUME_TTL, credentialsKey: env.CREDENTIALS_KEY },
    webhooks: {
      retryDelaysMs: env.WEBHOOK_RETRY_DELAYS,
      timeoutMs: env.WEBHOOK_TIMEOUT_MS,
      allowPrivateNetworks: env.WEBHOOK_ALLOW_PRIVATE_NETWORKS,
    },
    direct: { ttlMs: Math.floor(env.DIRECT_UPLOAD_TTL / 1000) * 1000, graceMs: env.DIRECT_UPLOAD_GRACE },
    log: { level: env.LOG_LEVEL },
  };
}

function databaseConfig(env: Env, dataDir: string): DatabaseConfig {
  if (env.DATABASE_URL === undefined) return { mode: 'embedded', dataDir: path.join(dataDir, 'pg') };
  return { mode: 'postgres', ...splitSchemaParameter(env.DATABASE_URL) };
}

/** Prisma's `?schema=` is not a libpq parameter: take it out of the URL and keep it apart. */
export function splitSchemaParameter(databaseUrl: string): { url: string; schema: string } {
  const url = new URL(databaseUrl);
  const schema = url.searchParams.get('schema') ?? 'public';
  url.searchParams.delete('schema');
  return { url: url.toString(), schema };
}

function vodConfig(env: Env, dataDir: string): VodConfig {
  if (env.TENCENTCLOUD_SECRET_ID === undefined || env.TENCENTCLOUD_SECRET_KEY === undefined) {
    return { mode: 'emulator', region: env.VOD_REGION, dataDir: path.join(dataDir, 'emulator'), emulatorPort: env.EMULATOR_PORT };
  }
  return {
    mode: 'tencent',
    region: env.VOD_REGION,
    credentials: {
      secretId: env.TENCENTCLOUD_SECRET_ID,
      secretKey: env.TENCENTCLOUD_SECRET_KEY,
      sessionToken: env.TENCENTCLOUD_SESSION_TOKEN,
    },
    vodEndpoint: env.VOD_ENDPOINT,
    cosEndpoint: env.COS_ENDPOINT,
  };
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
