// The core's image verifier (assembly/mem/verify.ts:verifyHeap,
// assembly/map/verify.ts:verifyMap), in the release and the debug build: a
// healthy runtime after gc() verifies 0; targeted corruptions through the
// internal boundary each give their VerifyFailure code; random byte flips
// in a healthy heap are either reported or harmless to the debug checkers.

import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { overflowListsOk } from "../src/snapshot.js";
import { Runtime, type GoMap } from "../src/node.js";
import { boundaryOf } from "../src/runtime.js";
import { mapHandle, mapOps } from "../src/map.js";
import type { Boundary } from "../src/boundary.js";
import { KEY_STORAGE, VALUE_STORAGE } from "../src/shapes.js";

const BUILDS = [
  ["release", false],
  ["debug", true],
] as const;

type KindName = keyof typeof KEY_STORAGE;
interface Entry {
  m: GoMap;
  key: KindName;
  value: KindName;
}

/** A runtime with maps of several kinds: grown, mid-growth, with deletes
 *  and overflow chains, string/bytes keys and values; then gc(). */
async function healthy(debug: boolean) {
  // A heap-profile sample every 4 KiB on average: spans carry specials.
  const rt = await Runtime.create({ debug, gcPercent: "off", maxMemory: "64MiB", memProfileRate: 4096 });
  const maps: Entry[] = [];
  const add = <K extends KindName, V extends KindName>(key: K, value: V) => {
    const m = rt.map({ key, value, seed: 0x5eed + maps.length });
    maps.push({ m: m as unknown as GoMap, key, value });
    return m;
  };
  const a = add("u32", "u32");
  for (let i = 0; i < 6000; i++) a.set(i, i * 3);
  for (let i = 0; i < 6000; i += 3) a.delete(i);
  const s = add("string", "string");
  for (let i = 0; i < 1500; i++) s.set(`key-${i}`, `value ${i} `.repeat(1 + (i % 5)));
  for (let i = 0; i < 1500; i += 4) s.delete(`key-${i}`);
  const f = add("f64", "i64");
  for (let i = 0; i < 700; i++) f.set(i / 7, BigInt(i) << 40n);
  f.set(Number.NaN, 1n);
  f.set(Number.NaN, 2n);
  f.set(-0, 3n);
  const by = add("bytes", "u32");
  for (let i = 0; i < 300; i++) by.set(new Uint8Array([i & 255, i >> 8, 7, 7, 7, i % 3]), i);
  const u = add("u64", "string");
  for (let i = 0; i < 400; i++) u.set(BigInt(i) * 0x1_0000_0001n, i % 7 === 0 ? "" : `v${i}`);
  add("i32", "f64"); // empty: no buckets yet
  const c = add("i64", "bytes"); // cleared (the array is reused, its preallocated buckets reset)
  for (let i = 0; i < 2000; i++) c.set(BigInt(-i), new Uint8Array([i & 255, 1, 2]));
  c.clear();
  c.set(5n, new Uint8Array(40));
  const sh = add("u32", "string"); // shrunk after deletes
  for (let i = 0; i < 3000; i++) sh.set(i, `s${i}`);
  for (let i = 0; i < 2900; i++) sh.delete(i);
  sh.shrink();
  // A live iterator part-way through: its object holds the map's arrays.
  const it = a.entries();
  it.next();
  // Mid-growth: insert until a grow starts, then stop (growth is
  // incremental per write, so gc() leaves it half done).
  const g = add("u32", "u64");
  for (let i = 0; !rt.inspect(g).growing; i++) g.set(Math.imul(i, 2654435761) >>> 0, BigInt(i));
  rt.gc();
  return { rt, b: boundaryOf(rt), maps, it };
}

function kindsOf(b: Boundary, e: Entry): number {
  const code = (k: string) => b.kindCodes.get(k.toUpperCase())!;
  return code(e.key) | (code(e.value) << 8);
}

