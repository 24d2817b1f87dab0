/** Hears when the first bytes of the budget are taken and when the last are given back. */
export interface MemoryBudgetListener {
  busy(): void;
  quiet(): void;
}

/**
 * A process-wide allowance of bytes for part buffers, shared fairly by every file being uploaded.
 *
 * A file starts by reserving the least it needs (`reserve`, first come first served: it waits while
 * the allowance is spent) and joins the sharers until it `leave`s. Beyond that least it may take
 * more only while nobody waits and it stays within its fair share (`tryGrow`): the allowance divided
 * by the files holding or waiting for buffers. When someone waits, the fair share shrinks and files
 * holding more than theirs give buffers back as their parts are stored (`isOverShare`), so a waiting
 * file gets its first buffers as soon as parts in flight elsewhere complete, not when whole uploads
 * end. One reservation larger than the whole allowance is granted when nothing else is reserved, so
 * a large part never waits forever.
 * Listeners hear when the first bytes are taken and when the last are given back (the process's
 * part memory is then garbage, see runtime/idle-collector.ts).
 */
export class MemoryBudget {
  #used = 0;
  #sharers = 0;
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

  /** Reservations waiting for room. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** What one file may hold while others hold or wait: the allowance over the files sharing it. */
  get fairShare(): number {
    return this.capacity / Math.max(1, this.#sharers + this.#waiting.length);
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

  /** A file's first buffers: `reserve`, and the file counts among the sharers until `leave`. */
  async join(bytes: number): Promise<void> {
    await this.reserve(bytes);
    this.#sharers += 1;
  }

  /** `bytes` more for a file that holds `holding`: only now, only if nobody waits and it stays within its fair share. */
  tryGrow(holding: number, bytes: number): boolean {
    return holding + bytes <= this.fairShare && this.tryReserve(bytes);
  }

  /** Whether a file holding `holding` should give back what it can spare: someone waits and it holds more than its share. */
  isOverShare(holding: number): boolean {
    return this.#waiting.length > 0 && holding > this.fairShare;
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

  /** A file that joined is done: its remaining bytes go back and it no longer shares. */
  leave(bytes: number): void {
    this.#sharers = Math.max(0, this.#sharers - 1);
    this.release(bytes);
  }

  #fits(bytes: number): boolean {
    return this.#used === 0 || this.#used + bytes <= this.capacity;
  }
}
