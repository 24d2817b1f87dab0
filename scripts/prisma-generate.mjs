// Runs `prisma generate` offline. Prisma 7's CLI wants its schema-engine binary even though
// generation does not use it; pointing PRISMA_SCHEMA_ENGINE_BINARY at any existing file satisfies
// the check without a download. Skips the work when the generated client is newer than the schema.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const schema = path.join(root, 'prisma', 'schema.prisma');
const marker = path.join(root, 'src', 'generated', 'prisma', 'client.ts');

if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(schema).mtimeMs) process.exit(0);

const env = { ...process.env, PRISMA_HIDE_UPDATE_MESSAGE: '1', CHECKPOINT_DISABLE: '1' };
if (!env.PRISMA_SCHEMA_ENGINE_BINARY) env.PRISMA_SCHEMA_ENGINE_BINARY = path.join(root, 'prisma', 'engine-placeholder');
const prismaCli = path.join(root, 'node_modules', 'prisma', 'build', 'index.js');
const result = spawnSync(process.execPath, [prismaCli, 'generate', '--schema', schema], { stdio: 'inherit', env, cwd: root });
process.exit(result.status ?? 1);