function codes(b: Boundary): Map<string, number> {
  return b.enumOf("VerifyFailure");
}

function global(b: Boundary, name: string): WebAssembly.Global {
  const g = (b.exports as unknown as Record<string, unknown>)[`state:${name}`];
  if (!(g instanceof WebAssembly.Global)) throw new Error(`no state global ${name}`);
  return g;
}

function memPages(b: Boundary): number {
  return b.memory.buffer.byteLength / 65536;
}

/** verifyHeap, then verifyMap on every map; the first nonzero code (0: all sound). */
/** What restore checks (src/snapshot.ts verifyStructure): the core's
 *  verifyHeap and verifyMap, then the host's hash-set check of the
 *  overflow lists (reported here as MAP_OVERFLOW_LIST). */
function verifyAll(b: Boundary, maps: Entry[]): number {
  const r = b.exports.verifyHeap(memPages(b));
  if (r !== 0) return r;
  for (const e of maps) {
    const r2 = b.exports.verifyMap(mapHandle(e.m), kindsOf(b, e));
    if (r2 !== 0) return r2;
    if (overflowListsOk(b, { name: "m", key: e.key, value: e.value, h: mapHandle(e.m) }) !== null)
      return codes(b).get("MAP_OVERFLOW_LIST")!;
  }
  return 0;
}

function name(b: Boundary, code: number): string {
  for (const [k, v] of codes(b)) if (v === code) return k;
  return `#${code}`;
}

/** Span record field offsets (assembly/mem/span.ts). */
const SPAN = { next: 8, prev: 12, listHead: 16, startAddr: 20, npages: 24, gcmarkBits: 44, spanclass: 60, state: 61 };
/** mapextra.nextOverflow's offset (assembly/map/hmap.ts). */
const MAPEXTRA_NEXT_OVERFLOW = 24;
const PAGE_SHIFT = 13;

function pageMapEntry(b: Boundary, page: number): number {
  return b.u32[(global(b, "assembly/mem/mheap/pageMap").value >>> 2) + page]! >>> 0;
}

/** The buckets of a map's new array: [address of bucket j, overflow chain]. */
function chains(b: Boundary, e: Entry): number[][] {
  const h = mapHandle(e.m);
  const L = b.bucketLayout(`${KEY_STORAGE[e.key]}_${VALUE_STORAGE[e.value]}`);
  const hl = b.hmap;
  const B = b.u8[h + hl.B]!;
  const buckets = b.u32[(h + hl.buckets) >>> 2]! >>> 0;
  const out: number[][] = [];
  for (let j = 0; j < 1 << B; j++) {
    const chain: number[] = [];
    for (let p = buckets + j * L.size; p !== 0; p = b.u32[(p + L.overflow) >>> 2]! >>> 0) chain.push(p);
    out.push(chain);
  }
  return out;
}

describe("verifyHeap / verifyMap on a healthy runtime", () => {
  for (const [build, debug] of BUILDS) {
    it(`${build}: every map kind, grown, mid-growth, with deletes and overflow chains, verifies 0 after gc()`, async () => {
      const { rt, b, maps } = await healthy(debug);
      const info = maps.map((e) => rt.inspect(e.m));
      expect(info.some((i) => i.growing)).toBe(true);
      expect(info.some((i) => i.overflowBuckets > 0)).toBe(true);
      expect(b.exports.memProfSampledLive()).toBeGreaterThan(0);
      expect(b.exports.verifyHeap(memPages(b))).toBe(0);
      for (const e of maps)
        expect(name(b, b.exports.verifyMap(mapHandle(e.m), kindsOf(b, e))), `${e.key}→${e.value}`).toBe("OK");
      if (debug) {
        b.requireDebug("verify").checkHeap();
        for (const e of maps) mapOps(e.m).checkMap!(mapHandle(e.m));
      }
      // The wrong kinds are refused.
      const e0 = maps[0]!;
      expect(b.exports.verifyMap(mapHandle(e0.m), kindsOf(b, { ...e0, value: "string" }))).toBe(
        codes(b).get("MAP_TYPE"),
      );
      expect(b.exports.verifyMap(mapHandle(e0.m) + 4, kindsOf(b, e0))).toBe(codes(b).get("MAP_HEADER"));
      rt.close();
    });
  }
});

