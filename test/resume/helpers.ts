import type http from 'node:http';
import { createHash } from 'node:crypto';
import { crc64 } from '../../src/checksums/crc64.ts';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startEmulator, type EmulatorOptions, type RunningEmulator } from '../../src/emulator/emulator.ts';
import { openTestDatabase, type TestDatabase } from '../support/database.ts';
import { sendMultipart, type MultipartAnswer } from '../support/multipart.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

export const RESUME_MUTATION = `mutation Resume($input: ResumeUploadInput!) {
  resumeUpload(input: $input) {
    id status bytesTotal bytesReceived bytesUploaded fileId mediaUrl coverUrl resumableOffset resumableUntil
    error { code message }
    files { role path bytes sha256 }
  }
}`;

export const UPLOAD_QUERY = `query($id: ID!) {
  upload(id: $id) { id status bytesReceived bytesUploaded resumableOffset resumableUntil error { code message } files { role bytes sha256 } }
}`;

/** Sends `resumeUpload` with the media's bytes from `offset` on (and a cover when given). */
export function sendResume(options: {
  url: string;
  key: string;
  id: string;
  offset: number;
  rest: Buffer | (() => AsyncIterable<Buffer>);
  cover?: Buffer;
}): { request: http.ClientRequest; answer: Promise<MultipartAnswer> } {
  const files = [{ field: '0', filename: 'resumed.mp4', content: options.rest }];
  const map: Record<string, string[]> = { 0: ['variables.input.media'] };
  if (options.cover !== undefined) {
    files.push({ field: '1', filename: 'cover.jpg', content: options.cover });
    map[1] = ['variables.input.cover'];
  }
  const { request, answer } = sendMultipart({
    url: options.url,
    key: options.key,
    query: RESUME_MUTATION,
    variables: { input: { id: options.id, offset: options.offset, media: null, ...(options.cover === undefined ? {} : { cover: null }) } },
    map,
    files,
  });
  return { request, answer };
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export { crc64 };

/** Two instances (A and B) of the service on one schema and one emulator, resuming on. */
export interface TwoInstances {
  readonly emulator: RunningEmulator;
  /** The emulator's data directory. */
  readonly emulatorDir: string;
  readonly database: TestDatabase;
  readonly serverA: TestServer;
  readonly serverB: TestServer;
  dispose(): Promise<void>;
}

export async function openTwoInstances(label: string, emulatorOptions: Partial<EmulatorOptions> = {}): Promise<TwoInstances> {
  const emulatorDir = await mkdtemp(path.join(os.tmpdir(), `${label}-emu-`));
  const emulator = await startEmulator({ ...emulatorOptions, port: 0, dataDir: emulatorDir });
  const database = await openTestDatabase(label.replaceAll('-', ''));
  const env = { RESUME_TTL: '1h', DEFAULT_CONCURRENCY: '2' };
  const serverA = await startTestServer(`${label}-a`, { emulator, database, env, instanceId: `${label}-a` });
  const serverB = await startTestServer(`${label}-b`, { emulator, database, env, instanceId: `${label}-b` });
  return {
    emulator,
    emulatorDir,
    database,
    serverA,
    serverB,
    async dispose() {
      await serverA.dispose();
      await serverB.dispose();
      await database.dispose();
      await emulator.close();
      await rm(emulatorDir, { recursive: true, force: true });
    },
  };
}
