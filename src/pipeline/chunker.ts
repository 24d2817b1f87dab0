import type { BufferGauge } from './buffer-gauge.ts';
import type { PartBufferPool } from './part-buffer-pool.ts';
import { VodError } from '../errors/vod-error.ts';
import { MAX_PARTS, largestFileBytes, type PartSizer } from './part-size.ts';

/** One part of a file, in source order. `data.length` is the part size except for the last part. */
export interface Part {
  readonly partNumber: number;
  readonly data: Buffer;
}

export interface ChunkOptions {
  readonly sizer: PartSizer;
  /** Where part buffers come from; the consumer returns each part's `data` to it. Fresh buffers without. */
  readonly pool?: PartBufferPool | undefined;
  /** Counts the bytes held between reading them and the part being released. */
  readonly gauge?: BufferGauge | undefined;
  /** Called with the size of every chunk read from the source. */
  readonly onBytesRead?: ((bytes: number) => void) | undefined;
  /**
   * Called with each run of bytes just copied into a part, in file order: checksums fed here read
   * the bytes while they are still in the CPU's cache (a whole part read again later is not).
   * When a part is yielded, exactly the bytes up to its end have been passed.
   */
  readonly onBytesCopied?: ((bytes: Buffer) => void) | undefined;
  /** Number of the first part (a resumed upload continues after the parts it kept). Default 1. */
  readonly firstPartNumber?: number | undefined;
  /**
   * The bytes the file is expected to hold, when known (a size hint, or a bound from the request's
   * Content-Length). When it is below the first part's size, the first buffer is only that large
   * (a small file takes its size, not a part); should more bytes come, it grows to the part size
   * (one copy), so a part is never cut short of the sizer's size but at the end.
   */
  readonly expectedBytes?: number | undefined;
}

/**
 * Cuts a byte stream into parts, pulling from the source only when the consumer asks for the next
 * part, so a slow consumer holds the source back (backpressure) instead of piling bytes up.
 *
 * Each part is copied into one buffer (from the pool when given) as the chunks arrive, and yielded
 * as soon as it is full; the rest of the chunk that crossed the boundary starts the next part. An
 * empty source yields one empty part (an empty file is still stored). Ending the iteration early
 * (return/throw) ends the iteration of the source, which destroys a Readable.
 */
export async function* chunkParts(source: AsyncIterable<Uint8Array>, options: ChunkOptions): AsyncGenerator<Part> {
  const { sizer, pool, gauge, onBytesRead, onBytesCopied, expectedBytes } = options;
  const allocate = (size: number): Promise<Buffer> | Buffer => pool?.acquire(size) ?? Buffer.allocUnsafe(size);
  const firstPartNumber = options.firstPartNumber ?? 1;
  const firstBufferBytes = (partBytes: number): number =>
    expectedBytes === undefined || !(expectedBytes >= 0) ? partBytes : Math.min(partBytes, Math.max(1, Math.ceil(expectedBytes)));
  let partNumber = firstPartNumber;
  let buffer: Buffer | undefined;
  let filled = 0;

  for await (const chunk of source) {
    let rest = chunk;
    if (rest.byteLength === 0) continue;
    gauge?.take(rest.byteLength);
    onBytesRead?.(rest.byteLength);
    while (rest.byteLength > 0) {
      if (buffer === undefined && partNumber > MAX_PARTS) throw tooManyParts(sizer);
      const partBytes = sizer.sizeOf(partNumber);
      if (buffer === undefined) {
        buffer = await allocate(partNumber === firstPartNumber ? firstBufferBytes(partBytes) : partBytes);
      } else if (filled === buffer.length) {
        // The file is larger than expected: its first buffer grows to the part size.
        const grown = await allocate(partBytes);
        grown.set(buffer.subarray(0, filled), 0);
        pool?.release(buffer);
        buffer = grown;
      }
      const copied = Math.min(rest.byteLength, buffer.length - filled);
      buffer.set(rest.subarray(0, copied), filled);
      onBytesCopied?.(buffer.subarray(filled, filled + copied));
      filled += copied;
      rest = rest.subarray(copied);
      if (filled === partBytes) {
        yield { partNumber, data: buffer };
        partNumber += 1;
        buffer = undefined;
        filled = 0;
      }
    }
  }
  if (buffer !== undefined) yield { partNumber, data: buffer.subarray(0, filled) };
  else if (partNumber === firstPartNumber) yield { partNumber, data: await allocate(0) };
}

function tooManyParts(sizer: PartSizer): VodError {
  const most = largestFileBytes(sizer.baseBytes, sizer.maxPartBytes);
  return new VodError('LimitExceeded', `The file is larger than ${MAX_PARTS} parts can carry here (${most} bytes).`);
}
