// Out of memory at a small maxMemory: a typed error, nothing half-done, the
// heap still consistent, and later allocations that fit still succeed.
import { describe, it, expect } from "vitest";
import { debugRuntime, prng, randInt, seeds, withSeed, slowStatsMismatches } from "./helpers.js";
import { allocOrThrow } from "../src/runtime.js";
import { OutOfMemoryError, GomapError } from "../src/node.js";
import { readMemStatsRecord } from "../src/records.js";

const COUNTS = ["HeapAlloc", "HeapObjects", "Mallocs", "Frees", "TotalAlloc"] as const;

describe("out of memory", () => {
  it("a large allocation over the cap throws OutOfMemoryError and changes nothing", async () => {
    const { rt, b, dbg } = await debugRuntime("1MiB");
    const before = readMemStatsRecord(b);
    let err: unknown;
    try {
      allocOrThrow(rt, 2 * 1024 * 1024, true);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(OutOfMemoryError);
    expect(err).toBeInstanceOf(GomapError);
    expect((err as OutOfMemoryError).requested).toBe(2 * 1024 * 1024);
    expect((err as OutOfMemoryError).maxMemory).toBe(1024 * 1024);
    expect((err as Error).message).toMatch(/nothing was changed/);
    dbg.checkHeap();
    const after = readMemStatsRecord(b);
    for (const k of COUNTS) expect(after[k], k).toBe(before[k]);
    // Something that fits still works.
    expect(allocOrThrow(rt, 100_000, true)).toBeGreaterThan(0);
    dbg.checkHeap();
  });

  it("sizes near 4 GiB fail cleanly instead of overflowing", async () => {
    const { b, dbg } = await debugRuntime("1MiB");
    for (const size of [0xffffffff, 0xfffff000, 0x80000000, 0x7fffffff]) {
      expect(b.alloc(size, true)).toBe(0);
    }
    dbg.checkHeap();
  });

  for (const seed of seeds(3)) {
    it(`filling a small heap to the cap, freeing, and filling again (seed ${seed})`, async () => {
      await withSeed(seed, async () => {
        const { rt, b, dbg } = await debugRuntime("2MiB");
        const r = prng(seed);
        for (let round = 0; round < 3; round++) {
          const live: number[] = [];
          let failures = 0;
          for (let i = 0; i < 4000 && failures < 25; i++) {
            const size = r() < 0.1 ? randInt(r, 32769, 200_000) : randInt(r, 1, 32768);
            const before = readMemStatsRecord(b);
            try {
              live.push(allocOrThrow(rt, size, r() < 0.5));
            } catch (e) {
              expect(e).toBeInstanceOf(OutOfMemoryError);
              failures++;
              dbg.checkHeap();
              const after = readMemStatsRecord(b);
              for (const k of COUNTS) expect(after[k], `${k} after a failed alloc(${size})`).toBe(before[k]);
            }
          }
          expect(failures, "the heap should reach its cap").toBeGreaterThan(0);
          expect(b.memory.buffer.byteLength).toBeLessThanOrEqual(2 * 1024 * 1024);
          expect(slowStatsMismatches(b)).toEqual([]);
          // Free everything; allocations that fit succeed again.
          dbg.dbgPrepareMark();
          dbg.dbgSweepStart();
          dbg.dbgFinishSweep();
          dbg.checkHeap();
          expect(readMemStatsRecord(b).HeapObjects).toBe(1); // the root table
          for (let i = 0; i < 50; i++) expect(allocOrThrow(rt, randInt(r, 1, 4096), true)).toBeGreaterThan(0);
          expect(allocOrThrow(rt, 100_000, true)).toBeGreaterThan(0);
          dbg.checkHeap();
          dbg.dbgPrepareMark();
          dbg.dbgSweepStart();
          dbg.dbgFinishSweep();
        }
      });
    });
  }

  it("many small objects up to the cap, then every one still readable", async () => {
    const { rt, b, dbg } = await debugRuntime("1MiB");
    const ptrs: number[] = [];
    for (;;) {
      try {
        ptrs.push(allocOrThrow(rt, 24, false));
      } catch (e) {
        expect(e).toBeInstanceOf(OutOfMemoryError);
        break;
      }
      b.dv.setUint32(ptrs[ptrs.length - 1]!, ptrs.length, true);
    }
    expect(ptrs.length).toBeGreaterThan(10_000);
    ptrs.forEach((p, i) => expect(b.dv.getUint32(p, true)).toBe(i + 1));
    dbg.checkHeap();
    expect(slowStatsMismatches(b)).toEqual([]);
  });
});
