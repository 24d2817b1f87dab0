import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { dropSchema, TEST_DATABASE_URL, uniqueSchemaName } from '../support/database.ts';

const schema = uniqueSchemaName('keys_cli');
const databaseUrl = `${TEST_DATABASE_URL}?schema=${schema}`;

after(async () => {
  await dropSchema(schema);
});

function keys(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/keys.ts', ...args], {
      env: { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('npm run keys', () => {
  it('creates a key (shown once), lists it by prefix only, and revokes it', async () => {
    const created = await keys('create', '--tenant', 'cli-team', '--label', 'ci');
    assert.equal(created.code, 0, created.stderr);
    const key = /(vodk_[0-9a-f]{8}_[\w-]+)/.exec(created.stdout)?.[1];
    assert.ok(key, created.stdout);
    const prefix = key.split('_').slice(0, 2).join('_');

    const listed = await keys('list');
    assert.equal(listed.code, 0);
    assert.match(listed.stdout, new RegExp(`${prefix}\\s+tenant=cli-team\\s+active`));
    assert.ok(!listed.stdout.includes(key), 'the list never shows a whole key');

    const revoked = await keys('revoke', prefix);
    assert.equal(revoked.code, 0);
    assert.match((await keys('list')).stdout, new RegExp(`${prefix}\\s+tenant=cli-team\\s+revoked`));
    assert.equal((await keys('revoke', prefix)).code, 1, 'revoking twice finds no active key');
  });

  it('explains its usage and refuses bad calls', async () => {
    assert.equal((await keys('create')).code, 2);
    assert.equal((await keys('rotate')).code, 2);
    const usage = await keys('--help');
    assert.equal(usage.code, 0);
    assert.match(usage.stdout, /create --tenant NAME/);
  });
});