/** One corruption: what it does, and the code it must give. */
interface Corruption {
  what: string;
  expected: string;
  apply(b: Boundary, maps: Entry[]): void;
}

const u32Map = (maps: Entry[]) => maps.find((e) => e.key === "u32" && e.value === "u32")!;
const strMap = (maps: Entry[]) => maps.find((e) => e.key === "string" && e.value === "string")!;

const CORRUPTIONS: Corruption[] = [
  {
    what: "an overflow pointer that loops back into its chain",
    expected: "MAP_CYCLE",
    apply(b, maps) {
      const e = u32Map(maps);
      const chain = chains(b, e).find((c) => c.length >= 2)!;
      const L = b.bucketLayout("k32_v32");
      const lastOvf = chain[chain.length - 1]!;
      b.u32[(lastOvf + L.overflow) >>> 2] = chain[1]!; // last → first overflow bucket
    },
  },
  {
    what: "an overflow pointer outside memory",
    expected: "MAP_CHAIN",
    apply(b, maps) {
      const chain = chains(b, u32Map(maps))[0]!;
      const L = b.bucketLayout("k32_v32");
      b.u32[(chain[chain.length - 1]! + L.overflow) >>> 2] = 0xfffffff0;
    },
  },
  {
    what: "an overflow pointer at an empty primary bucket",
    expected: "MAP_CHAIN",
    apply(b, maps) {
      const all = chains(b, u32Map(maps));
      const L = b.bucketLayout("k32_v32");
      const empty = all.find((c) => c.length === 1 && b.u8[c[0]!] === 0);
      // No empty bucket at this load: empty one (its keys go, count follows).
      const target = empty ?? all.find((c) => c.length === 1)!;
      const h = mapHandle(u32Map(maps).m);
      if (!empty) {
        let live = 0;
        for (let i = 0; i < 8; i++) if (b.u8[target[0]! + i]! >= 5) live++;
        b.u8.fill(0, target[0]!, target[0]! + 8);
        b.u32[(h + b.hmap.count) >>> 2] = (b.u32[(h + b.hmap.count) >>> 2]! >>> 0) - live;
      }
      const chain = all.find((c) => c.length === 1 && c[0] !== target[0])!;
      b.u32[(chain[0]! + L.overflow) >>> 2] = target[0]!;
      // extra.overflow records it and noverflow counts it, so only the
      // primary-bucket rule is left to fail.
      const extra = b.u32[(h + b.hmap.extra) >>> 2]! >>> 0;
      const list = b.u32[extra >>> 2]! >>> 0;
      const len = b.u32[(extra + 4) >>> 2]!;
      expect(len).toBeLessThan(b.u32[(extra + 8) >>> 2]!);
      b.u32[(list >>> 2) + len] = target[0]!;
      b.u32[(extra + 4) >>> 2] = len + 1;
      b.u8[h + b.hmap.noverflow]! += 1;
    },
  },
  {
    what: "an empty overflow bucket on two chains (listed twice)",
    expected: "MAP_OVERFLOW_LIST",
    apply(b, maps) {
      const e = u32Map(maps);
      const h = mapHandle(e.m);
      const L = b.bucketLayout("k32_v32");
      const all = chains(b, e);
      const src = all.find((c) => c.length === 2 && b.u8[c[0]! + 7]! >= 5)!;
      const x = src[1]!;
      let live = 0;
      for (let i = 0; i < 8; i++) if (b.u8[x + i]! >= 5) live++;
      b.u8.fill(0, x, x + 8); // x empty: nothing in it says which chain it is on
      b.u32[(h + b.hmap.count) >>> 2] = (b.u32[(h + b.hmap.count) >>> 2]! >>> 0) - live;
      const t = all.find((c) => c.length === 1 && b.u8[c[0]! + 7] !== 1)!;
      b.u32[(t[0]! + L.overflow) >>> 2] = x;
      const extra = b.u32[(h + b.hmap.extra) >>> 2]! >>> 0;
      const list = b.u32[extra >>> 2]! >>> 0;
      const len = b.u32[(extra + 4) >>> 2]!;
      expect(len).toBeLessThan(b.u32[(extra + 8) >>> 2]!);
      b.u32[(list >>> 2) + len] = x;
      b.u32[(extra + 4) >>> 2] = len + 1;
      b.u8[h + b.hmap.noverflow]! += 1;
    },
  },
  {
    what: "buckets pointing inside the array, not at an object",
    expected: "MAP_BUCKETS",
    apply(b, maps) {
      const h = mapHandle(u32Map(maps).m);
      b.u32[(h + b.hmap.buckets) >>> 2] = (b.u32[(h + b.hmap.buckets) >>> 2]! >>> 0) + 8;
    },
  },
  {
    what: "count off by one",
    expected: "MAP_COUNT",
    apply(b, maps) {
      const h = mapHandle(u32Map(maps).m);
      b.u32[(h + b.hmap.count) >>> 2] = (b.u32[(h + b.hmap.count) >>> 2]! >>> 0) + 1;
    },
  },
  {
    what: "a live slot's tophash changed",
    expected: "MAP_TOPHASH",
    apply(b, maps) {
      const bucket = chains(b, u32Map(maps)).find((c) => b.u8[c[0]!]! >= 5)![0]!;
      const t = b.u8[bucket]!;
      b.u8[bucket] = t === 255 ? 254 : t + 1;
    },
  },
  {
    what: "a key copied into the wrong bucket",
    expected: "MAP_KEY_PLACE",
    apply(b, maps) {
      const L = b.bucketLayout("k32_v32");
      const all = chains(b, u32Map(maps));
      // A bucket with an emptyRest tail and no overflow, and a live slot
      // of another bucket: copy that slot into the tail's first slot.
      const dst = all.find((c) => c.length === 1 && b.u8[c[0]! + 7] === 0)![0]!;
      let i = 0;
      while (b.u8[dst + i] !== 0) i++;
      const src = all.find((c) => c[0] !== dst && b.u8[c[0]!]! >= 5)![0]!;
      b.u8[dst + i] = b.u8[src]!;
      b.u32[(dst + L.keys + 4 * i) >>> 2] = b.u32[(src + L.keys) >>> 2]!;
      b.u32[(dst + L.values + 4 * i) >>> 2] = b.u32[(src + L.values) >>> 2]!;
    },
  },
  {
    what: "a string value whose length runs past its object",
    expected: "MAP_STRING_REF",
    apply(b, maps) {
      const L = b.bucketLayout("ks_vs");
      const bucket = chains(b, strMap(maps)).find((c) => b.u8[c[0]!]! >= 5)![0]!;
      b.u32[(bucket + L.values + 4) >>> 2] = 1 << 20; // value 0's len word
    },
  },
  {
    what: "a span record's npages",
    expected: "SPAN_FIELDS",
    apply(b, maps) {
      const h = mapHandle(u32Map(maps).m);
      const s = pageMapEntry(b, h >>> PAGE_SHIFT);
      b.u32[(s + SPAN.npages) >>> 2] = (b.u32[(s + SPAN.npages) >>> 2]! >>> 0) + 1;
    },
  },
  {
    what: "a cycle in a free-run list of the page heap",
    expected: "FREE_LIST",
    apply(b) {
      const start = global(b, "assembly/mem/mheap/arenaStartPage").value as number;
      const end = global(b, "assembly/mem/mheap/arenaEndPage").value as number;
      for (let p = start; p < end; p++) {
        const v = pageMapEntry(b, p);
        if (v > 1 && b.u8[v + SPAN.state] === 2) {
          b.u32[(v + SPAN.next) >>> 2] = v;
          return;
        }
      }
      throw new Error("no free run");
    },
  },
  {
    what: "a page-map entry pointing at a bogus address",
    expected: "SPAN_RECORD_ADDR",
    apply(b, maps) {
      const h = mapHandle(u32Map(maps).m);
      const s = pageMapEntry(b, h >>> PAGE_SHIFT);
      const first = (b.u32[(s + SPAN.startAddr) >>> 2]! >>> 0) >>> PAGE_SHIFT;
      b.u32[(global(b, "assembly/mem/mheap/pageMap").value >>> 2) + first] = 0xfff00000;
    },
  },
  {
    what: "arenaEndPage beyond memory",
    expected: "ARENA_BOUNDS",
    apply(b) {
      global(b, "assembly/mem/mheap/arenaEndPage").value = (b.memory.buffer.byteLength >>> PAGE_SHIFT) + 8;
    },
  },
  {
    what: "rootsObj pointing outside memory",
    expected: "ROOTS",
    apply(b) {
      global(b, "assembly/gc/roots/rootsObj").value = 0xfffffff0 | 0;
    },
  },
  {
    what: "rootsObj 0 (no table at all)",
    expected: "ROOTS",
    apply(b) {
      global(b, "assembly/gc/roots/rootsObj").value = 0;
    },
  },
  {
    what: "a mark bit left set",
    expected: "NOT_QUIET",
    apply(b, maps) {
      const h = mapHandle(u32Map(maps).m);
      const s = pageMapEntry(b, h >>> PAGE_SHIFT);
      const start = b.u32[(s + SPAN.startAddr) >>> 2]! >>> 0;
      const slot = (h - start) / 32; // hmap: size class 32
      const marks = b.u32[(s + SPAN.gcmarkBits) >>> 2]! >>> 0;
      b.u8[marks + (slot >>> 3)]! |= 1 << (slot & 7);
    },
  },
  {
    what: "sampledLive off by one",
    expected: "SPECIALS",
    apply(b) {
      const g = global(b, "assembly/mem/mprof/sampledLive");
      g.value = (g.value as number) + 1;
    },
  },
  {
    what: "metaPages off by one",
    expected: "COUNTERS",
    apply(b) {
      const g = global(b, "assembly/mem/fixalloc/metaPages");
      g.value = (g.value as number) - 1;
    },
  },
  {
    what: "hashWriting set",
    expected: "MAP_HEADER",
    apply(b, maps) {
      const h = mapHandle(u32Map(maps).m);
      b.u8[h + b.hmap.flags]! |= 4;
    },
  },
  {
    what: "noverflow off by one",
    expected: "MAP_NOVERFLOW",
    apply(b, maps) {
      const h = mapHandle(u32Map(maps).m);
      b.u8[h + b.hmap.noverflow]! += 1;
    },
  },
  {
    what: "extra pointing at the hmap",
    expected: "MAP_EXTRA",
    apply(b, maps) {
      const h = mapHandle(u32Map(maps).m);
      b.u32[(h + b.hmap.extra) >>> 2] = h;
    },
  },
  {
    what: "nevacuate past the old array of a growing map",
    expected: "MAP_GROWTH",
    apply(b, maps) {
      const h = mapHandle(maps.find((e) => e.key === "u32" && e.value === "u64")!.m);
      expect(b.u32[(h + b.hmap.oldbuckets) >>> 2]).not.toBe(0);
      b.u32[(h + b.hmap.nevacuate) >>> 2] = 1 << 20;
    },
  },
  {
    what: "a duplicate key (and count raised to match)",
    expected: "MAP_LOOKUP",
    apply(b, maps) {
      const e = u32Map(maps);
      const h = mapHandle(e.m);
      const L = b.bucketLayout("k32_v32");
      const chain = chains(b, e).find((c) => c.length === 1 && b.u8[c[0]!]! >= 5 && b.u8[c[0]! + 7] === 0)!;
      const bucket = chain[0]!;
      let i = 0;
      while (b.u8[bucket + i] !== 0) i++;
      b.u8[bucket + i] = b.u8[bucket]!;
      b.u32[(bucket + L.keys + 4 * i) >>> 2] = b.u32[(bucket + L.keys) >>> 2]!;
      b.u32[(h + b.hmap.count) >>> 2] = (b.u32[(h + b.hmap.count) >>> 2]! >>> 0) + 1;
    },
  },
  {
    what: "extra.nextOverflow pointing at a primary bucket",
    expected: "MAP_NEXT_OVERFLOW",
    apply(b, maps) {
      const h = mapHandle(u32Map(maps).m);
      const extra = b.u32[(h + b.hmap.extra) >>> 2]! >>> 0;
      b.u32[(extra + MAPEXTRA_NEXT_OVERFLOW) >>> 2] = b.u32[(h + b.hmap.buckets) >>> 2]!;
    },
  },
  {
    what: "two spans sharing one mark bitmap",
    expected: "META_OVERLAP",
    apply(b) {
      const start = global(b, "assembly/mem/mheap/arenaStartPage").value as number;
      const end = global(b, "assembly/mem/mheap/arenaEndPage").value as number;
      const byClass = new Map<number, number>();
      for (let p = start; p < end; p++) {
        const v = pageMapEntry(b, p);
        if (v <= 1 || b.u8[v + SPAN.state] !== 1 || (b.u32[(v + SPAN.startAddr) >>> 2]! >>> 0) >>> PAGE_SHIFT !== p)
          continue;
        const other = byClass.get(b.u8[v + SPAN.spanclass]!);
        if (other !== undefined) {
          b.u32[(v + SPAN.gcmarkBits) >>> 2] = b.u32[(other + SPAN.gcmarkBits) >>> 2]!;
          return;
        }
        byClass.set(b.u8[v + SPAN.spanclass]!, v);
      }
      throw new Error("no two spans of one class");
    },
  },
  {
    what: "gcphase MARK",
    expected: "NOT_QUIET",
    apply(b) {
      global(b, "assembly/gc/phase/gcphase").value = 1;
    },
  },
];

