// Runtime.create options, the abort → dead path, and MemStats identities.
import { describe, it, expect } from "vitest";
import { Runtime, InvalidOptionError, RuntimeAbortError, RuntimeDeadError, GomapError } from "../src/node.js";
import { boundaryOf } from "../src/runtime.js";
import { debugRuntime, prng, randInt, seeds, withSeed, slowStatsMismatches } from "./helpers.js";

describe("Runtime.create options", () => {
  it("accepts bytes, bigint and unit strings, rounding down to whole 64 KiB pages", async () => {
    expect((await Runtime.create({ maxMemory: "512MiB" })).maxMemory).toBe(512 * 1024 * 1024);
    expect((await Runtime.create({ maxMemory: "1GiB" })).maxMemory).toBe(1024 ** 3);
    expect((await Runtime.create({ maxMemory: "64MB" })).maxMemory).toBe(Math.floor(64e6 / 65536) * 65536);
    expect((await Runtime.create({ maxMemory: 10 * 65536 + 5 })).maxMemory).toBe(10 * 65536);
    expect((await Runtime.create({ maxMemory: 8n * 1024n * 1024n })).maxMemory).toBe(8 * 1024 * 1024);
    expect((await Runtime.create()).maxMemory).toBe(4 * 1024 ** 3);
    expect((await Runtime.create({ maxMemory: "4GiB" })).maxMemory).toBe(4 * 1024 ** 3);
  });

  const bad: [string, unknown, RegExp][] = [
    ["not a number", { maxMemory: "lots" }, /cannot read "lots" as a size/],
    ["NaN", { maxMemory: NaN }, /finite/],
    ["Infinity", { maxMemory: Infinity }, /finite/],
    ["negative", { maxMemory: -1 }, /positive/],
    ["fractional", { maxMemory: 1000.5 }, /whole number/],
    ["over 4 GiB", { maxMemory: "5GiB" }, /over 4 GiB/],
    ["4 GiB + 1", { maxMemory: 4 * 1024 ** 3 + 1 }, /over 4 GiB/],
    ["below one page", { maxMemory: 1000 }, /below one WebAssembly page/],
    ["unknown unit", { maxMemory: "3 parsecs" }, /cannot read/],
    ["wrong type", { maxMemory: {} }, /must be a number of bytes/],
    ["unknown option", { maxMemroy: "1GiB" }, /unknown option/],
    ["options not an object", 42, /must be an object/],
    ["debug not boolean", { debug: "yes" }, /boolean/],
  ];
  for (const [what, options, msg] of bad) {
    it(`rejects ${what} with InvalidOptionError`, async () => {
      const p = Runtime.create(options as never);
      await expect(p).rejects.toBeInstanceOf(InvalidOptionError);
      await expect(p).rejects.toBeInstanceOf(GomapError);
      await expect(p).rejects.toThrow(msg);
    });
  }

  it("explains a maxMemory too small for the core's own data", async () => {
    const p = Runtime.create({ maxMemory: 65536 });
    await expect(p).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(p).rejects.toThrow(/use at least \d+ bytes/);
  });

  it("keeps runtimes apart: each has its own memory and heap", async () => {
    const a = await Runtime.create({ maxMemory: "16MiB" });
    const b = await Runtime.create({ maxMemory: "16MiB" });
    const a0 = a.readMemStats().HeapObjects,
      b0 = b.readMemStats().HeapObjects;
    boundaryOf(a).allocMany(1000, 1000, true);
    expect(a.readMemStats().HeapObjects - a0).toBe(1000);
    expect(b.readMemStats().HeapObjects).toBe(b0);
    expect(boundaryOf(a).memory).not.toBe(boundaryOf(b).memory);
  });
});

