// iter.ts — iteration: mapiterinit, mapiternext.
//
// Mirrors Go 1.19 runtime/map.go:mapiterinit/mapiternext. The iterator
// state (Go's hiter) lives where the host puts it — the host keeps it in its
// own memory between steps and copies it into the scratch area for each
// call, so an abandoned iterator costs nothing on the heap.
//
// hiter (56 bytes):
//    0 h  4 B  8 buckets  12 bptr  16 i  20 bucket  24 startBucket
//    28 offset  32 wrapped  36 checkBucket (NO_CHECK = none)
//    40..52 root slots: rootBuckets rootBptr rootOverflow rootOldoverflow
//
// Rooting. Go's hiter lives on the goroutine's stack, and the collector
// scans what it points at: buckets (the snapshot), bptr (the bucket being
// read: a bucket of the snapshot, of the old array, or an overflow bucket
// of either), and, for noscan maps, overflow and oldoverflow (the slice
// headers that keep the overflow buckets of the snapshot and of the old
// array alive — the collector never looks inside a noscan bucket). Ours
// lives in host memory, which the collector never sees, so the host
// reserves four root slots per iterator, and the core keeps in them exactly
// what the iterator will dereference when it is next called:
//   rootBuckets      it.buckets, the snapshot array, from mapiterinit on.
//   rootBptr         it.bptr, the bucket it stopped in (0 between chains).
//                    An interior pointer keeps the whole object: the old
//                    array while the iterator is inside one of its chains,
//                    even after evacuation finished and the map let go of
//                    it; and an overflow bucket of a scan map, whose later
//                    buckets the collector reaches by scanning it.
//   rootOverflow     noscan only: the overflow list of the snapshot array.
//                    mapiterinit creates the list if the array has none yet
//                    (Go's createOverflow), and a list that is outgrown
//                    links to its replacement (make.ts), so this list
//                    reaches every overflow bucket the snapshot will ever
//                    get — through a later grow that drops the map's own
//                    reference. Refreshed to the newest list at the end of
//                    each call (the older ones can then be freed).
//   rootOldoverflow  noscan only: while it.bptr is in a chain of the old
//                    array, that array's overflow list (extra.oldoverflow
//                    when the chain was entered); 0 otherwise.
// mapiternext updates rootBptr, rootOverflow and rootOldoverflow before it
// returns, when they change; between calls nothing else is read (the old
// array itself is read through h.oldbuckets, which the map holds while it
// is growing). The host releases the slots when the iteration ends.
//
// Go's rules, kept exactly:
//   - Start at a random bucket and a random in-bucket offset; the same
//     rotation (i + offset) & 7 applies to every bucket, overflow included.
//   - Iterate the snapshot `buckets` taken at init (B too). If the map is
//     growing and iteration began during the grow (it.B == h.B), a bucket
//     whose old bucket is not evacuated yet is iterated through the *old*
//     bucket, returning only keys that will land in this new bucket
//     (checkBucket; NaN keys by tophash & 1).
//   - A slot marked evacuatedX/Y means the table grew after the iterator
//     started: the key is looked up again in the current table (it may have
//     been deleted, updated or re-inserted since) — unless it is NaN, which
//     cannot be deleted or updated and is returned as is.
//   - Empty and evacuatedEmpty slots are skipped (emptyRest is not used to
//     stop early, as in Go).
// mapiternext fills up to `max` keys and values into the output arrays and
// returns how many; fewer than `max` means the iteration is over.

import {
  hmap, mapextra, Flag, TopHash, bucketCnt, bucketSize, bucketShift, bucketMask, keyAt, valAt, overflowOf,
  evacuated, growing, sameSizeGrow, oldbucketmask, isEmpty, isScanShape, Kind,
} from "./hmap";
import { hashKey, reflexive } from "./hash";
import { mapaccessK, foundBucket } from "./access";
import { rootSet, rootGet, rootsCap } from "../gc/roots";
import { safePoint } from "../gc/gc";
import { createOverflowList } from "./make";
import { COUNT_CONCURRENT } from "./status";

