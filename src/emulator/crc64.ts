/**
 * CRC-64/XZ (a.k.a. CRC-64/GO-ECMA, ECMA-182 polynomial, reflected, init and xorout all ones): the
 * checksum Tencent COS returns in `x-cos-hash-crc64ecma` as an unsigned decimal string.
 *
 * Slice-by-16, table-driven, with the 64-bit state kept in two unsigned 32-bit halves (no BigInt on
 * the hot path). Free of emulator specifics so the service can reuse it.
 */

/** The reflected form of the ECMA-182 polynomial 0x42F0E1EBA9EA3693, as two 32-bit halves. */
const POLY_HI = 0xc96c5795;
const POLY_LO = 0xd7870f42;

const TABLES = 16;
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const EMPTY_WORDS = new Uint32Array(0);
const LO = new Uint32Array(TABLES * 256);
const HI = new Uint32Array(TABLES * 256);

function buildTables(): void {
  for (let i = 0; i < 256; i++) {
    let lo = i;
    let hi = 0;
    for (let bit = 0; bit < 8; bit++) {
      const carry = lo & 1;
      lo = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0;
      hi = hi >>> 1;
      if (carry !== 0) {
        lo = (lo ^ POLY_LO) >>> 0;
        hi = (hi ^ POLY_HI) >>> 0;
      }
    }
    LO[i] = lo;
    HI[i] = hi;
  }
  for (let t = 1; t < TABLES; t++) {
    for (let i = 0; i < 256; i++) {
      const prevLo = LO[(t - 1) * 256 + i]!;
      const prevHi = HI[(t - 1) * 256 + i]!;
      const idx = prevLo & 0xff;
      LO[t * 256 + i] = (((prevLo >>> 8) | (prevHi << 24)) ^ LO[idx]!) >>> 0;
      HI[t * 256 + i] = ((prevHi >>> 8) ^ HI[idx]!) >>> 0;
    }
  }
}
buildTables();

export class Crc64 {
  // The running state, pre-inverted (init = all ones).
  private lo = 0xffffffff;
  private hi = 0xffffffff;

  /** Continues a checksum from the digest of the bytes before (CRC-64 state is its digest, inverted). */
  static continuing(digest: string): Crc64 {
    const value = BigInt(digest);
    const crc = new Crc64();
    crc.hi = (Number(value >> 32n) ^ 0xffffffff) >>> 0;
    crc.lo = (Number(value & 0xffffffffn) ^ 0xffffffff) >>> 0;
    return crc;
  }

