// Hardening of the core (issue 15, items 2, 3 and 8): what an iterator
// roots between its batches, and growth deferral after running out of
// memory. Each scenario is deterministic (fixed `seed`) and runs on the
// release and the debug build.
//
// Detecting a use-after-free: a collection frees what the iterator failed
// to root, then a bytes value filled with 0x41 is placed in the freed
// memory; an iterator reading it yields keys that were never inserted
// (0x41414141), misses keys present throughout, or follows an overflow
// pointer 0x41414141 out of bounds (a trap: the runtime dies).
import { hashWordsX, seed1 } from "../src/hash.js";
import { describe, it, expect } from "vitest";
import { Runtime, type GoMap } from "../src/node.js";
import { boundaryOf } from "../src/runtime.js";
import { mapHandle, mapOps } from "../src/map.js";

const POISON = 0x41414141;
const BUILDS = [
  ["release", false],
  ["debug", true],
] as const;

/** A map to hold the poison: made before the collection, with room for
 *  every poison entry, so its own buckets are not what takes the freed
 *  memory. */
function poisonMap(rt: Runtime): GoMap<"u32", "bytes"> {
  return rt.map({ key: "u32", value: "bytes", seed: 7, hint: 8192 });
}

/** Fill freed memory with 0x41 (bytes values are raw noscan objects of
 *  their length): slots of the 80-byte class (u32→u32 buckets), then every
 *  idle page of the heap, one 8 KiB value per page, until the heap would
 *  have to grow. */
function poison(rt: Runtime, p: GoMap<"u32", "bytes">): void {
  const small = new Uint8Array(80).fill(0x41);
  for (let i = 0; i < 4000; i++) p.set(i, small);
  const page = new Uint8Array(8192).fill(0x41);
  const sys = rt.readMemStats().HeapSys;
  for (let i = 0; i < 4000; i++) {
    const s = rt.readMemStats();
    if (s.HeapIdle === 0 || s.HeapSys > sys) break;
    p.set(4000 + i, page);
  }
}

/** Every key left to yield: checks it was inserted with its value and is
 *  yielded once; adds it to `seen`. */
function drain(it: Iterator<[number, number]>, seen: Set<number>, inserted: Set<number>): void {
  for (let r = it.next(); !r.done; r = it.next()) {
    const [k, v] = r.value;
    if (k === POISON || !inserted.has(k) || v !== k) throw new Error(`iterator yielded ${k} → ${v}, never inserted`);
    if (seen.has(k)) throw new Error(`iterator yielded ${k} twice`);
    seen.add(k);
  }
}

const SEED = 3;
/** The core's hash of a u32 key (its low word: the bucket index's bits),
 *  by the host's JS twin (src/hash.ts), to choose keys by bucket. If the
 *  two ever differed, the test's precondition (no overflow bucket) would
 *  fail loudly. */
function hashU32(k: number, hash0: number): number {
  return hashWordsX(k, 0, hash0, seed1(hash0));
}

/** `count` keys of which no 9 share a bucket of a 2^B array (seed SEED). */
function keysWithoutOverflow(B: number, count: number): number[] {
  const perBucket = new Array<number>(1 << B).fill(0);
  const mask = (1 << B) - 1;
  const keys: number[] = [];
  for (let k = 0; keys.length < count; k++) {
    const j = hashU32(k, SEED) & mask;
    if (perBucket[j]! < 8) {
      perBucket[j]!++;
      keys.push(k);
    }
  }
  return keys;
}

function checks(rt: Runtime, debug: boolean, m: GoMap): void {
  if (!debug) return;
  boundaryOf(rt).requireDebug("hardening").checkHeap();
  mapOps(m).checkMap!(mapHandle(m));
}

