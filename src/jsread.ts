/**
 * jsread.ts — map lookups in JS, over the core's linear memory.
 *
 * A call into wasm costs only a few nanoseconds, but it ends the CPU's
 * overlap of one lookup's cache misses with the next: a u32 `get` that
 * crossed into the core was no faster than JS `Map`. Go's `mapaccess`
 * writes nothing, allocates nothing and needs no write barrier, so it can
 * run here instead, reading the core's memory through typed arrays — the
 * same steps as assembly/map/access.ts (Go's mapaccess1_fast32/64):
 *
 *   1. count == 0 → absent. hashWriting set → SLOT_CONCURRENT (Go's
 *      "concurrent map read and map write").
 *   2. The hash (src/hash.ts, bit for bit the core's); bucket = its low B
 *      bits. While growing, the old bucket for the hash is searched
 *      instead when it is not evacuated yet (its first tophash byte is not
 *      evacuatedX/Y/Empty); the old array has half the buckets, or as many
 *      in a same-size grow.
 *   3. Walk the chain: a slot whose tophash matches has its key compared;
 *      emptyRest ends the search; the overflow pointer gives the next
 *      bucket.
 *
 * Each function returns what the core's access export returns: the value
 * slot's address, 0 when absent, SLOT_CONCURRENT during a write. Keys are
 * given as two 32-bit words (lo, hi) — hi is 0 for 4-byte keys — so one
 * body serves u32, i32, u64, i64 and f64 keys; callers have checked the key
 * and turned it into words (f64: its bits, with −0 as +0; NaN never gets
 * here: it is never found). A stored key matches when its words are
 * (lo, hi) or (lo, hi2): f64 zero is stored as +0 or −0 (Go keeps the
 * first key stored, and +0 == −0), so its hi2 is −0's high word; every
 * other key passes hi2 = hi.
 *
 * The layout numbers below are the core's (tophash sentinels, hmap field
 * offsets, flags); src/boundary.ts checks them against the core's exports
 * when it loads a core, so they cannot drift apart.
 */

import { SLOT_CONCURRENT } from "./status.js";
import { hashWordsX, mix32, seed1, tophashOf } from "./hash.js";

/** hmap field offsets (the core's HMAP_* exports). */
export const HMAP_COUNT = 0;
export const HMAP_FLAGS = 4;
export const HMAP_B = 5;
export const HMAP_HASH0 = 8;
export const HMAP_BUCKETS = 12;
export const HMAP_OLDBUCKETS = 16;
/** hmap.flags bits (the core's Flag enum). */
export const FLAG_HASH_WRITING = 4;
export const FLAG_SAME_SIZE_GROW = 8;
/** Tophash sentinels: emptyRest ends a search; an old bucket whose first
 *  byte is in [EVACUATED_X, EVACUATED_EMPTY] has been evacuated. */
export const EMPTY_REST = 0;
export const EVACUATED_X = 2;
export const EVACUATED_EMPTY = 4;
export const MIN_TOPHASH = 5;
/** Byte offset of a bucket's keys (after the 8 tophash bytes). */
export const KEYS_OFFSET = 8;

/** The bucket a lookup of hash x must search in map h: its bucket in the
 *  current array, or in the old array while that one is not evacuated
 *  (half the buckets, or as many in a same-size grow) — Go's mapaccess and
 *  the core's lookupBucket. */
function searchStart(u8: Uint8Array, u32: Uint32Array, h: number, flags: number, x: number, bs: number): number {
  const B = u8[h + HMAP_B]!;
  const mask = B >= 32 ? -1 : (1 << B) - 1;
  const b = u32[(h + HMAP_BUCKETS) >>> 2]! + ((x & mask) >>> 0) * bs;
  const old = u32[(h + HMAP_OLDBUCKETS) >>> 2]!;
  if (old === 0) return b;
  const om = (flags & FLAG_SAME_SIZE_GROW) !== 0 ? mask : mask >>> 1;
  const ob = old + ((x & om) >>> 0) * bs;
  const t0 = u8[ob]!;
  return t0 < EVACUATED_X || t0 > EVACUATED_EMPTY ? ob : b;
}

/**
 * The value slot of the key (lo, hi) in map h, or 0, or SLOT_CONCURRENT.
 * `ks` is the key's size (4 or 8 bytes); `bs`, `vo`, `vs`, `oo` the bucket
 * size, value offset, value size and overflow-pointer offset of the map's
 * shape.
 */
