// debug.ts — the debug build's entry: everything index.ts exports, plus the
// checkers and the test hooks (Go keeps these in export_test.go).
//
// Only the debug build (asserts on) exports these; tests drive the sweeper
// through them before the collector exists to do it.

export * from "./index";
export { checkHeap, slowMemStats } from "./mem/check";
/** The heap profile's specials checker (mem/mprof.ts): returns their count. */
export { checkSpecials } from "./mem/mprof";

import { checkSpan } from "./mem/check";
import { spanOf, arenaStartPage, arenaEndPage, spanStartingAt, nextPage } from "./mem/mheap";
import { mspan, SpanState } from "./mem/span";
import { metaPages } from "./mem/fixalloc";
import { findObject, markObject, isMarked } from "./mem/mbitmap";
import { gcSweepStart, sweepone, finishSweep } from "./mem/sweep";
import { rootsObj } from "./gc/roots";
import { hashWords2, hashBytes } from "./map/hash";
import { enterOp, EntryOp } from "./mem/mprof";

/** checkSpan on the span holding p (0 if p is in no in-use span). */
export function checkSpanOf(p: usize): bool {
  let s = spanOf(p);
  if (changetype<usize>(s) == 0) return false;
  checkSpan(s);
  return true;
}

export function dbgFindObject(p: usize): usize { return findObject(p); }
export function dbgMark(p: usize): bool { return markObject(p); }
export function dbgIsMarked(p: usize): bool { return isMarked(p); }

/** Before marking by hand (collector idle, GOGC off): finish the previous
 *  sweep so mark bits start clean. */
export function dbgPrepareMark(): void { finishSweep(); }
/** After marking by hand: start a sweep (Go: gcSweep). The root table is
 *  marked first — it is the runtime's own object, not the test's. */
export function dbgSweepStart(): void {
  markObject(rootsObj);
  gcSweepStart();
}
export function dbgSweepOne(): u32 { return sweepone(); }
export function dbgFinishSweep(): void { finishSweep(); }

/** Span fields of the span holding p, as u32s at out:
 *  startAddr, npages, nelems, elemsize, spanclass, freeindex, allocCount, needzero. */
export function dbgSpanInfo(p: usize, out: usize): bool {
  let s = spanOf(p);
  if (changetype<usize>(s) == 0) return false;
  store<u32>(out, s.startAddr);
  store<u32>(out + 4, s.npages);
  store<u32>(out + 8, s.nelems);
  store<u32>(out + 12, s.elemsize);
  store<u32>(out + 16, s.spanclass);
  store<u32>(out + 20, s.freeindex);
  store<u32>(out + 24, s.allocCount);
  store<u32>(out + 28, s.needzero);
  return true;
}

/** Break an invariant on purpose (bump the allocCount of the span holding
 *  p), so tests can see the checkers abort and the runtime die. */
export function dbgCorruptSpan(p: usize): bool {
  let s = spanOf(p);
  if (changetype<usize>(s) == 0) return false;
  s.allocCount++;
  return true;
}

/** Page-heap shape as u32s at out: free runs, pages in the largest free
 *  run, meta pages. */
export function dbgHeapShape(out: usize): void {
  let runs: u32 = 0, largest: u32 = 0;
  for (let p = arenaStartPage; p < arenaEndPage; p = nextPage(p)) {
    let s = spanStartingAt(p);
    if (changetype<usize>(s) != 0 && s.state == SpanState.FREE) { runs++; if (s.npages > largest) largest = s.npages; }
  }
  store<u32>(out, runs);
  store<u32>(out + 4, largest);
  store<u32>(out + 8, metaPages);
}

export * from "./map/api-debug";
import { hmap, Flag } from "./map/hmap";

/** Set or clear hashWriting on a map (simulates a write in progress). */
export function dbgSetWriting(h: usize, on: bool): void {
  let m = changetype<hmap>(h);
  if (on) m.flags |= <u8>Flag.hashWriting;
  else m.flags &= ~<u8>Flag.hashWriting;
}

// ---- the collector's test hooks

export { checkTriColor, triColorViolations } from "./gc/check";
import { writePointer } from "./gc/barrier";
import { setStress, setBarrierForTest } from "./gc/gc";
import { queued } from "./gc/gcwork";

/** Store target into word i of object obj through the write barrier. */
export function dbgStorePtr(obj: usize, i: u32, target: usize): void {
  writePointer(obj + (<usize>i << 2), target);
}
export function dbgLoadPtr(obj: usize, i: u32): usize {
  return <usize>load<u32>(obj + (<usize>i << 2));
}
/** Switch the write barrier off (false) to show what it protects. */
export function dbgSetBarrier(on: bool): void { setBarrierForTest(on); }
/** A cycle every `every` allocations, marking `budget` bytes per step (0: off). */
export function dbgStress(every: u32, budget: u32): void { setStress(every, budget); }
export function dbgQueued(): u32 { return queued; }

/** The map's hash of a numeric key's words, and of n bytes at p (tests
 *  check the host's JS twin, src/hash.ts, against these). */
export function dbgHashWords(lo: u32, hi: u32, hash0: u32): u64 { return hashWords2(lo, hi, hash0); }
export function dbgHashBytes(p: usize, n: u32, hash0: u32): u64 { return hashBytes(p, n, hash0); }
/** Leave the set/delete label set, as a call that never returned would
 *  (tests of openEntry, mem/mprof.ts). */
export function dbgSetEntryOp(op: u32): void { enterOp(<EntryOp>op); }
