// The collector against a reachability oracle computed in JS.
//
// Objects are raw pointer arrays (every word a pointer or 0) linked at
// random through the write barrier; roots are slots of the runtime's root
// table. After a full cycle everything reachable survives with its
// contents, everything unreachable is freed. During incremental marking,
// random mutations between tiny mark steps keep the strong tri-colour
// invariant (checkTriColor) and lose nothing; with the barrier switched off
// the oracle catches the lost object.
import { describe, it, expect } from "vitest";
import { Runtime } from "../src/node.js";
import { boundaryOf, rootTableOf } from "../src/runtime.js";
import { prng, randInt, seeds, withSeed } from "./helpers.js";

interface Obj {
  p: number;
  words: number;
}

async function setup(gcPercent: number | "off" = "off") {
  const rt = await Runtime.create({ debug: true, maxMemory: "256MiB", gcPercent });
  const b = boundaryOf(rt);
  const dbg = b.requireDebug("gc tests");
  const roots = rootTableOf(rt);
  return { rt, b, dbg, roots };
}

/** Objects reachable from the rooted ones, following the words as stored. */
function reachable(b: ReturnType<typeof boundaryOf>, objs: Map<number, Obj>, rooted: Iterable<number>): Set<number> {
  const seen = new Set<number>();
  const stack = [...rooted];
  while (stack.length) {
    const p = stack.pop()!;
    if (seen.has(p)) continue;
    seen.add(p);
    const o = objs.get(p)!;
    for (let w = 0; w < o.words; w++) {
      const q = b.u32[(p >>> 2) + w]!;
      if (q !== 0) stack.push(q);
    }
  }
  return seen;
}