@unmanaged
export class hiter {
  h: u32;
  B: u32;
  buckets: u32;
  bptr: u32;
  i: u32;
  bucket: u32;
  startBucket: u32;
  offset: u32;
  wrapped: u32;
  checkBucket: u32;
  rootBuckets: u32;
  rootBptr: u32;
  rootOverflow: u32;
  rootOldoverflow: u32;
}

// @ts-ignore: decorator
@inline export const HITER_SIZE: usize = offsetof<hiter>();
// @ts-ignore: decorator
@inline const NO_CHECK: u32 = 0xffffffff;
/** it.bucket value once the iteration is over. */
// @ts-ignore: decorator
@inline const DONE: u32 = 0xffffffff;

/** Do buckets of the map with this typ hold pointers (string or bytes
 *  keys or values)? mapiterinit serves every shape, so it reads the kinds
 *  from hmap.typ (the generic code asks isScanShape<K, V>()). */
// @ts-ignore: decorator
@inline function scanTyp(typ: u32): bool {
  return (typ & 0xff) >= <u32>Kind.STRING || ((typ >> 8) & 0xff) >= <u32>Kind.STRING;
}

/** Store p in one of the iterator's root slots. The slot numbers come back
 *  from host memory with the hiter: one outside the root table is a broken
 *  invariant, not a write to make. */
function iterRootSet(slot: u32, p: usize): void {
  if (slot >= rootsCap) throw new Error("iterator: root slot outside the root table");
  rootSet(slot, p);
}

/** Go's mapiterinit with the random number r supplied by the caller, and
 *  the four root slots the host reserved for this iterator (see Rooting
 *  above). Returns false, with the iterator not started, when out of memory
 *  (a noscan map's first overflow list could not be allocated). */
export function mapiterinit(hp: usize, itp: usize, r: u32, s0: u32, s1: u32, s2: u32, s3: u32): bool {
  safePoint();
  let h = changetype<hmap>(hp);
  let it = changetype<hiter>(itp);
  if (s0 >= rootsCap || s1 >= rootsCap || s2 >= rootsCap || s3 >= rootsCap) {
    throw new Error("mapiterinit: root slot outside the root table");
  }
  it.h = <u32>hp;
  it.B = h.B;
  it.buckets = h.buckets;
  it.bptr = 0;
  it.i = 0;
  it.wrapped = 0;
  it.checkBucket = NO_CHECK;
  it.rootBuckets = s0;
  it.rootBptr = s1;
  it.rootOverflow = s2;
  it.rootOldoverflow = s3;
  if (h.count == 0 || h.buckets == 0) {
    it.bucket = DONE;
    return true;
  }
  if (!scanTyp(h.typ)) {
    if (!createOverflowList(h)) return false;
    rootSet(s2, <usize>changetype<mapextra>(<usize>h.extra).overflow);
  }
  rootSet(s0, <usize>h.buckets);
  it.startBucket = r & <u32>bucketMask(it.B);
  it.offset = (r >> it.B) & (bucketCnt - 1);
  it.bucket = it.startBucket;
  h.flags |= <u8>(Flag.iterator | Flag.oldIterator);
  return true;
}

/** End of a mapiternext call: root what the next call will read first
 *  (see Rooting above). `entered` says a chain was entered in this call, so
 *  `checkBucket` tells whether b is in the old array's chain. */
function iterRoots<K, V>(it: hiter, h: hmap, b: usize, entered: bool): void {
  if (b != <usize>it.bptr) iterRootSet(it.rootBptr, b);
  if (isScanShape<K, V>()) return;
  let e = changetype<mapextra>(<usize>h.extra);
  if (changetype<usize>(e) == 0) return; // mapiterinit made one; only a clear() (iterator invalidated) drops it
  let list: usize = 0;
  if (it.buckets == h.buckets) list = <usize>e.overflow;
  else if (it.buckets == h.oldbuckets) list = <usize>e.oldoverflow;
  if (list != 0 && list != rootGet(it.rootOverflow)) iterRootSet(it.rootOverflow, list);
  if (b == 0) {
    if (rootGet(it.rootOldoverflow) != 0) iterRootSet(it.rootOldoverflow, 0);
  } else if (entered) {
    let old: usize = it.checkBucket != NO_CHECK ? <usize>e.oldoverflow : 0;
    if (old != rootGet(it.rootOldoverflow)) iterRootSet(it.rootOldoverflow, old);
  }
}

