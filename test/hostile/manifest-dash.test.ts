import { after, before, describe } from 'node:test';
import { startTestServer, type TestServer } from '../support/server.ts';
import { NESTED_AND_DASH_CASES, refusesEach } from './manifest-cases.ts';

let server: TestServer;
let key: string;

before(async () => {
  server = await startTestServer('hostile-manifest-dash');
  key = (await server.app.apiKeys.createKey('hostile-manifest-dash')).key;
});
after(async () => {
  await server.dispose();
});

describe('hostile nested playlists and DASH manifests: every reference is judged as a player resolves it', () => {
  refusesEach(NESTED_AND_DASH_CASES, () => ({ server, key }));
});
