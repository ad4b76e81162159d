// span.ts — the span record and its allocation bitmaps.
//
// Mirrors Go 1.19 runtime/mheap.go:mspan and runtime/mbitmap.go
// (nextFreeIndex, refillAllocCache) and runtime/malloc.go:nextFreeFast.
//
// A span is a run of 8 KiB pages. An in-use span either holds `nelems`
// objects of one size class (`elemsize` bytes each) or one large object.
// Free page runs in the page heap are described by span records too, in
// state SpanState.FREE (Go <= 1.11 did the same; Go 1.12+ moved free pages to a
// radix-tree bitmap allocator, which a single-threaded heap does not need).
//
// The record (72 bytes, allocated by fixalloc.ts outside the object heap):
//
//    0       8      16      24      32      40      48      56  58 60  64  68  72
//    ├───────┼───┬───┼───┬───┼───┬───┼───┬───┼───┬───┼───┬───┼─┬─┼─┬─┼──┼───┼───┤
//    │allocCache │nxt│prv│lst│beg│npg│nel│fre│esz│abt│gcm│swg│div│ac│acb│cl st nz│typ│spc│
//    └───────────┴───┴───┴───┴───┴───┴───┴───┴───┴───┴───┴───┴───┴──┴──┴────────┴───┴───┘
//    allocCache  u64  inverted allocBits from freeindex on: ctz finds a free slot
//    next, prev  u32  links in whichever list the span is on
//    listHead    u32  address of that list's head slot (0: on no list)
//    startAddr   u32  first byte of the first page
//    npages      u32  pages in the span
//    nelems      u32  object slots (1 for a large object)
//    freeindex   u32  where the search for a free slot starts
//    elemsize    u32  class size, or npages*8192 for a large object
//    allocBits   u32  1 bit per slot: allocated as of the last sweep
//    gcmarkBits  u32  1 bit per slot: marked in the current cycle
//    sweepgen    u32  see sweep.ts for its values relative to mheap sweepgen
//    divMul      u32  Go's class_to_divmagic: slot = (off * divMul) >> 32
//    allocCount  u16  slots allocated (below freeindex or set in allocBits)
//    allocCountBeforeCache u16   allocCount when mcache took the span
//    spanclass   u8   sizeclass << 1 | noscan
//    state       u8   SpanState
//    needzero    u8   1 if the span's memory may hold old data
//    typeBytes   u32  scan spans: one type byte per slot (gc/types.ts), 0 for noscan
//    specials    u32  first heap-profile record of a sampled object (mprof.ts), 0: none
//
// Free-slot rule (Go's, mbitmap.go): slot n is free iff n >= freeindex and
// allocBits[n] == 0. Allocation never writes allocBits; it only advances
// freeindex. Bitmaps are whole u64 words, bits past nelems are 0.
//
// Invariants (checked by check.ts:checkSpan):
//   1. allocCount == popcount(allocBits) + #{ n < freeindex : allocBits[n] == 0 }
//   2. allocCache bit j == !allocBits[freeindex + j] for every j before the
//      next multiple of 64 and before nelems.
//   3. every page of an in-use span maps to the span in the page map.

import { PAGE_SHIFT } from "./sizeclasses";

/** Span states. Legal transitions:
 *    DEAD  -> FREE    (a record describes a new free run)
 *    FREE  -> INUSE   (mheap.allocSpan), INUSE -> FREE (mheap.freeSpan)
 *    FREE  -> DEAD    (coalesced away; the record returns to fixalloc) */
export const enum SpanState {
  DEAD = 0,
  INUSE = 1,
  FREE = 2,
}

@unmanaged
export class mspan {
  allocCache: u64;
  next: u32;
  prev: u32;
  listHead: u32;
  startAddr: u32;
  npages: u32;
  nelems: u32;
  freeindex: u32;
  elemsize: u32;
  allocBits: u32;
  gcmarkBits: u32;
  sweepgen: u32;
  divMul: u32;
  allocCount: u16;
  allocCountBeforeCache: u16;
  spanclass: u8;
  state: u8;
  needzero: u8;
  pad: u8;
  typeBytes: u32;
  specials: u32;
}

// @ts-ignore: decorator
@inline export const SPAN_RECORD_SIZE: usize = offsetof<mspan>();

