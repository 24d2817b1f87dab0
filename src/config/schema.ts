import { z } from 'zod';
import { parseSealKey } from '../auth/secret-seal.ts';
import { largestFileBytes, maxPartBytesWithin } from '../pipeline/part-size.ts';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

const byteCount = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number of bytes')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

const integer = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

const nonEmpty = z.string().trim().min(1);

const SECOND = 1000;
const HOUR = 3600 * SECOND;
/** A duration in milliseconds; 0 is not accepted: every timeout is on. */
const milliseconds = (min: number, max: number) => integer(min, max);
const DURATION_UNITS_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/** A duration such as `30s`, `500ms`, `2m`, `1h`; a bare number is milliseconds. Parsed to milliseconds. */
const duration = (minMs: number, maxMs: number) =>
  z
    .string()
    .regex(/^\d+(ms|s|m|h)?$/, 'must be a duration such as 30s, 500ms, 2m (a bare number is milliseconds)')
    .transform((value) => {
      const unit = (/[a-z]+$/.exec(value)?.[0] ?? 'ms') as keyof typeof DURATION_UNITS_MS;
      return Number.parseInt(value, 10) * DURATION_UNITS_MS[unit];
    })
    .pipe(z.number().int().min(minMs, `must be at least ${minMs} ms`).max(maxMs, `must be at most ${maxMs} ms`));

