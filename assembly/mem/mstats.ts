// mstats.ts — heap statistics, declared once as a field list.
//
// Mirrors Go 1.19 runtime/mstats.go (MemStats, readmemstats_m) for the
// fields that exist so far. `MemStat` is the single field list: the core
// writes one u64 per member, and the host builds its MemStats object from
// the exported enum names (`MemStat.HeapAlloc` …), so no index is typed
// twice.
//
// Counters kept (Go's consistent heap stats, minus the per-P sharding):
//   smallAllocCount[c]  objects of class c counted when their span left the
//                       mcache (plus cachedAllocs(c) at read time)
//   smallFreeCount[c]   objects of class c freed by the sweeper
//   largeAlloc{Count,Bytes}, largeFree{Count,Bytes}
//
// Definitions (all in bytes unless noted), with Go's identities:
//   Mallocs     = Σ smallAllocCount + largeAllocCount           (objects)
//   Frees       = Σ smallFreeCount + largeFreeCount             (objects)
//   HeapObjects = Mallocs − Frees
//   TotalAlloc  = Σ smallAllocCount[c]·size[c] + largeAllocBytes
//   HeapAlloc   = TotalAlloc − (Σ smallFreeCount[c]·size[c] + largeFreeBytes)
//                 (size-class granularity; unswept garbage still counts)
//   HeapInuse   = pages in in-use spans · 8192
//   HeapIdle    = pages in free runs · 8192
//   HeapSys     = HeapInuse + HeapIdle
//   HeapReleased = 0: WebAssembly memory cannot give pages back to the host
//   MSpanInuse  = MSpanSys = live span records · 64
//   GCSys       = page map + live allocBits/gcmarkBits + type bytes + grey queue
//   Sys         = linear memory size = HeapSys + MSpanSys + GCSys + OtherSys
//   OtherSys    = static data, the host scratch area, free metadata blocks
//   NextGC      = the heap goal (0 when GOGC is off); LastGC ns since the
//                 host's time origin (the host adds the origin); NumGC,
//                 NumForcedGC, PauseTotalNs as Go (gc/gc.ts)
//
// Layering: readMemStats reads the collector's counters (gc/gc.ts) and the
// heap goal (gc/pacer.ts), as Go's mstats.go reads the memstats and
// gcController fields mgc.go writes: part of the documented mem/ ↔ gc/
// cycle (malloc.ts explains it); nothing here imports map/.

import { NUM_SIZE_CLASSES, PAGE_SHIFT, classSize } from "./sizeclasses";
import { heapInusePages, heapFreePages, pageMapBytes, linearMemoryBytes } from "./mheap";
import { metaKindBytes, MetaKind } from "./fixalloc";
import { cachedAllocs } from "./mcache";
import { numgc, numForcedGC, pauseTotalNs, lastGCns, gcCpuNs, maxPauseNs } from "../gc/gc";
import { heapGoal } from "../gc/pacer";

export const smallAllocCount: usize = memory.data(NUM_SIZE_CLASSES * 8, 8);
export const smallFreeCount: usize = memory.data(NUM_SIZE_CLASSES * 8, 8);
let largeAllocCount: u64 = 0;
let largeAllocBytes: u64 = 0;
let largeFreeCount: u64 = 0;
let largeFreeBytes: u64 = 0;

/** MemStats fields, in the order readMemStats writes them. */
export enum MemStat {
  HeapAlloc,
  TotalAlloc,
  Sys,
  Mallocs,
  Frees,
  HeapSys,
  HeapIdle,
  HeapInuse,
  HeapReleased,
  HeapObjects,
  MSpanInuse,
  MSpanSys,
  GCSys,
  OtherSys,
  NextGC,
  LastGC,
  NumGC,
  NumForcedGC,
  PauseTotalNs,
  /** Ours: GC time in ns since the runtime began (the host derives Go's
   *  GCCPUFraction from it). */
  GCCPUNanos,
  /** Ours: the longest single GC pause (mark step) so far, ns. */
  MaxPauseNs,
  COUNT,
}

