// index.ts — the core's exports (release and debug builds).
//
// The host's boundary module (src/boundary.ts) is the only code that calls
// these. Conventions: addresses are u32 offsets into linear memory (0 is
// nil; the host reads them with >>> 0); arrays travel through the scratch
// area (`scratch()`, SCRATCH_BYTES long); failures that a caller can
// recover from are return codes, never traps.
//
// This file holds no logic: every export is a re-export of the function,
// enum or constant that implements it, a one-line forwarder (a rename, a
// type conversion, or a safe point before the call — as map/api.ts does
// for the map's operations), or a layout number taken from offsetof/sizeof
// of the one definition. Every operation that may allocate starts at a
// safe point (gc/gc.ts: where marking may end). The names are the host's
// contract (src/boundary.ts lists them): renaming one here breaks it.
//
// Where things live: init and seedRandom in proc.ts; the allocator's
// layout, statistics and heap walks in mem/ (mheap.ts, mstats.ts,
// heapwalk.ts, mprof.ts); the collector's controls in gc/; the map's
// operations in map/ (api.ts, generated, one set per key × value storage).

import { MAX_SMALL_SIZE, NUM_SIZE_CLASSES, PAGE_SIZE, classSize, classNpages, classNelems } from "./mem/sizeclasses";
import { scratchBase, SCRATCH_SIZE } from "./mem/mheap";
import { hostAlloc, hostAllocMany } from "./mem/malloc";
import { BYSIZE_CLASSES } from "./mem/mstats";
import { SPAN_RECORD_SIZE } from "./mem/span";
import { NUM_SPAN_CLASSES } from "./mem/mcentral";
import { findObject } from "./mem/mbitmap";
import { sweepgen } from "./mem/sweep";
import { MAX_SAMPLE_MEAN, memProfileRate, sampledLive, droppedSamples } from "./mem/mprof";
import { rootReserve, rootSet } from "./gc/roots";
import { safePoint, gcFull, gcStep as markStep, gcStart as startCycle, cycle, pauseNs, pauseEnd, stepLog, stepCount, STEP_LOG } from "./gc/gc";
import { gcphase } from "./gc/phase";
import { setGCPercent as setPercent } from "./gc/pacer";
import { hmap, mapextra, TopHash, Flag, dataOffset, HMAP_SIZE, MAPEXTRA_SIZE, TYP_GEN_SHIFT as GEN_SHIFT } from "./map/hmap";
import { HITER_SIZE } from "./map/iter";
import { lastBatchStatus, lastBatchCount } from "./map/batch";
import { setHooked } from "./map/unsafe";
import {
  seqWord, groupBase, SEQ_STRIPES as STRIPES, SEQ_GROUPS as GROUPS, GROUP_WORDS as GWORDS, GROUP_SLOTS as GSLOTS,
  CONTROL_CLOSED as CLOSED,
} from "./map/seqlock";

// ---------------------------------------------------------------------------
// The runtime (proc.ts) and the allocator (mem/)

export { InitResult, init, seedRandom } from "./proc";
export { minMemoryBytes, setGrowthPolicy } from "./mem/mheap";
export { MemStat, readMemStats, readBySize } from "./mem/mstats";

export const SCRATCH_BYTES: u32 = SCRATCH_SIZE;
export const PAGE_BYTES: u32 = PAGE_SIZE;
export const MAX_SMALL_BYTES: u32 = MAX_SMALL_SIZE;
export const SIZE_CLASSES: i32 = NUM_SIZE_CLASSES;
export const SPAN_CLASSES: u32 = NUM_SPAN_CLASSES;
export const BYSIZE_ENTRIES: i32 = BYSIZE_CLASSES;
export const SPAN_RECORD_BYTES: u32 = <u32>SPAN_RECORD_SIZE;

/** The scratch area's address (SCRATCH_BYTES long). */
export function scratch(): usize { return scratchBase; }

/** Raw bytes on the heap (mem/malloc.ts:hostAlloc): typ 0 = no pointers,
 *  3 = an array of pointers (gc/types.ts). 0 when out of memory. */
export function alloc(size: usize, typ: u32): usize { safePoint(); return hostAlloc(size, typ); }
/** `count` objects of `size` bytes; returns how many succeeded. */
export function allocMany(size: usize, count: u32, typ: u32): u32 { safePoint(); return hostAllocMany(size, count, typ); }

export function classBytes(c: u32): u32 { return classSize(c); }
export function classPages(c: u32): u32 { return classNpages(c); }
export function classObjects(c: u32): u32 { return classNelems(c); }

/** Base address of the heap object holding p (an interior pointer is fine);
 *  0 when p is not inside an allocated object. */
export function objectBase(p: usize): usize { return findObject(p); }
/** Goes up by 2 every time a sweep starts (once per collection). */
export function heapEpoch(): u32 { return sweepgen; }

/** The checksum of memory bytes [p, p + len) (mem/imagehash.ts): what a
 *  snapshot's memory sections are checked with. */
export { imageHash } from "./mem/imagehash";

// Heap inspection (rt.inspectHeap, rt.spanClasses, the explorer).
export { HeapRec, heapWalk, heapWalkCount, heapArena, readSpanClasses, SPAN_CLASS_ROW_BYTES } from "./mem/heapwalk";

