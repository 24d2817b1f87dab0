import { after, before, describe } from 'node:test';
import { startTestServer, type TestServer } from '../support/server.ts';
import { HLS_CASES, refusesEach } from './manifest-cases.ts';

let server: TestServer;
let key: string;

before(async () => {
  server = await startTestServer('hostile-manifest-encoded');
  key = (await server.app.apiKeys.createKey('hostile-manifest-encoded')).key;
});
after(async () => {
  await server.dispose();
});

describe('hostile HLS manifests with percent-encoded references (decoded by every player)', () => {
  refusesEach(HLS_CASES.filter((hostile) => hostile.why.source.includes('percent')), () => ({ server, key }));
});
