// rt.compact(): every live map moves into a fresh instance with a fresh,
// right-sized memory; every GoMap keeps its contents and keeps working;
// iterators and unsafe views fail clearly; MemStats carry on; compaction
// works when linear memory is at its cap; a peak over maxPeakMemory (or a new
// memory the engine refuses) fails typed and leaves the original intact.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CompactionMemoryError,
  InvalidOptionError,
  IteratorInvalidatedError,
  OutOfMemoryError,
  Runtime,
  StaleViewError,
  type GoMap,
  type KindName,
} from "../src/node.js";
import { boundaryOf } from "../src/runtime.js";
import { expectBytes, prng, randInt, seeds, withSeed } from "./helpers.js";
import { mapHandle, mapOps } from "../src/map.js";

const saved = process.env.GOMAP_WASM_TRUSTED;
beforeAll(() => {
  process.env.GOMAP_WASM_TRUSTED = "1";
});
afterAll(() => {
  if (saved === undefined) delete process.env.GOMAP_WASM_TRUSTED;
  else process.env.GOMAP_WASM_TRUSTED = saved;
});

type Any = GoMap<"u32", "u32">;
const SHAPES: [KindName, KindName][] = [
  ["u32", "u32"],
  ["i64", "string"],
  ["string", "bytes"],
  ["f64", "u64"],
  ["u64", "f64"],
  ["bytes", "i32"],
];

function gen(kind: KindName, r: () => number): unknown {
  const n = randInt(r, 0, 4000);
  switch (kind) {
    case "u32":
      return n;
    case "i32":
      return n - 2000;
    case "u64":
      return BigInt(n) * 0x10000000001n;
    case "i64":
      return BigInt(n - 2000) << 40n;
    case "f64":
      return r() < 0.02 ? -0 : n / 8;
    case "string":
      return `k${n}${"é".repeat(n % 7)}`;
    case "bytes":
      return Uint8Array.from(String(n), (c) => c.charCodeAt(0));
  }
}
const keyOf = (k: unknown) => (k instanceof Uint8Array ? `b:${[...k].join(",")}` : Object.is(k, -0) ? 0 : k);

