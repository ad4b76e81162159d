// assign.ts — inserting and updating: mapassign.
//
// Mirrors Go 1.19 runtime/map_fast32.go / map_fast64.go (mapassign_fast*)
// and map.go:mapassign. Returns the address of the value slot; the caller
// stores the value there (as Go's compiled code does after mapassign).
//
// Steps:
//   1. hashWriting already set → SLOT_CONCURRENT, nothing touched (Go: fatal
//      "concurrent map writes"). Hash the key, then set hashWriting.
//   2. No bucket yet (B = 0 maps allocate lazily): allocate one.
//   3. again: if growing, growWork(bucket) — evacuate up to 2 old buckets.
//   4. Walk the chain: remember the first empty slot; a tophash match with
//      an equal key is an update (f64 keys store the new key: Go's
//      needkeyupdate, so −0 then +0 leaves +0); emptyRest ends the walk.
//   5. New key, not growing, and count+1 overloads the map or there are too
//      many overflow buckets → hashGrow, goto again. If the new array does
//      not fit in memory (Go would die), the insert goes on without growing
//      and this map retries growth GROW_RETRY inserts later, or at its
//      first insert after a collection completed (which may have freed
//      what was in the way): near maxMemory a map keeps taking entries in
//      overflow buckets (docs/map.md). The deferral is the map's own
//      (mapextra.growRetry): one map running out of memory does not stop
//      the others from growing.
//   6. No empty slot → newoverflow (reserved first, so it cannot fail).
//   7. Store tophash and key, count++, clear hashWriting.
// Out of memory at 2, 3, 5 or 6 returns 0 with the map holding exactly
// what it held (evacuation done in step 3 moves entries, never loses them).
//
// Shared runtimes (seqlock.ts): step 2 is a structural change (the map
// word), each evacuation of step 3 and hashGrow bracket themselves; a
// returned slot leaves the key's group word open, opened after the last
// point that can fail — the caller stores the value, then closes it
// (closePending, or the host). Failures return with no word open.

import {
  hmap, mapextra, Flag, bucketSize, keyAt, valAt, overflowOf, bucketMask, tophash,
  growing, overLoadFactor, tooManyOverflowBuckets, setBuckets, bucketType,
} from "./hmap";
import { ObjType } from "../gc/types";
import { hashKey, keysEqual } from "./hash";
import { isStr, newStr, storeRef, STR_OOM } from "./str";
import { growWork, hashGrow } from "./evacuate";
import { reserveOverflow, newoverflow, createOverflow } from "./make";
import { numgc } from "../gc/gc";
import { SLOT_CONCURRENT } from "./status";
import { matchTop, matchEmptyRest, matchEmpty, firstSlot, dropFirst } from "./group";
import { mallocgc } from "../mem/malloc";
import { allocAt, AllocSite } from "../mem/mprof";
import { hookable, fireHook, HookOp } from "./unsafe";
import { seqOpen, seqClose, groupOpenPending, groupWarm } from "./seqlock";

/** Inserts to wait before trying a grow that failed for lack of memory. */
// @ts-ignore: decorator
@inline const GROW_RETRY: u32 = 4096;

// mapextra.growRetry: 0, or the deferral after a failed grow:
//    bits 31..16: the collector's cycle count (numgc, low 16 bits) then;
//    bits 15..0:  inserts that would have grown the map, still to skip.
// Deferred while inserts are left and no collection completed since.

/** Is this map's growth deferred (counting one more skipped insert)? */
function growDeferred(h: hmap): bool {
  let e = changetype<mapextra>(<usize>h.extra);
  if (changetype<usize>(e) == 0) return false;
  let r = e.growRetry;
  if ((r & 0xffff) == 0) return false;
  if ((r >>> 16) != (numgc & 0xffff)) {
    // A collection completed since the grow failed: try again now.
    e.growRetry = 0;
    return false;
  }
  e.growRetry = r - 1;
  return true;
}

/** A grow of this map failed for lack of memory: defer the next tries.
 *  (Without a mapextra, which needs memory too, the next insert retries.) */
function deferGrowth(h: hmap): void {
  let e = createOverflow(h);
  if (changetype<usize>(e) != 0) e.growRetry = ((numgc & 0xffff) << 16) | GROW_RETRY;
}

/** Set by shrink while it re-inserts keys it already owns: store the given
 *  string reference instead of copying the bytes again. */
export let adoptKeyRefs: bool = false;
export function setAdoptKeyRefs(on: bool): void { adoptKeyRefs = on; }
/** Set by the host while compaction inserts strings it already made heap
 *  objects of (src/compact.ts: values longer than the scratch area): store
 *  the given value reference instead of copying the bytes. */
let adoptValueRefs: bool = false;
/** The host's switch for compaction: the next setMany stores the given
 *  string/bytes key (keys) and value (values) references — heap objects the
 *  host allocated in this instance — instead of copying their bytes. */
export function setAdoptRefs(keys: bool, values: bool): void {
  adoptKeyRefs = keys;
  adoptValueRefs = values;
}

/** Value slot for key (inserting it if absent); 0 when out of memory;
 *  SLOT_CONCURRENT when a write is already in progress. */
