// The trusted gate cannot be bypassed (DESIGN rule: nothing leaks across):
// from an untrusted runtime, walk everything reachable from every object
// the public API hands out — own and inherited properties, symbol keys,
// getters (invoked), prototype chains up to the intrinsics, functions' own
// properties, Map/Set contents, errors and their causes — and require that
// nothing is the linear memory, its buffer or a view over it, a wasm
// instance or module, or an exported core function. Then call every
// trusted-only entry point with every reachable object: all refuse.
//
// The one documented exception (docs/shared.md): on a runtime created
// with { shared: true }, the descriptor rt.share(m) returns carries the
// shared WebAssembly.Memory. The walk from it finds exactly that (at
// .memory) and nothing else; everything else that runtime hands out —
// GoMapReaders from attach(), their iterators, stats and errors included —
// leads nowhere, and an unshared runtime has no descriptor to hand out.
import { describe, expect, it } from "vitest";
import * as api from "../src/node.js";
import {
  attach,
  Runtime,
  SharedRuntimeError,
  UNSAFE_ENTRY_POINTS,
  Unsafe,
  UnsafeNotAllowedError,
  type GoMap,
  type GoMapReader,
} from "../src/node.js";
import { boundaryOf } from "../src/runtime.js";
import { Boundary } from "../src/boundary.js";
import { DEBUG_ONLY_EXPORTS, RELEASE_EXPORTS } from "../build/core-exports.js";

const CORE_NAMES = new Set<string>([...RELEASE_EXPORTS, ...DEBUG_ONLY_EXPORTS]);

/** The realm's intrinsics: the walk stops there (they are not ours). */
function intrinsics(): Set<unknown> {
  const out = new Set<unknown>();
  const add = (v: unknown) => {
    if ((typeof v === "object" && v !== null) || typeof v === "function") {
      out.add(v);
      const p = (v as { prototype?: unknown }).prototype;
      if (p && typeof p === "object") out.add(p);
      out.add(Object.getPrototypeOf(v));
    }
  };
  for (const name of Reflect.ownKeys(globalThis)) {
    try {
      add((globalThis as Record<PropertyKey, unknown>)[name]);
    } catch {
      // a throwing global getter
    }
  }
  for (const name of Reflect.ownKeys(WebAssembly)) add((WebAssembly as unknown as Record<PropertyKey, unknown>)[name]);
  const iterProto = Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]()));
  add(iterProto);
  add(Object.getPrototypeOf([][Symbol.iterator]()));
  add(Object.getPrototypeOf(new Map().entries()));
  add(Object.getPrototypeOf(new Set().values()));
  add(Object.getPrototypeOf(Uint8Array)); // %TypedArray%
  add(Object.getPrototypeOf(function* () {}));
  add(Object.getPrototypeOf(async () => {}));
  out.add(globalThis);
  return out;
}

interface Finding {
  path: string;
  what: string;
}

/** Walk from the roots; report every forbidden value and return every
 *  object reached. */
function walk(
  roots: Record<string, unknown>,
  memories: WebAssembly.Memory[],
): { found: Finding[]; reached: unknown[] } {
  const stop = intrinsics();
  const buffers = new Set<unknown>(memories.map((m) => m.buffer));
  const seen = new Set<unknown>();
  const found: Finding[] = [];
  const reached: unknown[] = [];
  const queue: [unknown, string][] = Object.entries(roots).map(([k, v]) => [v, k]);
  const forbidden = (v: unknown): string => {
    if (v instanceof WebAssembly.Memory) return "a WebAssembly.Memory";
    if (v instanceof WebAssembly.Instance) return "a WebAssembly.Instance";
    if (v instanceof WebAssembly.Module) return "a WebAssembly.Module";
    if (v instanceof WebAssembly.Global) return "a WebAssembly.Global of the core";
    if (v instanceof WebAssembly.Table) return "a WebAssembly.Table";
    if (v instanceof Boundary) return "the runtime's Boundary";
    if (buffers.has(v)) return "the linear memory's buffer";
    if (ArrayBuffer.isView(v) && buffers.has(v.buffer)) return "a view over linear memory";
    if (typeof v === "function") {
      const src = Function.prototype.toString.call(v);
      const native = /\{\s*\[native code\]\s*\}\s*$/.test(src);
      if (native && (/^\d+$/.test(v.name) || CORE_NAMES.has(v.name))) return `an exported core function (${v.name})`;
    }
    return "";
  };
  while (queue.length > 0) {
    const [v, path] = queue.shift()!;
    if ((typeof v !== "object" || v === null) && typeof v !== "function") continue;
    if (seen.has(v) || stop.has(v)) continue;
    seen.add(v);
    reached.push(v);
    const bad = forbidden(v);
    if (bad) {
      found.push({ path, what: bad });
      continue;
    }
    if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer) continue; // elements are numbers
    if (v instanceof Map) for (const [k, x] of v) queue.push([k, `${path}<key>`], [x, `${path}.get(…)`]);
    if (v instanceof Set) for (const x of v) queue.push([x, `${path}<item>`]);
    // Own and inherited keys, symbols included; getters invoked on v.
    for (let o: object | null = v as object; o !== null && !stop.has(o); o = Object.getPrototypeOf(o)) {
      if (o !== v) queue.push([o, `${path}.[[Prototype]]`]);
      for (const key of Reflect.ownKeys(o)) {
        const d = Object.getOwnPropertyDescriptor(o, key)!;
        const name = `${path}.${String(key)}`;
        if ("value" in d) queue.push([d.value, name]);
        for (const f of [d.get, d.set]) if (f) queue.push([f, `${name}<accessor>`]);
        if (d.get) {
          for (const receiver of o === v ? [v] : [v, o]) {
            try {
              queue.push([d.get.call(receiver), `${name}<get>`]);
            } catch (e) {
              queue.push([e, `${name}<get threw>`]);
            }
          }
        }
      }
    }
  }
  return { found, reached };
}

