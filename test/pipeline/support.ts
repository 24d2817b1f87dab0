import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { startEmulator, type FaultOptions, type RunningEmulator } from '../../src/emulator/emulator.ts';
import type { PipelineDependencies, PipelineSettings } from '../../src/pipeline/upload-pipeline.ts';
import { createPipelineDependencies } from '../../src/runtime/pipeline-dependencies.ts';

export const MiB = 1024 * 1024;

export interface TestEmulator {
  readonly emulator: RunningEmulator;
  readonly dataDir: string;
  close(): Promise<void>;
}

/** An emulator on port 0 with a fresh data directory, removed on close. */
export async function startTestEmulator(faults?: FaultOptions): Promise<TestEmulator> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'vod-pipeline-'));
  const emulator = await startEmulator({ port: 0, dataDir, faults });
  return {
    emulator,
    dataDir,
    async close() {
      await emulator.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Pipeline dependencies over the real SDK adapters, pointed at the emulator. */
export function emulatorDeps(emulator: RunningEmulator, settings: Partial<PipelineSettings> = {}): PipelineDependencies {
  return createPipelineDependencies(
    { secretId: emulator.secretId, secretKey: emulator.secretKey, vodEndpoint: emulator.vodEndpoint, cosEndpoint: emulator.cosEndpoint },
    {
      partBytes: MiB,
      defaultConcurrency: 4,
      partRetry: { attempts: 5, baseDelayMs: 10, maxDelayMs: 100 },
      apiRetry: { attempts: 3, baseDelayMs: 10, maxDelayMs: 50 },
      ...settings,
    },
  );
}

/** Deterministic bytes: byte i of the stream is a function of (seed, i). */
export function patternBytes(size: number, seed = 1, offset = 0): Buffer {
  const data = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i += 1) data[i] = ((offset + i) * 31 + seed * 17 + ((offset + i) >>> 11)) & 0xff;
  return data;
}

/** A stream of `size` pattern bytes in chunks of `chunkBytes`. */
export function patternStream(size: number, seed = 1, chunkBytes = 64 * 1024): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= size) {
        this.push(null);
        return;
      }
      const length = Math.min(chunkBytes, size - sent);
      this.push(patternBytes(length, seed, sent));
      sent += length;
    },
  });
}

export function sha256Of(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export function patternSha256(size: number, seed = 1): string {
  return sha256Of(patternBytes(size, seed));
}

/** sha256 of an object as the emulator stored it on disk. */
export async function storedSha256(test: TestEmulator, bucket: string, key: string): Promise<string> {
  const meta = test.emulator.state.object(bucket, key);
  if (meta === undefined) throw new Error(`no object ${bucket}/${key}`);
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path.join(test.dataDir, 'objects', bucket, meta.file))) {
    hash.update(chunk as Buffer);
  }
  return hash.digest('hex');
}

export function bufferSource(data: Buffer, fileName?: string): { fileName?: string; open(): Readable } {
  return { fileName, open: () => Readable.from([data]) };
}
