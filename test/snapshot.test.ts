// rt.snapshot / Runtime.restore (docs/snapshot.md): round trips of every
// kind and map state, what is carried (layout, seeds, MemStats, GOGC,
// profile rate) and what is not (pools, pins, hooks), subsets, reseed,
// the freeze of a runtime while a streamed image is written, and every
// refusal — bad options, bad images, each with its typed error.
import { describe, expect, it } from "vitest";
import {
  InvalidArgumentError,
  InvalidOptionError,
  Runtime,
  RuntimeClosedError,
  SnapshotError,
  SnapshotInProgressError,
  UseAfterFreeError,
  WrongRuntimeError,
  type GoMap,
  type KindName,
} from "../src/node.js";
import { boundaryOf } from "../src/runtime.js";
import { mapHandle } from "../src/map.js";
import { memoryHash, memoryRuns } from "../src/snapshot.js";
import { allocOrThrow, rootTableOf } from "../src/runtime.js";
import { prng, randInt } from "./helpers.js";
import { imageHashJS, reseal, sectionsOf, stateOf, withState } from "./snapshot-helpers.js";

const KINDS: KindName[] = ["i32", "u32", "i64", "u64", "f64", "string", "bytes"];

function genKey(kind: KindName, r: () => number, i: number): unknown {
  switch (kind) {
    case "i32":
      return (i * 2654435761) | 0;
    case "u32":
      return (i * 2654435761) >>> 0;
    case "i64":
      return BigInt(i) * -7919n;
    case "u64":
      return (BigInt(i) * 0x9e3779b97f4a7c15n) & ((1n << 64n) - 1n);
    case "f64":
      return i === 0 ? -0 : i * 1.5;
    case "string":
      return `key-${i}-${"é".repeat(i % 5)}`;
    default:
      return new Uint8Array([i & 255, (i >> 8) & 255, (i >> 16) & 255, randInt(r, 0, 255)]).subarray(0, 3);
  }
}

function genValue(kind: KindName, i: number): unknown {
  switch (kind) {
    case "i32":
      return -i;
    case "u32":
      return i + 1;
    case "i64":
      return BigInt(-i);
    case "u64":
      return BigInt(i) + 1n;
    case "f64":
      return i / 7;
    case "string":
      return `v${i}`.repeat((i % 4) + 1);
    default:
      return new Uint8Array([i & 255, 1, 2]);
  }
}

const eq = (a: unknown, b: unknown): boolean =>
  a instanceof Uint8Array && b instanceof Uint8Array
    ? a.length === b.length && a.every((x, i) => x === b[i])
    : Object.is(a, b) || a === b;

/** Every entry of `a` is in `b` with the same value, and sizes agree. */
function sameEntries(a: GoMap, b: GoMap): void {
  expect(b.size).toBe(a.size);
  let n = 0;
  for (const [k, v] of a as Iterable<[unknown, unknown]>) {
    const got = (b as GoMap<KindName, KindName>).get(k as never);
    if (!eq(got, v)) throw new Error(`entry ${String(k)}: ${String(got)} != ${String(v)}`);
    n++;
  }
  expect(n).toBe(a.size);
}

