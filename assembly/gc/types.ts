// types.ts — which words of a heap object are pointers: the type table.
//
// Go 1.19 keeps a heap bitmap (2 bits per word, mbitmap.go) written at
// allocation from the type's ptrdata/gcdata, and the collector learns each
// type's layout from its type descriptor — the compiler emits one per type
// (cmd/compile reflectdata: hmap, bmap), so mgc.go never imports map.go. We
// keep the same information per *object* instead of per word: each scan
// span has one type byte per slot (span.typeBytes, written by mallocgc),
// and the type byte indexes this table. The collector reads the table and
// knows no type; each package describes its own types at init
// (defineType), as Go's compiler does at build time:
//
//    id          stride  pointer words (bit i = word i of each stride)   defined by
//    NOSCAN      —       none: noscan spans are never scanned            —
//    HMAP        32      buckets, oldbuckets, extra                       map/hmap.ts:mapTypesInit
//    MAPEXTRA    32      overflow, oldoverflow, nextOverflow              map/hmap.ts:mapTypesInit
//    PTRARRAY    4       word 0: every word is a pointer (or 0)           typesInit, here
//    FIRST_BUCKET + 0..5 bucketsize  string refs' pointer words, overflow map/hmap.ts:mapTypesInit
//
// An object is scanned as its type's stride repeated over the whole slot
// (whole elements only), so one type describes an array of that element (a
// bucket array is an array of buckets); the zeroed tail of a slot holds only
// nil words. Masks are built at init from offsetof, never typed by hand.
//
// The ids are reserved here, in one enum, so two packages never take the
// same byte; the layouts behind them belong to their packages. This file
// imports nothing: the collector reads the table (gc/mark.ts:scanobject,
// gc/check.ts), and the packages above it (gc/roots.ts, map/) pass ids to
// mallocgc and define their layouts. Invariant: every id stored in a type
// byte was defined before (scanobject asserts a non-zero stride in the
// debug build).

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

/** Describe type t: each `stride` bytes of an object of this type hold
 *  pointers at the words whose bits are set in `mask` (stride <= 256, so
 *  64 mask bits cover it). Called at init, before the first allocation. */
export function defineType(t: u32, stride: u32, mask: u64): void {
  if (!ASC_NO_ASSERT) assert(t != ObjType.NOSCAN && t < MAX_TYPES && stride != 0 && stride <= 256 && (stride & 3) == 0, "defineType: bad id or stride");
  store<u32>(typeTable + (<usize>t << 4), stride);
  store<u64>(typeTable + (<usize>t << 4) + 8, mask);
}

/** The collector's own type (the root table and the map's extra.overflow
 *  arrays are PTRARRAYs). The map's types are defined by the map package
 *  (map/hmap.ts:mapTypesInit). */
export function typesInit(): void {
  defineType(ObjType.PTRARRAY, 4, 1);
}
