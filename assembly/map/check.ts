// check.ts — checkMap (debug build) and inspect (both builds).
//
// checkMap walks a map and proves Go's invariants:
//   1. no write in progress (hashWriting clear);
//   2. every chain is: live/emptyOne slots, then only emptyRest slots, and
//      the slot right before that emptyRest tail is not emptyOne (delete
//      turns a trailing run of emptyOne into emptyRest);
//   3. every live slot: tophash == tophash(hash(key)) and the key sits in
//      bucket hash & mask (old buckets: & oldmask), and a lookup finds this
//      very slot (NaN keys excepted: their hash is random);
//   4. count == live slots in the new array + in old buckets not evacuated;
//   5. growth: old buckets below nevacuate are evacuated, and an evacuated
//      bucket holds only evacuatedX/Y/Empty marks;
//   6. noverflow == overflow buckets in the new array's chains (B < 16,
//      where Go counts exactly), and every overflow bucket is recorded in
//      extra.overflow (new array) or extra.oldoverflow (old array);
//   7. extra.overflow and extra.oldoverflow are the newest lists of their
//      arrays: their link word (hmap.ts) is 0, and len <= cap.
//
// inspect fills the MapInfo field list (the host reads the names from the
// exported enum, as for MemStats).

import {
  hmap, mapextra, Flag, TopHash, bucketCnt, bucketSize, keyAt, overflowOf, bucketShift, bucketMask,
  evacuated, growing, sameSizeGrow, noldbuckets, tophash, roundupsize,
} from "./hmap";
import { hashKey, reflexive } from "./hash";
import { lookupBucket, findInChain, foundBucket } from "./access";
import { bucketArrayLength } from "./make";

/** Fields written by inspect, one u64 each, in this order. */
export enum MapInfo {
  B,
  count,
  noverflow,
  hash0,
  flags,
  buckets,
  bucketSize,
  overflowBuckets,
  oldBuckets,
  oldOverflowBuckets,
  growing,
  sameSizeGrow,
  nevacuate,
  emptyRest,
  emptyOne,
  live,
  evacuatedX,
  evacuatedY,
  evacuatedEmpty,
  bucketBytes,
  COUNT,
}

function dumpMap(h: hmap): void {
  trace("hmap: count flags B noverflow hash0", 5, <f64>h.count, <f64>h.flags, <f64>h.B, <f64>h.noverflow, <f64>h.hash0);
  trace("hmap: buckets oldbuckets nevacuate extra", 4, <f64>h.buckets, <f64>h.oldbuckets, <f64>h.nevacuate, <f64>h.extra);
}

function dumpSlot(b: usize, i: usize): void {
  trace("bucket slot: bucket i tophash", 3, <f64>b, <f64>i, <f64>load<u8>(b + i));
}

function inList(list: u32, len: u32, p: usize): bool {
  for (let j: u32 = 0; j < len; j++) if (<usize>load<u32>(<usize>list + (<usize>j << 2)) == p) return true;
  return false;
}

/** Check chain `b` (bucket index `idx` of an array with mask `mask`);
 *  returns its live slot count; counts its overflow buckets into `ovfCount`. */
let ovfCount: u32 = 0;

