// The consumer app of test/bundlers.test.ts: one source, built by every
// bundler (esbuild, Vite, webpack) and also loaded unbundled. It imports the
// package the way a user does and reports what it saw; the test asserts.
//
// `run(env)` resolves to { checks, observed }: every check is "ok" or a
// string saying what went wrong (a check never throws out of run, so one
// broken feature does not hide the others). `observed` holds raw values
// (error names and messages, string-table samples) for diagnostics.
//
// env: {
//   platform: "browser" | "node",
//   missingWasm: a URL (string) that does not hold a wasm module,
//   missing: "html" (the server answers unknown paths with index.html),
//            "404" (a plain 404) or "any" (either),
//   debugCore: also create a { debug: true } runtime (unbundled only),
// }
//
// A namespace import, read with computed keys, on purpose: a name the
// package does not export (yet) fails its check here instead of failing
// the whole build (webpack errors on a missing static `ns.Name`) or the
// module link (a missing named import).
import * as gomap from "gomap-wasm";

/** The package's export `name`, or undefined: whatever it is, the checks
 *  below find out at run time (hence `any`).
 *  @param {string} name @returns {any} */
const exported = (name) => /** @type {Record<string, unknown>} */ (gomap)[name];

/** %IteratorPrototype%, without relying on the Iterator global (Node 20 has none). */
const ITERATOR_PROTOTYPE = Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]()));

/** @param {unknown} e */
function describe(e) {
  if (e && typeof e === "object" && "message" in e)
    return `${/** @type {Error} */ (e).name}: ${/** @type {Error} */ (e).message}`;
  return String(e);
}

/** @param {unknown} cond @param {string} message @returns {asserts cond} */
function assert(cond, message) {
  if (!cond) throw new Error(message);
}

/** Calls fn, which must throw; returns the error.
 *  @param {() => unknown} fn @param {string} what @returns {unknown} */
function thrown(fn, what) {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error(`${what} did not throw`);
}

/** @param {any} e whatever was thrown: checked property by property @param {string} name @param {string} what */
function expectError(e, name, what) {
  assert(e && typeof e === "object", `${what}: threw a non-object ${String(e)}`);
  assert(
    e.name === name,
    `${what}: error name is ${JSON.stringify(e.name)}, want ${JSON.stringify(name)} (String(e) = ${JSON.stringify(String(e))})`,
  );
  assert(
    String(e).startsWith(`${name}: `),
    `${what}: String(e) = ${JSON.stringify(String(e))} does not start with "${name}: "`,
  );
  const cls = exported(name);
  assert(typeof cls === "function", `${what}: the package does not export ${name}`);
  assert(e instanceof cls, `${what}: not an instance of the exported ${name}`);
  assert(
    typeof exported("GomapError") === "function" && e instanceof exported("GomapError"),
    `${what}: not an instance of GomapError`,
  );
}

