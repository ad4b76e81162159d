// mcentral.ts — per span class lists of spans that are not cached.
//
// Mirrors Go 1.19 runtime/mcentral.go (cacheSpan, uncacheSpan, grow). Go
// keeps four spanSets per span class; we keep four span lists with the same
// roles, indexed by sweepgen parity exactly as Go indexes them:
//
//    partial[sweepgen/2 % 2]      partially free, swept this cycle
//    partial[1 - sweepgen/2 % 2]  partially free, not swept yet
//    full[sweepgen/2 % 2]         full (or large), swept this cycle
//    full[1 - sweepgen/2 % 2]     full (or large), not swept yet
//
// Bumping sweepgen by 2 (sweep.ts:gcSweepStart) turns every "swept" list
// into an "unswept" one without touching a span.
//
// cacheSpan(spc), the mcache's refill source, in Go's order:
//   1. a swept partial span;
//   2. an unswept partial span, swept now (it then has free slots);
//   3. an unswept full span, swept now; used if the sweep freed something,
//      otherwise put on the swept full list (at most 100 tries in 2+3,
//      Go's spanBudget);
//   4. a fresh span from the page heap (grow).
// The span leaves cacheSpan off every list with its allocCache positioned at
// freeindex.

import { classNpages, classNelems, classSize, classDivMagic } from "./sizeclasses";
import { mspan, bitmapBytes, refillAllocCache } from "./span";
import { listPush, listPop } from "./list";
import { allocSpan } from "./mheap";
import { metaAlloc, MetaKind } from "./fixalloc";
import { sweepgen, sweepSpan } from "./sweep";

// @ts-ignore: decorator
@inline export const NUM_SPAN_CLASSES: u32 = 136;
// @ts-ignore: decorator
@inline const SPAN_BUDGET: i32 = 100;

// 4 heads per span class: partial[0], partial[1], full[0], full[1].
export const centralLists: usize = memory.data(NUM_SPAN_CLASSES * 16, 4);

// @ts-ignore: decorator
@inline function partialHead(spc: u32, which: u32): usize {
  return centralLists + (<usize>spc << 4) + (<usize>which << 2);
}
// @ts-ignore: decorator
@inline function fullHead(spc: u32, which: u32): usize {
  return centralLists + (<usize>spc << 4) + 8 + (<usize>which << 2);
}

// @ts-ignore: decorator
@inline export function partialSwept(spc: u32): usize {
  return partialHead(spc, (sweepgen >> 1) & 1);
}
// @ts-ignore: decorator
@inline export function partialUnswept(spc: u32): usize {
  return partialHead(spc, 1 - ((sweepgen >> 1) & 1));
}
// @ts-ignore: decorator
@inline export function fullSwept(spc: u32): usize {
  return fullHead(spc, (sweepgen >> 1) & 1);
}
// @ts-ignore: decorator
@inline export function fullUnswept(spc: u32): usize {
  return fullHead(spc, 1 - ((sweepgen >> 1) & 1));
}

/** A span of class spc with at least one free slot, off every list, or
 *  null when out of memory. */
export function cacheSpan(spc: u32): mspan {
  let s = listPop(partialSwept(spc));
  if (changetype<usize>(s) == 0) s = takeUnswept(spc);
  if (changetype<usize>(s) == 0) {
    s = grow(spc);
    if (changetype<usize>(s) == 0) return s;
  }
  // Position the cache at freeindex (Go: mcentral.cacheSpan "havespan").
  let freeByteBase = (s.freeindex & ~63) >> 3;
  refillAllocCache(s, freeByteBase);
  s.allocCache >>= <u64>(s.freeindex & 63);
  return s;
}

function takeUnswept(spc: u32): mspan {
  let budget = SPAN_BUDGET;
  // A partial span still has free slots after sweeping: use the first.
  let s = listPop(partialUnswept(spc));
  if (changetype<usize>(s) != 0) {
    sweepSpan(s, true);
    return s;
  }
  while (budget-- > 0) {
    s = listPop(fullUnswept(spc));
    if (changetype<usize>(s) == 0) break;
    sweepSpan(s, true);
    if (s.allocCount < <u16>s.nelems) return s;
    listPush(fullSwept(spc), s);
  }
  return changetype<mspan>(0);
}

/** Return a span the mcache no longer uses (Go: uncacheSpan). A span
 *  cached before the last sweepgen bump is swept now. */
export function uncacheSpan(s: mspan): void {
  let stale = s.sweepgen == sweepgen + 1;
  s.sweepgen = sweepgen - 2; // "needs sweeping" before the sweep, "swept" after
  if (stale) {
    sweepSpan(s, false);
    return;
  }
  s.sweepgen = sweepgen;
  let spc = <u32>s.spanclass;
  if (<u32>s.allocCount < s.nelems) listPush(partialSwept(spc), s);
  else listPush(fullSwept(spc), s);
}

/** A fresh span for class spc from the page heap (Go: mcentral.grow). */
function grow(spc: u32): mspan {
  let c = spc >> 1;
  let s = allocSpan(classNpages(c));
  if (changetype<usize>(s) == 0) return s;
  initSmallSpan(s, spc, classSize(c), classNelems(c), classDivMagic(c));
  return s;
}

/** Fill in a freshly allocated span; bitmaps come from metadata reserved by
 *  allocSpan, so this cannot fail. */
export function initSmallSpan(s: mspan, spc: u32, elemsize: u32, nelems: u32, divMul: u32): void {
  s.spanclass = <u8>spc;
  s.elemsize = elemsize;
  s.nelems = nelems;
  s.divMul = divMul;
  s.freeindex = 0;
  s.allocCount = 0;
  s.allocCountBeforeCache = 0;
  s.sweepgen = sweepgen;
  let nb = bitmapBytes(nelems);
  s.allocBits = <u32>metaAlloc(nb, MetaKind.BITMAP);
  s.gcmarkBits = <u32>metaAlloc(nb, MetaKind.BITMAP);
  // Scan spans get one type byte per slot (gc/types.ts).
  s.typeBytes = (spc & 1) == 0 ? <u32>metaAlloc(typeBytesSize(nelems), MetaKind.TYPES) : 0;
  s.allocCache = ~(<u64>0);
}

/** Bytes of a scan span's type-byte array (whole 8-byte blocks). */
// @ts-ignore: decorator
@inline export function typeBytesSize(nelems: u32): u32 {
  return (nelems + 7) & ~7;
}
