import type { MemoryBudget } from './memory-budget.ts';

/**
 * Part buffers of one file, reused: the chunker fills one, the part uploader gives it back once
 * storage has answered. At most `maxBuffers` (concurrency + 1) exist, so memory per file is bounded
 * by construction. With a shared MemoryBudget, every allocated buffer also holds its bytes there.
 * A file first waits for room for two buffers at once (the least it needs: one part is held while
 * the next shows whether the file is a simple or a multipart upload); further buffers are taken
 * only if there is room at once within the file's fair share, otherwise the file makes do with the
 * buffers it has. A buffer given back while another file waits and this one holds more than its
 * share goes back to the budget instead of being kept (never below the least), so a newcomer gets
 * its first buffers as soon as parts in flight are stored. Under pressure uploads keep fewer parts
 * in flight instead of memory growing, and no upload can hold the budget against others.
 * `close()` gives the bytes back.
 */
export class PartBufferPool {
  readonly #free: Buffer[] = [];
  readonly #waiting: (() => void)[] = [];
  #outstanding = 0;
  #allocated = 0;
  #allocatedBytes = 0;
  /** Bytes reserved in the budget for buffers not allocated yet. */
  #credit = 0;
  /** Whether this file counts among the budget's sharers (from its first reservation to close). */
  #joined = false;

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
    const whole = Buffer.from(buffer.buffer, 0, buffer.buffer.byteLength);
    if (this.#allocated > this.#least && this.budget?.isOverShare(this.#held) === true) this.#drop(whole);
    else this.#free.push(whole);
    this.#waiting.shift()?.();
  }

  /** Lets every buffer go and returns their bytes to the budget; call when the file is done. */
  close(): void {
    const held = this.#held;
    if (this.#joined) this.budget?.leave(held);
    else this.budget?.release(held);
    this.#joined = false;
    this.#allocatedBytes = 0;
    this.#credit = 0;
    this.#allocated = 0;
    this.#free.length = 0;
  }

  /** Room for one more buffer: the least a file needs is waited for, more only taken when free now. */
  async #reserve(size: number): Promise<boolean> {
    if (this.budget === undefined) return true;
    if (this.#allocated === 0 && this.#credit < size) {
      const least = this.#least * size;
      if (this.#joined) await this.budget.reserve(least - this.#credit);
      else await this.budget.join(least - this.#credit);
      this.#joined = true;
      this.#credit = least;
    }
    if (this.#credit >= size) {
      this.#credit -= size;
      return true;
    }
    return this.budget.tryGrow(this.#held, size);
  }

  /** Buffers a file keeps whatever the pressure: one filling while the one before waits to be sent. */
  get #least(): number {
    return Math.min(2, this.maxBuffers);
  }

  /** Bytes this file holds in the budget. */
  get #held(): number {
    return this.#allocatedBytes + this.#credit;
  }

  #drop(buffer: Buffer): void {
    this.#allocated -= 1;
    this.#allocatedBytes -= buffer.length;
    this.budget?.release(buffer.length);
  }
}
