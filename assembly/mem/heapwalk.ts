// heapwalk.ts — reading the page heap for the host: span records in
// address order (rt.inspectHeap, the explorer) and per-span-class totals
// (rt.spanClasses).
//
// Mirrors the walks of Go 1.19 runtime/heapdump.go (dumpobjs: every span
// of mheap_.allspans with its state, class and allocation bits) and
// mstats.go's per-class loops, over our page map instead of allspans:
//
//    for (p = arenaStartPage; p < arenaEndPage; p = nextPage(p))   (mheap.ts)
//      meta page → one record of 1 page;  span or free run → one record
//
// heapWalk. Each record is HeapRec.COUNT u32s (the field list below is the
// host's too: src/boundary.ts reads it by the exported enum's names). The
// walk is resumable: it writes at most `max` records, returns the page to
// continue from, and heapWalkCount() says how many it wrote, so the host
// pages through a heap of any size with a fixed buffer (the scratch area).
//
//    state  1 in-use span   2 free run   3 meta page (fixalloc)
//    marked popcount of gcmarkBits (meaningful while marking)
//    swept  span.sweepgen == sweepgen (swept) or sweepgen + 3 (swept and
//           cached): see sweep.ts
//
// readSpanClasses. One row of SPAN_CLASS_ROW_BYTES per span class (5 u32:
// spans, pages, slots, allocated slots, cached 0/1), summed over in-use
// spans.
//
// Both only read: no allocation, no sweeping, no state change; the host
// may call them at any time between operations.

import { PAGE_SHIFT } from "./sizeclasses";
import { arenaStartPage, arenaEndPage, spanStartingAt, nextPage, pageMapAt, META_PAGE } from "./mheap";
import { mspan, SpanState } from "./span";
import { NUM_SPAN_CLASSES } from "./mcentral";
import { isCached } from "./mcache";
import { sweepgen } from "./sweep";

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

/** Values of HeapRec.state. */
const enum RecState {
  INUSE = 1,
  FREE = 2,
  META = 3,
}

// @ts-ignore: decorator
@inline function put(rec: usize, f: HeapRec, v: u32): void {
  store<u32>(rec + (<usize>f << 2), v);
}

let walkCount: u32 = 0;

/** Write up to `max` records (HeapRec.COUNT u32 each) for the spans, free
 *  runs and metadata pages from page `from` on; returns the page to continue
 *  from (arena end when done). The record count goes to heapWalkCount(). */
export function heapWalk(from: u32, out: usize, max: u32): u32 {
  let p = from < arenaStartPage ? arenaStartPage : from;
  let n: u32 = 0;
  while (p < arenaEndPage && n < max) {
    let rec = out + <usize>n * (<usize>HeapRec.COUNT << 2);
    memory.fill(rec, 0, <usize>HeapRec.COUNT << 2);
    if (pageMapAt(p) <= META_PAGE) {
      put(rec, HeapRec.startAddr, p << PAGE_SHIFT);
      put(rec, HeapRec.npages, 1);
      put(rec, HeapRec.state, RecState.META);
    } else {
      writeSpan(rec, spanStartingAt(p));
    }
    n++;
    p = nextPage(p);
  }
  walkCount = n;
  return p;
}

function writeSpan(rec: usize, s: mspan): void {
  put(rec, HeapRec.startAddr, s.startAddr);
  put(rec, HeapRec.npages, s.npages);
  if (s.state != SpanState.INUSE) {
    put(rec, HeapRec.state, RecState.FREE);
    return;
  }
  put(rec, HeapRec.state, RecState.INUSE);
  put(rec, HeapRec.spanclass, s.spanclass);
  put(rec, HeapRec.elemsize, s.elemsize);
  put(rec, HeapRec.nelems, s.nelems);
  put(rec, HeapRec.allocCount, s.allocCount);
  put(rec, HeapRec.freeindex, s.freeindex);
  let marked: u32 = 0;
  let words = (s.nelems + 63) >> 6;
  for (let w: u32 = 0; w < words; w++) marked += <u32>popcnt(load<u64>(<usize>s.gcmarkBits + (<usize>w << 3)));
  put(rec, HeapRec.marked, marked);
  put(rec, HeapRec.swept, s.sweepgen == sweepgen || s.sweepgen == sweepgen + 3 ? 1 : 0);
  put(rec, HeapRec.cached, isCached(s) ? 1 : 0);
}

/** Records written by the last heapWalk. */
export function heapWalkCount(): u32 { return walkCount; }

/** The arena's bounds as two u32 page numbers at out: start, end (pages:
 *  a 4 GiB arena ends at byte 2^32, which no u32 holds). */
export function heapArena(out: usize): void {
  // Pages, not bytes: a 4 GiB arena's end (2^32) does not fit a u32.
  store<u32>(out, arenaStartPage);
  store<u32>(out + 4, arenaEndPage);
}

/** Bytes per span-class row written by readSpanClasses. */
export const SPAN_CLASS_ROW_BYTES: u32 = 20;

/** Per span class: spans in use, pages, slots, allocated slots, cached (0/1),
 *  u32 each, SPAN_CLASS_ROW_BYTES per class, NUM_SPAN_CLASSES rows. */
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
