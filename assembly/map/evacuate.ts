// evacuate.ts — growing: hashGrow, growWork, evacuate, advanceEvacuationMark.
//
// Mirrors Go 1.19 runtime/map.go. Growth is incremental:
//   1. hashGrow (from mapassign, when a new key would overload the map or
//      there are too many overflow buckets) only allocates the new array:
//      B+1 buckets when overloaded, the same B otherwise ("same-size grow",
//      which rebuilds sparse overflow chains). No entry moves yet.
//   2. Every write (assign, delete) then calls growWork: evacuate the old
//      bucket the write is about to use, then one more (nevacuate), so at
//      most 2 old buckets (each with its whole chain) per write.
//   3. evacuate(oldbucket) moves each live entry to X (new bucket
//      oldbucket) or, when doubling, Y (oldbucket + newbit) by the hash bit
//      `newbit`; the old slot's tophash becomes evacuatedX/evacuatedY, empty
//      slots become evacuatedEmpty. The tophash byte moves unchanged. NaN
//      keys (whose hash is random) go by `top & 1` while an iterator may be
//      running, so the iterator can predict them, and get a fresh tophash.
//   4. advanceEvacuationMark moves nevacuate past evacuated buckets (at most
//      1024 looks); when it reaches the old length the grow is over:
//      oldbuckets = 0, extra.oldoverflow dropped, sameSizeGrow cleared.
// Lookups read old buckets that are not evacuated yet; they never move data.
//
// Out of memory: before moving anything, evacuate counts how many entries
// go to X and to Y and reserves exactly the overflow buckets they need
// (the destinations are empty: only this old bucket feeds them), so a
// bucket is evacuated completely or not at all.

import {
  hmap, mapextra, Flag, TopHash, bucketCnt, bucketSize, keyAt, valAt, overflowOf,
  evacuated, sameSizeGrow, noldbuckets, oldbucketmask, overLoadFactor, tophash, isEmpty,
  growing, bumpGen, setBuckets, setOldbuckets, setOldoverflowList, setOverflowList, setNextOverflow,
  isScanShape, dataOffset, ovfOff,
} from "./hmap";
import { isStr, storeRef } from "./str";
import { setPlacementHint } from "../mem/mheap";
import { writeBarrierEnabled } from "../gc/phase";
import { shade } from "../gc/mark";
import { hashKey, reflexive } from "./hash";
import { makeBucketArray, lastNextOverflow, createOverflow, reserveOverflow, newoverflow, releaseReservation } from "./make";
import { allocAt, AllocSite } from "../mem/mprof";
import { seqOpen, seqClose, groupOpen, groupClose } from "./seqlock";


/** Go's hashGrow. Returns false (map unchanged) when out of memory. */
export function hashGrow<K, V>(h: hmap): bool {
  let bigger: u32 = overLoadFactor(<u64>h.count + 1, <u32>h.B) ? 1 : 0;
  // The old array is freed once evacuation is over: place the new one so
  // that the next doubling still finds room (mheap.ts, huge spans).
  setPlacementHint(<usize>h.buckets);
  allocAt(AllocSite.hashGrow_makeBucketArray);
  let newbuckets = makeBucketArray<K, V>(<u32>h.B + bigger, 0);
  setPlacementHint(0);
  if (newbuckets == 0) return false;
  let nextOverflow = lastNextOverflow;
  let e = changetype<mapextra>(<usize>h.extra);
  if (nextOverflow != 0 && changetype<usize>(e) == 0) {
    e = createOverflow(h);
    if (changetype<usize>(e) == 0) return false;
  }
  let flags = h.flags & ~<u8>(Flag.iterator | Flag.oldIterator);
  if ((h.flags & <u8>Flag.iterator) != 0) flags |= <u8>Flag.oldIterator;
  if (!bigger) flags |= <u8>Flag.sameSizeGrow;
  // Structural (shared runtimes: the map word): B, flags, both arrays.
  seqOpen(changetype<usize>(h));
  h.B += <u8>bigger;
  h.flags = flags;
  bumpGen(h);
  setOldbuckets(h, <usize>h.buckets);
  setBuckets(h, newbuckets);
  h.nevacuate = 0;
  h.noverflow = 0;
  if (changetype<usize>(e) != 0) {
    e.growRetry = 0; // grown: no deferral left (assign.ts)
    // Overflow buckets of the old array stay alive through oldoverflow.
    setOldoverflowList(e, <usize>e.overflow);
    e.oldoverflowLen = e.overflowLen;
    e.oldoverflowCap = e.overflowCap;
    setOverflowList(e, 0);
    e.overflowLen = 0;
    e.overflowCap = 0;
    setNextOverflow(e, nextOverflow);
  }
  seqClose(changetype<usize>(h));
  return true;
}

/** Go's growWork: evacuate the bucket about to be used, then nevacuate.
 *  Returns false when out of memory (what was evacuated stays evacuated). */
export function growWork<K, V>(h: hmap, bucket: usize): bool {
  if (!evacuate<K, V>(h, bucket & oldbucketmask(h))) return false;
  if (growing(h)) return evacuate<K, V>(h, <usize>h.nevacuate);
  return true;
}

/** Overflow buckets needed to hold n entries in an empty destination. */
// @ts-ignore: decorator
@inline function overflowFor(n: u32): u32 {
  return n <= bucketCnt ? 0 : (n - 1) / bucketCnt;
}

