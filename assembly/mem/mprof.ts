// mprof.ts — heap-profile sampling: the countdown, the allocation site,
// the per-span "specials" of sampled objects, and the two host calls.
//
// Mirrors Go 1.19 runtime/malloc.go (the MemProfileRate test at the end of
// mallocgc, profilealloc, nextSample, fastexprand) and the profile half of
// mheap.go's specials (specialprofile, setprofilebucket) and
// mgcsweep.go:sweepLocked.sweep's step 1 (freeSpecial → mProf_Free).
// The buckets, the cycle bookkeeping and the pprof encoding live in the
// host (src/profile.ts): the core only says "this object was sampled" and
// "this sampled object was freed".
//
// Sampling (a Poisson process over allocated bytes, Go's):
//   1. `nextSample` counts down the bytes to the next sample. mallocgc,
//      after an object is ready, does `nextSample -= elemsize` and one
//      branch (profileTick); that is all the fast path pays.
//   2. When it reaches 0 or below, profilealloc (cold, out of line): draws
//      the next gap, exponential with mean `memProfileRate` (fastexprand,
//      from the runtime's one fastrand, mem/fastrand.ts, as Go draws from
//      m.fastrand), records a special for the object on its span, and
//      calls the host with (address, elemsize, allocSite).
//   3. rate 1 samples every allocation (the gap is 0); rate 0 never samples
//      (the countdown starts at i64.MAX).
//   Sizes are size-class sizes (a 1000-byte object counts 1024), as Go's
//   `size` is by the time it reaches profilealloc.
//
// The allocation site. Every core routine that calls mallocgc first sets
// `allocSite` (allocAt(AllocSite.x)): one store of a constant. The host
// turns the site's name into frames ("hashGrow_makeBucketArray" →
// hashGrow → makeBucketArray) below the public operation it reads from the
// JS stack, and "mallocgc" at the leaf. AllocSite is exported, so the
// names are written only here.
//
// Specials. A sampled object gets an 8-byte record in metadata (fixalloc,
// MetaKind.PROFILE; counted in OtherSys as Go counts specialprofilealloc):
//
//    0       4       8
//    ├───────┼───────┤
//    │ next  │ index │     next: the span's next special (0 ends the list)
//    └───────┴───────┘     index: the object's slot in the span
//
// The list hangs off mspan.specials, unsorted (Go sorts by offset because
// it also looks specials up by object; we only ever walk the whole list).
// sweepSpan calls sweepSpecials before it swaps the bitmaps, only when
// specials != 0 — one branch for every span without sampled objects. An
// object whose mark bit is clear is being freed: its special is dropped
// and the host is told (Go: mProf_Free). A large object is a span with one
// slot, so a freed large object is reported the same way before its pages
// go back to the heap. Invariant (checkSpecials): every special names an
// allocated slot of its span, and no span on its way to the page heap has
// one.
//
// Out of metadata memory while recording a special: the sample is dropped
// (counted in droppedSamples); the host is not told, so nothing it holds
// can wait for a free that will never come.

import { mspan, SpanState } from "./span";
import { metaAlloc, metaFree, metaEnsure, MetaKind } from "./fixalloc";
import { isBitSet } from "./span";
import { isAllocated } from "./mbitmap";
import { arenaStartPage, arenaEndPage, spanStartingAt, nextPage } from "./mheap";
import { fastrand } from "./fastrand";

// @ts-ignore: decorator
@external("env", "memProfAlloc")
declare function hostMemProfAlloc(p: usize, size: u32, site: u32, op: u32): void;
// @ts-ignore: decorator
@external("env", "memProfFree")
declare function hostMemProfFree(p: usize): void;

/** Who is allocating: set by each core routine right before mallocgc.
 *  An underscore separates frames, outermost first. */
