/** COS XML bodies: results, errors, and the CompleteMultipartUpload request body. */
import { cosErrors } from './cos-errors.ts';
import type { CompletePart, PartMeta, UploadMeta } from './multipart-store.ts';
import { childrenNamed, escapeXml as x, firstChild, parseXml, type XmlElement } from './xml-lite.ts';

const DECL = '<?xml version="1.0" encoding="UTF-8"?>\n';

export const errorXml = (code: string, message: string, requestId: string, resource: string): string =>
  `${DECL}<Error><Code>${x(code)}</Code><Message>${x(message)}</Message><Resource>${x(resource)}</Resource><RequestId>${x(requestId)}</RequestId></Error>`;

export const initiateXml = (u: UploadMeta): string =>
  `${DECL}<InitiateMultipartUploadResult><Bucket>${x(u.bucket)}</Bucket><Key>${x(u.key)}</Key><UploadId>${x(u.uploadId)}</UploadId></InitiateMultipartUploadResult>`;

export const completeXml = (location: string, bucket: string, key: string, etag: string): string =>
  `${DECL}<CompleteMultipartUploadResult><Location>${x(location)}</Location><Bucket>${x(bucket)}</Bucket><Key>${x(key)}</Key><ETag>${x(etag)}</ETag></CompleteMultipartUploadResult>`;

const owner = (tag: string): string => `<${tag}><ID>1250000000</ID><DisplayName>1250000000</DisplayName></${tag}>`;

export function listPartsXml(u: UploadMeta, parts: readonly PartMeta[], marker: number, maxParts: number): string {
  const after = parts.filter((p) => p.partNumber > marker);
  const page = after.slice(0, maxParts);
  const truncated = after.length > page.length;
  const items = page
    .map((p) => `<Part><PartNumber>${p.partNumber}</PartNumber><LastModified>${p.lastModified}</LastModified><ETag>${x(p.etag)}</ETag><Size>${p.size}</Size></Part>`)
    .join('');
  return (
    `${DECL}<ListPartsResult><Bucket>${x(u.bucket)}</Bucket><Encoding-type/><Key>${x(u.key)}</Key><UploadId>${x(u.uploadId)}</UploadId>` +
    `${owner('Initiator')}${owner('Owner')}<StorageClass>STANDARD</StorageClass><PartNumberMarker>${marker}</PartNumberMarker>` +
    `<NextPartNumberMarker>${page.at(-1)?.partNumber ?? marker}</NextPartNumberMarker><MaxParts>${maxParts}</MaxParts>` +
    `<IsTruncated>${truncated}</IsTruncated>${items}</ListPartsResult>`
  );
}

export function listUploadsXml(bucket: string, prefix: string, uploads: readonly UploadMeta[]): string {
  const items = uploads
    .map((u) => `<Upload><Key>${x(u.key)}</Key><UploadId>${x(u.uploadId)}</UploadId><StorageClass>STANDARD</StorageClass>${owner('Initiator')}${owner('Owner')}<Initiated>${u.initiated}</Initiated></Upload>`)
    .join('');
  return (
    `${DECL}<ListMultipartUploadsResult><Bucket>${x(bucket)}</Bucket><Encoding-Type/><KeyMarker/><UploadIdMarker/>` +
    `<NextKeyMarker/><NextUploadIdMarker/><Prefix>${x(prefix)}</Prefix><MaxUploads>${Math.max(1000, uploads.length)}</MaxUploads>` +
    `<IsTruncated>false</IsTruncated>${items}</ListMultipartUploadsResult>`
  );
}

/** Parses `<CompleteMultipartUpload><Part><PartNumber/><ETag/></Part>…` in document order. */
export function parseCompleteBody(body: string): CompletePart[] {
  let root: XmlElement;
  try {
    root = parseXml(body);
  } catch (error) {
    throw cosErrors.malformedXml(error instanceof Error ? error.message : 'unparsable');
  }
  if (root.name !== 'CompleteMultipartUpload') throw cosErrors.malformedXml('root must be CompleteMultipartUpload');
  return childrenNamed(root, 'Part').map((p) => {
    const n = Number(firstChild(p, 'PartNumber')?.text.trim());
    const etag = firstChild(p, 'ETag')?.text.trim();
    if (!Number.isInteger(n) || etag === undefined) throw cosErrors.malformedXml('each Part needs PartNumber and ETag');
    return { partNumber: n, etag };
  });
}
