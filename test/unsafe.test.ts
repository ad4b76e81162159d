// The unsafe escape hatch (src/unsafe.ts, docs/unsafe.md): the gate, the
// layout read back against rt.inspect, raw views, barrier-free zeroing and
// what it does to the tri-colour invariant, stale-view detection, pins, and
// assign/delete hooks checked against a model.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import {
  InvalidArgumentError,
  InvalidOptionError,
  Runtime,
  StaleViewError,
  UNSAFE_ENTRY_POINTS,
  Unsafe,
  UnsafeNotAllowedError,
  UseAfterFreeError,
  type GoMap,
  type UnsafeBuckets,
} from "../src/node.js";
import { allocOrThrow, boundaryOf, rootTableOf } from "../src/runtime.js";
import { prng, randInt, seeds, withSeed } from "./helpers.js";
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

async function trusted(debug = true): Promise<Runtime> {
  return Runtime.create({ trusted: true, debug, gcPercent: "off", maxMemory: "256MiB" });
}

function heapClean(rt: Runtime, ...maps: GoMap[]): void {
  const dbg = boundaryOf(rt).requireDebug("checks");
  dbg.checkHeap();
  for (const m of maps) mapOps(m).checkMap!(mapHandle(m));
}

/** tophash states over both arrays and every chain, read through a view. */
function tophashCounts(rt: Runtime, v: UnsafeBuckets) {
  const t = rt.unsafe.layout().tophash;
  const c = { emptyRest: 0, emptyOne: 0, live: 0, evacuatedX: 0, evacuatedY: 0, evacuatedEmpty: 0 };
  const walk = (head: number) => {
    for (let b = head; b !== 0; b = v.overflow(b)) {
      for (let i = 0; i < 8; i++) {
        const x = v.tophash(b, i);
        if (x >= t.minTopHash) c.live++;
        else if (x === t.emptyRest) c.emptyRest++;
        else if (x === t.emptyOne) c.emptyOne++;
        else if (x === t.evacuatedX) c.evacuatedX++;
        else if (x === t.evacuatedY) c.evacuatedY++;
        else c.evacuatedEmpty++;
      }
    }
  };
  for (let i = 0; i < v.nbuckets; i++) walk(v.bucket(i));
  if (v.old) for (let i = 0; i < v.old.nbuckets; i++) walk(v.oldBucket(i));
  return c;
}

