// The package's contract with its users beyond the map itself: closing a
// runtime (and everything it handed out), loading the core from what the
// caller supplies, errors that keep their names, iterators that are real
// iterators, and a GoMap that prints like a Map.
import { describe, it, expect } from "vitest";
import { readFileSync } from "node:fs";
import { inspect } from "node:util";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  Runtime,
  GoMap,
  MapPool,
  GomapError,
  RuntimeClosedError,
  WasmLoadError,
  InvalidOptionError,
  UseAfterFreeError,
  InvalidArgumentError,
  OutOfMemoryError,
  IteratorInvalidatedError,
  setWasmSource,
} from "../src/node.js";
import * as pkg from "../src/node.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const releaseBytes = () => new Uint8Array(readFileSync(root + "build/release.wasm"));
const ITERATOR_PROTOTYPE = Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]()));

async function filled(): Promise<{ rt: Runtime; m: GoMap<"u32", "string"> }> {
  const rt = await Runtime.create({ maxMemory: "16MiB" });
  const m = rt.map({ key: "u32", value: "string" });
  for (let i = 0; i < 2000; i++) m.set(i, `v${i}`);
  return { rt, m };
}

describe("rt.close()", () => {
  it("makes every later use of the runtime, its maps, iterators and pools throw RuntimeClosedError; is idempotent", async () => {
    const { rt, m } = await filled();
    const pool = rt.pool({ key: "u32", value: "u32", generation: "transient" });
    const pooled = pool.get();
    pooled.set(1, 1);
    pool.put(pooled);
    const it = m.entries();
    expect(it.next().done).toBe(false);
    const keys = m.keys();
    const pin = rt.pin(m);
    expect(rt.closed).toBe(false);
    rt.close();
    rt.close(); // idempotent
    expect(rt.closed).toBe(true);
    const uses: [string, () => unknown][] = [
      ["m.get", () => m.get(1)],
      ["m.set", () => m.set(1, "x")],
      ["m.has", () => m.has(1)],
      ["m.delete", () => m.delete(1)],
      ["m.size", () => m.size],
      ["m.clear", () => m.clear()],
      ["m.shrink", () => m.shrink()],
      ["m.entries", () => m.entries()],
      ["m.getMany", () => m.getMany([1, 2])],
      ["m.setMany", () => m.setMany([1], ["a"])],
      ["m.deleteMany", () => m.deleteMany([1])],
      ["for-of", () => [...m]],
      ["m.forEach", () => m.forEach(() => {})],
      ["it.next", () => it.next()],
      ["keys.next", () => keys.next()],
      ["rt.map", () => rt.map({ key: "u32", value: "u32" })],
      ["rt.pool", () => rt.pool({ key: "u32", value: "u32", generation: "stable" })],
      ["pool.get", () => pool.get()],
      ["pool.put", () => pool.put(m as never)],
      ["rt.readMemStats", () => rt.readMemStats()],
      ["rt.gc", () => rt.gc()],
      ["rt.gcStep", () => rt.gcStep()],
      ["rt.gcPhase", () => rt.gcPhase],
      ["rt.inspect", () => rt.inspect(m)],
      ["rt.inspectBuckets", () => rt.inspectBuckets(m)],
      ["rt.inspectHeap", () => rt.inspectHeap()],
      ["rt.spanClasses", () => rt.spanClasses()],
      ["rt.pin", () => rt.pin(m)],
      ["rt.setGCPercent", () => rt.setGCPercent(50)],
      ["rt.memoryBytes", () => rt.memoryBytes],
      ["rt.memProfileRate", () => rt.memProfileRate],
      ["rt.unsafe", () => rt.unsafe],
    ];
    for (const [what, f] of uses) {
      let err: unknown;
      try {
        f();
      } catch (e) {
        err = e;
      }
      expect(err, what).toBeInstanceOf(RuntimeClosedError);
      expect((err as Error).name, what).toBe("RuntimeClosedError");
    }
    await expect(rt.heapProfile()).rejects.toBeInstanceOf(RuntimeClosedError);
    await expect(rt.compact()).rejects.toBeInstanceOf(RuntimeClosedError);
    // Releasing what it handed out is a no-op, so `using` blocks end cleanly.
    expect(() => m.free()).not.toThrow();
    expect(() => m[Symbol.dispose]()).not.toThrow();
    expect(() => pin.unpin()).not.toThrow();
    expect(() => it.return?.()).not.toThrow();
    expect(() => pool.close()).not.toThrow();
    expect(inspect(m)).toBe("GoMap [u32 → string] <runtime closed>");
  });

  it("Symbol.dispose and Symbol.asyncDispose close the runtime", async () => {
    const a = await Runtime.create({ maxMemory: "2MiB" });
    a[Symbol.dispose]();
    expect(a.closed).toBe(true);
    const b = await Runtime.create({ maxMemory: "2MiB" });
    const m = b.map({ key: "u64", value: "f64" });
    m.set(1, 2.5);
    await b[Symbol.asyncDispose]();
    expect(b.closed).toBe(true);
    expect(() => m.get(1)).toThrow(RuntimeClosedError);
  });

  it("closing from inside a gctrace callback takes effect once the call that ended the cycle returned; that write is complete", async () => {
    let closedAt = -1;
    let i = 0;
    const rt = await Runtime.create({
      maxMemory: "64MiB",
      gctrace: () => {
        if (closedAt < 0) {
          closedAt = i;
          rt.close();
        }
      },
    });
    const m = rt.map({ key: "u32", value: "u32" });
    let err: unknown = null;
    try {
      for (; i < 1_000_000; i++) m.set(i, i);
    } catch (e) {
      err = e;
    }
    expect(closedAt).toBeGreaterThanOrEqual(0);
    expect(rt.closed).toBe(true);
    expect(err).toBeInstanceOf(RuntimeClosedError);
    expect(i).toBe(closedAt + 1); // the set that ended the cycle returned; the next one found the runtime closed
  });

  it("a gctrace callback that throws: the error reaches the call that ended the cycle, after it completed; the collector keeps running", async () => {
    let lines = 0;
    const rt = await Runtime.create({
      maxMemory: "64MiB",
      gctrace: () => {
        lines++;
        throw new Error(`trace ${lines}`);
      },
    });
    const m = rt.map({ key: "u32", value: "string" });
    let thrown = 0;
    for (let i = 0; i < 200_000; i++) {
      try {
        m.set(i, `v${i}`);
      } catch (e) {
        expect((e as Error).message).toBe(`trace ${lines}`);
        expect(m.get(i)).toBe(`v${i}`); // the write that ended the cycle completed
        thrown++;
      }
    }
    expect(thrown).toBeGreaterThan(0);
    expect(thrown).toBe(lines);
    expect(() => rt.gc()).toThrow(/^trace/); // a full cycle still runs, and reports
    expect(m.size).toBe(200_000);
    for (let i = 0; i < 200_000; i += 1009) expect(m.get(i)).toBe(`v${i}`);
    rt.close();
  });

  it("a gctrace callback that reads MemStats and writes maps corrupts no write in flight", async () => {
    const rt = await Runtime.create({
      maxMemory: "128MiB",
      gctrace: () => {
        rt.readMemStats();
        side.set("k".repeat(40), "v".repeat(40));
        side.get("k".repeat(40));
      },
    });
    const side = rt.map({ key: "string", value: "string" });
    const m = rt.map({ key: "string", value: "string" });
    const n = 200_000;
    for (let i = 0; i < n; i++) m.set(`key-${i}`, `value-${i}`);
    const u = rt.map({ key: "u32", value: "u32" });
    const ks = Uint32Array.from({ length: n }, (_, i) => i);
    u.setMany(
      ks,
      ks.map((x) => x * 3),
    );
    expect(rt.readMemStats().NumGC).toBeGreaterThan(0);
    expect(m.size).toBe(n);
    for (let i = 0; i < n; i++) if (m.get(`key-${i}`) !== `value-${i}`) throw new Error(`key-${i} lost or wrong`);
    expect(m.has("\0")).toBe(false);
    const got = u.getMany(ks);
    for (let i = 0; i < n; i++) if (got[i] !== i * 3) throw new Error(`setMany stored ${got[i]} for ${i}`);
    rt.close();
  });

  it("a compaction that is waiting for its new instance when the runtime closes fails with RuntimeClosedError", async () => {
    const { rt, m } = await filled();
    const p = rt.compact();
    rt.close();
    await expect(p).rejects.toBeInstanceOf(RuntimeClosedError);
    expect(() => m.size).toThrow(RuntimeClosedError);
  });

  it("closes one runtime without touching another", async () => {
    const a = await filled();
    const b = await filled();
    a.rt.close();
    expect(b.m.size).toBe(2000);
    expect(b.m.get(1999)).toBe("v1999");
    b.rt.close();
  });
});