describe("verifyHeap / verifyMap report each corruption", () => {
  for (const [build, debug] of BUILDS) {
    for (const c of CORRUPTIONS) {
      it(`${build}: ${c.what} → ${c.expected}`, async () => {
        const { b, maps } = await healthy(debug);
        expect(verifyAll(b, maps)).toBe(0);
        c.apply(b, maps);
        expect(name(b, verifyAll(b, maps))).toBe(c.expected);
        expect(b.dead).toBe(null); // no trap, no abort
      });
    }
  }
});

/** Byte positions for corruptions: anywhere in the arena; in the static
 *  data and the page map's entries up to the arena's end; in the meta
 *  pages (span records, bitmaps, type bytes) — the last two are small but
 *  hold the structure, so each gets a third of the positions. */
function positions(b: Boundary): fc.Arbitrary<number> {
  const pageMap = global(b, "assembly/mem/mheap/pageMap").value as number;
  const startPage = global(b, "assembly/mem/mheap/arenaStartPage").value as number;
  const endPage = global(b, "assembly/mem/mheap/arenaEndPage").value as number;
  const metaPages: number[] = [];
  for (let p = startPage; p < endPage; p++) if (pageMapEntry(b, p) === 1) metaPages.push(p);
  const arenaBytes = (endPage - startPage) << PAGE_SHIFT;
  const staticBytes = pageMap + endPage * 4;
  return fc.oneof(
    fc.nat(arenaBytes - 1).map((x) => (startPage << PAGE_SHIFT) + x),
    fc.nat(staticBytes - 1),
    fc.nat(metaPages.length * 8192 - 1).map((x) => (metaPages[x >>> PAGE_SHIFT]! << PAGE_SHIFT) + (x & 8191)),
  );
}

