// malloc.ts — object allocation: the small fast path and its slow paths.
//
// Mirrors Go 1.19 runtime/malloc.go:mallocgc, nextFreeFast, mcache.nextFree,
// mcache.allocLarge, and newobject (hostAlloc: the host's raw allocations).
//
// mallocgc(size, typ) — typ is the object's pointer layout (gc/types.ts);
// ObjType.NOSCAN (0) means no pointers, Go's noscan:
//   1. size 0 → the address of `zerobase` (all zero-size objects share it).
//   2. size <= 32 KiB: class = sizeToClass(size), spc = class<<1 | noscan.
//      Fast path: nextFreeFast(mcache.alloc[spc]) — one ctz, no calls.
//      Slow path (mallocSmallSlow): nextFreeIndex over the bitmap; when the
//      span is full, mcache.refill → mcentral.cacheSpan (sweeps or grows).
//   3. size > 32 KiB: a span of its own, ceil(size/8 KiB) pages, class 0
//      (allocLarge), put on mcentral's full swept list so the sweeper sees it.
//   4. The object is zeroed only if its span may hold old data (needzero);
//      pages fresh from memory.grow are already zero.
//   5. A scan object's type byte is recorded (span.typeBytes); while the
//      collector is marking, the new object is allocated black (its mark bit
//      set: Go's gcmarknewobject).
//   6. Heap profiling (mprof.ts): every path ends with profileTick — the
//      sample countdown minus the object's size, one branch; a sample
//      records the object and calls the host.
//   7. Only the slow paths talk to the collector (gc/gc.ts:mallocSlowHook):
//      starting a cycle when heapLive reaches the trigger, mutator assists
//      proportional to the bytes taken, proportional sweeping. The fast path
//      pays one test of gcphase.
// Returns 0 when memory cannot grow: nothing was allocated and every
// structure is as it was (the host turns that into an OutOfMemoryError).
//
// Not mirrored: Go's tiny allocator (< 16-byte noscan objects packed into a
// 16-byte block). Our smallest class is 8 bytes, so a 1..8-byte object costs
// 8 and a 9..16-byte one 16; Mallocs/Frees count every object once.
//
// Layering: mem/ sits below gc/, yet this file imports gc/ (phase.ts:
// gcphase, mark.ts: gcmarknewobject, gc.ts: mallocSlowHook and the stress
// tick, pacer.ts: addHeapLive), and gc/ imports mem/ back (the sweeper, the
// span lookups, mallocgc for the root table). That cycle is Go's own:
// malloc.go calls gcStart, gcAssistAlloc and gcmarknewobject, and mgc.go
// calls into mheap/mcentral/sweep. It stays between mem/ and gc/ — no file
// in either imports map/ (test/layers.test.ts checks it). mcache.ts
// (pacer.ts, Go's mcache.go → gcController) and mstats.ts (gc.ts and
// pacer.ts, Go's mstats.go reading memstats the collector writes) are the
// other two mem/ files that import gc/.

import { MAX_SMALL_SIZE, PAGE_SHIFT, PAGE_SIZE, sizeToClass, classSize } from "./sizeclasses";
import { nextFreeFast, nextFreeIndex, spanClassOf } from "./span";
import { cachedSpan, refill } from "./mcache";
import { allocSpan, maxPages } from "./mheap";
import { initSmallSpan, fullSwept } from "./mcentral";
import { listPush } from "./list";
import { countLargeAlloc } from "./mstats";
import { gcphase } from "../gc/phase";
import { gcmarknewobject } from "../gc/mark";
import { mallocSlowHook, stressTick, stressEvery } from "../gc/gc";
import { addHeapLive } from "../gc/pacer";
import { profileTick, allocAt, AllocSite } from "./mprof";

/** The address every zero-size allocation returns. */
export const zerobase: usize = memory.data(8, 8);

/** Allocate `size` bytes of type `typ` (gc/types.ts; ObjType.NOSCAN, 0:
 *  the object holds no heap pointers). Returns 0 when out of memory. */
