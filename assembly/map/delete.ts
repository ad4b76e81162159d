// delete.ts — mapdelete.
//
// Mirrors Go 1.19 runtime/map_fast32.go / map_fast64.go (mapdelete_fast*)
// and map.go:mapdelete.
//
// Steps:
//   1. Empty map → not found (nothing evacuated). hashWriting set →
//      CONCURRENT. Hash, set hashWriting; growWork(bucket) if growing.
//   2. Find the key (tophash match, key compare; emptyRest ends the search).
//   3. Zero the value slot (Go's memclrNoHeapPointers on the elem). The key
//      bytes stay: a pointer-free key is left as is, exactly as Go does —
//      the tophash says the slot is empty.
//   4. tophash[i] = emptyOne. If the slot ends the occupied run (the next
//      slot, or the next bucket's slot 0, is emptyRest, or there is none),
//      walk backwards turning emptyOne into emptyRest, crossing into earlier
//      buckets of the chain (found by walking from the head), until a slot
//      that is not emptyOne or the head bucket's slot 0.
//   5. count--; when it reaches 0, reseed hash0 (Go, issue 25237).
// Buckets are never freed by delete.
//
// Returns Delete.DELETED, ABSENT, CONCURRENT, or OOM when the
// evacuation a delete must do first could not get memory (nothing deleted).

import {
  hmap, Flag, TopHash, bucketCnt, bucketSize, valAt, keyAt, overflowOf, bucketMask, tophash, growing,
} from "./hmap";
import { isStr, storeRef } from "./str";
import { hashKey } from "./hash";
import { fastrand } from "../mem/fastrand";
import { growWork } from "./evacuate";
import { findInChain, foundBucket } from "./access";
import { hookable, fireHook, HookOp } from "./unsafe";
import { Delete } from "./status";
import { seqOpen, seqClose, groupOpen, groupClose } from "./seqlock";


export function mapdelete<K, V>(hp: usize, key: K): u32 {
  let h = changetype<hmap>(hp);
  if (h.count == 0) return Delete.ABSENT;
  if ((h.flags & <u8>Flag.hashWriting) != 0) return Delete.CONCURRENT;
  let hash = hashKey<K>(key, h.hash0);
  h.flags ^= <u8>Flag.hashWriting;
  let r = deleteLocked<K, V>(h, key, hash);
  if (hookable<K>() && (h.flags & <u8>Flag.hooked) != 0 && r == Delete.DELETED) fireHook<K>(hp, HookOp.DELETE, key);
  h.flags &= ~<u8>Flag.hashWriting;
  return r;
}

function deleteLocked<K, V>(h: hmap, key: K, hash: u64): u32 {
  let bsize = bucketSize<K, V>();
  let bucket = <usize>hash & bucketMask(<u32>h.B);
  if (growing(h) && !growWork<K, V>(h, bucket)) return Delete.OOM;
  let bOrig = <usize>h.buckets + bucket * bsize;
  let idx = findInChain<K, V>(bOrig, key, tophash(hash));
  if (idx < 0) return Delete.ABSENT;
  let b = foundBucket;
  let i = <usize>idx;
  // Shared runtimes: the chain write is in the key's group (seqlock.ts).
  groupOpen(changetype<usize>(h), <usize>hash, <u32>h.B);
  // Value always cleared; a string key's reference cleared too (Go:
  // memclrHasPointers), so the next cycle frees the bytes. A numeric key's
  // bytes stay, as in Go.
  if (isStr<V>()) storeRef(valAt<K, V>(b, i), 0);
  else memory.fill(valAt<K, V>(b, i), 0, sizeof<V>());
  if (isStr<K>()) storeRef(keyAt<K>(b, i), 0);
  store<u8>(b + i, <u8>TopHash.emptyOne);
  // Does slot i end the occupied run?
  let last: bool;
  if (i == bucketCnt - 1) {
    let ovf = overflowOf<K, V>(b);
    last = ovf == 0 || load<u8>(ovf) == <u8>TopHash.emptyRest;
  } else {
    last = load<u8>(b + i + 1) == <u8>TopHash.emptyRest;
  }
  if (last) {
    for (;;) {
      store<u8>(b + i, <u8>TopHash.emptyRest);
      if (i == 0) {
        if (b == bOrig) break; // the head bucket's slot 0: done
        let c = b;
        b = bOrig;
        while (overflowOf<K, V>(b) != c) b = overflowOf<K, V>(b);
        i = bucketCnt - 1;
      } else {
        i--;
      }
      if (load<u8>(b + i) != <u8>TopHash.emptyOne) break;
    }
  }
  h.count--;
  groupClose(changetype<usize>(h), <usize>hash, <u32>h.B);
  if (h.count == 0) {
    // A new seed is structural: readers hash with it.
    seqOpen(changetype<usize>(h));
    h.hash0 = fastrand();
    seqClose(changetype<usize>(h));
  }
  return Delete.DELETED;
}
