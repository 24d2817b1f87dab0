import type http from 'node:http';
import { createHash } from 'node:crypto';
import { crc64 } from '../../src/checksums/crc64.ts';
import { sendMultipart, type MultipartAnswer } from '../support/multipart.ts';

export const RESUME_MUTATION = `mutation Resume($input: ResumeUploadInput!) {
  resumeUpload(input: $input) {
    id status bytesTotal bytesReceived bytesUploaded fileId mediaUrl coverUrl resumableOffset resumableUntil
    error { code message }
    files { role path bytes sha256 }
  }
}`;

export const UPLOAD_QUERY = `query($id: ID!) {
  upload(id: $id) { id status bytesReceived bytesUploaded resumableOffset resumableUntil error { code message } files { role bytes sha256 } }
}`;

/** Sends `resumeUpload` with the media's bytes from `offset` on (and a cover when given). */
export function sendResume(options: {
  url: string;
  key: string;
  id: string;
  offset: number;
  rest: Buffer | (() => AsyncIterable<Buffer>);
  cover?: Buffer;
}): { request: http.ClientRequest; answer: Promise<MultipartAnswer> } {
  const files = [{ field: '0', filename: 'resumed.mp4', content: options.rest }];
  const map: Record<string, string[]> = { 0: ['variables.input.media'] };
  if (options.cover !== undefined) {
    files.push({ field: '1', filename: 'cover.jpg', content: options.cover });
    map[1] = ['variables.input.cover'];
  }
  const { request, answer } = sendMultipart({
    url: options.url,
    key: options.key,
    query: RESUME_MUTATION,
    variables: { input: { id: options.id, offset: options.offset, media: null, ...(options.cover === undefined ? {} : { cover: null }) } },
    map,
    files,
  });
  return { request, answer };
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export { crc64 };
