import { createHash, type Hash } from 'node:crypto';
import { Crc64 } from '../checksums/crc64.ts';

/**
 * The checksums of one file, fed once per part in file order: SHA-256 (reported to the caller) and
 * CRC-64/XZ (compared with the `x-cos-hash-crc64ecma` COS answers with).
 */
export class FileDigest {
  readonly #sha256: Hash = createHash('sha256');
  readonly #crc64 = new Crc64();
  #bytes = 0;
  #result: FileChecksums | undefined;

  update(data: Buffer): void {
    if (this.#result !== undefined) throw new Error('FileDigest.update after finish');
    this.#sha256.update(data);
    this.#crc64.update(data);
    this.#bytes += data.length;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** Ends the digest; later calls return the same checksums. */
  finish(): FileChecksums {
    this.#result ??= { bytes: this.#bytes, sha256: this.#sha256.digest('hex'), crc64: this.#crc64.digest() };
    return this.#result;
  }
}

export interface FileChecksums {
  readonly bytes: number;
  readonly sha256: string;
  readonly crc64: string;
}
