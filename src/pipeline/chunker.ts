import type { BufferGauge } from './buffer-gauge.ts';
import type { PartSizer } from './part-size.ts';

/** One part of a file, in source order. `data.length` is the part size except for the last part. */
export interface Part {
  readonly partNumber: number;
  readonly data: Buffer;
}

export interface ChunkOptions {
  readonly sizer: PartSizer;
  /** Counts the bytes held between reading them and the part being released. */
  readonly gauge?: BufferGauge | undefined;
  /** Called with the size of every chunk read from the source. */
  readonly onBytesRead?: ((bytes: number) => void) | undefined;
}

/**
 * Cuts a byte stream into parts, pulling from the source only when the consumer asks for the next
 * part, so a slow consumer holds the source back (backpressure) instead of piling bytes up.
 *
 * A part is yielded as soon as it is full; the bytes of the chunk that crossed the boundary start
 * the next part. An empty source yields one empty part (an empty file is still stored). Ending the
 * iteration early (return/throw) ends the iteration of the source, which destroys a Readable.
 */
export async function* chunkParts(source: AsyncIterable<Uint8Array>, options: ChunkOptions): AsyncGenerator<Part> {
  const { sizer, gauge, onBytesRead } = options;
  let partNumber = 1;
  let target = sizer.sizeOf(partNumber);
  let pending: Buffer[] = [];
  let pendingBytes = 0;

  const takePart = (): Part => {
    const data = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    const part = { partNumber, data };
    partNumber += 1;
    target = sizer.sizeOf(partNumber);
    return part;
  };

  for await (const chunk of source) {
    let rest = toBuffer(chunk);
    if (rest.length === 0) continue;
    gauge?.take(rest.length);
    onBytesRead?.(rest.length);
    while (rest.length > 0) {
      const room = target - pendingBytes;
      const head = rest.length <= room ? rest : rest.subarray(0, room);
      pending.push(head);
      pendingBytes += head.length;
      rest = rest.length <= room ? EMPTY : rest.subarray(room);
      if (pendingBytes === target) yield takePart();
    }
  }
  if (pendingBytes > 0 || partNumber === 1) yield takePart();
}

const EMPTY = Buffer.alloc(0);

function toBuffer(chunk: Uint8Array | string): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk);
  return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}
