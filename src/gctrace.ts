/**
 * gctrace: one line per collection in Go 1.19's `GODEBUG=gctrace=1` format
 * (runtime/mgc.go, gcMarkTermination), field for field:
 *
 *   gc N @T s U%: A+B+C ms clock, D+E/F/G+H ms cpu, H0->H1->H2 MB, GOAL MB goal, S MB stacks, GL MB globals, P P[ (forced)]
 *
 * Our values, honestly: A is the cycle-start pause (finishing the sweep,
 * shading the roots), B the wall time of incremental marking, C the
 * termination pause; cpu D = A and H = C (one P), E = assists, F = marking
 * done at safe points and explicit steps, G (idle workers) = 0; stacks 0
 * (there are none to scan), globals 0 (we scan no data segment: roots live
 * in the heap), 1 P.
 */

/** Go's itoaDiv: val with `dec` digits after the decimal point. */
export function itoaDiv(val: number, dec: number): string {
  let s = String(Math.trunc(val));
  if (dec === 0) return s;
  while (s.length <= dec) s = "0" + s;
  return `${s.slice(0, s.length - dec)}.${s.slice(s.length - dec)}`;
}

/** Go's fmtNSAsMS: whole ms from 10 ms up, else two significant digits
 *  with at most three decimals, "0" under 1 µs. */
export function fmtNSAsMS(ns: number): string {
  ns = Math.max(0, Math.trunc(ns));
  if (ns >= 10e6) return itoaDiv(Math.trunc(ns / 1e6), 0);
  let x = Math.trunc(ns / 1e3);
  if (x === 0) return "0";
  let dec = 3;
  while (x >= 100) {
    x = Math.trunc(x / 10);
    dec--;
  }
  return itoaDiv(x, dec);
}

export interface CycleRecord {
  startMs: number;
  sweepTermNs: number;
  markWallNs: number;
  markTermNs: number;
  assistNs: number;
  workerNs: number;
  heap0: number;
  heap1: number;
  heap2: number;
  goal: number;
  forced: number;
  numgc: number;
  gcCpuNs: number;
  stepsThisCycle: number;
  maxStepNs: number;
  scanned: number;
}

/** The fields the host formats, as a set: the boundary checks at load
 *  that the core's CycleField enum (assembly/gc/gc.ts, derived from its
 *  CycleRecord class) names exactly these, and reads the record in the
 *  core's order. */
export const CYCLE_FIELD_NAMES: Readonly<Record<keyof CycleRecord, true>> = {
  startMs: true,
  sweepTermNs: true,
  markWallNs: true,
  markTermNs: true,
  assistNs: true,
  workerNs: true,
  heap0: true,
  heap1: true,
  heap2: true,
  goal: true,
  forced: true,
  numgc: true,
  gcCpuNs: true,
  stepsThisCycle: true,
  maxStepNs: true,
  scanned: true,
};

const MB = (b: number) => Math.floor(b / 1048576);

/** The gctrace line for a finished cycle. `runtimeStartMs` is when the
 *  runtime was created and `nowMs` the time of the line (host clock, ms). */
export function formatGCTrace(r: CycleRecord, runtimeStartMs: number, nowMs: number): string {
  const elapsedNs = Math.max(1, (nowMs - runtimeStartMs) * 1e6);
  const util = Math.trunc((r.gcCpuNs / elapsedNs) * 100);
  const at = itoaDiv(Math.trunc(Math.max(0, r.startMs - runtimeStartMs)), 3);
  const clock = [r.sweepTermNs, r.markWallNs, r.markTermNs].map(fmtNSAsMS).join("+");
  const f = fmtNSAsMS;
  const cpu = `${f(r.sweepTermNs)}+${f(r.assistNs)}/${f(r.workerNs)}/${f(0)}+${f(r.markTermNs)}`;
  return (
    `gc ${r.numgc} @${at}s ${util}%: ${clock} ms clock, ${cpu} ms cpu, ` +
    `${MB(r.heap0)}->${MB(r.heap1)}->${MB(r.heap2)} MB, ${MB(r.goal)} MB goal, 0 MB stacks, 0 MB globals, 1 P` +
    (r.forced ? " (forced)" : "")
  );
}