describe("an iterator roots what it reads between batches (issue 15 items 2, 3)", () => {
  for (const [name, debug] of BUILDS) {
    for (const [what, withList] of [
      ["with an overflow list at its start", true],
      ["with no overflow list at its start", false],
    ] as const) {
      it(`${name}: ${what}, overflow buckets added later survive list replacements, growth and a collection`, async () => {
        const rt = await Runtime.create({ debug, gcPercent: "off", maxMemory: "64MiB" });
        const m = rt.map({ key: "u32", value: "u32", seed: SEED });
        // B = 10 (1024 buckets): keys 0… leave a few overflow buckets (in
        // the array's preallocated ones, recorded in extra.overflow); keys
        // chosen by bucket leave none, and the map has no list yet.
        const keys = withList ? Array.from({ length: 4000 }, (_, i) => i) : keysWithoutOverflow(10, 4000);
        for (const k of keys) m.set(k, k);
        const start = rt.inspect(m);
        expect(start.B).toBe(10);
        expect(start.overflowBuckets > 0).toBe(withList);
        const it = m.entries();
        const seen = new Set<number>();
        seen.add(it.next().value![0]); // the first batch is fetched
        // Fill B = 10 up to its load factor: many more overflow buckets, so
        // extra.overflow is outgrown and replaced several times.
        const inserted = new Set(keys);
        const insert = (k: number) => {
          m.set(k, k);
          inserted.add(k);
        };
        let n = keys[keys.length - 1]! + 1;
        for (; inserted.size < 6656; n++) insert(n);
        expect(rt.inspect(m)).toMatchObject({ B: 10, growing: false });
        expect(rt.inspect(m).overflowBuckets).toBeGreaterThan(100);
        // Grow to B = 11 and finish evacuating: the map lets go of the old
        // array's overflow list.
        for (; rt.inspect(m).growing || rt.inspect(m).B === 10; n++) insert(n);
        const p = poisonMap(rt);
        rt.gc();
        checks(rt, debug, m);
        poison(rt, p);
        drain(it, seen, inserted);
        for (const k of keys) if (!seen.has(k)) throw new Error(`key ${k}, present throughout, never yielded`);
        checks(rt, debug, m);
        p.free();
        rt.close();
      });
    }

    it(`${name}: an iterator started during growth survives evacuation finishing and a collection between batches`, async () => {
      const rt = await Runtime.create({ debug, gcPercent: "off", maxMemory: "64MiB" });
      const m = rt.map({ key: "u32", value: "u32", seed: SEED });
      // B = 7 filled to its load factor (832 entries) with no chain longer
      // than a bucket: the old array has no overflow buckets, so no
      // overflow list leads to it once the map lets go of it.
      const keys = keysWithoutOverflow(7, 832);
      for (const k of keys) m.set(k, k);
      expect(rt.inspect(m)).toMatchObject({ B: 7, count: 832, overflowBuckets: 0 });
      const n0 = keys[keys.length - 1]! + 1;
      let n = n0;
      m.set(n, n++); // the 833rd insert starts B = 7 → 8
      expect(rt.inspect(m)).toMatchObject({ B: 8, growing: true, oldOverflowBuckets: 0 });
      const it = m.entries();
      const seen = new Set<number>();
      seen.add(it.next().value![0]); // the first batch: the iterator stops inside an old bucket
      // Finish the evacuation (the map drops the old array), collect.
      for (; rt.inspect(m).growing; n++) m.set(n, n);
      const p = poisonMap(rt);
      rt.gc();
      checks(rt, debug, m);
      poison(rt, p);
      drain(it, seen, new Set([...keys, ...Array.from({ length: n - n0 }, (_, i) => i + n0)]));
      for (const k of keys) if (!seen.has(k)) throw new Error(`key ${k}, present throughout, never yielded`);
      checks(rt, debug, m);
      p.free();
      rt.close();
    });
  }
});

/** Insert keys 0, 1, 2… into m until a grow fails for lack of memory (the
 *  map is over its load factor and not growing); returns the count. */
function growUntilDeferred(rt: Runtime, m: GoMap<"u64", "u64">): number {
  for (let n = 0; n < 10_000_000; ) {
    m.set(n, n);
    n++;
    const B = rt.inspect(m).B;
    const limit = Math.max(8, 13 * Math.floor(2 ** B / 2)); // Go's overLoadFactor
    // Jump to the next insert that must grow the map, then look.
    for (; n <= limit; n++) m.set(n, n);
    m.set(n, n);
    n++;
    const info = rt.inspect(m);
    if (!info.growing && info.B === B) return n;
  }
  throw new Error("the map never ran out of memory");
}