describe("loading the core", () => {
  it("takes the core as bytes, a compiled Module, a file URL, a path, a Response or a promise", async () => {
    const bytes = releaseBytes();
    const mod = await WebAssembly.compile(bytes);
    const inputs: [string, unknown][] = [
      ["Uint8Array", bytes],
      ["ArrayBuffer", bytes.slice().buffer],
      ["DataView", new DataView(bytes.slice().buffer)],
      ["WebAssembly.Module", mod],
      ["file: URL", pathToFileURL(root + "build/release.wasm")],
      ["file: URL string", pathToFileURL(root + "build/release.wasm").href],
      ["path", root + "build/release.wasm"],
      ["Response", new Response(bytes, { headers: { "content-type": "application/wasm" } })],
      ["promise of bytes", Promise.resolve(bytes)],
    ];
    for (const [what, wasm] of inputs) {
      const rt = await Runtime.create({ maxMemory: "2MiB", wasm: wasm as never });
      const m = rt.map({ key: "u32", value: "u32" });
      m.set(7, 8);
      expect(m.get(7), what).toBe(8);
      rt.close();
    }
  });

  it("a load failure is a WasmLoadError naming where it looked and what came back", async () => {
    const html = "<!doctype html><html><body>app</body></html>";
    const cases: [string, unknown, RegExp, Partial<WasmLoadError>][] = [
      [
        "HTML answered for a wasm URL",
        new Response(html, { headers: { "content-type": "text/html; charset=utf-8" } }),
        /got text\/html, not wasm.*index\.html/,
        { status: 200, contentType: "text/html; charset=utf-8" },
      ],
      [
        "a 404",
        new Response("not found", { status: 404, headers: { "content-type": "text/plain" } }),
        /got HTTP 404 \(text\/plain\), not wasm/,
        { status: 404 },
      ],
      ["bytes that are HTML", new TextEncoder().encode(html), /not WebAssembly: it starts with "<!doctype html>/, {}],
      ["no bytes", new Uint8Array(0), /nothing \(0 bytes\)/, {}],
      [
        "a missing file",
        root + "build/no-such.wasm",
        /cannot read the file: ENOENT/,
        { url: pathToFileURL(root + "build/no-such.wasm").href },
      ],
      [
        "wasm that does not compile",
        Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0xff, 0xff),
        /does not compile/,
        {},
      ],
      [
        "wasm that is not our core",
        Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0),
        /not gomap-wasm's release core/,
        {},
      ],
      [
        "a Response whose body fails",
        {
          ok: true,
          status: 200,
          url: "https://x.test/core.wasm",
          headers: { get: () => "application/wasm" },
          arrayBuffer: () => Promise.reject(new Error("connection reset")),
        },
        /reading the response failed: connection reset/,
        { url: "https://x.test/core.wasm" },
      ],
      [
        "a rejected thenable",
        // biome-ignore lint/suspicious/noThenProperty: a thenable is what is being tested
        { then: (_: unknown, reject: (e: unknown) => void) => reject(new WasmLoadError("upstream", { url: "u" })) },
        /upstream/,
        { url: "u" },
      ],
    ];
    for (const [what, wasm, message, props] of cases) {
      let err: unknown;
      try {
        await Runtime.create({ maxMemory: "2MiB", wasm: wasm as never });
      } catch (e) {
        err = e;
      }
      expect(err, what).toBeInstanceOf(WasmLoadError);
      expect((err as Error).name, what).toBe("WasmLoadError");
      expect((err as Error).message, what).toMatch(message);
      expect(err, what).toMatchObject(props);
    }
  });

  it("refuses a wasm option of the wrong type before loading anything", async () => {
    for (const wasm of [null, 42, true, () => 0]) {
      await expect(Runtime.create({ wasm: wasm as never }), String(wasm)).rejects.toBeInstanceOf(InvalidOptionError);
    }
    await expect(Runtime.create({ wasm: { not: "a module" } as never })).rejects.toBeInstanceOf(WasmLoadError);
  });

  it("setWasmSource supplies every later create; null restores the default", async () => {
    const asked: string[] = [];
    setWasmSource((build) => {
      asked.push(build);
      return releaseBytes();
    });
    try {
      const rt = await Runtime.create({ maxMemory: "2MiB" });
      rt.map({ key: "u32", value: "u32" }).set(1, 1);
      rt.close();
      expect(asked).toEqual(["release"]);
      setWasmSource(() => new Uint8Array(3));
      await expect(Runtime.create()).rejects.toBeInstanceOf(WasmLoadError);
      // A failed source is not cached: the next create asks again.
      setWasmSource(() => releaseBytes());
      (await Runtime.create({ maxMemory: "2MiB" })).close();
      expect(() => setWasmSource(42 as never)).toThrow(TypeError);
    } finally {
      setWasmSource(null);
    }
    const rt = await Runtime.create({ maxMemory: "2MiB" });
    rt.close();
  });

  it("reads the debug core beside the package in Node", async () => {
    const rt = await Runtime.create({ debug: true, maxMemory: "4MiB" });
    expect(rt.debug).toBe(true);
    rt.close();
  });

  it("compaction reuses the module the runtime was created with", async () => {
    const rt = await Runtime.create({ maxMemory: "32MiB", wasm: releaseBytes() });
    let asked = 0;
    setWasmSource(() => {
      asked++;
      return releaseBytes();
    });
    try {
      const m = rt.map({ key: "u32", value: "u32" });
      for (let i = 0; i < 10_000; i++) m.set(i, i);
      await rt.compact();
      expect(m.get(9999)).toBe(9999);
      expect(asked).toBe(0);
    } finally {
      setWasmSource(null);
      rt.close();
    }
  });
});