describe("collector: reachability oracle", () => {
  for (const seed of seeds(3)) {
    it(`full cycles keep exactly what is reachable (seed ${seed})`, async () => {
      await withSeed(seed, async () => {
        const { rt, b, dbg, roots } = await setup();
        const r = prng(seed);
        const objs = new Map<number, Obj>();
        const rootOf = new Map<number, number>(); // object → slot
        const base = rt.readMemStats().HeapObjects; // the runtime's own
        for (let round = 0; round < 8; round++) {
          // New objects, linked at random; some rooted.
          for (let i = 0; i < 300; i++) {
            const words = randInt(r, 1, r() < 0.02 ? 40_000 : 24);
            const p = b.alloc(words * 4, false);
            expect(p).not.toBe(0);
            objs.set(p, { p, words });
            if (r() < 0.1) {
              const s = roots.acquire();
              roots.set(s, p);
              rootOf.set(p, s);
            }
          }
          const all = [...objs.keys()];
          for (let i = 0; i < 600; i++) {
            const src = objs.get(all[randInt(r, 0, all.length - 1)]!)!;
            const dst = r() < 0.15 ? 0 : all[randInt(r, 0, all.length - 1)]!;
            dbg.dbgStorePtr(src.p, randInt(r, 0, src.words - 1), dst);
          }
          // Drop some roots.
          for (const [p, s] of [...rootOf])
            if (r() < 0.3) {
              roots.release(s);
              rootOf.delete(p);
            }
          const live = reachable(b, objs, rootOf.keys());
          const contents = new Map<number, number[]>();
          for (const p of live) contents.set(p, [...b.u32.subarray(p >>> 2, (p >>> 2) + objs.get(p)!.words)]);
          rt.gc();
          dbg.checkHeap();
          for (const p of objs.keys()) {
            const alive = dbg.dbgFindObject(p) >>> 0 === p;
            if (live.has(p) !== alive)
              throw new Error(`round ${round}: object ${p} reachable=${live.has(p)} but allocated=${alive}`);
          }
          for (const [p, words] of contents) {
            expect([...b.u32.subarray(p >>> 2, (p >>> 2) + words.length)]).toEqual(words);
          }
          expect(rt.readMemStats().HeapObjects).toBe(live.size + base);
          for (const p of [...objs.keys()]) if (!live.has(p)) objs.delete(p);
        }
        expect(rt.readMemStats().NumGC).toBe(8);
        expect(rt.readMemStats().NumForcedGC).toBe(8);
      });
    });

    it(`incremental marking with mutations between tiny steps keeps the invariant and loses nothing (seed ${seed})`, async () => {
      await withSeed(seed, async () => {
        const { rt, b, dbg, roots } = await setup();
        const r = prng(seed);
        const objs = new Map<number, Obj>();
        const rootOf = new Map<number, number>();
        const newObj = () => {
          const words = randInt(r, 1, r() < 0.01 ? 50_000 : 16);
          const p = b.alloc(words * 4, false);
          objs.set(p, { p, words });
          return p;
        };
        for (let i = 0; i < 400; i++) {
          const p = newObj();
          if (r() < 0.15) {
            const s = roots.acquire();
            roots.set(s, p);
            rootOf.set(p, s);
          }
        }
        let all = [...objs.keys()];
        for (let i = 0; i < 800; i++)
          dbg.dbgStorePtr(all[randInt(r, 0, all.length - 1)]!, 0, all[randInt(r, 0, all.length - 1)]!);
        let cycles = 0,
          checks = 0;
        for (let cycle = 0; cycle < 4; cycle++) {
          rt.gcStart();
          expect(rt.gcPhase).toBe("mark");
          while (rt.gcPhase === "mark") {
            // The invariant holds before the mutator runs too (an allocation
            // below runs a safe point, which may finish a small cycle).
            dbg.checkTriColor();
            checks++;
            // Mutate: link, unlink, re-root, allocate (black) and link in.
            // Like a real program, the mutator only ever holds objects it
            // can reach: anything unreachable is forgotten.
            for (let i = 0; i < 5; i++) {
              const reach = reachable(b, objs, rootOf.keys());
              for (const p of [...objs.keys()]) if (!reach.has(p)) objs.delete(p);
              all = [...objs.keys()];
              if (all.length === 0) break;
              const x = r();
              const src = objs.get(all[randInt(r, 0, all.length - 1)]!)!;
              if (x < 0.4) dbg.dbgStorePtr(src.p, randInt(r, 0, src.words - 1), all[randInt(r, 0, all.length - 1)]!);
              else if (x < 0.6) dbg.dbgStorePtr(src.p, randInt(r, 0, src.words - 1), 0);
              else if (x < 0.75 && rootOf.size > 1) {
                const [p, s] = [...rootOf][randInt(r, 0, rootOf.size - 1)]!;
                roots.release(s);
                rootOf.delete(p);
              } else if (x < 0.9) {
                const p = all[randInt(r, 0, all.length - 1)]!;
                if (!rootOf.has(p)) {
                  const s = roots.acquire();
                  roots.set(s, p);
                  rootOf.set(p, s);
                }
              } else {
                // A new object (black while marking); link it from a rooted object right away.
                const holder = [...rootOf.keys()][0]!;
                const p = newObj();
                dbg.dbgStorePtr(holder, 0, p);
              }
            }
            if (rt.gcPhase === "mark") {
              dbg.checkTriColor();
              checks++;
            }
            rt.gcStep(randInt(r, 1, 4000));
          }
          cycles++;
          dbg.dbgFinishSweep();
          // Whatever is reachable now survived the cycle (floating garbage may too).
          const live = reachable(b, objs, rootOf.keys());
          for (const p of live) {
            if (dbg.dbgFindObject(p) >>> 0 !== p) throw new Error(`cycle ${cycle}: reachable object ${p} was freed`);
          }
          for (const p of [...objs.keys()]) if (!live.has(p)) objs.delete(p);
          dbg.checkHeap();
        }
        // A final full cycle frees exactly the unreachable.
        rt.gc();
        const live = reachable(b, objs, rootOf.keys());
        for (const p of objs.keys()) expect(dbg.dbgFindObject(p) >>> 0 === p).toBe(live.has(p));
        expect(cycles).toBe(4);
        expect(checks).toBeGreaterThan(0);
      });
    });
  }

  async function lostObjectScenario(barrierOn: boolean) {
    const { rt, b, dbg, roots } = await setup();
    // W is rooted in slot 0, A in slot 1; W → X. The root table is scanned
    // word by word and the queue is LIFO, so A is scanned first.
    const W = b.alloc(4, false),
      A = b.alloc(4, false),
      X = b.alloc(4, false);
    const s0 = roots.acquire(),
      s1 = roots.acquire();
    roots.set(s0, W);
    roots.set(s1, A);
    dbg.dbgStorePtr(W, 0, X);
    dbg.dbgSetBarrier(barrierOn);
    rt.gcStart();
    rt.gcStep(1); // scans the root table: W and A grey
    rt.gcStep(1); // scans A: black, no pointers
    // Move X from W (grey) into A (black).
    dbg.dbgStorePtr(A, 0, X);
    dbg.dbgStorePtr(W, 0, 0);
    const triColor = dbg.triColorViolations();
    while (rt.gcPhase === "mark") rt.gcStep(1 << 20);
    dbg.dbgSetBarrier(true);
    dbg.dbgFinishSweep(); // the cycle is over; sweep it all (no new cycle)
    const live = reachable(
      b,
      new Map([
        [W, { p: W, words: 1 }],
        [A, { p: A, words: 1 }],
        [X, { p: X, words: 1 }],
      ]),
      [W, A],
    );
    const lost = [...live].filter((p) => dbg.dbgFindObject(p) >>> 0 !== p);
    return { lost, X, triColor, rt };
  }

  it("with the write barrier, moving an object behind a black one loses nothing", async () => {
    const { lost, triColor } = await lostObjectScenario(true);
    expect(triColor).toBe(0);
    expect(lost).toEqual([]);
  });

  it("without the write barrier (debug switch), the oracle and checkTriColor catch the lost object", async () => {
    const { lost, X, triColor } = await lostObjectScenario(false);
    expect(lost).toEqual([X]);
    expect(triColor).toBe(1); // the edge A → X
  });
});