export enum AllocSite {
  /** No routine said (a bug: every mallocgc caller sets a site). */
  unknown = 0,
  /** Raw bytes for the host (index.ts alloc/allocMany: long keys, tests). */
  hostAlloc = 1,
  /** The hmap, and its mapextra when the array has preallocated overflow buckets. */
  makemap = 2,
  /** make(map, hint)'s bucket array. */
  makemap_makeBucketArray = 3,
  /** A B = 0 map's first bucket, made lazily by the first insert. */
  mapassign = 4,
  /** The doubled (or same-size) array of a grow. */
  hashGrow_makeBucketArray = 5,
  /** mapextra, made on first need; a noscan map's first extra.overflow
   *  when an iteration starts (Go's createOverflow in mapiterinit). */
  createOverflow = 6,
  /** Overflow buckets (reserved as one block before the write that links them). */
  newoverflow = 7,
  /** extra.overflow, the pointer array that keeps noscan overflow buckets alive. */
  newoverflow_growslice = 8,
  /** The heap copy of a string/bytes key or value. */
  newStr = 9,
  /** The host's root table (maps, pins, iterators). */
  rootReserve = 10,
}

export let allocSite: u32 = AllocSite.unknown;

/** The public single-call operation a core call serves, for heap-profile
 *  frames: set by the generated set/delete exports (map/api.ts) around
 *  their work. The host labels everything else itself; its hot paths
 *  (m.set, m.delete) cannot afford a store per call (bench/maps measured
 *  +40 % on a u32 delete), a wasm global store costs nothing there. */
export enum EntryOp {
  /** The host's label says (src/profile.ts currentOp). */
  NONE = 0,
  /** GoMap.set */
  SET = 1,
  /** GoMap.delete */
  DELETE = 2,
}
export let entryOp: u32 = EntryOp.NONE;
// @ts-ignore: decorator
@inline export function enterOp(op: EntryOp): void {
  entryOp = <u32>op;
}

/** Open a set/delete export: its label is set before anything else and
 *  cleared when it returns, so a label still set here means an earlier call
 *  never returned — a trap or a stack overflow unwound through it, and the
 *  heap or a map may be half-way through a change. Abort (the runtime is
 *  then dead) rather than work on it; the host notices most such unwinds
 *  itself, this catches the rest (a catch with no stack left to report). */
// @ts-ignore: decorator
@inline export function openEntry(op: EntryOp): void {
  if (entryOp != <u32>EntryOp.NONE) abort("an earlier set/delete never returned (a trap unwound through it)");
  entryOp = <u32>op;
}

/** Set the site of the next mallocgc. */
// @ts-ignore: decorator
@inline export function allocAt(site: AllocSite): void {
  allocSite = <u32>site;
}

/** Go's MemProfileRate: mean bytes between samples (0: off, 1: every object). */
export let memProfileRate: u32 = 512 * 1024;
/** Bytes left before the next sample (Go: mcache.nextSample). */
export let nextSample: i64 = 0;
/** Sampled objects not yet freed (specials in the heap). */
export let sampledLive: u32 = 0;
/** Samples lost because no metadata memory was left for their special. */
export let droppedSamples: u32 = 0;

/** One 8-byte special (see the diagram above). */
@unmanaged
export class special {
  next: u32;
  index: u32;
}

// @ts-ignore: decorator
@inline export const SPECIAL_SIZE: u32 = 8;

/** The largest mean gap drawn (Go's fastexprand cap; exported to the host,
 *  which unbiases with it). */
export const MAX_SAMPLE_MEAN: u32 = 0x7000000;

/** Go's fastexprand: an exponential variate with the given mean, from 26
 *  random bits of the runtime's fastrand (mem/fastrand.ts), at least 1.
 *  The mean is capped at MAX_SAMPLE_MEAN as in Go (the largest step is
 *  then about 20 × that). */
function fastexprand(mean: u32): i64 {
  if (mean > MAX_SAMPLE_MEAN) mean = MAX_SAMPLE_MEAN;
  if (mean == 0) return 0;
  let q = <f64>((fastrand() >> 6) + 1);     // 1 .. 2^26
  let x = -Math.log(q / 67108864.0) * <f64>mean;
  return <i64>x + 1;
}

