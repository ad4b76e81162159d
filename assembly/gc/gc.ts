// gc.ts — the collector's cycle: start, incremental marking, termination.
//
// Mirrors Go 1.19 mgc.go (gcStart, gcMarkDone, gcMarkTermination, GC) with
// one P and no background workers. A cycle:
//
//   1. gcStart (Go's STW #1, "sweep termination"): finish sweeping the
//      previous cycle, reset the mark counters, turn the write barrier on
//      (phase MARK), shade the roots, set up assists. Started from an
//      allocation slow path when heapLive reaches the trigger, or by
//      rt.gc() (forced). Its duration is the cycle's first pause.
//   2. Incremental mark, in bounded steps, never longer than one step's
//      budget of scan work:
//        - assists: an allocation slow path pays scan work proportional to
//          the bytes it takes (pacer.ts);
//        - safe points: every exported mutating operation first does up to
//          SAFEPOINT_WORK of marking (Go's dedicated worker, "F" in gctrace);
//        - explicit steps: rt.gcStep().
//      Objects allocated meanwhile are black; every pointer store shades.
//   3. gcMarkTermination (Go's STW #2), only at a safe point and only when
//      the grey queue is empty: phase OFF (barrier off), heapMarked =
//      bytesMarked, heapLive reset to it, sweep starts (sweepgen += 2, the
//      mcache is flushed), the pacer commits the next goal, statistics and
//      the pause ring are recorded and the host is told (gctrace).
//   4. Sweep: lazily as spans are taken (mcentral.cacheSpan), a few spans at
//      every safe point and allocation slow path (proportional, so the next
//      start has little left), and completely at the next gcStart or at the
//      end of rt.gc().
//
// Times come from the host's clock (env.now, milliseconds); every pause is
// measured around its step.
//
// Layering: gc/ is above mem/ (this file drives mem/sweep.ts), but the
// allocator calls back up into it — mem/malloc.ts → mallocSlowHook and
// stressTick, mem/mstats.ts → the counters below — as Go's malloc.go calls
// gcStart and gcAssistAlloc. That mem/ ↔ gc/ cycle is documented in
// mem/malloc.ts; nothing in gc/ imports map/.

import { Phase, gcphase, setGCPhase, disableBarrierForTest } from "./phase";
import { gcDrain, resetMarkCounters, bytesMarked, scanWork } from "./mark";
import { queueEmpty, overflowed, queued } from "./gcwork";
import { markroots } from "./roots";
import {
  heapLive, heapGoal, trigger, gcPercent, commit, setHeapLive, startAssists, assistDebt, creditWork, creditBackground,
} from "./pacer";
import { gcSweepStart, finishSweep, sweepone, sweepDone, sweepPending } from "../mem/sweep";
import { growMs, growCount, growMaxMs } from "../mem/mheap";

// @ts-ignore: decorator
@external("env", "now")
declare function hostNow(): f64;
// @ts-ignore: decorator
@external("env", "gcDone")
declare function hostGCDone(): void;
// @ts-ignore: decorator
@external("env", "gcStart")
declare function hostGCStart(): void;

/** Scan work done at each safe point while marking (Go: the dedicated
 *  mark worker's share, done by the one thread we have). */
// @ts-ignore: decorator
@inline export const SAFEPOINT_WORK: u64 = 128 << 10;
/** Spans swept at each safe point while a sweep is pending, so that the
 *  next cycle's start finds little left to sweep (its pause stays short). */
// @ts-ignore: decorator
@inline const SAFEPOINT_SWEEP: u32 = 4;
// @ts-ignore: decorator
@inline const UNBOUNDED: u64 = u64.MAX_VALUE;

/** Go's MemStats fields the collector owns. */
export let numgc: u32 = 0;
export let numForcedGC: u32 = 0;
export let pauseTotalNs: u64 = 0;
export let lastGCns: u64 = 0;    // ns since the host's time origin
export let gcCpuNs: u64 = 0;     // every step, assists included
export let maxPauseNs: u64 = 0;  // longest single step ever
/** PauseNs[256] and PauseEnd[256], Go's rings (latest at (NumGC+255)%256). */
export const pauseNs: usize = memory.data(256 * 8, 8);
export const pauseEnd: usize = memory.data(256 * 8, 8);