describe("errors", () => {
  it("carry their class name as a literal, own property (minifiers rename classes)", () => {
    const classes = Object.entries(pkg).filter(
      ([, v]) => v === GomapError || (typeof v === "function" && v.prototype instanceof GomapError),
    );
    expect(classes.length).toBeGreaterThanOrEqual(15);
    const abort = new pkg.RuntimeAbortError("m", "f.ts", 1, 2, []);
    const argsOf: Record<string, unknown[]> = {
      RuntimeAbortError: ["m", "f.ts", 1, 2, []],
      RuntimeDeadError: [abort],
      UnsafeNotAllowedError: ["unsafe.x", [], false],
    };
    for (const [name, C] of classes) {
      const args = argsOf[name] ?? ["x", "y"];
      const e = Reflect.construct(C as new (...a: unknown[]) => Error, args) as Error;
      expect(e.name, name).toBe(name);
      expect(String(e).startsWith(`${name}: `), name).toBe(true);
      // A subclass with another (minified) constructor name keeps the literal.
      const Minified = { d: class extends (C as new (...a: unknown[]) => Error) {} }.d;
      expect(Reflect.construct(Minified, args).name, name).toBe(name);
    }
  });

  it("OutOfMemoryError.done says how far a batch got; single operations leave it undefined", async () => {
    const rt = await Runtime.create({ maxMemory: "2MiB" });
    const m = rt.map({ key: "u32", value: "bytes" });
    const keys = Array.from({ length: 64 }, (_, i) => i);
    const big = new Uint8Array(64 * 1024);
    let err: OutOfMemoryError | null = null;
    try {
      m.setMany(
        keys,
        keys.map(() => big),
      );
    } catch (e) {
      err = e as OutOfMemoryError;
    }
    expect(err).toBeInstanceOf(OutOfMemoryError);
    expect(err!.done).toBe(m.size);
    expect(err!.message).toMatch(new RegExp(`the first ${m.size} entries were done`));
    let single: OutOfMemoryError | null = null;
    try {
      m.set(1000, new Uint8Array(4 * 1024 * 1024));
    } catch (e) {
      single = e as OutOfMemoryError;
    }
    expect(single).toBeInstanceOf(OutOfMemoryError);
    expect(single!.done).toBeUndefined();
    expect(single!.message).toMatch(/nothing was changed/);
    rt.close();
  });

  it("make(map) with a hint that does not fit reports entries, not bytes", async () => {
    const rt = await Runtime.create({ maxMemory: "2MiB" });
    expect(() => rt.map({ key: "u32", value: "u32", hint: 1_000_000 })).toThrow(
      /make\(map\) with hint 1000000 entries does not fit/,
    );
    rt.close();
  });
});

