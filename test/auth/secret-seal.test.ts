import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { parseSealKey, SecretSeal, sessionCredentialSeal } from '../../src/auth/secret-seal.ts';

describe('SecretSeal', () => {
  it('opens what it sealed, for the same context only, and never shows the plaintext', () => {
    const seal = SecretSeal.withKey(randomBytes(32));
    const sealed = seal.seal('the secret key', 'upload 1');
    assert.ok(!sealed.includes('the secret key'));
    assert.ok(!Buffer.from(sealed.slice(3), 'base64url').includes('the secret key'));
    assert.equal(seal.open(sealed, 'upload 1'), 'the secret key');
    assert.equal(seal.open(sealed, 'upload 2'), undefined, 'copied to another row, it does not open');
    assert.notEqual(seal.seal('the secret key', 'upload 1'), sealed, 'a fresh IV every time');
  });

  it('does not open a value sealed with another key, altered, or malformed', () => {
    const sealed = SecretSeal.withKey(randomBytes(32)).seal('secret', 'c');
    const other = SecretSeal.withKey(randomBytes(32));
    assert.equal(other.open(sealed, 'c'), undefined);
    const seal = SecretSeal.derivedFrom('service secret');
    const mine = seal.seal('secret', 'c');
    const bytes = Buffer.from(mine.slice(3), 'base64url');
    bytes[bytes.length - 1]! ^= 1;
    assert.equal(seal.open(`v1.${bytes.toString('base64url')}`, 'c'), undefined, 'altered');
    for (const junk of ['', 'v1.', 'v2.AAAA', 'v1.AAAA', 'v1.a.b']) assert.equal(seal.open(junk, 'c'), undefined, junk);
  });

  it('derives the same key from the same service secret (a restart opens what was sealed), another from another', () => {
    const sealed = SecretSeal.derivedFrom('service secret').seal('secret', 'c');
    assert.equal(SecretSeal.derivedFrom('service secret').open(sealed, 'c'), 'secret');
    assert.equal(SecretSeal.derivedFrom('rotated secret').open(sealed, 'c'), undefined);
    assert.equal(sessionCredentialSeal(undefined, 'service secret').open(sealed, 'c'), 'secret', 'no CREDENTIALS_KEY: derived');
    const configured = sessionCredentialSeal('cd'.repeat(32), 'service secret');
    assert.equal(configured.open(sealed, 'c'), undefined, 'a configured key is used instead');
    assert.equal(sessionCredentialSeal(Buffer.from('cd'.repeat(32), 'hex').toString('base64'), 'x').open(configured.seal('s', 'c'), 'c'), 's');
  });

  it('parses 32-byte keys in hex, base64 and base64url only', () => {
    const key = randomBytes(32);
    assert.deepEqual(parseSealKey(key.toString('hex')), key);
    assert.deepEqual(parseSealKey(key.toString('base64')), key);
    assert.deepEqual(parseSealKey(key.toString('base64url')), key);
    assert.deepEqual(parseSealKey(` ${key.toString('hex')}\n`), key);
    for (const bad of [randomBytes(31).toString('hex'), randomBytes(16).toString('base64'), randomBytes(48).toString('base64'), 'x'.repeat(43) + '!']) {
      assert.equal(parseSealKey(bad), undefined, bad);
    }
  });
});
