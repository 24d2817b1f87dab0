import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { ERROR_CODE_INFO, ERROR_CODES } from '../../src/errors/error-codes.ts';
import { VodError, isVodError, toVodError } from '../../src/errors/vod-error.ts';

describe('error codes', () => {
  it('are all documented in docs/errors.md with their HTTP status, and the doc names no other', async () => {
    const doc = await readFile(new URL('../../docs/errors.md', import.meta.url), 'utf8');
    const documented = [...doc.matchAll(/^\| `([\w.]+)` \| (\d{3}) \|/gm)].map((match) => [match[1], Number(match[2])]);
    assert.deepEqual(
      documented,
      ERROR_CODES.map((code) => [code, ERROR_CODE_INFO[code].http]),
    );
  });

  it('keep a VodError recognisable by its code, and make anything else an InternalError', () => {
    const error = new VodError('LimitExceeded', 'too big', { requestId: 'r', uploadId: 'u' });
    assert.ok(isVodError(error));
    assert.equal(toVodError(error), error);
    const wrapped = toVodError(new Error('boom'));
    assert.equal(wrapped.code, 'InternalError');
    assert.equal(wrapped.message, 'Internal error.');
    assert.equal(error.withUploadId('u2').uploadId, 'u2');
  });
});
