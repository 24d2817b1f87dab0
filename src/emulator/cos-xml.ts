/** COS XML bodies: results, errors, and the CompleteMultipartUpload request body (fast-xml-parser both ways). */
import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';
import { cosErrors } from './cos-errors.ts';
import type { CompletePart, PartMeta, UploadMeta } from './multipart-store.ts';

const DECL = '<?xml version="1.0" encoding="UTF-8"?>\n';

/** Escapes text, and writes an empty string as an empty element (`<Encoding-type/>`). */
const builder = new XMLBuilder({ suppressEmptyNode: true });
const document = (root: string, content: Record<string, unknown>): string => DECL + builder.build({ [root]: content });

export const errorXml = (code: string, message: string, requestId: string, resource: string): string =>
  document('Error', { Code: code, Message: message, Resource: resource, RequestId: requestId });

export const initiateXml = (u: UploadMeta): string =>
  document('InitiateMultipartUploadResult', { Bucket: u.bucket, Key: u.key, UploadId: u.uploadId });

export const completeXml = (location: string, bucket: string, key: string, etag: string): string =>
  document('CompleteMultipartUploadResult', { Location: location, Bucket: bucket, Key: key, ETag: etag });

const OWNER = { ID: '1250000000', DisplayName: '1250000000' };

export function listPartsXml(u: UploadMeta, parts: readonly PartMeta[], marker: number, maxParts: number): string {
  const after = parts.filter((p) => p.partNumber > marker);
  const page = after.slice(0, maxParts);
  return document('ListPartsResult', {
    Bucket: u.bucket,
    'Encoding-type': '',
    Key: u.key,
    UploadId: u.uploadId,
    Initiator: OWNER,
    Owner: OWNER,
    StorageClass: 'STANDARD',
    PartNumberMarker: marker,
    NextPartNumberMarker: page.at(-1)?.partNumber ?? marker,
    MaxParts: maxParts,
    IsTruncated: after.length > page.length,
    Part: page.map((p) => ({ PartNumber: p.partNumber, LastModified: p.lastModified, ETag: p.etag, Size: p.size })),
  });
}

export function listUploadsXml(bucket: string, prefix: string, uploads: readonly UploadMeta[]): string {
  return document('ListMultipartUploadsResult', {
    Bucket: bucket,
    'Encoding-Type': '',
    KeyMarker: '',
    UploadIdMarker: '',
    NextKeyMarker: '',
    NextUploadIdMarker: '',
    Prefix: prefix,
    MaxUploads: Math.max(1000, uploads.length),
    IsTruncated: false,
    Upload: uploads.map((u) => ({
      Key: u.key,
      UploadId: u.uploadId,
      StorageClass: 'STANDARD',
      Initiator: OWNER,
      Owner: OWNER,
      Initiated: u.initiated,
    })),
  });
}

/** Every Part is a list entry; values stay strings (trimmed); entity expansion keeps the parser's default bounds. */
const completeBodyParser = new XMLParser({
  ignoreDeclaration: true,
  ignorePiTags: true,
  parseTagValue: false,
  isArray: (_name, jPath) => jPath === 'CompleteMultipartUpload.Part',
});

/** Parses `<CompleteMultipartUpload><Part><PartNumber/><ETag/></Part>…` in document order. */
export function parseCompleteBody(body: string): CompletePart[] {
  const validation = XMLValidator.validate(body);
  if (validation !== true) throw cosErrors.malformedXml(validation.err.msg);
  let parsed: Record<string, unknown>;
  try {
    parsed = completeBodyParser.parse(body) as Record<string, unknown>;
  } catch (error) {
    throw cosErrors.malformedXml(error instanceof Error ? error.message : 'unparsable');
  }
  const roots = Object.keys(parsed);
  if (roots.length !== 1 || roots[0] !== 'CompleteMultipartUpload') throw cosErrors.malformedXml('root must be CompleteMultipartUpload');
  const root = parsed['CompleteMultipartUpload'];
  if (Array.isArray(root)) throw cosErrors.malformedXml('more than one root element');
  const parts = typeof root === 'object' && root !== null ? ((root as { Part?: unknown[] }).Part ?? []) : [];
  return parts.map((part) => {
    const { PartNumber, ETag } = (typeof part === 'object' && part !== null ? part : {}) as Record<string, unknown>;
    const n = typeof PartNumber === 'string' ? Number(PartNumber) : Number.NaN;
    if (!Number.isInteger(n) || typeof ETag !== 'string') throw cosErrors.malformedXml('each Part needs PartNumber and ETag');
    return { partNumber: n, etag: ETag };
  });
}
