/**
 * Multipart uploads on disk: `multipart/<uploadId>/upload.json`, `part-<n>.json` and the part bytes.
 * Completing concatenates the listed parts by streaming into a temp file (CRC-64 computed on the way)
 * and installs it through the ObjectStore. In-progress uploads survive a restart.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { cosErrors } from './cos-errors.ts';
import { Crc64, crc64Combine } from './crc64.ts';
import { HashTap } from './hash-tap.ts';
import { uploadId as newUploadId } from './ids.ts';
import { JsonDir } from './json-dir.ts';
import type { ObjectMeta, ObjectStore, StreamOptions } from './object-store.ts';

export interface UploadMeta {
  readonly uploadId: string;
  readonly bucket: string;
  readonly key: string;
  readonly contentType: string;
  readonly initiated: string;
}

export interface PartMeta {
  readonly partNumber: number;
  readonly size: number;
  /** Quoted MD5 hex. */
  readonly etag: string;
  /** CRC-64/XZ of the part, unsigned decimal. */
  readonly crc64?: string | undefined;
  readonly lastModified: string;
  readonly file: string;
}

interface Upload {
  readonly meta: UploadMeta;
  readonly parts: Map<number, PartMeta>;
  completing: boolean;
}

export interface CompletePart {
  readonly partNumber: number;
  readonly etag: string;
}

/** Buffer size for copying part files into the object. */
const COPY_BYTES = 4 * 1024 * 1024;

/** Copies `sources` one after another into a new file `target` through one reused buffer. */
async function concatenate(sources: readonly string[], target: string): Promise<void> {
  const out = await open(target, 'w');
  const buffer = Buffer.allocUnsafe(COPY_BYTES);
  try {
    for (const source of sources) {
      const input = await open(source, 'r');
      try {
        for (;;) {
          const { bytesRead } = await input.read(buffer, 0, COPY_BYTES, null);
          if (bytesRead === 0) break;
          let written = 0;
          while (written < bytesRead) written += (await out.write(buffer, written, bytesRead - written, null)).bytesWritten;
        }
      } finally {
        await input.close();
      }
    }
  } finally {
    await out.close();
  }
}

const unquote = (etag: string): string => etag.trim().replace(/^"|"$/g, '').toLowerCase();

export class MultipartStore {
  private readonly uploads = new Map<string, Upload>();
  private readonly root: string;

  constructor(
    dataDir: string,
    private readonly objects: ObjectStore,
    private readonly minPartSize: number,
  ) {
    this.root = path.join(dataDir, 'multipart');
  }

  async load(): Promise<void> {
    await mkdir(this.root, { recursive: true });
    for (const id of await readdir(this.root)) {
      const docs = await new JsonDir<UploadMeta | PartMeta>(path.join(this.root, id)).loadAll();
      const meta = docs.find((d): d is UploadMeta => 'uploadId' in d);
      if (meta === undefined) continue;
      const parts = new Map<number, PartMeta>();
      for (const d of docs) if ('partNumber' in d) parts.set(d.partNumber, d);
      this.uploads.set(id, { meta, parts, completing: false });
    }
  }

  async initiate(bucket: string, key: string, contentType: string): Promise<UploadMeta> {
    const meta: UploadMeta = { uploadId: newUploadId(), bucket, key, contentType, initiated: new Date().toISOString() };
    const dir = new JsonDir<UploadMeta>(path.join(this.root, meta.uploadId));
    await dir.init();
    await dir.write('upload', meta);
    this.uploads.set(meta.uploadId, { meta, parts: new Map(), completing: false });
    return meta;
  }

  /** The upload `uploadId` of `bucket/key`, or NoSuchUpload. */
  get(bucket: string, key: string, uploadId: string): Upload {
    const u = this.uploads.get(uploadId);
    if (u === undefined || u.completing || u.meta.bucket !== bucket || u.meta.key !== key) throw cosErrors.noSuchUpload();
    return u;
  }

  /** In-progress uploads, optionally of one bucket and key prefix, oldest first. */
  list(bucket?: string, prefix = ''): UploadMeta[] {
    return [...this.uploads.values()]
      .filter((u) => !u.completing && (bucket === undefined || u.meta.bucket === bucket) && u.meta.key.startsWith(prefix))
      .map((u) => u.meta)
      .sort((a, b) => (a.initiated < b.initiated ? -1 : a.initiated > b.initiated ? 1 : 0));
  }

