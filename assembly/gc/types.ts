// types.ts — which words of a heap object are pointers.
//
// Go 1.19 keeps a heap bitmap (2 bits per word, mbitmap.go) written at
// allocation from the type's ptrdata/gcdata. We keep the same information
// per *object* instead of per word: each scan span has one type byte per
// slot (span.typeBytes, written by mallocgc), and the type byte indexes this
// table:
//
//    type      stride  pointer words (bit i = word i of each stride)
//    NOSCAN    —       none: noscan spans are never scanned
//    HMAP      32      buckets, oldbuckets, extra (offsets from hmap)
//    MAPEXTRA  32      overflow, oldoverflow, nextOverflow (from mapextra)
//    PTRARRAY  4       word 0: every word is a pointer (or 0)
//
// An object is scanned as its type's stride repeated over the whole slot
// (whole elements only), so one type describes an array of that element (a
// bucket array is an array of buckets); the zeroed tail of a slot holds only
// nil words. Masks
// are built at init from offsetof, never typed by hand.

import { hmap, mapextra } from "../map/hmap";

export const enum ObjType {
  NOSCAN = 0,
  HMAP = 1,
  MAPEXTRA = 2,
  PTRARRAY = 3,
  /** First id for the bucket types of maps whose buckets hold pointers. */
  FIRST_BUCKET = 4,
}

// @ts-ignore: decorator
@inline export const MAX_TYPES: u32 = 32;

// stride u32, pad u32, mask u64 — 16 bytes per type.
const typeTable: usize = memory.data(MAX_TYPES * 16, 8);

// @ts-ignore: decorator
@inline export function typeStride(t: u32): usize {
  return <usize>load<u32>(typeTable + (<usize>t << 4));
}

// @ts-ignore: decorator
@inline export function typePtrMask(t: u32): u64 {
  return load<u64>(typeTable + (<usize>t << 4) + 8);
}

export function defineType(t: u32, stride: u32, mask: u64): void {
  store<u32>(typeTable + (<usize>t << 4), stride);
  store<u64>(typeTable + (<usize>t << 4) + 8, mask);
}

// @ts-ignore: decorator
@inline function bit(offset: usize): u64 {
  return <u64>1 << <u64>(offset >> 2);
}

export function typesInit(): void {
  defineType(ObjType.HMAP, <u32>offsetof<hmap>(),
    bit(offsetof<hmap>("buckets")) | bit(offsetof<hmap>("oldbuckets")) | bit(offsetof<hmap>("extra")));
  defineType(ObjType.MAPEXTRA, <u32>offsetof<mapextra>(),
    bit(offsetof<mapextra>("overflow")) | bit(offsetof<mapextra>("oldoverflow")) | bit(offsetof<mapextra>("nextOverflow")));
  defineType(ObjType.PTRARRAY, 4, 1);
}