describe("the gate", () => {
  it("an untrusted runtime has no rt.unsafe, and trust cannot be switched on later", async () => {
    const rt = await Runtime.create();
    expect(rt.trusted).toBe(false);
    expect(() => rt.unsafe).toThrow(UnsafeNotAllowedError);
    expect(() => rt.unsafe).toThrow(/Runtime\.create\(\{ trusted: true \}\).*GOMAP_WASM_TRUSTED=1/);
    expect(() => {
      (rt as unknown as { trusted: boolean }).trusted = true;
    }).toThrow(TypeError);
    expect(rt.trusted).toBe(false);
    expect(() => rt.unsafe).toThrow(UnsafeNotAllowedError);
  });

  it("every entry point of Unsafe refuses on an untrusted instance and touches nothing", async () => {
    // An Unsafe wired to a real runtime, but created untrusted: the gate is
    // the only thing in the way. The list comes from the class itself.
    const rt = await trusted();
    const m = rt.map({ key: "u64", value: "u64" });
    for (let i = 0n; i < 100n; i++) m.set(i, i + 1n);
    // The constructor is not a way in: it needs a token private to its module.
    const ctx = {
      boundary: boundaryOf(rt),
      own: () => {},
      pinObject: () => ({ unpin() {} }),
      pinMap: () => ({ unpin() {} }),
    };
    const Ctor = Unsafe as unknown as new (...a: unknown[]) => Unsafe;
    for (const args of [
      [ctx, true],
      [Symbol("Unsafe"), ctx],
      [undefined, ctx],
    ])
      expect(() => new Ctor(...args)).toThrow(TypeError);
    const untrusted = [Object.create(Unsafe.prototype) as Unsafe, Object.create(rt.unsafe) as Unsafe];
    const mem = () => new Uint8Array(boundaryOf(rt).memory.buffer).slice();
    expect(UNSAFE_ENTRY_POINTS.length).toBeGreaterThanOrEqual(12);
    for (const u of untrusted) {
      for (const name of UNSAFE_ENTRY_POINTS) {
        const before = mem();
        const d = Object.getOwnPropertyDescriptor(Unsafe.prototype, name)!;
        const call = () =>
          d.get ? d.get.call(u) : (d.value as (...a: unknown[]) => unknown).call(u, m, [1n, 2n], () => {});
        expect(call, name).toThrow(UnsafeNotAllowedError);
        expect(call, name).toThrow(new RegExp(`unsafe\\.${name} is not allowed`));
        expect(Buffer.compare(before, mem()), `${name} changed memory`).toBe(0);
      }
    }
    expect(m.get(5n)).toBe(6n);
    expect(rt.unsafe.pointer(m).address).toBe(mapHandle(m)); // the trusted one works
  });

  it("docs/unsafe.md documents every entry point", () => {
    const doc = readFileSync(new URL("../docs/unsafe.md", import.meta.url), "utf8");
    for (const name of UNSAFE_ENTRY_POINTS) expect(doc, name).toContain(`unsafe.${name}`);
  });

  it("{ trusted: true } needs the environment's opt-in too", async () => {
    process.env[ENV] = "0";
    try {
      await expect(Runtime.create({ trusted: true })).rejects.toThrow(UnsafeNotAllowedError);
      await expect(Runtime.create({ trusted: true })).rejects.toThrow(/GOMAP_WASM_TRUSTED=1 in the environment/);
    } finally {
      process.env[ENV] = "1";
    }
    await expect(Runtime.create({ trusted: "yes" as unknown as boolean })).rejects.toThrow(InvalidOptionError);
    const rt = await Runtime.create({ trusted: true });
    expect(rt.trusted).toBe(true);
    expect(rt.unsafe).toBe(rt.unsafe);
  });
});

