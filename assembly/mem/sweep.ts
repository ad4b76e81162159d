// sweep.ts — sweeping spans given their mark bits.
//
// Mirrors Go 1.19 runtime/mgcsweep.go (sweepLocked.sweep, sweepone,
// finishsweep_m) and mgc.go:gcSweep. The collector (assembly/gc/) only sets
// gcmarkBits; this file turns marks into free slots and free spans.
//
// sweepgen: mheap's `sweepgen` goes up by 2 when a sweep starts. A span's
// sweepgen, relative to it:
//    sg - 2   needs sweeping           sg + 1   cached before the sweep began
//    sg - 1   being swept                       (swept when it leaves the cache)
//    sg       swept                    sg + 3   swept, then cached
//
// Sweeping one span (sweepSpan), Go's steps:
//   0. Specials (only if the span has any: one branch otherwise): each
//      sampled object whose mark bit is clear is reported freed to the heap
//      profile (mprof.ts:sweepSpecials; Go: freeSpecial → mProf_Free).
//   1. nalloc = popcount(gcmarkBits); nfreed = allocCount - nalloc.
//   2. allocBits = gcmarkBits; gcmarkBits = the old allocBits, zeroed
//      (Go takes fresh bits from a gcBits arena; reusing the other buffer is
//      the same thing without an arena); freeindex = 0; allocCache from
//      word 0; allocCount = nalloc; sweepgen = sg.
//   3. nfreed > 0: count the frees; small spans get needzero = 1.
//   4. Placement (unless the caller keeps the span, `preserve`): nalloc == 0
//      → bitmaps to fixalloc and pages to the page heap; full → full swept
//      list; otherwise partial swept list.
//
// Policy: lazy *and* eager, like Go. mcentral.cacheSpan sweeps the spans it
// takes (lazy); sweepone() sweeps one span for whoever calls it; and
// finishSweep() sweeps everything left, which a new cycle does before
// marking (Go: finishsweep_m) and runtime.gc() does at the end.

import { mspan, countBits, bitmapBytes, refillAllocCache } from "./span";
import { listPush, listPop } from "./list";
import { freeSpan } from "./mheap";
import { metaFree, MetaKind } from "./fixalloc";
import { NUM_SPAN_CLASSES, fullSwept, partialSwept, fullUnswept, partialUnswept, typeBytesSize } from "./mcentral";
import { releaseAll } from "./mcache";
import { countSmallFree, countLargeFree } from "./mstats";
import { sweepSpecials } from "./mprof";

export let sweepgen: u32 = 0;
/** Next span class sweepone looks at. */
let sweepCursor: u32 = 136; // NUM_SPAN_CLASSES: nothing to sweep before the first cycle
/** Spans swept since the sweep started (for gctrace/tests). */
export let sweptSpans: u32 = 0;
/** A sweep is under way and not known to be finished (cheap to test). */
export let sweepPending: bool = false;

/** Start sweeping after mark termination (Go: gcSweep). Every span becomes
 *  "unswept": cached spans go back to mcentral first. */
export function gcSweepStart(): void {
  releaseAll();
  sweepgen += 2;
  sweepCursor = 0;
  sweptSpans = 0;
  sweepPending = true;
}

/** Sweep one span that still needs it. Returns its page count, or 0 when
 *  nothing is left to sweep. */
export function sweepone(): u32 {
  while (sweepCursor < NUM_SPAN_CLASSES) {
    let spc = sweepCursor;
    let s = listPop(partialUnswept(spc));
    if (changetype<usize>(s) == 0) s = listPop(fullUnswept(spc));
    if (changetype<usize>(s) != 0) {
      let n = s.npages;
      sweepSpan(s, false);
      return n;
    }
    sweepCursor++;
  }
  sweepPending = false;
  return 0;
}

/** Sweep everything still unswept (Go: finishsweep_m); returns how many
 *  spans that was. */
export function finishSweep(): u32 {
  let n: u32 = 0;
  while (sweepone() != 0) n++;
  return n;
}

/** Is anything left to sweep? */
export function sweepDone(): bool {
  for (let spc: u32 = sweepCursor; spc < NUM_SPAN_CLASSES; spc++) {
    if (load<u32>(partialUnswept(spc)) != 0 || load<u32>(fullUnswept(spc)) != 0) return false;
  }
  return true;
}

/** Sweep span s, which is on no list. With preserve the caller keeps it. */
export function sweepSpan(s: mspan, preserve: bool): void {
  s.sweepgen = sweepgen - 1;
  let nelems = s.nelems;
  let mark = <usize>s.gcmarkBits;
  if (s.specials != 0) sweepSpecials(s, mark);
  let nalloc = countBits(mark, nelems);
  let allocCount = <u32>s.allocCount;
  if (!ASC_NO_ASSERT) assert(nalloc <= allocCount, "sweep: marked slot was never allocated");
  let nfreed = allocCount - nalloc;
  let old = s.allocBits;
  s.allocBits = <u32>mark;
  s.gcmarkBits = old;
  memory.fill(<usize>old, 0, bitmapBytes(nelems));
  s.freeindex = 0;
  s.allocCount = <u16>nalloc;
  refillAllocCache(s, 0);
  s.sweepgen = sweepgen;
  sweptSpans++;
  let c = <u32>s.spanclass >> 1;
  if (nfreed != 0) {
    if (c == 0) countLargeFree(s.elemsize);
    else {
      countSmallFree(c, nfreed);
      s.needzero = 1;
    }
  }
  if (preserve) return;
  let spc = <u32>s.spanclass;
  if (nalloc == 0) {
    releaseSpan(s);
  } else if (nalloc == nelems) {
    listPush(fullSwept(spc), s);
  } else {
    listPush(partialSwept(spc), s);
  }
}

/** Give a span's bitmaps back to fixalloc and its pages to the heap. */
export function releaseSpan(s: mspan): void {
  if (!ASC_NO_ASSERT) assert(s.specials == 0, "releaseSpan: a sampled object is still recorded");
  let nb = bitmapBytes(s.nelems);
  metaFree(<usize>s.allocBits, nb, MetaKind.BITMAP);
  metaFree(<usize>s.gcmarkBits, nb, MetaKind.BITMAP);
  if (s.typeBytes != 0) metaFree(<usize>s.typeBytes, typeBytesSize(s.nelems), MetaKind.TYPES);
  s.allocBits = 0;
  s.gcmarkBits = 0;
  s.typeBytes = 0;
  freeSpan(s);
}
