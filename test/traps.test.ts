// A trap or stack overflow unwinding through a core call (DESIGN rule: a
// trap is never silent): the map is left as it was and usable, or the
// runtime is dead with a typed error naming the cause. Stack overflows are
// injected at every depth around the boundary: a recursion with a counter
// (plus a few bytes of padding) puts the stack's limit at every point of
// the core's call tree, for each operation.
import { describe, expect, it } from "vitest";
import { CoreTrapError, GomapError, Runtime, RuntimeAbortError, RuntimeDeadError, type GoMap } from "../src/node.js";
import { boundaryOf } from "../src/runtime.js";

function at(depth: number, pad: number, f: () => unknown): unknown {
  return depth > 0 ? at(depth - 1, pad, f) : Reflect.apply(bottom, null, [f, ...new Array<undefined>(pad)]);
}
function bottom(f: () => unknown): unknown {
  return f();
}

type Op = "set" | "delete" | "get" | "setMany" | "iterate" | "clear" | "gc";

interface World {
  rt: Runtime;
  m: GoMap<"u32", "u32">;
  oracle: Map<number, number>;
}

async function world(): Promise<World> {
  const rt = await Runtime.create({ gcPercent: 5 });
  const m = rt.map({ key: "u32", value: "u32" });
  const oracle = new Map<number, number>();
  for (let i = 0; i < 40; i++) {
    m.set(i, i);
    oracle.set(i, i);
  }
  return { rt, m, oracle };
}

function sameAs(m: GoMap<"u32", "u32">, oracle: Map<number, number>): void {
  expect(m.size).toBe(oracle.size);
  const seen = new Map<number, number>();
  for (const [k, v] of m) seen.set(k, v);
  expect(seen).toEqual(oracle);
  for (const [k, v] of oracle) expect(m.get(k)).toBe(v);
}

function equalTo(m: GoMap<"u32", "u32">, oracle: Map<number, number>): boolean {
  if (m.size !== oracle.size) return false;
  for (const [k, v] of oracle) if (m.get(k) !== v) return false;
  return true;
}