describe("layout, pointers and views", () => {
  it("layout offsets read back what rt.inspect reports; a view shows the tophash states it counts", async () => {
    const rt = await trusted();
    const u = rt.unsafe;
    const L = u.layout();
    // hmap fields tile the header exactly.
    const f = Object.values(L.hmap.fields).sort((a, b) => a.offset - b.offset);
    expect(f[0]!.offset).toBe(0);
    for (let i = 1; i < f.length; i++) expect(f[i]!.offset).toBe(f[i - 1]!.offset + f[i - 1]!.size);
    expect(f.at(-1)!.offset + f.at(-1)!.size).toBe(L.hmap.size);
    expect(L.pointerSize).toBe(4);

    const shapes = [
      { key: "u64", value: "u64" },
      { key: "u32", value: "u32" },
      { key: "string", value: "string" },
      { key: "f64", value: "u32" },
    ] as const;
    for (const shape of shapes) {
      const m = rt.map(shape) as GoMap;
      const key = (i: number) => (shape.key === "u64" ? BigInt(i) : shape.key === "string" ? `k${i}` : i);
      const val = (i: number) => (shape.value === "u64" ? BigInt(i) : shape.value === "string" ? `v${i}` : i);
      // Stop mid-growth, with some deletes (emptyOne/emptyRest states).
      let i = 0;
      for (; i < 200; i++) (m as GoMap<"u32", "u32">).set(key(i) as number, val(i) as number);
      for (let j = 0; j < i; j += 3) (m as GoMap<"u32", "u32">).delete(key(j) as number);
      for (; !rt.inspect(m).growing; i++) (m as GoMap<"u32", "u32">).set(key(i) as number, val(i) as number);
      const ins = rt.inspect(m);
      const ml = u.layout(m);
      expect(ml.bucket.keys.offset).toBe(ins.bucketLayout.keys);
      expect(ml.bucket.values.offset).toBe(ins.bucketLayout.values);
      expect(ml.bucket.overflow.offset).toBe(ins.bucketLayout.overflow);
      expect(ml.bucket.size).toBe(ins.bucketSize);
      const p = u.pointer(m);
      const dv = new DataView(u.memory.buffer);
      const F = L.hmap.fields;
      expect(dv.getUint32(p.address + F.count.offset, true)).toBe(ins.count);
      expect(dv.getUint8(p.address + F.B.offset)).toBe(ins.B);
      expect(dv.getUint16(p.address + F.noverflow.offset, true)).toBe(ins.noverflow);
      expect(dv.getUint32(p.address + F.nevacuate.offset, true)).toBe(ins.nevacuate);
      expect(dv.getUint32(p.address + F.hash0.offset, true)).toBe(ins.hash0);
      const v = u.buckets(m);
      expect(dv.getUint32(p.address + F.buckets.offset, true)).toBe(v.current.address);
      expect(dv.getUint32(p.address + F.oldbuckets.offset, true)).toBe(v.old!.address);
      expect(v.B).toBe(ins.B);
      expect(v.nbuckets).toBe(ins.buckets);
      expect(v.old!.nbuckets).toBe(ins.oldBuckets);
      expect(v.bucketSize).toBe(ins.bucketSize);
      expect(ins.growing).toBe(true);
      expect(tophashCounts(rt, v)).toEqual(ins.tophash);
      // The raw bytes are the same memory the accessors read.
      expect(v.current.bytes[0]).toBe(v.tophash(v.bucket(0), 0));
      // Decoded keys of live slots are keys of the map.
      let checked = 0;
      for (let b = 0; b < v.nbuckets; b++) {
        for (let s = 0; s < 8; s++) {
          if (v.tophash(v.bucket(b), s) < L.tophash.minTopHash) continue;
          const k = v.key(v.bucket(b), s);
          expect((m as GoMap<"u32", "u32">).get(k as number)).toEqual(v.value(v.bucket(b), s));
          checked++;
        }
      }
      expect(checked).toBeGreaterThan(0);
      heapClean(rt, m);
    }
  });

  it("slot(m, key) is the value slot mapassign returns; reads and writes go straight to memory", async () => {
    const rt = await trusted();
    const u = rt.unsafe;
    const m = rt.map({ key: "u64", value: "f64" }) as unknown as GoMap<"u32", "f64">; // u64 keys take safe-integer numbers
    for (let i = 0; i < 50; i++) m.set(i, i / 2);
    const p = u.slot(m, 7)!;
    expect(p.kind).toBe("slot");
    expect(new Float64Array(u.memory.buffer)[p.address / 8]).toBe(3.5);
    expect(p.load()).toBe(3.5);
    p.store(-1.25);
    expect(m.get(7)).toBe(-1.25);
    expect(u.slot(m, 12345)).toBeNull();
    expect(() => u.slot(m, "x")).toThrow(InvalidArgumentError);
    const s = rt.map({ key: "u32", value: "string" });
    s.set(1, "one");
    expect(u.slot(s, 1)!.load()).toBe("one");
    expect(() => u.slot(s, 1)!.store(0)).toThrow(InvalidArgumentError);
    const other = await trusted();
    expect(() => other.unsafe.slot(m, 7)).toThrow(/another Runtime/);
    m.free();
    expect(() => u.slot(m, 7)).toThrow(UseAfterFreeError);
  });
});