describe("random byte flips (debug build)", () => {
  it("either verify nonzero or leave the debug checkers passing", async () => {
    const { b, maps } = await healthy(true);
    const dbg = b.requireDebug("verify");
    expect(verifyAll(b, maps)).toBe(0);
    const position = positions(b);
    const seed = Date.now() % 0x7fffffff;
    console.log(`snapshot-verify byte flips: seed ${seed}`);
    let reported = 0;
    fc.assert(
      fc.property(
        fc.array(fc.tuple(position, fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }),
        (flips) => {
          const u8 = b.u8;
          const saved = flips.map(([x]) => [x, u8[x]!] as const);
          for (const [x, mask] of flips) u8[x]! ^= mask;
          try {
            const r = verifyAll(b, maps);
            if (r !== 0) {
              reported++;
              return;
            }
            dbg.checkHeap();
            for (const e of maps) mapOps(e.m).checkMap!(mapHandle(e.m));
          } finally {
            for (let i = saved.length - 1; i >= 0; i--) b.u8[saved[i]![0]] = saved[i]![1];
          }
        },
      ),
      { numRuns: Number(process.env.FLIP_RUNS ?? 200), seed, endOnFailure: true },
    );
    expect(b.dead).toBe(null);
    expect(verifyAll(b, maps)).toBe(0);
    console.log(`reported ${reported}`);
    expect(reported).toBeGreaterThan(0);
  }, 60_000);
});

