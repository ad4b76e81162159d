// index.ts — the core's exports (release and debug builds).
//
// The host's boundary module (src/boundary.ts) is the only code that calls
// these. Conventions: addresses are u32 offsets into linear memory (0 is
// nil; the host reads them with >>> 0); arrays travel through the scratch
// area (`scratch()`, SCRATCH_BYTES long); failures that a caller can
// recover from are return codes, never traps.

import { MAX_SMALL_SIZE, NUM_SIZE_CLASSES, PAGE_SIZE, classSize, classNpages, classNelems } from "./mem/sizeclasses";
import { heapInit, scratchBase, SCRATCH_SIZE, arenaStartPage, arenaEndPage, spanStartingAt, nextPage } from "./mem/mheap";
import { mcacheInit } from "./mem/mcache";
import { mallocgc } from "./mem/malloc";
import { readMemStats as readStats, readBySize as readClasses, BYSIZE_CLASSES } from "./mem/mstats";
import { mspan, SpanState, SPAN_RECORD_SIZE } from "./mem/span";
import { NUM_SPAN_CLASSES } from "./mem/mcentral";
import { typesInit } from "./gc/types";
import { defineBucketTypes } from "./map/make";
import { rootReserve, rootSet } from "./gc/roots";
import { safePoint, gcFull, gcStep, gcStart, cycle, CycleRecord, pauseNs, pauseEnd, stepLog, stepCount, STEP_LOG } from "./gc/gc";
import { gcphase } from "./gc/phase";
import { setGCPercent as setPercent } from "./gc/pacer";
import { isCached } from "./mem/mcache";
import { allocAt, AllocSite, memProfSeed } from "./mem/mprof";

export { MemStat } from "./mem/mstats";

/** Result codes of init. */
export enum InitResult {
  OK = 0,
  TOO_SMALL = 1,
}

export const SCRATCH_BYTES: u32 = SCRATCH_SIZE;
export const PAGE_BYTES: u32 = PAGE_SIZE;
export const MAX_SMALL_BYTES: u32 = MAX_SMALL_SIZE;
export const SIZE_CLASSES: i32 = NUM_SIZE_CLASSES;
export const SPAN_CLASSES: u32 = NUM_SPAN_CLASSES;
export const BYSIZE_ENTRIES: i32 = BYSIZE_CLASSES;
export const SPAN_RECORD_BYTES: u32 = <u32>SPAN_RECORD_SIZE;
/** Bytes per span-class row written by readSpanClasses. */
export const SPAN_CLASS_ROW_BYTES: u32 = 20;

/** Lay out the heap for a memory capped at maxWasmPages 64 KiB pages. */
export function init(maxWasmPages: u32): InitResult {
  mcacheInit();
  typesInit();
  defineBucketTypes();
  if (!heapInit(maxWasmPages)) return InitResult.TOO_SMALL;
  if (!rootReserve(64)) return InitResult.TOO_SMALL;
  return InitResult.OK;
}

/** Bytes of linear memory the core needs before its first heap page, for
 *  a cap of maxWasmPages (so the host can explain a too-small maxMemory). */
export function minMemoryBytes(maxWasmPages: u32): u32 {
  let pageMapBytes = maxWasmPages * 8 * 4;
  let end = ((__heap_base + 15) & ~15) + pageMapBytes + 15 + SCRATCH_SIZE;
  end = (end + PAGE_SIZE - 1) & ~(<usize>PAGE_SIZE - 1);
  return <u32>end + 2 * PAGE_SIZE; // one meta page, one heap page
}

export function scratch(): usize {
  return scratchBase;
}

export function readMemStats(out: usize): void {
  readStats(out);
}

export function readBySize(out: usize): void {
  readClasses(out);
}

/** Allocate raw bytes on the heap (the lab's, tests' and benchmarks'
 *  workloads): typ 0 = no pointers, 3 = an array of pointers
 *  (gc/types.ts). Returns 0 when out of memory. */
export function alloc(size: usize, typ: u32): usize {
  safePoint();
  allocAt(AllocSite.hostAlloc);
  return mallocgc(size, typ);
}

/** Allocate `count` objects of `size` bytes in a loop; returns how many
 *  succeeded (the allocator benchmark, without a boundary call per object). */
export function allocMany(size: usize, count: u32, typ: u32): u32 {
  safePoint();
  allocAt(AllocSite.hostAlloc);
  for (let i: u32 = 0; i < count; i++) {
    if (mallocgc(size, typ) == 0) return i;
  }
  return count;
}

// ---------------------------------------------------------------------------
// The collector (assembly/gc/)

