// rt.pool: Go's sync.Pool for maps with generations — reuse of the bucket
// array, clearing, the victim cache across two collections, misuse errors,
// counters.
import { describe, expect, it } from "vitest";
import {
  InvalidArgumentError,
  IteratorInvalidatedError,
  Runtime,
  UseAfterFreeError,
  WrongRuntimeError,
  GENERATIONS,
} from "../src/node.js";
import { boundaryOf } from "../src/runtime.js";
import { mapHandle, mapOps } from "../src/map.js";

async function rt0() {
  return Runtime.create({ gcPercent: "off", debug: true, maxMemory: "256MiB" });
}

describe("rt.pool", () => {
  it("get() reuses a put map: cleared, same memory, same bucket array", async () => {
    const rt = await rt0();
    const pool = rt.pool({ key: "u32", value: "u64", generation: "transaction" });
    expect(pool.hint).toBe(GENERATIONS.transaction.hint);
    const a = pool.get();
    expect(rt.inspect(a).B).toBe(8); // make(map, 1024)
    for (let i = 0; i < 5000; i++) a.set(i, BigInt(i));
    const grown = rt.inspect(a);
    const h = mapHandle(a);
    pool.put(a);
    const b = pool.get();
    expect(b === a).toBe(false);
    expect(mapHandle(b)).toBe(h);
    expect(b.size).toBe(0);
    const again = rt.inspect(b);
    expect(again.B).toBe(grown.B); // buckets kept for reuse (Go's mapclear)
    expect(again.bucketBytes).toBe(grown.bucketBytes);
    expect(again.tophash.live).toBe(0);
    for (let i = 0; i < 5000; i++) b.set(i, 1n);
    expect(rt.inspect(b).B).toBe(grown.B); // no growth the second time
    expect(pool.stats()).toMatchObject({ gets: 2, puts: 1, hits: 1, misses: 1, dropped: 0, idle: 0, victims: 0 });
    mapOps(b).checkMap!(mapHandle(b));
    boundaryOf(rt).requireDebug("checks").checkHeap();
  });

  it("a map put back is dead to its old holder; putting it twice, or a wrong map, is refused", async () => {
    const rt = await rt0();
    const pool = rt.pool({ key: "string", value: "string", generation: "transient" });
    const m = pool.get();
    m.set("a", "b");
    const it = m.entries();
    pool.put(m);
    for (const use of [
      () => m.get("a"),
      () => m.set("x", "y"),
      () => m.size,
      () => m.delete("a"),
      () => [...m.keys()],
      () => m.free(),
    ]) {
      expect(use).toThrow(UseAfterFreeError);
      expect(use).toThrow(/put back into a pool/);
    }
    expect(() => it.next()).toThrow(IteratorInvalidatedError);
    expect(() => pool.put(m)).toThrow(/put back into a pool/);
    expect(pool.stats().puts).toBe(1);
    expect(() => pool.put(rt.map({ key: "u32", value: "string" }) as never)).toThrow(InvalidArgumentError);
    const other = await rt0();
    expect(() => pool.put(other.map({ key: "string", value: "string" }))).toThrow(WrongRuntimeError);
    const freed = rt.map({ key: "string", value: "string" });
    freed.free();
    expect(() => pool.put(freed)).toThrow(UseAfterFreeError);
    expect(() => rt.pool({ key: "u32", value: "u32", generation: "forever" as never })).toThrow(
      /transient, transaction, stable/,
    );
    expect(() => rt.pool({ key: "u32", value: "u32", generation: "stable", hint: -1 })).toThrow(InvalidArgumentError);
    expect(pool.get().get("a")).toBeUndefined(); // the reused map was cleared
  });

  it("pooled maps nobody reuses are dropped across two collections (sync.Pool's victim cache)", async () => {
    const rt = await rt0();
    const b = boundaryOf(rt);
    const pool = rt.pool({ key: "u64", value: "u64", generation: "stable", hint: 100_000 });
    const m = pool.get();
    const h = mapHandle(m);
    const live0 = rt.liveMaps;
    pool.put(m);
    rt.gc(); // 1st: primary → victim
    expect(pool.stats()).toMatchObject({ idle: 0, victims: 1, dropped: 0 });
    expect(b.objectBase(h)).toBe(h);
    // A get() may still take it from the victim cache.
    const again = pool.get();
    expect(mapHandle(again)).toBe(h);
    expect(pool.stats().hits).toBe(1);
    pool.put(again);
    const inuse = rt.readMemStats().HeapInuse;
    rt.gc(); // → victim
    rt.gc(); // → dropped at this cycle's start, freed by its sweep
    expect(pool.stats()).toMatchObject({ idle: 0, victims: 0, dropped: 1 });
    expect(b.objectBase(h)).toBe(0);
    expect(rt.liveMaps).toBe(live0 - 1);
    expect(inuse - rt.readMemStats().HeapInuse).toBeGreaterThan(100_000 * 16); // the B=14 array went back
    pool.get(); // a miss makes a new one (maybe at the freed address)
    expect(pool.stats().misses).toBe(2);
  });

  it("puts beyond maxIdle free the map; close() drains", async () => {
    const rt = await rt0();
    const pool = rt.pool({ key: "u32", value: "u32", generation: "transient", maxIdle: 2 });
    const ms = [pool.get(), pool.get(), pool.get()];
    for (const m of ms) pool.put(m);
    expect(pool.stats()).toMatchObject({ idle: 2, dropped: 1, puts: 3 });
    const roots = rt.roots;
    pool.close();
    expect(pool.stats()).toMatchObject({ idle: 0, dropped: 3 });
    expect(rt.roots).toBe(roots - 2);
    const m = pool.get();
    m.set(1, 1);
    pool.put(m); // a closed pool frees what it is given
    expect(pool.stats().dropped).toBe(4);
  });
});

describe("pools and using", () => {
  it("`using m = pool.get(); pool.put(m)` ends its block without an error; free() on a pooled map still says why", async () => {
    const { Runtime, UseAfterFreeError } = await import("../src/node.js");
    const rt = await Runtime.create({ maxMemory: "8MiB" });
    const pool = rt.pool({ key: "u32", value: "u32", generation: "transient" });
    const m = pool.get();
    m.set(1, 1);
    pool.put(m);
    expect(() => m[Symbol.dispose]()).not.toThrow();
    expect(() => m.free()).toThrow(UseAfterFreeError);
    expect(pool.stats().idle).toBe(1);
    rt.close();
  });
});