/** Count the overflow buckets evacuating old bucket b will allocate. */
function overflowNeeded<K, V>(h: hmap, b: usize, newbit: usize): u32 {
  if (overflowOf<K, V>(b) == 0) return 0; // one bucket: 8 entries fit anywhere
  let nx: u32 = 0, ny: u32 = 0, nboth: u32 = 0;
  let same = sameSizeGrow(h);
  for (let p = b; p != 0; p = overflowOf<K, V>(p)) {
    for (let i: usize = 0; i < bucketCnt; i++) {
      if (isEmpty(load<u8>(p + i))) continue;
      if (same) { nx++; continue; }
      let k = load<K>(keyAt<K>(p, i));
      if (!reflexive<K>(k)) { nboth++; continue; } // NaN: direction not known yet
      if ((<usize>hashKey<K>(k, h.hash0) & newbit) != 0) ny++;
      else nx++;
    }
  }
  return overflowFor(nx + nboth) + overflowFor(ny + nboth);
}

/** Go's evacuate. Returns false (nothing moved) when out of memory. */
export function evacuate<K, V>(h: hmap, oldbucket: usize): bool {
  let bsize = bucketSize<K, V>();
  let b = <usize>h.oldbuckets + oldbucket * bsize;
  let newbit = noldbuckets(h);
  if (!evacuated(b)) {
    if (!reserveOverflow<K, V>(h, overflowNeeded<K, V>(h, b, newbit))) return false;
    // Shared runtimes: old bucket oldbucket and its destinations (new
    // oldbucket and oldbucket + newbit) are all in its group (seqlock.ts).
    groupOpen(changetype<usize>(h), oldbucket, <u32>h.B);
    bumpGen(h);
    let same = sameSizeGrow(h);
    let xb = <usize>h.buckets + oldbucket * bsize;
    let xi: usize = 0;
    let yb: usize = same ? 0 : <usize>h.buckets + (oldbucket + newbit) * bsize;
    let yi: usize = 0;
    let iterating = (h.flags & <u8>Flag.iterator) != 0;
    for (let p = b; p != 0; p = overflowOf<K, V>(p)) {
      for (let i: usize = 0; i < bucketCnt; i++) {
        let top = load<u8>(p + i);
        if (isEmpty(top)) {
          store<u8>(p + i, <u8>TopHash.evacuatedEmpty);
          continue;
        }
        if (top < <u8>TopHash.minTopHash) throw new Error("evacuate: bad map state");
        let k = load<K>(keyAt<K>(p, i));
        let useY = false;
        if (!same) {
          let hash = hashKey<K>(k, h.hash0);
          if (iterating && !reflexive<K>(k)) {
            // NaN: the direction must be repeatable for a running iterator.
            useY = (top & 1) != 0;
            top = tophash(hash);
          } else {
            useY = (<usize>hash & newbit) != 0;
          }
        }
        store<u8>(p + i, <u8>(<u32>TopHash.evacuatedX + <u32>useY));
        let db: usize, di: usize;
        if (useY) {
          if (yi == bucketCnt) { yb = newoverflow<K, V>(h, yb); yi = 0; }
          db = yb; di = yi++;
        } else {
          if (xi == bucketCnt) { xb = newoverflow<K, V>(h, xb); xi = 0; }
          db = xb; di = xi++;
        }
        store<u8>(db + di, top);
        if (isStr<K>()) storeRef(keyAt<K>(db, di), <i64>k);
        else store<K>(keyAt<K>(db, di), k);
        if (isStr<V>()) storeRef(valAt<K, V>(db, di), load<i64>(valAt<K, V>(p, i)));
        else store<V>(valAt<K, V>(db, di), load<V>(valAt<K, V>(p, i)));
      }
    }
    releaseReservation();
    // Go: unless an old iterator may still read them, clear the old keys and
    // values of buckets that hold pointers, so the collector does not keep
    // what they reference (tophash stays: it records the evacuation).
    // Numeric buckets are left as they are.
    if (isScanShape<K, V>() && (h.flags & <u8>Flag.oldIterator) == 0) {
      for (let p = b; p != 0; p = overflowOf<K, V>(p)) clearSlots<K, V>(p);
    }
    groupClose(changetype<usize>(h), oldbucket, <u32>h.B);
  }
  if (oldbucket == <usize>h.nevacuate) advanceEvacuationMark<K, V>(h, newbit);
  return true;
}

/** Clear every key and value of bucket b (Go: memclrHasPointers over
 *  keys and elems), shading the references first while marking. */
export function clearSlots<K, V>(b: usize): void {
  let start = b + dataOffset;
  let end = b + ovfOff<K, V>();
  if (writeBarrierEnabled) {
    for (let i: usize = 0; i < bucketCnt; i++) {
      if (isStr<K>()) shade(<usize>load<u32>(keyAt<K>(b, i)));
      if (isStr<V>()) shade(<usize>load<u32>(valAt<K, V>(b, i)));
    }
  }
  memory.fill(start, 0, end - start);
}

/** Go's advanceEvacuationMark. */
function advanceEvacuationMark<K, V>(h: hmap, newbit: usize): void {
  let bsize = bucketSize<K, V>();
  h.nevacuate++;
  let stop = <usize>h.nevacuate + 1024;
  if (stop > newbit) stop = newbit;
  while (<usize>h.nevacuate != stop && evacuated(<usize>h.oldbuckets + <usize>h.nevacuate * bsize)) h.nevacuate++;
  if (<usize>h.nevacuate == newbit) {
    // The end of growth is structural (shared runtimes: the map word).
    seqOpen(changetype<usize>(h));
    setOldbuckets(h, 0);
    let e = changetype<mapextra>(<usize>h.extra);
    if (changetype<usize>(e) != 0) {
      setOldoverflowList(e, 0);
      e.oldoverflowLen = 0;
      e.oldoverflowCap = 0;
    }
    h.flags &= ~<u8>Flag.sameSizeGrow;
    seqClose(changetype<usize>(h));
  }
}

