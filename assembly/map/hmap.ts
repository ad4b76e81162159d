// hmap.ts — the map header, the bucket shapes, the map's constants, and
// the map's type data for the collector.
//
// Mirrors Go 1.19 runtime/map.go: the hmap and bmap types, tophash,
// overLoadFactor, tooManyOverflowBuckets and makemap's choice of B
// (bForHint); makeBucketArray, which uses them, is in make.ts. The pointer
// layouts of hmap, mapextra and each scan bucket shape go to the collector's
// type table at init (mapTypesInit, below): the collector never imports the
// map, as Go's mgc.go never imports map.go (it reads the compiler's type
// descriptors for hmap and bmap instead).
//
// hmap (32 bytes, size class 32), wasm32's own layout:
//
//    0        4    5    6        8        12        16          20          24       28       32
//    ├────────┼────┼────┼────────┼────────┼─────────┼───────────┼───────────┼────────┼────────┤
//    │ count  │flag│ B  │noverflw│ hash0  │ buckets │ oldbuckets│ nevacuate │ extra  │  typ   │
//    └────────┴────┴────┴────────┴────────┴─────────┴───────────┴───────────┴────────┴────────┘
//    count u32, flags u8, B u8, noverflow u16, hash0 u32: as Go (386 column of
//    docs/go-facts.md); buckets/oldbuckets/extra are 32-bit pointers;
//    typ (ours) = keyKind | valueKind << 8 | bucketsize << 16 | generation << TYP_GEN_SHIFT (24)
//    — Go passes the maptype to every call instead; we keep it in the header
//    so inspection and the collector can read a map without the host. The
//    generation byte counts grows, evacuations, clears and shrinks
//    (map/unsafe.ts: the host's stale-view detection).
//
// Bucket (bmap), one shape per key size × value size:
//
//    0          8                8+8·KS               8+8·KS+8·VS        bucketsize
//    ├──────────┼────────────────┼────────────────────┼──────────┬────────┤
//    │tophash[8]│ keys[8] (KS B) │ values[8] (VS B)   │ overflow │ (pad)  │
//    └──────────┴────────────────┴────────────────────┴──────────┴────────┘
//    overflow is a u32 pointer, the last word before padding; buckets with
//    8-byte keys or values are padded to a multiple of 8 so every bucket of
//    an array keeps its 8-byte fields aligned.
//
//      keys→values   KS VS  bucketsize  size class   Go amd64 / 386 (8-byte / 4-byte overflow word)
//      u32→u32        4  4       76        80            80 / 76
//      u32→u64        4  8      112       112           112 / 108
//      u64→u32        8  4      112       112           112 / 108
//      u64→u64        8  8      144       144           144 / 140
//
// mapextra (32 bytes, class 32): for noscan buckets, Go keeps overflow
// buckets alive through extra.overflow / oldoverflow (slices of bucket
// pointers) because the collector never looks inside a noscan bucket. We do
// the same: `overflow` is a growable array object of u32 bucket pointers.
//
//    0          4           8           12           16            20            24             28          32
//    ├──────────┼───────────┼───────────┼────────────┼─────────────┼─────────────┼──────────────┼───────────┤
//    │ overflow │ overflowN │ overflowC │ oldoverflow│ oldoverflowN│ oldoverflowC│ nextOverflow │ growRetry │
//    └──────────┴───────────┴───────────┴────────────┴─────────────┴─────────────┴──────────────┴───────────┘
//
// An overflow list (a PTRARRAY) has one word more than its capacity C:
//
//    0                          4·len          4·C       4·C+4
//    ├── bucket pointers ───────┼── (unused) ──┼── next ──┤
//
// `next` is 0 until the list is outgrown (make.ts:ensureOverflowCap): then
// it points to the bigger list that replaced it. Go's mapextra holds
// *[]*bmap, a slice header that an iterator can point at and that sees
// every later append; our list object is replaced when it grows, so the
// replaced list leads to its replacement instead: whoever holds the first
// list of a bucket array (a running iterator: iter.ts) keeps every overflow
// bucket that array will ever get. `growRetry` (ours) is the per-map
// deferral of growth after a grow failed for lack of memory (assign.ts).

