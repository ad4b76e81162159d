// Everything that works on a runtime works on a shared one (issue 18:
// "GC, pools, unsafe, profiles; compact() refuses"), debug and release: a
// representative slice of the other test files' behaviour, run on
// Runtime.create({ shared: true }).
//
// - maps of every key kind × every value kind: set/get/has/delete, size,
//   iteration, setMany/getMany, clear and shrink, checked against a JS Map
//   model (debug: the core's heap and map invariants after each phase);
//   every map is also attached (rt.share → attach) and the reader agrees
//   with the model;
// - the collector: gctrace lines in Go's format, one per cycle; a freed
//   map's memory comes back; an incremental cycle stepped while the owner
//   writes and a reader reads;
// - pools: get/put/hit, and a collection moving idle maps to the victims;
// - unsafe on a trusted shared runtime: slot stores, zeroValues, hooks,
//   bucket views; the reader sees the owner's writes through them;
// - the heap profile decodes as pprof; inspect/inspectHeap agree with the
//   maps;
// - snapshots: a shared runtime's image restores unshared and shared, an
//   unshared one's restores shared (and is shared from there);
// - rt.compact() refuses with SharedRuntimeError and changes nothing;
// - rt.close(): maps and readers throw RuntimeClosedError.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gunzipSync } from "node:zlib";
import { Profile } from "pprof-format";
import { attach, Runtime, RuntimeClosedError, SharedRuntimeError, type GoMap, type KindName } from "../src/node.js";
import { boundaryOf } from "../src/runtime.js";
import { mapHandle, mapOps } from "../src/map.js";

const ENV = "GOMAP_WASM_TRUSTED";
const saved = process.env[ENV];
beforeAll(() => {
  process.env[ENV] = "1";
});
afterAll(() => {
  if (saved === undefined) delete process.env[ENV];
  else process.env[ENV] = saved;
});

const KINDS: KindName[] = ["u32", "i32", "u64", "i64", "f64", "string", "bytes"];
const U64 = (1n << 64n) - 1n;

type Any = number | bigint | string | Uint8Array;

/** The i-th key or value of a kind (distinct per i). */
function sample(kind: KindName, i: number): Any {
  switch (kind) {
    case "u32":
      return Math.imul(i + 1, 0x9e3779b1) >>> 0;
    case "i32":
      return i % 2 === 0 ? -i - 1 : i * 7919;
    case "u64":
      return (BigInt(i + 1) * 0x9e3779b97f4a7c15n) & U64;
    case "i64":
      return i % 2 === 0 ? -(BigInt(i) << 40n) - 1n : BigInt(i) * 12345n;
    case "f64":
      return i * 0.5 - 100.25;
    case "string":
      return `k${i}-é€😀`;
    case "bytes":
      return new Uint8Array([i & 255, i >> 8, 7, 0]);
  }
}

/** A comparable form (Object.is for numbers: -0 stays -0). */
function norm(v: unknown): string {
  if (v === undefined) return "undefined";
  if (v instanceof Uint8Array) return `b:${Buffer.from(v).toString("hex")}`;
  if (typeof v === "bigint") return `n:${v}`;
  if (typeof v === "number") return Object.is(v, -0) ? "f:-0" : `f:${v}`;
  return `s:${String(v)}`;
}

/** A JS Map model of a GoMap: normalised key → [key, value]. */
class Model {
  readonly m = new Map<string, [Any, Any]>();
  set(k: Any, v: Any): void {
    this.m.set(norm(k), [k, v]);
  }
  delete(k: Any): void {
    this.m.delete(norm(k));
  }
  get(k: Any): string {
    const e = this.m.get(norm(k));
    return e ? norm(e[1]) : "undefined";
  }
  entries(): string[] {
    return [...this.m.values()].map(([k, v]) => `${norm(k)}=${norm(v)}`).sort();
  }
}