  update(buf: Uint8Array): void {
    let lo = this.lo;
    let hi = this.hi;
    let i = 0;
    const n = buf.length;
    // Bytes up to a 4-byte boundary one at a time, then whole 8-byte words through a Uint32Array view.
    if (LITTLE_ENDIAN) {
      while (i < n && (buf.byteOffset + i) % 4 !== 0) {
        const idx = (lo ^ buf[i]!) & 0xff;
        lo = ((lo >>> 8) | (hi << 24)) ^ LO[idx]!;
        hi = (hi >>> 8) ^ HI[idx]!;
        i++;
      }
    }
    // Slice-by-16: two 8-byte words per step, the state folded into the first.
    const blocks = LITTLE_ENDIAN ? (n - i) >>> 4 : 0;
    const view = blocks > 0 ? new Uint32Array(buf.buffer, buf.byteOffset + i, blocks * 4) : EMPTY_WORDS;
    for (let w = 0; w < blocks * 4; w += 4) {
      lo ^= view[w]!;
      hi ^= view[w + 1]!;
      const l2 = view[w + 2]!;
      const h2 = view[w + 3]!;
      const a = 15 * 256 + (lo & 0xff);
      const b = 14 * 256 + ((lo >>> 8) & 0xff);
      const c = 13 * 256 + ((lo >>> 16) & 0xff);
      const d = 12 * 256 + (lo >>> 24);
      const e = 11 * 256 + (hi & 0xff);
      const f = 10 * 256 + ((hi >>> 8) & 0xff);
      const g = 9 * 256 + ((hi >>> 16) & 0xff);
      const h = 8 * 256 + (hi >>> 24);
      const a2 = 7 * 256 + (l2 & 0xff);
      const b2 = 6 * 256 + ((l2 >>> 8) & 0xff);
      const c2 = 5 * 256 + ((l2 >>> 16) & 0xff);
      const d2 = 4 * 256 + (l2 >>> 24);
      const e2 = 3 * 256 + (h2 & 0xff);
      const f2 = 2 * 256 + ((h2 >>> 8) & 0xff);
      const g2 = 256 + ((h2 >>> 16) & 0xff);
      const h3 = h2 >>> 24;
      lo =
        LO[a]! ^ LO[b]! ^ LO[c]! ^ LO[d]! ^ LO[e]! ^ LO[f]! ^ LO[g]! ^ LO[h]! ^
        LO[a2]! ^ LO[b2]! ^ LO[c2]! ^ LO[d2]! ^ LO[e2]! ^ LO[f2]! ^ LO[g2]! ^ LO[h3]!;
      hi =
        HI[a]! ^ HI[b]! ^ HI[c]! ^ HI[d]! ^ HI[e]! ^ HI[f]! ^ HI[g]! ^ HI[h]! ^
        HI[a2]! ^ HI[b2]! ^ HI[c2]! ^ HI[d2]! ^ HI[e2]! ^ HI[f2]! ^ HI[g2]! ^ HI[h3]!;
    }
    i += blocks * 16;
    const end8 = n - ((n - i) % 8);
    while (i < end8) {
      lo ^= buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24);
      hi ^= buf[i + 4]! | (buf[i + 5]! << 8) | (buf[i + 6]! << 16) | (buf[i + 7]! << 24);
      const a = 7 * 256 + (lo & 0xff);
      const b = 6 * 256 + ((lo >>> 8) & 0xff);
      const c = 5 * 256 + ((lo >>> 16) & 0xff);
      const d = 4 * 256 + (lo >>> 24);
      const e = 3 * 256 + (hi & 0xff);
      const f = 2 * 256 + ((hi >>> 8) & 0xff);
      const g = 256 + ((hi >>> 16) & 0xff);
      const h = hi >>> 24;
      lo = LO[a]! ^ LO[b]! ^ LO[c]! ^ LO[d]! ^ LO[e]! ^ LO[f]! ^ LO[g]! ^ LO[h]!;
      hi = HI[a]! ^ HI[b]! ^ HI[c]! ^ HI[d]! ^ HI[e]! ^ HI[f]! ^ HI[g]! ^ HI[h]!;
      i += 8;
    }
    while (i < n) {
      const idx = (lo ^ buf[i]!) & 0xff;
      lo = ((lo >>> 8) | (hi << 24)) ^ LO[idx]!;
      hi = (hi >>> 8) ^ HI[idx]!;
      i++;
    }
    this.lo = lo >>> 0;
    this.hi = hi >>> 0;
  }

  /** The checksum so far as an unsigned decimal string (the `x-cos-hash-crc64ecma` form). */
  digest(): string {
    return this.digestBigInt().toString(10);
  }

  digestBigInt(): bigint {
    const hi = (this.hi ^ 0xffffffff) >>> 0;
    const lo = (this.lo ^ 0xffffffff) >>> 0;
    return (BigInt(hi) << 32n) | BigInt(lo);
  }
}

/** CRC-64/XZ of one buffer, as a decimal string. */
export function crc64(buf: Uint8Array): string {
  const c = new Crc64();
  c.update(buf);
  return c.digest();
}

/*
 * Combining: the CRC of A‖B from crc(A), crc(B) and |B| alone (zlib's crc32_combine method, on the
 * 64-bit reflected polynomial): crc(A‖B) = crc(A)·x^(8|B|) mod P ⊕ crc(B). Valid as is for CRCs whose
 * init and xorout are equal (both all ones here). BigInt is fine: it runs once per part, not per byte.
 */
const POLY = 0xc96c5795d7870f42n;
const TOP = 1n << 63n;

/** a·b mod P, in the reflected representation (bit 63 is x^0). */
function multModP(a: bigint, b: bigint): bigint {
  let m = TOP;
  let p = 0n;
  for (;;) {
    if ((a & m) !== 0n) {
      p ^= b;
      if ((a & (m - 1n)) === 0n) break;
    }
    m >>= 1n;
    b = (b & 1n) !== 0n ? (b >> 1n) ^ POLY : b >> 1n;
  }
  return p;
}

/** X2N[k] = x^(2^k) mod P. */
const X2N: bigint[] = [];
{
  let p = TOP >> 1n; // x^1
  X2N.push(p);
  for (let k = 1; k < 64; k++) X2N.push((p = multModP(p, p)));
}

/** x^(n·2^k) mod P. */
function x2nModP(n: number, k: number): bigint {
  let p = TOP; // x^0
  let rest = BigInt(n);
  while (rest > 0n) {
    if ((rest & 1n) !== 0n) p = multModP(X2N[k & 63]!, p);
    rest >>= 1n;
    k++;
  }
  return p;
}

/** CRC-64/XZ of A‖B given crc(A), crc(B) (as bigints) and the length of B in bytes. */
export function crc64Combine(crcA: bigint, crcB: bigint, lengthB: number): bigint {
  if (lengthB === 0) return crcA;
  return multModP(x2nModP(lengthB, 3), crcA) ^ crcB;
}
