/**
 * Counts the source bytes an upload holds in memory: taken when the chunker accepts a chunk,
 * released when the part holding it has been stored (or dropped). `highWaterMark` is what the
 * memory bound partSize × (concurrency + 1) is checked against.
 */
export class BufferGauge {
  #current = 0;
  #highWaterMark = 0;

  get current(): number {
    return this.#current;
  }

  get highWaterMark(): number {
    return this.#highWaterMark;
  }

  take(bytes: number): void {
    this.#current += bytes;
    if (this.#current > this.#highWaterMark) this.#highWaterMark = this.#current;
  }

  release(bytes: number): void {
    this.#current -= bytes;
  }
}