describe("rt.compact", () => {
  it("keeps every map's contents exactly and every handle working (model check)", async () => {
    for (const seed of seeds(2)) {
      await withSeed(seed, async () => {
        const rt = await Runtime.create({ debug: true, maxMemory: "512MiB" });
        const r = prng(seed);
        const maps = SHAPES.map(([key, value]) => ({
          m: rt.map({ key, value }) as unknown as Any,
          key,
          value,
          model: new Map<unknown, [unknown, unknown]>(),
        }));
        const apply = (x: (typeof maps)[number], ops: number, delFrac: number) => {
          for (let i = 0; i < ops; i++) {
            const k = gen(x.key, r);
            if (r() < delFrac) {
              x.m.delete(k as number);
              x.model.delete(keyOf(k));
            } else {
              const v = gen(x.value, r);
              x.m.set(k as number, v as number);
              x.model.set(keyOf(k), [k, v]);
            }
          }
        };
        for (const x of maps) apply(x, 6000, 0.1);
        for (const x of maps) apply(x, 8000, 0.9); // most entries go
        // One map mid-growth.
        const growing = maps[0]!;
        for (let i = 10_000; !rt.inspect(growing.m).growing; i++) {
          growing.m.set(i, i);
          growing.model.set(i, [i, i]);
        }
        const dbg = boundaryOf(rt).requireDebug("checks");
        const its = maps.map((x) => x.m.keys());
        for (const it of its) it.next();
        const s0 = rt.readMemStats();
        const report = await rt.compact();
        expect(report.maps).toBe(maps.length);
        expect(report.entries).toBe(maps.reduce((a, x) => a + x.model.size, 0));
        expect(report.after.linearBytes).toBeLessThan(report.before.linearBytes);
        expect(rt.compactions).toBe(1);
        for (const it of its) expect(() => it.next()).toThrow(IteratorInvalidatedError);
        dbg.checkHeap();
        const check = () => {
          for (const x of maps) {
            expect(x.m.size).toBe(x.model.size);
            mapOps(x.m).checkMap!(mapHandle(x.m));
            for (const [, [k, v]] of x.model) expect(x.m.get(k as number)).toEqual(v);
            let n = 0;
            for (const [k, v] of x.m) {
              expect(x.model.get(keyOf(k))?.[1]).toEqual(v);
              n++;
            }
            expect(n).toBe(x.model.size);
          }
        };
        check();
        // They keep working, growth and collections included.
        for (const x of maps) apply(x, 3000, 0.3);
        rt.gc();
        check();
        boundaryOf(rt).requireDebug("checks").checkHeap();
        const s1 = rt.readMemStats();
        expect(s1.TotalAlloc).toBeGreaterThanOrEqual(s0.TotalAlloc);
        expect(s1.Mallocs - s1.Frees).toBe(s1.HeapObjects);
        expect(s1.NumGC).toBe(s0.NumGC + 1);
        expect(s1.PauseNs[(s1.NumGC + 255) % 256]).toBeGreaterThan(0);
        expect(s1.Sys).toBe(rt.memoryBytes);
      });
    }
  });

  it("gives memory back: after deleting 99%, linear memory is within 10% of what the survivors need", async () => {
    const rt = await Runtime.create({ maxMemory: "1GiB" });
    const m = rt.map({ key: "u64", value: "u64" });
    const n = 1_000_000;
    const keys = new BigUint64Array(n).map((_, i) => BigInt(i) * 2654435761n);
    m.setMany(keys, keys);
    const dead = keys.filter((_, i) => i % 100 !== 0);
    m.deleteMany(dead);
    const before = rt.memoryBytes;
    await rt.compact();
    // What the survivors need: a fresh runtime holding the same entries in a
    // map made with hint = count.
    const fresh = await Runtime.create({ maxMemory: "1GiB" });
    const f = fresh.map({ key: "u64", value: "u64", hint: m.size });
    const live = keys.filter((_, i) => i % 100 === 0);
    f.setMany(live, live);
    expect(rt.memoryBytes).toBeLessThan(before / 10);
    expect(rt.memoryBytes).toBeLessThanOrEqual(fresh.memoryBytes * 1.1);
    expect(m.get(live[77]!)).toBe(live[77]);
  });

  it("copies strings longer than the scratch area once (no second copy held in the new heap)", async () => {
    const rt = await Runtime.create({ debug: true, maxMemory: "128MiB" });
    const m = rt.map({ key: "string", value: "bytes" });
    const model = new Map<string, Uint8Array>();
    for (let i = 0; i < 200; i++) {
      const k = (i % 3 === 0 ? "K".repeat(40_000) : "k") + i; // some keys longer than the area too
      const v = new Uint8Array(i % 2 ? 100_000 : 10).fill(i);
      m.set(k, v);
      model.set(k, v);
    }
    m.set("", new Uint8Array(0));
    model.set("", new Uint8Array(0));
    rt.gc();
    const s0 = rt.readMemStats();
    await rt.compact();
    const s1 = rt.readMemStats();
    expect(s1.HeapInuse).toBeLessThanOrEqual(s0.HeapInuse * 1.05);
    // A second copy of each long string would be 100+ more objects; the
    // rebuilt map may chain a few more or fewer overflow buckets than the
    // old one did (its layout depends on the random hash seed).
    expect(s1.HeapObjects).toBeLessThanOrEqual(s0.HeapObjects + 8);
    expect(m.size).toBe(model.size);
    for (const [k, v] of model) expectBytes(m.get(k), v, `the value of ${k.slice(-12)}`);
    mapOps(m).checkMap!(mapHandle(m));
    boundaryOf(rt).requireDebug("checks").checkHeap();
    const sum = (xs: { Mallocs: number }[]) => xs.reduce((a, x) => a + x.Mallocs, 0);
    expect(sum(s1.BySize)).toBeGreaterThanOrEqual(sum(s0.BySize)); // cumulative across the compaction
  });

  it("hooks, pins and unsafe views across a compaction", async () => {
    const rt = await Runtime.create({ trusted: true, debug: true });
    const u = rt.unsafe;
    const m = rt.map({ key: "u64", value: "u64" });
    const seen: bigint[] = [];
    u.onAssign(m, (k) => seen.push(k));
    for (let i = 0n; i < 100n; i++) m.set(i, i);
    const v = u.buckets(m);
    const p = u.pointer(m);
    const pin = rt.pin(m);
    const pool = rt.pool({ key: "u32", value: "u32", generation: "transient" });
    pool.put(pool.get());
    await rt.compact();
    expect(() => v.current.bytes[0]).toThrow(StaleViewError);
    expect(() => p.address).toThrow(/compacted/);
    expect(u.isStale(v)).toBe(true);
    m.set(1000n, 1n);
    expect(seen.at(-1)).toBe(1000n); // hooks moved with the map
    expect(u.pointer(m).address).toBe(mapHandle(m));
    expect(pool.stats()).toMatchObject({ idle: 0, dropped: 1 }); // pools are emptied
    // The pin follows its map: freed by the user, still alive while pinned.
    const h = mapHandle(m);
    m.free();
    rt.gc();
    expect(boundaryOf(rt).objectBase(h)).toBe(h);
    pin.unpin();
    rt.gc();
    expect(boundaryOf(rt).objectBase(h)).toBe(0);
  });

  it("fails clearly when maxPeakMemory cannot hold both memories, and leaves the original intact", async () => {
    const rt = await Runtime.create({ maxMemory: "40MiB", debug: true });
    const m = rt.map({ key: "u32", value: "string" });
    let i = 0;
    while (rt.memoryBytes < 24 * 1024 * 1024) m.set(i++, `value ${i} ${"x".repeat(40)}`);
    const bytes = rt.memoryBytes;
    const size = m.size;
    await expect(rt.compact({ maxPeakMemory: "40MiB" })).rejects.toThrow(CompactionMemoryError);
    await expect(rt.compact({ maxPeakMemory: "40MiB" })).rejects.toThrow(/over maxPeakMemory \(41943040 bytes\)/);
    expect(rt.compactions).toBe(0);
    expect(rt.memoryBytes).toBe(bytes);
    expect(m.size).toBe(size);
    expect(m.get(17)).toBe(`value 18 ${"x".repeat(40)}`);
    mapOps(m).checkMap!(mapHandle(m));
    boundaryOf(rt).requireDebug("checks").checkHeap();
    // After deleting most entries, a collection leaves room... but linear
    // memory does not shrink: the old memory still counts in full.
    for (let j = 0; j < i; j++) if (j % 10) m.delete(j);
    rt.gc();
    const report = await rt.compact({ maxPeakMemory: "40MiB" });
    expect(report.before.linearBytes + report.after.linearBytes).toBeLessThanOrEqual(40 * 1024 * 1024);
    expect(rt.memoryBytes).toBeLessThan(bytes / 4);
    expect(m.get(10)).toBe(`value 11 ${"x".repeat(40)}`);
  });

  it("refuses bad options", async () => {
    const rt = await Runtime.create();
    await expect(rt.compact({ maxPeek: 1 } as never)).rejects.toThrow(InvalidOptionError);
    await expect(rt.compact({ maxPeakMemory: "lots" })).rejects.toThrow(/maxPeakMemory: cannot read/);
    await expect(rt.compact({ maxPeakMemory: -1 })).rejects.toThrow(InvalidOptionError);
    expect(rt.compactions).toBe(0);
  });
});