export function lookupWords(
  u8: Uint8Array,
  u32: Uint32Array,
  h: number,
  lo: number,
  hi: number,
  hi2: number,
  ks: number,
  bs: number,
  vo: number,
  vs: number,
  oo: number,
): number {
  if (u32[(h + HMAP_COUNT) >>> 2] === 0) return 0;
  const flags = u8[h + HMAP_FLAGS]!;
  if ((flags & FLAG_HASH_WRITING) !== 0) return SLOT_CONCURRENT;
  const hash0 = u32[(h + HMAP_HASH0) >>> 2]!;
  const x = hashWordsX(lo, hi, hash0, seed1(hash0));
  let b = searchStart(u8, u32, h, flags, x, bs);
  const top = tophashOf(x);
  if (ks === 4) {
    do {
      for (let i = 0; i < 8; i++) {
        const t = u8[b + i]!;
        if (t === top) {
          if (u32[(b + KEYS_OFFSET + 4 * i) >>> 2] === lo) return b + vo + i * vs;
        } else if (t === EMPTY_REST) return 0;
      }
      b = u32[(b + oo) >>> 2]!;
    } while (b !== 0);
    return 0;
  }
  do {
    for (let i = 0; i < 8; i++) {
      const t = u8[b + i]!;
      if (t === top) {
        const k = (b + KEYS_OFFSET + 8 * i) >>> 2;
        if (u32[k] === lo) {
          const kh = u32[k + 1];
          if (kh === hi || kh === hi2) return b + vo + i * vs;
        }
      } else if (t === EMPTY_REST) return 0;
    }
    b = u32[(b + oo) >>> 2]!;
  } while (b !== 0);
  return 0;
}

/** Byte offset of a string key's length in its 8-byte slot (ptr u32, len u32). */
const STR_LEN = 4;

/**
 * The value slot of string key `s` in map h, when `s` is ASCII: its UTF-16
 * code units are its bytes, so it is hashed (src/hash.ts's hashBytesX, on
 * the code units) and compared with the stored keys' bytes without being
 * encoded or copied into the scratch area. −1 when `s` is not ASCII (the
 * caller encodes it and asks the core); else as lookupWords: the slot, 0,
 * or SLOT_CONCURRENT.
 */
export function lookupAscii(
  u8: Uint8Array,
  u32: Uint32Array,
  h: number,
  s: string,
  bs: number,
  vo: number,
  vs: number,
  oo: number,
): number {
  const n = s.length;
  const hash0 = u32[(h + HMAP_HASH0) >>> 2]!;
  const s1 = seed1(hash0);
  let x = hash0 ^ Math.imul(n, 0x9e3779b1);
  let or = 0;
  const whole = n & ~3;
  let i = 0;
  for (; i < whole; i += 4) {
    const c0 = s.charCodeAt(i),
      c1 = s.charCodeAt(i + 1),
      c2 = s.charCodeAt(i + 2),
      c3 = s.charCodeAt(i + 3);
    or |= c0 | c1 | c2 | c3;
    let k = Math.imul(((c0 | (c1 << 8) | (c2 << 16) | (c3 << 24)) ^ s1) | 0, 0xcc9e2d51);
    k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
    x ^= k;
    x = (Math.imul((x << 13) | (x >>> 19), 5) + 0xe6546b64) | 0;
  }
  if (i < n) {
    let t = 0;
    for (let shift = 0; i < n; i++, shift += 8) {
      const c = s.charCodeAt(i);
      or |= c;
      t |= c << shift;
    }
    let k = Math.imul(t ^ s1, 0xcc9e2d51);
    k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
    x ^= k;
  }
  if (or > 0x7f) return -1;
  if (u32[(h + HMAP_COUNT) >>> 2] === 0) return 0;
  const flags = u8[h + HMAP_FLAGS]!;
  if ((flags & FLAG_HASH_WRITING) !== 0) return SLOT_CONCURRENT;
  x = mix32(x ^ n);
  let b = searchStart(u8, u32, h, flags, x, bs);
  const top = tophashOf(x);
  do {
    for (let j = 0; j < 8; j++) {
      const t = u8[b + j]!;
      if (t === top) {
        const ks = b + KEYS_OFFSET + 8 * j;
        if (u32[(ks + STR_LEN) >>> 2] === n) {
          const p = u32[ks >>> 2]!;
          let c = 0;
          while (c < n && u8[p + c] === s.charCodeAt(c)) c++;
          if (c === n) return b + vo + j * vs;
        }
      } else if (t === EMPTY_REST) return 0;
    }
    b = u32[(b + oo) >>> 2]!;
  } while (b !== 0);
  return 0;
}
