// String and bytes keys/values: the WTF-8 codec (lone surrogates stay
// apart, decoding round-trips exactly) and what the collector does with the
// bytes after delete, clear and shrink.
import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { Runtime, OutOfMemoryError } from "../src/node.js";
import { encodeInto, decode, maxBytes } from "../src/wtf8.js";
import { boundaryOf } from "../src/runtime.js";
import { mapHandle, mapOps } from "../src/map.js";
import { expectBytes } from "./helpers.js";

const enc = (s: string) => {
  const u8 = new Uint8Array(maxBytes(s) + 8);
  return u8.slice(0, encodeInto(s, u8, 0));
};

describe("WTF-8", () => {
  it("is UTF-8 for well-formed strings", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 200 }), (s) => {
        expect(enc(s)).toEqual(new TextEncoder().encode(s));
      }),
    );
  });

  it("round-trips every JS string, lone surrogates included", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 200 }),
        (s) => {
          const b = enc(s);
          expect(decode(b, 0, b.length)).toBe(s);
        },
      ),
    );
  });

  it("never maps two different strings to the same bytes", () => {
    const lone = ["\uD800", "\uDBFF", "\uDC00", "\uDFFF", "\uD800\uD800", "a\uDC00", "\uFFFD"];
    const seen = new Map<string, string>();
    for (const s of lone) {
      const k = Array.from(enc(s)).join(",");
      expect(seen.has(k), `${JSON.stringify(s)} collides with ${JSON.stringify(seen.get(k))}`).toBe(false);
      seen.set(k, s);
    }
    fc.assert(
      fc.property(
        fc.string({ unit: fc.integer({ min: 0xd7f0, max: 0xe010 }).map((c) => String.fromCharCode(c)), maxLength: 6 }),
        fc.string({ unit: fc.integer({ min: 0xd7f0, max: 0xe010 }).map((c) => String.fromCharCode(c)), maxLength: 6 }),
        (a, b) => {
          if (a !== b) expect(Array.from(enc(a))).not.toEqual(Array.from(enc(b)));
        },
      ),
    );
  });

  it("keeps lone surrogates apart as map keys", async () => {
    const rt = await Runtime.create();
    const m = rt.map({ key: "string", value: "string" });
    m.set("\uD800", "high").set("\uDBFF", "other high").set("\uDC00", "low").set("\uFFFD", "replacement");
    expect(m.size).toBe(4);
    expect(m.get("\uD800")).toBe("high");
    expect(m.get("\uDBFF")).toBe("other high");
    expect(m.get("\uFFFD")).toBe("replacement");
    expect(new Set(m.keys())).toEqual(new Set(["\uD800", "\uDBFF", "\uDC00", "\uFFFD"]));
  });
});

