/**
 * A fixed number of part buffers, reused: the chunker fills one, the part uploader gives it back
 * once storage has answered. With `concurrency + 1` buffers, memory per file is bounded by
 * construction and no garbage part buffers pile up between collections.
 */
export class PartBufferPool {
  readonly #free: Buffer[] = [];
  readonly #waiting: (() => void)[] = [];
  #outstanding = 0;

  constructor(private readonly maxBuffers: number) {
    if (!Number.isInteger(maxBuffers) || maxBuffers < 1) throw new RangeError('maxBuffers must be a positive integer');
  }

  /** A buffer of exactly `size` bytes (contents undefined); waits while every buffer is out. */
  async acquire(size: number): Promise<Buffer> {
    while (this.#outstanding >= this.maxBuffers) {
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    }
    this.#outstanding += 1;
    const reusable = this.#free.findIndex((buffer) => buffer.length === size);
    if (reusable >= 0) return this.#free.splice(reusable, 1)[0]!;
    this.#free.pop(); // a buffer of another size (the part size grew): let it go
    return Buffer.allocUnsafeSlow(size);
  }

  /** Gives a buffer (or a view of one, from `subarray`) back. Call once per acquire. */
  release(buffer: Buffer): void {
    this.#outstanding -= 1;
    const whole = Buffer.from(buffer.buffer, 0, buffer.buffer.byteLength);
    this.#free.push(whole);
    this.#waiting.shift()?.();
  }
}