function checkChain<K, V>(h: hmap, b: usize, idx: usize, mask: usize, old: bool): u32 {
  let live: u32 = 0;
  let sawRest = false;
  let prevTop: u8 = 255;
  let prevB: usize = 0, prevI: usize = 0;
  let e = changetype<mapextra>(<usize>h.extra);
  let first = true;
  for (let p = b; p != 0; p = overflowOf<K, V>(p)) {
    if (!first) {
      ovfCount++;
      if (changetype<usize>(e) == 0) { dumpMap(h); throw new Error("checkMap: overflow bucket but no mapextra"); }
      let ok = old ? inList(e.oldoverflow, e.oldoverflowLen, p) : inList(e.overflow, e.overflowLen, p);
      if (!ok) { dumpMap(h); dumpSlot(p, 0); throw new Error("checkMap: overflow bucket missing from extra.overflow"); }
    }
    first = false;
    for (let i: usize = 0; i < bucketCnt; i++) {
      let top = load<u8>(p + i);
      if (top == <u8>TopHash.emptyRest) {
        if (!sawRest && prevTop == <u8>TopHash.emptyOne) {
          dumpMap(h); dumpSlot(prevB, prevI); throw new Error("checkMap: emptyOne right before the emptyRest tail");
        }
        sawRest = true;
      } else if (sawRest) {
        dumpMap(h); dumpSlot(p, i); throw new Error("checkMap: slot after emptyRest is not emptyRest");
      } else if (top == <u8>TopHash.emptyOne) {
        // empty, fine
      } else if (top < <u8>TopHash.minTopHash) {
        dumpMap(h); dumpSlot(p, i); throw new Error("checkMap: evacuation mark in a live chain");
      } else {
        live++;
        let k = load<K>(keyAt<K>(p, i));
        if (reflexive<K>(k)) {
          let hash = hashKey<K>(k, h.hash0);
          if (tophash(hash) != top) { dumpMap(h); dumpSlot(p, i); throw new Error("checkMap: tophash does not match the key"); }
          if ((<usize>hash & mask) != idx) { dumpMap(h); dumpSlot(p, i); throw new Error("checkMap: key in the wrong bucket"); }
          let j = findInChain<K, V>(lookupBucket<K, V>(h, hash), k, top);
          if (j != <i32>i || foundBucket != p) { dumpMap(h); dumpSlot(p, i); throw new Error("checkMap: lookup does not find the key's slot"); }
        }
      }
      prevTop = top;
      prevB = p;
      prevI = i;
    }
  }
  return live;
}

export function checkMap<K, V>(hp: usize): void {
  let h = changetype<hmap>(hp);
  if ((h.flags & <u8>Flag.hashWriting) != 0) { dumpMap(h); throw new Error("checkMap: hashWriting is set"); }
  let bsize = bucketSize<K, V>();
  let live: u32 = 0;
  if (h.buckets == 0) {
    if (h.count != 0 || growing(h)) { dumpMap(h); throw new Error("checkMap: entries but no buckets"); }
    return;
  }
  let nb = bucketShift(<u32>h.B);
  let mask = bucketMask(<u32>h.B);
  ovfCount = 0;
  for (let j: usize = 0; j < nb; j++) live += checkChain<K, V>(h, <usize>h.buckets + j * bsize, j, mask, false);
  let newOverflow = ovfCount;
  if (growing(h)) {
    let n = noldbuckets(h);
    if (<usize>h.nevacuate > n) { dumpMap(h); throw new Error("checkMap: nevacuate past the old array"); }
    for (let j: usize = 0; j < n; j++) {
      let b = <usize>h.oldbuckets + j * bsize;
      if (evacuated(b)) {
        for (let p = b; p != 0; p = overflowOf<K, V>(p)) {
          for (let i: usize = 0; i < bucketCnt; i++) {
            let t = load<u8>(p + i);
            if (t < <u8>TopHash.evacuatedX || t > <u8>TopHash.evacuatedEmpty) {
              dumpMap(h); dumpSlot(p, i); throw new Error("checkMap: evacuated bucket holds a live or empty slot");
            }
          }
        }
      } else {
        if (j < <usize>h.nevacuate) { dumpMap(h); throw new Error("checkMap: bucket below nevacuate not evacuated"); }
        live += checkChain<K, V>(h, b, j, n - 1, true);
      }
    }
  }
  if (live != h.count) {
    trace("live slots", 1, <f64>live);
    dumpMap(h);
    throw new Error("checkMap: count differs from the live slots");
  }
  if (h.B < 16 && <u32>h.noverflow != newOverflow) {
    trace("overflow buckets in the new array", 1, <f64>newOverflow);
    dumpMap(h);
    throw new Error("checkMap: noverflow differs from the overflow buckets");
  }
  if (!growing(h) && (h.flags & <u8>Flag.sameSizeGrow) != 0) { dumpMap(h); throw new Error("checkMap: sameSizeGrow set while not growing"); }
  let e = changetype<mapextra>(<usize>h.extra);
  if (changetype<usize>(e) != 0) {
    checkList(h, e.overflow, e.overflowLen, e.overflowCap);
    checkList(h, e.oldoverflow, e.oldoverflowLen, e.oldoverflowCap);
  }
}