/** The iteration is over: let go of everything it held. */
function iterDone(it: hiter): void {
  it.bucket = DONE;
  it.bptr = 0;
  iterRootSet(it.rootBuckets, 0);
  iterRootSet(it.rootBptr, 0);
  iterRootSet(it.rootOverflow, 0);
  iterRootSet(it.rootOldoverflow, 0);
}

export function mapiternext<K, V>(itp: usize, outK: usize, outV: usize, max: u32): u32 {
  let it = changetype<hiter>(itp);
  if (it.bucket == DONE) return 0;
  let h = changetype<hmap>(<usize>it.h);
  if ((h.flags & <u8>Flag.hashWriting) != 0) return COUNT_CONCURRENT;
  let bsize = bucketSize<K, V>();
  let bucket = it.bucket;
  let b = <usize>it.bptr;
  let i = it.i;
  let checkBucket = it.checkBucket;
  let offset = it.offset;
  let entered = false;
  let n: u32 = 0;
  while (n < max) {
    if (b == 0) {
      if (bucket == it.startBucket && it.wrapped != 0) {
        iterDone(it);
        return n;
      }
      entered = true;
      if (growing(h) && it.B == <u32>h.B) {
        // Started mid-grow and the grow is not done: maybe iterate the old bucket.
        let oldbucket = <usize>bucket & oldbucketmask(h);
        b = <usize>h.oldbuckets + oldbucket * bsize;
        if (!evacuated(b)) {
          checkBucket = bucket;
        } else {
          b = <usize>it.buckets + <usize>bucket * bsize;
          checkBucket = NO_CHECK;
        }
      } else {
        b = <usize>it.buckets + <usize>bucket * bsize;
        checkBucket = NO_CHECK;
      }
      bucket++;
      if (<usize>bucket == bucketShift(it.B)) {
        bucket = 0;
        it.wrapped = 1;
      }
      i = 0;
    }
    // Only a bucket of the old array (checkBucket set) or an evacuated
    // slot needs more than a copy; the common case is the first branch.
    let plain = checkBucket == NO_CHECK || sameSizeGrow(h);
    for (; i < bucketCnt && n < max; i++) {
      let offi = <usize>((i + offset) & (bucketCnt - 1));
      let top = load<u8>(b + offi);
      if (top >= <u8>TopHash.minTopHash) {
        if (plain) {
          store<K>(outK + (<usize>n << alignof<K>()), load<K>(keyAt<K>(b, offi)));
          store<V>(outV + (<usize>n << alignof<V>()), load<V>(valAt<K, V>(b, offi)));
          n++;
          continue;
        }
      } else if (isEmpty(top) || top == <u8>TopHash.evacuatedEmpty) continue;
      let k = load<K>(keyAt<K>(b, offi));
      if (!plain) {
        if (reflexive<K>(k)) {
          let hash = hashKey<K>(k, h.hash0);
          if ((<u32>(<usize>hash & bucketMask(it.B))) != checkBucket) continue;
        } else {
          if ((checkBucket >> (it.B - 1)) != <u32>(top & 1)) continue;
        }
      }
      if ((top != <u8>TopHash.evacuatedX && top != <u8>TopHash.evacuatedY) || !reflexive<K>(k)) {
        store<K>(outK + (<usize>n << alignof<K>()), k);
        store<V>(outV + (<usize>n << alignof<V>()), load<V>(valAt<K, V>(b, offi)));
      } else {
        // The table grew since the iterator started: find the golden copy.
        let j = mapaccessK<K, V>(h, k);
        if (j < 0) continue; // deleted since
        store<K>(outK + (<usize>n << alignof<K>()), load<K>(keyAt<K>(foundBucket, <usize>j)));
        store<V>(outV + (<usize>n << alignof<V>()), load<V>(valAt<K, V>(foundBucket, <usize>j)));
      }
      n++;
    }
    if (i == bucketCnt) {
      b = overflowOf<K, V>(b);
      i = 0;
    }
  }
  it.bucket = bucket;
  it.i = i;
  it.checkBucket = checkBucket;
  iterRoots<K, V>(it, h, b, entered);
  it.bptr = <u32>b;
  return n;
}
