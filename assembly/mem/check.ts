// check.ts — whole-structure checkers and the slow MemStats (debug build).
//
// In the spirit of mimalloc's _mi_page_is_valid and Go's checkmark mode:
// walk everything, recompute everything, compare with the fast bookkeeping.
// A failure first dumps the structure through `trace` (the host collects
// the lines into the error) and then aborts; the host marks the runtime
// dead. These functions are exported only by the debug entry (debug.ts).
//
// checkSpan(s)   one in-use span: geometry, page map, counts vs bitmaps,
//                allocCache vs allocBits, marks ⊆ allocated, sweepgen and
//                list membership.
// checkHeap()    the arena is tiled exactly by in-use spans, free runs and
//                meta pages; free runs are coalesced and listed; every
//                counter (pages, spans, metadata bytes) matches the walk.
// slowMemStats() recomputes the MemStats fields that can be recomputed from
//                the heap as it is now.

import { PAGE_SHIFT, classSize, classNelems, classNpages, classDivMagic } from "./sizeclasses";
import { mspan, SpanState, SPAN_RECORD_SIZE, bitmapBytes, isBitSet, countBits } from "./span";
import { listLength } from "./list";
import {
  META_PAGE, pageMapAt, pageMapBytes, arenaStartPage, arenaEndPage, maxPages,
  heapInusePages, heapFreePages, spansInUse, freeRunCount, onRightFreeList, linearMemoryBytes,
} from "./mheap";
import { metaPages, metaKindBytes, MetaKind } from "./fixalloc";
import { NUM_SPAN_CLASSES, centralLists, partialSwept, fullSwept, partialUnswept, fullUnswept, typeBytesSize } from "./mcentral";
import { isCached, cachedSpanCount } from "./mcache";
import { sweepgen } from "./sweep";
import { MemStat } from "./mstats";

function dumpSpan(s: mspan): void {
  trace("span: start npages nelems elemsize spanclass", 5,
    <f64>s.startAddr, <f64>s.npages, <f64>s.nelems, <f64>s.elemsize, <f64>s.spanclass);
  trace("span: freeindex allocCount sweepgen state listHead", 5,
    <f64>s.freeindex, <f64>s.allocCount, <f64>s.sweepgen, <f64>s.state, <f64>s.listHead);
  trace("heap: sweepgen arenaStartPage arenaEndPage", 3,
    <f64>sweepgen, <f64>arenaStartPage, <f64>arenaEndPage);
}