export function mallocgc(size: usize, typ: u32): usize {
  if (!ASC_NO_ASSERT && stressEvery != 0) stressTick();
  if (size <= <usize>MAX_SMALL_SIZE) {
    if (size == 0) return zerobase;
    let spc = spanClassOf(sizeToClass(size), typ == 0);
    let s = cachedSpan(spc);
    let v = nextFreeFast(s);
    if (v != 0) {
      if (s.needzero) memory.fill(v, 0, s.elemsize);
      if (typ != 0) store<u8>(<usize>s.typeBytes + <usize>s.freeindex - 1, <u8>typ);
      if (gcphase != 0) gcmarknewobject(s, s.freeindex - 1);
      profileTick(s, v);
      return v;
    }
    return mallocSmallSlow(spc, typ);
  }
  return allocLarge(size, typ);
}

/** Go's mcache.nextFree plus what mallocgc does after it. */
function mallocSmallSlow(spc: u32, typ: u32): usize {
  let s = cachedSpan(spc);
  let idx = nextFreeIndex(s);
  if (idx == s.nelems) {
    mallocSlowHook(<usize>classSizeOfSpc(spc));
    s = refill(spc);
    if (changetype<usize>(s) == 0) return 0;
    idx = nextFreeIndex(s);
    if (!ASC_NO_ASSERT) assert(idx < s.nelems, "refill gave a full span");
  }
  s.allocCount++;
  let v = <usize>s.startAddr + <usize>idx * <usize>s.elemsize;
  if (s.needzero) memory.fill(v, 0, s.elemsize);
  if (typ != 0) store<u8>(<usize>s.typeBytes + <usize>idx, <u8>typ);
  if (gcphase != 0) gcmarknewobject(s, idx);
  profileTick(s, v);
  return v;
}

// @ts-ignore: decorator
@inline function classSizeOfSpc(spc: u32): u32 {
  return classSize(spc >> 1);
}

/** A large object: a span of its own (Go: mcache.allocLarge). */
function allocLarge(size: usize, typ: u32): usize {
  // Pages, computed without overflowing 32 bits near 4 GiB.
  let npages = <u32>(size >>> PAGE_SHIFT) + <u32>((size & (PAGE_SIZE - 1)) != 0);
  if (npages >= maxPages) return 0;
  mallocSlowHook(<usize>npages << PAGE_SHIFT);
  let s = allocSpan(npages);
  if (changetype<usize>(s) == 0) return 0;
  let spc = spanClassOf(0, typ == 0);
  initSmallSpan(s, spc, npages << PAGE_SHIFT, 1, 0);
  s.freeindex = 1;
  s.allocCount = 1;
  s.allocCache = 0;
  listPush(fullSwept(spc), s);
  countLargeAlloc(s.elemsize);
  addHeapLive(<u64>s.elemsize);
  if (s.needzero) memory.fill(<usize>s.startAddr, 0, <usize>s.elemsize);
  if (typ != 0) store<u8>(<usize>s.typeBytes, <u8>typ);
  if (gcphase != 0) gcmarknewobject(s, 0);
  profileTick(s, <usize>s.startAddr);
  return <usize>s.startAddr;
}

// ---------------------------------------------------------------------------
// The host's raw allocations (index.ts alloc/allocMany: the lab's, tests'
// and benchmarks' workloads, and the bytes of long keys). The caller is at
// a safe point (index.ts does that, as for every exported operation).

/** Go's newobject for the host: `size` bytes of type typ (0: no pointers,
 *  ObjType.PTRARRAY: an array of pointers). Returns 0 when out of memory. */
export function hostAlloc(size: usize, typ: u32): usize {
  allocAt(AllocSite.hostAlloc);
  return mallocgc(size, typ);
}

/** `count` objects of `size` bytes in a loop, kept by nobody (the allocator
 *  benchmark, without a boundary call per object); returns how many
 *  succeeded. */
export function hostAllocMany(size: usize, count: u32, typ: u32): u32 {
  allocAt(AllocSite.hostAlloc);
  for (let i: u32 = 0; i < count; i++) {
    if (mallocgc(size, typ) == 0) return i;
  }
  return count;
}
