import { z } from 'zod';

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

const DURATION_UNITS_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/** A duration such as `90s`, `30m`, `24h` or `250ms`; a bare number is seconds. To milliseconds. */
const duration = (maxMs: number) =>
  z
    .string()
    .regex(/^\d+(ms|s|m|h)?$/, 'must be a duration such as 90s, 30m or 24h (a bare number is seconds)')
    .transform((value) => {
      const [, amount = '0', unit = 's'] = /^(\d+)(ms|s|m|h)?$/.exec(value) ?? [];
      return Number(amount) * DURATION_UNITS_MS[unit as keyof typeof DURATION_UNITS_MS];
    })
    .pipe(z.number().int().min(0).max(maxMs));

const endpoint = z
  .string()
  .url('must be a URL such as http://127.0.0.1:9000')
  .refine((value) => /^https?:\/\//.test(value), 'must start with http:// or https://');

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
    MAX_BUFFER_BYTES: byteCount(MiB, 64 * GiB).default(256 * MiB),
    RESUME_TTL: duration(30 * 24 * 3_600_000).default(24 * 3_600_000),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .superRefine((env, ctx) => {
    const hasId = env.TENCENTCLOUD_SECRET_ID !== undefined;
    const hasKey = env.TENCENTCLOUD_SECRET_KEY !== undefined;
    if (hasId !== hasKey) {
      ctx.addIssue({
        code: 'custom',
        path: [hasId ? 'TENCENTCLOUD_SECRET_KEY' : 'TENCENTCLOUD_SECRET_ID'],
        message: 'TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY must be set together',
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
