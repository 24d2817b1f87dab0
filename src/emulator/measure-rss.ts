/**
 * Streams N bytes (default 1 GiB) through a single COS PUT into an in-process emulator and reports the
 * process RSS before, its peak while streaming, the throughput, and the stored object's checks.
 * Usage: `tsx src/emulator/measure-rss.ts [--bytes N] [--chunk N]`. Prints one JSON line.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { cosAuthorizationHeader } from './cos-sign.ts';
import { Crc64 } from '../checksums/crc64.ts';
import { startEmulator } from './emulator.ts';

const { values } = parseArgs({ options: { bytes: { type: 'string', default: String(1024 ** 3) }, chunk: { type: 'string', default: String(1024 * 1024) } } });
const total = Number(values.bytes);
const chunkSize = Number(values.chunk);

const dataDir = await mkdtemp(path.join(os.tmpdir(), 'vod-emu-rss-'));
const emulator = await startEmulator({ dataDir });
try {
  const chunk = Buffer.alloc(chunkSize);
  for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 131 + 7) & 0xff;
  const crc = new Crc64();
  const md5 = createHash('md5');
  function* body(): Generator<Buffer> {
    for (let sent = 0; sent < total; sent += chunk.length) {
      const piece = total - sent >= chunk.length ? chunk : chunk.subarray(0, total - sent);
      crc.update(piece);
      md5.update(piece);
      yield piece;
    }
  }
  const bucket = 'vodgzp1250000000-1250000000';
  const key = 'rss/measure.bin';
  const host = `${bucket}.cos.ap-guangzhou.myqcloud.com`;
  const now = Math.floor(Date.now() / 1000);
  const times = `${now - 1};${now + 3600}`;
  const authorization = cosAuthorizationHeader({
    method: 'PUT', path: `/${key}`, params: [], headers: [['content-length', String(total)], ['host', host]],
    signTime: times, keyTime: times, secretKey: emulator.secretKey, secretId: emulator.secretId,
  });

  const rssBefore = process.memoryUsage().rss;
  let peak = rssBefore;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const started = performance.now();
  const [host0, port] = emulator.hostPort.split(':') as [string, string];
  const status = await new Promise<{ code: number; headers: Record<string, unknown> }>((resolve, reject) => {
    const req = request({ host: host0, port: Number(port), method: 'PUT', path: `/${key}`, headers: { Host: host, 'Content-Length': String(total), Authorization: authorization } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ code: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on('error', reject);
    pipeline(Readable.from(body()), req).catch(reject);
  });
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  const meta = emulator.state.object(bucket, key);
  const MiB = 1024 * 1024;
  process.stdout.write(
    `${JSON.stringify({
      bytes: total,
      status: status.code,
      seconds: Number(seconds.toFixed(2)),
      MiBps: Number((total / MiB / seconds).toFixed(1)),
      rssBeforeMiB: Number((rssBefore / MiB).toFixed(1)),
      rssPeakMiB: Number((peak / MiB).toFixed(1)),
      rssGrowthMiB: Number(((peak - rssBefore) / MiB).toFixed(1)),
      note: 'client and emulator share this process',
      crc64Ok: status.headers['x-cos-hash-crc64ecma'] === crc.digest() && meta?.crc64 === crc.digest(),
      etagOk: meta?.etag === `"${md5.digest('hex')}"`,
      sizeOk: meta?.size === total,
    })}\n`,
  );
} finally {
  await emulator.close();
  await rm(dataDir, { recursive: true, force: true });
}