import { MAX_SMALL_SIZE, PAGE_SIZE, sizeToClass, classSize } from "../mem/sizeclasses";
import { writePointer } from "../gc/barrier";
import { ObjType, defineType } from "../gc/types";
import { isStr } from "./str";

// @ts-ignore: decorator
@inline export const bucketCntBits: u32 = 3;
// @ts-ignore: decorator
@inline export const bucketCnt: u32 = 1 << bucketCntBits;
// @ts-ignore: decorator
@inline export const loadFactorNum: u32 = 13;
// @ts-ignore: decorator
@inline export const loadFactorDen: u32 = 2;
// @ts-ignore: decorator
@inline export const dataOffset: usize = 8;

/** tophash sentinels (Go's values). A live slot's tophash is >= minTopHash. */
export const enum TopHash {
  emptyRest = 0,      // empty, and so is every later slot of this chain
  emptyOne = 1,       // empty
  evacuatedX = 2,     // moved to the low half of the new array
  evacuatedY = 3,     // moved to the high half
  evacuatedEmpty = 4, // was empty; bucket evacuated
  minTopHash = 5,
}

/** hmap.flags bits (Go's). */
export const enum Flag {
  iterator = 1,       // an iterator may be using buckets
  oldIterator = 2,    // an iterator may be using oldbuckets
  hashWriting = 4,    // a write is in progress
  sameSizeGrow = 8,   // the current grow keeps B
  hooked = 16,        // ours: the host installed assign/delete hooks (map/unsafe.ts)
}

/** Key and value kinds, as the host names them (exported: the host reads
 *  the codes it puts in hmap.typ from here). */
export enum Kind {
  I32 = 1,
  U32 = 2,
  I64 = 3,
  U64 = 4,
  F64 = 5,
  STRING = 6,
  BYTES = 7,
}

@unmanaged
export class hmap {
  count: u32;
  flags: u8;
  B: u8;
  noverflow: u16;
  hash0: u32;
  buckets: u32;
  oldbuckets: u32;
  nevacuate: u32;
  extra: u32;
  typ: u32;
}

@unmanaged
export class mapextra {
  overflow: u32;
  overflowLen: u32;
  overflowCap: u32;
  oldoverflow: u32;
  oldoverflowLen: u32;
  oldoverflowCap: u32;
  nextOverflow: u32;
  growRetry: u32;
}

// @ts-ignore: decorator
@inline export const HMAP_SIZE: usize = offsetof<hmap>();
/** hmap.typ's generation byte starts at this bit (bumpGen). */
// @ts-ignore: decorator
@inline export const TYP_GEN_SHIFT: u32 = 24;

// Pointer stores into hmap and mapextra go through the write barrier.
// @ts-ignore: decorator
@inline export function setBuckets(h: hmap, p: usize): void { writePointer(changetype<usize>(h) + offsetof<hmap>("buckets"), p); }
// @ts-ignore: decorator
@inline export function setOldbuckets(h: hmap, p: usize): void { writePointer(changetype<usize>(h) + offsetof<hmap>("oldbuckets"), p); }
// @ts-ignore: decorator
@inline export function setExtra(h: hmap, p: usize): void { writePointer(changetype<usize>(h) + offsetof<hmap>("extra"), p); }
// @ts-ignore: decorator
@inline export function setOverflowList(e: mapextra, p: usize): void { writePointer(changetype<usize>(e) + offsetof<mapextra>("overflow"), p); }
// @ts-ignore: decorator
@inline export function setOldoverflowList(e: mapextra, p: usize): void { writePointer(changetype<usize>(e) + offsetof<mapextra>("oldoverflow"), p); }
// @ts-ignore: decorator
@inline export function setNextOverflow(e: mapextra, p: usize): void { writePointer(changetype<usize>(e) + offsetof<mapextra>("nextOverflow"), p); }
// @ts-ignore: decorator
@inline export const MAPEXTRA_SIZE: usize = offsetof<mapextra>();

