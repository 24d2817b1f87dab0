// Runs every test/**/*.test.ts with node's test runner (through tsx).
// TEST_DATABASE_URL defaults to the Postgres every developer machine and CI has.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';

function findTests(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return findTests(full);
    return entry.name.endsWith('.test.ts') ? [full] : [];
  });
}

const filter = process.argv.slice(2);
const files = findTests('test').filter((f) => filter.length === 0 || filter.some((word) => f.includes(word))).sort();
const env = {
  ...process.env,
  TEST_DATABASE_URL: process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test',
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
};
// Which node runs the suite (CI runs it on two): a TAP comment, so either reporter's output stays valid.
console.log(`# node ${process.version} (${process.execPath}), ${files.length} test files`);
// Node 20 reports TAP when the output is not a terminal, Node 23+ always spec: ask for what Node 20
// picks, so a log (CI runs the suite on both) ends with the same summary lines on either.
const reporter = process.stdout.isTTY ? 'spec' : 'tap';
const args = [
  '--disable-proto=throw',
  '--import',
  'tsx',
  '--test',
  `--test-reporter=${reporter}`,
  '--test-concurrency=2',
  '--test-timeout=120000',
  ...files,
];
const result = spawnSync(process.execPath, args, { stdio: 'inherit', env });
process.exit(result.status ?? 1);
