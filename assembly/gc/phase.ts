// phase.ts — the collector's phase, readable from the allocator's fast path.
//
// Mirrors Go 1.19 mgc.go: gcphase and setGCPhase. Kept in its own module
// so mem/ can test it without importing the collector.
//
//    GC_OFF ──gcStart──▶ GC_MARK ──gcMarkTermination──▶ GC_OFF
//                         (write barrier on, new objects allocated black)
//
// GC_MARKTERMINATION exists only inside gcMarkTermination (as in Go) and is
// never seen by the host.

export const enum Phase {
  OFF = 0,
  MARK = 1,
  MARKTERMINATION = 2,
}

/** The current phase (Go: gcphase). Non-zero means marking. */
export let gcphase: u32 = Phase.OFF;
/** Go: writeBarrier.enabled. Equal to gcphase != OFF unless a debug test
 *  switched the barrier off to show what it protects. */
export let writeBarrierEnabled: bool = false;
let barrierDisabledForTest: bool = false;

export function setGCPhase(p: Phase): void {
  gcphase = p;
  writeBarrierEnabled = p != Phase.OFF && !barrierDisabledForTest;
}

/** Debug builds only: switch the write barrier off (tests show the
 *  reachability oracle catching the lost object). */
export function disableBarrierForTest(off: bool): void {
  barrierDisabledForTest = off;
  writeBarrierEnabled = gcphase != Phase.OFF && !off;
}
