import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '../../src/logging/logger.ts';
import { sendMediaUpload, sendMultipart, slowBytes, UPLOAD_MUTATION } from '../support/multipart.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { PROGRESS_SUBSCRIPTION, subscribeSse, subscribeWs } from '../support/subscriptions.ts';
import { assertInvariants, codeOf, rawRequest, sendManifestUpload } from './surface-support.ts';

interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

const ERROR = 50;
const lines: string[] = [];
let server: TestServer;
let key: string;
let otherKey: string;

before(async () => {
  const stream = new PassThrough();
  let pending = '';
  stream.on('data', (chunk: Buffer) => {
    pending += chunk.toString('utf8');
    const complete = pending.split('\n');
    pending = complete.pop() ?? '';
    lines.push(...complete.filter((line) => line !== ''));
  });
  // RESUME_TTL 0: the abandoned upload fails instead of waiting PAUSED (the invariants want nothing left open).
  server = await startTestServer('hostile-logging', { logger: createLogger('debug', stream), env: { RESUME_TTL: '0' } });
  key = (await server.app.apiKeys.createKey('logging')).key;
  otherKey = (await server.app.apiKeys.createKey('logging-other')).key;
});
after(async () => {
  await server.dispose();
});

const parsed = (from = 0): LogLine[] => lines.slice(from).map((line) => JSON.parse(line) as LogLine);
const errorLines = (from = 0): LogLine[] => parsed(from).filter((line) => line.level >= ERROR);

async function recordStatus(id: string): Promise<string | undefined> {
  const answer = await server.graphql('query($id: ID!) { upload(id: $id) { status } }', { key, variables: { id } });
  return (answer.body.data?.['upload'] as { status: string } | null)?.status;
}

async function until(condition: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('log hygiene: a client mistake is not an error of the service', () => {
  it('logs a session of client mistakes without a single error-level line', async () => {
    const from = lines.length;
    const codes: unknown[] = [];
    codes.push(codeOf(await server.graphql('{ upload(id: "not-a-uuid") { id } }', { key })));
    codes.push(codeOf(await server.graphql(`{ upload(id: "${randomUUID()}") { id } }`, { key })));
    codes.push(codeOf(await server.graphql(`mutation { cancelUpload(id: "${randomUUID()}") { id } }`, { key })));
    codes.push(codeOf(await server.graphql('{ uploads(first: 1000) { pageInfo { hasNextPage } } }', { key })));
    codes.push(codeOf(await server.graphql('{ uploads( }', { key })));
    codes.push(codeOf(await server.graphql('{ nope }', { key })));
    codes.push(codeOf(await server.graphql(`{ ${'__typename '.repeat(2_000)} }`, { key })));
    codes.push(codeOf(await server.graphql('{ uploads(first: 1) { edges { cursor } } }', { key: 'vodk_00000000_wrong' })));
    codes.push(codeOf(await sendMediaUpload({ url: server.url, key, filename: 'virus.exe', content: randomBytes(100) }).answer));
    codes.push(codeOf(await sendMediaUpload({ url: server.url, key, filename: 'a.mp4', content: randomBytes(100), input: { expireTime: 'soon' } }).answer));
    // Files out of order: the cover arrives before the media it belongs with.
    codes.push(
      codeOf(
        await sendMultipart({
          url: server.url,
          key,
          query: UPLOAD_MUTATION,
          variables: { input: { media: null, cover: null } },
          map: { c: ['variables.input.cover'], m: ['variables.input.media'] },
          files: [
            { field: 'c', filename: 'cover.xyz', content: randomBytes(100) },
            { field: 'm', filename: 'clip.mp4', content: randomBytes(100) },
          ],
        }).answer,
      ),
    );
    codes.push(
      codeOf(
        await sendManifestUpload(server, key, {
          manifest: { name: 'index.m3u8', content: '#EXTM3U\n#EXTINF:4,\n%2e%2e/x.ts\n' },
          segments: [{ path: 'x.ts', content: 'x' }],
        }),
      ),
    );
    const big = await rawRequest(server.url, {
      method: 'POST',
      path: '/graphql',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ query: '{ __typename }', variables: { x: 'y'.repeat(2 * 1024 * 1024) } }),
    });
    assert.equal(big.status, 413);
    // A request target no URL parser accepts (it used to throw in the handler: 500 and an error line).
    const target = await rawRequest(server.url, { path: 'http://[', headers: { authorization: `Bearer ${key}` } });
    assert.equal(target.status, 400);
    assert.equal((JSON.parse(target.text) as { errors: Array<{ extensions: { code: string } }> }).errors[0]?.extensions.code, 'InvalidParameter');
    for (const subscribe of [subscribeSse, subscribeWs]) {
      const subscription = subscribe(server.url, key, PROGRESS_SUBSCRIPTION, { id: 'nope' });
      await subscription.done.catch(() => undefined);
      assert.ok(subscription.errors.length > 0);
    }
    // Another tenant's upload, then a canceled upload and a client that goes away mid-stream.
    const theirs = randomUUID();
    await sendMediaUpload({ url: server.url, key: otherKey, filename: 'theirs.mp4', content: randomBytes(100), input: { id: theirs } }).answer;
    codes.push(codeOf(await server.graphql(`{ upload(id: "${theirs}") { id } }`, { key })));
    const canceled = randomUUID();
    const slow = sendMediaUpload({ url: server.url, key, filename: 'slow.mp4', content: slowBytes(randomBytes(4 * 1024 * 1024), 64 * 1024, 30), input: { id: canceled } });
    await until(async () => (await recordStatus(canceled)) === 'UPLOADING', 'the upload to run');
    await server.graphql('mutation($id: ID!) { cancelUpload(id: $id) { status } }', { key, variables: { id: canceled } });
    codes.push(codeOf(await slow.answer));
    const gone = randomUUID();
    const abandoned = sendMediaUpload({ url: server.url, key, filename: 'gone.mp4', content: slowBytes(randomBytes(4 * 1024 * 1024), 64 * 1024, 30), input: { id: gone } });
    abandoned.answer.catch(() => undefined);
    await until(async () => (await recordStatus(gone)) === 'UPLOADING', 'the upload to run');
    abandoned.request.destroy();
    await until(async () => (await recordStatus(gone)) === 'FAILED', 'the abandoned upload to fail');

    assert.ok(!codes.includes('InternalError'), `all client errors: ${JSON.stringify(codes)}`);
    assert.ok(codes.length >= 14);
    await assertInvariants(server);
    assert.deepEqual(errorLines(from), [], 'no error-level line for client mistakes');
    assert.ok(parsed(from).some((line) => line.msg === 'client error'), 'the mistakes are still logged, below error');
  });

  it("still logs a real fault of the service at error (the VOD API's InternalError)", async () => {
    const from = lines.length;
    server.emulator.faults.failNextVod('InternalError', { action: 'ApplyUpload' });
    const answer = await sendMediaUpload({ url: server.url, key, filename: 'clip.mp4', content: randomBytes(1000) }).answer;
    assert.equal(codeOf(answer), 'InternalError');
    assert.ok(errorLines(from).length > 0, 'an error-level line');
    await assertInvariants(server);
  });

  it('never writes an API key or a cloud secret into a log line', () => {
    assert.ok(lines.length > 20, 'the session above logged');
    const secrets = [key, otherKey, server.emulator.secretKey, server.emulator.secretId];
    for (const line of lines) {
      for (const secret of secrets) assert.ok(!line.includes(secret), `a secret in: ${line.slice(0, 300)}`);
    }
  });
});
