// mcache.ts — the one span per span class that small allocations come from.
//
// Mirrors Go 1.19 runtime/mcache.go (refill, releaseAll). Go has one mcache
// per P; we have one P, so one mcache. `alloc[spc]` starts at `emptymspan`,
// a static span with no free slots, so the first allocation of a class takes
// the slow path without a null test on the fast path.
//
// Statistics follow Go's scheme: allocations are counted per span when the
// span leaves the cache (allocCount − allocCountBeforeCache), never on the
// fast path; readMemStats adds what the cached spans hold so far
// (cachedAllocs), which is Go's flushallmcaches without the flush.
//
// Sweep interaction: a cached span has sweepgen == mheap sweepgen + 3
// ("swept and cached"). releaseAll (called before a sweep starts) returns
// every cached span to mcentral.
//
// Layering: the one import from gc/ is the pacer's heapLive (addHeapLive /
// subHeapLive when a span enters or leaves the cache), as Go's mcache.go
// calls gcController.update. It is part of the documented mem/ ↔ gc/ cycle
// (malloc.ts explains it); nothing here imports map/.

import { mspan } from "./span";
import { NUM_SPAN_CLASSES, cacheSpan, uncacheSpan } from "./mcentral";
import { sweepgen } from "./sweep";
import { smallAllocCount } from "./mstats";
import { addHeapLive, subHeapLive } from "../gc/pacer";

/** The static empty span: nelems 0, allocCache 0. */
export const emptymspan: usize = memory.data(offsetof<mspan>(), 8);

export const mcacheAlloc: usize = memory.data(NUM_SPAN_CLASSES * 4, 4);

export function mcacheInit(): void {
  for (let i: u32 = 0; i < NUM_SPAN_CLASSES; i++) {
    store<u32>(mcacheAlloc + (<usize>i << 2), <u32>emptymspan);
  }
}

// @ts-ignore: decorator
@inline export function cachedSpan(spc: u32): mspan {
  return changetype<mspan>(<usize>load<u32>(mcacheAlloc + (<usize>spc << 2)));
}

/** Replace the cached span of class spc (which has no free slot left) with
 *  one that has free slots. Returns null when out of memory; the class then
 *  caches emptymspan. */
export function refill(spc: u32): mspan {
  let slot = mcacheAlloc + (<usize>spc << 2);
  let s = changetype<mspan>(<usize>load<u32>(slot));
  if (changetype<usize>(s) != emptymspan) {
    if (!ASC_NO_ASSERT) assert(<u32>s.allocCount == s.nelems, "refill of span with free space remaining");
    release(s);
    store<u32>(slot, <u32>emptymspan);
  }
  s = cacheSpan(spc);
  if (changetype<usize>(s) == 0) return s;
  s.sweepgen = sweepgen + 3;
  s.allocCountBeforeCache = s.allocCount;
  store<u32>(slot, changetype<u32>(s));
  // Go: heapLive grows by the span's free space now (an overestimate that
  // release() corrects), so the trigger test needs no fast-path counter.
  addHeapLive(<u64>(s.nelems - <u32>s.allocCount) * <u64>s.elemsize);
  return s;
}

function release(s: mspan): void {
  let used = <u64>(<u32>s.allocCount - <u32>s.allocCountBeforeCache);
  let c = <usize>(s.spanclass >> 1);
  let p = smallAllocCount + (c << 3);
  store<u64>(p, load<u64>(p) + used);
  subHeapLive(<u64>(s.nelems - <u32>s.allocCount) * <u64>s.elemsize);
  uncacheSpan(s);
}

/** Return every cached span to mcentral (Go: mcache.releaseAll). */
export function releaseAll(): void {
  for (let i: u32 = 0; i < NUM_SPAN_CLASSES; i++) {
    let slot = mcacheAlloc + (<usize>i << 2);
    let s = load<u32>(slot);
    if (<usize>s != emptymspan) {
      release(changetype<mspan>(<usize>s));
      store<u32>(slot, <u32>emptymspan);
    }
  }
}

/** Allocations made from cached spans and not yet counted, for class c. */
export function cachedAllocs(c: u32): u64 {
  let n: u64 = 0;
  for (let noscan: u32 = 0; noscan < 2; noscan++) {
    let s = load<u32>(mcacheAlloc + (<usize>((c << 1) | noscan) << 2));
    if (<usize>s != emptymspan) {
      let sp = changetype<mspan>(<usize>s);
      n += <u64>(<u32>sp.allocCount - <u32>sp.allocCountBeforeCache);
    }
  }
  return n;
}

/** Is span s cached right now? (heap checker) */
export function isCached(s: mspan): bool {
  let spc = <u32>s.spanclass;
  return load<u32>(mcacheAlloc + (<usize>spc << 2)) == changetype<u32>(s);
}

/** Number of classes with a span cached (heap checker). */
export function cachedSpanCount(): u32 {
  let n: u32 = 0;
  for (let i: u32 = 0; i < NUM_SPAN_CLASSES; i++) {
    if (<usize>load<u32>(mcacheAlloc + (<usize>i << 2)) != emptymspan) n++;
  }
  return n;
}
