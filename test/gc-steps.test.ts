// Every collector step is bounded in work, however large or pointer-dense
// the objects it scans (issue 16: no step above 1 ms on string-keyed
// heaps). No timing: the core's step log records each step's kind and its
// work (bytes scanned + 32 per pointer followed, gc/mark.ts), and the
// bounds below are the core's constants:
//   a mark step's work <= its budget + MIN_CUT_WORK (16 KiB: a scan is cut
//   no sooner) + MAX_ELEMENT_WORK (256 + 64·32 bytes: one element);
//   an assist's budget <= ASSIST_MAX (256 KiB), a safe point's 128 KiB.
// Before the fix an object was cut only into 32 KiB oblets, so a step
// scanning a pointer array did up to 288 KiB of work beyond its budget, and
// an assist past the goal paid up to 1 MiB.
import { describe, it, expect } from "vitest";
import { Runtime } from "../src/node.js";
import { boundaryOf, rootTableOf } from "../src/runtime.js";

const KiB = 1024;
const MIN_CUT_WORK = 16 * KiB;
const MAX_ELEMENT_WORK = 256 + 64 * 32;
const SAFEPOINT_WORK = 128 * KiB;
const ASSIST_MAX = 256 * KiB;
enum Kind {
  START = 0,
  ASSIST = 1,
  SAFEPOINT = 2,
  EXPLICIT = 3,
  TERMINATION = 4,
  FULL = 5,
}

type B = ReturnType<typeof boundaryOf>;

/** Steps logged since `from` (count), oldest first: kind and work. */
function stepsSince(b: B, from: number): { kind: number; work: number }[] {
  const ex = b.exports as unknown as Record<string, () => number>;
  const cap = b.constant("GC_STEP_LOG");
  const count = ex.gcStepCount!() >>> 0;
  expect(count - from).toBeLessThanOrEqual(cap); // none lost
  const meta = ex.gcStepMeta!() >>> 0;
  const out = [];
  for (let i = from; i < count; i++) {
    const m = b.dv.getUint32(meta + (i % cap) * 4, true);
    out.push({ kind: m >>> 29, work: m & 0xfffffff });
  }
  return out;
}
const stepCount = (b: B) => (b.exports as unknown as Record<string, () => number>).gcStepCount!() >>> 0;

describe("collector steps are bounded in work", () => {
  it("one-byte steps over a 64 KiB pointer array each do at most MIN_CUT_WORK plus one element, and lose nothing", async () => {
    const rt = await Runtime.create({ debug: true, maxMemory: "256MiB", gcPercent: "off" });
    const b = boundaryOf(rt);
    const dbg = b.requireDebug("gc step tests");
    const roots = rootTableOf(rt);
    const words = 16 * KiB; // 64 KiB: a large object, every word a pointer
    const arr = b.alloc(words * 4, false);
    roots.set(roots.acquire(), arr);
    const targets: number[] = [];
    for (let i = 0; i < words; i++) {
      const p = b.alloc(8, true);
      targets.push(p);
      b.u32[(arr >>> 2) + i] = p; // no cycle is running: no barrier needed
    }
    const from = stepCount(b);
    rt.gcStart();
    let rounds = 0;
    while (rt.gcPhase === "mark") {
      rt.gcStep(1);
      // The unscanned rest of the array is grey, its scanned part black.
      if (++rounds % 7 === 0) expect(dbg.triColorViolations()).toBe(0);
    }
    const steps = stepsSince(b, from).filter((s) => s.kind === Kind.EXPLICIT);
    // 16384 pointers = 576 KiB of work: cut into many steps, each bounded.
    expect(steps.length).toBeGreaterThan((words * 36) / (MIN_CUT_WORK + MAX_ELEMENT_WORK));
    for (const s of steps) expect(s.work).toBeLessThanOrEqual(1 + MIN_CUT_WORK + MAX_ELEMENT_WORK);
    dbg.dbgFinishSweep();
    for (const p of targets) expect(dbg.dbgFindObject(p) >>> 0).toBe(p);
    rt.close();
  });

  it("a string→string map built and grown while marking: safe-point steps and assists stay within their budgets", async () => {
    const rt = await Runtime.create({ debug: true, maxMemory: "512MiB", gcPercent: 100 });
    const b = boundaryOf(rt);
    const dbg = b.requireDebug("gc step tests");
    const m = rt.map({ key: "string", value: "string" });
    const from = stepCount(b);
    let n = 0;
    const add = (count: number) => {
      const ks: string[] = [];
      const vs: string[] = [];
      for (let i = 0; i < count; i++, n++) {
        ks.push(`key-${n}-${(n * 2654435761) >>> 0}`);
        vs.push(`value-${n}`);
      }
      m.setMany(ks, vs);
    };
    // Grow to 2^16 buckets' worth (9 MiB bucket arrays, pointerful), with
    // automatic cycles; check the log between chunks so nothing is lost.
    let checked = from;
    const all: { kind: number; work: number }[] = [];
    while (n < 300_000) {
      add(1000);
      all.push(...stepsSince(b, checked));
      checked = stepCount(b);
      if (rt.gcPhase === "mark" && n % 50_000 === 0) expect(dbg.triColorViolations()).toBe(0);
    }
    expect(rt.readMemStats().NumGC).toBeGreaterThan(3);
    const slack = MIN_CUT_WORK + MAX_ELEMENT_WORK;
    const safe = all.filter((s) => s.kind === Kind.SAFEPOINT);
    const assists = all.filter((s) => s.kind === Kind.ASSIST);
    expect(safe.length).toBeGreaterThan(0);
    expect(Math.max(...safe.map((s) => s.work))).toBeLessThanOrEqual(SAFEPOINT_WORK + slack);
    if (assists.length) expect(Math.max(...assists.map((s) => s.work))).toBeLessThanOrEqual(ASSIST_MAX + slack);
    // Nothing lost.
    rt.gc();
    expect(m.size).toBe(n);
    for (const i of [0, 1, 12345, 123456, n - 1])
      expect(m.get(`key-${i}-${(i * 2654435761) >>> 0}`)).toBe(`value-${i}`);
    rt.close();
  });
});