const endpoint = z
  .string()
  .url('must be a URL such as http://127.0.0.1:9000')
  .refine((value) => /^https?:\/\//.test(value), 'must start with http:// or https://');

const DAY = 24 * HOUR;

/** Seconds between webhook delivery attempts, comma-separated: one retry per entry. */
const retryDelays = z
  .string()
  .regex(/^\s*\d+\s*(,\s*\d+\s*)*$/, 'must be whole seconds separated by commas, e.g. 5,300,1800')
  .transform((value) => value.split(',').map((entry) => Number(entry.trim()) * SECOND))
  .refine((delays) => delays.length <= 30, 'at most 30 retries')
  .refine((delays) => delays.every((delay) => delay <= 7 * DAY), 'each delay must be at most 604800 seconds (7 days)');

const onOff = z
  .enum(['on', 'off', 'true', 'false', '1', '0'], { message: 'must be on or off' })
  .transform((value) => value === 'on' || value === 'true' || value === '1');

/** The environment variables the service reads, as strings, before they become a Config. */
export const EnvSchema = z
  .object({
    PORT: integer(0, 65535).default(4000),
    HOST: nonEmpty.default('0.0.0.0'),
    EMULATOR_PORT: integer(0, 65535).default(0),
    INSTANCE_ID: z.string().regex(/^[\w.:-]{1,128}$/, 'letters, digits and . _ : - only').optional(),
    DATA_DIR: nonEmpty.default('./data'),
    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgresql:// URL')
      .optional(),
    TENCENTCLOUD_SECRET_ID: nonEmpty.optional(),
    TENCENTCLOUD_SECRET_KEY: nonEmpty.optional(),
    TENCENTCLOUD_SESSION_TOKEN: nonEmpty.optional(),
    VOD_REGION: z.string().regex(/^[a-z]+-[a-z]+(-\d+)?$/, 'must look like ap-guangzhou').default('ap-guangzhou'),
    VOD_ENDPOINT: endpoint.optional(),
    COS_ENDPOINT: endpoint.optional(),
    REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must be a redis:// URL').optional(),
    MAX_FILE_BYTES: byteCount(1, 5 * 1024 * GiB).default(50 * GiB),
    MAX_FILES: integer(1, 100_000).default(2000),
    PART_BYTES: byteCount(MiB, 5 * GiB).default(8 * MiB),
    DEFAULT_CONCURRENCY: integer(1, 64).default(4),
    MAX_BUFFER_BYTES: byteCount(MiB, 64 * GiB).default(224 * MiB),
    HEADERS_TIMEOUT_MS: milliseconds(100, 10 * 60 * SECOND).default(20 * SECOND),
    REQUEST_TIMEOUT_MS: milliseconds(100, HOUR).default(60 * SECOND),
    KEEP_ALIVE_TIMEOUT_MS: milliseconds(100, 10 * 60 * SECOND).default(65 * SECOND),
    UPLOAD_IDLE_TIMEOUT_MS: milliseconds(100, HOUR).default(60 * SECOND),
    UPLOAD_IDLE_MIN_BYTES: byteCount(0, 64 * MiB).default(16 * 1024),
    WS_KEEP_ALIVE_MS: milliseconds(100, 10 * 60 * SECOND).default(12 * SECOND),
    WS_CONNECTION_INIT_TIMEOUT_MS: milliseconds(100, 10 * 60 * SECOND).default(3 * SECOND),
    MAX_CONNECTIONS: integer(1, 1_000_000).default(1024),
    MAX_UPLOADS_PER_TENANT: integer(1, 100_000).default(32),
    SHUTDOWN_GRACE_MS: integer(0, 3_600_000).default(25_000),
    LEASE_TTL: duration(500, 3_600_000).default(30_000),
    LEASE_HEARTBEAT: duration(100, 3_600_000).optional(),
    RESUME_TTL: duration(0, 30 * 24 * HOUR).default(24 * HOUR),
    /** `pull`: follow VOD's reliable-callback events (processing, deletion); `off`: none. */
    VOD_EVENTS: z.enum(['pull', 'off']).default('pull'),
    /** How long a direct upload's signature is valid (whole seconds; VOD counts in seconds). */
    DIRECT_UPLOAD_TTL: duration(60 * SECOND, 24 * HOUR).default(15 * 60 * SECOND),
    /** How long past its signature's expiry a direct upload may still report (NewFileUpload) before it is FAILED. */
    DIRECT_UPLOAD_GRACE: duration(0, 24 * HOUR).default(10 * 60 * SECOND),
    /** Seals the sessions' temporary storage keys at rest; unset: derived from the service's secret key. */
    CREDENTIALS_KEY: z
      .string()
      .refine((value) => parseSealKey(value) !== undefined, 'must be 32 bytes, as 64 hex digits or base64 (e.g. `openssl rand -base64 32`)')
      .optional(),
    WEBHOOK_RETRY_DELAYS: retryDelays.default([5, 300, 1800, 7200, 18_000, 36_000, 36_000].map((seconds) => seconds * SECOND)),
    WEBHOOK_TIMEOUT_MS: milliseconds(100, 5 * 60 * SECOND).default(10 * SECOND),
    WEBHOOK_ALLOW_PRIVATE_NETWORKS: onOff.default(false),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .superRefine((env, ctx) => {
    if (env.PART_BYTES * 2 > env.MAX_BUFFER_BYTES) {
      ctx.addIssue({
        code: 'custom',
        path: ['MAX_BUFFER_BYTES'],
        message: `must hold at least two parts of PART_BYTES (${env.PART_BYTES} bytes): an upload needs two buffers to start`,
      });
    } else {
      const reachable = largestFileBytes(env.PART_BYTES, maxPartBytesWithin(env.MAX_BUFFER_BYTES, env.PART_BYTES));
      if (env.MAX_FILE_BYTES > reachable) {
        ctx.addIssue({
          code: 'custom',
          path: ['MAX_FILE_BYTES'],
          message: `parts that MAX_BUFFER_BYTES can serve fairly carry at most ${reachable} bytes in 10 000 parts: raise MAX_BUFFER_BYTES or PART_BYTES, or lower MAX_FILE_BYTES`,
        });
      }
    }
    const hasId = env.TENCENTCLOUD_SECRET_ID !== undefined;
    const hasKey = env.TENCENTCLOUD_SECRET_KEY !== undefined;
    if (hasId !== hasKey) {
      ctx.addIssue({
        code: 'custom',
        path: [hasId ? 'TENCENTCLOUD_SECRET_KEY' : 'TENCENTCLOUD_SECRET_ID'],
        message: 'TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY must be set together',
      });
    }
    if (env.LEASE_HEARTBEAT !== undefined && env.LEASE_HEARTBEAT * 2 > env.LEASE_TTL) {
      ctx.addIssue({
        code: 'custom',
        path: ['LEASE_HEARTBEAT'],
        message: 'must be at most half of LEASE_TTL, so one lost heartbeat does not let the lease expire',
      });
    }
    if (env.TENCENTCLOUD_SESSION_TOKEN !== undefined && !hasId) {
      ctx.addIssue({
        code: 'custom',
        path: ['TENCENTCLOUD_SESSION_TOKEN'],
        message: 'a session token needs TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY',
      });
    }
  });

export type Env = z.infer<typeof EnvSchema>;
