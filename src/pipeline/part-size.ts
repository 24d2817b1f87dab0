const MiB = 1024 * 1024;

/** COS limits for multipart uploads. */
export const MIN_PART_BYTES = MiB;
export const MAX_PART_BYTES = 5 * 1024 * MiB;
export const MAX_PARTS = 10_000;
/** Without a size hint, the part size doubles every this many parts. */
export const PARTS_PER_SIZE_STEP = 1_000;
/**
 * How many files a memory budget must be able to start at once: a part may take at most
 * 1 / (2 × this) of the budget, so this many files can hold the two buffers a file starts with.
 */
export const FILES_A_BUDGET_SERVES = 8;

export interface PartSizerOptions {
  /** Expected file size; raises the base size so 10 000 parts suffice (up to `maxPartBytes`). */
  readonly sizeHint?: number | undefined;
  /** No part is larger than this (what the memory budget can serve); default COS's 5 GiB. */
  readonly maxPartBytes?: number | undefined;
}

/**
 * Decides the size of each part so no file needs more than 10 000 parts, however large, within a
 * ceiling on the size of one part.
 *
 * The base size is the configured part size, raised when a size hint says the file would otherwise
 * need more than 10 000 parts. Because a hint can be wrong, absent or a lie, the size also doubles
 * every 1 000 parts, and no part ever exceeds `maxPartBytes` (by default COS's 5 GiB; the service
 * passes what its memory budget can serve fairly, so a hint cannot force giant parts). A stream of
 * unknown length reaches base × 1 000 × (2^10 − 1) ≈ 8 TiB at 8 MiB without a ceiling; with one, see
 * `largestFileBytes`. Every part but the last is at least `base` ≥ 1 MiB, as COS requires.
 */
export class PartSizer {
  readonly baseBytes: number;
  readonly maxPartBytes: number;

  constructor(partBytes: number, options: PartSizerOptions = {}) {
    if (!Number.isInteger(partBytes) || partBytes < MIN_PART_BYTES || partBytes > MAX_PART_BYTES) {
      throw new RangeError(`partBytes must be an integer between ${MIN_PART_BYTES} and ${MAX_PART_BYTES}`);
    }
    this.maxPartBytes = Math.max(partBytes, Math.min(MAX_PART_BYTES, options.maxPartBytes ?? MAX_PART_BYTES));
    const { sizeHint } = options;
    const neededForHint = sizeHint === undefined || !(sizeHint > 0) ? 0 : roundUpToMiB(Math.ceil(sizeHint / MAX_PARTS));
    this.baseBytes = Math.min(this.maxPartBytes, Math.max(partBytes, neededForHint));
  }

  /** Size of part `partNumber` (1-based). */
  sizeOf(partNumber: number): number {
    const step = Math.floor((partNumber - 1) / PARTS_PER_SIZE_STEP);
    return Math.min(this.maxPartBytes, this.baseBytes * 2 ** Math.min(step, 32));
  }
}

/** The largest part a budget of `budgetBytes` can serve fairly (never below the configured part size). */
export function maxPartBytesWithin(budgetBytes: number, partBytes: number): number {
  const fair = Math.floor(budgetBytes / (2 * FILES_A_BUDGET_SERVES) / MiB) * MiB;
  return Math.min(MAX_PART_BYTES, Math.max(partBytes, MIN_PART_BYTES, fair));
}

/** What 10 000 parts carry at most when they start at `partBytes` and never exceed `maxPartBytes`. */
export function largestFileBytes(partBytes: number, maxPartBytes: number): number {
  const sizer = new PartSizer(partBytes, { maxPartBytes });
  let total = 0;
  for (let step = 0; step < MAX_PARTS / PARTS_PER_SIZE_STEP; step += 1) {
    total += sizer.sizeOf(step * PARTS_PER_SIZE_STEP + 1) * PARTS_PER_SIZE_STEP;
  }
  return total;
}

function roundUpToMiB(bytes: number): number {
  return Math.ceil(bytes / MiB) * MiB;
}
