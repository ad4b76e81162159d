// Model-based test of the map against a JS Map oracle, for every key kind.
//
// Seeded random streams of set/get/has/delete/clear/shrink/iterate and the
// batch paths, with growth (doubling and same-size) happening mid-stream
// and mid-iteration. checkMap (Go's invariants, assembly/map/check.ts) runs
// every few hundred operations and after each stream, with checkHeap.
import { describe, it, expect } from "vitest";
import { prng, randInt, seeds, withSeed } from "./helpers.js";
import { Runtime, type GoMap, type KindName } from "../src/node.js";
import { boundaryOf } from "../src/runtime.js";
import { IteratorInvalidatedError } from "../src/errors.js";
import { mapHandle, mapOps } from "../src/map.js";

/** What the streams went through, checked at the end (so the test cannot
 *  pass without exercising growth). */
const seen = {
  grows: 0,
  sameSizeGrows: 0,
  iterationsWhileGrowing: 0,
  shrinks: 0,
  clears: 0,
  iterations: 0,
  gcCycles: 0,
  snapshots: 0,
  snapshotsWhileGrowing: 0,
};

type Key = number | bigint | string | Uint8Array;
const KEYS: KindName[] = ["i32", "u32", "i64", "u64", "f64", "string", "bytes"];
const VALUES: KindName[] = ["i32", "u32", "i64", "u64", "f64", "string", "bytes"];

/** Oracle key: bytes compare by contents. */
const norm = (k: Key): Key =>
  k instanceof Uint8Array ? "b:" + Array.from(k, (x) => String.fromCharCode(x)).join("") : k;
const OPS_PER_STREAM = 12_000;

/** Oracle with Go's semantics for f64 keys: ±0 one key, NaN entries apart. */
class Oracle {
  m = new Map<Key, Key>();
  keys = new Map<Key, Key>(); // normalized → original (for iteration checks)
  nans: Key[] = [];
  get size() {
    return this.m.size + this.nans.length;
  }
  set(k: Key, v: Key) {
    if (k !== k) this.nans.push(v);
    else {
      this.m.set(norm(k), v);
      this.keys.set(norm(k), k);
    }
  }
  get(k: Key) {
    return this.m.get(norm(k));
  }
  has(k: Key) {
    return this.m.has(norm(k));
  }
  delete(k: Key) {
    this.keys.delete(norm(k));
    return this.m.delete(norm(k));
  }
  clear() {
    this.m.clear();
    this.keys.clear();
    this.nans = [];
  }
}

const ALPHABET = ["a", "b", "k", "e", "y", "-", "0", "1", "\0", "é", "ß", "中", "🎉", "\uD800", "\uDFFF", "\n"];
function randStr(r: () => number, range: number): string {
  const len = r() < 0.7 ? randInt(r, 0, 12) : randInt(r, 0, 300);
  if (len <= 12 && r() < 0.8) return `key-${randInt(r, 0, range)}`; // the article's keys
  let s = "";
  for (let i = 0; i < len; i++) s += ALPHABET[randInt(r, 0, ALPHABET.length - 1)];
  return s;
}
function randBytes(r: () => number, range: number): Uint8Array {
  if (r() < 0.7) return new TextEncoder().encode(`k${randInt(r, 0, range)}`);
  return Uint8Array.from({ length: randInt(r, 0, 300) }, () => randInt(r, 0, 3));
}

function genKey(kind: KindName, r: () => number, range: number): Key {
  const n = randInt(r, 0, range);
  switch (kind) {
    case "i32":
      return n - (range >> 1);
    case "u32":
      return r() < 0.05 ? 4294967295 - n : n;
    case "i64":
      return (r() < 0.5 ? -1n : 1n) * (BigInt(n) * 0x1_0000_0001n + (r() < 0.1 ? 1n << 62n : 0n));
    case "u64":
      return r() < 0.1 ? (1n << 64n) - 1n - BigInt(n) : BigInt(n) * 0x9e37_79b9n;
    case "f64": {
      const x = r();
      if (x < 0.02) return NaN;
      if (x < 0.04) return -0;
      if (x < 0.06) return 0;
      if (x < 0.07) return r() < 0.5 ? Infinity : -Infinity;
      return (n - range / 2) / 4;
    }
    case "string":
      return randStr(r, range);
    case "bytes":
      return randBytes(r, range);
  }
}