/** Bytes of one bitmap for a span of `nelems` slots: whole u64 words. */
// @ts-ignore: decorator
@inline export function bitmapBytes(nelems: u32): u32 {
  return ((nelems + 63) >> 6) << 3;
}

// @ts-ignore: decorator
@inline export function spanClassOf(sizeclass: u32, noscan: bool): u32 {
  return (sizeclass << 1) | <u32>noscan;
}

// @ts-ignore: decorator
@inline export function spanBase(s: mspan): usize {
  return <usize>s.startAddr;
}

/** Page index one past the span (pages, so 4 GiB does not overflow). */
// @ts-ignore: decorator
@inline export function spanEndPage(s: mspan): u32 {
  return (s.startAddr >>> PAGE_SHIFT) + s.npages;
}

// @ts-ignore: decorator
@inline export function isBitSet(bits: usize, n: u32): bool {
  return ((load<u8>(bits + (n >> 3)) >> (n & 7)) & 1) != 0;
}

// @ts-ignore: decorator
@inline export function setBit(bits: usize, n: u32): void {
  let p = bits + (n >> 3);
  store<u8>(p, load<u8>(p) | (<u8>1 << <u8>(n & 7)));
}

/** Load the cache with the complement of allocBits from byte `whichByte`
 *  (a multiple of 8): bit j set means slot whichByte*8 + j is free. */
// @ts-ignore: decorator
@inline export function refillAllocCache(s: mspan, whichByte: u32): void {
  s.allocCache = ~load<u64>(<usize>s.allocBits + whichByte);
}

/** Go's nextFreeFast: one ctz, no loops. Returns 0 when the slow path must
 *  run (cache word exhausted, or the span is full). */
// @ts-ignore: decorator
@inline export function nextFreeFast(s: mspan): usize {
  let cache = s.allocCache;
  let bit = <u32>ctz(cache);
  if (bit < 64) {
    let idx = s.freeindex + bit;
    if (idx < s.nelems) {
      let next = idx + 1;
      if ((next & 63) == 0 && next != s.nelems) return 0;
      // Two shifts: a shift by 64 is a shift by 0 in wasm.
      s.allocCache = (cache >> bit) >> 1;
      s.freeindex = next;
      s.allocCount++;
      return <usize>s.startAddr + <usize>idx * <usize>s.elemsize;
    }
  }
  return 0;
}

/** Go's nextFreeIndex: the index of the next free slot at or after
 *  freeindex, advancing freeindex past it; nelems when the span is full. */
export function nextFreeIndex(s: mspan): u32 {
  let sfreeindex = s.freeindex;
  let snelems = s.nelems;
  if (sfreeindex == snelems) return sfreeindex;
  let aCache = s.allocCache;
  let bitIndex = <u32>ctz(aCache);
  while (bitIndex == 64) {
    // Move to the next 64-slot word of the bitmap.
    sfreeindex = (sfreeindex + 64) & ~63;
    if (sfreeindex >= snelems) {
      s.freeindex = snelems;
      return snelems;
    }
    refillAllocCache(s, sfreeindex >> 3);
    aCache = s.allocCache;
    bitIndex = <u32>ctz(aCache);
  }
  let result = sfreeindex + bitIndex;
  if (result >= snelems) {
    s.freeindex = snelems;
    return snelems;
  }
  s.allocCache = (aCache >> bitIndex) >> 1;
  sfreeindex = result + 1;
  if ((sfreeindex & 63) == 0 && sfreeindex != snelems) {
    refillAllocCache(s, sfreeindex >> 3);
  }
  s.freeindex = sfreeindex;
  return result;
}

/** Number of set bits over the first `nelems` slots of a bitmap. */
export function countBits(bits: usize, nelems: u32): u32 {
  let words = (nelems + 63) >> 6;
  let n: u32 = 0;
  for (let i: u32 = 0; i < words; i++) {
    n += <u32>popcnt(load<u64>(bits + (<usize>i << 3)));
  }
  return n;
}

/** Slot index of address p inside span s (Go's mspan.objIndex). */
// @ts-ignore: decorator
@inline export function objIndex(s: mspan, p: usize): u32 {
  return <u32>((<u64>(p - <usize>s.startAddr) * <u64>s.divMul) >> 32);
}