describe("round trips", () => {
  for (const key of KINDS) {
    const value = KINDS[(KINDS.indexOf(key) + 3) % KINDS.length]!;
    it(`${key} → ${value}: entries, layout and seed come back (release)`, async () => {
      const rt = await Runtime.create({ maxMemory: "64MiB" });
      const r = prng(7);
      const m = rt.map({ key, value }) as GoMap<KindName, KindName>;
      for (let i = 0; i < 3000; i++) m.set(genKey(key, r, i) as never, genValue(value, i) as never);
      for (let i = 0; i < 3000; i += 7) m.delete(genKey(key, r, i) as never);
      if (key === "f64") m.set(Number.NaN as never, genValue(value, 1) as never);
      const img = rt.snapshot({ maps: { m } });
      const { rt: rt2, maps } = await Runtime.restore(img);
      const m2 = maps.m!;
      expect(m2.keyType).toBe(key);
      expect(m2.valueType).toBe(value);
      expect(rt2.inspect(m2)).toEqual(rt.inspect(m));
      if (key !== "f64") sameEntries(m, m2);
      else expect(m2.size).toBe(m.size); // NaN keys are never found by get
      // The restored map takes writes, grows and collects.
      for (let i = 3000; i < 6000; i++) m2.set(genKey(key, r, i) as never, genValue(value, i) as never);
      rt2.gc();
      expect(m2.get(genKey(key, r, 5999) as never)).toEqual(genValue(value, 5999));
      rt2.close();
      rt.close();
    });
  }

  it("a map mid-growth comes back mid-growth and finishes growing", async () => {
    const rt = await Runtime.create({ maxMemory: "64MiB" });
    const m = rt.map({ key: "u32", value: "u32" });
    let i = 0;
    while (i < 3000 || !rt.inspect(m).growing) m.set(i++, i);
    const before = rt.inspect(m);
    expect(before.growing).toBe(true);
    const { rt: rt2, maps } = await Runtime.restore(rt.snapshot({ maps: { m } }));
    expect(rt2.inspect(maps.m!)).toEqual(before);
    sameEntries(m, maps.m!);
    for (let k = 0; k < 5000; k++) maps.m!.set(i + k, k);
    expect(rt2.inspect(maps.m!).count).toBe(i + 5000);
    rt2.close();
    rt.close();
  });

  it("the debug build restores its own images, and its checkers pass on them", async () => {
    const rt = await Runtime.create({ debug: true, maxMemory: "64MiB" });
    const a = rt.map({ key: "string", value: "bytes" });
    const b = rt.map({ key: "i64", value: "string" });
    for (let i = 0; i < 2000; i++) {
      a.set(`k${i}`, new Uint8Array([i & 255]));
      b.set(BigInt(i), "x".repeat(i % 50));
    }
    const { rt: rt2, maps } = await Runtime.restore(rt.snapshot({ maps: { a, b } }), { debug: true });
    const dbg = boundaryOf(rt2).requireDebug("snapshot test");
    dbg.checkHeap();
    sameEntries(a, maps.a!);
    sameEntries(b, maps.b!);
    rt2.close();
    rt.close();
  });

  it("the same map under two names is one map", async () => {
    const rt = await Runtime.create({ maxMemory: "64MiB" });
    const m = rt.map({ key: "u32", value: "u32" });
    m.set(1, 2);
    const { rt: rt2, maps } = await Runtime.restore(rt.snapshot({ maps: { x: m, y: m } }));
    expect(maps.x).toBe(maps.y);
    expect(rt2.liveMaps).toBe(1);
    rt2.close();
    rt.close();
  });
});