describe("one decoder per kind", () => {
  it("views decode keys and values exactly as m.get and iteration do (lone surrogates, NUL, bytes)", async () => {
    const rt = await trusted(false);
    const m = rt.map({ key: "string", value: "string" });
    const pairs: [string, string][] = [
      ["a\uD800b", "v\uDC00w"],
      ["\uDBFF", "\uDFFF"],
      ["nul\0", "\0"],
      ["é😀", "ascii"],
    ];
    for (const [k, v] of pairs) m.set(k, v);
    const seen = new Map<string, string>();
    const view = rt.unsafe.buckets(m);
    const min = rt.unsafe.layout().tophash.minTopHash;
    for (let b = 0; b < view.nbuckets; b++) {
      for (let at = view.bucket(b); at !== 0; at = view.overflow(at)) {
        for (let i = 0; i < 8; i++) {
          if (view.tophash(at, i) >= min) seen.set(view.key(at, i) as string, view.value(at, i) as string);
        }
      }
    }
    expect(new Map([...m])).toEqual(new Map(pairs));
    expect(seen).toEqual(new Map(pairs));
    for (const [k, v] of pairs) expect(m.get(k)).toBe(v);
    const bm = rt.map({ key: "u32", value: "bytes" });
    bm.set(1, Uint8Array.of(0, 255, 7));
    expect(rt.unsafe.slot(bm, 1)!.load()).toEqual(Uint8Array.of(0, 255, 7));
    rt.close();
  });
});

describe("zeroValues", () => {
  it("zeroes the values of given keys or of all; size, tophash and the heap stay intact", async () => {
    for (const seed of seeds(2)) {
      await withSeed(seed, async () => {
        const rt = await trusted();
        const u = rt.unsafe;
        const r = prng(seed);
        const m = rt.map({ key: "u64", value: "u64", seed });
        const n = 3000;
        const model = new Map<bigint, bigint>();
        for (let i = 0; i < n; i++) {
          const k = BigInt(randInt(r, 0, 1e9));
          m.set(k, BigInt(i + 1));
          model.set(k, BigInt(i + 1));
        }
        const keys = [...model.keys()];
        const some = keys.filter(() => r() < 0.3);
        const before = rt.inspect(m);
        expect(u.zeroValues(m, [...some, 2n ** 63n])).toBe(some.filter((k) => k !== 2n ** 63n).length);
        for (const k of some) model.set(k, 0n);
        expect(m.size).toBe(model.size);
        expect(rt.inspect(m).tophash).toEqual(before.tophash);
        for (const [k, v] of model) expect(m.get(k)).toBe(v);
        heapClean(rt, m);
        // Everything, mid-growth (values in the old array too).
        while (!rt.inspect(m).growing) {
          const k = BigInt(randInt(r, 0, 1e9));
          m.set(k, 5n);
          model.set(k, 5n);
        }
        const ins = rt.inspect(m);
        const slots = u.zeroValues(m);
        expect(slots).toBe(8 * (ins.buckets + ins.overflowBuckets + ins.oldBuckets + ins.oldOverflowBuckets));
        expect(m.size).toBe(model.size);
        let seen = 0;
        for (const [k, v] of m) {
          expect(model.has(k)).toBe(true);
          expect(v).toBe(0n);
          seen++;
        }
        expect(seen).toBe(model.size);
        heapClean(rt, m);
      });
    }
  });

  it("string values read back empty; the dropped strings are freed by the next collection", async () => {
    const rt = await trusted();
    const u = rt.unsafe;
    const m = rt.map({ key: "u32", value: "string" });
    for (let i = 0; i < 1000; i++) m.set(i, `value-${i}-${"x".repeat(20)}`);
    rt.gc();
    const live0 = rt.readMemStats().HeapObjects;
    u.zeroValues(m);
    expect(m.get(10)).toBe("");
    expect(m.size).toBe(1000);
    rt.gc();
    expect(live0 - rt.readMemStats().HeapObjects).toBe(1000);
    heapClean(rt, m);
  });

  it("from inside a hook of the same map it runs after the write (hooks are delivered once the write returned)", async () => {
    const rt = await trusted();
    const u = rt.unsafe;
    const m = rt.map({ key: "u64", value: "u64" });
    u.onAssign(m, () => u.zeroValues(m));
    m.set(1n, 2n);
    u.onAssign(m, null);
    expect(m.get(1n)).toBe(0n);
    m.set(1n, 2n);
    expect(m.get(1n)).toBe(2n);
  });

  it("without the deletion barrier a reference copied raw elsewhere is lost: the tri-colour checker shows it", async () => {
    // A string map big enough that marking takes several steps.
    const rt = await trusted();
    const u = rt.unsafe;
    const b = boundaryOf(rt);
    const dbg = b.requireDebug("tri-colour");
    const m = rt.map({ key: "u32", value: "string" });
    for (let i = 0; i < 20000; i++) m.set(i, `s${i}`);
    const strPtr = (k: number) => {
      const slot = u.slot(m, k);
      return slot ? new Uint32Array(u.memory.buffer)[slot.address >>> 2]! : 0;
    };

    const run = (zero: boolean) => {
      rt.gcStart();
      // Allocated while marking: black. It holds one pointer word.
      const holder = allocOrThrow(rt, 16, false);
      const slot = rootTableOf(rt).acquire();
      rootTableOf(rt).set(slot, holder);
      // A string the collector has not reached yet.
      let k = 0;
      while (strPtr(k) === 0 || dbg.dbgIsMarked(strPtr(k))) k++;
      const p = strPtr(k);
      // Copy its reference raw into the black object (no insertion
      // barrier: what a host holding the raw pointer could do).
      new Uint32Array(u.memory.buffer)[holder >>> 2] = p;
      expect(dbg.triColorViolations()).toBe(1);
      if (zero)
        u.zeroValues(m, [k]); // no deletion barrier: stays white
      else m.delete(k); // delete shades the old value (Yuasa half of the barrier)
      const violations = dbg.triColorViolations();
      // Finish this cycle only, and its sweep.
      while (rt.gcPhase === "mark") rt.gcStep(1 << 20);
      dbg.dbgFinishSweep();
      const survived = dbg.dbgFindObject(p) === p;
      return { violations, survived, release: () => rootTableOf(rt).release(slot) };
    };
    const safe = run(false);
    expect({ violations: safe.violations, survived: safe.survived }).toEqual({ violations: 0, survived: true });
    safe.release();
    // The same with zeroValues: the string is freed while the holder still
    // points at it — a dangling reference...
    const lost = run(true);
    expect({ violations: lost.violations, survived: lost.survived }).toEqual({ violations: 1, survived: false });
    // ...which the debug collector's next cycle finds, and the runtime dies.
    expect(() => rt.gc()).toThrow(/dangling pointer/);
  });
});

