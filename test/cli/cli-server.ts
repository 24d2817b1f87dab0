// What the CLI tests run against: a test server with an API key and a temporary directory for the
// files they upload, made before the file's tests and removed after them; and what they check with.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';
import { startTestServer, type TestServer } from '../support/server.ts';

export const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

export async function download(url: string): Promise<Buffer> {
  const response = await fetch(url);
  assert.equal(response.status, 200, `GET ${url}`);
  return Buffer.from(await response.arrayBuffer());
}

export interface CliServer {
  readonly server: TestServer;
  readonly key: string;
  /** A temporary directory for the files a test uploads. */
  readonly dir: string;
  /** The upload record (`upload(id)`) with its files, as the key's tenant sees it. */
  record(id: string): Promise<Record<string, unknown>>;
}

/** `files`: written into the directory once it exists (name → contents). */
export function cliServer(label: string, options: { keyLabel: string; tmpPrefix: string; files?: Record<string, Buffer> }): CliServer {
  const fixture = {
    server: undefined as unknown as TestServer,
    key: '',
    dir: '',
    async record(id: string): Promise<Record<string, unknown>> {
      const answer = await fixture.server.graphql(`query($id: ID!) { upload(id: $id) { id status error { code } files { role path bytes sha256 } } }`, {
        key: fixture.key,
        variables: { id },
      });
      return answer.body.data?.['upload'] as Record<string, unknown>;
    },
  };
  before(async () => {
    fixture.server = await startTestServer(label);
    fixture.key = (await fixture.server.app.apiKeys.createKey(options.keyLabel)).key;
    fixture.dir = await mkdtemp(path.join(os.tmpdir(), options.tmpPrefix));
    for (const [name, contents] of Object.entries(options.files ?? {})) await writeFile(path.join(fixture.dir, name), contents);
  });
  after(async () => {
    await fixture.server?.dispose();
    if (fixture.dir !== '') await rm(fixture.dir, { recursive: true, force: true });
  });
  return fixture;
}
