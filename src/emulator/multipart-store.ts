/**
 * Multipart uploads on disk: `multipart/<uploadId>/upload.json`, `part-<n>.json` and the part bytes.
 *
 * Part bytes go, when they can, straight to their place in one assembly file `data.bin`: the first
 * part with a Content-Length sets the stride S, and part n of length <= S is written at (n-1)*S (each
 * slot is written once; a re-sent part, a longer part or one without a length gets its own file).
 * Completing parts 1..k that all sit in their slots, every one but the last exactly S long, is then
 * a truncate and a rename instead of a copy. Otherwise the listed parts are concatenated into a temp
 * file. Either way the object's CRC-64 is combined from the parts' CRCs, and the object is installed
 * through the ObjectStore. In-progress uploads survive a restart.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { link, mkdir, open, readdir, rename, rm, truncate } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { cosErrors } from './cos-errors.ts';
import { Crc64, crc64Combine } from '../checksums/crc64.ts';
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
  /** Where the bytes start in `file` (the assembly file); absent: the whole file. */
  readonly offset?: number | undefined;
}

interface Upload {
  readonly meta: UploadMeta;
  readonly parts: Map<number, PartMeta>;
  completing: boolean;
  /** The assembly file's slot size, once known. */
  stride?: number | undefined;
  /** Slots ever claimed (written or being written): never written twice. */
  readonly slots: Set<number>;
  /** Creates the (empty) assembly file once. */
  assembly?: Promise<void> | undefined;
}

const ASSEMBLY_FILE = 'data.bin';

export interface CompletePart {
  readonly partNumber: number;
  readonly etag: string;
}

/** Buffer size for copying part files into the object. */
const COPY_BYTES = 4 * 1024 * 1024;

interface Extent {
  readonly file: string;
  readonly start: number;
  readonly size: number;
}