describe("iterators", () => {
  it("inherit from %IteratorPrototype% (Map's iterators do), so iterator helpers work where the engine has them", async () => {
    const { rt, m } = await filled();
    for (const it of [m.entries(), m.keys(), m.values(), m[Symbol.iterator]()]) {
      expect(Object.getPrototypeOf(Object.getPrototypeOf(it))).toBe(ITERATOR_PROTOTYPE);
      expect(Object.prototype.toString.call(it)).toBe("[object GoMap Iterator]");
      it.return?.();
    }
    const helpers = typeof (ITERATOR_PROTOTYPE as { take?: unknown }).take === "function";
    if (helpers) {
      const it = m.keys() as unknown as { take(n: number): { toArray(): number[] } };
      expect(it.take(3).toArray()).toHaveLength(3);
    }
    rt.close();
  });

  it("are disposable: `using` releases an iterator left half-way, and a disposed iterator is done", async () => {
    const { rt, m } = await filled();
    const before = rt.readMemStats().HeapObjects;
    for (let round = 0; round < 50; round++) {
      const it = m.entries();
      it.next();
      it[Symbol.dispose]();
      expect(it.next().done).toBe(true);
      const ks = m.keys();
      ks.next();
      (ks as unknown as Disposable)[Symbol.dispose]();
      expect(ks.next().done).toBe(true);
    }
    rt.gc();
    expect(rt.readMemStats().HeapObjects).toBeLessThanOrEqual(before);
    rt.close();
  });

  it("a consumer that throws mid-iteration leaves the map usable and the iterator released", async () => {
    const { rt, m } = await filled();
    expect(() => {
      for (const [k] of m) if (k >= 0) throw new Error("consumer");
    }).toThrow("consumer");
    expect(() =>
      m.forEach(() => {
        throw new RangeError("cb");
      }),
    ).toThrow(RangeError);
    m.set(5000, "after");
    expect(m.get(5000)).toBe("after");
    expect([...m.keys()]).toHaveLength(2001);
    m.clear();
    const it = m.entries();
    m.set(1, "x");
    m.clear();
    expect(() => it.next()).toThrow(IteratorInvalidatedError);
    rt.close();
  });
});