describe("what an image carries", () => {
  it("MemStats counters, GOGC and the profile rate; overrides win", async () => {
    const rt = await Runtime.create({ maxMemory: "64MiB", gcPercent: 250, memProfileRate: 4096 });
    const m = rt.map({ key: "u64", value: "string" });
    for (let i = 0; i < 20000; i++) m.set(BigInt(i), `v${i}`);
    rt.gc();
    rt.gc();
    const img = rt.snapshot({ maps: { m } });
    const s = rt.readMemStats();
    const { rt: rt2 } = await Runtime.restore(img);
    const s2 = rt2.readMemStats();
    for (const k of ["NumGC", "TotalAlloc", "Mallocs", "Frees", "PauseTotalNs", "HeapInuse", "HeapObjects"] as const)
      expect(s2[k], k).toBe(s[k]);
    expect(s2.PauseNs).toEqual(s.PauseNs);
    expect(rt2.setGCPercent(100)).toBe(250);
    expect(rt2.memProfileRate).toBe(4096);
    expect(rt2.maxMemory).toBe(rt.maxMemory);
    const { rt: rt3 } = await Runtime.restore(img, { gcPercent: 50, memProfileRate: 0, maxMemory: "32MiB" });
    expect(rt3.setGCPercent(100)).toBe(50);
    expect(rt3.memProfileRate).toBe(0);
    expect(rt3.maxMemory).toBe(32 * 1024 * 1024);
    for (const x of [rt, rt2, rt3]) x.close();
  });

  it("carries MemStats across an earlier compaction too", async () => {
    const rt = await Runtime.create({ maxMemory: "64MiB" });
    const m = rt.map({ key: "u32", value: "u32" });
    for (let i = 0; i < 50000; i++) m.set(i, i);
    for (let i = 0; i < 45000; i++) m.delete(i);
    await rt.compact();
    const img = rt.snapshot({ maps: { m } });
    const s = rt.readMemStats();
    const { rt: rt2 } = await Runtime.restore(img);
    const s2 = rt2.readMemStats();
    for (const k of ["NumGC", "TotalAlloc", "Mallocs", "Frees"] as const) expect(s2[k], k).toBe(s[k]);
    rt2.close();
    rt.close();
  });

  it("pools, pins, iterators and hooks are not carried", async () => {
    const rt = await Runtime.create({ maxMemory: "64MiB", trusted: false });
    const m = rt.map({ key: "u32", value: "u32" });
    for (let i = 0; i < 100; i++) m.set(i, i);
    const pool = rt.pool({ key: "u32", value: "u32", generation: "transient" });
    const p = pool.get();
    p.set(1, 1);
    pool.put(p);
    const pin = rt.pin(m);
    const it0 = m.entries();
    it0.next();
    const { rt: rt2, maps } = await Runtime.restore(rt.snapshot({ maps: { m } }));
    expect(rt2.roots).toBe(1); // the one map
    expect(rt2.liveMaps).toBe(1);
    const before = rt2.readMemStats().HeapObjects;
    rt2.gc();
    expect(rt2.readMemStats().HeapObjects).toBeLessThan(before); // the pooled map's objects went
    sameEntries(m, maps.m!);
    pin.unpin();
    rt2.close();
    rt.close();
  });

  it("a subset image holds nothing of the other maps", async () => {
    const rt = await Runtime.create({ maxMemory: "64MiB" });
    const keep = rt.map({ key: "string", value: "string" });
    const secret = rt.map({ key: "string", value: "string" });
    for (let i = 0; i < 500; i++) {
      keep.set(`k${i}`, `public-${i}`);
      secret.set(`s${i}`, `TOP-SECRET-VALUE-${i}`);
    }
    const img = rt.snapshot({ maps: { keep } });
    const text = Buffer.from(img).toString("latin1");
    expect(text.includes("public-499")).toBe(true);
    expect(text.includes("TOP-SECRET")).toBe(false);
    const full = Buffer.from(rt.snapshot({ maps: { keep, secret } })).toString("latin1");
    expect(full.includes("TOP-SECRET")).toBe(true); // the marker is findable when present
    const { rt: rt2, maps } = await Runtime.restore(img);
    expect(Object.keys(maps)).toEqual(["keep"]);
    sameEntries(keep, maps.keep!);
    expect(rt2.inspect(maps.keep!).hash0).toBe(rt.inspect(keep).hash0);
    rt2.close();
    rt.close();
  });

  it("reseed rebuilds every map under a fresh seed with the same entries", async () => {
    const rt = await Runtime.create({ maxMemory: "64MiB" });
    const m = rt.map({ key: "u64", value: "u64", seed: 12345 });
    for (let i = 0n; i < 10000n; i++) m.set(i, i * 2n);
    const { rt: rt2, maps } = await Runtime.restore(rt.snapshot({ maps: { m } }), { reseed: true });
    expect(rt2.inspect(maps.m!).hash0).not.toBe(12345);
    sameEntries(m, maps.m!);
    rt2.close();
    rt.close();
  });

  it("a restored runtime draws a fresh random stream (new maps' seeds differ)", async () => {
    const rt = await Runtime.create({ maxMemory: "64MiB" });
    const m = rt.map({ key: "u32", value: "u32" });
    const img = rt.snapshot({ maps: { m } });
    const a = await Runtime.restore(img);
    const b = await Runtime.restore(img);
    const seedsA = [0, 1, 2].map(() => a.rt.inspect(a.rt.map({ key: "u32", value: "u32" })).hash0);
    const seedsB = [0, 1, 2].map(() => b.rt.inspect(b.rt.map({ key: "u32", value: "u32" })).hash0);
    expect(seedsA).not.toEqual(seedsB);
    a.rt.close();
    b.rt.close();
    rt.close();
  });
});