type Loose = GoMap & {
  set(k: Any, v: Any): unknown;
  get(k: Any): unknown;
  has(k: Any): boolean;
  delete(k: Any): boolean;
  setMany(k: ArrayLike<Any>, v: ArrayLike<Any>): unknown;
  getMany(k: ArrayLike<Any>, out?: undefined, found?: Uint8Array): ArrayLike<unknown>;
};

function entriesOf(it: Iterable<[unknown, unknown]>): string[] {
  return [...it].map(([k, v]) => `${norm(k)}=${norm(v)}`).sort();
}

function check(rt: Runtime, name: string, m: Loose, model: Model, probe: Any[]): void {
  expect(m.size, `${name} size`).toBe(model.m.size);
  expect(
    probe.map((k) => norm(m.get(k))),
    `${name} get`,
  ).toEqual(probe.map((k) => model.get(k)));
  expect(
    probe.map((k) => m.has(k)),
    `${name} has`,
  ).toEqual(probe.map((k) => model.get(k) !== "undefined"));
  // getMany: numeric values in a typed array (0 where absent), found[i] says which.
  const found = new Uint8Array(probe.length);
  const many = Array.from(m.getMany(probe, undefined, found) as ArrayLike<unknown>, (v, i) =>
    found[i] ? norm(v) : "undefined",
  );
  expect(many, `${name} getMany`).toEqual(probe.map((k) => model.get(k)));
  expect(entriesOf(m as Iterable<[unknown, unknown]>), `${name} iteration`).toEqual(model.entries());
  expect(rt.inspect(m).count, `${name} inspect`).toBe(model.m.size);
  if (rt.debug) mapOps(m).checkMap!(mapHandle(m));
}

function heapCheck(rt: Runtime): void {
  if (rt.debug) boundaryOf(rt).requireDebug("checks").checkHeap();
}

const MS = String.raw`(?:\d+|\d+\.\d{1,3})`;
const GCTRACE = new RegExp(
  String.raw`^gc (\d+) @(\d+\.\d{3})s (\d+)%: ${MS}\+${MS}\+${MS} ms clock, ` +
    String.raw`${MS}\+${MS}/${MS}/${MS}\+${MS} ms cpu, (\d+)->(\d+)->(\d+) MB, (\d+) MB goal, 0 MB stacks, 0 MB globals, 1 P( \(forced\))?$`,
);

