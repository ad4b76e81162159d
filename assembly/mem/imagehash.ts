// imagehash.ts — the checksum of a snapshot's memory sections.
//
// A snapshot (src/snapshot.ts, docs/snapshot.md) is mostly copies of linear
// memory; its checksum must cost little next to the copy itself, so it runs
// here, over memory in place: four independent 64-bit lanes, one multiply
// per 8-byte word, so the CPU keeps four multiplies in flight. Every step
// of a lane — xor the word in, multiply by an odd constant, rotate — is a
// bijection of the lane for a fixed word, so a change to any one word
// (any number of bit flips in it) always changes that lane's end value; the
// end mix folds the lanes through further bijections, so such a change
// always changes the result. It is a checksum against damage, not a MAC:
// crafted images are caught by the structural checks (mem/verify.ts,
// map/verify.ts), not by this.
//
// imageHash(p, len, seed): the hash of the bytes [p, p + len). Reads
// memory only (no global), so the host may call it on an image copied into
// a fresh instance before any of the image's state is trusted.

// @ts-ignore: decorator
@inline const P1: u64 = 0x9E3779B185EBCA87;
// @ts-ignore: decorator
@inline const P2: u64 = 0xC2B2AE3D27D4EB4F;
// @ts-ignore: decorator
@inline const P3: u64 = 0x165667B19E3779F9;

// @ts-ignore: decorator
@inline function lane(acc: u64, w: u64): u64 {
  return rotl<u64>((acc ^ w) * P1, 29);
}

// @ts-ignore: decorator
@inline function avalanche(h: u64): u64 {
  h ^= h >>> 33;
  h *= P2;
  h ^= h >>> 29;
  h *= P3;
  h ^= h >>> 32;
  return h;
}

export function imageHash(p: usize, len: usize, seed: u64): u64 {
  let a = seed ^ P2, b = seed + P3, c = ~seed, d = seed - P1;
  // Counted, not compared with an end address: a section may end at 4 GiB,
  // where p + len wraps to 0 in 32 bits.
  for (let blocks = len >>> 5; blocks > 0; blocks--) {
    a = lane(a, load<u64>(p));
    b = lane(b, load<u64>(p, 8));
    c = lane(c, load<u64>(p, 16));
    d = lane(d, load<u64>(p, 24));
    p += 32;
  }
  // The tail (0..31 bytes) as whole words, the last one zero-padded: the
  // length, mixed in at the end, tells a short tail from zero bytes.
  let rest = len & 31;
  let w: u64 = 0;
  let i: usize = 0;
  while (i + 8 <= rest) {
    a = lane(a, load<u64>(p + i));
    i += 8;
  }
  let shift: u64 = 0;
  while (i < rest) {
    w |= <u64>load<u8>(p + i) << shift;
    shift += 8;
    i++;
  }
  b = lane(b, w);
  let h = <u64>len * P3;
  h = avalanche(h ^ a) * P1;
  h = avalanche(h ^ b) * P1;
  h = avalanche(h ^ c) * P1;
  h = avalanche(h ^ d);
  return h;
}
