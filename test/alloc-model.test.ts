// Model test of the allocator against a JS interval oracle.
//
// A seeded random stream of allocations (every size class, both noscan
// kinds, large objects) and collections (a random subset of live objects is
// marked — through interior pointers — and the rest swept, eagerly or lazily
// interleaved with allocation). After every step: no overlap with any live
// object, alignment, zeroed memory on allocation, live objects keep their
// contents, checkHeap clean, and MemStats equal a heap walk.
import { describe, it, expect } from "vitest";
import { debugRuntime, prng, randInt, seeds, withSeed, slowStatsMismatches } from "./helpers.js";
import { readMemStatsRecord } from "../src/records.js";

interface Obj {
  p: number;
  size: number;
  tag: number;
}

const PAGE = 8192;

describe("allocator model", () => {
  for (const seed of seeds(4)) {
    it(`random allocations and mark+sweep (seed ${seed})`, async () => {
      await withSeed(seed, async () => {
        const { b, dbg } = await debugRuntime("64MiB");
        const r = prng(seed);
        // The runtime's own objects (the root table) survive every sweep.
        const own = readMemStatsRecord(b);
        const classSizes: number[] = [0];
        for (let c = 1; c < 68; c++) classSizes.push(b.exports.classBytes(c));
        const live = new Map<number, Obj>(); // start → object
        let sorted: number[] = [];
        let sortedDirty = false;
        let lazySweep = false;
        let step = 0;

        const resort = () => {
          if (sortedDirty) {
            sorted = [...live.keys()].sort((x, y) => x - y);
            sortedDirty = false;
          }
        };
        const overlaps = (p: number, size: number): Obj | undefined => {
          resort();
          // last start <= p + size - 1
          let lo = 0,
            hi = sorted.length - 1,
            idx = -1;
          while (lo <= hi) {
            const mid = (lo + hi) >> 1;
            if (sorted[mid]! < p + size) {
              idx = mid;
              lo = mid + 1;
            } else hi = mid - 1;
          }
          if (idx < 0) return undefined;
          const o = live.get(sorted[idx]!)!;
          return o.p + o.size > p ? o : undefined;
        };
        const pickSize = (): number => {
          const x = r();
          if (x < 0.04) return randInt(r, 32769, 300_000); // large
          if (x < 0.05) return randInt(r, 1, 8); // smallest class
          const c = randInt(r, 1, 67);
          return randInt(r, classSizes[c - 1]! + 1, classSizes[c]!); // inside class c
        };
        const verifyContents = (o: Obj) => {
          const u8 = b.u8;
          const probe = [o.p, o.p + o.size - 1, o.p + (o.size >> 1)];
          for (const a of probe) {
            if (u8[a] !== o.tag)
              throw new Error(`object ${o.p}+${o.size} lost its contents at ${a}: ${u8[a]} != ${o.tag}`);
          }
        };

        for (step = 0; step < 2500; step++) {
          const x = r();
          if (x < 0.9) {
            const size = pickSize();
            const noscan = r() < 0.5;
            const p = b.alloc(size, noscan);
            expect(p, `alloc(${size}) failed at step ${step}`).not.toBe(0);
            expect(p % 8, "8-byte alignment").toBe(0);
            if (size > 32768) expect(p % PAGE, "large objects start a page").toBe(0);
            const hit = overlaps(p, size);
            if (hit) throw new Error(`step ${step}: [${p}, +${size}) overlaps live [${hit.p}, +${hit.size})`);
            const u8 = b.u8;
            for (let i = 0; i < size; i += size > 4096 ? 61 : 1) {
              if (u8[p + i] !== 0) throw new Error(`step ${step}: new object ${p}+${size} not zeroed at +${i}`);
            }
            if (u8[p + size - 1] !== 0) throw new Error(`step ${step}: new object not zeroed at its end`);
            const tag = randInt(r, 1, 255);
            u8.fill(tag, p, p + size);
            live.set(p, { p, size, tag });
            sortedDirty = true;
          } else {
            // A collection: keep a random subset, through interior pointers.
            dbg.dbgFinishSweep();
            dbg.dbgPrepareMark();
            const keepP = r();
            for (const o of [...live.values()]) {
              if (r() < keepP) {
                const interior = o.p + Math.floor(r() * o.size);
                expect(dbg.dbgFindObject(interior) >>> 0).toBe(o.p);
                expect(dbg.dbgMark(interior)).toBe(1);
              } else {
                live.delete(o.p);
              }
            }
            sortedDirty = true;
            dbg.dbgSweepStart();
            lazySweep = r() < 0.5;
            if (!lazySweep) dbg.dbgFinishSweep();
            else for (let i = randInt(r, 0, 5); i > 0; i--) dbg.dbgSweepOne();
          }
          dbg.checkHeap();
          if (step % 50 === 0) {
            for (const o of live.values()) verifyContents(o);
            expect(slowStatsMismatches(b)).toEqual([]);
          }
        }
        // Final: sweep everything, then HeapObjects is exactly the live set.
        dbg.dbgFinishSweep();
        dbg.checkHeap();
        for (const o of live.values()) verifyContents(o);
        expect(slowStatsMismatches(b)).toEqual([]);
        const s = readMemStatsRecord(b);
        expect(s.HeapObjects).toBe(live.size + own.HeapObjects!);
        let bytes = own.HeapAlloc!;
        for (const o of live.values()) {
          const size =
            o.size > 32768 ? Math.ceil(o.size / PAGE) * PAGE : classSizes.find((c, i) => i > 0 && c >= o.size)!;
          bytes += size;
        }
        expect(s.HeapAlloc).toBe(bytes);
        expect(s.Mallocs! - s.Frees!).toBe(s.HeapObjects);
      });
    });
  }

  it("frees everything when nothing is marked, and pages coalesce back into one free run", async () => {
    const { b, dbg } = await debugRuntime("64MiB");
    const before = readMemStatsRecord(b);
    for (let i = 0; i < 2000; i++) expect(b.alloc((i % 97) * 40 + 8, i % 3 === 0)).not.toBe(0);
    for (let i = 0; i < 20; i++) expect(b.alloc(40_000 + i * 9000, true)).not.toBe(0);
    dbg.checkHeap();
    dbg.dbgPrepareMark();
    dbg.dbgSweepStart();
    dbg.dbgFinishSweep();
    dbg.checkHeap();
    const after = readMemStatsRecord(b);
    // Only the runtime's own objects (the root table) are left.
    expect(after.HeapObjects).toBe(before.HeapObjects);
    expect(after.HeapAlloc).toBe(before.HeapAlloc);
    expect(after.HeapInuse).toBe(before.HeapInuse);
    expect(after.HeapIdle).toBe(after.HeapSys! - before.HeapInuse!);
    expect(after.Mallocs).toBe(before.Mallocs! + 2020);
    expect(after.Frees).toBe(before.Frees! + 2020);
    // Freed pages coalesce: only meta pages (span records and bitmaps, which
    // never return to the heap) can separate free runs, and the largest run
    // is usable without growing memory.
    dbg.dbgHeapShape(b.scratchBase);
    const [runs, largest, metaPages] = [0, 4, 8].map((o) => b.readU32(b.scratchBase + o)) as [number, number, number];
    expect(runs).toBeLessThanOrEqual(metaPages + 1);
    expect(largest * 8192).toBeGreaterThanOrEqual(after.HeapIdle! / (metaPages + 1));
    const sys = b.memory.buffer.byteLength;
    expect(b.alloc(largest * 8192, true)).not.toBe(0);
    expect(b.memory.buffer.byteLength).toBe(sys);
    dbg.checkHeap();
  });

  it("size 0 returns one shared address and allocates nothing", async () => {
    const { b } = await debugRuntime();
    const s0 = readMemStatsRecord(b);
    const a = b.alloc(0, true),
      c = b.alloc(0, false);
    expect(a).not.toBe(0);
    expect(a).toBe(c);
    expect(readMemStatsRecord(b).Mallocs).toBe(s0.Mallocs);
  });

  it("reuses swept slots and zeroes them before handing them out again", async () => {
    const { b, dbg } = await debugRuntime();
    const ptrs: number[] = [];
    for (let i = 0; i < 100; i++) ptrs.push(b.alloc(48, true));
    for (const p of ptrs) b.u8.fill(0xab, p, p + 48);
    dbg.dbgPrepareMark();
    for (let i = 0; i < ptrs.length; i += 2) dbg.dbgMark(ptrs[i]!);
    dbg.dbgSweepStart();
    dbg.dbgFinishSweep();
    const freed = new Set(ptrs.filter((_, i) => i % 2 === 1));
    for (let i = 0; i < 50; i++) {
      const p = b.alloc(48, true);
      expect(freed.has(p), `slot ${p} should be a freed one`).toBe(true);
      for (let j = 0; j < 48; j++) expect(b.u8[p + j]).toBe(0);
    }
    dbg.checkHeap();
  });
});

describe("huge spans", () => {
  it("are placed inside free runs or ungrown space without breaking the heap", async () => {
    const { b, dbg } = await debugRuntime("128MiB");
    const r = prng(7);
    const live: { p: number; size: number }[] = [];
    for (let step = 0; step < 60; step++) {
      if (r() < 0.6) {
        const size = randInt(r, 8 << 20, 20 << 20),
          p = b.alloc(size, true);
        if (p !== 0) {
          expect(p % 8192).toBe(0);
          for (const o of live) expect(p + size <= o.p || o.p + o.size <= p).toBe(true);
          b.u8[p] = 1;
          b.u8[p + size - 1] = 1;
          live.push({ p, size });
        }
      } else {
        dbg.dbgPrepareMark();
        for (const o of live)
          if (r() < 0.5) dbg.dbgMark(o.p);
          else o.size = -1;
        live.splice(0, live.length, ...live.filter((o) => o.size > 0));
        dbg.dbgSweepStart();
        dbg.dbgFinishSweep();
      }
      dbg.checkHeap();
      for (let i = 0; i < 50; i++) expect(b.alloc(randInt(r, 1, 3000), true)).not.toBe(0); // small spans in between
    }
  });
});
