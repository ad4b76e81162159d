// verify.ts — verifyMap: is a map of a heap image sound? (both builds)
//
// Called by the host after mem/verify.ts:verifyHeap returned 0 (so every
// span, bitmap and pointer word of the heap is known good and
// mem/verify.ts:objectAt is safe on any address), once per map of the
// image's table, with the key and value kinds the host believes the map
// has (makemap's encoding: keyKind | valueKind << 8). Returns 0 or a
// VerifyFailure code; never asserts, never traps, always terminates.
//
// What 0 promises: check.ts:checkMap's invariants 1–7 hold for the map,
// plus what makes it safe to use:
//   - h is an allocated hmap object; typ names the kinds the host expects
//     and this shape's bucket size; the type table holds the map's layouts;
//   - buckets / oldbuckets are allocated bucket arrays at least as large as
//     B (and the old B) needs; extra is an allocated mapextra; its overflow
//     lists are pointer arrays of cap + 1 words whose first len entries are
//     buckets; extra.nextOverflow is the first free preallocated bucket of
//     the array, the free ones are zero and the last keeps its sentinel;
//   - every overflow pointer is a bucket inside an allocated bucket-sized
//     object, not a primary bucket of either array; no chain loops
//     (Brent's cycle finding on each chain), and the chains of an array
//     hold no more overflow buckets than its list records (which bounds
//     every walk, and every later lookup); the new array's list holds
//     exactly its chains' overflow buckets, each once (so no bucket is on
//     two chains);
//   - every live string/bytes key or value is 0-length or lies inside an
//     allocated object;
//   - every live key hashes to its tophash and bucket, and a lookup finds
//     its very slot (so no duplicates, and no key in the new array whose old
//     bucket still holds the truth).
// The cost is a pass over every bucket plus one lookup per key, and a list
// search per overflow bucket (as checkMap's).

import {
  hmap, mapextra, Flag, TopHash, Kind, bucketCnt, bucketSize, keyAt, valAt, ovfOff, overflowOf, bucketShift,
  bucketMask, evacuated, tophash, isScanShape, bucketType, bucketPtrMask, HMAP_SIZE, MAPEXTRA_SIZE,
} from "./hmap";
import { hashKey, reflexive } from "./hash";
import { lookupBucket, findInChain, foundBucket } from "./access";
import { bucketArrayLength } from "./make";
import { isStr, strPtr, strLen } from "./str";
import { VerifyFailure, objectAt, objectSize, objectType, objectScanned, mix64 } from "../mem/verify";
import { classSize, sizeToClass, PAGE_SHIFT } from "../mem/sizeclasses";
import { arenaStartPage, arenaEndPage } from "../mem/mheap";
import { ObjType, typeStride, typePtrMask } from "../gc/types";

/** Every flag bit hmap.flags may hold. */
// @ts-ignore: decorator
@inline const ALL_FLAGS: u32 = Flag.iterator | Flag.oldIterator | Flag.hashWriting | Flag.sameSizeGrow | Flag.hooked;

// The walk's running state (AssemblyScript has no out-parameters).
let vLive: u32 = 0;
let vOverflow: u32 = 0;
let vBudget: u32 = 0;
let vMix: u64 = 0;

/** Is q a bucket of this shape inside an allocated bucket-sized object? */
function bucketAt<K, V>(q: usize): bool {
  let bsize = bucketSize<K, V>();
  let base = objectAt(q);
  if (base == 0) return false;
  if ((q - base) % bsize != 0 || <u64>q + <u64>bsize > <u64>base + <u64>objectSize(base)) return false;
  return isScanShape<K, V>() ? objectType(base) == bucketType<K, V>() : !objectScanned(base);
}

/** Is arr an allocated bucket array with room for the buckets B needs? */
function arrayAt<K, V>(arr: usize, B: u32): bool {
  if (arr == 0 || objectAt(arr) != arr) return false;
  if (bucketArrayLength<K, V>(B) * <u64>bucketSize<K, V>() > <u64>objectSize(arr)) return false;
  return isScanShape<K, V>() ? objectType(arr) == bucketType<K, V>() : !objectScanned(arr);
}

/** Is q one of the 2^B (or old) primary buckets, which are never overflow
 *  buckets? */
function inPrimary<K, V>(h: hmap, q: usize): bool {
  let bsize = <u64>bucketSize<K, V>();
  let a = <u64>h.buckets;
  if (<u64>q >= a && <u64>q < a + <u64>bucketShift(<u32>h.B) * bsize) return true;
  let o = <u64>h.oldbuckets;
  if (o == 0) return false;
  let oldB = (h.flags & <u8>Flag.sameSizeGrow) != 0 ? <u32>h.B : <u32>h.B - 1;
  return <u64>q >= o && <u64>q < o + <u64>bucketShift(oldB) * bsize;
}

