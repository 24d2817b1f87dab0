import { createHash, type Hash } from 'node:crypto';
import { Crc64 } from '../checksums/crc64.ts';

/** Where a resumed file continues: the bytes already stored and their CRC-64. */
export interface DigestStart {
  readonly bytes: number;
  readonly crc64: string;
  /**
   * The SHA-256 state over exactly those bytes, when this process still holds it (it paused the
   * upload itself: see PausedDigests); it is continued instead of reading the object back.
   */
  readonly sha256?: Hash | undefined;
}

/**
 * The checksums of one file, fed once per part in file order: SHA-256 (reported to the caller) and
 * CRC-64/XZ (compared with the `x-cos-hash-crc64ecma` COS answers with).
 *
 * A digest continued from a `DigestStart` (a resumed upload) has CRC-64 only unless the start
 * carries the SHA-256 state (held in memory by the process that paused it): node's SHA-256 state
 * cannot be exported, so elsewhere the resumed file's SHA-256 is computed by reading the stored
 * object back (see resume-upload.ts and the README's "Resuming").
 */
export class FileDigest {
  readonly #sha256: Hash | undefined;
  readonly #crc64: Crc64;
  #bytes: number;
  #result: FileChecksums | undefined;

  constructor(start?: DigestStart) {
    this.#sha256 = start === undefined ? createHash('sha256') : start.sha256?.copy();
    this.#crc64 = start === undefined ? new Crc64() : Crc64.continuing(start.crc64);
    this.#bytes = start?.bytes ?? 0;
  }

  update(data: Buffer): void {
    if (this.#result !== undefined) throw new Error('FileDigest.update after finish');
    this.#sha256?.update(data);
    this.#crc64.update(data);
    this.#bytes += data.length;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** CRC-64 of the bytes fed so far (the digest goes on). */
  crc64SoFar(): string {
    return this.#crc64.digest();
  }

  /** A copy of the SHA-256 state over the bytes fed so far (undefined when there is none). */
  sha256SoFar(): Hash | undefined {
    return this.#sha256?.copy();
  }

  /** Ends the digest; later calls return the same checksums. */
  finish(): FileChecksums {
    this.#result ??= { bytes: this.#bytes, sha256: this.#sha256?.digest('hex'), crc64: this.#crc64.digest() };
    return this.#result;
  }
}

export interface FileChecksums {
  readonly bytes: number;
  /** Undefined for a digest continued from a `DigestStart` without a SHA-256 state. */
  readonly sha256: string | undefined;
  readonly crc64: string;
}