// ---------------------------------------------------------------------------
// Bucket geometry, per key type K and value type V (compile-time constants)

// @ts-ignore: decorator
@inline export function keysOff<K>(): usize { return dataOffset; }
// @ts-ignore: decorator
@inline export function valsOff<K>(): usize { return dataOffset + bucketCnt * sizeof<K>(); }
// @ts-ignore: decorator
@inline export function ovfOff<K, V>(): usize { return dataOffset + bucketCnt * (sizeof<K>() + sizeof<V>()); }
// @ts-ignore: decorator
@inline export function bucketSize<K, V>(): usize {
  let raw = ovfOff<K, V>() + 4;
  return sizeof<K>() == 8 || sizeof<V>() == 8 ? (raw + 7) & ~7 : raw;
}

// @ts-ignore: decorator
@inline export function keyAt<K>(b: usize, i: usize): usize { return b + dataOffset + i * sizeof<K>(); }
// @ts-ignore: decorator
@inline export function valAt<K, V>(b: usize, i: usize): usize { return b + valsOff<K>() + i * sizeof<V>(); }
// @ts-ignore: decorator
@inline export function overflowOf<K, V>(b: usize): usize { return <usize>load<u32>(b + ovfOff<K, V>()); }
/** Link an overflow bucket; through the barrier when buckets are scanned. */
// @ts-ignore: decorator
@inline export function setOverflow<K, V>(b: usize, ovf: usize): void {
  if (isScanShape<K, V>()) writePointer(b + ovfOff<K, V>(), ovf);
  else store<u32>(b + ovfOff<K, V>(), <u32>ovf);
}

/** Do this shape's buckets hold pointers (string/bytes keys or values)? */
// @ts-ignore: decorator
@inline export function isScanShape<K, V>(): bool { return isStr<K>() || isStr<V>(); }

/** The object type of this shape's buckets: NOSCAN for numeric maps, else
 *  one bucket type per scan shape (gc/types.ts, defined by mapTypesInit). */
// @ts-ignore: decorator
@inline export function bucketType<K, V>(): u32 {
  if (!isScanShape<K, V>()) return ObjType.NOSCAN;
  if (isStr<K>()) return <u32>ObjType.FIRST_BUCKET + (isStr<V>() ? 2 : sizeof<V>() == 4 ? 0 : 1);
  return <u32>ObjType.FIRST_BUCKET + 3 + (isFloat<K>() ? 2 : sizeof<K>() == 4 ? 0 : 1);
}

/** Pointer-word mask of one bucket of this shape (bit i = word i). */
export function bucketPtrMask<K, V>(): u64 {
  let m: u64 = 0;
  for (let i: usize = 0; i < bucketCnt; i++) {
    if (isStr<K>()) m |= <u64>1 << <u64>((dataOffset + i * sizeof<K>()) >> 2);
    if (isStr<V>()) m |= <u64>1 << <u64>((valsOff<K>() + i * sizeof<V>()) >> 2);
  }
  return m | (<u64>1 << <u64>(ovfOff<K, V>() >> 2));
}

// ---------------------------------------------------------------------------
// Type data for the collector (gc/types.ts)

// @ts-ignore: decorator
@inline function ptrBit(offset: usize): u64 {
  return <u64>1 << <u64>(offset >> 2);
}

/** Tell the collector where the map's objects hold pointers: hmap,
 *  mapextra, and the bucket of every scan shape (string/bytes keys or
 *  values; numeric buckets are NOSCAN). Called once by init (proc.ts),
 *  before the first map is made. */
