/**
 * hash.ts — the map's key hash in JS, bit for bit the core's.
 *
 * assembly/map/hash.ts holds the recipe and why it is built from 32-bit
 * multiplies: JS computes it with Math.imul as cheaply as the core does, so
 * a lookup can run on either side of the boundary and find the same bucket.
 * Here each function returns x, the hash's low word (the bucket index is its
 * low B bits); `tophashOf(x)` is the slot byte.
 */

/** Full-avalanche 32-bit mixer (xorshift-multiply, twice); unsigned result. */
export function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

/** A map's second seed word, from its hash0. */
export function seed1(hash0: number): number {
  return mix32(hash0 ^ 0x5bd1e995);
}

/** x of a numeric key given as two 32-bit words (lo, hi); s1 = seed1(hash0). */
export function hashWordsX(lo: number, hi: number, hash0: number, s1: number): number {
  return mix32(Math.imul(lo ^ hash0, 0x9e3779b1) ^ Math.imul(hi ^ s1, 0x85ebca77));
}

/** The tophash byte of a key whose hash has low word x (Go's minTopHash, 5,
 *  is added to a byte below it). */
export function tophashOf(x: number): number {
  const t = Math.imul(x, 0x9e3779b1) >>> 24;
  return t < 5 ? t + 5 : t;
}

/** One 4-byte word's contribution. */
function wordK(w: number, s1: number): number {
  const k = Math.imul(w ^ s1, 0xcc9e2d51);
  return Math.imul((k << 15) | (k >>> 17), 0x1b873593);
}

/** x of the n bytes of a string/bytes key at u8[at..]; s1 = seed1(hash0)
 *  (readers hash from a scratch buffer; test/hash.test.ts checks it
 *  against the core's hash). */
export function hashBytesAtX(u8: Uint8Array, at: number, n: number, hash0: number, s1: number): number {
  let h = hash0 ^ Math.imul(n, 0x9e3779b1);
  const whole = at + (n & ~3),
    end = at + n;
  let i = at;
  for (; i < whole; i += 4) {
    h ^= wordK(u8[i]! | (u8[i + 1]! << 8) | (u8[i + 2]! << 16) | (u8[i + 3]! << 24), s1);
    h = (Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64) | 0;
  }
  if (i < end) {
    let t = 0;
    for (let shift = 0; i < end; i++, shift += 8) t |= u8[i]! << shift;
    h ^= wordK(t, s1);
  }
  return mix32(h ^ n);
}

/** x of a string/bytes key's bytes. */
export function hashBytesX(b: Uint8Array, hash0: number): number {
  return hashBytesAtX(b, 0, b.length, hash0, seed1(hash0));
}