describe("strings and the collector", () => {
  it("after delete-all and a full GC the string objects are gone while the bucket array stays", async () => {
    const rt = await Runtime.create({ gcPercent: "off" });
    rt.gc();
    const base = rt.readMemStats();
    const n = 100_000;
    const m = rt.map({ key: "string", value: "i64", hint: n });
    const keys = Array.from({ length: n }, (_, i) => `key-${i}`);
    m.setMany(
      keys,
      Array.from({ length: n }, (_, i) => BigInt(i)),
    );
    rt.gc();
    const full = rt.readMemStats();
    const info = rt.inspect(m);
    // The keys are separate heap objects: n of them.
    expect(full.HeapObjects - base.HeapObjects).toBeGreaterThanOrEqual(n);
    expect(m.deleteMany(keys)).toBe(n);
    const beforeGC = rt.readMemStats();
    expect(beforeGC.HeapObjects).toBe(full.HeapObjects); // nothing freed before a GC
    rt.gc();
    const after = rt.readMemStats();
    // HeapObjects falls by the number of keys (give or take the overflow buckets).
    expect(full.HeapObjects - after.HeapObjects).toBeGreaterThanOrEqual(n);
    expect(full.HeapObjects - after.HeapObjects).toBeLessThanOrEqual(n + 10);
    // The bucket array is still held: Go's maps do not shrink.
    expect(rt.inspect(m).bucketBytes).toBe(info.bucketBytes);
    expect(after.HeapAlloc).toBeGreaterThanOrEqual(info.bucketBytes);
    // shrink() and a GC: back near the start.
    m.shrink();
    rt.gc();
    const shrunk = rt.readMemStats();
    expect(shrunk.HeapInuse - base.HeapInuse).toBeLessThan(256 * 1024);
    expect(m.size).toBe(0);
  });

  it("re-assigning a value replaces its reference: the old bytes are collected", async () => {
    const rt = await Runtime.create({ gcPercent: "off" });
    const m = rt.map({ key: "u32", value: "string" });
    m.set(1, "x".repeat(100_000));
    rt.gc();
    const a = rt.readMemStats().HeapAlloc;
    m.set(1, "small");
    rt.gc();
    expect(a - rt.readMemStats().HeapAlloc).toBeGreaterThan(90_000);
    expect(m.get(1)).toBe("small");
  });

  it("clear() drops every reference at once (Go's mapclear)", async () => {
    const rt = await Runtime.create({ gcPercent: "off", debug: true });
    const m = rt.map({ key: "string", value: "bytes" });
    for (let i = 0; i < 5000; i++) m.set(`k${i}`, new Uint8Array(100).fill(i & 255));
    rt.gc();
    const full = rt.readMemStats();
    m.clear();
    rt.gc();
    const after = rt.readMemStats();
    expect(full.HeapObjects - after.HeapObjects).toBeGreaterThanOrEqual(10_000);
    mapOps(m).checkMap!(mapHandle(m));
    boundaryOf(rt).requireDebug("t").checkHeap();
  });

  it("values of every shape round-trip: unicode, empty, embedded NULs, long", async () => {
    const rt = await Runtime.create();
    const m = rt.map({ key: "bytes", value: "string" });
    const cases: [Uint8Array, string][] = [
      [new Uint8Array([]), ""],
      [new Uint8Array([0]), "\0"],
      [new Uint8Array([0, 0, 1]), "a\0b"],
      [new Uint8Array([255]), "𝔘𝔫𝔦𝔠𝔬𝔡𝔢"],
      [new Uint8Array(70_000).fill(7), "z".repeat(70_000)],
    ];
    for (const [k, v] of cases) m.set(k, v);
    for (const [k, v] of cases) expect(m.get(k)).toBe(v);
    expect(m.size).toBe(cases.length);
  });
});