describe("a 4 GiB arena", () => {
  it("the heap walk and the image's first section reach the arena's end at 2^32", async () => {
    // Big noscan objects fill a 4 GiB memory without touching its pages
    // (fresh pages need no zeroing). Before, the arena's end went through a
    // u32 of bytes and read 0 at 4 GiB: the image then left out the page
    // map and a restore refused it (PAGE_MAP).
    const rt = await Runtime.create({ maxMemory: "4GiB" });
    const roots = rootTableOf(rt);
    const fill = (size: number): void => {
      for (let i = 0; i < 1024; i++) {
        let p: number;
        try {
          p = allocOrThrow(rt, size, true);
        } catch {
          return;
        }
        roots.set(roots.acquire(), p); // kept: the collector would free it
      }
    };
    for (const size of [256 * 1024 * 1024, 8 * 1024 * 1024, 64 * 1024, 8 * 1024]) fill(size);
    const heap = rt.inspectHeap();
    expect(rt.memoryBytes).toBe(2 ** 32);
    expect(heap.arena.end).toBe(2 ** 32);
    const b = boundaryOf(rt);
    const pageMap = Number(b.stateGlobal("assembly/mem/mheap/pageMap").value) >>> 0;
    const first = memoryRuns(b)[0]!;
    expect(first.address).toBe(0);
    expect(first.length).toBeGreaterThanOrEqual(pageMap + (2 ** 32 / b.pageBytes) * 4);
    rt.close();
  });
});

describe("the checksum", () => {
  it("the JS twin of imageHash agrees with the core on every tail length", async () => {
    const rt = await Runtime.create({ maxMemory: "16MiB" });
    const b = boundaryOf(rt);
    const r = prng(3);
    const at = b.scratchBase;
    for (let len = 0; len < 100; len++) {
      const bytes = new Uint8Array(len).map(() => randInt(r, 0, 255));
      b.u8.set(bytes, at);
      expect(memoryHash(b, at, len)).toEqual(len === 0 ? [] : [imageHashJS(bytes)]);
      // The seed is mixed in (chunk i of a section is hashed with seed i).
      if (len > 0)
        expect(b.exports.imageHash(at, len, 5n) as unknown as bigint).toBe(BigInt.asIntN(64, imageHashJS(bytes, 5n)));
    }
    rt.close();
  });

  it("a flip of any one bit of a memory section is caught", async () => {
    const rt = await Runtime.create({ maxMemory: "16MiB" });
    const m = rt.map({ key: "u32", value: "u32" });
    for (let i = 0; i < 1000; i++) m.set(i, i);
    const img = rt.snapshot({ maps: { m } });
    const mem = sectionsOf(img).slice(1);
    const r = prng(11);
    for (let t = 0; t < 40; t++) {
      const s = mem[randInt(r, 0, mem.length - 1)]!;
      const bad = img.slice();
      bad[s.offset + randInt(r, 0, s.length - 1)]! ^= 1 << randInt(r, 0, 7);
      await expect(Runtime.restore(bad)).rejects.toMatchObject({ name: "SnapshotError", reason: "checksum" });
    }
    rt.close();
  });
});

