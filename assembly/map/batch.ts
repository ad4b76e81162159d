// batch.ts — many keys per call.
//
// One call from the host for a whole chunk of keys (copied into the scratch
// area or any region of memory): the JS↔wasm call costs ~2.5 ns, a lookup a
// few ns more, so chunks pay the call once per thousands of keys.
//
// Each returns how many keys it processed (== n unless it stopped on a
// failure); `lastBatchStatus` says why it stopped (Batch.OK, Batch.OOM,
// Batch.CONCURRENT) and `lastBatchCount` how many keys were found
// (getMany) or deleted (deleteMany). A failed key leaves the map as it was;
// keys before it are done. String/bytes keys and values arrive as tables of
// references (str.ts) to bytes the host packed into one buffer; getMany of
// string values hands out references to the map's own objects, which the
// host decodes before its next call.

import { mapaccess } from "./access";
import { Batch, Delete, SLOT_CONCURRENT } from "./status";
import { mapassign, assignStrValue } from "./assign";
import { isStr } from "./str";
import { mapdelete } from "./delete";
import { safePoint } from "../gc/gc";
import { closePending } from "./seqlock";


export let lastBatchStatus: Batch = Batch.OK;
export let lastBatchCount: u32 = 0;

export function setMany<K, V>(h: usize, keys: usize, vals: usize, n: u32): u32 {
  lastBatchStatus = Batch.OK;
  for (let i: u32 = 0; i < n; i++) {
    safePoint(); // between keys no core code holds a heap pointer
    let key = load<K>(keys + (<usize>i << alignof<K>()));
    let slot: usize;
    if (isStr<V>()) {
      // The values are references to bytes in the host's buffer: copied.
      slot = assignStrValue<K, V>(h, key, load<i64>(vals + (<usize>i << 3)));
      if (slot > SLOT_CONCURRENT) closePending();
    } else {
      slot = mapassign<K, V>(h, key);
      if (slot > SLOT_CONCURRENT) {
        store<V>(slot, load<V>(vals + (<usize>i << alignof<V>())));
        closePending(); // shared runtimes: each entry is its own write
      }
    }
    if (slot <= SLOT_CONCURRENT) {
      lastBatchStatus = slot == 0 ? Batch.OOM : Batch.CONCURRENT;
      return i;
    }
  }
  return n;
}

/** Values of found keys go to outV[i] (0 for absent keys); found[i] is 1 or
 *  0 (one byte per key) unless found is 0. */
export function getMany<K, V>(h: usize, keys: usize, outV: usize, found: usize, n: u32): u32 {
  lastBatchStatus = Batch.OK;
  let count: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    let slot = mapaccess<K, V>(h, load<K>(keys + (<usize>i << alignof<K>())));
    if (slot == SLOT_CONCURRENT) {
      lastBatchStatus = Batch.CONCURRENT;
      lastBatchCount = count;
      return i;
    }
    let v: V = 0;
    if (slot != 0) {
      v = load<V>(slot);
      count++;
    }
    store<V>(outV + (<usize>i << alignof<V>()), v);
    if (found != 0) store<u8>(found + i, <u8>(slot != 0));
  }
  lastBatchCount = count;
  return n;
}

export function deleteMany<K, V>(h: usize, keys: usize, n: u32): u32 {
  lastBatchStatus = Batch.OK;
  let count: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    safePoint();
    let r = mapdelete<K, V>(h, load<K>(keys + (<usize>i << alignof<K>())));
    if (r == Delete.DELETED) count++;
    else if (r == Delete.OOM || r == Delete.CONCURRENT) {
      lastBatchStatus = r == Delete.OOM ? Batch.OOM : Batch.CONCURRENT;
      lastBatchCount = count;
      return i;
    }
  }
  lastBatchCount = count;
  return n;
}