describe("growth deferral after out of memory is per map (issue 15 item 8)", () => {
  for (const [name, debug] of BUILDS) {
    it(`${name}: a map that failed to grow does not stop a fresh map from growing`, async () => {
      const rt = await Runtime.create({ debug, maxMemory: "4MiB" });
      const a = rt.map({ key: "u64", value: "u64", seed: 5 });
      const count = growUntilDeferred(rt, a);
      const ai = rt.inspect(a);
      expect(ai).toMatchObject({ count, growing: false });
      expect(count).toBeGreaterThan(6.5 * 2 ** ai.B); // over its load factor: the grow failed
      a.free();
      rt.gc();
      const m = rt.map({ key: "u32", value: "u32", seed: 6 });
      for (let i = 0; i < 4000; i++) m.set(i, i);
      const info = rt.inspect(m);
      expect(info.B).toBe(10); // what make(map, 4000) picks: 4000 > 6.5 · 2^9
      expect(info.overflowBuckets).toBeLessThan(64);
      checks(rt, debug, m);
      rt.close();
    });

    it(`${name}: a map whose grow failed grows at its first insert after a collection freed memory`, async () => {
      const rt = await Runtime.create({ debug, maxMemory: "4MiB" });
      const filler = rt.map({ key: "u32", value: "u32", seed: 4 });
      for (let i = 0; i < 30_000; i++) filler.set(i, i);
      const a = rt.map({ key: "u64", value: "u64", seed: 5 });
      let n = growUntilDeferred(rt, a);
      const B = rt.inspect(a).B;
      filler.free();
      rt.gc();
      a.set(n, n++);
      const info = rt.inspect(a);
      expect(info.growing || info.B > B).toBe(true);
      for (let i = 0; i < n; i++) if (a.get(i) !== BigInt(i)) throw new Error(`key ${i} lost`);
      checks(rt, debug, a);
      rt.close();
    });
  }
});

// Not a reproduction (without the poison above, freed memory mostly still
// holds what it held): the root updates of mapiternext under incremental
// marking, checked by Go's iteration guarantees, the tri-colour invariant
// and the debug build's dangling-pointer assert in shade.
describe("iterators under GC stress (debug build: a cycle every 4 allocations, 512-byte mark steps)", () => {
  for (const key of ["u32", "string"] as const) {
    it(`${key} keys: writes between batches grow the map several times; Go's iteration guarantees hold`, async () => {
      const rt = await Runtime.create({ debug: true, maxMemory: "256MiB" });
      const dbg = boundaryOf(rt).requireDebug("stress");
      dbg.dbgStress(4, 512);
      const k = (i: number) => (key === "u32" ? i : `key-${i}`) as never;
      const m = rt.map({ key, value: "u32", seed: 11 }) as GoMap<typeof key, "u32">;
      const model = new Map<number, number>();
      let next = 0;
      for (; next < 4000; next++) {
        m.set(k(next), next);
        model.set(next, next);
      }
      const atStart = new Set(model.keys());
      const deleted = new Set<number>();
      const seen = new Set<number>();
      let round = 0;
      for (const [kk, v] of m) {
        const i = key === "u32" ? (kk as number) : Number((kk as string).slice(4));
        if (seen.has(i)) throw new Error(`${kk} yielded twice`);
        if (model.get(i) !== v) throw new Error(`${kk} → ${v}: not in the map now (model ${model.get(i)})`);
        seen.add(i);
        if (seen.size % 100 === 0) {
          // Between batches and inside them: grow, update, delete. The
          // first round fills B = 10 to its load factor (outgrowing
          // extra.overflow several times), the next ones grow the map.
          round++;
          for (let j = 0; j < (round === 1 ? 2600 : 300); j++, next++) {
            m.set(k(next), next);
            model.set(next, next);
          }
          for (let j = 0; j < 20; j++) {
            const d = (round * 7919 + j * 104729) % next;
            if (model.delete(d)) deleted.add(d);
            m.delete(k(d));
          }
          const u = (round * 15485863) % next;
          if (model.has(u)) {
            model.set(u, u + 1);
            m.set(k(u), u + 1);
          }
        }
      }
      for (const i of atStart)
        if (!deleted.has(i) && !seen.has(i)) throw new Error(`key ${i}, present throughout, never yielded`);
      expect(rt.inspect(m).B).toBeGreaterThan(11);
      expect(rt.readMemStats().NumGC).toBeGreaterThan(10);
      dbg.checkTriColor();
      dbg.checkHeap();
      mapOps(m).checkMap!(mapHandle(m));
      rt.close();
    });
  }
});
