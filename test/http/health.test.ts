import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../support/server.ts';

let server: TestServer;
before(async () => {
  server = await startTestServer('health');
});
after(async () => {
  await server.dispose();
});

describe('health endpoints', () => {
  it('/healthz answers while the process is up', async () => {
    const response = await fetch(`${server.url}/healthz`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { status: 'ok' });
  });

  it('/readyz reports each dependency', async () => {
    const response = await fetch(`${server.url}/readyz`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { ready: true, checks: { database: 'ok' } });
  });

  it('answers 404 elsewhere and echoes a request id', async () => {
    const response = await fetch(`${server.url}/nope`, { headers: { 'x-request-id': 'abc-123' } });
    assert.equal(response.status, 404);
    assert.equal(response.headers.get('x-request-id'), 'abc-123');
  });
});
