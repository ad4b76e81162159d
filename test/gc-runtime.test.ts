// The collector through the public API: pacing (GOGC), rt.gc(), gctrace,
// MemStats' GC fields, freed maps and old bucket arrays reclaimed, pins,
// live iterators across growth + collection, the FinalizationRegistry
// backstop.
import { describe, it, expect } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Runtime, InvalidOptionError, InvalidArgumentError } from "../src/node.js";
import { boundaryOf } from "../src/runtime.js";
import { slowStatsMismatches } from "./helpers.js";
import { mapHandle, mapOps } from "../src/map.js";

/** Go 1.19's format (runtime/mgc.go:gcMarkTermination), as a regex. */
const MS = String.raw`(?:\d+|\d+\.\d{1,3})`;
const GCTRACE = new RegExp(
  String.raw`^gc (\d+) @(\d+\.\d{3})s (\d+)%: ${MS}\+${MS}\+${MS} ms clock, ` +
    String.raw`${MS}\+${MS}/${MS}/${MS}\+${MS} ms cpu, (\d+)->(\d+)->(\d+) MB, (\d+) MB goal, 0 MB stacks, 0 MB globals, 1 P( \(forced\))?$`,
);

async function fill(rt: Runtime, n: number) {
  const m = rt.map({ key: "u64", value: "u64" });
  const ks = BigUint64Array.from({ length: n }, (_, i) => BigInt(i) * 0x9e3779b9n);
  m.setMany(ks, ks);
  return m;
}

describe("pacing and rt.gc()", () => {
  it("collects automatically under the default GOGC, never with gcPercent off", async () => {
    const on = await Runtime.create({ maxMemory: "512MiB" });
    const off = await Runtime.create({ maxMemory: "512MiB", gcPercent: "off" });
    for (const rt of [on, off]) {
      for (let i = 0; i < 4; i++) (await fill(rt, 200_000)).free();
    }
    expect(on.readMemStats().NumGC).toBeGreaterThan(0);
    expect(off.readMemStats().NumGC).toBe(0);
    expect(off.readMemStats().NextGC).toBe(0);
    // The collected runtime holds far less than the one that never collected.
    expect(on.readMemStats().HeapInuse).toBeLessThan(off.readMemStats().HeapInuse / 2);
  });

  it("NextGC is the heap goal: the live heap × (1 + GOGC/100), at least 4 MiB × GOGC/100", async () => {
    const rt = await Runtime.create({ gcPercent: 100 });
    rt.gc();
    expect(rt.readMemStats().NextGC).toBe(4 * 1024 * 1024);
    rt.setGCPercent(50);
    expect(rt.readMemStats().NextGC).toBe(2 * 1024 * 1024);
    rt.setGCPercent(100);
    const m = await fill(rt, 300_000);
    rt.gc();
    const s = rt.readMemStats();
    // After a full GC with the map live, HeapAlloc is the marked heap.
    expect(s.NextGC).toBe(s.HeapAlloc * 2);
    m.free();
  });

  it("setGCPercent returns the previous value, like debug.SetGCPercent", async () => {
    const rt = await Runtime.create({ gcPercent: 150 });
    expect(rt.setGCPercent(-1)).toBe(150);
    expect(rt.setGCPercent("off")).toBe(-1);
    expect(rt.setGCPercent(100)).toBe(-1);
    expect(rt.setGCPercent(100)).toBe(100);
    expect(() => rt.setGCPercent(1.5)).toThrow(InvalidArgumentError);
    await expect(Runtime.create({ gcPercent: "sometimes" as never })).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(Runtime.create({ gctrace: "yes" as never })).rejects.toBeInstanceOf(InvalidOptionError);
  });

  it("rt.gc() runs even with GOGC off and counts as forced", async () => {
    const rt = await Runtime.create({ gcPercent: "off" });
    rt.gc();
    rt.gc();
    const s = rt.readMemStats();
    expect(s.NumGC).toBe(2);
    expect(s.NumForcedGC).toBe(2);
  });
});

