// hash.ts — seeded 64-bit hashing of keys (numbers and bytes).
//
// Go 1.19 on wasm hashes with memhashFallback (a wyhash variant built on a
// 64×64→128-bit multiply, hash64.go) seeded by a per-process hashkey and the
// per-map hash0. WebAssembly has no 128-bit multiply, so we use the
// murmur3 fmix64 finaliser (2 multiplies, full avalanche) over the key bits
// xor a 64-bit seed expanded from the map's 32-bit hash0:
//
//    seed = (hash0 · 0x9E3779B97F4A7C15) ^ (hash0 << 32)      (never 0 for hash0 != 0)
//    hash = fmix64(bits(key) ^ seed)
//
// The bucket index takes the low B bits, tophash the top byte, as Go.
// hash0 comes from the host's crypto.getRandomValues (or the map's `seed`
// option), so an attacker who cannot see it cannot aim keys at one bucket;
// Go additionally mixes a per-process key, which we leave out so a `seed`
// reproduces a map's layout exactly across runs.
//
// f64 keys (Go's f64hash): +0 and −0 hash alike; NaN hashes to a fresh
// random value on every call (the runtime's one fastrand, mem/fastrand.ts),
// so NaN keys are never found again.
//
// String and bytes keys (references, str.ts) hash their bytes (hashBytes,
// Go's memhash), 8 at a time through fmix64:
//
//    h = seed ^ (n · 0x9E3779B97F4A7C15)
//    for each whole 8-byte word w:  h = rotl(h ^ fmix64(w), 27) · 0x9E3779B97F4A7C15 + 0x52DCE729
//    h ^= fmix64(tail ^ n)   (tail: the last n mod 8 bytes, little-endian)
//    hash = fmix64(h)

import { isStr, strEq, strPtr, strLen } from "./str";
import { fastrand64 } from "../mem/fastrand";

// @ts-ignore: decorator
@inline export function fmix64(x: u64): u64 {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccd;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53;
  x ^= x >> 33;
  return x;
}

// @ts-ignore: decorator
@inline export function seedOf(hash0: u32): u64 {
  return (<u64>hash0 * 0x9e3779b97f4a7c15) ^ (<u64>hash0 << 32);
}

/** Seeded hash of n bytes at p: 8 bytes at a time through fmix64 (Go's
 *  memhash; the recipe is in the essay above). */
export function hashBytes(p: usize, n: u32, seed: u64): u64 {
  let end = p + <usize>n;
  let h = hashWords(hashStart(n, seed), p, end);
  return hashFinish(h, p + ((end - p) & ~<usize>7), end, n);
}

// hashBytes in three steps, so a key longer than the scratch area can be
// hashed a piece at a time (longkey.ts): the pieces before the last hold
// whole words, so the result is the same as over the whole key at once.

/** The state before any byte of an n-byte key. */
// @ts-ignore: decorator
@inline export function hashStart(n: u32, seed: u64): u64 {
  return seed ^ (<u64>n * 0x9e3779b97f4a7c15);
}

/** Fold the whole 8-byte words of [p, end) into h (a trailing partial word
 *  is left for hashFinish). */
// @ts-ignore: decorator
@inline export function hashWords(h: u64, p: usize, end: usize): u64 {
  while (end - p >= 8) {
    h ^= fmix64(load<u64>(p));
    h = rotl<u64>(h, 27) * 0x9e3779b97f4a7c15 + 0x52dce729;
    p += 8;
  }
  return h;
}

/** Fold the key's last n mod 8 bytes, [p, end), and finalise. */
// @ts-ignore: decorator
@inline export function hashFinish(h: u64, p: usize, end: usize, n: u32): u64 {
  let k: u64 = 0;
  let shift: u64 = 0;
  while (p < end) {
    k |= <u64>load<u8>(p) << shift;
    shift += 8;
    p++;
  }
  h ^= fmix64(k ^ <u64>n);
  return fmix64(h);
}

/** The hash of key k under hash0 (K is u32, u64, f64 or a StrRef). */
// @ts-ignore: decorator
@inline export function hashKey<K>(k: K, hash0: u32): u64 {
  let bits: u64;
  if (isStr<K>()) {
    return hashBytes(strPtr(<i64>k), strLen(<i64>k), seedOf(hash0));
  } else if (isFloat<K>()) {
    let f = <f64>k;
    if (f != f) return fastrand64(); // NaN: random every time (Go's f64hash)
    bits = f == 0 ? 0 : reinterpret<u64>(f); // +0 and −0 alike
  } else {
    bits = <u64>k;
  }
  return fmix64(bits ^ seedOf(hash0));
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