export { ObjType } from "./gc/types";

/** Grow the root table to at least n slots; false when out of memory. */
export function rootsReserve(n: u32): bool { safePoint(); return rootReserve(n); }
/** Store p (0: clear) in root slot i, through the write barrier. */
export function rootsSet(i: u32, p: usize): void { rootSet(i, p); }
/** Go's runtime.GC(). */
export function gc(): void { safePoint(); gcFull(); }
/** At most `budget` bytes of mark work; returns the work done (0 when no
 *  cycle is marking). */
export function gcMarkStep(budget: f64): f64 { return <f64>gcStep(<u64>budget); }
/** Start a cycle now if none is running (for experiments and tests). */
export function gcBegin(): void { gcStart(false); }
export function gcPhase(): u32 { return gcphase; }
export function setGCPercent(p: i32): i32 { return setPercent(p); }
/** The gctrace record of the last (or current) cycle. */
export function gcCycleRecord(): usize { return cycle; }
export const GC_CYCLE_FIELDS: u32 = <u32>(offsetof<CycleRecord>() >> 3);
/** Go's PauseNs and PauseEnd rings (256 u64 each). */
export function gcPauseRing(): usize { return pauseNs; }
export function gcPauseEndRing(): usize { return pauseEnd; }
/** The last GC_STEP_LOG pause durations (f32 ns, a ring) and how many
 *  pauses there have been. */
export function gcStepLog(): usize { return stepLog; }
export function gcStepCount(): u32 { return stepCount; }
export const GC_STEP_LOG: u32 = STEP_LOG;

export function classBytes(c: u32): u32 { return classSize(c); }
export function classPages(c: u32): u32 { return classNpages(c); }
export function classObjects(c: u32): u32 { return classNelems(c); }

/** Per span class: spans in use, pages, slots, allocated slots, cached (0/1),
 *  u32 each, SPAN_CLASS_ROW_BYTES per class, SPAN_CLASSES rows. */
export function readSpanClasses(out: usize): void {
  memory.fill(out, 0, NUM_SPAN_CLASSES * SPAN_CLASS_ROW_BYTES);
  for (let p = arenaStartPage; p < arenaEndPage; p = nextPage(p)) {
    let s = spanStartingAt(p);
    if (changetype<usize>(s) != 0 && s.state == SpanState.INUSE) {
      let row = out + <usize>s.spanclass * SPAN_CLASS_ROW_BYTES;
      store<u32>(row, load<u32>(row) + 1);
      store<u32>(row + 4, load<u32>(row + 4) + s.npages);
      store<u32>(row + 8, load<u32>(row + 8) + s.nelems);
      store<u32>(row + 12, load<u32>(row + 12) + <u32>s.allocCount);
      if (isCached(s)) store<u32>(row + 16, 1);
    }
  }
}

// ---------------------------------------------------------------------------
// Maps (assembly/map/). One export set per key × value storage type, in
// map/api.ts; the layout of hmap, hiter and the field list of inspect here.

export * from "./map/api";
export { MapInfo } from "./map/check";
import { hmap, mapextra } from "./map/hmap";
export { Kind } from "./map/hmap";
import { mapiterinit as iterinitImpl, hiter, HITER_SIZE } from "./map/iter";
import { lastBatchStatus, lastBatchCount } from "./map/batch";
import { fastrandSeed } from "./map/hash";
import { HMAP_SIZE as HMAP_BYTES_, MAPEXTRA_SIZE } from "./map/hmap";

export const HMAP_BYTES: u32 = <u32>HMAP_BYTES_;
export const HITER_BYTES: u32 = <u32>HITER_SIZE;
export const HMAP_count: u32 = <u32>offsetof<hmap>("count");
export const HMAP_flags: u32 = <u32>offsetof<hmap>("flags");
export const HMAP_B: u32 = <u32>offsetof<hmap>("B");
export const HMAP_noverflow: u32 = <u32>offsetof<hmap>("noverflow");
export const HMAP_hash0: u32 = <u32>offsetof<hmap>("hash0");
export const HMAP_buckets: u32 = <u32>offsetof<hmap>("buckets");
export const HMAP_oldbuckets: u32 = <u32>offsetof<hmap>("oldbuckets");
export const HMAP_nevacuate: u32 = <u32>offsetof<hmap>("nevacuate");
export const HMAP_extra: u32 = <u32>offsetof<hmap>("extra");
export const HMAP_typ: u32 = <u32>offsetof<hmap>("typ");
export const MAPEXTRA_BYTES: u32 = <u32>MAPEXTRA_SIZE;