/** The cycle in progress (or the last one): what gctrace prints. */
@unmanaged
export class CycleRecord {
  startMs: f64;        // @T: cycle start, ms since time origin
  sweepTermNs: f64;    // A: the start pause
  markWallNs: f64;     // B: start → termination, wall clock
  markTermNs: f64;     // C: the termination pause
  assistNs: f64;       // E: assists
  workerNs: f64;       // F: safe-point and explicit steps
  heap0: f64;          // heapLive at start
  heap1: f64;          // heapLive at termination
  heap2: f64;          // bytes marked
  goal: f64;           // the goal this cycle aimed for
  forced: f64;         // 1 if rt.gc() started it
  numgc: f64;          // N
  gcCpuNs: f64;        // total GC time so far (for the cumulative %)
  stepsThisCycle: f64; // pauses in this cycle
  maxStepNs: f64;      // longest pause in this cycle
  scanned: f64;        // bytes of scan work this cycle
}
/** CycleRecord's fields by index (f64 each), exported for the host: the
 *  record's one field list is the class above. */
export enum CycleField {
  startMs = <i32>(offsetof<CycleRecord>("startMs") >> 3),
  sweepTermNs = <i32>(offsetof<CycleRecord>("sweepTermNs") >> 3),
  markWallNs = <i32>(offsetof<CycleRecord>("markWallNs") >> 3),
  markTermNs = <i32>(offsetof<CycleRecord>("markTermNs") >> 3),
  assistNs = <i32>(offsetof<CycleRecord>("assistNs") >> 3),
  workerNs = <i32>(offsetof<CycleRecord>("workerNs") >> 3),
  heap0 = <i32>(offsetof<CycleRecord>("heap0") >> 3),
  heap1 = <i32>(offsetof<CycleRecord>("heap1") >> 3),
  heap2 = <i32>(offsetof<CycleRecord>("heap2") >> 3),
  goal = <i32>(offsetof<CycleRecord>("goal") >> 3),
  forced = <i32>(offsetof<CycleRecord>("forced") >> 3),
  numgc = <i32>(offsetof<CycleRecord>("numgc") >> 3),
  gcCpuNs = <i32>(offsetof<CycleRecord>("gcCpuNs") >> 3),
  stepsThisCycle = <i32>(offsetof<CycleRecord>("stepsThisCycle") >> 3),
  maxStepNs = <i32>(offsetof<CycleRecord>("maxStepNs") >> 3),
  scanned = <i32>(offsetof<CycleRecord>("scanned") >> 3),
  COUNT = <i32>(offsetof<CycleRecord>() >> 3),
}
export const cycle: usize = memory.data(offsetof<CycleRecord>(), 8);
// @ts-ignore: decorator
@inline function rec(): CycleRecord { return changetype<CycleRecord>(cycle); }

export let inGC: bool = false;


/** The last STEP_LOG pauses (for bench/gc's distribution and the tests'
 *  bounds), a ring of two parallel arrays indexed by stepCount:
 *    stepLog   f32  the step's duration, ns (memory.grow inside included)
 *    stepMeta  u32  bits 29..31 StepKind; bit 28 set when the step called
 *                   memory.grow (its time is in stepGrowMs); bits 0..27 the
 *                   step's work, clamped: scan work for mark steps (bytes
 *                   scanned + POINTER_WORK per pointer, mark.ts), spans
 *                   swept for a cycle's start, 0 for termination */
// (2048 entries: the two arrays then take the 16 KiB the one log had, and
// the static data stays inside its first 64 KiB page — past it, every new
// runtime had to grow a whole chunk of heap before its first allocation.)
// @ts-ignore: decorator
@inline export const STEP_LOG: u32 = 2048;
export const stepLog: usize = memory.data(STEP_LOG * 4, 4);
export const stepMeta: usize = memory.data(STEP_LOG * 4, 4);
export let stepCount: u32 = 0;
// @ts-ignore: decorator
@inline const STEP_WORK_MASK: u32 = (1 << 28) - 1;
// @ts-ignore: decorator
@inline const STEP_GREW: u32 = 1 << 28;
/** Time spent inside memory.grow during steps (ms): total and longest. */
export let stepGrowMs: f64 = 0;
export let stepGrowMaxMs: f64 = 0;

