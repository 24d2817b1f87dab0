import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Upload } from 'graphql-upload-minimal';
import { estimateFileBytes } from '../../src/http/multipart-file-bytes.ts';

const boundary = '----vodingest0123456789abcdef';

/** A body as clients write it: each file part with its file name and a Content-Type header. */
function body(operations: string, map: string, files: Array<{ field: string; filename: string; bytes: number }>): number {
  const part = (headers: string) => Buffer.byteLength(`--${boundary}\r\n${headers}\r\n\r\n`);
  let length = part('Content-Disposition: form-data; name="operations"') + Buffer.byteLength(operations) + 2;
  length += part('Content-Disposition: form-data; name="map"') + Buffer.byteLength(map) + 2;
  for (const file of files) {
    length += part(`Content-Disposition: form-data; name="${file.field}"; filename="${file.filename}"\r\nContent-Type: video/mp4`);
    length += file.bytes + 2;
  }
  return length + Buffer.byteLength(`--${boundary}--\r\n`);
}

describe('file bytes of a multipart request from its Content-Length', () => {
  it('is never below the real file total, and off only by the part headers it cannot know', () => {
    const query = 'mutation($input: UploadMediaInput!) { uploadMedia(input: $input) { id } }';
    const variables = { input: { media: null, cover: null, mediaName: 'Café ☕', segments: [{ path: 'a.ts', file: null }] } };
    const operationsText = JSON.stringify({ query, variables });
    const map = { media: ['variables.input.media'], cover: ['variables.input.cover'], 2: ['variables.input.segments.0.file'] };
    const files = [
      { field: 'media', filename: 'Wildlife.mp4', bytes: 20 * 1024 * 1024 },
      { field: 'cover', filename: 'Wildlife-Cover.png', bytes: 1234 },
      { field: '2', filename: 'a.ts', bytes: 0 },
    ];
    const contentLength = body(operationsText, JSON.stringify(map), files);
    // What graphql-upload-minimal hands over: the operations with an Upload at each mapped path.
    const parsed = JSON.parse(operationsText) as { variables: { input: Record<string, unknown> & { segments: Array<Record<string, unknown>> } } };
    parsed.variables.input['media'] = new Upload();
    parsed.variables.input['cover'] = new Upload();
    parsed.variables.input.segments[0]!['file'] = new Upload();
    const estimate = estimateFileBytes(contentLength, boundary, parsed);
    const real = files.reduce((sum, file) => sum + file.bytes, 0);
    assert.ok(estimate !== undefined && estimate >= real, `${estimate} >= ${real}`);
    const unknowable = files.reduce(
      (sum, file) => sum + Buffer.byteLength(`${file.field}${file.filename}\r\nContent-Type: video/mp4`) - 1,
      0,
    ) + Object.keys(map).reduce((sum, field) => sum + field.length - 1, 0);
    // …and the CRLF after the closing delimiter, which a body may leave out.
    assert.equal(estimate - real, unknowable + 2);
  });

  it('gives nothing when the length cannot hold the parts', () => {
    assert.equal(estimateFileBytes(10, boundary, { query: 'x', variables: { media: new Upload() } }), undefined);
  });
});