describe.each([
  { build: "release", debug: false },
  { build: "debug", debug: true },
])("a shared runtime, $build build", ({ debug }) => {
  it("maps of every kind: set/get/has/delete, iteration, setMany/getMany, clear, shrink; read back through attach", async () => {
    const rt = await Runtime.create({ shared: true, debug });
    expect(rt.debug).toBe(debug);
    expect(boundaryOf(rt).memory.buffer).toBeInstanceOf(SharedArrayBuffer);
    const N = 300;
    for (const kk of KINDS)
      for (const vk of KINDS) {
        const name = `${kk}->${vk}`;
        const m = rt.map({ key: kk, value: vk }) as Loose;
        const model = new Model();
        const probe = Array.from({ length: 40 }, (_, i) => sample(kk, i * 17));
        probe.push(sample(kk, 10 * N)); // never stored
        for (let i = 0; i < N; i++) {
          m.set(sample(kk, i), sample(vk, i));
          model.set(sample(kk, i), sample(vk, i));
        }
        for (let i = 0; i < N; i += 3) {
          expect(m.delete(sample(kk, i))).toBe(true);
          model.delete(sample(kk, i));
        }
        expect(m.delete(sample(kk, 10 * N))).toBe(false);
        check(rt, name, m, model, probe);

        // Batches: N more, some of them updates.
        const ks = Array.from({ length: N }, (_, i) => sample(kk, i + N / 2));
        const vs = Array.from({ length: N }, (_, i) => sample(vk, i + 7));
        m.setMany(ks, vs);
        ks.forEach((k, i) => model.set(k, vs[i]!));
        check(rt, name, m, model, probe);

        // A reader agrees (every kind).
        const reader = attach(rt.share(m as GoMap<"u32", "u32">));
        {
          const r = reader as unknown as {
            get(k: Any): unknown;
            size: number;
            entries(): Iterable<[unknown, unknown]>;
          };
          expect(r.size).toBe(model.m.size);
          expect(probe.map((k) => norm(r.get(k)))).toEqual(probe.map((k) => model.get(k)));
          expect(entriesOf(r.entries())).toEqual(model.entries());
        }

        // Delete most, shrink; clear; refill a little.
        for (let i = 0; i < 3 * N; i++)
          if (i % 10 !== 0) {
            m.delete(sample(kk, i));
            model.delete(sample(kk, i));
          }
        const before = rt.inspect(m).B;
        m.shrink();
        expect(rt.inspect(m).B, `${name} shrink`).toBeLessThan(before);
        check(rt, name, m, model, probe);
        expect(entriesOf(reader.entries() as Iterable<[unknown, unknown]>)).toEqual(model.entries());
        m.clear();
        model.m.clear();
        check(rt, name, m, model, probe);
        expect(reader.size).toBe(0);
        for (let i = 0; i < 20; i++) {
          m.set(sample(kk, i), sample(vk, i + 1));
          model.set(sample(kk, i), sample(vk, i + 1));
        }
        check(rt, name, m, model, probe);
        expect(entriesOf(reader.entries() as Iterable<[unknown, unknown]>)).toEqual(model.entries());
      }
    heapCheck(rt);
    rt.close();
  }, 120_000);

  it("the collector: gctrace in Go's format, a freed map's memory reclaimed, an incremental cycle stepped under writes and a reader", async () => {
    const lines: string[] = [];
    const rt = await Runtime.create({ shared: true, debug, gctrace: (l) => lines.push(l), gcPercent: "off" });
    rt.gc();
    const base = rt.readMemStats();
    const big = rt.map({ key: "u32", value: "u64" });
    for (let i = 0; i < 100_000; i++) big.set(i, BigInt(i));
    expect(rt.readMemStats().HeapAlloc - base.HeapAlloc).toBeGreaterThan(2e6);
    big.free();
    rt.gc();
    const after = rt.readMemStats();
    expect(after.HeapAlloc).toBe(base.HeapAlloc);
    expect(after.HeapObjects).toBe(base.HeapObjects);

    // Incremental: mark in steps while the owner writes and a reader reads.
    const m = rt.map({ key: "u64", value: "string" });
    const counts = rt.map({ key: "u32", value: "u32" });
    const r = attach(rt.share(counts));
    for (let i = 0; i < 20_000; i++) m.set(BigInt(i), `v${i}`);
    rt.gcStart();
    expect(rt.gcPhase).toBe("mark");
    let i = 0;
    while (rt.gcPhase === "mark") {
      rt.gcStep(16 * 1024);
      m.set(BigInt(100_000 + i), `late${i}`);
      counts.set(i, i * 3);
      expect(r.get(i)).toBe(i * 3);
      i++;
    }
    expect(i).toBeGreaterThan(1);
    rt.gc();
    expect(m.get(19_999n)).toBe("v19999");
    expect(m.get(BigInt(100_000 + i - 1))).toBe(`late${i - 1}`);
    expect(r.size).toBe(i);
    heapCheck(rt);

    const s = rt.readMemStats();
    expect(lines.length).toBe(s.NumGC);
    lines.forEach((l, n) => {
      const g = GCTRACE.exec(l);
      expect(g, l).not.toBeNull();
      expect(Number(g![1])).toBe(n + 1);
    });
    expect(lines.filter((l) => l.endsWith("(forced)")).length).toBe(s.NumForcedGC);
    rt.close();
  });

  it("pools: get/put hits, victims after a collection", async () => {
    const rt = await Runtime.create({ shared: true, debug });
    const pool = rt.pool({ key: "u32", value: "string", generation: "transient" });
    const a = pool.get();
    a.set(1, "one");
    pool.put(a);
    const b = pool.get();
    expect(b.size).toBe(0);
    b.set(2, "two");
    expect(b.get(2)).toBe("two");
    pool.put(b);
    expect(pool.stats()).toMatchObject({ gets: 2, puts: 2, hits: 1, misses: 1, idle: 1 });
    rt.gc();
    expect(pool.stats()).toMatchObject({ idle: 0, victims: 1 });
    const c = pool.get();
    expect(pool.stats().hits).toBe(2);
    c.set(3, "three");
    expect([...c]).toEqual([[3, "three"]]);
    heapCheck(rt);
    pool.close();
    rt.close();
  });

  it("unsafe on a trusted shared runtime: slot stores, zeroValues, hooks, views; a reader sees them", async () => {
    const rt = await Runtime.create({ shared: true, debug, trusted: true });
    const u = rt.unsafe;
    expect(u.memory.buffer).toBeInstanceOf(SharedArrayBuffer);
    const m = rt.map({ key: "u64", value: "u64" });
    const r = attach(rt.share(m));
    const assigned: bigint[] = [];
    u.onAssign(m, (k) => assigned.push(k as bigint));
    for (let i = 0; i < 1000; i++) m.set(BigInt(i), BigInt(i) * 2n);
    expect(assigned.length).toBe(1000);
    const slot = u.slot(m, 5n)!;
    expect(slot.load()).toBe(10n);
    slot.store(77n);
    expect(m.get(5n)).toBe(77n);
    expect(r.get(5n)).toBe(77n);
    expect(u.slot(m, 5000n)).toBeNull();
    expect(u.zeroValues(m, [1n, 2n])).toBe(2);
    expect([m.get(1n), r.get(1n), r.get(2n), r.get(3n)]).toEqual([0n, 0n, 0n, 6n]);
    const v = u.buckets(m);
    let live = 0;
    const t = u.layout().tophash;
    for (let b = 0; b < v.nbuckets; b++)
      for (let x = v.bucket(b); x !== 0; x = v.overflow(x))
        for (let s = 0; s < 8; s++) if (v.tophash(x, s) >= t.minTopHash) live++;
    if (!rt.inspect(m).growing) expect(live).toBe(1000);
    // Every value slot of every bucket (8 per bucket, overflow buckets too).
    const zeroed = u.zeroValues(m);
    expect(zeroed % 8).toBe(0);
    expect(zeroed).toBeGreaterThanOrEqual(8 * v.nbuckets);
    expect(r.get(999n)).toBe(0n);
    expect(r.size).toBe(1000);
    heapCheck(rt);
    rt.close();
  });

  it("heap profile (pprof), inspect and inspectHeap", async () => {
    const rt = await Runtime.create({ shared: true, debug, memProfileRate: 1 });
    const m = rt.map({ key: "string", value: "bytes" });
    for (let i = 0; i < 2000; i++) m.set(`key-${i}`, new Uint8Array(40).fill(i & 255));
    rt.gc();
    const gz = await rt.heapProfile();
    expect([gz[0], gz[1]]).toEqual([0x1f, 0x8b]);
    const p = Profile.decode(gunzipSync(gz));
    const str = (i: number | bigint) => p.stringTable.strings[Number(i)]!;
    expect(p.sampleType.map((s) => str(s.type))).toEqual([
      "alloc_objects",
      "alloc_space",
      "inuse_objects",
      "inuse_space",
    ]);
    expect(p.sample.length).toBeGreaterThan(0);
    const inuse = p.sample.reduce((a, s) => a + Number(s.value[3]), 0);
    expect(inuse).toBeGreaterThan(2000 * 40);
    const fns = new Set(p.function.map((f) => str(f.name)));
    expect([...fns].some((f) => f.includes("GoMap.set"))).toBe(true);

    const ins = rt.inspect(m);
    expect(ins.count).toBe(2000);
    expect(ins.buckets).toBe(2 ** ins.B);
    const heap = rt.inspectHeap();
    expect(heap.arena.bytes).toBe(heap.arena.end - heap.arena.start);
    expect(heap.arena.end).toBeLessThanOrEqual(boundaryOf(rt).memory.buffer.byteLength);
    expect(heap.spans.length).toBeGreaterThan(0);
    const inUse = heap.classes.reduce((a, c) => a + c.allocated, 0);
    expect(inUse).toBeGreaterThan(2000);
    rt.close();
  });

  it("snapshots: shared → unshared, shared → shared (and shared again), unshared → shared", async () => {
    const rt = await Runtime.create({ shared: true, debug });
    const nums = rt.map({ key: "u32", value: "f64" });
    const strs = rt.map({ key: "string", value: "u64" });
    for (let i = 0; i < 5000; i++) {
      nums.set(i, i / 8);
      strs.set(`s${i}`, BigInt(i) << 33n);
    }
    for (let i = 0; i < 5000; i += 5) nums.delete(i);
    const image = rt.snapshot({ maps: { nums, strs } });
    const want = { nums: entriesOf(nums), strs: entriesOf(strs) };

    const plain = await Runtime.restore(image.slice(), { debug });
    expect(boundaryOf(plain.rt).memory.buffer).toBeInstanceOf(ArrayBuffer);
    expect(entriesOf(plain.maps.nums!)).toEqual(want.nums);
    expect(entriesOf(plain.maps.strs!)).toEqual(want.strs);
    expect(() => plain.rt.share(plain.maps.nums!)).toThrow(SharedRuntimeError);
    plain.maps.nums!.set(1, 0.5); // and it is writable
    heapCheck(plain.rt);

    const again = await Runtime.restore(image.slice(), { debug, shared: true });
    expect(boundaryOf(again.rt).memory.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(entriesOf(again.maps.strs!)).toEqual(want.strs);
    const r = attach(again.rt.share(again.maps.nums as GoMap<"u32", "f64">));
    expect(entriesOf(r.entries())).toEqual(want.nums);
    (again.maps.nums as GoMap<"u32", "f64">).set(0, -1);
    expect(r.get(0)).toBe(-1);
    heapCheck(again.rt);

    // An image of the unshared runtime, restored shared.
    const back = await Runtime.restore(plain.rt.snapshot({ maps: plain.maps }), { debug, shared: true });
    const rb = attach(back.rt.share(back.maps.nums as GoMap<"u32", "f64">));
    expect(rb.get(1)).toBe(0.5);
    expect(rb.size).toBe(plain.maps.nums!.size);
    heapCheck(back.rt);
    for (const x of [plain.rt, again.rt, back.rt]) x.close();
    rt.close();
  });

  it("compact() refuses with SharedRuntimeError and changes nothing; close() makes maps and readers throw", async () => {
    const rt = await Runtime.create({ shared: true, debug });
    const m = rt.map({ key: "i32", value: "i64" });
    for (let i = -500; i < 500; i++) m.set(i, BigInt(i) * -3n);
    const r = attach(rt.share(m));
    const before = { bytes: rt.memoryBytes, compactions: rt.compactions, stats: rt.readMemStats() };
    await expect(rt.compact()).rejects.toThrow(SharedRuntimeError);
    await expect(rt.compact()).rejects.toThrow(/shared runtime/);
    expect({ bytes: rt.memoryBytes, compactions: rt.compactions, stats: rt.readMemStats() }).toEqual(before);
    expect([m.get(-500), r.get(499), m.size, r.size]).toEqual([1500n, -1497n, 1000, 1000]);
    m.set(1000, 1n);
    expect(r.get(1000)).toBe(1n);
    heapCheck(rt);

    const it = r.entries();
    it.next();
    rt.close();
    expect(rt.closed).toBe(true);
    expect(() => m.get(1)).toThrow(RuntimeClosedError);
    expect(() => m.set(1, 1n)).toThrow(RuntimeClosedError);
    expect(() => r.get(1)).toThrow(RuntimeClosedError);
    expect(() => r.size).toThrow(RuntimeClosedError);
    expect(() => [...r.keys()]).toThrow(RuntimeClosedError);
    rt.close(); // twice: no-op
  });
});