/** @param {Uint8Array<ArrayBuffer>} bytes */
async function gunzip(bytes) {
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** The string_table (field 6) of a pprof Profile message: a minimal
 *  protobuf walk over its top-level fields.
 *  @param {Uint8Array} buf */
function pprofStrings(buf) {
  const strings = [];
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let i = 0;
  const varint = () => {
    let x = 0;
    let shift = 1;
    for (;;) {
      if (i >= buf.length) throw new Error("truncated varint in the profile");
      const b = /** @type {number} */ (buf[i++]);
      x += (b & 0x7f) * shift;
      if (b < 0x80) return x;
      shift *= 128;
    }
  };
  while (i < buf.length) {
    const key = varint();
    const field = Math.floor(key / 8);
    const wire = key & 7;
    if (wire === 0) varint();
    else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
    else if (wire === 2) {
      const n = varint();
      if (field === 6) strings.push(decoder.decode(buf.subarray(i, i + n)));
      i += n;
    } else throw new Error(`unexpected protobuf wire type ${wire} at byte ${i}`);
  }
  return strings;
}

/**
 * @param {{ platform: "browser" | "node", missingWasm: string, missing: string, debugCore: boolean }} env
 * @returns {Promise<{ checks: Record<string, string>, observed: Record<string, unknown> }>}
 */
export async function run(env) {
  /** @type {Record<string, string>} */
  const checks = {};
  /** @type {Record<string, unknown>} */
  const observed = { platform: env.platform };
  /** @param {string} name @param {() => unknown} fn */
  const check = async (name, fn) => {
    try {
      await fn();
      checks[name] = "ok";
    } catch (e) {
      checks[name] = describe(e);
    }
  };
  const Runtime = /** @type {typeof import("gomap-wasm").Runtime} */ (exported("Runtime")); // checked by "exports"

  await check("exports", () => {
    const want = [
      "Runtime",
      "GoMap",
      "GomapError",
      "InvalidArgumentError",
      "UseAfterFreeError",
      "RuntimeClosedError",
      "WasmLoadError",
      "OutOfMemoryError",
    ];
    const missing = want.filter((n) => typeof exported(n) !== "function");
    assert(missing.length === 0, `missing exports: ${missing.join(", ")}`);
  });

  // (Set in the callback: the cast keeps TypeScript from taking it as always null.
  // The checks below run only when it was set.)
  let rt = /** @type {import("gomap-wasm").Runtime | null} */ (null);
  await check("create", async () => {
    rt = await Runtime.create();
    assert(rt && typeof rt.map === "function", "Runtime.create() gave no runtime");
  });
  if (!rt) return { checks, observed };

  // u32 → string: set, get, size, iteration.
  const m = rt.map({ key: "u32", value: "string" });
  await check("u32ToString", () => {
    for (let i = 0; i < 1000; i++) m.set(i, `v${i}`);
    assert(m.size === 1000, `size ${m.size}, want 1000`);
    assert(m.get(7) === "v7", `get(7) = ${JSON.stringify(m.get(7))}`);
    assert(m.get(5000) === undefined, `get(5000) = ${JSON.stringify(m.get(5000))}`);
    let n = 0;
    let sum = 0;
    for (const [k, v] of m) {
      assert(v === `v${k}`, `iteration gave ${k} → ${JSON.stringify(v)}`);
      n++;
      sum += k;
    }
    assert(n === 1000 && sum === 499500, `iteration: ${n} entries, key sum ${sum}`);
  });

  // u64 keys given as Numbers (above 2^32).
  await check("u64NumberKeys", () => {
    const big = /** @type {import("gomap-wasm").Runtime} */ (rt).map({ key: "u64", value: "f64" });
    const base = 2 ** 40;
    for (let i = 0; i < 500; i++) big.set(base + i * 3, i / 2);
    assert(big.size === 500, `size ${big.size}, want 500`);
    assert(big.get(base + 3) === 0.5, `get(2^40+3) = ${big.get(base + 3)}`);
    assert(big.get(base + 1) === undefined, `get(2^40+1) = ${big.get(base + 1)}`);
    let n = 0;
    let vsum = 0;
    for (const [k, v] of big) {
      assert(BigInt(k) >= BigInt(base), `iteration key ${String(k)}`);
      n++;
      vsum += v;
    }
    assert(n === 500 && vsum === 62375, `iteration: ${n} entries, value sum ${vsum}`);
    big.free();
  });

  // Error classes keep their names through minification.
  await check("invalidArgumentName", () => {
    // @ts-expect-error: a string key on a u32 map, on purpose
    const e = thrown(() => m.set("x", 1), 'm.set("x", 1) on a u32 map');
    observed.invalidArgument = String(e);
    expectError(e, "InvalidArgumentError", 'm.set("x", 1)');
    assert(m.size === 1000, "the failed set changed the map");
  });

  await check("useAfterFreeName", () => {
    const f = /** @type {import("gomap-wasm").Runtime} */ (rt).map({ key: "u32", value: "u32" });
    f.set(1, 2);
    f.free();
    const e = thrown(() => f.get(1), "get after free()");
    observed.useAfterFree = String(e);
    expectError(e, "UseAfterFreeError", "get after free()");
  });

  // Iterators inherit from %IteratorPrototype%: iterator helpers work where
  // the engine has them (Chromium does; Node 20 does not).
  await check("iteratorPrototype", () => {
    for (const [what, it] of [
      ["keys()", m.keys()],
      ["values()", m.values()],
      ["entries()", m.entries()],
      ["[Symbol.iterator]()", m[Symbol.iterator]()],
    ]) {
      assert(
        it !== undefined && Object.prototype.isPrototypeOf.call(ITERATOR_PROTOTYPE, it),
        `m.${what}: %IteratorPrototype% is not on its prototype chain`,
      );
    }
  });
  await check("iteratorHelpers", () => {
    const has = typeof ITERATOR_PROTOTYPE.take === "function" && typeof ITERATOR_PROTOTYPE.toArray === "function";
    observed.engineHasIteratorHelpers = has;
    if (!has) {
      assert(env.platform !== "browser", "this browser has no iterator helpers (Chromium should)");
      return;
    }
    // Iterator helpers are not in lib es2024 (and not in Node 20): `any` here, checked above.
    const keys = /** @type {any} */ (m.keys()).take(2).toArray();
    assert(Array.isArray(keys) && keys.length === 2, `m.keys().take(2).toArray() = ${JSON.stringify(keys)}`);
    assert(
      keys.every((/** @type {number} */ k) => m.has(k)),
      `keys ${JSON.stringify(keys)} not in the map`,
    );
  });

  // Heap profile: frames name the public operation, also when minified.
  await check("heapProfile", async () => {
    const p = await Runtime.create({ memProfileRate: 1 });
    try {
      const pm = p.map({ key: "u32", value: "string" });
      for (let i = 0; i < 2000; i++) pm.set(i, `value ${i}`);
      p.gc(); // the profile is as of the last completed collection (as in Go)
      const gz = await p.heapProfile();
      assert(gz instanceof Uint8Array && gz[0] === 0x1f && gz[1] === 0x8b, "heapProfile() did not return gzip bytes");
      const strings = pprofStrings(await gunzip(gz));
      observed.profileStrings = strings.slice(0, 40);
      assert(
        strings.includes("GoMap.set"),
        `"GoMap.set" is not in the profile's string table: ${JSON.stringify(strings.slice(0, 40))}`,
      );
      pm.free();
    } finally {
      if (typeof p.close === "function") p.close();
    }
  });

  // A core that cannot be loaded: a typed WasmLoadError naming the URL and
  // what came back.
  await check("wasmLoadError", async () => {
    /** @type {any} whatever Runtime.create threw: checked property by property */
    let err;
    try {
      const bad = await Runtime.create({ wasm: env.missingWasm });
      if (bad && typeof bad.close === "function") bad.close();
    } catch (e) {
      err = e;
    }
    assert(err !== undefined, `Runtime.create({ wasm: ${JSON.stringify(env.missingWasm)} }) resolved`);
    observed.wasmLoad = {
      name: err?.name,
      message: err?.message,
      url: err?.url === undefined ? undefined : String(err.url),
      status: err?.status,
      contentType: err?.contentType,
    };
    assert(err.name === "WasmLoadError", `got ${describe(err)}`);
    assert(
      typeof exported("WasmLoadError") === "function" && err instanceof exported("WasmLoadError"),
      "not an instance of the exported WasmLoadError",
    );
    const path = "/no-such.wasm";
    assert(String(err.url ?? "").endsWith(path), `err.url = ${JSON.stringify(err.url)}`);
    assert(err.message.includes(path), `the message does not name the URL: ${JSON.stringify(err.message)}`);
    const html = /text\/html/.test(String(err.contentType ?? ""));
    if (env.missing === "html" || (env.missing === "any" && html)) {
      assert(html, `err.contentType = ${JSON.stringify(err.contentType)}, want text/html`);
      assert(
        err.message.includes("text/html"),
        `the message does not say text/html came back: ${JSON.stringify(err.message)}`,
      );
    } else {
      assert(err.status === 404, `err.status = ${JSON.stringify(err.status)}, want 404`);
      assert(err.message.includes("404"), `the message does not say 404: ${JSON.stringify(err.message)}`);
    }
  });

  if (env.debugCore) {
    await check("debugCore", async () => {
      const d = await Runtime.create({ debug: true });
      const dm = d.map({ key: "u32", value: "u32" });
      for (let i = 0; i < 100; i++) dm.set(i, i * 2);
      assert(dm.get(21) === 42 && dm.size === 100, "a map on the debug core does not work");
      if (typeof d.close === "function") d.close();
    });
  }

  // close(): idempotent; any later use throws RuntimeClosedError.
  await check("close", () => {
    assert(
      typeof (/** @type {import("gomap-wasm").Runtime} */ (rt).close) === "function",
      "rt.close is not a function",
    );
    /** @type {import("gomap-wasm").Runtime} */ (rt).close();
    /** @type {import("gomap-wasm").Runtime} */ (rt).close();
    const e1 = thrown(
      () => /** @type {import("gomap-wasm").Runtime} */ (rt).map({ key: "u32", value: "u32" }),
      "rt.map() after close()",
    );
    observed.afterClose = String(e1);
    expectError(e1, "RuntimeClosedError", "rt.map() after close()");
    const e2 = thrown(() => m.get(1), "m.get() after rt.close()");
    expectError(e2, "RuntimeClosedError", "m.get() after rt.close()");
  });

  return { checks, observed };
}
