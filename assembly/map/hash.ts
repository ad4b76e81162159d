// hash.ts — seeded hashing of keys (numbers and bytes), computable alike
// in the core and in JS.
//
// Go 1.19 on wasm hashes with memhashFallback (a wyhash variant built on a
// 64×64→128-bit multiply, hash64.go) seeded by a per-process hashkey and the
// per-map hash0. Our lookups also run in JS over linear memory (the host's
// read path, src/hash.ts computes these same functions), and JS has no
// cheap 64-bit multiply: emulating one from 16-bit pieces costs more than
// the whole lookup should. So the hash is built from 32-bit multiplies
// (Math.imul in JS, i32.mul here), xors, shifts and rotates, which both
// sides do natively and bit for bit alike.
//
// Seeds: the map's 32-bit hash0 (crypto.getRandomValues, or the `seed`
// option) and a second word derived from it, s1 = mix32(hash0 ^ 0x5bd1e995).
//
// Numbers. A key is two 32-bit words, lo and hi (u32/i32 keys: hi = 0;
// u64/i64: the halves; f64: the halves of its bits, with −0 as +0):
//
//    x = mix32((lo ^ hash0)·0x9E3779B1 ^ (hi ^ s1)·0x85EBCA77)
//
// mix32 (xorshift-multiply twice, full avalanche) is a bijection, and so is
// the rest for a fixed hi: no two u32 keys share a hash.
//
// Bytes (string and bytes keys, Go's memhash), 4 at a time (little-endian
// words w; t = the last n mod 4 bytes):
//
//    h = hash0 ^ n·0x9E3779B1
//    each w:  k = rotl((w ^ s1)·0xCC9E2D51, 15)·0x1B873593;  h = rotl(h ^ k, 13)·5 + 0xE6546B64
//    t:       h ^= rotl((t ^ s1)·0xCC9E2D51, 15)·0x1B873593
//    x = mix32(h ^ n)
//
// The word steps are MurmurHash3's with the seed folded into every word
// before its multiply, so the difference two words make depends on the seed
// (MurmurHash3's own per-word step does not, which is what lets its
// collisions be built without knowing the seed).
//
// From x, the 64-bit hash the map uses: the bucket index is its low B bits
// (x's), the tophash its top byte — the top byte of x·0x9E3779B1, one more
// multiply, which spreads x's high bits so that keys of one bucket still
// differ there:
//
//    hash = (x·0x9E3779B1) << 32 | x
//
// f64 keys (Go's f64hash): +0 and −0 hash alike; NaN hashes to a fresh
// random value on every call (the runtime's one fastrand, mem/fastrand.ts),
// so NaN keys are never found again.
//
// Strength: like Go's own hashes this is a keyed mixer, not a keyed PRF
// such as SipHash. With hash0 unknown, keys cannot be aimed at one bucket;
// a fixed `seed` gives that up for a reproducible layout.

import { isStr, strEq, strPtr, strLen } from "./str";
import { fastrand64 } from "../mem/fastrand";

/** Full-avalanche 32-bit mixer (xorshift-multiply, twice). */
// @ts-ignore: decorator
@inline export function mix32(h: u32): u32 {
  h ^= h >> 16;
  h *= 0x7feb352d;
  h ^= h >> 15;
  h *= 0x846ca68b;
  h ^= h >> 16;
  return h;
}

/** The second seed word of a map. */
// @ts-ignore: decorator
@inline export function seed1(hash0: u32): u32 {
  return mix32(hash0 ^ 0x5bd1e995);
}

/** The map's 64-bit hash from the 32-bit mix x (see above). */
// @ts-ignore: decorator
@inline export function widen(x: u32): u64 {
  return (<u64>(x * 0x9e3779b1) << 32) | <u64>x;
}

/** Hash of a numeric key given as two 32-bit words. */
// @ts-ignore: decorator
@inline export function hashWords2(lo: u32, hi: u32, hash0: u32): u64 {
  return widen(mix32(((lo ^ hash0) * 0x9e3779b1) ^ ((hi ^ seed1(hash0)) * 0x85ebca77)));
}

/** One 4-byte word's contribution (MurmurHash3's, keyed by s1). */
// @ts-ignore: decorator
@inline function wordK(w: u32, s1: u32): u32 {
  return rotl<u32>((w ^ s1) * 0xcc9e2d51, 15) * 0x1b873593;
}

/** Seeded hash of n bytes at p (see the essay above). */
export function hashBytes(p: usize, n: u32, hash0: u32): u64 {
  let s1 = seed1(hash0);
  let end = p + <usize>n;
  let h = hashWords(hashStart(n, hash0), s1, p, end);
  return hashFinish(h, s1, p + ((end - p) & ~<usize>3), end, n);
}

// hashBytes in three steps, so a key longer than the scratch area can be
// hashed a piece at a time (longkey.ts): the pieces before the last hold
// whole words, so the result is the same as over the whole key at once.

/** The state before any byte of an n-byte key. */
// @ts-ignore: decorator
@inline export function hashStart(n: u32, hash0: u32): u32 {
  return hash0 ^ (n * 0x9e3779b1);
}

/** Fold the whole 4-byte words of [p, end) into h (a trailing partial word
 *  is left for hashFinish). */
// @ts-ignore: decorator
@inline export function hashWords(h: u32, s1: u32, p: usize, end: usize): u32 {
  while (end - p >= 4) {
    h = rotl<u32>(h ^ wordK(load<u32>(p), s1), 13) * 5 + 0xe6546b64;
    p += 4;
  }
  return h;
}

/** Fold the key's last n mod 4 bytes, [p, end), and finalise. */
// @ts-ignore: decorator
@inline export function hashFinish(h: u32, s1: u32, p: usize, end: usize, n: u32): u64 {
  if (p < end) {
    let t: u32 = 0;
    let shift: u32 = 0;
    while (p < end) {
      t |= <u32>load<u8>(p) << shift;
      shift += 8;
      p++;
    }
    h ^= wordK(t, s1);
  }
  return widen(mix32(h ^ n));
}

/** The hash of key k under hash0 (K is u32, u64, f64 or a StrRef). */
// @ts-ignore: decorator
@inline export function hashKey<K>(k: K, hash0: u32): u64 {
  let bits: u64;
  if (isStr<K>()) {
    return hashBytes(strPtr(<i64>k), strLen(<i64>k), hash0);
  } else if (isFloat<K>()) {
    let f = <f64>k;
    if (f != f) return fastrand64(); // NaN: random every time (Go's f64hash)
    bits = f == 0 ? 0 : reinterpret<u64>(f); // +0 and −0 alike
  } else {
    bits = <u64>k;
  }
  return hashWords2(<u32>bits, <u32>(bits >> 32), hash0);
}

/** Is k == k? (false only for NaN: Go's "reflexive key" test) */
// @ts-ignore: decorator
@inline export function reflexive<K>(k: K): bool {
  return isFloat<K>() ? k == k : true;
}

/** Key equality for every key type: contents for strings. */
// @ts-ignore: decorator
@inline export function keysEqual<K>(a: K, b: K): bool {
  if (isStr<K>()) return strEq(<i64>a, <i64>b);
  return a == b;
}
