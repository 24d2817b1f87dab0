/** A pass-through stream that counts bytes and computes MD5 and CRC-64/XZ of what flows through. */
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { Crc64 } from '../checksums/crc64.ts';

export class HashTap extends Transform {
  bytes = 0;
  private readonly md5: Hash | undefined;
  private readonly crc = new Crc64();

  constructor(options: { md5?: boolean; onBytes?: (total: number) => void } = {}) {
    super();
    this.md5 = options.md5 === false ? undefined : createHash('md5');
    this.onBytes = options.onBytes;
  }

  private readonly onBytes: ((total: number) => void) | undefined;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.md5?.update(chunk);
    this.crc.update(chunk);
    this.bytes += chunk.length;
    this.onBytes?.(this.bytes);
    callback(null, chunk);
  }

  md5Hex(): string {
    if (this.md5 === undefined) throw new Error('md5 not computed');
    return this.md5.digest('hex');
  }

  crc64(): string {
    return this.crc.digest();
  }
}