function genValue(kind: KindName, r: () => number): Key {
  switch (kind) {
    case "i32":
      return randInt(r, -2147483648, 2147483647);
    case "u32":
      return randInt(r, 0, 4294967295);
    case "i64":
      return BigInt(randInt(r, -1e15, 1e15)) * 7919n;
    case "u64":
      return BigInt(randInt(r, 0, 1e15)) * 18446n;
    case "f64":
      return r() < 0.05 ? NaN : (r() - 0.5) * 1e6;
    case "string":
      return randStr(r, 1e9);
    case "bytes":
      return randBytes(r, 1e9);
  }
}

const same = (a: Key | undefined, b: Key | undefined) =>
  Object.is(a, b) ||
  (a === 0 && b === 0) ||
  (a instanceof Uint8Array && b instanceof Uint8Array && norm(a) === norm(b));

function typedKeys(kind: KindName, ks: Key[]) {
  switch (kind) {
    case "i32":
      return Int32Array.from(ks as number[]);
    case "u32":
      return Uint32Array.from(ks as number[]);
    case "i64":
      return BigInt64Array.from(ks as bigint[]);
    case "u64":
      return BigUint64Array.from(ks as bigint[]);
    case "f64":
      return Float64Array.from(ks as number[]);
    default:
      return ks;
  }
}

/** 64-bit bigints that are safe integers as numbers, in a Float64Array or a
 *  number[] (mixed with bigints when some are not safe); other keys as is. */
function asNumbers(ks: Key[], r: () => number): Key[] | Float64Array {
  const safe = (k: Key) =>
    typeof k === "bigint" && k >= BigInt(Number.MIN_SAFE_INTEGER) && k <= BigInt(Number.MAX_SAFE_INTEGER);
  if (!ks.some(safe)) return ks;
  const nums = ks.map((k) => (safe(k) ? Number(k) : k));
  return nums.every((k) => typeof k === "number") && r() < 0.5 ? Float64Array.from(nums as number[]) : nums;
}

/** One seeded stream. With `stress`, the debug build starts a collection
 *  every 4 allocations and marks in 512-byte steps, and the tri-colour
 *  invariant is checked as the stream goes. */
