const MiB = 1024 * 1024;

/** COS limits for multipart uploads. */
export const MIN_PART_BYTES = MiB;
export const MAX_PART_BYTES = 5 * 1024 * MiB;
export const MAX_PARTS = 10_000;
/** Without a size hint, the part size doubles every this many parts. */
export const PARTS_PER_SIZE_STEP = 1_000;

/**
 * Decides the size of each part so no file needs more than 10 000 parts, however large.
 *
 * The base size is the configured part size, raised when a size hint says the file would otherwise
 * need more than 10 000 parts. Because a hint can be wrong or absent, the size also doubles every
 * 1 000 parts (capped at 5 GiB), so a stream of unknown length reaches
 * base × 1 000 × (2^10 − 1) ≈ 8 TiB at 8 MiB before part 10 000. Every part but the last is therefore
 * at least `base` ≥ 1 MiB, as COS requires.
 */
export class PartSizer {
  readonly baseBytes: number;

  constructor(partBytes: number, sizeHint?: number) {
    if (!Number.isInteger(partBytes) || partBytes < MIN_PART_BYTES || partBytes > MAX_PART_BYTES) {
      throw new RangeError(`partBytes must be an integer between ${MIN_PART_BYTES} and ${MAX_PART_BYTES}`);
    }
    const neededForHint = sizeHint === undefined ? 0 : roundUpToMiB(Math.ceil(sizeHint / MAX_PARTS));
    this.baseBytes = Math.min(MAX_PART_BYTES, Math.max(partBytes, neededForHint));
  }

  /** Size of part `partNumber` (1-based). */
  sizeOf(partNumber: number): number {
    const step = Math.floor((partNumber - 1) / PARTS_PER_SIZE_STEP);
    return Math.min(MAX_PART_BYTES, this.baseBytes * 2 ** step);
  }
}

function roundUpToMiB(bytes: number): number {
  return Math.ceil(bytes / MiB) * MiB;
}
