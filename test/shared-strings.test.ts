// Shared readers of string and bytes maps (docs/shared.md): every key ×
// value combination with a string or bytes side; WTF-8 strings (multi-byte
// UTF-8, lone surrogates, empty, longer than 1 KiB); getMany typed like
// GoMap.getMany (out, found, typed errors); keys no stored key can match
// (wrong type, a Proxy); and a memory holding garbage where a reference
// should be: the reader retries — it neither reads outside the memory nor
// allocates for a garbage length — and answers once the garbage is gone.
// (The model-based differential runs string and bytes streams through a
// worker too: test/shared.test.ts.)
import { describe, expect, it } from "vitest";
import {
  attach,
  InvalidArgumentError,
  Runtime,
  type GoMap,
  type KindName,
  type SharedMapDescriptor,
} from "../src/node.js";

const enc = new TextEncoder();
const LONG = "é".repeat(700) + "ß"; // 1401 bytes of UTF-8
const STRINGS = ["", "a", "héllo", "日本語", "😀", "\uD800", "\uDBFF", "\uDC00x", "a\uD800b", LONG, "\u0000"];
const BYTES = [new Uint8Array(0), new Uint8Array([0]), new Uint8Array([1, 2, 3]), new Uint8Array(1500).fill(7)];

/** Sample keys or values of a kind (distinct). */
function samples(kind: KindName): unknown[] {
  switch (kind) {
    case "string":
      return STRINGS;
    case "bytes":
      return [...BYTES, ...STRINGS.filter((s) => s.isWellFormed() && s.length > 1).map((s) => enc.encode(s))];
    case "u32":
      return [0, 1, 0xffffffff, 12345];
    case "i32":
      return [0, -1, 0x7fffffff, -0x80000000];
    case "u64":
      return [0n, 2n ** 64n - 1n, 5n];
    case "i64":
      return [0n, -(2n ** 63n), 7n];
    default:
      return [0, -2.5, Number.MAX_VALUE, 1e-300];
  }
}

const KINDS: KindName[] = ["u32", "i32", "u64", "i64", "f64", "string", "bytes"];
const PAIRS = KINDS.flatMap((k) => KINDS.map((v) => [k, v] as const)).filter(
  ([k, v]) => k === "string" || k === "bytes" || v === "string" || v === "bytes",
);

/** A map of every sample key (a sample value each, cycling), shared and attached. */
async function sharedMap(key: KindName, value: KindName) {
  const rt = await Runtime.create({ shared: true });
  const m = rt.map({ key, value }) as unknown as GoMap<KindName, KindName>;
  const ks = samples(key),
    vs = samples(value);
  ks.forEach((k, i) => m.set(k as never, vs[i % vs.length] as never));
  const d = rt.share(m);
  return { rt, m, d, r: attach(d), ks, vs };
}

/** The address of the bucket slot of m's only entry: its key and value references. */
function onlySlot(d: SharedMapDescriptor): { key: number; value: number } {
  const u8 = new Uint8Array(d.memory.buffer);
  const u32 = new Uint32Array(d.memory.buffer);
  const L = d.layout;
  const b = u32[(d.h + L.hmapBuckets) >>> 2]!;
  for (let i = 0; i < 8; i++) if (u8[b + i]! >= 5) return { key: b + L.keys + 8 * i, value: b + L.values + 8 * i };
  throw new Error("no entry");
}

/**
 * A descriptor over the same memory whose `buffer` getter (which a reader
 * reads again after a try that met garbage, and every 16 retries) counts
 * its reads and calls `repair` at the nth read after `arm()`: garbage the
 * test put in the memory goes away while the reader is retrying, in this
 * thread, deterministically.
 */
function repairing(d: SharedMapDescriptor, at: number, repair: () => void) {
  const real = d.memory;
  let armed = false,
    reads = 0;
  const memory = Object.create(WebAssembly.Memory.prototype, {
    buffer: {
      get() {
        if (armed && ++reads === at) repair();
        return real.buffer;
      },
    },
  });
  return {
    d: { ...d, memory } as SharedMapDescriptor,
    arm: () => {
      armed = true;
      reads = 0;
    },
    reads: () => reads,
  };
}

