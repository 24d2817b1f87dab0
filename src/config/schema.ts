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
