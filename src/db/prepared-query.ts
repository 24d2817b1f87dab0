import { createHash } from 'node:crypto';
import type pg from 'pg';

/** Statement names by text: each distinct statement is parsed and planned once per connection. */
const names = new Map<string, string>();

function nameOf(text: string): string {
  let name = names.get(text);
  if (name === undefined) {
    name = `vi_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
    names.set(text, name);
  }
  return name;
}

/**
 * Runs a statement of the upload's hot path as a named prepared statement on the pg pool (or a
 * client of it in a transaction), straight through node-postgres: no query compilation per call,
 * and after the first call on a connection only its parameters travel. The texts are constants of
 * this code (a handful), never built from input.
 */
export async function queryPrepared<Row extends pg.QueryResultRow>(
  db: pg.Pool | pg.PoolClient,
  text: string,
  values: readonly unknown[],
): Promise<Row[]> {
  const result = await db.query<Row>({ name: nameOf(text), text, values: [...values] });
  return result.rows;
}