/** Start an iteration; the snapshot's bucket array and the map's overflow
 *  lists go into root slots s0..s2, so they outlive a grow and a collection
 *  while the host iterates (Go's hiter.buckets/overflow/oldoverflow). */
export function mapiterinit(h: usize, it: usize, r: u32, s0: u32, s1: u32, s2: u32): void {
  iterinitImpl(h, it, r);
  let m = changetype<hmap>(h);
  rootSet(s0, <usize>m.buckets);
  let e = changetype<mapextra>(<usize>m.extra);
  rootSet(s1, changetype<usize>(e) != 0 ? <usize>e.overflow : 0);
  rootSet(s2, changetype<usize>(e) != 0 ? <usize>e.oldoverflow : 0);
}
export function batchStatus(): i32 { return <i32>lastBatchStatus; }
export function batchCount(): u32 { return lastBatchCount; }
export function seedRandom(lo: u32, hi: u32): void {
  fastrandSeed((<u64>hi << 32) | <u64>lo);
  memProfSeed((<u64>hi << 32) | <u64>lo);
}

// ---------------------------------------------------------------------------
// The unsafe escape hatch (map/unsafe.ts; the host's src/unsafe.ts gates it)

export { HookOp } from "./map/unsafe";
import { setHooked } from "./map/unsafe";
import { TopHash, dataOffset, Flag } from "./map/hmap";
import { findObject } from "./mem/mbitmap";
import { sweepgen } from "./mem/sweep";
import { inHook } from "./gc/gc";

/** tophash sentinels, for the host's bucket views (values from hmap.ts). */
export enum TOPHASH {
  EMPTY_REST = TopHash.emptyRest,
  EMPTY_ONE = TopHash.emptyOne,
  EVACUATED_X = TopHash.evacuatedX,
  EVACUATED_Y = TopHash.evacuatedY,
  EVACUATED_EMPTY = TopHash.evacuatedEmpty,
  MIN_TOPHASH = TopHash.minTopHash,
}
/** Bytes of a bucket's tophash array (keys start here). */
export const TOPHASH_BYTES: u32 = <u32>dataOffset;
/** Bytes of a pointer (the overflow word). */
export const PTR_BYTES: u32 = <u32>sizeof<usize>();
/** Bit of hmap.flags set while hooks are installed. */
export const FLAG_HOOKED: u32 = <u32>Flag.hooked;
export const FLAG_HASH_WRITING: u32 = <u32>Flag.hashWriting;
export const FLAG_SAME_SIZE_GROW: u32 = <u32>Flag.sameSizeGrow;
/** hmap.typ's generation byte starts at this bit. */
export const TYP_GEN_SHIFT: u32 = 24;

/** Install (on) or remove the assign/delete hook flag of a map. */
export function mapSetHooked(h: usize, on: bool): void { setHooked(h, on); }
/** Base address of the heap object holding p (an interior pointer is fine);
 *  0 when p is not inside an allocated object. */
export function objectBase(p: usize): usize { return findObject(p); }
/** Goes up by 2 every time a sweep starts (once per collection). */
export function heapEpoch(): u32 { return sweepgen; }
/** Is the host inside a map hook right now? */
export function inMapHook(): bool { return inHook(); }

// ---------------------------------------------------------------------------
// Heap inspection (rt.inspectHeap, the explorer)

import { pageMapAt, META_PAGE } from "./mem/mheap";
import { PAGE_SHIFT as PAGE_SHIFT_ } from "./mem/sizeclasses";
import { queued } from "./gc/gcwork";
import { bytesMarked, scanWork } from "./gc/mark";
import { heapLive, heapGoal, trigger } from "./gc/pacer";

/** Fields of one heapWalk record (u32 each). */
export enum HeapRec {
  startAddr = 0,
  npages = 1,
  /** 1 in use, 2 free run, 3 collector/allocator metadata page */
  state = 2,
  spanclass = 3,
  elemsize = 4,
  nelems = 5,
  allocCount = 6,
  freeindex = 7,
  /** objects with their mark bit set (meaningful while marking) */
  marked = 8,
  /** 1 when the span is swept for this cycle */
  swept = 9,
  /** 1 when the span is some mcache's current span */
  cached = 10,
  COUNT = 11,
}

/** Write up to `max` records (HeapRec.COUNT u32 each) for the spans, free
 *  runs and metadata pages from page `from` on; returns the page to continue
 *  from (arena end when done). The record count goes to heapWalkCount(). */