  parts(upload: Upload): PartMeta[] {
    return [...upload.parts.values()].sort((a, b) => a.partNumber - b.partNumber);
  }

  async putPart(upload: Upload, partNumber: number, source: Readable, options: StreamOptions): Promise<PartMeta> {
    const r = await this.objects.streamToTemp(source, options);
    const dir = path.join(this.root, upload.meta.uploadId);
    const file = `part-${partNumber}-${randomUUID()}.bin`;
    try {
      await rename(r.tmpFile, path.join(dir, file));
    } catch (error) {
      await rm(r.tmpFile, { force: true });
      throw error instanceof Error && 'code' in error && error.code === 'ENOENT' ? cosErrors.noSuchUpload() : error;
    }
    const part: PartMeta = { partNumber, size: r.size, etag: `"${r.md5Hex}"`, crc64: r.crc64, lastModified: new Date().toISOString(), file };
    await new JsonDir<PartMeta>(dir).write(`part-${partNumber}`, part);
    const previous = upload.parts.get(partNumber);
    upload.parts.set(partNumber, part);
    if (previous !== undefined) await rm(path.join(dir, previous.file), { force: true });
    return part;
  }

  async complete(upload: Upload, list: readonly CompletePart[]): Promise<ObjectMeta> {
    if (list.length === 0) throw cosErrors.malformedXml('no parts');
    const chosen: PartMeta[] = [];
    list.forEach((p, i) => {
      if (i > 0 && p.partNumber <= list[i - 1]!.partNumber) throw cosErrors.invalidPartOrder();
      const part = upload.parts.get(p.partNumber);
      if (part === undefined || unquote(part.etag) !== unquote(p.etag)) throw cosErrors.invalidPart(p.partNumber);
      chosen.push(part);
    });
    chosen.forEach((part, i) => {
      if (i < chosen.length - 1 && part.size < this.minPartSize) throw cosErrors.entityTooSmall(part.partNumber);
    });
    upload.completing = true;
    const dir = path.join(this.root, upload.meta.uploadId);
    const tmpFile = path.join(this.objects.tmpDir, randomUUID());
    let size: number;
    let crc64: string;
    try {
      if (chosen.every((part) => part.crc64 !== undefined)) {
        // The parts' CRCs combine into the object's: no need to hash the bytes again.
        await concatenate(chosen.map((part) => path.join(dir, part.file)), tmpFile);
        let crc = 0n;
        size = 0;
        for (const part of chosen) {
          crc = size === 0 ? BigInt(part.crc64!) : crc64Combine(crc, BigInt(part.crc64!), part.size);
          size += part.size;
        }
        crc64 = (size === 0 ? new Crc64().digestBigInt() : crc).toString(10);
      } else {
        const tap = new HashTap({ md5: false });
        await pipeline(
          async function* () {
            for (const part of chosen) yield* createReadStream(path.join(dir, part.file), { highWaterMark: COPY_BYTES }) as AsyncIterable<Buffer>;
          },
          tap,
          createWriteStream(tmpFile, { highWaterMark: COPY_BYTES }),
        );
        size = tap.bytes;
        crc64 = tap.crc64();
      }
    } catch (error) {
      upload.completing = false;
      await rm(tmpFile, { force: true });
      throw error;
    }
    const md5s = createHash('md5');
    for (const part of chosen) md5s.update(Buffer.from(unquote(part.etag), 'hex'));
    const meta = await this.objects.install(upload.meta.bucket, upload.meta.key, tmpFile, {
      size,
      etag: `"${md5s.digest('hex')}-${chosen.length}"`,
      crc64,
      contentType: upload.meta.contentType,
    });
    await this.remove(upload.meta.uploadId);
    return meta;
  }

  async abort(upload: Upload): Promise<void> {
    await this.remove(upload.meta.uploadId);
  }

  private async remove(id: string): Promise<void> {
    this.uploads.delete(id);
    await rm(path.join(this.root, id), { recursive: true, force: true });
  }
}
