// group.ts — matching a tophash byte against a whole bucket at once.
//
// A bucket's 8 tophash bytes are one group. Two ways to compare a byte with
// all 8, chosen at compile time (one source, two builds):
//
//   SIMD (ASC_FEATURE_SIMD): load the 8 bytes into a v128 (load64_zero),
//     i8x16.eq against a splat of the byte, i8x16.bitmask → bit i = slot i.
//   SWAR (no SIMD): x = word ^ (byte · 0x0101…01) has a zero byte where the
//     tophash matches; ~(((x & 0x7f…7f) + 0x7f…7f) | x | 0x7f…7f) sets the
//     high bit of exactly those bytes (the exact form: no false positives,
//     measured on Node 20) → bit 8i+7 = slot i.
//
// Measured (batch lookups of u64 keys, median of 7, ns per lookup; this
// machine, Node 20):
//              1e3 entries   1e5    1e6 hit   1e6 miss
//     SIMD        8.4        19-21   53-55     30
//     SWAR        8.4-8.5    19-22   50-54     28-29
// The same: hashing and the cache misses dominate, not the match. So the
// builds use SWAR, which needs no SIMD support from the engine (no second
// build, no feature detection); compiling with `--enable simd` switches to
// the SIMD form for experiments.
//
// Either way a match is a u64 mask; firstSlot gives the lowest matching
// slot and dropFirst clears it. Live tophash values are >= 5, so a lookup's
// tophash never matches a sentinel, and matchEmptyRest (byte 0) tells when a
// chain ends.

// @ts-ignore: decorator
@inline const LO7: u64 = 0x7f7f7f7f7f7f7f7f;
// @ts-ignore: decorator
@inline const ONES: u64 = 0x0101010101010101;

/** log2 of the mask bits per slot: 0 for SIMD bitmasks, 3 for SWAR. */
// @ts-ignore: decorator
@inline export const SLOT_SHIFT: u64 = ASC_FEATURE_SIMD ? 0 : 3;

/** Slots of bucket b whose tophash equals `top`. */
// @ts-ignore: decorator
@inline export function matchTop(b: usize, top: u8): u64 {
  if (ASC_FEATURE_SIMD) {
    let g = v128.load64_zero(b);
    return <u64>i8x16.bitmask(i8x16.eq(g, i8x16.splat(<i8>top))) & 0xff;
  } else {
    let x = load<u64>(b) ^ (<u64>top * ONES);
    return ~(((x & LO7) + LO7) | x | LO7);
  }
}

/** Slots of bucket b that are emptyRest (0). */
// @ts-ignore: decorator
@inline export function matchEmptyRest(b: usize): u64 {
  if (ASC_FEATURE_SIMD) {
    let g = v128.load64_zero(b);
    return <u64>i8x16.bitmask(i8x16.eq(g, i8x16.splat(0))) & 0xff;
  } else {
    let w = load<u64>(b);
    return ~(((w & LO7) + LO7) | w | LO7);
  }
}

/** Slots of bucket b that are empty (emptyRest or emptyOne: tophash <= 1). */
// @ts-ignore: decorator
@inline export function matchEmpty(b: usize): u64 {
  if (ASC_FEATURE_SIMD) {
    let g = v128.load64_zero(b);
    return <u64>i8x16.bitmask(i8x16.le_u(g, i8x16.splat(1))) & 0xff;
  } else {
    // Clear bit 0 of every byte: emptyOne (1) becomes 0 like emptyRest, and
    // no live tophash (>= 5) can become 0.
    let w = load<u64>(b) & ~ONES;
    return ~(((w & LO7) + LO7) | w | LO7);
  }
}

// @ts-ignore: decorator
@inline export function firstSlot(mask: u64): usize {
  return <usize>(ctz(mask) >> SLOT_SHIFT);
}

// @ts-ignore: decorator
@inline export function dropFirst(mask: u64): u64 {
  return mask & (mask - 1);
}
