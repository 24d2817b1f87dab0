import net from 'node:net';
import { createHash } from 'node:crypto';
import { crc64 } from '../../src/checksums/crc64.ts';
import { sendMultipart, type MultipartAnswer } from '../support/multipart.ts';

/**
 * A TCP proxy in front of a server that cuts the client's connection (both ways) once `cutAfter`
 * bytes went from the client to the server: a network failure in the middle of a request body.
 */
export async function startCuttingProxy(target: string, cutAfter: number): Promise<{ url: string; cut: Promise<void>; close(): Promise<void> }> {
  const { hostname, port } = new URL(target);
  let markCut: () => void = () => undefined;
  const cut = new Promise<void>((resolve) => {
    markCut = resolve;
  });
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(port), hostname);
    sockets.add(client).add(upstream);
    let forwarded = 0;
    client.on('data', (chunk: Buffer) => {
      const room = cutAfter - forwarded;
      forwarded += chunk.length;
      if (room > chunk.length) {
        if (!upstream.write(chunk)) client.pause();
        return;
      }
      upstream.write(chunk.subarray(0, Math.max(0, room)), () => {
        client.destroy();
        upstream.destroy();
        markCut();
      });
    });
    upstream.on('drain', () => client.resume());
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    cut,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

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
}): { answer: Promise<MultipartAnswer> } {
  const files = [{ field: '0', filename: 'resumed.mp4', content: options.rest }];
  const map: Record<string, string[]> = { 0: ['variables.input.media'] };
  if (options.cover !== undefined) {
    files.push({ field: '1', filename: 'cover.jpg', content: options.cover });
    map[1] = ['variables.input.cover'];
  }
  const { answer } = sendMultipart({
    url: options.url,
    key: options.key,
    query: RESUME_MUTATION,
    variables: { input: { id: options.id, offset: options.offset, media: null, ...(options.cover === undefined ? {} : { cover: null }) } },
    map,
    files,
  });
  return { answer };
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export { crc64 };
