/**
 * (k) Server CPU per GiB of a direct upload (createDirectUpload, then the file straight to the
 * emulator through the client-upload API and COS, as vod-js-sdk-v6 does) next to uploadMedia's
 * for the same bytes. The server only signs, so its share should be ≈ 0. Both against the same
 * server and standalone emulator processes (bench/service.ts). BENCH_SKIP_DIRECT=1 skips it in
 * `npm run bench`; alone: `tsx bench/direct-bench.ts` (BENCH_DIRECT_SIZE, default 256MiB).
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { IngestClient } from '../src/client/ingest-client.ts';
import { generatedStream } from './generator.ts';
import { uploadOverHttp } from './http-client.ts';
import { cpuSeconds, settleDisk, startService, type RunningService } from './service.ts';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

export interface DirectBenchResult {
  readonly bytes: number;
  /** Server CPU seconds per GiB: the direct upload (signing only), and uploadMedia of the same bytes. */
  readonly serverCpuPerGiB: { readonly direct: number; readonly uploadMedia: number };
  readonly emulatorCpuPerGiB: { readonly direct: number; readonly uploadMedia: number };
  readonly seconds: { readonly direct: number; readonly uploadMedia: number };
  /** Server CPU seconds per GiB-time while idle for as long as the direct upload took (the floor). */
  readonly serverIdleCpuPerGiB: number;
}

async function measured(service: RunningService, run: () => Promise<unknown>): Promise<{ server: number; emulator: number; seconds: number }> {
  settleDisk();
  const before = { server: cpuSeconds(service.serverPid), emulator: cpuSeconds(service.emulatorPid) };
  const started = performance.now();
  await run();
  const seconds = (performance.now() - started) / 1000;
  return { server: cpuSeconds(service.serverPid) - before.server, emulator: cpuSeconds(service.emulatorPid) - before.emulator, seconds };
}

export async function runDirectBench(service: RunningService, options: { bytes: number; log: (line: string) => void }): Promise<DirectBenchResult> {
  const dir = await mkdtemp(path.join(tmpdir(), 'vod-bench-direct-'));
  try {
    const file = path.join(dir, 'bench.mp4');
    await pipeline(generatedStream(options.bytes), createWriteStream(file));
    const client = new IngestClient({ url: `${service.url}/graphql`, key: service.key });
    const endpoints = { vodUrl: service.emulator.vodEndpoint, cosUrl: service.emulator.cosEndpoint };
    // A first request compiles the server's GraphQL path: not part of an upload's cost.
    await client.createDirectUpload();
    const direct = await measured(service, () => client.uploadDirect(file, { endpoints }));
    // What the server spends doing nothing for as long (timers, the pool, the collector): the floor.
    const idle = await measured(service, () => new Promise((resolve) => setTimeout(resolve, direct.seconds * 1000)));
    const through = await measured(service, async () => {
      const result = await uploadOverHttp({ url: service.url, key: service.key, bytes: options.bytes });
      if (result.record?.status !== 'SUCCEEDED') throw new Error(`uploadMedia: ${JSON.stringify(result.errors ?? result.record?.error)}`);
    });
    const gib = options.bytes / GiB;
    const result: DirectBenchResult = {
      bytes: options.bytes,
      serverCpuPerGiB: { direct: direct.server / gib, uploadMedia: through.server / gib },
      emulatorCpuPerGiB: { direct: direct.emulator / gib, uploadMedia: through.emulator / gib },
      seconds: { direct: direct.seconds, uploadMedia: through.seconds },
      serverIdleCpuPerGiB: idle.server / gib,
    };
    options.log(
      `(k) ${(options.bytes / MiB).toFixed(0)} MiB: server CPU direct ${result.serverCpuPerGiB.direct.toFixed(3)} s/GiB vs uploadMedia ` +
        `${result.serverCpuPerGiB.uploadMedia.toFixed(2)} s/GiB; idle for as long: ${result.serverIdleCpuPerGiB.toFixed(3)} (emulator ${result.emulatorCpuPerGiB.direct.toFixed(2)} vs ` +
        `${result.emulatorCpuPerGiB.uploadMedia.toFixed(2)} s/GiB; ${direct.seconds.toFixed(1)} s vs ${through.seconds.toFixed(1)} s)`,
    );
    return result;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const sizeMiB = Number(/^(\d+)MiB$/i.exec(process.env['BENCH_DIRECT_SIZE'] ?? '256MiB')?.[1] ?? Number.NaN);
  if (!Number.isSafeInteger(sizeMiB) || sizeMiB <= 0) throw new Error('BENCH_DIRECT_SIZE: write it as <n>MiB');
  const service = await startService({ partBytes: 8 * MiB, concurrency: 4 });
  try {
    await runDirectBench(service, { bytes: sizeMiB * MiB, log: (line) => void process.stdout.write(`${line}\n`) });
  } finally {
    await service.close();
  }
}