/** A string/bytes reference: 0-length, or its bytes inside one object. */
function refOk(r: i64): bool {
  let n = strLen(r);
  if (n == 0) return true;
  let p = strPtr(r);
  let base = objectAt(p);
  return base != 0 && <u64>p + <u64>n <= <u64>base + <u64>objectSize(base);
}

/** An overflow list (check.ts:checkList, plus its object and entries). */
function listAt<K, V>(list: u32, len: u32, cap: u32): bool {
  if (list == 0) return len == 0 && cap == 0;
  let p = <usize>list;
  if (objectAt(p) != p || objectType(p) != ObjType.PTRARRAY) return false;
  if ((<u64>cap + 1) << 2 > <u64>objectSize(p) || len > cap) return false;
  if (load<u32>(p + (<usize>cap << 2)) != 0) return false;
  for (let j: u32 = 0; j < len; j++) if (!bucketAt<K, V>(<usize>load<u32>(p + (<usize>j << 2)))) return false;
  return true;
}

/** The structure of chain b (bucket idx of an array with mask `mask`):
 *  its overflow pointers, tophash bytes, string refs, and each live key's
 *  tophash and bucket (checkChain's checks). `evac`: an evacuated old
 *  bucket, whose slots must all be evacuation marks. Counts live slots into
 *  vLive and overflow buckets into vOverflow; spends vBudget. */
function chainOk<K, V>(h: hmap, b: usize, idx: usize, mask: usize, old: bool, evac: bool): VerifyFailure {
  let e = changetype<mapextra>(<usize>h.extra);
  let sawRest = false;
  let prevTop: u8 = 255;
  let saved = b;
  let power: u32 = 1, lam: u32 = 0;
  let p = b;
  for (;;) {
    for (let i: usize = 0; i < bucketCnt; i++) {
      let top = load<u8>(p + i);
      if (evac) {
        if (top < <u8>TopHash.evacuatedX || top > <u8>TopHash.evacuatedEmpty) return VerifyFailure.MAP_GROWTH;
        continue;
      }
      if (top == <u8>TopHash.emptyRest) {
        if (!sawRest && prevTop == <u8>TopHash.emptyOne) return VerifyFailure.MAP_TOPHASH;
        sawRest = true;
      } else if (sawRest) {
        return VerifyFailure.MAP_TOPHASH;
      } else if (top == <u8>TopHash.emptyOne) {
        // empty
      } else if (top < <u8>TopHash.minTopHash) {
        return VerifyFailure.MAP_TOPHASH;
      } else {
        vLive++;
        if (isStr<K>() && !refOk(load<i64>(keyAt<K>(p, i)))) return VerifyFailure.MAP_STRING_REF;
        if (isStr<V>() && !refOk(load<i64>(valAt<K, V>(p, i)))) return VerifyFailure.MAP_STRING_REF;
        let k = load<K>(keyAt<K>(p, i));
        if (reflexive<K>(k)) {
          let hash = hashKey<K>(k, h.hash0);
          if (tophash(hash) != top) return VerifyFailure.MAP_TOPHASH;
          if ((<usize>hash & mask) != idx) return VerifyFailure.MAP_KEY_PLACE;
          // A lookup finds this very slot (checkMap's invariant 3), with the
          // hash in hand: it starts at this chain's head (so a key of a new
          // bucket whose old bucket is not evacuated fails: lookups go to
          // the old one) and stops at the first equal key, which lies in
          // the part of this chain already checked — a duplicate key
          // earlier in the chain fails.
          if (lookupBucket<K, V>(h, hash) != b) return VerifyFailure.MAP_LOOKUP;
          let j = findInChain<K, V>(b, k, top);
          if (j != <i32>i || foundBucket != p) return VerifyFailure.MAP_LOOKUP;
        }
      }
      prevTop = top;
    }
    let next = overflowOf<K, V>(p);
    if (next == 0) return VerifyFailure.OK;
    if (!bucketAt<K, V>(next) || inPrimary<K, V>(h, next)) return VerifyFailure.MAP_CHAIN;
    // Brent: `saved` jumps to the walk's position at powers of two, so a
    // loop brings the walk back to it within twice the loop's length.
    if (next == saved) return VerifyFailure.MAP_CYCLE;
    if (++lam == power) {
      saved = next;
      power <<= 1;
      lam = 0;
    }
    // That every overflow bucket is on its array's list (and the new
    // array's list holds each once) is checked by the host with hash sets
    // (src/snapshot.ts, overflowListsOk): a search of the list per bucket
    // here was quadratic (14 s for a 1e7-entry map).
    if (changetype<usize>(e) == 0) return VerifyFailure.MAP_OVERFLOW_LIST;
    if (vBudget == 0) return VerifyFailure.MAP_CYCLE;
    vBudget--;
    vOverflow++;
    vMix += mix64(<u64>next);
    p = next;
  }
  return VerifyFailure.OK; // not reached
}

