import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { builder } from '../builder.ts';
import './media-upload.ts';
import './upload-media.ts';
import './upload-progress.ts';
import './resume-upload.ts';
import './media.ts';
import './webhooks.ts';
import './direct-upload.ts';

/** The executable schema. Importing this module has no side effects beyond building types. */
export const schema: GraphQLSchema = builder.toSchema();

/** The SDL as committed in schema.graphql: sorted, so diffs show only real changes. */
export function printSortedSchema(): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