describe("arguments longer than the scratch area", () => {
  it("a long key and a long value in one set survive a collection that ends in between", async () => {
    // Both are placed in temporary heap objects; placing the second
    // allocates, which may end a cycle: the first must be rooted.
    const rt = await Runtime.create({ debug: true, maxMemory: "128MiB" });
    const m = rt.map({ key: "string", value: "bytes" });
    const model = new Map<string, Uint8Array>();
    for (let i = 0; i < 40; i++) {
      const k = (i % 3 === 0 ? "K".repeat(40_000) : "k") + i;
      const v = new Uint8Array(i % 2 ? 100_000 : 10).fill(i);
      m.set(k, v);
      model.set(k, v);
    }
    expect(rt.readMemStats().NumGC).toBeGreaterThan(0);
    for (const [k, v] of model) expectBytes(m.get(k), v, `the value of ${k.slice(-12)}`);
    boundaryOf(rt).requireDebug("checks").checkHeap();
  });

  it("a lookup of a long key allocates nothing and cannot run out of memory", async () => {
    const rt = await Runtime.create({ maxMemory: "4MiB" });
    const m = rt.map({ key: "string", value: "u32" });
    const stored = `${"s".repeat(40_000)}!`;
    m.set(stored, 7).set("short", 1);
    const bytes = rt.map({ key: "bytes", value: "u32" });
    bytes.set(new Uint8Array(50_000).fill(9), 3);
    const before = rt.readMemStats();
    const probe = "p".repeat(20_000_000); // five times the whole heap
    expect(m.get(probe)).toBeUndefined();
    expect(m.has(probe)).toBe(false);
    expect(m.get(stored)).toBe(7);
    expect(m.get(`${"s".repeat(40_000)}?`)).toBeUndefined(); // same length, last byte differs
    expect(m.getMany([stored, probe, "short"])).toEqual(new Uint32Array([7, 0, 1]));
    // An own `length` that lies: the real extent is what is looked up.
    const liar = Object.defineProperty(new Uint8Array(50_000).fill(9), "length", { value: 4 });
    expect(bytes.get(liar)).toBe(3);
    expect(bytes.has(new Uint8Array(20_000_000))).toBe(false);
    const after = rt.readMemStats();
    expect(after.Mallocs).toBe(before.Mallocs);
    expect(after.TotalAlloc).toBe(before.TotalAlloc);
  });

  it("many long keys of one length: each found, its near twins not (candidates sharing a tophash)", async () => {
    const rt = await Runtime.create({ debug: true, maxMemory: "256MiB" });
    const m = rt.map({ key: "bytes", value: "u32", seed: 7 });
    const s = rt.map({ key: "string", value: "u32", seed: 7 });
    const N = 600;
    const key = (i: number, salt: number) => {
      const k = new Uint8Array(33_000).fill(0x61);
      new DataView(k.buffer).setUint32(32_990, i * 2 + salt, true);
      return k;
    };
    const text = (i: number, salt: number) => `${"t".repeat(33_000)}${i * 2 + salt}`.slice(-33_004);
    for (let i = 0; i < N; i++) {
      m.set(key(i, 0), i);
      s.set(text(i, 0), i);
    }
    // Equal tophash bytes in one chain: a lookup of the later key passes
    // over the earlier one (the keys all have one length).
    const shared = (x: ReturnType<typeof rt.inspectBuckets>) => {
      const a = x.current!;
      let dup = 0,
        o = 0;
      for (let bi = 0; bi < a.nbuckets; bi++) {
        const tops = [...a.tophash.subarray(8 * bi, 8 * bi + 8)];
        for (let c = 0; c < a.chainLength[bi]!; c++, o++) tops.push(...a.overflowTophash.subarray(8 * o, 8 * o + 8));
        const live = tops.filter((t) => t >= x.tophashValues.minTopHash);
        dup += live.length - new Set(live).size;
      }
      return dup;
    };
    expect(shared(rt.inspectBuckets(m))).toBeGreaterThan(2);
    expect(shared(rt.inspectBuckets(s))).toBeGreaterThan(2);
    for (let i = 0; i < N; i++) {
      expect(m.get(key(i, 0))).toBe(i);
      expect(m.get(key(i, 1))).toBeUndefined();
      expect(s.get(text(i, 0))).toBe(i);
      expect(s.has(text(i, 1))).toBe(false);
    }
    // Deleting names the map's own copy of the key: half of them, then the rest is intact.
    for (let i = 0; i < N; i += 2) {
      expect(m.delete(key(i, 0))).toBe(true);
      expect(m.delete(key(i, 1))).toBe(false);
      expect(s.delete(text(i, 0))).toBe(true);
    }
    for (let i = 0; i < N; i++) {
      expect(m.get(key(i, 0))).toBe(i % 2 ? i : undefined);
      expect(s.get(text(i, 0))).toBe(i % 2 ? i : undefined);
    }
    expect(m.size).toBe(N / 2);
    boundaryOf(rt).requireDebug("checks").checkHeap();
  });

  it("deleting a present long key needs no memory; long arguments are not retained after the call", async () => {
    const rt = await Runtime.create({ maxMemory: "16MiB" });
    const m = rt.map({ key: "string", value: "string" });
    const big = "K".repeat(3_000_000);
    m.set(big, "V".repeat(2_000_000));
    rt.gc();
    rt.gc();
    const held = rt.readMemStats().HeapAlloc;
    // No temporary outlives its call: a set of a new long key, then its delete.
    m.set(`${big}2`, "v");
    expect(m.delete(`${big}2`)).toBe(true);
    rt.gc();
    rt.gc();
    expect(rt.readMemStats().HeapAlloc).toBeLessThan(held + 64 * 1024);
    // Fill the heap to its cap.
    const filler = rt.map({ key: "u32", value: "bytes" });
    let i = 0;
    expect(() => {
      for (; ; i++) filler.set(i, new Uint8Array(4096));
    }).toThrow(OutOfMemoryError);
    expect(i).toBeGreaterThan(100);
    expect(m.delete(big)).toBe(true);
    expect(m.size).toBe(0);
  });
});