async function thrown(f: () => unknown): Promise<unknown> {
  try {
    await f();
  } catch (e) {
    return e;
  }
  throw new Error("expected a throw");
}

describe("nothing leads from an untrusted runtime to its memory or exports", () => {
  it("walks every object the public API hands out", async () => {
    const lines: string[] = [];
    const rt = await Runtime.create({ gctrace: (l) => lines.push(l), memProfileRate: 1 });
    const other = await Runtime.create();
    const memories = [boundaryOf(rt).memory, boundaryOf(other).memory];
    const kinds = ["u32", "i32", "u64", "i64", "f64", "string", "bytes"] as const;
    const maps: Record<string, GoMap> = {};
    const sample = { u32: 7, i32: -7, u64: 7n, i64: -7n, f64: 1.5, string: "k", bytes: new Uint8Array([1, 2]) };
    for (const k of kinds)
      for (const v of ["u32", "string", "bytes", "u64"] as const) {
        const m = rt.map({ key: k, value: v }) as GoMap;
        for (let i = 0; i < 600; i++) {
          const key =
            k === "string"
              ? `k${i}`
              : k === "bytes"
                ? new Uint8Array([i & 255, i >> 8])
                : k.endsWith("64") && k !== "f64"
                  ? BigInt(i)
                  : i;
          (m as GoMap<typeof k, typeof v>).set(key as never, sample[v] as never);
        }
        maps[`${k}->${v}`] = m;
      }
    const m = maps["u32->u32"] as unknown as GoMap<"u32", "u32">;
    const mid = m.entries();
    mid.next();
    const midKeys = m.keys();
    midKeys.next();
    const midValues = m.values();
    midValues.next();
    const done = m.entries();
    for (const _ of done);
    const pool = rt.pool({ key: "u32", value: "u32", generation: "transient" });
    const pooled = pool.get();
    pooled.set(1, 1);
    pool.put(pooled);
    const fromPool = pool.get();
    rt.gc();
    const freed = rt.map({ key: "u32", value: "u32" });
    freed.free();
    const pin = rt.pin(m as unknown as GoMap);
    const closed = await Runtime.create();
    const closedMap = closed.map({ key: "u32", value: "u32" });
    const closedIter = closedMap.entries();
    closed.close();
    const it2 = m.entries();
    it2.next();
    m.clear();
    for (let i = 0; i < 100; i++) m.set(i, i);
    const errors: Record<string, unknown> = {
      invalidOption: await thrown(() => Runtime.create({ maxMemory: -1 } as never)),
      invalidArgument: await thrown(() => m.set(-1 as never, 1)),
      useAfterFree: await thrown(() => freed.get(1)),
      wrongRuntime: await thrown(() => other.inspect(m as unknown as GoMap)),
      invalidated: await thrown(() => it2.next()),
      unsafeNotAllowed: await thrown(() => rt.unsafe),
      closed: await thrown(() => closedMap.get(1)),
      closedIter: await thrown(() => closedIter.next()),
      reentrant: await thrown(() => Promise.all([rt.compact(), rt.compact()])),
      wasmLoad: await thrown(() => Runtime.create({ wasm: new Uint8Array([0, 1, 2, 3]) })),
      outOfMemory: await thrown(async () => {
        const small = await Runtime.create({ maxMemory: "1MiB" });
        const big = small.map({ key: "u32", value: "u32" });
        for (let i = 0; ; i++) big.set(i, i);
      }),
    };
    // A dead runtime: a trap killed it (its errors carry their causes).
    const dying = await Runtime.create();
    const dm = dying.map({ key: "u32", value: "u32" });
    const db = boundaryOf(dying);
    db.trapped(new RangeError("injected"), "GoMap.set", true);
    errors.dead = await thrown(() => dm.set(1, 1));
    const roots: Record<string, unknown> = {
      api,
      rt,
      other,
      closed,
      ...maps,
      mid,
      midKeys,
      midValues,
      done,
      pool,
      fromPool,
      poolStats: pool.stats(),
      pin,
      freed,
      closedMap,
      closedIter,
      dying,
      dm,
      inspect: rt.inspect(m as unknown as GoMap),
      buckets: rt.inspectBuckets(m as unknown as GoMap),
      heap: rt.inspectHeap(),
      memStats: rt.readMemStats(),
      spanClasses: rt.spanClasses(),
      profile: await rt.heapProfile(),
      profileNow: await rt.heapProfile({ asOf: "now" }),
      compaction: await rt.compact(),
      getMany: m.getMany([1, 2, 3]),
      getManyStr: maps["string->string"]!.getMany(["k1", "x"] as never),
      entriesArray: [...m],
      lines,
      errors,
    };
    const { found, reached } = walk(roots, [...memories, boundaryOf(rt).memory]);
    expect(found).toEqual([]);
    expect(reached.length).toBeGreaterThan(200);

    // Every trusted-only entry point, called on every reachable object:
    // the gate refuses (nothing reachable is an Unsafe of this runtime).
    const proto = Unsafe.prototype as unknown as Record<string, unknown>;
    for (const name of UNSAFE_ENTRY_POINTS) {
      const d = Object.getOwnPropertyDescriptor(proto, name)!;
      for (const receiver of reached) {
        const call = () => (d.get ? d.get.call(receiver) : (d.value as (...a: unknown[]) => unknown).call(receiver, m));
        expect(call, `unsafe.${name} on a reachable object`).toThrow(UnsafeNotAllowedError);
      }
    }
    expect(() => rt.unsafe).toThrow(UnsafeNotAllowedError);
    rt.close();
    other.close();
  }, 120_000);

  it("shared runtimes: the rt.share(m) descriptor carries the memory and nothing else; readers, their iterators and errors lead nowhere", async () => {
    const rt = await Runtime.create({ shared: true, memProfileRate: 1 });
    const closing = await Runtime.create({ shared: true });
    const memory = boundaryOf(rt).memory;
    const memories = [memory, boundaryOf(closing).memory];
    expect(memory.buffer).toBeInstanceOf(SharedArrayBuffer);

    const m = rt.map({ key: "u32", value: "u64" });
    const f = rt.map({ key: "f64", value: "f64" });
    const g = rt.map({ key: "i64", value: "i32" });
    const freed = rt.map({ key: "u32", value: "u32" });
    for (let i = 0; i < 3000; i++) {
      m.set(i, BigInt(i) * 3n);
      f.set(i / 4, -i);
      g.set(BigInt(-i), i);
    }
    freed.set(1, 1);
    const strings = rt.map({ key: "string", value: "u32" });
    strings.set("k", 1);
    const blobs = rt.map({ key: "bytes", value: "bytes" });
    blobs.set(new Uint8Array([1, 2]), new Uint8Array([3, 4, 5]));
    const d = rt.share(m);
    const descriptors = {
      d,
      df: rt.share(f),
      dg: rt.share(g),
      dfreed: rt.share(freed),
      dstrings: rt.share(strings),
      dblobs: rt.share(blobs),
    };
    // String and bytes readers: their answers are copies, never views of the memory.
    const rs = attach(descriptors.dstrings);
    const rb = attach(descriptors.dblobs);
    const r = attach(d) as GoMapReader<"u32", "u64">;
    const rf = attach(descriptors.df);
    const rg = attach(descriptors.dg);
    const rfreed = attach(descriptors.dfreed);
    const closingMap = closing.map({ key: "u32", value: "u32" });
    closingMap.set(1, 1);
    const rclosed = attach(closing.share(closingMap));
    const rclosedIter = rclosed.entries();
    r.get(5);
    rf.getMany([0.25, 99]);
    const mid = r.entries();
    mid.next();
    const midKeys = r.keys();
    midKeys.next();
    const midValues = r.values();
    midValues.next();
    const whole = r[Symbol.iterator]();
    for (const _ of whole);
    const seen: unknown[] = [];
    rg.forEach((v, k, self) => seen.push(v, k, self));
    freed.free();
    closing.close();
    const errors: Record<string, unknown> = {
      readOnlySet: await thrown(() => r.set(1, 2n)),
      readOnlyDelete: await thrown(() => r.delete(1)),
      readOnlyClear: await thrown(() => r.clear()),
      useAfterFree: await thrown(() => rfreed.get(1)),
      useAfterFreeSize: await thrown(() => rfreed.size),
      closed: await thrown(() => rclosed.get(1)),
      closedIter: await thrown(() => rclosedIter.next()),
      badDescriptor: await thrown(() => attach({ ...d, h: d.h + 1 })),
      notDescriptor: await thrown(() => attach({} as never)),
      compact: await thrown(() => rt.compact()),
    };
    expect(errors.compact).toBeInstanceOf(SharedRuntimeError);

    // Everything but the descriptors: nothing.
    rt.gc();
    const pool = rt.pool({ key: "u32", value: "u32", generation: "transient" });
    const pooled = pool.get();
    pooled.set(1, 1);
    pool.put(pooled);
    const roots: Record<string, unknown> = {
      api,
      rt,
      closing,
      m,
      f,
      g,
      freed,
      strings,
      closingMap,
      r,
      rf,
      rg,
      rfreed,
      rs,
      rb,
      stringAnswers: [rs.get("k"), rs.getMany(["k", "x"], undefined, new Uint8Array(2)), [...rs]],
      bytesAnswers: [rb.get(new Uint8Array([1, 2])), rb.getMany([new Uint8Array([1, 2])]), [...rb]],
      rclosed,
      rclosedIter,
      mid,
      midKeys,
      midValues,
      whole,
      seen,
      stats: r.stats,
      getMany: r.getMany([1, 2, 3000]),
      entriesArray: [...rf],
      keysArray: [...rg.keys()],
      pool,
      fromPool: pool.get(),
      inspect: rt.inspect(m as unknown as GoMap),
      heap: rt.inspectHeap(),
      memStats: rt.readMemStats(),
      profile: await rt.heapProfile(),
      errors,
    };
    const { found, reached } = walk(roots, memories);
    expect(found).toEqual([]);
    expect(reached.length).toBeGreaterThan(100);

    // The descriptors: exactly their memory, this runtime's, and nothing else
    // (the walk stops at a forbidden value, so anything else would show).
    for (const [name, desc] of Object.entries(descriptors)) {
      expect(walk({ [name]: desc }, memories).found).toEqual([
        { path: `${name}.memory`, what: "a WebAssembly.Memory" },
      ]);
      expect(desc.memory).toBe(memory);
      expect(Reflect.ownKeys(desc).sort()).toEqual(
        [
          "control",
          "format",
          "groupBase",
          "groupCount",
          "groupStride",
          "groupWords",
          "groups",
          "h",
          "keyType",
          "layout",
          "memory",
          "seq",
          "valueType",
        ].sort(),
      );
      for (const v of Object.values(desc.layout)) expect(typeof v).toBe("number");
    }
    // And a WebAssembly.Memory leads to no instance or exports: it has no
    // own properties (buffer and grow are the intrinsic prototype's).
    expect(Reflect.ownKeys(memory)).toEqual([]);

    // Every trusted-only entry point, on everything reachable from the
    // readers and the shared runtime: refused.
    const proto = Unsafe.prototype as unknown as Record<string, unknown>;
    for (const name of UNSAFE_ENTRY_POINTS) {
      const desc = Object.getOwnPropertyDescriptor(proto, name)!;
      for (const receiver of reached) {
        const call = () =>
          desc.get ? desc.get.call(receiver) : (desc.value as (...a: unknown[]) => unknown).call(receiver, m);
        expect(call, `unsafe.${name} on a reachable object`).toThrow(UnsafeNotAllowedError);
      }
    }
    rt.close();
  }, 120_000);

  it("unshared runtimes hand out no descriptor: rt.share refuses, and its error leads nowhere", async () => {
    const rt = await Runtime.create();
    const m = rt.map({ key: "u32", value: "u32" });
    m.set(1, 2);
    const refused = await thrown(() => rt.share(m));
    expect(refused).toBeInstanceOf(SharedRuntimeError);
    const { found } = walk({ rt, m, refused }, [boundaryOf(rt).memory]);
    expect(found).toEqual([]);
    rt.close();
  });
});