/** Go's nextSample: the bytes until the next sample. */
function nextSampleGap(): i64 {
  let rate = memProfileRate;
  if (rate == 0) return i64.MAX_VALUE;
  if (rate == 1) return 0;
  return fastexprand(rate);
}

/** Draw a fresh countdown: after fastrand is seeded (proc.ts:seedRandom),
 *  so the first sample point depends on the seed (Go: allocmcache draws
 *  mcache.nextSample after fastrandinit). */
export function resetNextSample(): void {
  nextSample = nextSampleGap();
}

/** Set the rate (runtime.MemProfileRate) and start a fresh countdown;
 *  returns the previous rate. */
export function setMemProfileRate(rate: u32): u32 {
  let old = memProfileRate;
  memProfileRate = rate;
  nextSample = nextSampleGap();
  return old;
}

/** The tail of every mallocgc path: count the object's bytes down, and
 *  sample when the countdown runs out. One subtraction and one branch. */
// @ts-ignore: decorator
@inline export function profileTick(s: mspan, v: usize): void {
  let n = nextSample - <i64>s.elemsize;
  nextSample = n;
  if (n <= 0) profilealloc(s, v);
}

/** Go's profilealloc + setprofilebucket: record the sampled object on its
 *  span and tell the host. Cold. */
// @ts-ignore: decorator
@noinline function profilealloc(s: mspan, v: usize): void {
  nextSample = nextSampleGap();
  let p = metaAlloc(SPECIAL_SIZE, MetaKind.PROFILE);
  if (p == 0 && metaEnsure(SPECIAL_SIZE)) p = metaAlloc(SPECIAL_SIZE, MetaKind.PROFILE);
  if (p == 0) {
    droppedSamples++;
    return;
  }
  let sp = changetype<special>(p);
  sp.index = <u32>((v - <usize>s.startAddr) / <usize>s.elemsize);
  sp.next = s.specials;
  s.specials = <u32>p;
  sampledLive++;
  hostMemProfAlloc(v, s.elemsize, allocSite, entryOp);
}

/** Sweep step 1 for a span with specials (the caller tests specials != 0):
 *  every sampled object whose mark bit is clear is being freed. */
export function sweepSpecials(s: mspan, markBits: usize): void {
  let link = changetype<usize>(s) + offsetof<mspan>("specials");
  let p = <usize>load<u32>(link);
  while (p != 0) {
    let sp = changetype<special>(p);
    let next = <usize>sp.next;
    if (!isBitSet(markBits, sp.index)) {
      store<u32>(link, <u32>next);
      hostMemProfFree(<usize>s.startAddr + <usize>sp.index * <usize>s.elemsize);
      metaFree(p, SPECIAL_SIZE, MetaKind.PROFILE);
      sampledLive--;
    } else {
      link = p + offsetof<special>("next");
    }
    p = next;
  }
}

/** Checker: every special of every in-use span names an allocated slot;
 *  free runs carry none. Aborts on a broken invariant; returns the number
 *  of specials, which must equal sampledLive. */
export function checkSpecials(): u32 {
  let n: u32 = 0;
  for (let pg = arenaStartPage; pg < arenaEndPage; pg = nextPage(pg)) {
    let s = spanStartingAt(pg);
    if (changetype<usize>(s) == 0) continue;
    if (s.state != SpanState.INUSE) {
      if (s.specials != 0) throw new Error("checkSpecials: a free run has specials");
      continue;
    }
    for (let p = <usize>s.specials; p != 0; p = <usize>changetype<special>(p).next) {
      let idx = changetype<special>(p).index;
      if (idx >= s.nelems) throw new Error("checkSpecials: special past the span's slots");
      if (!isAllocated(s, idx)) throw new Error("checkSpecials: special on a free slot");
      n++;
    }
  }
  if (n != sampledLive) throw new Error("checkSpecials: count differs from sampledLive");
  return n;
}
