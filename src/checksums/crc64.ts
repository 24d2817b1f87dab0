import { createCRC64, type IHasher } from 'hash-wasm';

/**
 * CRC-64/XZ (a.k.a. CRC-64/GO-ECMA, ECMA-182 polynomial, reflected, init and xorout all ones): the
 * checksum Tencent COS returns in `x-cos-hash-crc64ecma` as an unsigned decimal string.
 *
 * The bytes are hashed by hash-wasm's CRC-64 (WebAssembly; its default polynomial is this one), about
 * twice the speed of the table-driven JavaScript this replaced. One WebAssembly instance serves every
 * running checksum: each `Crc64` keeps its own 12-byte state, loaded into the hasher when another
 * checksum used it last (and saved then), so a checksum can be created synchronously anywhere.
 * Only that hand-over and the combine step below are our own code: the library has neither.
 */
const hasher: IHasher = await createCRC64();
hasher.init();
const INITIAL_STATE: Uint8Array = hasher.save();
/** Saves the running state the hasher holds into the checksum it belongs to. */
interface StateHolder {
  save(): void;
}
/** The checksum whose running state the hasher holds now (saved only when another needs the hasher). */
let holder: StateHolder | undefined;

function releaseHasher(): void {
  holder?.save();
  holder = undefined;
}

export class Crc64 {
  #state: Uint8Array = INITIAL_STATE;
  readonly #holder: StateHolder = {
    save: () => {
      this.#state = hasher.save();
    },
  };
  /** When continuing an earlier checksum: its value, and the bytes hashed since. */
  #before: bigint | undefined;
  #length = 0;

  /** Continues a checksum from the digest of the bytes before (a resumed upload's first bytes). */
  static continuing(digest: string): Crc64 {
    const crc = new Crc64();
    crc.#before = BigInt(digest);
    return crc;
  }

  update(buf: Uint8Array): void {
    if (buf.length === 0) return;
    this.#own();
    hasher.update(buf);
    this.#length += buf.length;
  }

  /** Loads this checksum's state into the hasher, saving the previous holder's first. */
  #own(): void {
    if (holder === this.#holder) return;
    releaseHasher();
    hasher.load(this.#state);
    holder = this.#holder;
  }

  /** The checksum so far as an unsigned decimal string (the `x-cos-hash-crc64ecma` form). */
  digest(): string {
    return this.digestBigInt().toString(10);
  }

  digestBigInt(): bigint {
    // Finishing disturbs the hasher's state: whoever holds it keeps it first; the next update loads again.
    releaseHasher();
    hasher.load(this.#state);
    const own = BigInt(`0x${hasher.digest('hex')}`);
    return this.#before === undefined ? own : crc64Combine(this.#before, own, this.#length);
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
