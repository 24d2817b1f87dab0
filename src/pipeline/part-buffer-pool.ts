import type { MemoryBudget } from './memory-budget.ts';

/**
 * Part buffers of one file, reused: the chunker fills one, the part uploader gives it back once
 * storage has answered. At most `maxBuffers` (concurrency + 1) exist, so memory per file is bounded
 * by construction. With a shared MemoryBudget, every allocated buffer also holds its bytes there.
 * A file first waits for room for two buffers at once (the least it needs: one part is held while
 * the next shows whether the file is a simple or a multipart upload); further buffers are taken
 * only if there is room at once, otherwise the file makes do with the buffers it has. Under
 * pressure uploads keep fewer parts in flight instead of memory growing, and no upload can wait
 * on another. `close()` gives the bytes back.
 */
export class PartBufferPool {
  readonly #free: Buffer[] = [];
  readonly #waiting: (() => void)[] = [];
  #outstanding = 0;
  #allocated = 0;
  #allocatedBytes = 0;
  /** Bytes reserved in the budget for buffers not allocated yet. */
  #credit = 0;

  constructor(
    private readonly maxBuffers: number,
    private readonly budget?: MemoryBudget,
  ) {
    if (!Number.isInteger(maxBuffers) || maxBuffers < 1) throw new RangeError('maxBuffers must be a positive integer');
  }

  /** A buffer of exactly `size` bytes (contents undefined); waits while every buffer is out. */
  async acquire(size: number): Promise<Buffer> {
    for (;;) {
      if (this.#outstanding < this.maxBuffers) {
        const reusable = this.#free.findIndex((buffer) => buffer.length === size);
        if (reusable >= 0) {
          this.#outstanding += 1;
          return this.#free.splice(reusable, 1)[0]!;
        }
        // Buffers of another size (the part size grew) are let go.
        for (const stale of this.#free.splice(0)) this.#drop(stale);
        if (await this.#reserve(size)) {
          this.#outstanding += 1;
          this.#allocated += 1;
          this.#allocatedBytes += size;
          return Buffer.allocUnsafeSlow(size);
        }
      }
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    }
  }

  /** Gives a buffer (or a view of one, from `subarray`) back. Call once per acquire. */
  release(buffer: Buffer): void {
    this.#outstanding -= 1;
    this.#free.push(Buffer.from(buffer.buffer, 0, buffer.buffer.byteLength));
    this.#waiting.shift()?.();
  }

  /** Lets every buffer go and returns their bytes to the budget; call when the file is done. */
  close(): void {
    this.budget?.release(this.#allocatedBytes + this.#credit);
    this.#allocatedBytes = 0;
    this.#credit = 0;
    this.#allocated = 0;
    this.#free.length = 0;
  }

  /** Room for one more buffer: the least a file needs is waited for, more only taken when free now. */
  async #reserve(size: number): Promise<boolean> {
    if (this.budget === undefined) return true;
    if (this.#allocated === 0 && this.#credit < size) {
      const least = Math.min(2, this.maxBuffers) * size;
      await this.budget.reserve(least - this.#credit);
      this.#credit = least;
    }
    if (this.#credit >= size) {
      this.#credit -= size;
      return true;
    }
    return this.budget.tryReserve(size);
  }

  #drop(buffer: Buffer): void {
    this.#allocated -= 1;
    this.#allocatedBytes -= buffer.length;
    this.budget?.release(buffer.length);
  }
}