/** Copies `sources` one after another into a new file `target` through one reused buffer. */
async function concatenate(sources: readonly Extent[], target: string): Promise<void> {
  const out = await open(target, 'w');
  const buffer = Buffer.allocUnsafe(COPY_BYTES);
  try {
    for (const source of sources) {
      const input = await open(source.file, 'r');
      try {
        for (let done = 0; done < source.size; ) {
          const { bytesRead } = await input.read(buffer, 0, Math.min(COPY_BYTES, source.size - done), source.start + done);
          if (bytesRead === 0) break;
          done += bytesRead;
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
      const slots = new Set<number>();
      let stride: number | undefined;
      for (const d of docs) {
        if (!('partNumber' in d)) continue;
        parts.set(d.partNumber, d);
        if (d.offset !== undefined) {
          slots.add(d.partNumber);
          if (d.partNumber > 1) stride = d.offset / (d.partNumber - 1);
        }
      }
      // An assembly file whose stride cannot be told (only part 1 in it) takes no more slots.
      if (stride === undefined && slots.size > 0) stride = 0;
      this.uploads.set(id, { meta, parts, completing: false, slots, stride });
    }
  }

  async initiate(bucket: string, key: string, contentType: string): Promise<UploadMeta> {
    const meta: UploadMeta = { uploadId: newUploadId(), bucket, key, contentType, initiated: new Date().toISOString() };
    const dir = new JsonDir<UploadMeta>(path.join(this.root, meta.uploadId));
    await dir.init();
    await dir.write('upload', meta);
    this.uploads.set(meta.uploadId, { meta, parts: new Map(), completing: false, slots: new Set() });
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

  /** Stores a part; `options.contentLength` (when the request had one) lets it go straight to its slot. */
  async putPart(upload: Upload, partNumber: number, source: Readable, options: StreamOptions & { contentLength?: number | undefined }): Promise<PartMeta> {
    const dir = path.join(this.root, upload.meta.uploadId);
    const { contentLength } = options;
    let part: PartMeta;
    if (contentLength !== undefined && contentLength > 0 && upload.stride !== 0 && !upload.slots.has(partNumber)) {
      upload.stride ??= contentLength;
      if (contentLength <= upload.stride) {
        upload.slots.add(partNumber);
        part = await this.putPartInSlot(upload, { dir, partNumber, stride: upload.stride }, source, options);
      } else part = await this.putPartInFile(dir, partNumber, source, options);
    } else part = await this.putPartInFile(dir, partNumber, source, options);
    await new JsonDir<PartMeta>(dir).write(`part-${partNumber}`, part).catch((error: unknown) => {
      throw error instanceof Error && 'code' in error && error.code === 'ENOENT' ? cosErrors.noSuchUpload() : error;
    });
    const previous = upload.parts.get(partNumber);
    upload.parts.set(partNumber, part);
    if (previous !== undefined && previous.offset === undefined) await rm(path.join(dir, previous.file), { force: true });
    return part;
  }

  private async putPartInSlot(
    upload: Upload,
    { dir, partNumber, stride }: { dir: string; partNumber: number; stride: number },
    source: Readable,
    options: StreamOptions,
  ): Promise<PartMeta> {
    const file = path.join(dir, ASSEMBLY_FILE);
    upload.assembly ??= open(file, 'a').then((handle) => handle.close());
    try {
      await upload.assembly;
    } catch {
      // E.g. aborted meanwhile: store it as a file of its own, which reports what went wrong.
      upload.assembly = undefined;
      return this.putPartInFile(dir, partNumber, source, options);
    }
    const offset = (partNumber - 1) * stride;
    const r = await this.objects.streamInto(source, file, offset, options);
    return { partNumber, size: r.size, etag: `"${r.md5Hex}"`, crc64: r.crc64, lastModified: new Date().toISOString(), file: ASSEMBLY_FILE, offset };
  }

  private async putPartInFile(dir: string, partNumber: number, source: Readable, options: StreamOptions): Promise<PartMeta> {
    const r = await this.objects.streamToTemp(source, options);
    const file = `part-${partNumber}-${randomUUID()}.bin`;
    try {
      await rename(r.tmpFile, path.join(dir, file));
    } catch (error) {
      await rm(r.tmpFile, { force: true });
      throw error instanceof Error && 'code' in error && error.code === 'ENOENT' ? cosErrors.noSuchUpload() : error;
    }
    return { partNumber, size: r.size, etag: `"${r.md5Hex}"`, crc64: r.crc64, lastModified: new Date().toISOString(), file };
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
      const extents = chosen.map((part): Extent => ({ file: path.join(dir, part.file), start: part.offset ?? 0, size: part.size }));
      if (chosen.every((part) => part.crc64 !== undefined)) {
        // The parts' CRCs combine into the object's: no need to hash the bytes again.
        if (this.inPlace(upload, chosen)) {
          // The assembly file is the object: keep it (a hard link), cut what lies past the last part.
          await link(path.join(dir, ASSEMBLY_FILE), tmpFile);
          await truncate(tmpFile, chosen.reduce((n, part) => n + part.size, 0));
        } else await concatenate(extents, tmpFile);
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
            for (const extent of extents) {
              if (extent.size === 0) continue;
              const end = extent.start + extent.size - 1;
              yield* createReadStream(extent.file, { start: extent.start, end, highWaterMark: COPY_BYTES }) as AsyncIterable<Buffer>;
            }
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

  /** Parts 1..k, each in its slot of the assembly file, all but the last exactly one stride long. */
  private inPlace(upload: Upload, chosen: readonly PartMeta[]): boolean {
    const stride = upload.stride;
    if (stride === undefined || stride === 0) return false;
    return chosen.every(
      (part, i) =>
        part.partNumber === i + 1 &&
        part.offset === i * stride &&
        part.file === ASSEMBLY_FILE &&
        (i === chosen.length - 1 ? part.size <= stride : part.size === stride),
    );
  }

  async abort(upload: Upload): Promise<void> {
    await this.remove(upload.meta.uploadId);
  }

  private async remove(id: string): Promise<void> {
    this.uploads.delete(id);
    await rm(path.join(this.root, id), { recursive: true, force: true });
  }
}
