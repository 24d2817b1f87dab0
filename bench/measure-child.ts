/**
 * One measurement in its own process, so its peak RSS is its own. Reads the job from BENCH_JOB,
 * prints one `BENCH_RESULT {json}` line.
 */
import { request } from 'node:http';
import { pipeline } from 'node:stream/promises';
import COS from 'cos-nodejs-sdk-v5';
import { BufferGauge } from '../src/pipeline/buffer-gauge.ts';
import { uploadMedia } from '../src/pipeline/upload-pipeline.ts';
import { createCosObjectStore } from '../src/storage/cos-object-store.ts';
import { createTencentVodApi } from '../src/vod/tencent-vod-api.ts';
import { RESULT_PREFIX, type BenchJob, type BenchResult } from './child-protocol.ts';
import { generatedParts, generatedStream } from './generator.ts';

const job = JSON.parse(process.env['BENCH_JOB'] ?? '{}') as BenchJob;

async function runPipeline(): Promise<Partial<BenchResult>> {
  const credentials = { secretId: job.secretId, secretKey: job.secretKey };
  const gauge = new BufferGauge();
  const result = await uploadMedia(
    {
      fields: { region: job.region, concurrentUploadNumber: job.concurrency },
      media: { fileName: 'bench.mp4', open: () => generatedStream(job.bytes) },
      mediaSizeHint: job.bytes,
    },
    {
      vodApiFor: (region) => createTencentVodApi({ ...credentials, region, endpoint: job.endpoint }),
      openObjectStore: (target) => createCosObjectStore({ ...target, endpoint: job.endpoint }),
      fallbackCredentials: credentials,
      settings: { partBytes: job.partBytes, defaultConcurrency: job.concurrency },
    },
    { gauge },
  );
  if (result.files[0]?.bytes !== job.bytes) throw new Error(`stored ${result.files[0]?.bytes} of ${job.bytes} bytes`);
  return { bufferedHighWaterMark: gauge.highWaterMark };
}

/** The baseline: the COS SDK's own multipart calls with Buffer parts and the same window. */
async function runCosSdk(): Promise<Partial<BenchResult>> {
  const vod = createTencentVodApi({ secretId: job.secretId, secretKey: job.secretKey, region: job.region, endpoint: job.endpoint });
  const session = await vod.applyUpload({ mediaType: 'mp4', mediaName: 'baseline' });
  const certificate = session.tempCertificate;
  if (certificate === undefined) throw new Error('no temporary certificate');
  const url = new URL(job.endpoint);
  const cos = new COS({
    SecretId: certificate.secretId,
    SecretKey: certificate.secretKey,
    SecurityToken: certificate.token,
    Ip: url.host,
    Protocol: url.protocol === 'https:' ? 'https:' : 'http:',
  });
  const where = { Bucket: session.storageBucket, Region: session.storageRegion, Key: session.mediaStoragePath.slice(1) };
  const { UploadId } = await cos.multipartInit(where);
  const parts: { PartNumber: number; ETag: string }[] = [];
  const inFlight = new Set<Promise<void>>();
  let partNumber = 0;
  for await (const body of generatedParts(job.bytes, job.partBytes)) {
    while (inFlight.size >= job.concurrency) await Promise.race(inFlight);
    partNumber += 1;
    const PartNumber = partNumber;
    const task: Promise<void> = cos
      .multipartUpload({ ...where, UploadId, PartNumber, Body: body, ContentLength: body.length })
      .then(({ ETag }) => void parts.push({ PartNumber, ETag }))
      .finally(() => inFlight.delete(task));
    inFlight.add(task);
  }
  await Promise.all(inFlight);
  parts.sort((a, b) => a.PartNumber - b.PartNumber);
  await cos.multipartComplete({ ...where, UploadId, Parts: parts });
  await vod.commitUpload({ vodSessionKey: session.vodSessionKey });
  return {};
}

/** The limit: one streaming HTTP PUT of the same bytes to a server that discards them. */
async function runRawPut(): Promise<Partial<BenchResult>> {
  await new Promise<void>((resolve, reject) => {
    const put = request(`${job.endpoint}/discard`, { method: 'PUT', headers: { 'content-length': job.bytes } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`status ${res.statusCode}`))));
    });
    put.on('error', reject);
    pipeline(generatedStream(job.bytes), put).catch(reject);
  });
  return {};
}

const runners = { pipeline: runPipeline, 'cos-sdk': runCosSdk, 'raw-put': runRawPut } as const;

const started = performance.now();
const extra = await runners[job.kind]();
const seconds = (performance.now() - started) / 1000;
const result: BenchResult = {
  kind: job.kind,
  bytes: job.bytes,
  seconds,
  peakRssBytes: process.resourceUsage().maxRSS * 1024,
  ...extra,
};
process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`);
