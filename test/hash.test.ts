// The host's JS hash (src/hash.ts) is the core's, bit for bit: the JS read
// path finds a key in the bucket the core put it in only if both sides
// compute the same bucket index and tophash.
import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { Runtime } from "../src/node.js";
import { boundaryOf } from "../src/runtime.js";
import { hashBytesAtX, hashBytesX, hashWordsX, seed1, tophashOf } from "../src/hash.js";

const rt = await Runtime.create({ debug: true });
const b = boundaryOf(rt);
const dbg = b.requireDebug("hash twin");

/** The core's 64-bit hash → [x, tophash] as the map uses them. */
const split = (signed: bigint): [number, number] => {
  const h = BigInt.asUintN(64, signed); // an i64 across the boundary
  const top = Number(h >> 56n);
  return [Number(h & 0xffffffffn), top < 5 ? top + 5 : top];
};

describe("the JS hash is the core's", () => {
  it("numeric keys: any two words under any hash0", () => {
    fc.assert(
      fc.property(fc.nat(0xffffffff), fc.nat(0xffffffff), fc.nat(0xffffffff), (lo, hi, h0) => {
        const [x, top] = split(dbg.dbgHashWords(lo, hi, h0) as bigint);
        const jx = hashWordsX(lo, hi, h0, seed1(h0));
        expect(jx).toBe(x);
        expect(tophashOf(jx)).toBe(top);
      }),
      { numRuns: 5000 },
    );
  });

  it("bytes: every length 0..70 and every tail, under any hash0", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 70 }), fc.nat(0xffffffff), (bytes, h0) => {
        const at = b.scratchBase;
        b.u8.set(bytes, at);
        const [x, top] = split(dbg.dbgHashBytes(at, bytes.length, h0) as bigint);
        const jx = hashBytesX(bytes, h0);
        expect(jx).toBe(x);
        expect(tophashOf(jx)).toBe(top);
        // The readers' variant (src/reader.ts), over bytes at an offset of a larger buffer.
        const big = new Uint8Array(bytes.length + 7).fill(0xa5);
        big.set(bytes, 3);
        expect(hashBytesAtX(big, 3, bytes.length, h0, seed1(h0))).toBe(x);
      }),
      { numRuns: 3000 },
    );
  });

  it("32-bit keys are a permutation of their hash's low word (no two u32 keys share one)", () => {
    const h0 = 0x12345678;
    const s1 = seed1(h0);
    const seen = new Set<number>();
    for (let k = 0; k < 200_000; k++) seen.add(hashWordsX(k * 7919, 0, h0, s1));
    expect(seen.size).toBe(200_000);
  });
});