/** What a logged step was. */
export enum StepKind {
  /** gcStart: finish the sweep, shade the roots (Go's STW #1). */
  START = 0,
  /** A mutator assist on an allocation slow path. */
  ASSIST = 1,
  /** The safe-point step of an exported operation (Go's dedicated worker). */
  SAFEPOINT = 2,
  /** rt.gcStep(budget). */
  EXPLICIT = 3,
  /** gcMarkTermination (Go's STW #2). */
  TERMINATION = 4,
  /** rt.gc() finishing a cycle in one go (unbounded on purpose). */
  FULL = 5,
}

/** memory.grow's ms counter (mem/mheap.ts) when the current step began. */
let growAtStepStart: f64 = 0;

// @ts-ignore: decorator
@inline function stepBegin(): f64 {
  growAtStepStart = growMs;
  return hostNow();
}

function pause(t0: f64, kind: StepKind, work: u64): f64 {
  let ns = (hostNow() - t0) * 1e6;
  if (ns < 0) ns = 0;
  let i = <usize>(stepCount & (STEP_LOG - 1));
  store<f32>(stepLog + (i << 2), <f32>ns);
  let meta = (<u32>kind << 29) | (work > <u64>STEP_WORK_MASK ? STEP_WORK_MASK : <u32>work);
  let grew = growMs - growAtStepStart;
  if (grew > 0) {
    meta |= STEP_GREW;
    stepGrowMs += grew;
    if (grew > stepGrowMaxMs) stepGrowMaxMs = grew;
  }
  store<u32>(stepMeta + (i << 2), meta);
  stepCount++;
  gcCpuNs += <u64>ns;
  let r = rec();
  r.stepsThisCycle += 1;
  if (ns > r.maxStepNs) r.maxStepNs = ns;
  if (<u64>ns > maxPauseNs) maxPauseNs = <u64>ns;
  return ns;
}

/** The step log's kind/work ring, for the host (index.ts). */
export function stepLogMeta(): usize { return stepMeta; }
/** memory.grow statistics (mem/mheap.ts), f64 each at out: calls, total
 *  ms, longest ms, then the ms of it spent inside collector steps (total,
 *  longest). */
export function growStats(out: usize): void {
  store<f64>(out, <f64>growCount);
  store<f64>(out + 8, growMs);
  store<f64>(out + 16, growMaxMs);
  store<f64>(out + 24, stepGrowMs);
  store<f64>(out + 32, stepGrowMaxMs);
}

/** Go's gcStart. */
export function gcStart(forced: bool): void {
  if (gcphase != Phase.OFF) return;
  inGC = true;
  let t0 = stepBegin();
  let swept = finishSweep();
  // Go's clearpools (STW, before the write barrier is on): the host drops
  // pooled maps not reused since the last cycle (src/pool.ts).
  hostGCStart();
  let r = rec();
  memory.fill(cycle, 0, offsetof<CycleRecord>());
  r.startMs = t0;
  r.heap0 = <f64>heapLive;
  r.goal = <f64>heapGoal;
  r.forced = forced ? 1 : 0;
  if (forced) numForcedGC++;
  resetMarkCounters();
  setGCPhase(Phase.MARK);
  markroots();
  startAssists();
  r.sweepTermNs = pause(t0, StepKind.START, <u64>swept);
  inGC = false;
}

/** Go's gcMarkTermination; the grey queue must be empty. */
function gcMarkTermination(): void {
  let t0 = stepBegin();
  let r = rec();
  setGCPhase(Phase.MARKTERMINATION);
  r.heap1 = <f64>heapLive;
  r.heap2 = <f64>bytesMarked;
  let marked = bytesMarked;
  let scanned = scanWork;
  r.scanned = <f64>scanned;
  setGCPhase(Phase.OFF);
  setHeapLive(marked);
  gcSweepStart();
  commit(marked, scanned);
  r.markWallNs = (t0 - r.startMs) * 1e6 - r.sweepTermNs;
  if (r.markWallNs < 0) r.markWallNs = 0;
  r.markTermNs = pause(t0, StepKind.TERMINATION, 0);
  let total = <u64>(r.sweepTermNs + r.markTermNs);
  let slot = <usize>(numgc & 255) << 3;
  store<u64>(pauseNs + slot, total);
  lastGCns = <u64>(hostNow() * 1e6);
  store<u64>(pauseEnd + slot, lastGCns);
  pauseTotalNs += total;
  numgc++;
  r.numgc = <f64>numgc;
  r.gcCpuNs = <f64>gcCpuNs;
  hostGCDone();
}