export function mapTypesInit(): void {
  defineType(ObjType.HMAP, <u32>offsetof<hmap>(),
    ptrBit(offsetof<hmap>("buckets")) | ptrBit(offsetof<hmap>("oldbuckets")) | ptrBit(offsetof<hmap>("extra")));
  defineType(ObjType.MAPEXTRA, <u32>offsetof<mapextra>(),
    ptrBit(offsetof<mapextra>("overflow")) | ptrBit(offsetof<mapextra>("oldoverflow")) | ptrBit(offsetof<mapextra>("nextOverflow")));
  // The six scan shapes, in bucketType's order (key storage × value storage).
  defineBucketType<i64, u32>();
  defineBucketType<i64, u64>();
  defineBucketType<i64, i64>();
  defineBucketType<u32, i64>();
  defineBucketType<u64, i64>();
  defineBucketType<f64, i64>();
}

function defineBucketType<K, V>(): void {
  defineType(bucketType<K, V>(), <u32>bucketSize<K, V>(), bucketPtrMask<K, V>());
}

// ---------------------------------------------------------------------------
// Go's small helpers

// @ts-ignore: decorator
@inline export function isEmpty(x: u8): bool { return x <= <u8>TopHash.emptyOne; }

// @ts-ignore: decorator
@inline export function tophash(hash: u64): u8 {
  let top = <u32>(hash >> 56);
  if (top < <u32>TopHash.minTopHash) top += <u32>TopHash.minTopHash;
  return <u8>top;
}

/** Has bucket b been evacuated? (tophash[0] is 2, 3 or 4) */
// @ts-ignore: decorator
@inline export function evacuated(b: usize): bool {
  let h = load<u8>(b);
  return h > <u8>TopHash.emptyOne && h < <u8>TopHash.minTopHash;
}

// @ts-ignore: decorator
@inline export function bucketShift(B: u32): usize { return <usize>1 << B; }
// @ts-ignore: decorator
@inline export function bucketMask(B: u32): usize { return (<usize>1 << B) - 1; }

/** count > 8 && count > 13 · (2^B / 2), in integer math (Go's). */
export function overLoadFactor(count: u64, B: u32): bool {
  return count > <u64>bucketCnt && count > <u64>loadFactorNum * ((<u64>1 << B) / <u64>loadFactorDen);
}

/** noverflow >= 2^min(B, 15). */
// @ts-ignore: decorator
@inline export function tooManyOverflowBuckets(noverflow: u32, B: u32): bool {
  if (B > 15) B = 15;
  return noverflow >= (<u32>1 << B);
}

/** B for a size hint (Go's makemap loop). */
export function bForHint(hint: u64): u32 {
  let B: u32 = 0;
  while (overLoadFactor(hint, B)) B++;
  return B;
}

/** Count an event that moves or rewrites slots (typ's generation byte). */
// @ts-ignore: decorator
@inline export function bumpGen(h: hmap): void { h.typ += <u32>1 << TYP_GEN_SHIFT; }

// @ts-ignore: decorator
@inline export function growing(h: hmap): bool { return h.oldbuckets != 0; }
// @ts-ignore: decorator
@inline export function sameSizeGrow(h: hmap): bool { return (h.flags & <u8>Flag.sameSizeGrow) != 0; }

/** Buckets in the old array (Go's noldbuckets). */
// @ts-ignore: decorator
@inline export function noldbuckets(h: hmap): usize {
  let oldB = <u32>h.B;
  if (!sameSizeGrow(h)) oldB--;
  return bucketShift(oldB);
}

// @ts-ignore: decorator
@inline export function oldbucketmask(h: hmap): usize { return noldbuckets(h) - 1; }

/** Go's roundupsize: the bytes mallocgc really hands out for `size`. */
export function roundupsize(size: u64): u64 {
  if (size <= <u64>MAX_SMALL_SIZE) return size == 0 ? 0 : <u64>classSize(sizeToClass(<usize>size));
  return (size + <u64>PAGE_SIZE - 1) & ~(<u64>PAGE_SIZE - 1);
}
