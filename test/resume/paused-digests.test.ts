// The in-memory SHA-256 states of paused uploads: a state is given out only for the offset it was
// kept at, only once, only before its window ends, and the registry stays bounded (lru-cache).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { PausedDigests } from '../../src/uploads/paused-digests.ts';

const later = (ms: number): Date => new Date(Date.now() + ms);

describe('PausedDigests', () => {
  it('gives the state back once, for its offset, and it continues the hash', () => {
    const digests = new PausedDigests();
    const state = createHash('sha256').update('hello ');
    digests.keep('t:1', 6, state, later(60_000));
    assert.equal(digests.take('t:1', 7), undefined, 'another offset: none (and it is forgotten)');
    digests.keep('t:1', 6, state, later(60_000));
    const taken = digests.take('t:1', 6);
    assert.ok(taken !== undefined);
    assert.equal(taken.copy().update('world').digest('hex'), createHash('sha256').update('hello world').digest('hex'));
    assert.equal(digests.take('t:1', 6), undefined, 'taken once');
  });

  it('gives nothing once the window ended, and keeps nothing whose window has already ended', async () => {
    const digests = new PausedDigests();
    digests.keep('t:2', 0, createHash('sha256'), later(30));
    digests.keep('t:3', 0, createHash('sha256'), later(-1));
    assert.equal(digests.size, 1);
    await new Promise((resolve) => setTimeout(resolve, 80));
    assert.equal(digests.take('t:2', 0), undefined);
  });

  it('stays within its bound: the least recently kept go first', () => {
    const digests = new PausedDigests(3);
    for (const key of ['b', 'c', 'd']) digests.keep(key, 1, createHash('sha256'), later(60_000));
    digests.keep('e', 1, createHash('sha256'), later(60_000));
    assert.equal(digests.size, 3);
    assert.equal(digests.take('b', 1), undefined, 'the oldest went');
    assert.ok(digests.take('e', 1) !== undefined);
  });
});