describe("MemStats GC fields", () => {
  it("PauseNs ring (latest at (NumGC+255)%256), PauseEnd, PauseTotalNs, LastGC, GCCPUFraction", async () => {
    const rt = await Runtime.create({ debug: true });
    // The clock LastGC is read from (src/memstats.ts), in Unix ms. Not
    // Date.now(): the wall clock is stepped (NTP, a VM resumed) while the
    // monotonic one is not, and the two drift apart over a process's life.
    const clock = () => performance.timeOrigin + performance.now();
    const before = clock();
    const m = await fill(rt, 100_000);
    for (let i = 0; i < 3; i++) rt.gc();
    const s = rt.readMemStats();
    expect(s.NumGC).toBeGreaterThanOrEqual(3);
    const latest = (s.NumGC + 255) % 256;
    expect(s.PauseNs[latest]).toBeGreaterThan(0);
    expect(s.PauseNs.slice(0, s.NumGC).reduce((a, b) => a + b, 0)).toBe(s.PauseTotalNs);
    expect(s.PauseEnd[latest]).toBe(s.LastGC);
    // LastGC is a Unix timestamp in ns, taken during this test (to 10 µs:
    // a double holds ns since 1970 to 256 ns, ms to 244 ns).
    const after = clock();
    expect(s.LastGC / 1e6).toBeGreaterThanOrEqual(before - 0.01);
    expect(s.LastGC / 1e6).toBeLessThanOrEqual(after + 0.01);
    expect(Math.abs(s.LastGC / 1e6 - Date.now())).toBeLessThan(60_000); // Unix time, whatever the drift
    expect(s.GCCPUFraction).toBeGreaterThan(0);
    expect(s.GCCPUFraction).toBeLessThan(1);
    expect(s.MaxPauseNs).toBeGreaterThan(0);
    expect(s.EnableGC).toBe(true);
    expect(s.Mallocs - s.Frees).toBe(s.HeapObjects);
    expect(s.HeapSys).toBe(s.HeapInuse + s.HeapIdle);
    expect(slowStatsMismatches(boundaryOf(rt))).toEqual([]);
    m.free();
  });

  it("identities and the heap walk agree while automatic cycles run", async () => {
    const rt = await Runtime.create({ debug: true, gcPercent: 25 });
    const b = boundaryOf(rt);
    const maps = [];
    for (let round = 0; round < 20; round++) {
      maps.push(await fill(rt, 5000 + round * 500));
      if (round % 3 === 2) maps.shift()!.free();
      const s = rt.readMemStats();
      expect(s.Mallocs - s.Frees).toBe(s.HeapObjects);
      expect(s.Sys).toBe(s.HeapSys + s.MSpanSys + s.GCSys + s.OtherSys);
      expect(slowStatsMismatches(b)).toEqual([]);
      b.requireDebug("t").checkHeap();
    }
    expect(rt.readMemStats().NumGC).toBeGreaterThan(0);
  });
});

describe("gctrace", () => {
  it("prints one line per cycle in Go 1.19's format", async () => {
    const lines: string[] = [];
    const rt = await Runtime.create({ gctrace: (l) => lines.push(l), maxMemory: "512MiB" });
    for (let i = 0; i < 3; i++) (await fill(rt, 200_000)).free();
    rt.gc();
    const s = rt.readMemStats();
    expect(lines.length).toBe(s.NumGC);
    lines.forEach((l, i) => {
      const m = GCTRACE.exec(l);
      expect(m, l).not.toBeNull();
      expect(Number(m![1])).toBe(i + 1);
    });
    expect(lines.at(-1)).toMatch(/\(forced\)$/);
    expect(lines.filter((l) => l.endsWith("(forced)")).length).toBe(s.NumForcedGC);
    // H2 (marked) of the forced cycle with nothing live is the runtime's own.
    expect(GCTRACE.exec(lines.at(-1)!)![6]).toBe("0");
  });
});