describe("stale views (debug build)", () => {
  it("growth, clear, shrink, a collection and memory growth invalidate what they should", async () => {
    const rt = await trusted();
    const u = rt.unsafe;
    const m = rt.map({ key: "u32", value: "u32" });
    for (let i = 0; i < 20; i++) m.set(i, i);
    let v = u.buckets(m);
    let s = u.slot(m, 3)!;
    const h = u.pointer(m);
    expect(v.current.u32[0]).toBeTypeOf("number");
    expect(u.isStale(v)).toBe(false);
    m.set(3, 33); // an update: nothing moves
    expect(s.load()).toBe(33);
    // Grow: B changes.
    for (let i = 20; i < 200; i++) m.set(i, i);
    expect(u.isStale(v)).toBe(true);
    expect(() => v.current.bytes[0]).toThrow(StaleViewError);
    expect(() => v.tophash(v.current.address, 0)).toThrow(/the map grew|evacuated/);
    expect(() => s.address).toThrow(StaleViewError);
    expect(() => (s as unknown as number) + 0).toThrow(StaleViewError);
    expect(() => u.keepAlive(s)).toThrow(StaleViewError);
    expect(h.address).toBe(mapHandle(m)); // the header never moves
    // clear / shrink / gc.
    for (const [what, act] of [
      ["cleared", () => m.clear()],
      ["shrunk", () => m.shrink()],
      ["collection", () => rt.gc()],
    ] as const) {
      for (let i = 0; i < 50; i++) m.set(i, i);
      while (rt.inspect(m).growing) m.set(0, 0);
      v = u.buckets(m);
      s = u.slot(m, 1)!;
      act();
      expect(() => v.current.u32[0], what).toThrow(StaleViewError);
      expect(() => s.load(), what).toThrow(StaleViewError);
    }
    // Memory growth detaches the views' buffer (the pointer stays valid).
    v = u.buckets(m);
    const hp = u.pointer(m);
    const bytes0 = u.memory.buffer.byteLength;
    const other = rt.map({ key: "u32", value: "u32", hint: 2_000_000 });
    expect(u.memory.buffer.byteLength).toBeGreaterThan(bytes0);
    expect(() => v.current.f64[0]).toThrow(/linear memory grew/);
    expect(hp.address).toBe(mapHandle(m));
    other.free();
    m.free();
    expect(() => hp.address).toThrow(/freed/);
  });

  it("the release build does not check on use, but isStale still tells", async () => {
    const rt = await trusted(false);
    const u = rt.unsafe;
    const m = rt.map({ key: "u32", value: "u32" });
    m.set(1, 1);
    const v = u.buckets(m);
    for (let i = 0; i < 100; i++) m.set(i, i);
    expect(u.isStale(v)).toBe(true);
    expect(() => v.current.u32[0]).not.toThrow();
  });
});

