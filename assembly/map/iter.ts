// iter.ts — iteration: mapiterinit, mapiternext.
//
// Mirrors Go 1.19 runtime/map.go:mapiterinit/mapiternext. The iterator
// state (Go's hiter) lives where the host puts it — the host keeps it in its
// own memory between steps and copies it into the scratch area for each
// call, so an abandoned iterator costs nothing on the heap.
//
// hiter (40 bytes):
//    0 h  4 B  8 buckets  12 bptr  16 i  20 bucket  24 startBucket
//    28 offset  32 wrapped  36 checkBucket (NO_CHECK = none)
//
// Rooting. Go's hiter lives on the goroutine's stack and holds pointers the
// collector scans: buckets (the snapshot), and overflow/oldoverflow (which
// keep the overflow buckets of a noscan map alive across a grow). Ours lives
// in host memory, which the collector never sees, so mapiterinit stores
// those three pointers in root slots the host reserved for the iterator
// (s0: the snapshot's bucket array, s1: extra.overflow, s2:
// extra.oldoverflow); the host releases them when the iteration ends.
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
  evacuated, growing, sameSizeGrow, oldbucketmask, isEmpty,
} from "./hmap";
import { hashKey, reflexive } from "./hash";
import { mapaccessK, foundBucket } from "./access";
import { rootSet } from "../gc/roots";
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
}

// @ts-ignore: decorator
@inline export const HITER_SIZE: usize = offsetof<hiter>();
// @ts-ignore: decorator
@inline const NO_CHECK: u32 = 0xffffffff;
/** it.bucket value once the iteration is over. */
// @ts-ignore: decorator
@inline const DONE: u32 = 0xffffffff;

/** Go's mapiterinit with the random number r supplied by the caller; the
 *  snapshot's bucket array and the map's overflow lists go into root slots
 *  s0..s2, so they outlive a grow and a collection while the host iterates
 *  (see Rooting above). */
export function mapiterinit(hp: usize, itp: usize, r: u32, s0: u32, s1: u32, s2: u32): void {
  let h = changetype<hmap>(hp);
  let it = changetype<hiter>(itp);
  let e = changetype<mapextra>(<usize>h.extra);
  rootSet(s0, <usize>h.buckets);
  rootSet(s1, changetype<usize>(e) != 0 ? <usize>e.overflow : 0);
  rootSet(s2, changetype<usize>(e) != 0 ? <usize>e.oldoverflow : 0);
  it.h = <u32>hp;
  it.B = h.B;
  it.buckets = h.buckets;
  it.bptr = 0;
  it.i = 0;
  it.wrapped = 0;
  it.checkBucket = NO_CHECK;
  if (h.count == 0 || h.buckets == 0) {
    it.bucket = DONE;
    return;
  }
  it.startBucket = r & <u32>bucketMask(it.B);
  it.offset = (r >> it.B) & (bucketCnt - 1);
  it.bucket = it.startBucket;
  h.flags |= <u8>(Flag.iterator | Flag.oldIterator);
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
  let n: u32 = 0;
  while (n < max) {
    if (b == 0) {
      if (bucket == it.startBucket && it.wrapped != 0) {
        it.bucket = DONE;
        return n;
      }
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
    for (; i < bucketCnt && n < max; i++) {
      let offi = <usize>((i + it.offset) & (bucketCnt - 1));
      let top = load<u8>(b + offi);
      if (isEmpty(top) || top == <u8>TopHash.evacuatedEmpty) continue;
      let k = load<K>(keyAt<K>(b, offi));
      if (checkBucket != NO_CHECK && !sameSizeGrow(h)) {
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
  it.bptr = <u32>b;
  it.i = i;
  it.checkBucket = checkBucket;
  return n;
}
