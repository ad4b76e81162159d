// make.ts — making maps, bucket arrays and overflow buckets.
//
// Mirrors Go 1.19 runtime/map.go: makemap, makeBucketArray, newoverflow,
// incrnoverflow, createOverflow.
//
// Overflow buckets and out-of-memory. Go's newoverflow cannot fail (Go
// throws when memory runs out). Ours can, and a write that fails must leave
// the map as it was, so every operation that may need overflow buckets first
// *reserves* them (reserveOverflow): it makes room in extra.overflow for the
// pointers, counts the preallocated buckets left after nextOverflow, and
// allocates the rest as one block. newoverflow then takes, in this order,
// a preallocated bucket (Go's nextOverflow), then a reserved one; calling it
// outside a reservation is a bug and aborts. Evacuation knows exactly how
// many overflow buckets a chain needs before it moves anything (see
// evacuate.ts), and an insert needs at most one.
//
// Buckets of numeric maps hold no pointers, so they are noscan: the
// collector never looks inside them, and (as in Go) every overflow bucket is
// also recorded in extra.overflow, a growable array of bucket pointers that
// the collector does scan. An outgrown list links to the list that replaces
// it (hmap.ts), so a running iterator holding an older list of the same
// bucket array still reaches every overflow bucket (iter.ts).

import { mallocgc } from "../mem/malloc";
import {
  hmap, mapextra, MAPEXTRA_SIZE, HMAP_SIZE, bucketSize, overflowOf, setOverflow,
  bForHint, roundupsize, setBuckets, setExtra, setOverflowList, setNextOverflow,
  bucketType,
} from "./hmap";
import { ObjType } from "../gc/types";
import { writePointer, bulkBarrierPreWrite } from "../gc/barrier";
import { fastrand } from "../mem/fastrand";
import { allocAt, AllocSite } from "../mem/mprof";

/** Largest single allocation we attempt (keeps u32 arithmetic safe). */
// @ts-ignore: decorator
@inline const MAX_ALLOC: u64 = 0xffff0000;

/** Second result of makeBucketArray: the first preallocated overflow
 *  bucket, or 0. (AssemblyScript has no tuples.) */
export let lastNextOverflow: usize = 0;

// The reservation made by reserveOverflow for the current operation.
let reserveNext: usize = 0;
let reserveLeft: u32 = 0;

/** Buckets in the array makeBucketArray makes for B (with preallocated
 *  overflow buckets when B >= 4, filling the size class or page run). */
export function bucketArrayLength<K, V>(B: u32): u64 {
  let bsize = <u64>bucketSize<K, V>();
  let base = <u64>1 << B;
  let nbuckets = base;
  if (B >= 4) {
    nbuckets += <u64>1 << (B - 4);
    let sz = bsize * nbuckets;
    let up = roundupsize(sz);
    if (up != sz) nbuckets = up / bsize;
  }
  return nbuckets;
}

/** Allocate (dirty == 0) or clear (dirty != 0) the bucket array for B.
 *  Returns the array (0 when out of memory); lastNextOverflow is set. */
export function makeBucketArray<K, V>(B: u32, dirty: usize): usize {
  let bsize = <u64>bucketSize<K, V>();
  let base = <u64>1 << B;
  let nbuckets = bucketArrayLength<K, V>(B);
  let bytes = bsize * nbuckets;
  let buckets: usize;
  lastNextOverflow = 0;
  if (dirty == 0) {
    if (bytes > MAX_ALLOC) return 0;
    // The caller set the site (makemap or hashGrow).
    buckets = mallocgc(<usize>bytes, bucketType<K, V>());
    if (buckets == 0) return 0;
  } else {
    buckets = dirty;
    memory.fill(buckets, 0, <usize>bytes);
  }
  if (base != nbuckets) {
    // The last preallocated bucket's overflow pointer is a non-nil sentinel
    // (the array itself), marking the end of the free list.
    lastNextOverflow = buckets + <usize>(base * bsize);
    setOverflow<K, V>(buckets + <usize>((nbuckets - 1) * bsize), buckets);
  }
  return buckets;
}

/** Go's makemap: a new map for `hint` entries, or 0 when out of memory.
 *  B = 0 maps get their first bucket lazily (in mapassign). */
export function makemap<K, V>(hint: u64, hash0: u32, typ: u32): usize {
  if (<u64>bucketSize<K, V>() * hint > MAX_ALLOC) hint = 0; // Go: overflow or > maxAlloc
  let B = bForHint(hint);
  allocAt(AllocSite.makemap);
  let hp = mallocgc(HMAP_SIZE, ObjType.HMAP);
  if (hp == 0) return 0;
  let h = changetype<hmap>(hp);
  h.hash0 = hash0;
  h.B = <u8>B;
  h.typ = typ;
  if (B != 0) {
    allocAt(AllocSite.makemap_makeBucketArray);
    let buckets = makeBucketArray<K, V>(B, 0);
    if (buckets == 0) return 0;
    let next = lastNextOverflow;
    if (next != 0) {
      allocAt(AllocSite.makemap);
      let e = mallocgc(MAPEXTRA_SIZE, ObjType.MAPEXTRA);
      if (e == 0) return 0;
      setExtra(h, e);
      setNextOverflow(changetype<mapextra>(e), next);
    }
    setBuckets(h, buckets);
  }
  return hp;
}