// Heap profile (mem/mprof.ts; the host's src/profile.ts keeps the buckets).
export { AllocSite, EntryOp, setMemProfileRate } from "./mem/mprof";
/** The largest mean gap between heap-profile samples (Go's cap). */
export const MEMPROF_MAX_MEAN: u32 = MAX_SAMPLE_MEAN;
/** runtime.MemProfileRate now. */
export function memProfileRateNow(): u32 { return memProfileRate; }
/** Sampled objects still recorded on their spans (not yet freed). */
export function memProfSampledLive(): u32 { return sampledLive; }
/** Samples dropped for want of metadata memory. */
export function memProfDropped(): u32 { return droppedSamples; }

// Snapshots: checking a restored image before it is used (mem/verify.ts,
// then map/verify.ts for each map of the image's table).
export { VerifyFailure, verifyHeap } from "./mem/verify";
export { verifyMap } from "./map/verify";

// ---------------------------------------------------------------------------
// The collector (gc/)

export { ObjType } from "./gc/types";
export { gcProgress } from "./gc/gc";

/** Grow the root table to at least n slots; false when out of memory. */
export function rootsReserve(n: u32): bool { safePoint(); return rootReserve(n); }
/** Store p (0: clear) in root slot i, through the write barrier. */
export function rootsSet(i: u32, p: usize): void { rootSet(i, p); }
/** Go's runtime.GC(). */
export function gc(): void { safePoint(); gcFull(); }
/** At most `budget` bytes of mark work; returns the work done (0 when no
 *  cycle is marking). */
export function gcStep(budget: f64): f64 { return <f64>markStep(<u64>budget); }
/** Start a cycle now if none is running (for experiments and tests). */
export function gcStart(): void { startCycle(false); }
export function gcPhase(): u32 { return gcphase; }
export function setGCPercent(p: i32): i32 { return setPercent(p); }
/** The gctrace record of the last (or current) cycle. */
export function gcCycleRecord(): usize { return cycle; }
export { CycleField } from "./gc/gc";
/** Go's PauseNs and PauseEnd rings (256 u64 each). */
export function gcPauseRing(): usize { return pauseNs; }
export function gcPauseEndRing(): usize { return pauseEnd; }
/** The last GC_STEP_LOG pause durations (f32 ns, a ring) and how many
 *  pauses there have been. */
export function gcStepLog(): usize { return stepLog; }
export function gcStepCount(): u32 { return stepCount; }
export const GC_STEP_LOG: u32 = STEP_LOG;
/** The step log's kind/work ring (u32 each, gc/gc.ts) and memory.grow's
 *  statistics (bench/gc, the tests' bounds on a step's work). */
export { StepKind, stepLogMeta as gcStepMeta, growStats } from "./gc/gc";

// ---------------------------------------------------------------------------
// Maps (map/). One export set per key × value storage type, in map/api.ts;
// the layout of hmap and hiter for the host's views and inspect.

export * from "./map/api";
export { MapInfo } from "./map/check";
export { MapStatus } from "./map/status";
export { Kind } from "./map/hmap";
export { mapiterinit } from "./map/iter";
export { setAdoptRefs } from "./map/assign";
// Lookups of keys longer than the scratch area, hashed a piece at a time.
export { longHashBegin, longHashFeed, longCandidate } from "./map/longkey";

export const HMAP_BYTES: u32 = <u32>HMAP_SIZE;
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
export const MAPEXTRA_overflow: u32 = <u32>offsetof<mapextra>("overflow");
export const MAPEXTRA_overflowLen: u32 = <u32>offsetof<mapextra>("overflowLen");
export const MAPEXTRA_oldoverflow: u32 = <u32>offsetof<mapextra>("oldoverflow");
export const MAPEXTRA_oldoverflowLen: u32 = <u32>offsetof<mapextra>("oldoverflowLen");

export function batchStatus(): i32 { return <i32>lastBatchStatus; }
export function batchCount(): u32 { return lastBatchCount; }

// The unsafe escape hatch (map/unsafe.ts; the host's src/unsafe.ts gates it).
export { HookOp } from "./map/unsafe";

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
export const TYP_GEN_SHIFT: u32 = GEN_SHIFT;

/** Install (on) or remove the assign/delete hook flag of a map. */
export function mapSetHooked(h: usize, on: bool): void { setHooked(h, on); }

// ---------------------------------------------------------------------------
// Shared memory (map/seqlock.ts; the host's src/reader.ts is the reader side)

export { setShared, controlWord, closeShared, retireMap, groupTable, pendingSlot } from "./map/seqlock";
/** The address of map h's map word (readers load it around a lookup). */
export function seqAddress(h: usize): usize { return seqWord(h); }
/** The index, in the group table, of map h's group 0 (group g: g * stride + base). */
export function seqGroupBase(h: usize): usize { return groupBase(h); }
/** The distance, in words, between a map's consecutive group words. */
export function seqGroupStride(): u32 { return GSLOTS; }
export const SEQ_STRIPE_COUNT: u32 = STRIPES;
/** Group words per map (readers: key hash x is in group x & (count - 1) & ((2^B - 1) >> 1)). */
export function seqGroupCount(): u32 { return GROUPS; }
/** Words in the group table. */
export function seqGroupWords(): u32 { return GWORDS; }
export const CONTROL_CLOSED: u32 = CLOSED;
