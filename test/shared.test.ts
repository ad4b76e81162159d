// Shared runtimes (docs/shared.md): Runtime.create({ shared: true }),
// rt.share(m), attach() → GoMapReader, with real worker_threads readers
// (test/workers/shared-reader.mjs imports dist/node.js).
//
// - readers in a worker and in this thread answer like a JS Map oracle
//   after every batch of a seeded stream of owner writes (sets, deletes,
//   growth, clear, shrink), memory growth included;
// - a stress run: the owner inserts, updates, deletes, clears and
//   collects while a worker reads; a value is version << 32 | (key·φ ^
//   version): its halves agree only when written together, and versions
//   only move forward per key: a torn or stale-mixed read shows;
// - freed maps and closed runtimes make readers throw typed errors;
//   hostile descriptors are InvalidArgumentError; writes on a reader are
//   ReadOnlyMapError; rt.compact() refuses on a shared runtime;
// - an image made by an unshared runtime restores into a shared one and
//   can be shared (the two cores carry one fingerprint).
import { afterEach, describe, expect, it } from "vitest";
import { Worker } from "node:worker_threads";
import {
  attach,
  InvalidArgumentError,
  ReadOnlyMapError,
  Runtime,
  RuntimeClosedError,
  SharedRuntimeError,
  UseAfterFreeError,
  type SharedMapDescriptor,
} from "../src/node.js";
import { mulberry32 } from "../src/random.js";
import type { GoMap, KindName } from "../src/node.js";

