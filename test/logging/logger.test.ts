import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { createLogger } from '../../src/logging/logger.ts';

describe('logger', () => {
  it('writes JSON lines and never a secret, key or token', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logger = createLogger('info', sink);
    logger.info(
      {
        credentials: { secretId: 'AKIDsecretid', secretKey: 'sk-value' },
        req: { headers: { authorization: 'Bearer vodk_abcd1234_secret', 'x-tc-token': 'tok-value' } },
        apiKey: 'vodk_abcd1234_secret2',
        vod: { secretKey: 'nested-sk', sessionToken: 'nested-token' },
        applied: { sessionCredentials: { secretId: 'AKIDsession', secretKey: 'session-sk', token: 'session-token' } },
        session: { tempCertificate: { secretId: 'AKIDtemp', secretKey: 'temp-sk', token: 'temp-token' } },
      },
      'something happened',
    );
    assert.equal(lines.length, 1);
    const line = lines[0] ?? '';
    const parsed = JSON.parse(line) as { msg: string; service: string };
    assert.equal(parsed.msg, 'something happened');
    assert.equal(parsed.service, 'vod-ingest');
    for (const secret of ['AKIDsecretid', 'sk-value', 'vodk_abcd1234_secret', 'tok-value', 'nested-sk', 'nested-token', 'session-sk', 'session-token', 'temp-sk', 'temp-token']) {
      assert.ok(!line.includes(secret), `${secret} must not be logged: ${line}`);
    }
    assert.match(line, /\[redacted\]/);
  });
});
