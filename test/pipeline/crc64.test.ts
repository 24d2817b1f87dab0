// CRC-64/XZ as COS reports it: the check value, checksums updated in turns sharing the one
// WebAssembly hasher, a digest taken mid-way that does not disturb the running sum, and a sum
// continued from an earlier digest (a resumed upload).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { Crc64, crc64 } from '../../src/checksums/crc64.ts';

describe('Crc64', () => {
  it('gives the CRC-64/XZ check value of "123456789"', () => {
    assert.equal(crc64(Buffer.from('123456789')), BigInt('0x995DC9BBDF1939FA').toString(10));
  });

  it('keeps each running checksum apart when several are updated in turns, with digests in between', () => {
    const a = randomBytes(300_000);
    const b = randomBytes(200_001);
    const sumA = new Crc64();
    const sumB = new Crc64();
    const midway: string[] = [];
    for (let offset = 0; offset < a.length; offset += 65_536) {
      sumA.update(a.subarray(offset, offset + 65_536));
      sumB.update(b.subarray(offset, offset + 65_536));
      midway.push(sumA.digest());
      sumA.update(Buffer.alloc(0));
    }
    assert.equal(sumA.digest(), crc64(a));
    assert.equal(sumB.digest(), crc64(b));
    assert.equal(midway[0], crc64(a.subarray(0, 65_536)), 'a digest mid-way is the sum so far');
  });

  it('continues a checksum from the digest of the bytes before', () => {
    const data = randomBytes(1_000_003);
    const cut = 400_000;
    const rest = Crc64.continuing(crc64(data.subarray(0, cut)));
    const other = new Crc64();
    rest.update(data.subarray(cut, cut + 100_000));
    other.update(randomBytes(10));
    rest.update(data.subarray(cut + 100_000));
    assert.equal(rest.digest(), crc64(data));
  });
});
