/**
 * What a Node team would build instead of vod-ingest, for the bench's like-with-like comparison: an
 * express server whose multer middleware writes the upload to a temporary file, then sends that file
 * to VOD, answering `{ fileId, mediaUrl }` as JSON once VOD has committed it. Two flavours
 * (TWO_HOP_MODE):
 *   - `vod-sdk`: Tencent's vod-node-sdk `VodUploadClient.upload` on the file (its own part settings),
 *     pointed at the emulator by ./vod-sdk-preload.ts;
 *   - `cos-sdk`: ApplyUpload, then cos-nodejs-sdk-v5 `sliceUploadFile` with the bench's part size and
 *     concurrency, then CommitUpload.
 * Prints `listening on http://127.0.0.1:PORT` once ready. Configuration by environment (bench only):
 * TWO_HOP_MODE, TWO_HOP_TMP, EMULATOR (the JSON line the emulator printed), PART_BYTES, CONCURRENCY.
 */
import { createRequire } from 'node:module';
import { rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import COS from 'cos-nodejs-sdk-v5';
import express from 'express';
import multer from 'multer';
import { createTencentVodApi } from '../src/vod/tencent-vod-api.ts';
import { pointVodSdkAt } from './vod-sdk-preload.ts';
import type { EmulatorInfo } from './service.ts';

const env = process.env;
const mode = env['TWO_HOP_MODE'] === 'vod-sdk' ? 'vod-sdk' : 'cos-sdk';
const emulator = JSON.parse(env['EMULATOR'] ?? '{}') as EmulatorInfo;
const partBytes = Number(env['PART_BYTES'] ?? 8 * 1024 * 1024);
const concurrency = Number(env['CONCURRENCY'] ?? 4);
const upload = multer({ dest: env['TWO_HOP_TMP'] ?? 'bench/out/two-hop-tmp' });

interface Stored {
  readonly fileId: string;
  readonly mediaUrl: string;
}

interface VodSdk {
  VodUploadClient: new (secretId: string, secretKey: string) => {
    upload(region: string, request: Record<string, unknown>, callback: (error: unknown, data: { FileId?: string; MediaUrl?: string }) => void): void;
  };
  VodUploadRequest: new () => Record<string, unknown>;
}

function loadVodSdk(): VodSdk {
  pointVodSdkAt(new URL(emulator.vodEndpoint).host);
  return createRequire(import.meta.url)('vod-node-sdk') as VodSdk;
}

const vodSdk = mode === 'vod-sdk' ? loadVodSdk() : undefined;

async function sendWithVodSdk(sdk: VodSdk, filePath: string): Promise<Stored> {
  const client = new sdk.VodUploadClient(emulator.secretId, emulator.secretKey);
  const request = new sdk.VodUploadRequest();
  request['MediaFilePath'] = filePath;
  request['MediaType'] = 'mp4';
  const answer = await new Promise<{ FileId?: string; MediaUrl?: string }>((resolve, reject) =>
    client.upload(emulator.region, request, (error, data) => (error ? reject(new Error(JSON.stringify(error))) : resolve(data))),
  );
  return { fileId: answer.FileId ?? '', mediaUrl: answer.MediaUrl ?? '' };
}

async function sendWithCosSdk(filePath: string): Promise<Stored> {
  const vod = createTencentVodApi({ secretId: emulator.secretId, secretKey: emulator.secretKey, region: emulator.region, endpoint: emulator.vodEndpoint });
  const session = await vod.applyUpload({ mediaType: 'mp4', mediaName: 'bench' });
  const certificate = session.tempCertificate;
  if (certificate === undefined) throw new Error('ApplyUpload gave no temporary certificate');
  const cos = new COS({
    SecretId: certificate.secretId,
    SecretKey: certificate.secretKey,
    SecurityToken: certificate.token,
    Ip: new URL(emulator.cosEndpoint).host,
    Protocol: 'http:',
    ChunkParallelLimit: concurrency,
    ChunkSize: partBytes,
  });
  await cos.sliceUploadFile({
    Bucket: session.storageBucket,
    Region: session.storageRegion,
    Key: session.mediaStoragePath.slice(1),
    FilePath: filePath,
    ChunkSize: partBytes,
  });
  const committed = await vod.commitUpload({ vodSessionKey: session.vodSessionKey });
  return { fileId: committed.fileId, mediaUrl: committed.mediaUrl };
}

const app = express();
app.post('/upload', upload.single('media'), (req, res) => {
  const file = req.file;
  if (file === undefined) {
    res.status(400).json({ error: 'no media' });
    return;
  }
  const send = vodSdk === undefined ? sendWithCosSdk(file.path) : sendWithVodSdk(vodSdk, file.path);
  send
    .then((stored) => res.json(stored))
    .catch((error: unknown) => res.status(500).json({ error: error instanceof Error ? error.message : String(error) }))
    .finally(() => void rm(file.path, { force: true }));
});

const server = app.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`listening on http://127.0.0.1:${port}\n`);
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
