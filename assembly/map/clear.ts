// clear.ts — mapclear (Go's semantics) and shrink (beyond Go).
//
// mapclear mirrors Go 1.19 runtime/map.go:mapclear (what `clear(m)` does
// from Go 1.21, and what `for k := range m { delete(m, k) }` compiles to):
// keep B and the bucket array, zero it (rebuilding the preallocated
// overflow list), drop oldbuckets, noverflow = 0, count = 0, reseed hash0,
// zero *extra. Overflow buckets that were allocated separately become
// garbage; the array stays. An empty map is left alone, as in Go.
//
// shrink has no Go counterpart (golang/go#20135, open since 2017). The rule:
// rebuild into the smallest B that holds `count` under the load factor —
// the B `make(map, count)` would choose (bForHint), so a shrunk map is
// exactly as big as a fresh map sized for what it holds. Steps:
//   1. Build a new bucket array (and overflow buckets) for that B by
//      inserting every live entry — from the new array and from old buckets
//      not evacuated yet — into a scratch hmap. Only the scratch map is
//      written, so running out of memory leaves the map untouched.
//   2. Swap the scratch map's arrays into the map; the old arrays (and old
//      overflow buckets) are left to the collector.
// hash0 is kept (entries are rehashed into the new B anyway).

import {
  hmap, mapextra, Flag, TopHash, bucketCnt, bucketSize, keyAt, valAt, overflowOf, bucketShift,
  evacuated, noldbuckets, growing, bumpGen, bForHint, HMAP_SIZE, MAPEXTRA_SIZE,
  setBuckets, setOldbuckets, setExtra, setOverflowList, setOldoverflowList, setNextOverflow, isScanShape,
} from "./hmap";
import { fastrand } from "../mem/fastrand";
import { makeBucketArray, lastNextOverflow, makemap, bucketArrayLength } from "./make";
import { mapassign, setAdoptKeyRefs } from "./assign";
import { isStr, storeRef } from "./str";
import { clearSlots } from "./evacuate";
import { writeBarrierEnabled } from "../gc/phase";
import { Shrink } from "./status";
import { sharedReaders, setShared } from "./seqlock";

export function mapclear<K, V>(hp: usize): bool {
  let h = changetype<hmap>(hp);
  if (h.count == 0) return true;
  if ((h.flags & <u8>Flag.hashWriting) != 0) return false;
  h.flags ^= <u8>Flag.hashWriting;
  h.flags &= ~<u8>Flag.sameSizeGrow;
  bumpGen(h);
  setOldbuckets(h, 0);
  h.nevacuate = 0;
  h.noverflow = 0;
  h.count = 0;
  h.hash0 = fastrand();
  let e = changetype<mapextra>(<usize>h.extra);
  if (changetype<usize>(e) != 0) {
    // *extra = mapextra{}: pointer fields through the barrier.
    setOverflowList(e, 0);
    setOldoverflowList(e, 0);
    setNextOverflow(e, 0);
    memory.fill(changetype<usize>(e), 0, MAPEXTRA_SIZE);
  }
  if (isScanShape<K, V>() && writeBarrierEnabled) {
    // Go's memclrHasPointers: shade every reference about to be zeroed.
    let n = bucketArrayLength<K, V>(<u32>h.B);
    for (let j: u64 = 0; j < n; j++) clearSlots<K, V>(<usize>h.buckets + <usize>j * bucketSize<K, V>());
  }
  makeBucketArray<K, V>(<u32>h.B, <usize>h.buckets);
  if (lastNextOverflow != 0) setNextOverflow(e, lastNextOverflow);
  h.flags &= ~<u8>Flag.hashWriting;
  return true;
}


export function mapshrink<K, V>(hp: usize): Shrink {
  let h = changetype<hmap>(hp);
  if ((h.flags & <u8>Flag.hashWriting) != 0) return Shrink.CONCURRENT;
  let tp = makemap<K, V>(<u64>h.count, h.hash0, h.typ);
  if (tp == 0) return Shrink.OOM;
  let t = changetype<hmap>(tp);
  // The scratch map is the writer's alone until it is swapped in (inside
  // h's map bracket, shared runtimes): filling it bumps no sequence word,
  // so no bracket of it can nest inside h's on a shared stripe.
  let shared = sharedReaders;
  setShared(false);
  let copied = copyAll<K, V>(h, tp);
  setShared(shared);
  if (!copied) return Shrink.OOM;
  if (!ASC_NO_ASSERT) assert(t.count == h.count, "shrink: lost entries");
  h.B = t.B;
  bumpGen(h);
  setBuckets(h, <usize>t.buckets);
  setOldbuckets(h, 0);
  h.nevacuate = 0;
  h.noverflow = t.noverflow;
  setExtra(h, <usize>t.extra);
  h.flags = (h.flags & ~<u8>(Flag.sameSizeGrow | Flag.iterator | Flag.oldIterator)) | (t.flags & <u8>Flag.sameSizeGrow);
  if (t.oldbuckets != 0) {
    // The scratch map started a same-size grow of its own: keep it going.
    setOldbuckets(h, <usize>t.oldbuckets);
    h.nevacuate = t.nevacuate;
  }
  return Shrink.OK;
}

/** Insert every live entry of h into the map at tp: old buckets not
 *  evacuated yet, then the new array. False when out of memory. */
function copyAll<K, V>(h: hmap, tp: usize): bool {
  let bsize = bucketSize<K, V>();
  if (growing(h)) {
    let n = noldbuckets(h);
    for (let j: usize = 0; j < n; j++) {
      let b = <usize>h.oldbuckets + j * bsize;
      if (!evacuated(b) && !copyChain<K, V>(b, tp)) return false;
    }
  }
  let nb = bucketShift(<u32>h.B);
  if (h.buckets != 0) {
    for (let j: usize = 0; j < nb; j++) {
      if (!copyChain<K, V>(<usize>h.buckets + j * bsize, tp)) return false;
    }
  }
  return true;
}

/** Insert every live entry of the chain at b into the map at tp. */
function copyChain<K, V>(b: usize, tp: usize): bool {
  // Keys and values move by reference: the map owns them already.
  setAdoptKeyRefs(true);
  for (let p = b; p != 0; p = overflowOf<K, V>(p)) {
    for (let i: usize = 0; i < bucketCnt; i++) {
      let top = load<u8>(p + i);
      if (top < <u8>TopHash.minTopHash) continue;
      let slot = mapassign<K, V>(tp, load<K>(keyAt<K>(p, i)));
      if (slot <= 1) {
        setAdoptKeyRefs(false);
        return false;
      }
      if (isStr<V>()) storeRef(slot, load<i64>(valAt<K, V>(p, i)));
      else store<V>(slot, load<V>(valAt<K, V>(p, i)));
    }
  }
  setAdoptKeyRefs(false);
  return true;
}