describe("util.inspect", () => {
  it("prints a GoMap like a Map: size, kinds and entries, truncated at maxArrayLength", async () => {
    const rt = await Runtime.create({ maxMemory: "4MiB" });
    const m = rt.map({ key: "u32", value: "string", seed: 1 });
    expect(inspect(m)).toBe("GoMap(0) [u32 → string] {}");
    m.set(1, "a");
    expect(inspect(m)).toBe("GoMap(1) [u32 → string] { 1 => 'a' }");
    m.set(2, "b").set(3, "c");
    const three = inspect(m);
    expect(three).toMatch(/^GoMap\(3\) \[u32 → string\] \{ \d => '\w', \d => '\w', \d => '\w' \}$/);
    for (const e of ["1 => 'a'", "2 => 'b'", "3 => 'c'"]) expect(three).toContain(e);
    const big = rt.map({ key: "u64", value: "f64" });
    for (let i = 0; i < 300; i++) big.set(i, i);
    const s = inspect(big, { maxArrayLength: 5 });
    expect(s.startsWith("GoMap(300) [u64 → f64] {")).toBe(true);
    expect(s.match(/n => /g)).toHaveLength(5);
    expect(s).toContain("... 295 more items");
    expect(inspect({ nested: { deeper: big } }, { depth: 1 })).toContain("[GoMap(300) [u64 → f64]]");
    expect((m as unknown as { toJSON?: unknown }).toJSON).toBeUndefined();
    expect(JSON.stringify([...m].sort())).toBe('[[1,"a"],[2,"b"],[3,"c"]]');
    m.free();
    expect(inspect(m)).toBe("GoMap [u32 → string] <freed>");
    rt.close();
  });
});