describe("abort", () => {
  it("turns a core abort into RuntimeAbortError with file:line and a dump, then the runtime is dead", async () => {
    const { rt, b, dbg } = await debugRuntime();
    const p = b.alloc(48, true);
    expect(dbg.dbgCorruptSpan(p)).toBe(1);
    let err: unknown;
    try {
      dbg.checkHeap();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RuntimeAbortError);
    const abort = err as RuntimeAbortError;
    expect(abort.message).toMatch(/allocCount differs from the bitmaps/);
    expect(abort.file).toBe("assembly/mem/check.ts");
    expect(abort.line).toBeGreaterThan(0);
    expect(abort.message).toContain(`assembly/mem/check.ts:${abort.line}`);
    expect(abort.dump.some((l) => l.startsWith("span:"))).toBe(true);
    expect(b.dead).toBe(abort);
    // Every later call says the runtime is dead.
    expect(() => rt.readMemStats()).toThrow(RuntimeDeadError);
    expect(() => b.alloc(8, true)).toThrow(RuntimeDeadError);
    expect(() => rt.spanClasses()).toThrow(/dead since the core aborted: checkHeap|allocCount differs/);
  });
});

describe("MemStats", () => {
  for (const seed of seeds(3)) {
    it(`Go's identities hold after a random workload, and match a heap walk (seed ${seed})`, async () => {
      await withSeed(seed, async () => {
        const { rt, b, dbg } = await debugRuntime("1GiB");
        const r = prng(seed);
        const counts = new Map<number, number>();
        // The runtime's own objects (the root table) are there from the start.
        const base = rt.readMemStats().BySize.map((e) => e.Mallocs);
        for (let round = 0; round < 6; round++) {
          for (let i = 0; i < 3000; i++) {
            const size = r() < 0.02 ? randInt(r, 32769, 500_000) : randInt(r, 1, 32768);
            expect(b.alloc(size, r() < 0.5)).not.toBe(0);
            if (size <= 32768) {
              let c = 1;
              while (b.exports.classBytes(c) < size) c++;
              counts.set(c, (counts.get(c) ?? 0) + 1);
            }
          }
          if (r() < 0.7) {
            dbg.dbgPrepareMark();
            dbg.dbgSweepStart();
            if (r() < 0.5) dbg.dbgFinishSweep();
          }
          const s = rt.readMemStats();
          expect(s.Mallocs - s.Frees).toBe(s.HeapObjects);
          expect(s.HeapSys).toBe(s.HeapInuse + s.HeapIdle);
          expect(s.Sys).toBe(s.HeapSys + s.MSpanSys + s.GCSys + s.OtherSys);
          expect(s.Sys).toBe(b.memory.buffer.byteLength);
          expect(s.HeapReleased).toBe(0);
          expect(s.HeapAlloc).toBeLessThanOrEqual(s.HeapInuse);
          expect(s.HeapAlloc).toBeLessThanOrEqual(s.TotalAlloc);
          expect(s.BySize).toHaveLength(61);
          expect(s.BySize[0]).toEqual({ Size: 0, Mallocs: 0, Frees: 0 });
          for (let c = 1; c < 61; c++) {
            expect(s.BySize[c]!.Size).toBe(b.exports.classBytes(c));
            expect(s.BySize[c]!.Mallocs - base[c]!).toBe(counts.get(c) ?? 0);
            expect(s.BySize[c]!.Frees).toBeLessThanOrEqual(s.BySize[c]!.Mallocs);
          }
          expect(slowStatsMismatches(b)).toEqual([]);
          dbg.checkHeap();
        }
      });
    });
  }

  it("counts a 1000-byte object as 1024 and a large one as whole pages, like Go", async () => {
    const { rt, b } = await debugRuntime();
    const s0 = rt.readMemStats();
    b.alloc(1000, true);
    b.alloc(40_000, true);
    const s1 = rt.readMemStats();
    expect(s1.HeapAlloc - s0.HeapAlloc).toBe(1024 + 5 * 8192);
    expect(s1.Mallocs - s0.Mallocs).toBe(2);
    expect(s1.BySize[32]).toEqual({ Size: 1024, Mallocs: 1, Frees: 0 });
  });
});