describe("pin and keepAlive", () => {
  it("a pinned old bucket array outlives its map's growth and a collection; unpinned it is freed", async () => {
    const rt = await trusted();
    const u = rt.unsafe;
    const b = boundaryOf(rt);
    const m = rt.map({ key: "u64", value: "u64" });
    let i = 0n;
    for (; i < 100n; i++) m.set(i, i);
    const arr = u.buckets(m).current.address;
    const pin = u.pin(u.buckets(m));
    while (u.buckets(m).current.address === arr || rt.inspect(m).growing) m.set(i++, i);
    rt.gc();
    expect(b.objectBase(arr + 40)).toBe(arr); // still allocated: the host's raw pointer is good
    u.unpin(pin);
    rt.gc();
    expect(b.objectBase(arr)).toBe(0);
    expect(() => u.pin(12)).toThrow(InvalidArgumentError);
    // A pinned map outlives free() (rt.pin semantics).
    const h = mapHandle(m);
    const mp = u.pin(m);
    m.free();
    rt.gc();
    expect(b.objectBase(h)).toBe(h);
    mp.unpin();
    rt.gc();
    expect(b.objectBase(h)).toBe(0);
  });
});

describe("hooks", () => {
  it("see every assign and delete exactly once, in order, through growth and batches", async () => {
    for (const seed of seeds(3)) {
      await withSeed(seed, async () => {
        const rt = await trusted();
        const u = rt.unsafe;
        const r = prng(seed);
        const signed = r() < 0.5;
        const m = signed ? rt.map({ key: "i64", value: "u32", seed }) : rt.map({ key: "u64", value: "u32", seed });
        const log: string[] = [];
        u.onAssign(m, (k, inserted) => log.push(`${inserted ? "insert" : "update"} ${k}`));
        u.onDelete(m, (k) => log.push(`delete ${k}`));
        const model = new Map<bigint, number>();
        const expected: string[] = [];
        let opsWhileGrowing = 0;
        const keyOf = () => {
          const x = BigInt(randInt(r, 0, 3000));
          return signed ? -x : x * 0x100000001n;
        };
        for (let op = 0; op < 6000; op++) {
          if (rt.inspect(m).growing) opsWhileGrowing++;
          const x = r();
          if (x < 0.55) {
            const k = keyOf();
            expected.push(`${model.has(k) ? "update" : "insert"} ${k}`);
            model.set(k, op);
            (m as GoMap<"u64", "u32">).set((r() < 0.5 && k >= -(2n ** 53n) ? Number(k) : k) as bigint, op);
          } else if (x < 0.85) {
            const k = keyOf();
            if (model.delete(k)) expected.push(`delete ${k}`);
            (m as GoMap<"u64", "u32">).delete(k);
          } else if (x < 0.93) {
            const ks = Array.from({ length: randInt(r, 1, 20) }, keyOf);
            const vs = ks.map((_, i) => op + i);
            ks.forEach((k, i) => {
              expected.push(`${model.has(k) ? "update" : "insert"} ${k}`);
              model.set(k, vs[i]!);
            });
            (m as GoMap<"u64", "u32">).setMany(
              signed ? (BigInt64Array.from(ks) as unknown as BigUint64Array) : BigUint64Array.from(ks),
              Uint32Array.from(vs),
            );
          } else {
            const ks = Array.from({ length: randInt(r, 1, 20) }, keyOf);
            for (const k of ks) if (model.delete(k)) expected.push(`delete ${k}`);
            (m as GoMap<"u64", "u32">).deleteMany(ks);
          }
        }
        expect(log).toEqual(expected);
        expect(opsWhileGrowing).toBeGreaterThan(0);
        expect(rt.inspect(m).B).toBeGreaterThanOrEqual(8);
        for (const [k, v] of model) expect((m as GoMap<"u64", "u32">).get(k)).toBe(v);
        // clear() is not a delete; shrink() keeps the hooks.
        m.clear();
        m.shrink();
        (m as GoMap<"u64", "u32">).set(5n, 1);
        expect(log.length).toBe(expected.length + 1);
        u.onAssign(m, null);
        u.onDelete(m, null);
        (m as GoMap<"u64", "u32">).set(6n, 1);
        (m as GoMap<"u64", "u32">).delete(6n);
        expect(log.length).toBe(expected.length + 1);
        heapClean(rt, m);
      });
    }
  });

  it("a hook runs after its write returned: it may read and write its own map and run the collector; a throw reaches the write's caller with the write done", async () => {
    const rt = await trusted();
    const u = rt.unsafe;
    const m = rt.map({ key: "u64", value: "string" });
    const other = rt.map({ key: "string", value: "string" });
    for (let i = 0n; i < 100n; i++) m.set(i, `v${i}`);
    const seen: bigint[] = [];
    u.onAssign(m, (k) => {
      seen.push(k);
      other.set(`seen ${k}`, "x".repeat(100)); // another map, through the scratch area
      if (k < 1000n) m.set(k + 1000n, "nested"); // its own map: a write of its own, hooked too
      expect(m.get(k)).toBeDefined(); // the write that fired it is complete
    });
    m.set(500n, "outer");
    expect(seen).toEqual([500n, 1500n]); // in order: the nested write's hook after the outer one's
    expect(m.get(500n)).toBe("outer");
    expect(m.get(1500n)).toBe("nested");
    expect(other.get("seen 500")).toBe("x".repeat(100));
    let cycles = 0;
    u.onAssign(m, () => {
      rt.gc();
      cycles++;
    });
    m.set(502n, "v");
    expect(cycles).toBe(1);
    const boom = new Error("boom");
    u.onAssign(m, () => {
      throw boom;
    });
    expect(() => m.set(503n, "v")).toThrow(boom);
    expect(m.get(503n)).toBe("v"); // the write completed before its hook ran
    u.onAssign(m, null);
    u.onDelete(m, (k) => {
      if (k === 8n) m.delete(7n);
    });
    expect(m.delete(8n)).toBe(true);
    expect(m.has(8n)).toBe(false);
    expect(m.has(7n)).toBe(false);
    u.onDelete(m, null);
    expect(m.size).toBe(100 + 4 - 2);
    m.set(600n, "after");
    heapClean(rt, m, other);
  });

  it("a hook that removes itself and throws: the error reaches its own write, other maps' hooks still run", async () => {
    const rt = await trusted();
    const u = rt.unsafe;
    const a = rt.map({ key: "u64", value: "u64" });
    const b = rt.map({ key: "u64", value: "u64" });
    let bCalls = 0;
    u.onAssign(b, () => bCalls++);
    u.onAssign(a, (k) => {
      u.onAssign(a, null);
      throw new Error(`once ${k}`);
    });
    expect(() => a.set(1n, 1n)).toThrow("once 1");
    expect(a.get(1n)).toBe(1n);
    b.set(7n, 7n);
    expect(bCalls).toBe(1);
    a.set(2n, 2n); // no hook any more, no stale error
    // A pool put from inside the map's own hook happens after the write:
    // the map is cleared and pooled, and its hooks go with the wrapper.
    const pool = rt.pool({ key: "u64", value: "u64", generation: "transient" });
    const p = pool.get();
    u.onAssign(p, () => pool.put(p));
    p.set(1n, 1n);
    expect(pool.stats().puts).toBe(1);
    expect(() => p.get(1n)).toThrow(UseAfterFreeError);
    const again = pool.get();
    expect(again.size).toBe(0);
    again.set(2n, 2n); // no hook fires on the reused map
  });

  it("an iterator's fetched entries see zeroValues", async () => {
    const rt = await trusted();
    const m = rt.map({ key: "u32", value: "u32" });
    for (let i = 0; i < 2000; i++) m.set(i, i + 1);
    const it = m.values();
    it.next();
    rt.unsafe.zeroValues(m);
    let nonzero = 0;
    for (const v of it) if (v !== 0) nonzero++;
    expect(nonzero).toBe(0);
  });

  it("exist only on i64/u64-key maps", async () => {
    const rt = await trusted();
    const u = rt.unsafe;
    expect(() => u.onAssign(rt.map({ key: "u32", value: "u32" }), () => {})).toThrow(/i64\/u64-key maps/);
    expect(() => u.onDelete(rt.map({ key: "f64", value: "u32" }), () => {})).toThrow(InvalidArgumentError);
    expect(() => u.onAssign(rt.map({ key: "u64", value: "u32" }), 3 as unknown as () => void)).toThrow(
      InvalidArgumentError,
    );
  });
});