async function runStream(keyKind: KindName, valueKind: KindName, seed: number, opsPerStream: number, stress: boolean) {
  await withSeed(seed, async () => {
    let rt = await Runtime.create({ debug: true, maxMemory: "256MiB" });
    let b = boundaryOf(rt);
    let dbg = b.requireDebug("model");
    if (stress) dbg.dbgStress(4, 512);
    const r = prng(seed);
    let m = rt.map({
      key: keyKind,
      value: valueKind,
      hint: r() < 0.3 ? randInt(r, 0, 3000) : 0,
      ...(r() < 0.5 ? { seed } : {}),
    }) as GoMap;
    const checkMap = () => mapOps(m).checkMap!(mapHandle(m));
    const o = new Oracle();
    let range = randInt(r, 8, 4000);
    for (let op = 0; op < opsPerStream; op++) {
      if (op % 2000 === 0) range = randInt(r, 8, r() < 0.5 ? 300 : 20_000);
      const x = r();
      if (x < 0.4) {
        const k = genKey(keyKind, r, range),
          v = genValue(valueKind, r);
        m.set(k as never, v as never);
        o.set(k, v);
      } else if (x < 0.58) {
        const k = genKey(keyKind, r, range);
        const got = m.get(k as never);
        const want = k !== k ? undefined : o.get(k);
        if (!same(got as Key | undefined, want))
          throw new Error(`op ${op}: get(${String(k)}) = ${String(got)}, want ${String(want)}`);
        expect(m.has(k as never)).toBe(want !== undefined);
      } else if (x < 0.8) {
        const k = genKey(keyKind, r, range);
        const want = k === k && o.has(k);
        expect(m.delete(k as never), `delete(${String(k)})`).toBe(want);
        if (want) o.delete(k);
      } else if (x < 0.84) {
        // Batch: setMany + getMany (+ found mask) + deleteMany.
        const n = randInt(r, 1, 300);
        const ks: Key[] = [],
          vs: Key[] = [];
        for (let i = 0; i < n; i++) {
          ks.push(genKey(keyKind, r, range));
          vs.push(genValue(valueKind, r));
        }
        // 64-bit keys/values that are safe integers also go in as numbers
        // (a Float64Array or a number[]: no BigInt per element).
        const y = r();
        m.setMany(
          (y < 0.4 ? typedKeys(keyKind, ks) : y < 0.7 ? ks : asNumbers(ks, r)) as never,
          (r() < 0.5 ? vs : asNumbers(vs, r)) as never,
        );
        ks.forEach((k, i) => o.set(k, vs[i]!));
        const found = new Uint8Array(n);
        const q: Key[] = ks.map((k) => (r() < 0.5 ? k : genKey(keyKind, r, range)));
        const out = m.getMany(q as never, undefined, found);
        q.forEach((k, i) => {
          const want = k !== k ? undefined : o.get(k);
          expect(found[i], `found[${i}] for ${String(k)}`).toBe(want === undefined ? 0 : 1);
          if (want !== undefined && !same(out[i] as Key, want))
            throw new Error(`getMany value for ${String(k)}: ${String(out[i])} != ${String(want)}`);
        });
        if (r() < 0.5) {
          const del = q.filter(() => r() < 0.5);
          let want = 0;
          const gone = new Map<Key, Key>();
          for (const k of del)
            if (k === k && o.has(k) && !gone.has(norm(k))) {
              want++;
              gone.set(norm(k), k);
            }
          expect(m.deleteMany(del as never)).toBe(want);
          for (const k of gone.values()) o.delete(k);
        }
      } else if (x < 0.845) {
        m.clear();
        o.clear();
        seen.clears++;
      } else if (x < 0.85) {
        m.shrink();
        expect(rt.inspect(m).growing).toBe(false);
        seen.shrinks++;
      } else if (x < 0.87) {
        iterateWithMutations(rt, m, o, keyKind, valueKind, r, range);
        seen.iterations++;
      } else if (x < 0.8705) {
        // Snapshot and restore (src/snapshot.ts): the stream goes on in the
        // restored runtime, whose heap and map the debug checkers see first.
        // Half the time, insert fresh keys until a growth is under way, so
        // every run snapshots a half-evacuated map (from a map of 26+
        // entries a growth outlives the insert that starts it).
        if (r() < 0.5) {
          for (let i = 0; i < 4096 && !rt.inspect(m).growing; i++) {
            const k = genKey(keyKind, r, 1 << 30),
              v = genValue(valueKind, r);
            m.set(k as never, v as never);
            o.set(k, v);
          }
        }
        const before = rt.inspect(m);
        const img = rt.snapshot({ maps: { m } });
        const restored = await Runtime.restore(img, { debug: true });
        rt.close();
        rt = restored.rt;
        m = restored.maps.m as GoMap;
        b = boundaryOf(rt);
        dbg = b.requireDebug("model");
        dbg.checkHeap();
        checkMap();
        const after = rt.inspect(m);
        expect({ ...after, hash0: 0 }).toEqual({ ...before, hash0: 0 });
        expect(after.hash0).toBe(before.hash0);
        seen.snapshots++;
        if (before.growing) seen.snapshotsWhileGrowing++;
      } else if (x < 0.8715) {
        // Churn: insert fresh keys and delete old ones at a steady size,
        // which piles up overflow buckets until a same-size grow. Start
        // from an empty, shrunk map so B stays small.
        m.clear();
        o.clear();
        m.shrink();
        // docs/go-facts.md: insert-100/delete-100 rounds on a B = 4 map.
        for (let round = 0; round < 25; round++) {
          const live: Key[] = [];
          while (live.length < 100) {
            const k = genKey(keyKind, r, 1_000_000);
            if (k !== k || o.has(k)) continue;
            const v = genValue(valueKind, r);
            m.set(k as never, v as never);
            o.set(k, v);
            live.push(k);
            if ((b.u8[mapHandle(m) + b.hmap.flags]! & 8) !== 0) seen.sameSizeGrows++;
          }
          for (const d of live) {
            expect(m.delete(d as never)).toBe(true);
            o.delete(d);
            if ((b.u8[mapHandle(m) + b.hmap.flags]! & 8) !== 0) seen.sameSizeGrows++;
          }
        }
      }
      const h = mapHandle(m);
      if (b.u32[(h + b.hmap.oldbuckets) >>> 2] !== 0) {
        seen.grows++;
        if ((b.u8[h + b.hmap.flags]! & 8) !== 0) seen.sameSizeGrows++;
      }
      if (m.size !== o.size) throw new Error(`op ${op}: size ${m.size} != ${o.size}`);
      if (op % 400 === 0) checkMap();
      if (stress && op % 200 === 0) dbg.checkTriColor();
    }
    if (stress) seen.gcCycles += rt.readMemStats().NumGC;
    // Full comparison by iteration.
    checkMap();
    const got = new Map<Key, Key>();
    let nans = 0;
    for (const [k, v] of m) {
      if (k !== k) {
        nans++;
        continue;
      }
      const kk = norm(k === 0 ? 0 : k);
      if (got.has(kk)) throw new Error(`iteration produced ${String(k)} twice`);
      got.set(kk, v as Key);
    }
    expect(nans).toBe(o.nans.length);
    expect(got.size).toBe(o.m.size);
    for (const [k, v] of o.m)
      if (!same(got.get(k), v)) throw new Error(`final: ${String(k)} → ${String(got.get(k))}, want ${String(v)}`);
    dbg.checkHeap();
    rt.gc();
    checkMap();
    dbg.checkHeap();
    for (const [k, v] of o.m)
      if (!same(m.get(o.keys.get(k) as never) as Key, v)) throw new Error(`after gc: ${String(k)} lost`);
  });
}