describe("crafted globals and words (debug build)", () => {
  it("never trap, and a 0 from the verifiers leaves the debug checkers passing", async () => {
    const { b, maps } = await healthy(true);
    const dbg = b.requireDebug("verify");
    const exports = b.exports as unknown as Record<string, unknown>;
    // The core's 32-bit state globals (addresses, counters, flags).
    const globals = Object.keys(exports).filter((n) => {
      const g = exports[n];
      return (
        n.startsWith("state:") &&
        g instanceof WebAssembly.Global &&
        typeof g.value === "number" &&
        Number.isInteger(g.value)
      );
    });
    expect(globals.length).toBeGreaterThan(20);
    const memBytes = b.memory.buffer.byteLength;
    const word = fc.oneof(
      fc.constantFrom(0, 1, 2, 8, 0x7fffffff, 0xffffffff, 0xfffffff0),
      fc.nat(memBytes - 1),
      fc.nat(0xffffffff),
    );
    const position = positions(b);
    const seed = (Date.now() >>> 3) % 0x7fffffff;
    console.log(`snapshot-verify crafted: seed ${seed}`);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom(...globals), word), { maxLength: 2 }),
        fc.array(
          fc.tuple(
            position.map((x) => x >>> 2),
            word,
          ),
          { maxLength: 3 },
        ),
        (gs, ws) => {
          const savedG = gs.map(([n]) => [n, (exports[n] as WebAssembly.Global).value as number] as const);
          const savedW = ws.map(([i]) => [i, b.u32[i]!] as const);
          for (const [n, v] of gs) (exports[n] as WebAssembly.Global).value = v | 0;
          for (const [i, v] of ws) b.u32[i] = v;
          try {
            if (verifyAll(b, maps) !== 0) return;
            dbg.checkHeap();
            for (const e of maps) mapOps(e.m).checkMap!(mapHandle(e.m));
          } finally {
            for (let k = savedW.length - 1; k >= 0; k--) b.u32[savedW[k]![0]] = savedW[k]![1];
            for (let k = savedG.length - 1; k >= 0; k--)
              (exports[savedG[k]![0]] as WebAssembly.Global).value = savedG[k]![1];
          }
        },
      ),
      { numRuns: Number(process.env.FLIP_RUNS ?? 200), seed, endOnFailure: true },
    );
    expect(b.dead).toBe(null);
    expect(verifyAll(b, maps)).toBe(0);
  }, 60_000);
});