describe("hooks and the FinalizationRegistry backstop", () => {
  it("a map released by the backstop takes its hooks with it: a later map at the same address inherits none, compaction included", async () => {
    const { spawnSync } = await import("node:child_process");
    const { mkdtempSync, rmSync, writeFileSync } = await import("node:fs");
    const { join } = await import("node:path");
    const { fileURLToPath } = await import("node:url");
    const root = fileURLToPath(new URL("..", import.meta.url));
    const dir = mkdtempSync(join(root, "test", ".tmp-hookfin-"));
    try {
      writeFileSync(
        join(dir, "probe.mjs"),
        `
        import { Runtime } from "gomap-wasm";
        const rt = await Runtime.create({ trusted: true, gcPercent: "off" });
        let calls = 0;
        (() => {
          const m = rt.map({ key: "u64", value: "u64" });
          rt.unsafe.onAssign(m, () => calls++);
          m.set(1n, 1n);
        })();
        for (let i = 0; i < 40 && rt.liveMaps > 0; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 10)); }
        const released = rt.liveMaps === 0;
        rt.gc();
        const before = calls;
        const maps = Array.from({ length: 16 }, () => rt.map({ key: "u64", value: "u64" }));
        await rt.compact();
        for (const m of maps) m.set(2n, 2n);
        console.log(JSON.stringify({ released, before, after: calls }));
      `,
      );
      const r = spawnSync(process.execPath, ["--expose-gc", "probe.mjs"], {
        cwd: dir,
        encoding: "utf8",
        env: { ...process.env, GOMAP_WASM_TRUSTED: "1" },
      });
      expect(r.stderr).toBe("");
      const out = JSON.parse(r.stdout.trim());
      expect(out.released).toBe(true);
      expect(out.before).toBe(1);
      expect(out.after).toBe(1); // no hook fired on the new maps
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("hooks and close", () => {
  it("no hook runs after rt.close(), even one queued behind the gctrace line whose callback closed the runtime", async () => {
    let rt: Runtime | null = null;
    rt = await Runtime.create({ trusted: true, maxMemory: "64MiB", gctrace: () => rt?.close() });
    const m = rt.map({ key: "u64", value: "u64" });
    let afterClose = 0;
    rt.unsafe.onAssign(m, () => {
      if (rt?.closed) afterClose++;
    });
    let err: unknown;
    try {
      for (let i = 0n; i < 10_000_000n; i++) m.set(i, i);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).name).toBe("RuntimeClosedError");
    expect(afterClose).toBe(0);
  });
});
