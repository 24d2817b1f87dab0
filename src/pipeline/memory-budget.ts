/**
 * A process-wide allowance of bytes for part buffers, shared by every upload, so the memory of
 * many concurrent uploads is bounded too. Reservations wait in order when the allowance is spent.
 * One reservation larger than the whole allowance is granted when nothing else is reserved, so a
 * large part never waits forever. Listeners hear when the first bytes are taken and when the last
 * are given back (the process's part memory is then garbage, see runtime/idle-collector.ts).
 */
export interface MemoryBudgetListener {
  busy(): void;
  quiet(): void;
}

export class MemoryBudget {
  #used = 0;
  readonly #waiting: Array<{ bytes: number; grant: () => void }> = [];

  constructor(
    readonly capacity: number,
    private readonly listener?: MemoryBudgetListener,
  ) {
    if (!Number.isFinite(capacity) || capacity <= 0) throw new RangeError('capacity must be a positive number of bytes');
  }

  get used(): number {
    return this.#used;
  }

  /** Takes `bytes` now if they fit (and nobody is waiting before us); false otherwise. */
  tryReserve(bytes: number): boolean {
    if (this.#waiting.length > 0 || !this.#fits(bytes)) return false;
    this.#take(bytes);
    return true;
  }

  /** Takes `bytes`, waiting (first come, first served) until they fit. */
  async reserve(bytes: number): Promise<void> {
    if (this.tryReserve(bytes)) return;
    await new Promise<void>((grant) => this.#waiting.push({ bytes, grant }));
  }

  release(bytes: number): void {
    this.#used = Math.max(0, this.#used - bytes);
    for (let next = this.#waiting[0]; next !== undefined && this.#fits(next.bytes); next = this.#waiting[0]) {
      this.#waiting.shift();
      this.#take(next.bytes);
      next.grant();
    }
    if (this.#used === 0 && bytes > 0) this.listener?.quiet();
  }

  #take(bytes: number): void {
    if (this.#used === 0 && bytes > 0) this.listener?.busy();
    this.#used += bytes;
  }

  #fits(bytes: number): boolean {
    return this.#used === 0 || this.#used + bytes <= this.capacity;
  }
}