/** extra.nextOverflow: 0, or a free preallocated bucket of the array; the
 *  free ones are zero, and the last holds the sentinel (the array). */
function nextOverflowOk<K, V>(h: hmap, next: usize): bool {
  if (next == 0) return true;
  let bsize = bucketSize<K, V>();
  let arr = <usize>h.buckets;
  if (arr == 0 || h.B < 4) return false;
  let len = bucketArrayLength<K, V>(<u32>h.B);
  let first = <u64>bucketShift(<u32>h.B) * <u64>bsize;
  let end = len * <u64>bsize;
  if (next < arr) return false;
  let off = <u64>(next - arr);
  if (off < first || off >= end || off % <u64>bsize != 0) return false;
  let last = arr + <usize>(end - <u64>bsize);
  if (<usize>load<u32>(last + ovfOff<K, V>()) != arr) return false;
  for (let q = next; q <= last; q += bsize) {
    for (let w: usize = 0; w < bsize; w += 4) {
      if (q == last && w == ovfOff<K, V>()) continue;
      if (load<u32>(q + w) != 0) return false;
    }
  }
  return true;
}

function verifyMapOf<K, V>(hp: usize): VerifyFailure {
  let h = changetype<hmap>(hp);
  let bsize = bucketSize<K, V>();
  if (((h.typ >> 16) & 0xff) != <u32>bsize) return VerifyFailure.MAP_TYPE;
  // The layouts the collector scans this map's objects by (map/hmap.ts:mapTypesInit).
  if (typeStride(ObjType.HMAP) != HMAP_SIZE || typePtrMask(ObjType.HMAP) != (
    (<u64>1 << <u64>(offsetof<hmap>("buckets") >> 2)) | (<u64>1 << <u64>(offsetof<hmap>("oldbuckets") >> 2)) |
    (<u64>1 << <u64>(offsetof<hmap>("extra") >> 2)))) return VerifyFailure.TYPE_TABLE;
  if (typeStride(ObjType.MAPEXTRA) != MAPEXTRA_SIZE || typePtrMask(ObjType.MAPEXTRA) != (
    (<u64>1 << <u64>(offsetof<mapextra>("overflow") >> 2)) | (<u64>1 << <u64>(offsetof<mapextra>("oldoverflow") >> 2)) |
    (<u64>1 << <u64>(offsetof<mapextra>("nextOverflow") >> 2)))) return VerifyFailure.TYPE_TABLE;
  if (isScanShape<K, V>()) {
    let t = bucketType<K, V>();
    if (typeStride(t) != bsize || typePtrMask(t) != bucketPtrMask<K, V>()) return VerifyFailure.TYPE_TABLE;
  }

  // Invariant 1 and the flags.
  let flags = <u32>h.flags;
  if ((flags & Flag.hashWriting) != 0 || (flags & ~ALL_FLAGS) != 0) return VerifyFailure.MAP_HEADER;
  let growing = h.oldbuckets != 0;
  let same = (flags & Flag.sameSizeGrow) != 0;
  if (!growing && same) return VerifyFailure.MAP_GROWTH;

  // The arrays.
  let B = <u32>h.B;
  let arenaBytes = <u64>(arenaEndPage - arenaStartPage) << PAGE_SHIFT;
  if (B >= 32 || bucketArrayLength<K, V>(B) * <u64>bsize > arenaBytes) return VerifyFailure.MAP_BUCKETS;
  if (h.buckets == 0) {
    if (B != 0 || h.count != 0 || growing) return VerifyFailure.MAP_BUCKETS;
  } else if (!arrayAt<K, V>(<usize>h.buckets, B)) {
    return VerifyFailure.MAP_BUCKETS;
  }
  let nold: usize = 0;
  if (growing) {
    if (!same && B == 0) return VerifyFailure.MAP_GROWTH;
    let oldB = same ? B : B - 1;
    if (h.oldbuckets == h.buckets || !arrayAt<K, V>(<usize>h.oldbuckets, oldB)) return VerifyFailure.MAP_BUCKETS;
    nold = bucketShift(oldB);
    if (<usize>h.nevacuate > nold) return VerifyFailure.MAP_GROWTH;
  }

  // extra and its lists.
  let e = changetype<mapextra>(<usize>h.extra);
  if (changetype<usize>(e) != 0) {
    let ep = changetype<usize>(e);
    if (objectAt(ep) != ep || objectType(ep) != ObjType.MAPEXTRA || <usize>objectSize(ep) < MAPEXTRA_SIZE) return VerifyFailure.MAP_EXTRA;
    if (!listAt<K, V>(e.overflow, e.overflowLen, e.overflowCap)) return VerifyFailure.MAP_OVERFLOW_LIST;
    if (!listAt<K, V>(e.oldoverflow, e.oldoverflowLen, e.oldoverflowCap)) return VerifyFailure.MAP_OVERFLOW_LIST;
    if (!nextOverflowOk<K, V>(h, <usize>e.nextOverflow)) return VerifyFailure.MAP_NEXT_OVERFLOW;
  }
  if (h.buckets == 0) return VerifyFailure.OK;

  // The chains: structure first (invariants 2, 3 without the lookup, 5, 6).
  let nb = bucketShift(B);
  let mask = bucketMask(B);
  let hasExtra = changetype<usize>(e) != 0;
  vLive = 0;
  vOverflow = 0;
  vMix = 0;
  vBudget = hasExtra ? e.overflowLen : 0;
  let r: VerifyFailure;
  for (let j: usize = 0; j < nb; j++) {
    r = chainOk<K, V>(h, <usize>h.buckets + j * bsize, j, mask, false, false);
    if (r != VerifyFailure.OK) return r;
  }
  let newOverflow = vOverflow;
  // extra.overflow holds exactly the new array's overflow buckets, once
  // each: as many entries as the chains' overflow buckets, and their
  // fingerprints add up to the chains'. (That the entries are distinct and
  // each chain bucket is one of them, the host checks with hash sets.)
  if (hasExtra) {
    let list = <usize>e.overflow;
    let len = e.overflowLen;
    if (newOverflow != len) return VerifyFailure.MAP_OVERFLOW_LIST;
    let listMix: u64 = 0;
    for (let i: u32 = 0; i < len; i++) {
      let q = load<u32>(list + (<usize>i << 2));
      listMix += mix64(<u64>q);
    }
    if (listMix != vMix) return VerifyFailure.MAP_OVERFLOW_LIST;
  }
  if (growing) {
    vBudget = hasExtra ? e.oldoverflowLen : 0;
    for (let j: usize = 0; j < nold; j++) {
      let b = <usize>h.oldbuckets + j * bsize;
      let evac = evacuated(b);
      if (!evac && j < <usize>h.nevacuate) return VerifyFailure.MAP_GROWTH;
      r = chainOk<K, V>(h, b, j, nold - 1, true, evac);
      if (r != VerifyFailure.OK) return r;
    }
  }
  // Invariants 4 and 6.
  if (vLive != h.count) return VerifyFailure.MAP_COUNT;
  if (B < 16 && <u32>h.noverflow != newOverflow) return VerifyFailure.MAP_NOVERFLOW;
  return VerifyFailure.OK;
}