describe("reclaiming", () => {
  it("a freed map's memory is reclaimed by the next cycle", async () => {
    const rt = await Runtime.create({ gcPercent: "off" });
    rt.gc();
    const base = rt.readMemStats();
    const m = await fill(rt, 500_000);
    const full = rt.readMemStats();
    expect(full.HeapInuse - base.HeapInuse).toBeGreaterThan(20e6);
    m.free();
    rt.gc();
    const after = rt.readMemStats();
    expect(after.HeapAlloc).toBe(base.HeapAlloc);
    expect(after.HeapObjects).toBe(base.HeapObjects);
    expect(after.HeapInuse).toBeLessThanOrEqual(base.HeapInuse + 64 * 1024);
    expect(after.HeapReleased).toBe(0);
    expect(after.Sys).toBe(full.Sys); // linear memory never shrinks
  });

  it("old bucket arrays are reclaimed once evacuation completes", async () => {
    const rt = await Runtime.create({ gcPercent: "off" });
    const m = await fill(rt, 1_000_000);
    const grown = rt.readMemStats();
    rt.gc();
    const info = rt.inspect(m);
    expect(info.growing).toBe(false);
    const s = rt.readMemStats();
    // Only the current array (B = 18) and the overflow lists remain.
    expect(s.HeapAlloc).toBeLessThan(info.bucketBytes * 1.05 + 1e6);
    expect(grown.HeapAlloc).toBeGreaterThan(info.bucketBytes * 1.8);
    expect(m.get(7n * 0x9e3779b9n)).toBe(7n * 0x9e3779b9n);
  });

  it("shrink() leaves the old arrays to the collector", async () => {
    const rt = await Runtime.create({ gcPercent: "off" });
    const m = await fill(rt, 300_000);
    rt.gc();
    const full = rt.readMemStats().HeapAlloc;
    m.deleteMany(BigUint64Array.from({ length: 299_990 }, (_, i) => BigInt(i) * 0x9e3779b9n));
    m.shrink();
    rt.gc();
    expect(m.size).toBe(10);
    expect(rt.readMemStats().HeapAlloc).toBeLessThan(full / 100);
  });

  it("a pin keeps a map's memory after free() until unpin()", async () => {
    const rt = await Runtime.create({ gcPercent: "off" });
    rt.gc();
    const base = rt.readMemStats().HeapAlloc;
    const m = await fill(rt, 100_000);
    const pin = rt.pin(m);
    m.free();
    rt.gc();
    expect(rt.readMemStats().HeapAlloc - base).toBeGreaterThan(1e6);
    pin.unpin();
    pin.unpin();
    rt.gc();
    expect(rt.readMemStats().HeapAlloc).toBe(base);
  });

  it("a live iterator's bucket snapshot survives growth and a collection", async () => {
    const rt = await Runtime.create({ debug: true, gcPercent: "off" });
    const m = rt.map({ key: "u32", value: "u32" });
    for (let i = 0; i < 5000; i++) m.set(i, i);
    const it = m.entries();
    const seen = new Set<number>();
    for (let i = 0; i < 100; i++) seen.add(it.next().value![0]);
    expect(rt.roots).toBe(5); // the map + the iterator's four
    // Grow the map twice over (the snapshot array is left behind), collect.
    for (let i = 5000; i < 60_000; i++) m.set(i, i);
    rt.gc();
    boundaryOf(rt).requireDebug("t").checkHeap();
    for (let r = it.next(); !r.done; r = it.next()) {
      expect(r.value[1]).toBe(r.value[0]);
      seen.add(r.value[0]);
    }
    for (let i = 0; i < 5000; i++) expect(seen.has(i)).toBe(true);
    expect(rt.roots).toBe(1); // the iterator let go of its roots
    rt.gc();
    mapOps(m).checkMap!(mapHandle(m));
  });

  it("a GoMap the program drops without free() is released by the FinalizationRegistry backstop", () => {
    const root = fileURLToPath(new URL("..", import.meta.url));
    const dir = mkdtempSync(join(root, "test", ".tmp-finreg-"));
    try {
      writeFileSync(
        join(dir, "probe.mjs"),
        `
        import { Runtime } from "gomap-wasm";
        const rt = await Runtime.create({ gcPercent: "off" });
        rt.gc();
        const base = rt.readMemStats().HeapAlloc;
        (() => { const m = rt.map({ key: "u32", value: "u32" }); for (let i = 0; i < 100000; i++) m.set(i, i); })();
        const held = rt.readMemStats().HeapAlloc - base;
        for (let i = 0; i < 20 && rt.liveMaps > 0; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 10)); }
        rt.gc();
        console.log(JSON.stringify({ held, after: rt.readMemStats().HeapAlloc - base, liveMaps: rt.liveMaps }));
      `,
      );
      const r = spawnSync(process.execPath, ["--expose-gc", "probe.mjs"], { cwd: dir, encoding: "utf8" });
      expect(r.stderr).toBe("");
      const out = JSON.parse(r.stdout.trim());
      expect(out.held).toBeGreaterThan(500_000);
      expect(out.after).toBe(0);
      expect(out.liveMaps).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