/** Is the runtime dead, with the typed error naming the stack overflow? */
function deadNamingCause(w: World): boolean {
  let err: unknown;
  try {
    w.m.get(0);
    w.rt.readMemStats();
    return false;
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(GomapError);
  const dead = err instanceof RuntimeDeadError ? err.reason : err;
  expect(dead).toBeInstanceOf(CoreTrapError);
  expect((dead as CoreTrapError).fatal).toBe(true);
  expect(String((dead as CoreTrapError).cause)).toMatch(/Maximum call stack size exceeded/);
  expect((err as Error).message).toMatch(/Maximum call stack size exceeded/);
  // Every later call says so too.
  expect(() => w.m.set(1, 1)).toThrow(RuntimeDeadError);
  expect(() => w.m.get(1)).toThrow(RuntimeDeadError);
  expect(() => w.rt.gc()).toThrow(RuntimeDeadError);
  expect(() => [...w.m]).toThrow(RuntimeDeadError);
  return true;
}

describe("stack overflows inside core calls", () => {
  const ops: Op[] = ["set", "delete", "get", "setMany", "iterate", "clear", "gc"];
  for (const op of ops) {
    it(`${op}: at every depth the map ends as before and usable, or the runtime dead naming the overflow`, async () => {
      let w = await world();
      let k = 1000;
      const outcomes = { done: 0, untouched: 0, dead: 0 };
      /** One attempt at depth d; returns whether the operation completed. */
      const attempt = async (d: number, pad: number): Promise<boolean> => {
        k++;
        const key = k;
        const before = new Map(w.oracle);
        let apply: () => void;
        let run: () => unknown;
        switch (op) {
          case "set":
            run = () => w.m.set(key, key);
            apply = () => w.oracle.set(key, key);
            break;
          case "delete": {
            const victim = [...w.oracle.keys()][key % w.oracle.size]!;
            run = () => w.m.delete(victim);
            apply = () => {
              w.oracle.delete(victim);
              // Refilled after the check below, so the map stays as full.
              refill = () => {
                w.m.set(victim, key);
                w.oracle.set(victim, key);
              };
            };
            break;
          }
          case "get":
            run = () => w.m.get(key % 40);
            apply = () => {};
            break;
          case "setMany":
            run = () => w.m.setMany(Uint32Array.of(key, key + 1e6), Uint32Array.of(1, 2));
            apply = () => {
              w.oracle.set(key, 1);
              w.oracle.set(key + 1e6, 2);
            };
            break;
          case "iterate":
            run = () => {
              let n = 0;
              for (const _ of w.m) n++;
              return n;
            };
            apply = () => {};
            break;
          case "clear":
            run = () => w.m.clear();
            apply = () => w.oracle.clear();
            break;
          case "gc":
            run = () => w.rt.gc();
            apply = () => {};
            break;
        }
        let refill = () => {};
        let threw = false;
        try {
          at(d, pad, run);
        } catch (e) {
          threw = true;
          if (e instanceof GomapError) {
            // Typed: a read's non-fatal trap, or the runtime's death.
            expect(e).toBeInstanceOf(CoreTrapError);
          } else {
            expect(String(e)).toMatch(/Maximum call stack size exceeded/);
          }
        }
        if (!threw) {
          apply();
          outcomes.done++;
        } else if (deadNamingCause(w)) {
          outcomes.dead++;
          w = await world();
          return false;
        } else {
          // A raw RangeError with the runtime alive: the overflow hit the
          // host's code before the core call (the map as before), or after
          // the write had completed (as after: under vitest, an imported
          // constant is read through a getter, a call that can overflow;
          // plain ESM bindings are not). Never anything in between.
          if (!equalTo(w.m, before)) {
            apply();
            refill();
            refill = () => {};
          }
          sameAs(w.m, w.oracle);
          outcomes.untouched++;
        }
        sameAs(w.m, w.oracle);
        refill();
        if (op === "clear" && !threw)
          for (let i = 0; i < 40; i++) {
            w.m.set(i, i);
            w.oracle.set(i, i);
          }
        sameAs(w.m, w.oracle);
        return !threw;
      };
      for (let round = 0; round < 6; round++) {
        // Find the depth where the operation starts to fit, then sweep
        // every depth and padding around it.
        let lo = 0,
          hi = 40000;
        while (hi - lo > 1) {
          const mid = (lo + hi) >> 1;
          if (await attempt(mid, 0)) lo = mid;
          else hi = mid;
        }
        for (let d = lo - 6; d <= lo + 3; d++) for (let pad = 0; pad < 8; pad++) await attempt(d, pad);
      }
      expect(outcomes.done).toBeGreaterThan(0);
      expect(outcomes.untouched + outcomes.dead).toBeGreaterThan(0);
    }, 120_000);
  }
});

describe("an unwind the host never saw", () => {
  it("a set/delete that never returned makes the next one on any map abort: the runtime dies, typed", async () => {
    // A catch at the very limit of the stack may have no room to record
    // the exception; the core's own label, left set by the call that never
    // returned, says so at the next set/delete — on any map.
    for (const next of ["set", "delete"] as const) {
      const rt = await Runtime.create({ debug: true });
      const a = rt.map({ key: "u32", value: "u32" }).set(1, 1);
      const other = rt.map({ key: "u64", value: "string" }).set(1, "x");
      boundaryOf(rt).requireDebug("test").dbgSetEntryOp(1); // as if a.set had been cut short
      expect(a.get(1)).toBe(1); // reads write nothing: still answered
      let err: unknown;
      try {
        if (next === "set") other.set(2, "y");
        else other.delete(1);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(RuntimeAbortError);
      expect(String(err)).toMatch(/never returned/);
      expect(() => a.get(1)).toThrow(RuntimeDeadError);
      expect(() => other.get(1)).toThrow(RuntimeDeadError);
      expect(() => a.set(3, 3)).toThrow(RuntimeDeadError);
    }
  });
});

describe("a stack overflow inside the runtime's death itself", () => {
  // KNOWN BUG (src/boundary.ts, Boundary.#die): the death is published in
  // steps — the map ops killed, onDeath (every GoMap killed with the
  // reason), the dead exports, then #dead. When the stack runs out after
  // onDeath and before #dead, the maps answer RuntimeDeadError (reason: the
  // first trap) while the boundary still holds `escaped`: its next guarded
  // call (here rt.gc()) kills the runtime again and throws a fresh
  // CoreTrapError("an earlier write", …) instead of RuntimeDeadError, and
  // from then on the runtime names another reason than its maps. The
  // "stack overflows inside core calls" sweeps above hit this now and then
  // under load (gc: "expected error to be instance of RuntimeDeadError").
  // Here the overflow is put exactly there: the clock import throws once
  // inside the core's gc, and onDeath throws after killing the maps.
  it.fails("every call after the first typed death error throws RuntimeDeadError, naming one reason", async () => {
    const rt = await Runtime.create({ gcPercent: 5 });
    const m = rt.map({ key: "u32", value: "u32" });
    for (let i = 0; i < 40; i++) m.set(i, i);
    const b = boundaryOf(rt);
    const onDeath = b.onDeath!;
    b.onDeath = (reason) => {
      onDeath(reason);
      b.onDeath = onDeath;
      throw new RangeError("Maximum call stack size exceeded");
    };
    const now = performance.now;
    let armed = true;
    performance.now = () => {
      if (armed) {
        armed = false;
        throw new RangeError("Maximum call stack size exceeded");
      }
      return now.call(performance);
    };
    try {
      expect(() => rt.gc()).toThrow(/Maximum call stack size exceeded/);
    } finally {
      performance.now = now;
    }
    let first: unknown;
    try {
      m.get(0);
    } catch (e) {
      first = e;
    }
    expect(first).toBeInstanceOf(RuntimeDeadError);
    const reason = (first as RuntimeDeadError).reason;
    for (const call of [() => m.set(1, 1), () => rt.gc(), () => rt.readMemStats(), () => m.get(1)]) {
      let err: unknown;
      try {
        call();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(RuntimeDeadError);
      expect((err as RuntimeDeadError).reason).toBe(reason);
    }
  });
});

describe("an iterator a stack overflow interrupted", () => {
  it("never ends early: it yields every entry, or its later steps throw", async () => {
    const N = 2000; // four fetches of 512
    const fresh = async () => {
      const rt = await Runtime.create();
      const m = rt.map({ key: "u32", value: "u32" });
      for (let i = 0; i < N; i++) m.set(i, i);
      return m;
    };
    let m = await fresh();
    /** Starting an iteration allocates (an overflow list): a write, of
     *  which the runtime may die — typed, naming the overflow. */
    const alive = (): boolean => {
      try {
        return m.size === N;
      } catch (e) {
        expect(e).toBeInstanceOf(RuntimeDeadError);
        expect(String((e as Error).message)).toMatch(/Maximum call stack size exceeded/);
        return false;
      }
    };
    const outcomes = { whole: 0, refused: 0, dead: 0 };
    /** One iteration started at depth d: its first part there, the rest
     *  with the whole stack. */
    const attempt = async (d: number, pad: number): Promise<boolean> => {
      const seen = new Set<number>();
      let it: Iterator<[number, number]> | null = null;
      let fitted = false;
      try {
        at(d, pad, () => {
          it = m.entries();
          for (let r = it.next(); !r.done; r = it.next()) seen.add(r.value[0]);
        });
        fitted = true;
      } catch {
        // the overflow, somewhere in a step (or in starting the iteration)
      }
      if (it === null) {
        if (!alive()) {
          outcomes.dead++;
          m = await fresh();
        }
        return false;
      }
      try {
        for (let r = (it as Iterator<[number, number]>).next(); !r.done; r = (it as Iterator<[number, number]>).next())
          seen.add(r.value[0]);
      } catch (e) {
        expect(e).toBeInstanceOf(GomapError);
        if (e instanceof RuntimeDeadError || (e instanceof CoreTrapError && e.fatal)) {
          expect(String(e.message)).toMatch(/Maximum call stack size exceeded/);
          outcomes.dead++;
          m = await fresh();
        } else outcomes.refused++;
        return false;
      }
      expect(seen.size, `depth ${d} pad ${pad}: ended early`).toBe(N);
      outcomes.whole++;
      return fitted;
    };
    // Warm up (frames change size as the JIT tiers up), then for each
    // padding find the depth where the iteration stops fitting and sweep
    // around it.
    for (let i = 0; i < 200; i++) await attempt(100, i % 8);
    for (let pad = 0; pad < 8; pad++) {
      let lo = 0,
        hi = 40000;
      while (hi - lo > 1) {
        const mid = (lo + hi) >> 1;
        if (await attempt(mid, pad)) lo = mid;
        else hi = mid;
      }
      for (let d = lo - 8; d <= lo + 40; d++) await attempt(d, pad);
    }
    expect(outcomes.whole, JSON.stringify(outcomes)).toBeGreaterThan(0);
  }, 120_000);
});