export function mapassign<K, V>(hp: usize, key: K): usize {
  let h = changetype<hmap>(hp);
  if ((h.flags & <u8>Flag.hashWriting) != 0) return SLOT_CONCURRENT;
  let hash = hashKey<K>(key, h.hash0);
  h.flags ^= <u8>Flag.hashWriting;
  if (hookable<K>() && (h.flags & <u8>Flag.hooked) != 0) return assignHooked<K, V>(h, key, hash);
  let slot = assignLocked<K, V>(h, key, hash);
  h.flags &= ~<u8>Flag.hashWriting;
  return slot;
}

/** mapassign on a map with hooks (cold): the hook runs with hashWriting
 *  still set, after the key is placed and before the value is stored. */
function assignHooked<K, V>(h: hmap, key: K, hash: u64): usize {
  let before = h.count;
  let slot = assignLocked<K, V>(h, key, hash);
  if (slot > SLOT_CONCURRENT) fireHook<K>(changetype<usize>(h), h.count != before ? HookOp.INSERT : HookOp.UPDATE, key);
  h.flags &= ~<u8>Flag.hashWriting;
  return slot;
}

function assignLocked<K, V>(h: hmap, key: K, hash: u64): usize {
  let bsize = bucketSize<K, V>();
  if (h.buckets == 0) {
    allocAt(AllocSite.mapassign);
    let b0 = mallocgc(bsize, bucketType<K, V>());
    if (b0 == 0) return 0;
    seqOpen(changetype<usize>(h)); // structural: the first bucket array
    setBuckets(h, b0);
    seqClose(changetype<usize>(h));
  }
  let top = tophash(hash);
  for (;;) {
    let bucket = <usize>hash & bucketMask(<u32>h.B);
    groupWarm(changetype<usize>(h), <usize>hash, <u32>h.B);
    if (growing(h) && !growWork<K, V>(h, bucket)) return 0;
    let b = <usize>h.buckets + bucket * bsize;
    let insertb: usize = 0;
    let inserti: usize = 0;
    let last = b;
    do {
      let m = matchTop(b, top);
      while (m != 0) {
        let i = firstSlot(m);
        let kp = keyAt<K>(b, i);
        if (keysEqual<K>(load<K>(kp), key)) {
          // needkeyupdate: an f64 key takes the new key (+0 over −0). A
          // string key keeps its stored copy: the bytes are equal, and the
          // probe is not a heap object we could point at (docs/map.md).
          // Shared runtime: the key's group word stays open for the value.
          groupOpenPending(changetype<usize>(h), <usize>hash, <u32>h.B);
          if (isFloat<K>()) store<K>(kp, key);
          return valAt<K, V>(b, i);
        }
        m = dropFirst(m);
      }
      if (insertb == 0) {
        // First empty slot (emptyOne or emptyRest) of this bucket, if any.
        let empties = matchEmpty(b);
        if (empties != 0) {
          insertb = b;
          inserti = firstSlot(empties);
        }
      }
      if (matchEmptyRest(b) != 0) break;
      last = b;
      b = overflowOf<K, V>(b);
    } while (b != 0);

    // Did not find the key: maybe grow, then insert.
    if (!growing(h) && (overLoadFactor(<u64>h.count + 1, <u32>h.B) || tooManyOverflowBuckets(<u32>h.noverflow, <u32>h.B)) && !growDeferred(h)) {
      if (hashGrow<K, V>(h)) continue; // growing the table invalidates everything: try again
      // Beyond Go: the new array does not fit in memory (Go would die).
      // Insert anyway, into an overflow bucket if need be — the map gets
      // fuller than 6.5 per bucket, not broken — and try growing again
      // after GROW_RETRY more such inserts or a collection.
      deferGrowth(h);
    }
    // A string key is copied into the heap first: nothing is linked yet if
    // that runs out of memory.
    let kref: i64 = 0;
    if (isStr<K>()) {
      kref = adoptKeyRefs ? <i64>key : newStr(<i64>key);
      if (kref == STR_OOM) return 0;
    }
    // All buckets of the chain are full: a new overflow bucket, reserved
    // before anything changes (so out of memory leaves no word open).
    if (insertb == 0 && !reserveOverflow<K, V>(h, 1)) return 0;
    // Shared runtime: the key's group word stays open for the value.
    groupOpenPending(changetype<usize>(h), <usize>hash, <u32>h.B);
    if (insertb == 0) {
      insertb = newoverflow<K, V>(h, last);
      inserti = 0;
    }
    store<u8>(insertb + inserti, top);
    if (isStr<K>()) storeRef(keyAt<K>(insertb, inserti), kref);
    else store<K>(keyAt<K>(insertb, inserti), key);
    h.count++;
    return valAt<K, V>(insertb, inserti);
  }
}


/** Set a string/bytes value for key: copy the value's bytes into the heap
 *  first (out of memory: nothing changed), then assign, then store the
 *  reference through the barrier (the old value becomes garbage). */
export function assignStrValue<K, V>(hp: usize, key: K, value: i64): usize {
  let vref = adoptValueRefs ? value : newStr(value);
  if (vref == STR_OOM) return 0;
  let slot = mapassign<K, V>(hp, key);
  if (slot > SLOT_CONCURRENT) storeRef(slot, vref); // the group word stays open (mapassign)
  return slot;
}