describe("shared readers of string and bytes maps", () => {
  for (const [key, value] of PAIRS) {
    it(`${key}→${value}: get, has, size, getMany, iteration`, async () => {
      const { rt, m, r, ks } = await sharedMap(key, value);
      expect(r.size).toBe(ks.length);
      for (const k of ks) {
        expect(r.get(k as never)).toEqual(m.get(k as never));
        expect(r.has(k as never)).toBe(true);
      }
      const absent = key === "string" ? "nope" : key === "bytes" ? new Uint8Array([9, 9]) : samples(key)[0];
      if (key === "string" || key === "bytes") {
        expect(r.get(absent as never)).toBeUndefined();
        expect(r.has(absent as never)).toBe(false);
      }
      const probe = [...ks, absent];
      const f1 = new Uint8Array(probe.length),
        f2 = new Uint8Array(probe.length);
      expect(r.getMany(probe as never, undefined, f1)).toEqual(m.getMany(probe as never, undefined, f2));
      expect(f1).toEqual(f2);
      const sorted = (xs: [unknown, unknown][]) =>
        xs
          .map((e) =>
            JSON.stringify(e, (_, x) => (typeof x === "bigint" ? `${x}n` : x instanceof Uint8Array ? [...x] : x)),
          )
          .sort();
      expect(sorted([...r.entries()])).toEqual(sorted([...m.entries()]));
      expect(sorted([...r.keys()].map((k) => [k, 0]))).toEqual(sorted([...m.keys()].map((k) => [k, 0])));
      rt.close();
    });
  }

  it("WTF-8: lone surrogates are distinct keys and values, and round-trip", async () => {
    const rt = await Runtime.create({ shared: true });
    const m = rt.map({ key: "string", value: "string" });
    m.set("\uD800", "\uDFFF").set("\uDBFF", "x\uD83D").set("\uFFFD", "y");
    const r = attach(rt.share(m));
    expect([r.get("\uD800"), r.get("\uDBFF"), r.get("\uFFFD"), r.get("\uDC00")]).toEqual([
      "\uDFFF",
      "x\uD83D",
      "y",
      undefined,
    ]);
    rt.close();
  });

  it("a bytes key is its bytes: a view into a larger buffer, a subclass, a SharedArrayBuffer view", async () => {
    const rt = await Runtime.create({ shared: true });
    const m = rt.map({ key: "bytes", value: "u32" });
    m.set(new Uint8Array([5, 6, 7]), 1);
    const r = attach(rt.share(m));
    expect(r.get(new Uint8Array([0, 5, 6, 7, 8]).subarray(1, 4))).toBe(1);
    const lying = new Uint8Array([5, 6, 7]);
    Object.defineProperty(lying, "length", { value: 1 }); // the real extent counts, as for GoMap
    expect(r.get(lying)).toBe(1);
    expect(m.get(lying)).toBe(1);
    const sab = new Uint8Array(new SharedArrayBuffer(3));
    sab.set([5, 6, 7]);
    expect(r.get(sab)).toBe(1);
    rt.close();
  });

  it("keys of the wrong type (a Proxy, a String object, a number): InvalidArgumentError as GoMap's, not read through", async () => {
    const rt = await Runtime.create({ shared: true });
    const s = rt.map({ key: "string", value: "u32" });
    s.set("1", 1).set("[object Object]", 2);
    const b = rt.map({ key: "bytes", value: "u32" });
    b.set(new Uint8Array([1, 2, 3]), 3);
    const n = rt.map({ key: "u32", value: "u32" });
    n.set(1, 1);
    const rs = attach(rt.share(s));
    const rb = attach(rt.share(b));
    const rn = attach(rt.share(n));
    let trapped = 0;
    const handler: ProxyHandler<object> = {
      get(t, p) {
        trapped++;
        return Reflect.get(t, p);
      },
    };
    const proxyString = new Proxy(new String("1"), handler);
    const proxyBytes = new Proxy(new Uint8Array([1, 2, 3]), handler);
    /** The reader throws what the owner's map throws for the same key. */
    const same = (owner: GoMap, reader: { get(k: never): unknown; has(k: never): unknown }, k: unknown) => {
      let want: unknown;
      try {
        owner.get(k as never);
      } catch (e) {
        want = e;
      }
      expect(want, `the owner's map refuses ${String(typeof k)}`).toBeInstanceOf(InvalidArgumentError);
      expect(() => reader.get(k as never)).toThrow(InvalidArgumentError);
      expect(() => reader.get(k as never)).toThrow((want as Error).message);
      expect(() => reader.has(k as never)).toThrow((want as Error).message);
    };
    for (const k of [1, null, undefined, {}, new String("1"), proxyString, 1n, Symbol("1")]) same(s, rs, k);
    for (const k of [
      "\u0001\u0002\u0003",
      [1, 2, 3],
      new Uint16Array([1, 2, 3]),
      new Int8Array([1, 2, 3]),
      proxyBytes,
      null,
    ])
      same(b, rb, k);
    for (const k of [-1, 1.5, 2 ** 32, "1", 1n, proxyString, null]) same(n, rn, k);
    expect(trapped).toBe(0); // a Proxy key is not read through
    // getMany: a bad key anywhere throws before out or found change.
    const found = new Uint8Array(3).fill(7);
    const out = new Uint32Array(3).fill(7);
    expect(() => rn.getMany([1, 2, "3"] as never, out, found)).toThrow(InvalidArgumentError);
    expect([...found, ...out]).toEqual([7, 7, 7, 7, 7, 7]);
    expect(() => rs.getMany(["1", proxyString] as never)).toThrow(InvalidArgumentError);
    // Well-typed keys no stored key can match are absent.
    expect(rn.get(2)).toBeUndefined();
    expect(rs.get("2")).toBeUndefined();
    expect(rs.get("1")).toBe(1);
    expect(rb.get(new Uint8Array([1, 2, 3]))).toBe(3);
    rt.close();
  });

  it("getMany is typed like GoMap.getMany: out and found filled and returned, typed errors for the wrong ones", async () => {
    const rt = await Runtime.create({ shared: true });
    const n = rt.map({ key: "string", value: "u64" });
    n.set("a", 1n).set("b", 2n ** 64n - 1n);
    const f = rt.map({ key: "string", value: "f64" });
    f.set("a", -0.5);
    const s = rt.map({ key: "u32", value: "string" });
    s.set(1, "one");
    const rn = attach(rt.share(n));
    const rf = attach(rt.share(f));
    const rs = attach(rt.share(s));
    const out = new BigUint64Array(4).fill(9n);
    const found = new Uint8Array(4).fill(9);
    expect(rn.getMany(["b", "x", "a"], out, found)).toBe(out);
    expect([...out]).toEqual([2n ** 64n - 1n, 0n, 1n, 9n]); // absent: 0; beyond the keys: untouched
    expect([...found]).toEqual([1, 0, 1, 9]);
    expect(rn.getMany(["a"])).toBeInstanceOf(BigUint64Array);
    expect([...rf.getMany(["a", "z"])]).toEqual([-0.5, 0]);
    expect(rf.getMany(["a"])).toBeInstanceOf(Float64Array);
    const arr: unknown[] = ["x", "y", "z"];
    expect(rs.getMany([2, 1], arr as never)).toBe(arr);
    expect(arr).toEqual([undefined, "one", "z"]);
    // Wrong out, found or keys: as GoMap.getMany, InvalidArgumentError.
    const bad: [() => unknown, string][] = [
      [() => rn.getMany(["a", "b"], new BigUint64Array(1)), "out"],
      [() => rn.getMany(["a"], new BigInt64Array(1) as never), "out"],
      [() => rn.getMany(["a"], [0n] as never), "out"],
      [() => rs.getMany([1, 2], ["x"] as never), "out"],
      [() => rs.getMany([1], new Uint32Array(1) as never), "out"],
      [() => rn.getMany(["a", "b"], undefined, new Uint8Array(1)), "found"],
      [() => rn.getMany(["a"], undefined, new Int8Array(1) as never), "found"],
      [() => rn.getMany(null as never), "keys"],
      [() => rn.getMany({ length: -1 } as never), "keys"],
      [() => rn.getMany({ length: 2 ** 40 } as never), "keys"],
      [() => rn.getMany(new DataView(new ArrayBuffer(4)) as never), "keys"],
    ];
    for (const [call, arg] of bad) {
      let err: unknown;
      try {
        call();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(InvalidArgumentError);
      expect((err as Error).message).toContain(arg);
    }
    // The same calls on the owner's map throw the same class.
    expect(() => n.getMany(["a", "b"], new BigUint64Array(1))).toThrow(InvalidArgumentError);
    expect(() => n.getMany(["a", "b"], undefined, new Uint8Array(1))).toThrow(InvalidArgumentError);
    rt.close();
  });

  it("a descriptor whose kinds do not match its map's layout is refused", async () => {
    const rt = await Runtime.create({ shared: true });
    const d = rt.share(rt.map({ key: "u32", value: "u32" }));
    const ds = rt.share(rt.map({ key: "string", value: "bytes" }));
    for (const x of [
      { ...d, keyType: "string" },
      { ...d, valueType: "bytes" },
      { ...ds, keyType: "u32" },
      { ...ds, valueType: "i32" },
      { ...ds, keyType: "text" },
    ])
      expect(() => attach(x as SharedMapDescriptor)).toThrow(InvalidArgumentError);
    expect(attach(ds).keyType).toBe("string");
    rt.close();
  });

  // Garbage where a reference should be (as a reader racing a delete and a
  // collection could see: a reference to memory reused since). The garbage
  // stays until the reader has retried a few times, then the test puts the
  // real words back (repairing): the answer is the real one, the reader did
  // retry, and nothing read outside the memory or allocated the garbage's
  // length (a 4 GiB Uint8Array throws RangeError).
  const GARBAGE: [string, "key" | "value", number, number][] = [
    ["a value whose length is most of 4 GiB", "value", 64, 0xfffffff0],
    ["a value whose object lies past the end of memory", "value", 0xfffff000, 16],
    ["a value whose length runs past the end of memory", "value", 64, 0x7fffffff],
    ["a value reference to address 0", "value", 0, 5],
    ["a key whose object lies past the end of memory", "key", 0xfffffff0, 5],
    ["a key reference to address 0", "key", 0, 5],
  ];
  for (const [what, where, ptr, len] of GARBAGE) {
    it(`garbage in memory — ${what}: the reader retries, then answers`, async () => {
      const rt = await Runtime.create({ shared: true });
      const m = rt.map({ key: "string", value: "string" });
      m.set("hello", "world");
      const d = rt.share(m);
      const slot = onlySlot(d)[where];
      const i32 = new Int32Array(d.memory.buffer);
      const saved = [Atomics.load(i32, slot >>> 2), Atomics.load(i32, (slot >>> 2) + 1)];
      const spoil = () => {
        Atomics.store(i32, slot >>> 2, ptr | 0);
        Atomics.store(i32, (slot >>> 2) + 1, len | 0);
      };
      const fix = () => {
        Atomics.store(i32, slot >>> 2, saved[0]!);
        Atomics.store(i32, (slot >>> 2) + 1, saved[1]!);
      };
      const rep = repairing(d, 3, fix);
      const r = attach(rep.d);
      const reads = [() => r.get("hello"), () => r.getMany(["hello"])[0]];
      // has reads no value: only key garbage is in its way.
      if (where === "key") reads.push(() => (r.has("hello") ? "world" : "absent"));
      for (const read of reads) {
        spoil();
        rep.arm();
        const retries = r.stats.retries;
        // A key of the wrong length is not compared: only "hello" meets the garbage.
        expect(read()).toBe("world");
        expect(rep.reads()).toBeGreaterThanOrEqual(3);
        expect(r.stats.retries).toBeGreaterThan(retries);
      }
      // Iteration meets it too (the garbage is in the only entry).
      spoil();
      rep.arm();
      expect([...r.entries()]).toEqual([["hello", "world"]]);
      expect(rep.reads()).toBeGreaterThanOrEqual(3);
      rt.close();
    });
  }
});
