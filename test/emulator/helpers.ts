/** Shared set-up for the emulator tests: a fresh emulator on a random port with a temp data dir, real SDK clients. */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import COS from 'cos-nodejs-sdk-v5';
import * as tencentcloud from 'tencentcloud-sdk-nodejs-vod';
import { startEmulator, type EmulatorOptions, type RunningEmulator } from '../../src/emulator/emulator.ts';

export type VodClient = InstanceType<typeof tencentcloud.vod.v20180717.Client>;

export interface TestEmulator {
  readonly emulator: RunningEmulator;
  readonly dataDir: string;
  stop(): Promise<void>;
}

export async function startTestEmulator(options: Partial<EmulatorOptions> = {}): Promise<TestEmulator> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'vod-emu-test-'));
  const emulator = await startEmulator({ dataDir, ...options });
  return {
    emulator,
    dataDir,
    async stop() {
      await emulator.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** The VOD client exactly as the service's adapter configures it. */
export function vodClient(
  emulator: RunningEmulator,
  credential: { secretId: string; secretKey: string; token?: string } = emulator,
): VodClient {
  return new tencentcloud.vod.v20180717.Client({
    credential: { secretId: credential.secretId, secretKey: credential.secretKey, token: credential.token },
    region: emulator.region,
    profile: { httpProfile: { endpoint: emulator.hostPort, protocol: 'http://' } },
  });
}

export interface TempCert {
  readonly SecretId?: string;
  readonly SecretKey?: string;
  readonly Token?: string;
}

/** The COS client as the service's adapter configures it (`Ip` override: real virtual-host Host header). */
export function cosClient(emulator: RunningEmulator, cert: TempCert, extra: Partial<COS.COSOptions> = {}): COS {
  return new COS({
    SecretId: cert.SecretId ?? '',
    SecretKey: cert.SecretKey ?? '',
    SecurityToken: cert.Token ?? '',
    Ip: emulator.hostPort,
    Protocol: 'http:',
    ...extra,
  });
}

/** Path-style COS client: `Domain: '127.0.0.1:PORT/{Bucket}'`. */
export function cosPathStyleClient(emulator: RunningEmulator, cert: TempCert): COS {
  return new COS({
    SecretId: cert.SecretId ?? '',
    SecretKey: cert.SecretKey ?? '',
    SecurityToken: cert.Token ?? '',
    Domain: `${emulator.hostPort}/{Bucket}`,
    Protocol: 'http:',
  });
}

export const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

/** Deterministic pseudo-random bytes. */
export function bytes(size: number, seed = 1): Buffer {
  const out = Buffer.alloc(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Runs `fn` and returns the error it throws (fails if it does not). */
export async function rejection(fn: () => Promise<unknown>): Promise<Record<string, unknown>> {
  try {
    await fn();
  } catch (error) {
    return error as Record<string, unknown>;
  }
  throw new Error('expected a rejection');
}
