import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { ApiKeyRepository } from '../../src/db/api-key-repository.ts';
import { openDatabase } from '../../src/db/database.ts';
import { createLogger } from '../../src/logging/logger.ts';

const dirs: string[] = [];
after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe('embedded Postgres (PGlite)', () => {
  it('creates its data directory, migrates, and keeps data across restarts', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'pglite-'));
    dirs.push(dir);
    const dataDir = path.join(dir, 'pg');
    const logger = createLogger('silent');

    const first = await openDatabase({ mode: 'embedded', dataDir }, logger);
    assert.equal(first.embedded, true);
    const created = await new ApiKeyRepository(first.prisma).createKey('persisted');
    await first.close();

    const second = await openDatabase({ mode: 'embedded', dataDir }, logger);
    try {
      const tenant = await new ApiKeyRepository(second.prisma).authenticate(created.key);
      assert.equal(tenant?.tenantName, 'persisted');
      assert.equal(await second.ping(), true);
      const { rows } = await second.pool.query<{ count: string }>('SELECT count(*) FROM "_prisma_migrations" WHERE finished_at IS NOT NULL');
      assert.ok(Number(rows[0]?.count) >= 1, 'migrations are recorded and not re-applied');
    } finally {
      await second.close();
    }
  });
});