/** Check one in-use span. */
export function checkSpan(s: mspan): void {
  if (s.state != SpanState.INUSE) { dumpSpan(s); throw new Error("checkSpan: span not in use"); }
  if (s.npages == 0 || (s.startAddr & ((1 << PAGE_SHIFT) - 1)) != 0) { dumpSpan(s); throw new Error("checkSpan: bad geometry"); }
  let first = s.startAddr >>> PAGE_SHIFT;
  if (first < arenaStartPage || first + s.npages > arenaEndPage) { dumpSpan(s); throw new Error("checkSpan: outside the arena"); }
  for (let p = first; p < first + s.npages; p++) {
    if (pageMapAt(p) != changetype<u32>(s)) { dumpSpan(s); throw new Error("checkSpan: page map does not point at the span"); }
  }
  let c = <u32>s.spanclass >> 1;
  if (c != 0) {
    if (s.elemsize != classSize(c) || s.nelems != classNelems(c) || s.npages != classNpages(c) || s.divMul != classDivMagic(c)) {
      dumpSpan(s); throw new Error("checkSpan: geometry differs from the size class");
    }
  } else if (s.nelems != 1 || s.elemsize != s.npages << PAGE_SHIFT) {
    dumpSpan(s); throw new Error("checkSpan: bad large span");
  }
  let nelems = s.nelems;
  if (s.freeindex > nelems) { dumpSpan(s); throw new Error("checkSpan: freeindex past nelems"); }
  let alloc = <usize>s.allocBits;
  let mark = <usize>s.gcmarkBits;
  if (alloc == 0 || mark == 0 || alloc == mark) { dumpSpan(s); throw new Error("checkSpan: bitmaps missing"); }
  // Bits past nelems are zero.
  let words = (nelems + 63) >> 6;
  let tailBits = nelems & 63;
  if (tailBits != 0) {
    let keep = (<u64>1 << tailBits) - 1;
    let last = <usize>(words - 1) << 3;
    if ((load<u64>(alloc + last) & ~keep) != 0 || (load<u64>(mark + last) & ~keep) != 0) {
      dumpSpan(s); throw new Error("checkSpan: bitmap bits set past nelems");
    }
  }
  // Invariant 1: allocCount.
  let counted = countBits(alloc, nelems);
  for (let n: u32 = 0; n < s.freeindex; n++) if (!isBitSet(alloc, n)) counted++;
  if (counted != <u32>s.allocCount) { dumpSpan(s); throw new Error("checkSpan: allocCount differs from the bitmaps"); }
  // Marks only on allocated slots.
  for (let n: u32 = 0; n < nelems; n++) {
    if (isBitSet(mark, n) && !(n < s.freeindex || isBitSet(alloc, n))) {
      dumpSpan(s); throw new Error("checkSpan: a free slot is marked");
    }
  }
  // Invariant 2: allocCache mirrors allocBits from freeindex to the word end.
  let cached = isCached(s);
  if (s.freeindex < nelems && (cached || (s.freeindex & 63) != 0)) {
    let fi = s.freeindex;
    let end = min<u32>((fi | 63) + 1, nelems);
    for (let n = fi; n < end; n++) {
      let cacheBit = ((s.allocCache >> <u64>(n - fi)) & 1) != 0;
      if (cacheBit == isBitSet(alloc, n)) { dumpSpan(s); throw new Error("checkSpan: allocCache differs from allocBits"); }
    }
  }
  // Sweep state and list membership.
  let spc = <u32>s.spanclass;
  let head = <usize>s.listHead;
  if (cached) {
    if (s.sweepgen != sweepgen + 3 && s.sweepgen != sweepgen + 1) { dumpSpan(s); throw new Error("checkSpan: cached span with bad sweepgen"); }
    if (head != 0) { dumpSpan(s); throw new Error("checkSpan: cached span on a list"); }
  } else if (s.sweepgen == sweepgen) {
    let full = <u32>s.allocCount == nelems;
    if (head != (full ? fullSwept(spc) : partialSwept(spc))) { dumpSpan(s); throw new Error("checkSpan: swept span on the wrong list"); }
  } else if (s.sweepgen == sweepgen - 2) {
    if (head != partialUnswept(spc) && head != fullUnswept(spc)) { dumpSpan(s); throw new Error("checkSpan: unswept span on the wrong list"); }
  } else {
    dumpSpan(s); throw new Error("checkSpan: bad sweepgen");
  }
}