/** Go reports BySize for classes 0..60 only (the last is 18432 B). */
// @ts-ignore: decorator
@inline export const BYSIZE_CLASSES: i32 = 61;

export function countSmallFree(c: u32, n: u32): void {
  let p = smallFreeCount + (<usize>c << 3);
  store<u64>(p, load<u64>(p) + n);
}

export function countLargeAlloc(bytes: u32): void {
  largeAllocCount++;
  largeAllocBytes += bytes;
}

export function countLargeFree(bytes: u32): void {
  largeFreeCount++;
  largeFreeBytes += bytes;
}

// @ts-ignore: decorator
@inline function smallAllocs(c: i32): u64 {
  return load<u64>(smallAllocCount + (<usize>c << 3)) + cachedAllocs(<u32>c);
}

// @ts-ignore: decorator
@inline function smallFrees(c: i32): u64 {
  return load<u64>(smallFreeCount + (<usize>c << 3));
}

// @ts-ignore: decorator
@inline function put(out: usize, f: MemStat, v: u64): void {
  store<u64>(out + (<usize>f << 3), v);
}

/** Write MemStat.COUNT u64 values to out. */
export function readMemStats(out: usize): void {
  let mallocs = largeAllocCount;
  let frees = largeFreeCount;
  let totalAlloc = largeAllocBytes;
  let totalFree = largeFreeBytes;
  for (let c = 1; c < NUM_SIZE_CLASSES; c++) {
    let size = <u64>classSize(<u32>c);
    let a = smallAllocs(c);
    let f = smallFrees(c);
    mallocs += a;
    frees += f;
    totalAlloc += a * size;
    totalFree += f * size;
  }
  let heapInuse = <u64>heapInusePages << PAGE_SHIFT;
  let heapIdle = <u64>heapFreePages << PAGE_SHIFT;
  let mspan = metaKindBytes(MetaKind.SPAN);
  let gcsys = metaKindBytes(MetaKind.BITMAP) + metaKindBytes(MetaKind.TYPES) + metaKindBytes(MetaKind.GCWORK) + <u64>pageMapBytes;
  let sys = linearMemoryBytes();
  put(out, MemStat.HeapAlloc, totalAlloc - totalFree);
  put(out, MemStat.TotalAlloc, totalAlloc);
  put(out, MemStat.Sys, sys);
  put(out, MemStat.Mallocs, mallocs);
  put(out, MemStat.Frees, frees);
  put(out, MemStat.HeapSys, heapInuse + heapIdle);
  put(out, MemStat.HeapIdle, heapIdle);
  put(out, MemStat.HeapInuse, heapInuse);
  put(out, MemStat.HeapReleased, 0);
  put(out, MemStat.HeapObjects, mallocs - frees);
  put(out, MemStat.MSpanInuse, mspan);
  put(out, MemStat.MSpanSys, mspan);
  put(out, MemStat.GCSys, gcsys);
  put(out, MemStat.OtherSys, sys - (heapInuse + heapIdle) - mspan - gcsys);
  put(out, MemStat.NextGC, heapGoal == u64.MAX_VALUE ? 0 : heapGoal);
  put(out, MemStat.LastGC, lastGCns);
  put(out, MemStat.NumGC, numgc);
  put(out, MemStat.NumForcedGC, numForcedGC);
  put(out, MemStat.PauseTotalNs, pauseTotalNs);
  put(out, MemStat.GCCPUNanos, gcCpuNs);
  put(out, MemStat.MaxPauseNs, maxPauseNs);
}

/** Write BYSIZE_CLASSES × {Size, Mallocs, Frees} u64 triples to out. */
export function readBySize(out: usize): void {
  for (let c = 0; c < BYSIZE_CLASSES; c++) {
    let p = out + <usize>c * 24;
    store<u64>(p, c == 0 ? 0 : <u64>classSize(<u32>c));
    store<u64>(p + 8, c == 0 ? 0 : smallAllocs(c));
    store<u64>(p + 16, c == 0 ? 0 : smallFrees(c));
  }
}