/** Marking work with its pause measured; `kind` says whose time it is. */
function markStep(budget: u64, kind: StepKind): u64 {
  let t0 = stepBegin();
  let work = gcDrain(budget);
  let ns = pause(t0, kind, work);
  if (kind == StepKind.ASSIST) rec().assistNs += ns;
  else {
    rec().workerNs += ns;
    creditBackground(work);
  }
  return work;
}

/** Can marking end? (queue empty, no overflow rescan pending) */
// @ts-ignore: decorator
@inline function markDone(): bool {
  return queueEmpty() && !overflowed;
}

/** The allocator's slow path calls this before taking a span or a large
 *  object of `bytes` bytes (Go: the shouldhelpgc / assist part of mallocgc
 *  and deductSweepCredit). Never frees anything. */
export function mallocSlowHook(bytes: usize): void {
  if (inGC) return;
  if (gcphase == Phase.OFF) {
    if (gcPercent >= 0 && heapLive >= trigger) {
      gcStart(false);
    } else if (!sweepDone()) {
      // Proportional sweep: a span or two per span taken.
      sweepone();
      sweepone();
    }
    return;
  }
  let debt = assistDebt(<u64>bytes);
  if (debt != 0) {
    inGC = true;
    creditWork(markStep(debt, StepKind.ASSIST));
    inGC = false;
  }
}

/** Entry of every exported mutating operation: no core code holds a heap
 *  pointer here, so marking may end. */
export function safePoint(): void {
  if (gcphase != Phase.MARK) {
    if (sweepPending && !inGC) {
      for (let i: u32 = 0; i < SAFEPOINT_SWEEP; i++) if (sweepone() == 0) break;
    }
    return;
  }
  if (inGC) return;
  inGC = true;
  markStep(SAFEPOINT_WORK, StepKind.SAFEPOINT);
  if (markDone()) gcMarkTermination();
  inGC = false;
}

/** An explicit step of at most `budget` bytes of scan work; ends the cycle
 *  if marking is done. Returns the work done. */
export function gcStep(budget: u64): u64 {
  if (gcphase != Phase.MARK || inGC) return 0;
  inGC = true;
  let work = markStep(budget, StepKind.EXPLICIT);
  if (markDone()) gcMarkTermination();
  inGC = false;
  return work;
}

/** Go's runtime.GC(): finish the cycle in progress, run a full forced
 *  cycle, sweep everything. Must be called at a safe point. */
export function gcFull(): void {
  if (inGC) return;
  if (gcphase == Phase.MARK) finishMarking();
  gcStart(true);
  finishMarking();
  finishSweep();
}

function finishMarking(): void {
  inGC = true;
  while (!markDone()) markStep(UNBOUNDED, StepKind.FULL);
  gcMarkTermination();
  inGC = false;
}

/** The collector's progress for the host (rt.gcProgress), f64 each at out:
 *  phase, heapLive, heapGoal, trigger, bytesMarked, scanWork, queued (grey
 *  objects), numgc. */
export function gcProgress(out: usize): void {
  store<f64>(out, <f64>gcphase);
  store<f64>(out + 8, <f64>heapLive);
  store<f64>(out + 16, <f64>heapGoal);
  store<f64>(out + 24, <f64>trigger);
  store<f64>(out + 32, <f64>bytesMarked);
  store<f64>(out + 40, <f64>scanWork);
  store<f64>(out + 48, <f64>queued);
  store<f64>(out + 56, <f64>numgc);
}

// ---------------------------------------------------------------------------
// Stress mode (debug build only): a cycle every `stressEvery` allocations
// and tiny mark steps, to shake out missing barriers.

export let stressEvery: u32 = 0;
let stressCountdown: u32 = 0;
let stressBudget: u64 = 0;

export function setStress(every: u32, budget: u32): void {
  stressEvery = every;
  stressCountdown = every;
  stressBudget = budget;
}

export function stressTick(): void {
  if (--stressCountdown != 0 || inGC) return;
  stressCountdown = stressEvery;
  if (gcphase == Phase.OFF) gcStart(false);
  else {
    inGC = true;
    markStep(stressBudget, StepKind.ASSIST);
    inGC = false;
  }
}

export function setBarrierForTest(on: bool): void {
  disableBarrierForTest(!on);
}

export { gcphase };