describe("refusals", () => {
  it("bad snapshot options", async () => {
    const rt = await Runtime.create({ maxMemory: "16MiB" });
    const other = await Runtime.create({ maxMemory: "16MiB" });
    const m = rt.map({ key: "u32", value: "u32" });
    const o = other.map({ key: "u32", value: "u32" });
    expect(() => rt.snapshot(null as never)).toThrow(InvalidArgumentError);
    expect(() => rt.snapshot({ maps: { m }, extra: 1 } as never)).toThrow(InvalidArgumentError);
    expect(() => rt.snapshot({ maps: [m] as never })).toThrow(InvalidArgumentError);
    expect(() => rt.snapshot({ maps: { x: {} as GoMap } })).toThrow(InvalidArgumentError);
    expect(() => rt.snapshot({ maps: { o } })).toThrow(WrongRuntimeError);
    const f = rt.map({ key: "u32", value: "u32" });
    f.free();
    expect(() => rt.snapshot({ maps: { f } })).toThrow(UseAfterFreeError);
    // A getter that throws: its error, and the runtime is not frozen.
    const hostile = Object.defineProperty({}, "m", {
      enumerable: true,
      get() {
        throw new Error("boom");
      },
    });
    expect(() => rt.snapshot({ maps: hostile })).toThrow("boom");
    m.set(1, 1);
    // A Proxy whose keys change between readings is read once.
    let calls = 0;
    const proxy = new Proxy(
      { m },
      {
        ownKeys: () => (calls++ === 0 ? ["m"] : ["m", "zzz"]),
        getOwnPropertyDescriptor: (t, k) => (k === "m" ? Reflect.getOwnPropertyDescriptor(t, k) : undefined),
      },
    );
    const img = rt.snapshot({ maps: proxy });
    expect(calls).toBe(1);
    expect(Object.keys(stateOf(img).maps as object[])).toHaveLength(1);
    rt.close();
    expect(() => rt.snapshot({ maps: { m } })).toThrow(RuntimeClosedError);
    other.close();
  });

  it("bad restore arguments and options", async () => {
    const rt = await Runtime.create({ maxMemory: "16MiB" });
    const m = rt.map({ key: "u32", value: "u32" });
    const img = rt.snapshot({ maps: { m } });
    await expect(Runtime.restore([1, 2, 3] as never)).rejects.toThrow(InvalidArgumentError);
    await expect(Runtime.restore(img.buffer as never)).rejects.toThrow(InvalidArgumentError);
    await expect(Runtime.restore(img, { reseed: 1 } as never)).rejects.toThrow(InvalidOptionError);
    await expect(Runtime.restore(img, { nope: 1 } as never)).rejects.toThrow(InvalidOptionError);
    await expect(Runtime.restore(img, { maxMemory: "32MiB" })).rejects.toThrow(/may lower the cap/);
    await expect(Runtime.restore(img, { maxMemory: 65536 })).rejects.toThrow(/cannot hold the image/);
    await expect(Runtime.restore(img, { debug: true })).rejects.toMatchObject({ reason: "fingerprint" });
    rt.close();
  });

  it("each damaged image is refused with its reason", async () => {
    const rt = await Runtime.create({ maxMemory: "16MiB" });
    const m = rt.map({ key: "string", value: "u32" });
    for (let i = 0; i < 300; i++) m.set(`k${i}`, i);
    const img = rt.snapshot({ maps: { m } });
    const refuse = async (bad: Uint8Array, reason: string): Promise<void> => {
      const e = await Runtime.restore(bad).catch((x: unknown) => x);
      expect(e, reason).toBeInstanceOf(SnapshotError);
      expect((e as SnapshotError).reason).toBe(reason);
    };
    const edit = (f: (dv: DataView, u8: Uint8Array) => void, seal = false): Uint8Array => {
      const c = img.slice();
      f(new DataView(c.buffer), c);
      return seal ? reseal(c) : c;
    };
    await refuse(img.subarray(0, 10), "truncated");
    await refuse(img.subarray(0, img.length - 8), "truncated");
    await refuse(
      edit((_, u) => (u[0] = 0x47 ^ 1)),
      "magic",
    );
    await refuse(
      edit((dv) => dv.setUint32(8, 2, true)),
      "version",
    );
    await refuse(
      edit((_, u) => (u[20]! ^= 0x10)),
      "fingerprint",
    );
    await refuse(
      edit((dv) => dv.setUint32(24, 1000, true)),
      "sections",
    );
    await refuse(
      edit((dv) => dv.setUint32(36, 70000, true)),
      "sections",
    );
    await refuse(
      edit((dv) => dv.setUint32(32, dv.getUint32(36, true) + 1, true)),
      "sections",
    );
    // A memory section that points past the image's memory.
    await refuse(
      edit((dv) => dv.setUint32(64 + 16 * 2 + 4, 0xfff00000, true)),
      "sections",
    );
    // A STATE section that claims more than any image needs.
    await refuse(
      edit((dv) => dv.setUint32(64 + 8, 0x7fffffff, true)),
      "too-large",
    );
    await refuse(
      edit((_, u) => (u[u.length - 3]! ^= 4)),
      "checksum",
    );
    // STATE edits with the checksum recomputed.
    const st = stateOf(img) as {
      globals: Record<string, unknown>;
      host: Record<string, unknown>;
      maps: { name: string; key: string; h: number }[];
    };
    await refuse(withState(img, { ...st, globals: { ...st.globals, bogus: 1 } }), "state");
    const g = { ...st.globals };
    delete g[Object.keys(g)[0]!];
    await refuse(withState(img, { ...st, globals: g }), "state");
    await refuse(withState(img, { ...st, maps: [{ ...st.maps[0]!, key: "u32" }] }), "maps");
    await refuse(withState(img, { ...st, maps: [{ ...st.maps[0]!, key: "nope" }] }), "maps");
    await refuse(withState(img, { ...st, maps: [st.maps[0]!, st.maps[0]!] }), "state");
    await refuse(withState(img, { ...st, host: { ...st.host, stats: 5 } }), "state");
    const notJson = edit((dv, u) => {
      const s = sectionsOf(img)[0]!;
      u[s.offset] = 0x7b ^ 0x20;
      void dv;
    }, true);
    await refuse(notJson, "state");
    rt.close();
  });
});

