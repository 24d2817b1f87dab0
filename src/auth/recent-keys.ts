import { LRUCache } from 'lru-cache';

/**
 * How long a key's lookup is reused. A key revoked anywhere (another instance, the keys CLI) is
 * refused by every instance within this time plus one database read; revoking through this process
 * forgets it at once.
 */
export const KEY_LOOKUP_TTL_MS = 500;
const MAX_KEYS = 10_000;

interface Found<T> {
  readonly prefix: string;
  readonly value: T;
}

/**
 * The keys that authenticated lately, by their hash, each for KEY_LOOKUP_TTL_MS: most requests then
 * need no database read. Lookups of one key at the same time share one read. Unknown and revoked
 * keys are never kept: they are read every time.
 */
export class RecentKeys<T> {
  readonly #found: LRUCache<string, Found<T>>;

  constructor(lookup: (keyHash: string) => Promise<Found<T> | undefined>) {
    this.#found = new LRUCache<string, Found<T>>({
      max: MAX_KEYS,
      ttl: KEY_LOOKUP_TTL_MS,
      // A fresh lookup does not extend an entry's life: its age counts from the read.
      updateAgeOnGet: false,
      fetchMethod: async (keyHash) => lookup(keyHash),
    });
  }

  async get(keyHash: string): Promise<T | undefined> {
    return (await this.#found.fetch(keyHash))?.value;
  }

  /** Forgets every kept key with this prefix (it was just revoked here). */
  forget(prefix: string): void {
    for (const [keyHash, found] of this.#found.entries()) {
      if (found.prefix === prefix) this.#found.delete(keyHash);
    }
  }
}