describe("map model", () => {
  const streams: [KindName, KindName, number][] = [];
  const ss = seeds(2);
  KEYS.forEach((k, i) => ss.forEach((seed, j) => streams.push([k, VALUES[(i + j * 2) % VALUES.length]!, seed])));
  for (const [keyKind, valueKind, seed] of streams) {
    it(`${keyKind} → ${valueKind} (seed ${seed})`, () => runStream(keyKind, valueKind, seed, OPS_PER_STREAM, false));
  }
});

describe("map model under GC stress (a cycle every 4 allocations, 512-byte mark steps)", () => {
  const ss = seeds(1);
  KEYS.forEach((k, i) => {
    const seed = ss[0]!;
    const v = VALUES[(i + 1) % VALUES.length]!;
    it(`${k} → ${v} (seed ${seed})`, () => runStream(k, v, seed, 4000, true));
  });
});

/** Iterate part or all of the map while mutating it, checking Go's rules:
 *  an entry present at the start and never deleted is produced exactly once;
 *  a produced entry is present with its current value; an entry deleted
 *  before it is reached is not produced. */
function iterateWithMutations(
  rt: Runtime,
  m: GoMap,
  o: Oracle,
  keyKind: KindName,
  valueKind: KindName,
  r: () => number,
  range: number,
): void {
  const start = new Set<Key>(o.m.keys());
  const nansAtStart = o.nans.length; // NaN keys cannot be deleted: each is produced
  const deleted = new Set<Key>();
  const inserted = new Set<Key>();
  const produced = new Map<Key, number>();
  const mutateP = r() < 0.5 ? 0 : r() * 0.3;
  const stopAt = r() < 0.3 ? randInt(r, 0, o.size) : Infinity;
  let count = 0;
  let nanSeen = 0;
  for (const [k, v] of m) {
    if (k !== k) {
      nanSeen++;
    } else {
      const kk = norm(k === 0 ? 0 : k);
      if (!o.m.has(kk)) throw new Error(`iteration produced ${String(k)}, which is not in the map`);
      if (!same(o.m.get(kk), v as Key))
        throw new Error(`iteration produced ${String(k)} → ${String(v)}, current value ${String(o.m.get(kk))}`);
      const c = (produced.get(kk) ?? 0) + 1;
      produced.set(kk, c);
      if (c > 1 && !(deleted.has(kk) && inserted.has(kk))) throw new Error(`iteration produced ${String(k)} twice`);
    }
    if (++count >= stopAt) break;
    if (count % 16 === 0 && rt.inspect(m).growing) seen.iterationsWhileGrowing++;
    if (r() < mutateP) {
      const k = genKey(keyKind, r, range);
      if (r() < 0.5) {
        const vv = genValue(valueKind, r);
        m.set(k as never, vv as never);
        if (k === k) {
          if (!o.has(k)) inserted.add(norm(k));
          o.set(k, vv);
        } else o.nans.push(vv);
      } else if (k === k) {
        const want = o.has(k);
        expect(m.delete(k as never)).toBe(want);
        if (want) {
          o.delete(k);
          deleted.add(norm(k));
        }
      }
    }
  }
  if (stopAt === Infinity) {
    for (const k of start) {
      if (!deleted.has(k) && !produced.has(k))
        throw new Error(`iteration missed ${String(k)}, present from start to end`);
    }
    if (nanSeen < nansAtStart) throw new Error(`iteration produced ${nanSeen} NaN entries of ${nansAtStart}`);
  }
}