/** Go's incrnoverflow: exact below B = 16, then a 1/2^(B−15) coin. */
export function incrnoverflow(h: hmap): void {
  let B = <u32>h.B;
  if (B < 16) {
    h.noverflow++;
    return;
  }
  let mask = (<u32>1 << (B - 15)) - 1;
  if ((fastrand() & mask) == 0) h.noverflow++;
}

/** The map's mapextra, allocated on first use; 0 when out of memory. */
export function createOverflow(h: hmap): mapextra {
  if (h.extra == 0) {
    allocAt(AllocSite.createOverflow);
    let e = mallocgc(MAPEXTRA_SIZE, ObjType.MAPEXTRA);
    if (e == 0) return changetype<mapextra>(0);
    setExtra(h, e);
  }
  return changetype<mapextra>(<usize>h.extra);
}

/** Make sure extra.overflow can take `n` more pointers without allocating. */
function ensureOverflowCap(e: mapextra, n: u32): bool {
  let need = e.overflowLen + n;
  if (need <= e.overflowCap) return true;
  allocAt(AllocSite.newoverflow_growslice);
  return growOverflowList(e, need);
}

/** Replace extra.overflow by a list with room for at least `need` pointers
 *  (a new list when there is none). The list it replaces gets a link to
 *  the new one in its last word (hmap.ts: an iterator holding the old list
 *  keeps every overflow bucket recorded after it). False, with nothing
 *  changed, when out of memory. */
function growOverflowList(e: mapextra, need: u32): bool {
  // Go's growslice doubles; one word more for the link, and the list takes
  // the whole size class it gets.
  let words = max<u64>(max<u64>((<u64>e.overflowCap + 1) << 1, <u64>need + 1), 8);
  let bytes = roundupsize(words << 2);
  if (bytes > MAX_ALLOC) return false;
  // The caller set the site (ensureOverflowCap or createOverflowList).
  let arr = mallocgc(<usize>bytes, ObjType.PTRARRAY);
  if (arr == 0) return false;
  let old = <usize>e.overflow;
  if (e.overflowLen != 0) {
    bulkBarrierPreWrite(arr, old, <usize>e.overflowLen);
    memory.copy(arr, old, <usize>e.overflowLen << 2);
  }
  if (old != 0) writePointer(old + (<usize>e.overflowCap << 2), arr);
  setOverflowList(e, arr);
  e.overflowCap = <u32>(bytes >> 2) - 1;
  return true;
}

/** Go's createOverflow as mapiterinit calls it: make sure the map has a
 *  mapextra and an overflow list for its current array, so an iterator can
 *  hold the list that every later overflow bucket of that array will be
 *  reachable from. False when out of memory. */
export function createOverflowList(h: hmap): bool {
  let e = createOverflow(h);
  if (changetype<usize>(e) == 0) return false;
  if (e.overflow != 0) return true;
  allocAt(AllocSite.createOverflow);
  return growOverflowList(e, 0);
}

/** Reserve `n` overflow buckets for the operation about to run. Returns
 *  false (having changed nothing the map's contents depend on) when out of
 *  memory. */
export function reserveOverflow<K, V>(h: hmap, n: u32): bool {
  reserveLeft = 0;
  if (n == 0) return true;
  let e = createOverflow(h);
  if (changetype<usize>(e) == 0) return false;
  if (!ensureOverflowCap(e, n)) return false;
  // Preallocated buckets still free after nextOverflow.
  let bsize = bucketSize<K, V>();
  let avail: u32 = 0;
  let p = <usize>e.nextOverflow;
  while (p != 0 && avail < n) {
    avail++;
    p = overflowOf<K, V>(p) == 0 ? p + bsize : 0;
  }
  if (avail < n) {
    let want = <u64>(n - avail) * <u64>bsize;
    if (want > MAX_ALLOC) return false;
    allocAt(AllocSite.newoverflow);
    let block = mallocgc(<usize>want, bucketType<K, V>());
    if (block == 0) return false;
    reserveNext = block;
    reserveLeft = n - avail;
  }
  return true;
}

/** Drop what is left of a reservation (it becomes garbage). */
export function releaseReservation(): void {
  reserveLeft = 0;
}

/** Go's newoverflow: a fresh overflow bucket linked after b. Precondition:
 *  reserveOverflow covered it, so it cannot fail. */
export function newoverflow<K, V>(h: hmap, b: usize): usize {
  let bsize = bucketSize<K, V>();
  let e = changetype<mapextra>(<usize>h.extra);
  let ovf: usize = 0;
  if (changetype<usize>(e) != 0 && e.nextOverflow != 0) {
    ovf = <usize>e.nextOverflow;
    if (overflowOf<K, V>(ovf) == 0) {
      setNextOverflow(e, ovf + bsize);
    } else {
      // The last preallocated bucket: clear its sentinel.
      setOverflow<K, V>(ovf, 0);
      setNextOverflow(e, 0);
    }
  } else if (reserveLeft != 0) {
    ovf = reserveNext;
    reserveNext += bsize;
    reserveLeft--;
  } else {
    throw new Error("newoverflow outside a reservation");
  }
  incrnoverflow(h);
  // Noscan buckets: keep the overflow bucket reachable through extra.
  e = changetype<mapextra>(<usize>h.extra);
  if (!ASC_NO_ASSERT) assert(e.overflowLen < e.overflowCap, "newoverflow: no room reserved in extra.overflow");
  writePointer(<usize>e.overflow + (<usize>e.overflowLen << 2), ovf);
  e.overflowLen++;
  setOverflow<K, V>(b, ovf);
  return ovf;
}