/** 0 when the map at h (from the image's map table) is sound and has the
 *  kinds the host expects (keyKind | valueKind << 8, as makemap gets them);
 *  otherwise the first check that failed. Call only after verifyHeap
 *  returned 0. */
export function verifyMap(h: usize, kinds: u32): VerifyFailure {
  if (h == 0 || objectAt(h) != h) return VerifyFailure.MAP_HEADER;
  if (objectType(h) != ObjType.HMAP || objectSize(h) != classSize(sizeToClass(HMAP_SIZE))) return VerifyFailure.MAP_HEADER;
  let k = <i32>(kinds & 0xff), v = <i32>((kinds >> 8) & 0xff);
  if ((kinds >> 16) != 0 || k < Kind.I32 || k > Kind.BYTES || v < Kind.I32 || v > Kind.BYTES) return VerifyFailure.MAP_TYPE;
  if ((changetype<hmap>(h).typ & 0xffff) != kinds) return VerifyFailure.MAP_TYPE;
  // Kind → storage, as src/shapes.ts (KEY_STORAGE, VALUE_STORAGE).
  let ks: u32 = k <= Kind.U32 ? 0 : k <= Kind.U64 ? 1 : k == Kind.F64 ? 2 : 3;
  let vs: u32 = v <= Kind.U32 ? 0 : v <= Kind.F64 ? 1 : 2;
  switch (ks * 3 + vs) {
    case 0: return verifyMapOf<u32, u32>(h);
    case 1: return verifyMapOf<u32, u64>(h);
    case 2: return verifyMapOf<u32, i64>(h);
    case 3: return verifyMapOf<u64, u32>(h);
    case 4: return verifyMapOf<u64, u64>(h);
    case 5: return verifyMapOf<u64, i64>(h);
    case 6: return verifyMapOf<f64, u32>(h);
    case 7: return verifyMapOf<f64, u64>(h);
    case 8: return verifyMapOf<f64, i64>(h);
    case 9: return verifyMapOf<i64, u32>(h);
    case 10: return verifyMapOf<i64, u64>(h);
    default: return verifyMapOf<i64, i64>(h);
  }
}