describe("the streams", () => {
  it("grew, grew at the same size, and iterated during growth", () => {
    console.log("model streams:", JSON.stringify(seen));
    expect(seen.grows).toBeGreaterThan(0);
    expect(seen.sameSizeGrows).toBeGreaterThan(0);
    expect(seen.iterationsWhileGrowing).toBeGreaterThan(0);
    expect(seen.shrinks).toBeGreaterThan(0);
    expect(seen.clears).toBeGreaterThan(0);
    expect(seen.gcCycles).toBeGreaterThan(100);
    expect(seen.snapshots).toBeGreaterThan(0);
    expect(seen.snapshotsWhileGrowing).toBeGreaterThan(0);
  });
});

describe("iterator invalidation", () => {
  for (const op of ["clear", "shrink", "free"] as const) {
    it(`a live iterator throws after ${op}()`, async () => {
      const rt = await Runtime.create({ debug: true });
      const m = rt.map({ key: "u32", value: "u32" });
      for (let i = 0; i < 2000; i++) m.set(i, i);
      const it = m.entries();
      expect(it.next().done).toBe(false);
      m[op]();
      expect(() => it.next()).toThrow(IteratorInvalidatedError);
    });
  }
});

describe("64-bit values given as numbers", () => {
  it("are stored exactly (two u32 halves, two's complement for negatives) and read back as bigints", async () => {
    const rt = await Runtime.create();
    const u = rt.map({ key: "u32", value: "u64" }) as unknown as GoMap<"u32", "u32">;
    const i = rt.map({ key: "u32", value: "i64" }) as unknown as GoMap<"u32", "u32">;
    const xs = [0, 1, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, 2 ** 53 - 1, 123456789012];
    xs.forEach((x, k) => {
      u.set(k, x);
      i.set(k, x);
      i.set(100 + k, -x);
    });
    xs.forEach((x, k) => {
      expect(u.get(k) as unknown).toBe(BigInt(x));
      expect(i.get(k) as unknown).toBe(BigInt(x));
      expect(i.get(100 + k) as unknown).toBe(BigInt(-x));
    });
    expect(() => u.set(1, -1)).toThrow(/u64/);
    expect(() => u.set(1, 2 ** 53)).toThrow(/u64/);
    expect(() => i.set(1, 1.5)).toThrow(/i64/);
    expect(u.get(1) as unknown).toBe(1n); // unchanged by the failed sets
  });
});
