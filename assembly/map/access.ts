// access.ts — lookups.
//
// Mirrors Go 1.19 runtime/map_fast32.go / map_fast64.go (mapaccess1_fast*),
// map.go:mapaccessK. One generic body serves u32, u64 and f64 keys; the
// compiler makes one copy per key and value size.
//
// Steps (mapaccess):
//   1. count == 0 → not found. hashWriting set → CONCURRENT (Go: fatal
//      "concurrent map read and map write").
//   2. hash the key; b = buckets[hash & mask]. While growing, if the old
//      bucket for this hash is not evacuated yet, search it instead
//      (lookups never evacuate).
//   3. Walk the chain a bucket at a time: match the tophash byte against all
//      8 tophash bytes at once (group.ts: SIMD or SWAR), compare the key only
//      in matching slots; an emptyRest byte ends the search, because every
//      later slot of the chain is empty.
// Result: the address of the value slot, or 0 when absent.

import {
  hmap, Flag, bucketSize, keyAt, valAt, overflowOf, bucketMask, evacuated, sameSizeGrow, tophash, isEmpty,
} from "./hmap";
import { hashKey, keysEqual } from "./hash";
import { SLOT_CONCURRENT } from "./status";
import { matchTop, matchEmptyRest, firstSlot, dropFirst } from "./group";


/** The bucket a lookup of `hash` must search (old bucket if not evacuated). */
// @ts-ignore: decorator
@inline export function lookupBucket<K, V>(h: hmap, hash: u64): usize {
  let bsize = bucketSize<K, V>();
  let m = bucketMask(<u32>h.B);
  let b = <usize>h.buckets + (<usize>hash & m) * bsize;
  let old = <usize>h.oldbuckets;
  if (old != 0) {
    if (!sameSizeGrow(h)) m >>= 1;
    let oldb = old + (<usize>hash & m) * bsize;
    if (!evacuated(oldb)) b = oldb;
  }
  return b;
}

/** Slot index of key in the chain starting at b (the found bucket goes to
 *  foundBucket), or -1. */
export let foundBucket: usize = 0;

// @ts-ignore: decorator
@inline export function findInChain<K, V>(b: usize, key: K, top: u8): i32 {
  do {
    let m = matchTop(b, top);
    while (m != 0) {
      let i = firstSlot(m);
      if (keysEqual<K>(load<K>(keyAt<K>(b, i)), key)) {
        foundBucket = b;
        return <i32>i;
      }
      m = dropFirst(m);
    }
    if (matchEmptyRest(b) != 0) return -1;
    b = overflowOf<K, V>(b);
  } while (b != 0);
  return -1;
}

/** Address of key's value slot, 0 if absent, CONCURRENT during a write. */
// @ts-ignore: decorator
@inline export function mapaccess<K, V>(hp: usize, key: K): usize {
  let h = changetype<hmap>(hp);
  if (h.count == 0) return 0;
  if ((h.flags & <u8>Flag.hashWriting) != 0) return SLOT_CONCURRENT;
  let hash = hashKey<K>(key, h.hash0);
  let b = lookupBucket<K, V>(h, hash);
  let i = findInChain<K, V>(b, key, tophash(hash));
  return i < 0 ? 0 : valAt<K, V>(foundBucket, <usize>i);
}

/** Go's mapaccessK: find key; on success foundBucket/returned index name
 *  the slot (its key may differ from `key` by ±0). -1 when absent. */
export function mapaccessK<K, V>(h: hmap, key: K): i32 {
  if (h.count == 0) return -1;
  let hash = hashKey<K>(key, h.hash0);
  let b = lookupBucket<K, V>(h, hash);
  return findInChain<K, V>(b, key, tophash(hash));
}

/** Is the slot live? (for callers walking buckets) */
// @ts-ignore: decorator
@inline export function slotLive(b: usize, i: usize): bool {
  let t = load<u8>(b + i);
  return !isEmpty(t) && t >= 5;
}
