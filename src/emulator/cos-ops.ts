/** The COS operations: objects (PUT/GET/HEAD/DELETE) and multipart uploads. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { CosError, cosErrors } from './cos-errors.ts';
import type { CosAddress } from './cos-route.ts';
import { completeXml, initiateXml, listPartsXml, listUploadsXml, parseCompleteBody } from './cos-xml.ts';
import type { Counters } from './counters.ts';
import type { Faults, PartFault } from './faults.ts';
import { BodyTooLargeError, drain, header, readBody } from './http-util.ts';
import type { MultipartStore } from './multipart-store.ts';
import type { ObjectMeta, ObjectStore } from './object-store.ts';
import { createHash } from 'node:crypto';

export interface CosOpsDeps {
  readonly objects: ObjectStore;
  readonly multipart: MultipartStore;
  readonly faults: Faults;
  readonly counters: Counters;
}

export interface CosCall {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly addr: CosAddress;
  /** Headers every answer carries (x-cos-request-id, Server, …). */
  readonly baseHeaders: Readonly<Record<string, string>>;
}

const contentTypeOf = (req: IncomingMessage): string => header(req.headers, 'content-type') || 'application/octet-stream';

function sendXml(call: CosCall, status: number, xml: string): void {
  call.res.writeHead(status, { ...call.baseHeaders, 'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(xml) });
  call.res.end(xml);
}

function sendEmpty(call: CosCall, status: number, headers: Record<string, string> = {}): void {
  call.res.writeHead(status, { ...call.baseHeaders, 'Content-Length': '0', ...headers });
  call.res.end();
}

/** Applies an injected part fault; true when the request has been dealt with. */
async function injectPartFault(call: CosCall, fault: PartFault | undefined, counters: Counters): Promise<boolean> {
  if (fault === undefined) return false;
  if (fault.kind === 'fail') {
    counters.increment('fault.partFailure');
    await drain(call.req);
    throw new CosError(fault.status, fault.status === 500 ? 'InternalError' : 'ServiceUnavailable', 'Injected fault.');
  }
  counters.increment('fault.reset');
  const { req } = call;
  await new Promise<void>((resolve) => {
    let seen = 0;
    const reset = (): void => {
      req.socket.destroy();
      resolve();
    };
    if (fault.afterBytes === 0) return reset();
    req.on('data', (chunk: Buffer) => {
      seen += chunk.length;
      if (seen >= fault.afterBytes) reset();
    });
    req.on('end', reset);
    req.on('close', resolve);
  });
  return true;
}

export async function putObject(call: CosCall, deps: CosOpsDeps): Promise<void> {
  deps.counters.increment('cos.putObject');
  if (header(call.req.headers, 'x-cos-copy-source') !== undefined) throw new CosError(501, 'NotImplemented', 'PUT Object - Copy is not implemented.');
  if (await injectPartFault(call, deps.faults.partFault(1, true), deps.counters)) return;
  const meta = await deps.objects.putStream(call.addr.bucket, call.addr.key, call.req, {
    contentType: contentTypeOf(call.req),
    contentMd5: header(call.req.headers, 'content-md5'),
  });
  sendEmpty(call, 200, { ETag: meta.etag, 'x-cos-hash-crc64ecma': meta.crc64 });
}

export function objectHeaders(meta: ObjectMeta): Record<string, string> {
  return {
    'Content-Type': meta.contentType,
    ETag: meta.etag,
    'Last-Modified': new Date(meta.lastModified).toUTCString(),
    'Accept-Ranges': 'bytes',
    'x-cos-hash-crc64ecma': meta.crc64,
    'x-cos-storage-class': 'STANDARD',
  };
}

/** Parses a single `bytes=` range; undefined = whole object; throws InvalidRange when unsatisfiable. */
export function parseRange(value: string | undefined, size: number): { start: number; end: number } | undefined {
  if (value === undefined) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(value.trim());
  if (m === null || (m[1] === '' && m[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) throw cosErrors.invalidRange();
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
    if (m[2] !== '' && Number(m[2]) < start) return undefined;
  }
  if (start >= size) throw cosErrors.invalidRange();
  return { start, end };
}

export async function getObject(call: CosCall, deps: CosOpsDeps, headOnly: boolean): Promise<void> {
  deps.counters.increment(headOnly ? 'cos.headObject' : 'cos.getObject');
  const meta = deps.objects.head(call.addr.bucket, call.addr.key);
  if (meta === undefined) throw cosErrors.noSuchKey();
  let range: { start: number; end: number } | undefined;
  try {
    range = parseRange(header(call.req.headers, 'range'), meta.size);
  } catch (error) {
    if (error instanceof CosError) call.res.setHeader('Content-Range', `bytes */${meta.size}`);
    throw error;
  }
  const headers = { ...call.baseHeaders, ...objectHeaders(meta) };
  const length = range === undefined ? meta.size : range.end - range.start + 1;
  if (range !== undefined) headers['Content-Range'] = `bytes ${range.start}-${range.end}/${meta.size}`;
  call.res.writeHead(range === undefined ? 200 : 206, { ...headers, 'Content-Length': String(length) });
  if (headOnly || length === 0) {
    call.res.end();
    return;
  }
  await pipeline(deps.objects.openRead(meta, range), call.res);
}

export async function deleteObject(call: CosCall, deps: CosOpsDeps): Promise<void> {
  deps.counters.increment('cos.deleteObject');
  await deps.objects.delete(call.addr.bucket, call.addr.key);
  sendEmpty(call, 204);
}

export async function initiateMultipart(call: CosCall, deps: CosOpsDeps): Promise<void> {
  deps.counters.increment('cos.initiateMultipart');
  await drain(call.req);
  const upload = await deps.multipart.initiate(call.addr.bucket, call.addr.key, contentTypeOf(call.req));
  sendXml(call, 200, initiateXml(upload));
}

export async function uploadPart(call: CosCall, deps: CosOpsDeps): Promise<void> {
  deps.counters.increment('cos.uploadPart');
  const { addr } = call;
  const partNumber = Number(addr.query.get('partnumber'));
  if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > 10000) {
    await drain(call.req);
    throw cosErrors.invalidArgument('partNumber must be an integer between 1 and 10000.');
  }
  const upload = deps.multipart.get(addr.bucket, addr.key, addr.query.get('uploadid') ?? '');
  if (await injectPartFault(call, deps.faults.partFault(partNumber, false), deps.counters)) return;
  const length = header(call.req.headers, 'content-length');
  const contentLength = length !== undefined && /^\d+$/.test(length) ? Number(length) : undefined;
  const part = await deps.multipart.putPart(upload, partNumber, call.req, { contentMd5: header(call.req.headers, 'content-md5'), contentLength });
  sendEmpty(call, 200, { ETag: part.etag, 'x-cos-hash-crc64ecma': part.crc64 ?? '' });
}

export async function completeMultipart(call: CosCall, deps: CosOpsDeps): Promise<void> {
  deps.counters.increment('cos.completeMultipart');
  const { addr } = call;
  const upload = deps.multipart.get(addr.bucket, addr.key, addr.query.get('uploadid') ?? '');
  let body: Buffer;
  try {
    body = await readBody(call.req, 4 * 1024 * 1024);
  } catch (error) {
    if (error instanceof BodyTooLargeError) throw cosErrors.malformedXml('body too large');
    throw error;
  }
  const md5 = header(call.req.headers, 'content-md5');
  if (md5 !== undefined && createHash('md5').update(body).digest('base64') !== md5.trim()) throw cosErrors.invalidDigest();
  const meta = await deps.multipart.complete(upload, parseCompleteBody(body.toString('utf8')));
  const host = header(call.req.headers, 'host') ?? '';
  const path = addr.style === 'path' ? `${addr.bucket}/${addr.key}` : addr.key;
  call.res.setHeader('x-cos-hash-crc64ecma', meta.crc64);
  sendXml(call, 200, completeXml(`${host}/${path}`, addr.bucket, addr.key, meta.etag));
}

export async function abortMultipart(call: CosCall, deps: CosOpsDeps): Promise<void> {
  deps.counters.increment('cos.abortMultipart');
  const { addr } = call;
  await drain(call.req);
  await deps.multipart.abort(deps.multipart.get(addr.bucket, addr.key, addr.query.get('uploadid') ?? ''));
  sendEmpty(call, 204);
}

export async function listParts(call: CosCall, deps: CosOpsDeps): Promise<void> {
  deps.counters.increment('cos.listParts');
  const { addr } = call;
  await drain(call.req);
  const upload = deps.multipart.get(addr.bucket, addr.key, addr.query.get('uploadid') ?? '');
  const marker = Number(addr.query.get('part-number-marker') ?? 0) || 0;
  const maxParts = Math.min(1000, Number(addr.query.get('max-parts') ?? 1000) || 1000);
  sendXml(call, 200, listPartsXml(upload.meta, deps.multipart.parts(upload), marker, maxParts));
}

export async function listMultipartUploads(call: CosCall, deps: CosOpsDeps): Promise<void> {
  deps.counters.increment('cos.listMultipartUploads');
  await drain(call.req);
  const prefix = call.addr.query.get('prefix') ?? '';
  sendXml(call, 200, listUploadsXml(call.addr.bucket, prefix, deps.multipart.list(call.addr.bucket, prefix)));
}