describe("crafted runtime state (found by attacking restore)", () => {
  const base = async () => {
    const rt = await Runtime.create({ maxMemory: "16MiB" });
    const m = rt.map({ key: "string", value: "string" });
    for (let i = 0; i < 100; i++) m.set(`k${i}`, `v${i}`);
    return { rt, m, img: rt.snapshot({ maps: { m } }) };
  };
  type St = { globals: Record<string, number | string>; maps: { name: string; key: string; h: number }[] };
  const healthy = (m: GoMap<"string", "string">): void => {
    for (let i = 0; i < 1100; i++) m.set(`k${i}`, `v${i}`);
    for (let i = 0; i < 1100; i++) expect(m.get(`k${i}`)).toBe(`v${i}`);
    let n = 0;
    for (const _ of m) n++;
    expect(n).toBe(1100);
  };

  it("per-call core globals in an image are ignored: no adopted references, no write left half-way", async () => {
    const { rt, img } = await base();
    const st = stateOf(img) as St;
    for (const [name, v] of [
      ["assembly/map/assign/adoptKeyRefs", 1],
      ["assembly/map/assign/adoptValueRefs", 1],
      ["assembly/mem/mprof/entryOp", 3],
    ] as const) {
      const bad = withState(img, { ...st, globals: { ...st.globals, [name]: v } });
      const r = await Runtime.restore(bad);
      healthy(r.maps.m as GoMap<"string", "string">);
      await r.rt.compact();
      r.rt.close();
    }
    rt.close();
  });

  it("a layout global that is not this core's is refused (state); a small rootsCap cannot shrink the root table", async () => {
    const { rt, img } = await base();
    const st = stateOf(img) as St;
    const name = Object.keys(st.globals).find((k) => /BUCKET_ks_vs_size$/.test(k))!;
    await expect(
      Runtime.restore(withState(img, { ...st, globals: { ...st.globals, [name]: 0 } })),
    ).rejects.toMatchObject({
      reason: "state",
    });
    const small = withState(img, { ...st, globals: { ...st.globals, "assembly/gc/roots/rootsCap": 1 } });
    const r = await Runtime.restore(small);
    healthy(r.maps.m as GoMap<"string", "string">);
    r.rt.close();
    rt.close();
  });

  it("two maps sharing a bucket array are refused (maps)", async () => {
    const rt = await Runtime.create({ maxMemory: "16MiB" });
    const a = rt.map({ key: "u32", value: "u32" });
    const c = rt.map({ key: "u32", value: "u32" });
    for (let i = 0; i < 50; i++) a.set(i, i);
    c.set(1, 1);
    const img = rt.snapshot({ maps: { a, c } });
    const st = stateOf(img) as St;
    const ha = st.maps.find((x) => x.name === "a")!.h,
      hc = st.maps.find((x) => x.name === "c")!.h;
    const secs = sectionsOf(img).slice(1);
    const off = (addr: number): number => {
      const sec = secs.find((x) => addr >= x.address && addr < x.address + x.length)!;
      return sec.offset + (addr - sec.address);
    };
    const bad = img.slice();
    bad.copyWithin(off(hc), off(ha), off(ha) + boundaryOf(rt).hmap.size);
    const e = await Runtime.restore(reseal(bad)).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(SnapshotError);
    expect((e as SnapshotError).reason).toBe("maps");
    rt.close();
  });

  it("kind names match exactly ('ſtring' upper-cases to STRING: refused, typed)", async () => {
    const { rt, img } = await base();
    const st = stateOf(img) as St;
    await expect(
      Runtime.restore(withState(img, { ...st, maps: [{ ...st.maps[0]!, key: "ſtring" }] })),
    ).rejects.toMatchObject({ name: "SnapshotError", reason: "maps" });
    rt.close();
  });

  it("a map saved under the name __proto__ comes back as an own property", async () => {
    const rt = await Runtime.create({ maxMemory: "16MiB" });
    const m = rt.map({ key: "u32", value: "u32" });
    m.set(1, 2);
    const sel: Record<string, GoMap> = {};
    Object.defineProperty(sel, "__proto__", { value: m, enumerable: true });
    const r = await Runtime.restore(rt.snapshot({ maps: sel }));
    expect(Object.keys(r.maps)).toEqual(["__proto__"]);
    expect(Object.hasOwn(r.maps, "__proto__")).toBe(true);
    expect(Object.getPrototypeOf(r.maps)).toBe(Object.prototype);
    expect((Object.getOwnPropertyDescriptor(r.maps, "__proto__")!.value as GoMap<"u32", "u32">).get(1)).toBe(2);
    r.rt.close();
    rt.close();
  });
});