/** Orders [key, value] pairs by their key's bytes (bytes keys). */
function byKey(a: [unknown, unknown], b: [unknown, unknown]): number {
  const x = a[0] as Uint8Array,
    y = b[0] as Uint8Array;
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

/** A seeded stream of numbers in [0, 1). */
function seeded(seed: number): () => number {
  const next = mulberry32(seed);
  return () => next() / 2 ** 32;
}

const WORKER = new URL("./workers/shared-reader.mjs", import.meta.url);
const workers: Worker[] = [];
afterEach(async () => {
  for (const w of workers.splice(0)) await w.terminate();
});

/** What the reader thread answers (test/workers/shared-reader.mjs). */
interface Reply {
  values?: unknown[];
  size?: number;
  value?: unknown;
  error?: string;
  bad?: number;
  n?: number;
  stats?: { lookups: number; retries: number };
}

async function startReader(descriptor: SharedMapDescriptor): Promise<(msg: object) => Promise<Reply>> {
  const w = new Worker(WORKER, { workerData: { descriptor } });
  workers.push(w);
  const queue: ((m: unknown) => void)[] = [];
  w.on("message", (m) => queue.shift()?.(m));
  w.on("error", (e) => {
    throw e;
  });
  const ready = new Promise((res) => queue.push(res));
  await ready;
  return (msg) =>
    new Promise<Reply>((res) => {
      queue.push(res as (m: unknown) => void);
      w.postMessage(msg);
    });
}

describe("shared runtimes", () => {
  // Each kind pair: a key and a value of each kind made from a number (the
  // oracle is keyed by that number). String keys and values include
  // multi-byte UTF-8, a lone surrogate (WTF-8), the empty string and some
  // longer than 1 KiB; bytes likewise.
  const text = (k: number): string =>
    k % 97 === 0
      ? `${"long·".repeat(230)}${k}`
      : k % 13 === 0
        ? `\uD800${k}`
        : k % 7 === 0
          ? `ü€😀${k}`
          : k === 1
            ? ""
            : `k${k}`;
  const bytes = (k: number): Uint8Array =>
    k === 1
      ? new Uint8Array(0)
      : // k's two low bytes first: distinct keys for k < 2^16
        new Uint8Array(k % 89 === 0 ? 1500 : (k % 11) + 2).map((_, i) =>
          i === 0 ? k & 255 : i === 1 ? k >>> 8 : (k * 31 + i * 7) & 255,
        );
  const STREAMS = [
    {
      key: "u32",
      value: "u64",
      k: (n: number) => n,
      v: (n: number, batch: number) => BigInt(n) * 1000n + BigInt(batch),
    },
    { key: "string", value: "u32", k: text, v: (n: number, batch: number) => n * 31 + batch },
    { key: "u32", value: "string", k: (n: number) => n, v: (n: number, batch: number) => text(n * 5 + batch) },
    { key: "string", value: "string", k: text, v: (n: number, batch: number) => text(n * 3 + batch) },
    { key: "bytes", value: "bytes", k: bytes, v: (n: number, batch: number) => bytes(n + batch) },
  ] as const;

  for (const st of STREAMS) {
    it(`${st.key}→${st.value}: readers in a worker and in this thread answer like a Map oracle through a seeded write stream`, async () => {
      const rt = await Runtime.create({ shared: true });
      const m = rt.map({ key: st.key, value: st.value }) as unknown as GoMap<KindName, KindName>;
      const d = rt.share(m);
      const here = attach(d);
      const ask = await startReader(d);
      const oracle = new Map<number, unknown>();
      const rand = seeded(18);
      const refKeys = st.key !== "u32";
      const span = refKeys ? 4000 : 40000;
      const perBatch = refKeys ? 600 : 3000;
      for (let batch = 0; batch < 30; batch++) {
        const op = batch === 12 ? "clear" : batch === 20 ? "shrink" : "writes";
        if (op === "clear") {
          m.clear();
          oracle.clear();
        } else if (op === "shrink") m.shrink();
        else
          for (let i = 0; i < perBatch; i++) {
            const n = (rand() * span) >>> 0;
            if (rand() < 0.25) {
              m.delete(st.k(n) as never);
              oracle.delete(n);
            } else {
              const v = st.v(n, batch);
              m.set(st.k(n) as never, v as never);
              oracle.set(n, v);
            }
          }
        if (batch % 10 === 9) rt.gc(); // frees deleted and overwritten strings: their memory is reused
        const ns = Array.from({ length: 300 }, () => (rand() * span) >>> 0);
        const keys = ns.map((n) => st.k(n));
        const want = ns.map((n) => oracle.get(n));
        const got = await ask({ keys });
        expect(got.values).toEqual(want);
        expect(got.size).toBe(oracle.size);
        expect(keys.map((k) => here.get(k as never))).toEqual(want);
        expect(keys.map((k) => here.has(k as never))).toEqual(want.map((v) => v !== undefined));
        expect(here.size).toBe(oracle.size);
        // getMany agrees with the owner's getMany, found mask included.
        const f1 = new Uint8Array(keys.length),
          f2 = new Uint8Array(keys.length);
        expect(here.getMany(keys as never, undefined, f1)).toEqual(m.getMany(keys as never, undefined, f2));
        expect(f1).toEqual(f2);
      }
      const all = new Map<unknown, unknown>(here.entries());
      const mine = new Map<unknown, unknown>(m.entries());
      expect(all.size).toBe(oracle.size);
      if (st.key === "bytes") expect([...here.entries()].sort(byKey)).toEqual([...m.entries()].sort(byKey));
      else expect(all).toEqual(mine);
      if (st.key !== "bytes") expect(all).toEqual(new Map([...oracle].map(([n, v]) => [st.k(n), v])));
      rt.close();
    });
  }

  it("every numeric key kind, f64 ±0 and NaN, i64 negatives", async () => {
    const rt = await Runtime.create({ shared: true });
    const f = rt.map({ key: "f64", value: "f64" });
    f.set(-0, 1.5).set(2.25, -3).set(Number.MAX_VALUE, 7);
    const rf = attach(rt.share(f));
    expect([rf.get(0), rf.get(-0), rf.get(2.25), rf.get(Number.NaN), rf.get(Number.MAX_VALUE)]).toEqual([
      1.5,
      1.5,
      -3,
      undefined,
      7,
    ]);
    const i = rt.map({ key: "i64", value: "i32" });
    i.set(-5n, -7).set(2n ** 62n, 9);
    const ri = attach(rt.share(i));
    expect([ri.get(-5n), ri.get(-5), ri.get(2n ** 62n)]).toEqual([-7, -7, 9]);
    // Out of the kind's range: refused as the owner's map refuses it.
    expect(() => i.get(2n ** 63n)).toThrow(InvalidArgumentError);
    expect(() => ri.get(2n ** 63n)).toThrow(InvalidArgumentError);
    rt.close();
  });

  it("memory growth is picked up by a reader attached before it", async () => {
    const rt = await Runtime.create({ shared: true });
    const m = rt.map({ key: "u32", value: "u32" });
    const r = attach(rt.share(m));
    const before = rt.readMemStats().Sys;
    for (let k = 0; k < 400000; k++) m.set(k, k ^ 0x5555);
    expect(rt.readMemStats().Sys).toBeGreaterThan(before);
    for (let k = 0; k < 400000; k += 997) expect(r.get(k)).toBe(k ^ 0x5555);
    expect(r.size).toBe(400000);
    rt.close();
  });

  it("stress: a writer inserting, deleting, growing, clearing and collecting; a worker never sees a torn or backward value", async () => {
    const rt = await Runtime.create({ shared: true });
    const m = rt.map({ key: "u32", value: "u64" });
    const ask = await startReader(rt.share(m));
    const stop = new SharedArrayBuffer(4);
    const span = 1 << 14;
    const version = new Uint32Array(span);
    const result = ask({ stress: true, stop, span, max: 2e5 });
    let writes = 0;
    let done = false;
    result.then(() => {
      done = true;
    });
    const rand = seeded(7);
    while (!done) {
      for (let i = 0; i < 200; i++) {
        const k = (rand() * span) >>> 0;
        if (rand() < 0.2) m.delete(k);
        else {
          version[k] = version[k]! + 1;
          m.set(k, (BigInt(version[k]!) << 32n) | BigInt((Math.imul(k, 0x9e3779b1) ^ version[k]!) >>> 0));
        }
        writes++;
      }
      if (writes % 20000 < 200) m.clear();
      if (writes % 50000 < 200) rt.gc();
      await new Promise((r) => setImmediate(r));
    }
    Atomics.store(new Int32Array(stop), 0, 1);
    const { bad, n, stats } = await result;
    console.log(`shared stress: ${n} reader lookups, ${stats?.retries} retries, ${writes} owner writes`);
    expect(bad).toBe(0);
    expect(n).toBeGreaterThan(0);
    rt.close();
  }, 60000);

  it("free and close: readers throw typed errors; the worker too", async () => {
    const rt = await Runtime.create({ shared: true });
    const a = rt.map({ key: "u32", value: "u32" });
    const b = rt.map({ key: "u32", value: "u32" });
    a.set(1, 2);
    b.set(3, 4);
    const ra = attach(rt.share(a));
    const db = rt.share(b);
    const ask = await startReader(db);
    expect(ra.get(1)).toBe(2);
    a.free();
    expect(() => ra.get(1)).toThrow(UseAfterFreeError);
    expect(() => ra.size).toThrow(UseAfterFreeError);
    expect((await ask({ op: "get", key: 3 })).value).toBe(4);
    rt.close();
    expect(await ask({ op: "get", key: 3 })).toMatchObject({ error: "RuntimeClosedError" });
    expect(() => attach(db).get(3)).toThrow(RuntimeClosedError);
  });

  it("refusals: writes on a reader, share on an unshared runtime, compact on a shared one, hostile descriptors", async () => {
    const rt = await Runtime.create({ shared: true });
    const m = rt.map({ key: "u32", value: "u32" });
    const d = rt.share(m);
    const r = attach(d);
    expect(() => r.set(1, 2)).toThrow(ReadOnlyMapError);
    expect(() => r.delete(1)).toThrow(ReadOnlyMapError);
    expect(() => r.clear()).toThrow(ReadOnlyMapError);
    await expect(rt.compact()).rejects.toThrow(SharedRuntimeError);
    const plain = await Runtime.create();
    expect(() => plain.share(plain.map({ key: "u32", value: "u32" }))).toThrow(SharedRuntimeError);
    const bads: unknown[] = [
      null,
      42,
      {},
      { ...d, format: "x" },
      { ...d, memory: new WebAssembly.Memory({ initial: 1 }) },
      { ...d, memory: {} },
      { ...d, h: -4 },
      { ...d, h: 2 ** 40 },
      { ...d, h: d.h + 1 },
      { ...d, seq: "8" },
      { ...d, keyType: "string" },
      { ...d, layout: null },
      { ...d, layout: { ...d.layout, bucketSize: 1e6 } },
    ];
    for (const x of bads) expect(() => attach(x as SharedMapDescriptor)).toThrow(InvalidArgumentError);
    plain.close();
    rt.close();
  });

  it("an image from an unshared runtime restores into a shared one and is shared from there", async () => {
    const src = await Runtime.create();
    const m = src.map({ key: "u32", value: "u32" });
    for (let k = 0; k < 5000; k++) m.set(k, k * 3);
    const image = src.snapshot({ maps: { m } });
    src.close();
    const { rt, maps } = await Runtime.restore(image, { shared: true });
    const mm = maps.m as typeof m;
    const r = attach(rt.share(mm));
    expect(r.get(4999)).toBe(4999 * 3);
    mm.set(4999, 1);
    expect(r.get(4999)).toBe(1);
    rt.close();
  });
});