// Compaction is needed most when linear memory has reached maxMemory: the
// new memory has a cap of its own (maxMemory), so the transient peak is the
// old memory plus the survivors' new one.
describe("rt.compact at the memory cap", () => {
  type Model = Map<number, string>[];
  /** A debug runtime filled to its cap (OutOfMemoryError seen), then all
   *  maps but every tenth freed and collected. */
  async function fullThenMostlyFreed(): Promise<{ rt: Runtime; kept: GoMap<"u32", "string">[]; model: Model }> {
    const rt = await Runtime.create({ maxMemory: "32MiB", debug: true });
    const maps: GoMap<"u32", "string">[] = [];
    let oom: unknown;
    for (let j = 0; oom === undefined; j++) {
      const m = rt.map({ key: "u32", value: "string" });
      maps.push(m);
      try {
        for (let i = 0; i < 2000; i++) m.set(i * 7919, `${j}:${i} ${"x".repeat(100 + (i % 50))}`);
      } catch (e) {
        oom = e;
      }
    }
    expect(oom).toBeInstanceOf(OutOfMemoryError);
    expect(rt.memoryBytes).toBe(rt.maxMemory);
    const kept = maps.filter((_, j) => j % 10 === 3);
    for (const m of maps) if (!kept.includes(m)) m.free();
    rt.gc();
    expect(kept.length).toBeGreaterThan(5);
    return { rt, kept, model: kept.map((m) => new Map(m)) };
  }
  function expectIntact(rt: Runtime, kept: GoMap<"u32", "string">[], model: Model): void {
    kept.forEach((m, j) => {
      expect(m.size).toBe(model[j]!.size);
      for (const [k, v] of model[j]!) expect(m.get(k)).toBe(v);
      mapOps(m).checkMap!(mapHandle(m));
    });
    boundaryOf(rt).requireDebug("checks").checkHeap();
  }

  it("works when linear memory is at its cap and the survivors are small", async () => {
    const { rt, kept, model } = await fullThenMostlyFreed();
    const report = await rt.compact();
    expect(report.before.linearBytes).toBe(rt.maxMemory);
    expect(report.maps).toBe(kept.length);
    expect(rt.compactions).toBe(1);
    expect(rt.memoryBytes).toBeLessThan(rt.maxMemory / 4);
    expectIntact(rt, kept, model);
    // The runtime keeps working, and may grow to its cap again.
    kept[0]!.set(1, "one");
    expect(kept[0]!.get(1)).toBe("one");
  });

  it("under maxPeakMemory: CompactionMemoryError naming the bytes until the bound holds the peak; nothing lost", async () => {
    const { rt, kept, model } = await fullThenMostlyFreed();
    const cap = rt.maxMemory;
    // Bounds from one page above the old memory upwards: the first fail
    // before copying (the new core's fixed areas do not fit), later ones may
    // fail during the copy (the estimate leaves out string bytes).
    let failures = 0;
    let bound = cap + 65536;
    for (; ; bound += 512 * 1024) {
      let err: unknown;
      try {
        const report = await rt.compact({ maxPeakMemory: bound });
        expect(report.before.linearBytes).toBe(cap);
        expect(report.before.linearBytes + report.after.linearBytes).toBeLessThanOrEqual(bound);
        break;
      } catch (e) {
        err = e;
      }
      failures++;
      expect(err).toBeInstanceOf(CompactionMemoryError);
      expect(err).toBeInstanceOf(OutOfMemoryError);
      const ce = err as CompactionMemoryError;
      expect(ce.oldBytes).toBe(cap);
      expect(ce.maxPeakMemory).toBe(bound);
      expect(ce.peakBytes).toBeGreaterThan(bound);
      expect(ce.requested).toBe(ce.peakBytes);
      expect(ce.message).toContain(`needs at least ${ce.peakBytes} bytes`);
      expect(ce.message).toContain(`over maxPeakMemory (${bound} bytes)`);
      expect(rt.compactions).toBe(0);
      expect(rt.memoryBytes).toBe(cap);
      expectIntact(rt, kept, model);
    }
    expect(failures).toBeGreaterThan(1);
    expect(rt.compactions).toBe(1);
    expectIntact(rt, kept, model);
  });

  it("the engine refusing the new memory: CompactionMemoryError, runtime intact", async () => {
    const { rt, kept, model } = await fullThenMostlyFreed();
    const Real = WebAssembly.Memory;
    (WebAssembly as { Memory: unknown }).Memory = function Memory(): never {
      throw new RangeError("WebAssembly.Memory(): could not allocate memory");
    };
    let err: unknown;
    try {
      await rt.compact();
    } catch (e) {
      err = e;
    } finally {
      (WebAssembly as { Memory: unknown }).Memory = Real;
    }
    expect(err).toBeInstanceOf(CompactionMemoryError);
    const ce = err as CompactionMemoryError;
    expect(ce.maxPeakMemory).toBeUndefined();
    expect(ce.oldBytes).toBe(rt.maxMemory);
    expect(ce.peakBytes).toBeGreaterThan(ce.oldBytes);
    expect(ce.message).toMatch(/engine could not allocate a new memory/);
    expect(rt.compactions).toBe(0);
    expectIntact(rt, kept, model);
    await rt.compact(); // and with the engine willing, it goes through
    expectIntact(rt, kept, model);
  });
});
