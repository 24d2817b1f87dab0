import type { Hash } from 'node:crypto';
import { LRUCache } from 'lru-cache';

/** At most this many states are kept; the least recently kept go first (a resume elsewhere reads back instead). */
const DEFAULT_MAX_ENTRIES = 10_000;

interface Entry {
  readonly offset: number;
  readonly state: Hash;
}

/**
 * The SHA-256 states of the uploads this process paused, each over exactly the media bytes kept
 * (up to `resumableOffset`). A resume that lands on this process continues the hash from there
 * instead of reading the whole stored object back; a resume on another instance (or after a
 * restart) does not find one and reads back. Memory only: a state is about a hundred bytes. Each
 * lives until its upload's `resumableUntil`.
 */
export class PausedDigests {
  readonly #entries: LRUCache<string, Entry>;

  constructor(maxEntries = DEFAULT_MAX_ENTRIES) {
    this.#entries = new LRUCache<string, Entry>({ max: maxEntries });
  }

  keep(uploadKey: string, offset: number, state: Hash, until: Date): void {
    const ttl = until.getTime() - Date.now();
    if (ttl <= 0) return;
    this.#entries.set(uploadKey, { offset, state }, { ttl });
  }

  /** The state for a resume at `offset` (and forgets it); undefined unless it is for that offset and still valid. */
  take(uploadKey: string, offset: number): Hash | undefined {
    const entry = this.#entries.get(uploadKey);
    this.#entries.delete(uploadKey);
    return entry?.offset === offset ? entry.state : undefined;
  }

  get size(): number {
    return this.#entries.size;
  }
}
