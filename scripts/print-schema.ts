// Prints the GraphQL schema to schema.graphql (sorted), or with --check fails when the committed
// file differs from what the code builds.
import { readFileSync, writeFileSync } from 'node:fs';
import { printSortedSchema } from '../src/graphql/schema/index.ts';

const target = new URL('../schema.graphql', import.meta.url);
const printed = printSortedSchema();

if (process.argv.includes('--check')) {
  let committed = '';
  try {
    committed = readFileSync(target, 'utf8');
  } catch {
    // missing counts as drift
  }
  if (committed !== printed) {
    console.error('schema.graphql is out of date: run `npm run schema` and commit the result.');
    process.exit(1);
  }
  console.log('schema.graphql matches the code.');
} else {
  writeFileSync(target, printed);
  console.log('wrote schema.graphql');
}
