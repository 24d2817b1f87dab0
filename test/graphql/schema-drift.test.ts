import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { printSortedSchema } from '../../src/graphql/schema/index.ts';

describe('schema.graphql', () => {
  it('matches the schema the code builds (run `npm run schema` after changing it)', async () => {
    const committed = await readFile(new URL('../../schema.graphql', import.meta.url), 'utf8');
    assert.equal(printSortedSchema(), committed);
  });

  it('keeps the contract names of DESIGN.md', () => {
    const sdl = printSortedSchema();
    for (const name of ['scalar Upload', 'scalar DateTime', 'scalar Long', 'enum UploadStatus', 'enum FileRole', 'type MediaUpload', 'type UploadError', 'type StoredFile']) {
      assert.ok(sdl.includes(name), `${name} is in the schema`);
    }
    assert.match(sdl, /upload\(id: ID!\): MediaUpload\n/);
    assert.match(sdl, /uploads\(after: String, first: Int, status: UploadStatus\): MediaUploadConnection!/);
  });
});