let walkCount: u32 = 0;
export function heapWalk(from: u32, out: usize, max: u32): u32 {
  let p = from < arenaStartPage ? arenaStartPage : from;
  let n: u32 = 0;
  while (p < arenaEndPage && n < max) {
    let rec = out + <usize>n * (<usize>HeapRec.COUNT << 2);
    memory.fill(rec, 0, <usize>HeapRec.COUNT << 2);
    let v = pageMapAt(p);
    if (v <= META_PAGE) {
      store<u32>(rec + (HeapRec.startAddr << 2), p << PAGE_SHIFT_);
      store<u32>(rec + (HeapRec.npages << 2), 1);
      store<u32>(rec + (HeapRec.state << 2), 3);
    } else {
      let s = changetype<mspan>(<usize>v);
      store<u32>(rec + (HeapRec.startAddr << 2), s.startAddr);
      store<u32>(rec + (HeapRec.npages << 2), s.npages);
      store<u32>(rec + (HeapRec.state << 2), s.state == SpanState.INUSE ? 1 : 2);
      if (s.state == SpanState.INUSE) {
        store<u32>(rec + (HeapRec.spanclass << 2), s.spanclass);
        store<u32>(rec + (HeapRec.elemsize << 2), s.elemsize);
        store<u32>(rec + (HeapRec.nelems << 2), s.nelems);
        store<u32>(rec + (HeapRec.allocCount << 2), s.allocCount);
        store<u32>(rec + (HeapRec.freeindex << 2), s.freeindex);
        let marked: u32 = 0;
        let words = (s.nelems + 63) >> 6;
        for (let w: u32 = 0; w < words; w++) marked += <u32>popcnt(load<u64>(<usize>s.gcmarkBits + (<usize>w << 3)));
        store<u32>(rec + (HeapRec.marked << 2), marked);
        store<u32>(rec + (HeapRec.swept << 2), s.sweepgen == sweepgen || s.sweepgen == sweepgen + 3 ? 1 : 0);
        store<u32>(rec + (HeapRec.cached << 2), isCached(s) ? 1 : 0);
      }
    }
    n++;
    p = nextPage(p);
  }
  walkCount = n;
  return p;
}
export function heapWalkCount(): u32 { return walkCount; }
export function heapArena(out: usize): void {
  store<u32>(out, arenaStartPage << PAGE_SHIFT_);
  store<u32>(out + 4, arenaEndPage << PAGE_SHIFT_);
}

/** The collector's progress, f64 each: phase, heapLive, heapGoal, trigger,
 *  bytesMarked, scanWork, queued (grey objects), numgc. */
export function gcProgress(out: usize): void {
  store<f64>(out, <f64>gcphase);
  store<f64>(out + 8, <f64>heapLive);
  store<f64>(out + 16, <f64>heapGoal);
  store<f64>(out + 24, <f64>trigger);
  store<f64>(out + 32, <f64>bytesMarked);
  store<f64>(out + 40, <f64>scanWork);
  store<f64>(out + 48, <f64>queued);
  store<f64>(out + 56, <f64>numgcNow());
}
import { numgc } from "./gc/gc";
function numgcNow(): u32 { return numgc; }

// ---------------------------------------------------------------------------
// Compaction (src/compact.ts)

import { setGrowthPolicy as setGrowth } from "./mem/mheap";
/** While the host compacts into this heap: grow exactly what is needed and
 *  at most up to limitWasmPages (>= 65536: no limit but maxMemory). */
export function setGrowthPolicy(exact: bool, limitWasmPages: u32): void { setGrowth(exact, limitWasmPages); }

// ---------------------------------------------------------------------------
// Heap profile (mem/mprof.ts; the host's src/profile.ts keeps the buckets)

export { AllocSite, setMemProfileRate } from "./mem/mprof";
import { MAX_SAMPLE_MEAN } from "./mem/mprof";
/** The largest mean gap between heap-profile samples (Go's cap). */
export const MEMPROF_MAX_MEAN: u32 = MAX_SAMPLE_MEAN;
import { memProfileRate, sampledLive, droppedSamples } from "./mem/mprof";
/** runtime.MemProfileRate now. */
export function memProfileRateNow(): u32 { return memProfileRate; }
/** Sampled objects still recorded on their spans (not yet freed). */
export function memProfSampledLive(): u32 { return sampledLive; }
/** Samples dropped for want of metadata memory. */
export function memProfDropped(): u32 { return droppedSamples; }
import { setAdoptKeyRefs, setAdoptValueRefs } from "./map/assign";
/** Compaction: the next setMany stores the given string/bytes references
 *  (heap objects the host allocated in this instance) instead of copying. */
export function setAdoptRefs(keys: bool, values: bool): void {
  setAdoptKeyRefs(keys);
  setAdoptValueRefs(values);
}
