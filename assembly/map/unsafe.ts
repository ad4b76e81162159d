// unsafe.ts — what the host's `rt.unsafe` (src/unsafe.ts) reaches in the
// core: assign/delete hooks on u64-key maps, barrier-free value zeroing, and
// the map generation that lets the debug host detect stale views.
//
// Hooks. Go compiles `m[k] = v` on a map[uint64]V to a direct call of
// runtime.mapassign_fast64; a `go:linkname` "push" of our own body under that
// name fails at link time (docs/go-facts.md), so real Go has no hook
// point. Here mapassign/mapdelete on a u64-key map call the host when the
// map's Flag.hooked bit is set:
//   - once per assign (op HOOK_INSERT or HOOK_UPDATE) after the key is in its
//     slot and before the host stores the value;
//   - once per delete that removed a key (HOOK_DELETE), after the slot is
//     emptied and count decremented;
//   - while hashWriting is still set, so a hook that writes the same map gets
//     "concurrent map writes" (and a read gets "concurrent map read and map
//     write"), exactly what Go would do to a goroutine writing mid-write;
//   - with safe points off: no mark termination or sweep step can run inside
//     a hook (the caller may hold a fresh, not yet linked object, e.g. the
//     string value of assignStrValue).
// No hook installed: the cost is one test of h.flags, a byte already loaded
// for the hashWriting check (bench/unsafe measures it against a build with
// `--use GOMAP_NO_HOOKS=1`, which compiles the test out).
//
// Generation. hmap.typ's top byte (bits 24..31) counts events that move or
// rewrite a map's slots: hashGrow, each evacuate, mapclear, mapshrink (8 bits,
// wrapping; the host pairs it with the bucket addresses and nevacuate, so a
// wrap is never the only signal).
//
// zeroValues: plain stores of zero over value slots, no write barrier, no
// tophash or count change — the article's "set the value pointer to zero
// directly". zeroAllValues writes each bucket's whole value region with
// 8-byte stores (4 or 8 of them: cheaper than a memory.fill call per
// bucket); zeroKeyValues clears the one slot mapaccess finds per key.
// Safe for numeric values. For string/bytes values it drops references
// without shading them (see docs/unsafe.md for exactly when that is safe).

import {
  hmap, Flag, bucketCnt, bucketSize, valsOff, overflowOf, bucketShift, growing, noldbuckets,
} from "./hmap";
import { mapaccess } from "./access";
import { COUNT_CONCURRENT, SLOT_CONCURRENT } from "./status";

// @ts-ignore: decorator
@external("env", "mapHook")
declare function hostMapHook(h: usize, op: u32, key: u64): void;

/** Hook operations, as the host receives them. */
export enum HookOp {
  INSERT = 1,
  UPDATE = 2,
  DELETE = 3,
}

/** Does this key storage type fire hooks? (u64 storage: i64 and u64 keys;
 *  string references are i64, f64 keys are floats.) */
// @ts-ignore: decorator
@inline export function hookable<K>(): bool {
  // @ts-ignore: compile-time constant introduced with --use
  return !isDefined(GOMAP_NO_HOOKS) && isInteger<K>() && !isSigned<K>() && sizeof<K>() == 8;
}

/** Call the host's hook (cold path: only maps with Flag.hooked get here). */
// @ts-ignore: decorator
@inline export function fireHook<K>(hp: usize, op: HookOp, key: K): void {
  callHook(hp, <u32>op, <u64>key);
}

function callHook(hp: usize, op: u32, key: u64): void {
  // The host only queues the report (src/events.ts): no JS runs here, so
  // the write in progress needs no protection from safe points.
  hostMapHook(hp, op, key);
}

/** Set or clear a map's hooked flag. */
export function setHooked(hp: usize, on: bool): void {
  let h = changetype<hmap>(hp);
  if (on) h.flags |= <u8>Flag.hooked;
  else h.flags &= ~<u8>Flag.hooked;
}


/** Zero every value slot of every bucket (both arrays while growing, and
 *  every overflow bucket). Returns the buckets filled. */
export function zeroAllValues<K, V>(hp: usize): u32 {
  let h = changetype<hmap>(hp);
  if ((h.flags & <u8>Flag.hashWriting) != 0) return COUNT_CONCURRENT;
  let filled: u32 = 0;
  if (h.buckets == 0) return 0;
  let bsize = bucketSize<K, V>();
  let nb = bucketShift(<u32>h.B);
  for (let j: usize = 0; j < nb; j++) filled += zeroChain<K, V>(<usize>h.buckets + j * bsize);
  if (growing(h)) {
    let n = noldbuckets(h);
    for (let j: usize = 0; j < n; j++) filled += zeroChain<K, V>(<usize>h.oldbuckets + j * bsize);
  }
  return filled;
}

function zeroChain<K, V>(b: usize): u32 {
  let n: u32 = 0;
  for (let p = b; p != 0; p = overflowOf<K, V>(p)) {
    // SAFETY: p is a bucket of this map's shape; the values region is
    // bucketCnt·sizeof<V> bytes (32 or 64) at valsOff. No barrier
    // (deliberately). Plain 8-byte stores: a memory.fill call costs more
    // than the 4–8 stores it would replace.
    let v = p + valsOff<K>();
    store<u64>(v, 0); store<u64>(v, 0, 8); store<u64>(v, 0, 16); store<u64>(v, 0, 24);
    if (sizeof<V>() == 8) {
      store<u64>(v, 0, 32); store<u64>(v, 0, 40); store<u64>(v, 0, 48); store<u64>(v, 0, 56);
    }
    n++;
  }
  return n;
}

/** Zero the value slots of the n keys at `keys` (the getMany key format).
 *  Returns how many were present. */
export function zeroKeyValues<K, V>(hp: usize, keys: usize, n: u32): u32 {
  let h = changetype<hmap>(hp);
  if ((h.flags & <u8>Flag.hashWriting) != 0) return COUNT_CONCURRENT;
  let found: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    let slot = mapaccess<K, V>(hp, load<K>(keys + (<usize>i << alignof<K>())));
    if (slot > SLOT_CONCURRENT) {
      // SAFETY: slot is the live value slot of that key, sizeof<V> bytes.
      memory.fill(slot, 0, sizeof<V>());
      found++;
    }
  }
  return found;
}