describe("the freeze while a streamed image is written", () => {
  it("writes and collections throw SnapshotInProgressError, lookups go on, thaw undoes it", async () => {
    const rt = await Runtime.create({ maxMemory: "16MiB" });
    const m = rt.map({ key: "u32", value: "string" });
    m.set(1, "one");
    const b = boundaryOf(rt);
    expect(b.freeze()).toBe(true);
    expect(m.get(1)).toBe("one");
    expect(m.has(2)).toBe(false);
    expect(m.getMany([1, 2])).toEqual(["one", undefined]);
    expect(m.size).toBe(1);
    expect(() => m.set(2, "two")).toThrow(SnapshotInProgressError);
    expect(() => m.delete(1)).toThrow(SnapshotInProgressError);
    expect(() => m.clear()).toThrow(SnapshotInProgressError);
    expect(() => m.shrink()).toThrow(SnapshotInProgressError);
    expect(() => m.setMany([3], ["x"])).toThrow(SnapshotInProgressError);
    expect(() => m.deleteMany([1])).toThrow(SnapshotInProgressError);
    expect(() => m.free()).toThrow(SnapshotInProgressError);
    expect(() => rt.gc()).toThrow(SnapshotInProgressError);
    expect(() => rt.map({ key: "u32", value: "u32" })).toThrow(SnapshotInProgressError);
    expect(() => rt.snapshot({ maps: { m } })).toThrow(SnapshotInProgressError);
    b.thaw();
    m.set(2, "two");
    expect(m.size).toBe(2);
    rt.gc();
    expect(mapHandle(m)).toBeGreaterThan(0);
    rt.close();
  });
});
