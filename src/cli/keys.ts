import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config/load-config.ts';
import { ApiKeyRepository } from '../db/api-key-repository.ts';
import { openDatabase } from '../db/database.ts';
import { createLogger } from '../logging/logger.ts';

const USAGE = `Usage:
  npm run keys -- create --tenant NAME [--label TEXT]   create a key (printed once)
  npm run keys -- list                                   list keys (prefixes only)
  npm run keys -- revoke PREFIX                          revoke a key by its prefix (or the whole key)`;

async function run(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { tenant: { type: 'string' }, label: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  const [command, target] = positionals;
  if (values.help === true || command === undefined) {
    console.log(USAGE);
    return command === undefined && values.help !== true ? 2 : 0;
  }
  const config = loadConfig({ ...process.env, LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'warn' });
  const db = await openDatabase(config.database, createLogger(config.log.level));
  try {
    const apiKeys = new ApiKeyRepository(db.prisma);
    switch (command) {
      case 'create': {
        if (values.tenant === undefined || values.tenant.trim() === '') {
          console.error('create needs --tenant NAME');
          return 2;
        }
        const created = await apiKeys.createKey(values.tenant.trim(), values.label);
        console.log(`Created a key for tenant "${values.tenant.trim()}". It is shown only this once:\n\n  ${created.key}\n`);
        return 0;
      }
      case 'list': {
        const keys = await apiKeys.listKeys();
        if (keys.length === 0) console.log('No keys.');
        for (const key of keys) {
          const state = key.revokedAt === null ? 'active' : `revoked ${key.revokedAt.toISOString()}`;
          const used = key.lastUsedAt === null ? 'never used' : `last used ${key.lastUsedAt.toISOString()}`;
          console.log(`${key.prefix}  tenant=${key.tenant}  ${state}  ${used}${key.label === null ? '' : `  (${key.label})`}`);
        }
        return 0;
      }
      case 'revoke': {
        if (target === undefined) {
          console.error('revoke needs the key prefix');
          return 2;
        }
        const revoked = await apiKeys.revokeKey(target);
        console.log(revoked ? `Revoked ${target}.` : `No active key matches ${target}.`);
        return revoked ? 0 : 1;
      }
      default:
        console.error(`Unknown command "${command}".\n${USAGE}`);
        return 2;
    }
  } finally {
    await db.close();
  }
}

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof ConfigError ? error.message : `keys: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
