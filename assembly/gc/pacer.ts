// pacer.ts — when to collect: GOGC, the heap goal, the trigger, assists.
//
// Mirrors Go 1.19 mgcpacer.go, simplified (documented in docs/gc.md):
//
//   heapLive   bytes the collector considers live: reset to the marked bytes
//              at mark termination, then grown by each span's free space
//              when the mcache takes it (Go's refill-time estimate, corrected
//              when the span is released) and by each large object.
//   goal       heapMarked × (1 + GOGC/100), at least 4 MiB × GOGC/100
//              (Go's heapMinimum); MemStats.NextGC.
//   trigger    heapMarked + 7/8 × (goal − heapMarked). Go's trigger comes
//              from a PI controller clamped to [0.70, 0.95] of that runway;
//              we use a fixed point inside the clamp.
//   GOGC < 0   ("off") no automatic cycles; rt.gc() still collects.
//   assists    while marking, every byte a slow-path allocation takes owes
//              assistWorkPerByte bytes of scan work, where
//              assistWorkPerByte = expected scan work / remaining runway
//              (goal − heapLive at the cycle's start, at least 1 MiB), the
//              expected scan work being what the last cycle scanned. Debt is
//              first paid from background credit — the work safe-point and
//              explicit steps did (Go's bgScanCredit, which assists steal
//              from) — then by an assist of at least 64 KiB (Go's
//              gcOverAssistWork) and at most ASSIST_MAX of work. What one
//              assist leaves unpaid stays owed (assistCredit negative) and
//              is paid by the next slow paths, so no single pause grows with
//              the heap or with the allocation (a 150 MB bucket array owes
//              ~150 MB of work: paid ASSIST_MAX at a time, or by the
//              background). Go's gcAssistAlloc pays the whole debt before
//              the allocation returns, in preemptible chunks; we have no
//              preemption, so the chunks are spread over allocations.

// @ts-ignore: decorator
@inline export const HEAP_MINIMUM: u64 = 4 << 20;
// @ts-ignore: decorator
@inline export const ASSIST_MIN: u64 = 64 << 10;
// @ts-ignore: decorator
@inline export const ASSIST_MAX: u64 = 256 << 10;

export let heapLive: u64 = 0;
/** Live heap found by the last mark (Go: heapMarked). */
export let heapMarked: u64 = 0;
export let heapGoal: u64 = HEAP_MINIMUM;
export let trigger: u64 = HEAP_MINIMUM - (HEAP_MINIMUM >> 3);
export let gcPercent: i32 = 100;
/** Scan work done by the last completed cycle (bytes scanned). */
export let lastScanWork: u64 = 0;
export let assistWorkPerByte: f64 = 0;
/** Negative: scan work the mutator owes. */
export let assistCredit: f64 = 0;
/** Work done by safe-point and explicit steps not yet taken by an assist
 *  (Go: gcController.bgScanCredit). */
export let bgScanCredit: f64 = 0;

export function addHeapLive(n: u64): void {
  heapLive += n;
}

export function subHeapLive(n: u64): void {
  heapLive = heapLive > n ? heapLive - n : 0;
}

export function setHeapLive(n: u64): void {
  heapLive = n;
}

/** New goal and trigger after a mark (Go: gcControllerCommit). */
export function commit(marked: u64, scanned: u64): void {
  heapMarked = marked;
  lastScanWork = scanned;
  recompute();
}

function recompute(): void {
  if (gcPercent < 0) {
    heapGoal = u64.MAX_VALUE;
    trigger = u64.MAX_VALUE;
    return;
  }
  let pct = <u64>gcPercent;
  let goal = heapMarked + heapMarked * pct / 100;
  let minimum = HEAP_MINIMUM * pct / 100;
  if (goal < minimum) goal = minimum;
  heapGoal = goal;
  trigger = heapMarked + (goal - heapMarked) * 7 / 8;
}

/** debug.SetGCPercent: returns the previous value. */
export function setGCPercent(p: i32): i32 {
  let old = gcPercent;
  gcPercent = p < 0 ? -1 : p;
  recompute();
  return old;
}

/** Called when a cycle starts: how much scan work each byte owes. */
export function startAssists(): void {
  let runway: u64 = heapGoal > heapLive ? heapGoal - heapLive : 0;
  if (runway < (1 << 20)) runway = 1 << 20;
  let expected = lastScanWork > heapMarked ? lastScanWork : heapMarked;
  if (expected < ASSIST_MIN) expected = ASSIST_MIN;
  assistWorkPerByte = <f64>expected / <f64>runway;
  assistCredit = 0;
  bgScanCredit = 0;
}

/** Scan work an allocation of `bytes` must do now (0 if it has credit). */
export function assistDebt(bytes: u64): u64 {
  assistCredit -= <f64>bytes * assistWorkPerByte;
  if (assistCredit >= 0) return 0;
  // Steal background credit first (Go: gcAssistAlloc's bgScanCredit).
  if (bgScanCredit > 0) {
    let steal = min<f64>(bgScanCredit, -assistCredit);
    bgScanCredit -= steal;
    assistCredit += steal;
    if (assistCredit >= 0) return 0;
  }
  let debt = <u64>(-assistCredit);
  if (debt < ASSIST_MIN) debt = ASSIST_MIN;
  return debt > ASSIST_MAX ? ASSIST_MAX : debt;
}

/** An assist did `work`. */
export function creditWork(work: u64): void {
  assistCredit += <f64>work;
}

/** A safe-point or explicit step did `work` (Go: gcFlushBgCredit). */
export function creditBackground(work: u64): void {
  bgScanCredit += <f64>work;
}