/** Walk the whole arena and check every structure and counter. */
export function checkHeap(): void {
  let p = arenaStartPage;
  let inuse: u32 = 0, free: u32 = 0, meta: u32 = 0, nspans: u32 = 0, nfree: u32 = 0;
  let bitmapTotal: u64 = 0, typesTotal: u64 = 0;
  let prevFree = false;
  while (p < arenaEndPage) {
    let v = pageMapAt(p);
    if (v == META_PAGE) { meta++; p++; prevFree = false; continue; }
    if (v == 0) { trace("page", 1, <f64>p); throw new Error("checkHeap: page belongs to nothing"); }
    let s = changetype<mspan>(<usize>v);
    if (s.startAddr != p << PAGE_SHIFT) { dumpSpan(s); throw new Error("checkHeap: span does not start where the walk is"); }
    if (s.state == SpanState.INUSE) {
      checkSpan(s);
      inuse += s.npages;
      nspans++;
      bitmapTotal += 2 * <u64>bitmapBytes(s.nelems);
      if (s.typeBytes != 0) typesTotal += <u64>typeBytesSize(s.nelems);
      if ((s.typeBytes != 0) != ((s.spanclass & 1) == 0)) { dumpSpan(s); throw new Error("checkHeap: scan span without type bytes (or noscan with)"); }
      prevFree = false;
    } else if (s.state == SpanState.FREE) {
      if (prevFree) { dumpSpan(s); throw new Error("checkHeap: two adjacent free runs"); }
      let last = p + s.npages - 1;
      if (last >= arenaEndPage || pageMapAt(last) != v) { dumpSpan(s); throw new Error("checkHeap: free run end not mapped"); }
      for (let q = p + 1; q < last; q++) {
        if (pageMapAt(q) != 0) { dumpSpan(s); throw new Error("checkHeap: free run interior mapped"); }
      }
      if (!onRightFreeList(s)) { dumpSpan(s); throw new Error("checkHeap: free run on the wrong list"); }
      free += s.npages;
      nfree++;
      prevFree = true;
    } else {
      dumpSpan(s); throw new Error("checkHeap: span in a bad state");
    }
    p += s.npages;
  }
  if (p != arenaEndPage) throw new Error("checkHeap: walk overran the arena");
  for (let q = arenaEndPage; q < maxPages; q++) {
    if (pageMapAt(q) != 0) { trace("page", 1, <f64>q); throw new Error("checkHeap: page map entry past the arena"); }
  }
  if (meta != metaPages) throw new Error("checkHeap: meta page count differs");
  if (inuse != heapInusePages || free != heapFreePages) throw new Error("checkHeap: page counters differ from the walk");
  if (nspans != spansInUse) throw new Error("checkHeap: span counter differs from the walk");
  if (nfree != freeRunCount()) throw new Error("checkHeap: free lists hold a run the walk did not see");
  let listed: u32 = 0;
  for (let spc: u32 = 0; spc < NUM_SPAN_CLASSES; spc++) {
    for (let i: u32 = 0; i < 4; i++) listed += listLength(centralLists + (<usize>spc << 4) + (<usize>i << 2));
  }
  let cachedCount = cachedSpanCount();
  if (listed + cachedCount != nspans) throw new Error("checkHeap: spans missing from mcentral/mcache");
  if (metaKindBytes(MetaKind.SPAN) != <u64>(nspans + nfree) * <u64>SPAN_RECORD_SIZE) throw new Error("checkHeap: span record bytes differ");
  if (metaKindBytes(MetaKind.BITMAP) != bitmapTotal) throw new Error("checkHeap: bitmap bytes differ");
  if (metaKindBytes(MetaKind.TYPES) != typesTotal) throw new Error("checkHeap: type-byte arrays differ");
}

/** Marker for MemStats fields the walk cannot recompute (cumulative ones). */
// @ts-ignore: decorator
@inline export const NOT_RECOMPUTED: u64 = u64.MAX_VALUE;

/** Recompute what the heap walk can, into a MemStat-layout buffer. */
export function slowMemStats(out: usize): void {
  for (let f = 0; f < MemStat.COUNT; f++) store<u64>(out + (<usize>f << 3), NOT_RECOMPUTED);
  let p = arenaStartPage;
  let inuse: u64 = 0, idle: u64 = 0, objects: u64 = 0, bytes: u64 = 0, bitmaps: u64 = 0, records: u64 = 0;
  while (p < arenaEndPage) {
    let v = pageMapAt(p);
    if (v == META_PAGE) { p++; continue; }
    let s = changetype<mspan>(<usize>v);
    records++;
    if (s.state == SpanState.INUSE) {
      inuse += s.npages;
      objects += s.allocCount;
      bytes += <u64>s.allocCount * <u64>s.elemsize;
      bitmaps += 2 * <u64>bitmapBytes(s.nelems);
      if (s.typeBytes != 0) bitmaps += <u64>typeBytesSize(s.nelems);
    } else {
      idle += s.npages;
    }
    p += s.npages;
  }
  store<u64>(out + (<usize>MemStat.HeapAlloc << 3), bytes);
  store<u64>(out + (<usize>MemStat.HeapObjects << 3), objects);
  store<u64>(out + (<usize>MemStat.HeapInuse << 3), inuse << PAGE_SHIFT);
  store<u64>(out + (<usize>MemStat.HeapIdle << 3), idle << PAGE_SHIFT);
  store<u64>(out + (<usize>MemStat.HeapSys << 3), (inuse + idle) << PAGE_SHIFT);
  store<u64>(out + (<usize>MemStat.MSpanInuse << 3), records * <u64>SPAN_RECORD_SIZE);
  store<u64>(out + (<usize>MemStat.GCSys << 3), bitmaps + metaKindBytes(MetaKind.GCWORK) + <u64>pageMapBytes);
  store<u64>(out + (<usize>MemStat.Sys << 3), linearMemoryBytes());
}