describe("constructors", () => {
  it("GoMap, MapPool and the error classes are exported, but maps and pools are made only by the runtime", () => {
    expect(() => Reflect.construct(GoMap, [])).toThrow();
    expect(typeof MapPool).toBe("function");
    // No internal accessor is reachable on a map.
    const names = [
      ...Object.getOwnPropertyNames(GoMap.prototype),
      ...Object.getOwnPropertySymbols(GoMap.prototype).map(String),
    ];
    for (const n of ["handle", "owner", "ops"]) expect(names).not.toContain(n);
    expect(Object.getOwnPropertySymbols(GoMap.prototype).map(String).sort()).toEqual(
      [
        String(Symbol.dispose),
        "Symbol(Symbol.iterator)",
        "Symbol(Symbol.toStringTag)",
        "Symbol(nodejs.util.inspect.custom)",
      ].sort(),
    );
    expect(new UseAfterFreeError()).toBeInstanceOf(GomapError);
    expect(new InvalidArgumentError("key", "bad").argument).toBe("key");
  });
});

describe("arguments are read once, at their real extent", () => {
  it("a Uint8Array whose own length lies is copied at its real length and checked against it", async () => {
    const rt = await Runtime.create({ maxMemory: "16MiB" });
    const m = rt.map({ key: "bytes", value: "u32" });
    const other = rt.map({ key: "u32", value: "u32" });
    for (let i = 0; i < 1000; i++) other.set(i, i);
    const big = new Uint8Array(256 * 1024).fill(0x41);
    Object.defineProperty(big, "length", { value: 4 });
    m.set(big, 1); // stored as its real 256 KiB
    expect(m.get(new Uint8Array(256 * 1024).fill(0x41))).toBe(1);
    expect(m.get(Uint8Array.of(0x41, 0x41, 0x41, 0x41))).toBeUndefined();
    const vals = rt.map({ key: "u32", value: "bytes" });
    vals.setMany([1, 2], [big, big]);
    expect(vals.get(2)!.length).toBe(256 * 1024);
    for (let i = 0; i < 1000; i++) expect(other.get(i)).toBe(i); // nothing else was overwritten
    rt.gc();
    rt.close();
  });

  it("a typed array of keys whose own length lies is read at its real length", async () => {
    const rt = await Runtime.create({ maxMemory: "16MiB" });
    const m = rt.map({ key: "u32", value: "u32" });
    const ks = Uint32Array.of(1, 2, 3);
    Object.defineProperty(ks, "length", { value: 100_000 });
    m.setMany(ks, Uint32Array.of(10, 20, 30));
    expect(m.size).toBe(3);
    expect([...m.getMany(ks)]).toEqual([10, 20, 30]);
    const out = new Uint32Array(1);
    Object.defineProperty(out, "length", { value: 3 });
    expect(() => m.getMany(ks, out)).toThrow(InvalidArgumentError);
    rt.close();
  });

  it("a Proxy that answers differently the second time is read once: setMany stores the first answers", async () => {
    const rt = await Runtime.create({ maxMemory: "16MiB" });
    const m = rt.map({ key: "string", value: "u32" });
    let reads = 0;
    const keys = new Proxy(["a", "b", "c"], {
      get(target, p, r) {
        if (p === "length") return reads++ === 0 ? 3 : 52;
        if (typeof p === "string" && /^\d+$/.test(p)) return reads++ < 10 ? target[Number(p)] : 12345;
        return Reflect.get(target, p, r);
      },
    });
    m.setMany(keys as unknown as string[], [1, 2, 3]);
    expect(m.size).toBe(3);
    expect(m.get("a")).toBe(1);
    expect(m.get("c")).toBe(3);
    rt.close();
  });

  it("getMany's outputs run no user code while results sit in the scratch area", async () => {
    const rt = await Runtime.create({ maxMemory: "16MiB" });
    const m = rt.map({ key: "u32", value: "string" });
    m.setMany([1, 2, 3], ["one", "two", "three"]);
    // An out array whose writes re-enter the runtime (a write with a string
    // argument uses the scratch area the results are read from).
    const t = new Array(3);
    const out = new Proxy(t, {
      set(a, p, v) {
        a[p as unknown as number] = v;
        if (p === "0") m.set(4, "a longer value");
        return true;
      },
    });
    m.getMany([1, 2, 3], out as never);
    expect(t).toEqual(["one", "two", "three"]);
    // A typed array subclass whose buffer/byteOffset getters re-enter: the
    // real buffer is written, and nothing is read after they ran.
    const n = rt.map({ key: "u32", value: "u32" });
    n.setMany([1, 2, 3], [10, 20, 30]);
    class Sneaky extends Uint32Array {
      override get buffer(): ArrayBuffer {
        m.set(5, "x".repeat(100));
        return new ArrayBuffer(64);
      }
      override get byteOffset(): number {
        m.set(6, "y".repeat(100));
        return 8;
      }
    }
    const sneaky = new Sneaky(3);
    const found = new Uint8Array(3);
    n.getMany([1, 2, 3], sneaky as never, found);
    expect([...new Uint32Array(sneaky)]).toEqual([10, 20, 30]);
    expect([...found]).toEqual([1, 1, 1]);
    expect(m.has(5)).toBe(false); // the getters never ran
    rt.close();
  });

  it("a batch argument with an impossible length is a typed error", async () => {
    const rt = await Runtime.create({ maxMemory: "4MiB" });
    const m = rt.map({ key: "u32", value: "u32" });
    for (const bad of [{ length: -1 }, { length: 2 ** 40 }, { length: 1.5 }, { length: Number.NaN }, { length: "3" }]) {
      expect(() => m.setMany(bad as never, [] as never), JSON.stringify(bad)).toThrow(InvalidArgumentError);
      expect(() => m.deleteMany(bad as never), JSON.stringify(bad)).toThrow(InvalidArgumentError);
    }
    expect(() => m.setMany([1, 2], [1])).toThrow(/has 1 elements but keys has 2/);
    const fake = Object.create(Uint8Array.prototype) as Uint8Array;
    const bm = rt.map({ key: "bytes", value: "u32" });
    expect(() => bm.set(fake, 1)).toThrow(InvalidArgumentError);
    rt.close();
  });
});

