import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GraphQLError } from 'graphql';
import { VodError } from '../../src/errors/vod-error.ts';
import { maskError } from '../../src/graphql/mask-error.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const silent = createLogger('silent');

describe('maskError', () => {
  it('keeps a VodError code, message, uploadId and requestId', () => {
    const wrapped = new GraphQLError('ignored', {
      originalError: new VodError('InvalidParameterValue.MediaType', 'invalid media type', { requestId: 'r-1', uploadId: 'u-1' }),
    });
    const masked = maskError(wrapped, silent) as GraphQLError;
    assert.equal(masked.message, 'invalid media type');
    assert.deepEqual(masked.extensions, { code: 'InvalidParameterValue.MediaType', uploadId: 'u-1', requestId: 'r-1' });
  });

  it('turns anything else into a bare InternalError', () => {
    const wrapped = new GraphQLError('connect ECONNREFUSED 10.0.0.5:5432 password=hunter2', {
      originalError: new Error('connect ECONNREFUSED 10.0.0.5:5432 password=hunter2'),
    });
    const masked = maskError(wrapped, silent) as GraphQLError;
    assert.equal(masked.message, 'Internal error.');
    assert.deepEqual(masked.extensions, { code: 'InternalError' });
  });

  it("leaves GraphQL's own errors (syntax, validation) alone", () => {
    const validation = new GraphQLError('Cannot query field "nope" on type "Query".');
    assert.equal(maskError(validation, silent), validation);
  });
});

describe('error masking over HTTP', () => {
  let server: TestServer;
  let key: string;
  before(async () => {
    server = await startTestServer('mask');
    key = (await server.app.apiKeys.createKey('masking')).key;
  });
  after(async () => {
    await server.dispose();
  });

  it('answers a bad cursor with InvalidParameter', async () => {
    const answer = await server.graphql('{ uploads(first: 1, after: "bm9wZQ") { edges { cursor } } }', { key });
    assert.equal(answer.body.errors?.[0]?.extensions?.['code'], 'InvalidParameter');
  });

  it('answers a database failure with InternalError and no internals', async () => {
    await server.database.db.pool.query(`ALTER TABLE "${server.database.schema}".uploads RENAME TO uploads_gone`);
    try {
      const answer = await server.graphql('{ uploads(first: 1) { edges { cursor } } }', { key });
      assert.equal(answer.status, 200);
      const [error] = answer.body.errors ?? [];
      assert.equal(error?.extensions?.['code'], 'InternalError');
      assert.equal(error?.message, 'Internal error.');
      assert.doesNotMatch(JSON.stringify(answer.body), /relation|prisma|stack|does not exist|uploads_gone/i);
    } finally {
      await server.database.db.pool.query(`ALTER TABLE "${server.database.schema}".uploads_gone RENAME TO uploads`);
    }
  });
});
