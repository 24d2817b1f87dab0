import { Readable } from 'node:stream';

const BLOCK_BYTES = 4 * 1024 * 1024;

/** A fixed pseudo-random block (xorshift32), built once per process. */
function makeBlock(): Buffer {
  const block = Buffer.allocUnsafe(BLOCK_BYTES);
  let x = 0x9e3779b9;
  for (let i = 0; i < BLOCK_BYTES; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    block.writeUInt32LE(x >>> 0, i);
  }
  return block;
}

let block: Buffer | undefined;

/**
 * `size` deterministic bytes as a stream of `chunkBytes` chunks. Chunks are read-only views of one
 * shared block (nothing in the pipeline writes to its input), so the generator costs no copying and
 * no memory of its own: whatever the RSS shows is the consumer's.
 */
export function generatedStream(size: number, chunkBytes = 64 * 1024): Readable {
  block ??= makeBlock();
  const source = block;
  let sent = 0;
  return new Readable({
    highWaterMark: chunkBytes,
    read() {
      if (sent >= size) {
        this.push(null);
        return;
      }
      const length = Math.min(chunkBytes, size - sent);
      const offset = sent % (BLOCK_BYTES - chunkBytes);
      sent += length;
      this.push(source.subarray(offset, offset + length));
    },
  });
}

/** The same bytes as `generatedStream`, gathered into parts of `partBytes` (fresh buffers). */
export async function* generatedParts(size: number, partBytes: number): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  for await (const chunk of generatedStream(size)) {
    pending.push(chunk as Buffer);
    pendingBytes += (chunk as Buffer).length;
    if (pendingBytes >= partBytes) {
      const joined = Buffer.concat(pending, pendingBytes);
      yield joined.subarray(0, partBytes);
      const rest = joined.subarray(partBytes);
      pending = rest.length > 0 ? [rest] : [];
      pendingBytes = rest.length;
    }
  }
  if (pendingBytes > 0) yield Buffer.concat(pending, pendingBytes);
}