describe("maxMemory's minimum", () => {
  it("is what the error suggests, and a runtime of that size holds entries", async () => {
    let err: unknown;
    try {
      await Runtime.create({ maxMemory: 131072 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidOptionError);
    const min = Number(/use at least (\d+) bytes/.exec((err as Error).message)?.[1]);
    expect(min).toBeGreaterThan(131072);
    const rt = await Runtime.create({ maxMemory: min });
    const m = rt.map({ key: "u32", value: "u32" });
    for (let i = 0; i < 100; i++) m.set(i, i);
    expect(m.size).toBe(100);
    rt.close();
    await expect(Runtime.create({ maxMemory: min - 65536 })).rejects.toBeInstanceOf(InvalidOptionError);
  });
});

describe("one key rule per kind", () => {
  it("every GoMap path accepts exactly the keys and values the kind's predicate accepts", async () => {
    const { isI32, isI64Bigint, isI64Number, isU32, isU64Bigint, isU64Number } = await import("../src/maptypes.js");
    const rt = await Runtime.create({ maxMemory: "16MiB" });
    const tricky: unknown[] = [
      0,
      -0,
      1,
      -1,
      1.5,
      2 ** 31 - 1,
      2 ** 31,
      -(2 ** 31),
      -(2 ** 31) - 1,
      2 ** 32 - 1,
      2 ** 32,
      2 ** 53 - 1,
      2 ** 53,
      -(2 ** 53) + 1,
      -(2 ** 53),
      Number.NaN,
      Number.POSITIVE_INFINITY,
      0n,
      -1n,
      2n ** 63n - 1n,
      2n ** 63n,
      -(2n ** 63n),
      -(2n ** 63n) - 1n,
      2n ** 64n - 1n,
      2n ** 64n,
      "1",
      null,
      undefined,
      true,
      {},
      [],
    ];
    const rules: ["u32" | "i32" | "u64" | "i64", (x: unknown) => boolean][] = [
      ["u32", isU32],
      ["i32", isI32],
      ["u64", (x) => isU64Number(x) || isU64Bigint(x)],
      ["i64", (x) => isI64Number(x) || isI64Bigint(x)],
    ];
    const accepts = (f: () => unknown) => {
      try {
        f();
        return true;
      } catch (e) {
        if (!(e instanceof InvalidArgumentError)) throw e;
        return false;
      }
    };
    for (const [kind, rule] of rules) {
      const strValued = rt.map({ key: kind, value: "string" });
      const m = rt.map({ key: kind, value: kind });
      for (const x of tricky) {
        const want = rule(x);
        const k = x as never;
        const paths: [string, () => unknown][] = [
          ["get", () => m.get(k)],
          ["has", () => m.has(k)],
          ["set key", () => m.set(k, 0 as never)],
          ["set value", () => m.set(0 as never, k)],
          ["delete", () => m.delete(k)],
          ["set key (string value)", () => strValued.set(k, "v")],
          ["getMany", () => m.getMany([k])],
          ["setMany", () => m.setMany([k], [0 as never])],
          ["deleteMany", () => m.deleteMany([k])],
        ];
        for (const [path, f] of paths) expect(accepts(f), `${kind} ${path} ${String(x)}`).toBe(want);
      }
    }
    rt.close();
  });
});

describe("events and failures (review findings)", () => {
  it("events a failing call queued are delivered to that call, not to a later unrelated one", async () => {
    let throwIt = false;
    const rt = await Runtime.create({
      maxMemory: "4MiB",
      gctrace: () => {
        if (throwIt) throw new Error("gctrace callback error");
      },
    });
    const m = rt.map({ key: "u32", value: "u64" });
    let err: unknown;
    try {
      for (let i = 0; ; i++) m.set(i, 1n); // runs out of memory after a retry cycle
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(OutOfMemoryError);
    throwIt = true;
    expect(() => m.delete(0)).not.toThrow(); // nothing was left queued for it
    rt.close();
  });

  it("a gctrace callback that closes the runtime during compact() makes the compaction fail; the runtime stays closed", async () => {
    let armed = false;
    const rt: Runtime = await Runtime.create({
      maxMemory: 64 << 20,
      gctrace: () => {
        if (armed) rt.close();
      },
    });
    const m = rt.map({ key: "u32", value: "u32" });
    for (let i = 0; i < 1000; i++) m.set(i, i);
    rt.gcStart();
    armed = true;
    // A cycle ends inside the compaction's first steps or before: either way
    // the compaction must not bring the closed runtime back.
    const done = rt.compact().then(
      () => "resolved",
      (e: unknown) => (e as Error).name,
    );
    rt.gcStep(1 << 30);
    expect(rt.closed).toBe(true);
    expect(await done).toBe("RuntimeClosedError");
    expect(() => rt.readMemStats()).toThrow(RuntimeClosedError);
    expect(() => rt.gc()).toThrow(RuntimeClosedError);
  });

  it("every failure of a supplied core is a WasmLoadError", async () => {
    const probes: [string, () => unknown][] = [
      ["a rejected promise", () => Promise.reject(new TypeError("fetch failed"))],
      [
        "a thenable that throws",
        () => ({
          // biome-ignore lint/suspicious/noThenProperty: a thenable is what is being tested
          then: () => {
            throw new Error("x");
          },
        }),
      ],
      [
        "a Response whose headers.get throws",
        () => ({
          ok: true,
          status: 200,
          url: "x",
          headers: {
            get() {
              throw new Error("hdr");
            },
          },
          arrayBuffer: async () => new ArrayBuffer(0),
        }),
      ],
      [
        "a Proxy that throws on every read",
        () =>
          new Proxy(
            {},
            {
              get() {
                throw new Error("p");
              },
            },
          ),
      ],
    ];
    for (const [what, make] of probes) {
      await expect(Runtime.create({ wasm: make() as never }), what).rejects.toBeInstanceOf(WasmLoadError);
    }
    setWasmSource(() => {
      throw new Error("src");
    });
    try {
      await expect(Runtime.create()).rejects.toBeInstanceOf(WasmLoadError);
    } finally {
      setWasmSource(null);
    }
  });
});
