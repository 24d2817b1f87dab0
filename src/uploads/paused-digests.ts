import type { Hash } from 'node:crypto';

/** At most this many states are kept; the oldest go first (a resume elsewhere reads back instead). */
const DEFAULT_MAX_ENTRIES = 10_000;

interface Entry {
  readonly offset: number;
  readonly state: Hash;
  readonly until: number;
}

/**
 * The SHA-256 states of the uploads this process paused, each over exactly the media bytes kept
 * (up to `resumableOffset`). A resume that lands on this process continues the hash from there
 * instead of reading the whole stored object back; a resume on another instance (or after a
 * restart) does not find one and reads back. Memory only: a state is about a hundred bytes.
 */
export class PausedDigests {
  readonly #entries = new Map<string, Entry>();

  constructor(private readonly maxEntries = DEFAULT_MAX_ENTRIES) {}

  keep(uploadKey: string, offset: number, state: Hash, until: Date): void {
    this.#entries.delete(uploadKey);
    const now = Date.now();
    for (const [key, entry] of this.#entries) {
      if (this.#entries.size < this.maxEntries && entry.until > now) break;
      this.#entries.delete(key);
    }
    this.#entries.set(uploadKey, { offset, state, until: until.getTime() });
  }

  /** The state for a resume at `offset` (and forgets it); undefined unless it is for that offset and still valid. */
  take(uploadKey: string, offset: number, now = Date.now()): Hash | undefined {
    const entry = this.#entries.get(uploadKey);
    this.#entries.delete(uploadKey);
    return entry !== undefined && entry.offset === offset && entry.until > now ? entry.state : undefined;
  }

  get size(): number {
    return this.#entries.size;
  }
}