/** Invariant 7 for one overflow list. */
function checkList(h: hmap, list: u32, len: u32, cap: u32): void {
  if (list == 0) {
    if (len != 0 || cap != 0) { dumpMap(h); throw new Error("checkMap: overflow list length without a list"); }
    return;
  }
  if (len > cap) { dumpMap(h); throw new Error("checkMap: overflow list longer than its capacity"); }
  if (load<u32>(<usize>list + (<usize>cap << 2)) != 0) { dumpMap(h); throw new Error("checkMap: the map's overflow list links to a newer one"); }
}

// ---------------------------------------------------------------------------

let infoOut: usize = 0;

// @ts-ignore: decorator
@inline function put(f: MapInfo, v: u64): void {
  store<u64>(infoOut + (<usize>f << 3), v);
}
// @ts-ignore: decorator
@inline function bump(f: MapInfo): void {
  let p = infoOut + (<usize>f << 3);
  store<u64>(p, load<u64>(p) + 1);
}

/** Count tophash states and overflow buckets of an array; returns the
 *  overflow buckets allocated outside the array. */
function walkArray<K, V>(arr: usize, n: usize, arrLen: u64): u32 {
  let bsize = bucketSize<K, V>();
  let end = arr + <usize>(arrLen * <u64>bsize);
  let outside: u32 = 0;
  for (let j: usize = 0; j < n; j++) {
    let first = true;
    for (let p = arr + j * bsize; p != 0; p = overflowOf<K, V>(p)) {
      if (!first && (p < arr || p >= end)) outside++;
      first = false;
      for (let i: usize = 0; i < bucketCnt; i++) {
        let t = load<u8>(p + i);
        if (t == <u8>TopHash.emptyRest) bump(MapInfo.emptyRest);
        else if (t == <u8>TopHash.emptyOne) bump(MapInfo.emptyOne);
        else if (t == <u8>TopHash.evacuatedX) bump(MapInfo.evacuatedX);
        else if (t == <u8>TopHash.evacuatedY) bump(MapInfo.evacuatedY);
        else if (t == <u8>TopHash.evacuatedEmpty) bump(MapInfo.evacuatedEmpty);
        else bump(MapInfo.live);
      }
    }
  }
  return outside;
}

/** Count the overflow buckets of every chain of an array. */
function countOverflow<K, V>(arr: usize, n: usize): u64 {
  let bsize = bucketSize<K, V>();
  let c: u64 = 0;
  for (let j: usize = 0; j < n; j++) {
    for (let p = overflowOf<K, V>(arr + j * bsize); p != 0; p = overflowOf<K, V>(p)) c++;
  }
  return c;
}

export function inspectMap<K, V>(hp: usize, out: usize): void {
  let h = changetype<hmap>(hp);
  infoOut = out;
  memory.fill(out, 0, <usize>MapInfo.COUNT << 3);
  let bsize = <u64>bucketSize<K, V>();
  put(MapInfo.B, h.B);
  put(MapInfo.count, h.count);
  put(MapInfo.noverflow, h.noverflow);
  put(MapInfo.hash0, h.hash0);
  put(MapInfo.flags, h.flags);
  put(MapInfo.bucketSize, bsize);
  put(MapInfo.growing, growing(h) ? 1 : 0);
  put(MapInfo.sameSizeGrow, sameSizeGrow(h) ? 1 : 0);
  put(MapInfo.nevacuate, h.nevacuate);
  let bytes: u64 = 0;
  if (h.buckets != 0) {
    let nb = bucketShift(<u32>h.B);
    let len = h.B == 0 ? <u64>1 : bucketArrayLength<K, V>(<u32>h.B);
    put(MapInfo.buckets, <u64>nb);
    put(MapInfo.overflowBuckets, countOverflow<K, V>(<usize>h.buckets, nb));
    let outside = walkArray<K, V>(<usize>h.buckets, nb, len);
    bytes += roundupsize(len * bsize) + <u64>outside * bsize;
  }
  if (growing(h)) {
    let n = noldbuckets(h);
    let oldB = sameSizeGrow(h) ? <u32>h.B : <u32>h.B - 1;
    let len = oldB == 0 ? <u64>1 : bucketArrayLength<K, V>(oldB);
    put(MapInfo.oldBuckets, <u64>n);
    put(MapInfo.oldOverflowBuckets, countOverflow<K, V>(<usize>h.oldbuckets, n));
    let outside = walkArray<K, V>(<usize>h.oldbuckets, n, len);
    bytes += roundupsize(len * bsize) + <u64>outside * bsize;
  }
  put(MapInfo.bucketBytes, bytes);
}
