#!/usr/bin/env node
// bench/unsafe: the unsafe path of issue 7 (docs/unsafe.md) — barrier-free
// zeroing against the safe ways of emptying values, the cost of the hook
// branch on the assign fast path, and reading values through raw bucket
// views against the safe read APIs.
//
//   npm run bench:unsafe [-- options]   (builds core and dist/ first)
//   node --expose-gc bench/unsafe.mjs [options]
//     --quick                 zero: sizes 1e3,1e5; read: 1e5; 1+3 repetitions;
//                             hook: 1e6, 5 repetitions: for iterating fast
//     --sections=zero,hook,read   which sections run
//     --zero-sizes=1e3,1e5,1e6    --read-sizes=1e5,1e6    --hook-n=1e6
//     --zero-workloads=num,str    --read-workloads=u64,u32
//     --reps=5 --warmup=1     zero and read sections
//     --hook-reps=9           hook section: repetitions = fresh processes per variant
//     --hook-warmup=1         hook section: warm-up turns at full size in each process
//     --target-ops=200000     small maps are repeated on fresh maps until this
//                             many entries per repetition (1e3: 200 maps)
//     --settle=20             ms to wait after gc() before each timed turn
//     --tier-up=3             untimed turns on a 2e4-entry map first, per child
//     --rebuild-nohooks       build bench/peer/build/nohooks.wasm even if up to date
//     --child=zero:num:1e6    run one (section, workload, size) in this process,
//                             print its results as JSON (what the parent spawns;
//                             also for node --cpu-prof); hook: --child=hook:nohooks:1e6
//                             (variant plain | hooked | nohooks; size from --hook-n)
//     --no-json               do not write bench/results/unsafe.{json,md}
//     --render                no run: write unsafe.md again from unsafe.json
//
// The unsafe API needs a trusted runtime, and in Node the deployment's
// opt-in GOMAP_WASM_TRUSTED=1 (src/trust.ts). This script is that
// deployment: it sets the variable for itself (and so for its children)
// before any Runtime.create({ trusted: true }).
//
// Sections (keys generated from a fixed seed before any timing):
//   zero  u64 -> u64 maps (keys: distinct random 53-bit integers as numbers,
//         values 1..n) and u32 -> string maps (keys 0..n-1 shuffled, values
//         16-char strings). From a freshly filled map (fill untimed), one of:
//         unsafe.zeroValues(m), unsafe.zeroValues(m, keys), m.set(k, 0 / "")
//         per key, m.delete(k) per key, m.deleteMany(keys), m.clear().
//   hook  u64 -> u64, n inserts then n hits, m.set/m.get per key and
//         m.setMany/m.getMany: (i) the release core, no hook; (ii) the same
//         with a no-op unsafe.onAssign; (iii) a core built with --use
//         GOMAP_NO_HOOKS=1 (no branch, no mapHook import), loaded through
//         setWasmSource. A fresh process per variant per repetition.
//   read  u64 -> u64 and u32 -> u32 (values 1..n): the sum of all values by
//         scanning unsafe.buckets(m) views, m.getMany(keys), m.get(k) per
//         key, for (const v of m.values()). The sums must agree, else the
//         bench stops (exit 1).
process.env.GOMAP_WASM_TRUSTED = "1"; // the deployment's opt-in (read by Runtime.create)

import { readFileSync, writeFileSync, readdirSync, statSync, existsSync, mkdirSync } from "node:fs";
import { createHash } from "node:crypto";
import { spawnSync } from "node:child_process";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { Runtime, setWasmSource } from "../dist/node.js";
import { mulberry32 } from "../dist/random.js";
import {
  arg,
  flag,
  list,
  summary,
  machineInfo,
  finishMachine,
  machineLine,
  fmt,
  quiesce,
  warnNoGc,
  writeJson,
} from "./lib.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
const RESULTS_JSON = join(here, "results", "unsafe.json");
const RESULTS_MD = join(here, "results", "unsafe.md");
const NOHOOKS_WASM = join(here, "peer", "build", "nohooks.wasm");
const NOHOOKS_WAT = join(here, "peer", "build", "nohooks.wat");
const RELEASE_WASM = join(root, "build", "release.wasm");

/**
 * @typedef {import("../dist/node.js").Unsafe} Unsafe
 * @typedef {import("../dist/node.js").UnsafeBuckets} UnsafeBuckets
 */

// ------------------------------------------------------------------ options

const QUICK = flag("quick");
const SECTIONS = arg("sections", "zero,hook,read").split(",").filter(Boolean);
const ZERO_SIZES = list(arg("zero-sizes", QUICK ? "1e3,1e5" : "1e3,1e5,1e6"));
const READ_SIZES = list(arg("read-sizes", QUICK ? "1e5" : "1e5,1e6"));
const ZERO_WORKLOADS = arg("zero-workloads", "num,str").split(",").filter(Boolean);
const READ_WORKLOADS = arg("read-workloads", "u64,u32").split(",").filter(Boolean);
const HOOK_N = Number(arg("hook-n", "1e6"));
const REPS = Number(arg("reps", QUICK ? "3" : "5"));
const WARMUP = Number(arg("warmup", "1"));
const HOOK_REPS = Number(arg("hook-reps", QUICK ? "5" : "9"));
const HOOK_WARMUP = Number(arg("hook-warmup", "1"));
const TARGET_OPS = Number(arg("target-ops", "2e5"));
const SETTLE_MS = Number(arg("settle", "20"));
const TIER_UP_N = 20000;
const TIER_UP_TURNS = Number(arg("tier-up", "3"));
const WRITE = !flag("no-json");
/** The 10× target of issue 7: zeroValues(m) on this many entries vs delete per key. */
const TARGET_SIZE = 1e6;
const TARGET_RATIO = 10;

const now = () => performance.now();
/** @type {import("../dist/node.js").RuntimeOptions} */
const RUNTIME_OPTIONS = { trusted: true, gcPercent: "off" };

/** A hash of the code under test (build/release.wasm and dist/*.js). */
function codeStamp() {
  const h = createHash("sha1");
  const dist = join(root, "dist");
  const files = [
    RELEASE_WASM,
    ...readdirSync(dist)
      .filter((f) => f.endsWith(".js"))
      .sort()
      .map((f) => join(dist, f)),
  ];
  for (const f of files) h.update(readFileSync(f));
  return h.digest("hex").slice(0, 12);
}
/** @param {string} path */
const sha = (path) => createHash("sha1").update(readFileSync(path)).digest("hex").slice(0, 12);

/** @param {number} n */
const sizeLabel = (n) => {
  const e = Math.log10(n);
  return Number.isInteger(e) ? `1e${e}` : String(n);
};

// --------------------------------------------------------------------- data

/** `n` distinct random integers in 1 .. 2^53−1, as numbers.
 *  @param {number} n @param {number} seed */
function keys53(n, seed) {
  const rand = mulberry32(seed);
  const seen = new Set();
  const out = new Float64Array(n);
  for (let i = 0; i < n; ) {
    const x = (rand() & 0x1fffff) * 4294967296 + rand();
    if (x === 0 || seen.has(x)) continue;
    seen.add(x);
    out[i++] = x;
  }
  return out;
}

/** 0..n−1 shuffled (Fisher–Yates). @param {number} n @param {number} seed */
function shuffledU32(n, seed) {
  const rand = mulberry32(seed);
  const a = new Uint32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor((rand() / 4294967296) * (i + 1));
    const t = /** @type {number} */ (a[i]);
    a[i] = /** @type {number} */ (a[j]);
    a[j] = t;
  }
  return a;
}

/** @param {Float64Array} f64 */
const toBig = (f64) => BigUint64Array.from(f64, (x) => BigInt(x));
/** @param {number} n @param {boolean} wide @returns {BigUint64Array | Uint32Array} */
function values1toN(n, wide) {
  const v = wide ? new BigUint64Array(n) : new Uint32Array(n);
  for (let i = 0; i < n; i++) v[i] = wide ? BigInt(i + 1) : i + 1;
  return v;
}
/** A 16-char string per index ("value#" + 10 digits). @param {number} i */
const str16 = (i) => "value#" + String(i).padStart(10, "0");

/** Sum of 1..n. @param {number} n */
const sum1toN = (n) => (n * (n + 1)) / 2;

/** Sum of a u64 array of values < 2^53 without making BigInts.
 *  @param {BigUint64Array} arr @param {number} n */
function sumU64(arr, n) {
  const w = new Uint32Array(arr.buffer, arr.byteOffset, 2 * n);
  let s = 0;
  for (let i = 0; i < n; i++) s += /** @type {number} */ (w[2 * i]) + /** @type {number} */ (w[2 * i + 1]) * 4294967296;
  return s;
}

// ===================================================================== zero

/**
 * Zero section: a workload, its data, its maps and its variants.
 * @typedef {{ name: "num" | "str", title: string, shape: { key: "u64" | "u32", value: "u64" | "string" } }} ZeroWorkload
 * @typedef {{ n: number, kNum: Float64Array | Uint32Array, kBatch: BigUint64Array | Uint32Array,
 *   fillVals: BigUint64Array | Uint32Array | string[] }} ZeroData
 * @typedef {import("../dist/node.js").GoMap<"u64" | "u32", "u64" | "string">} ZeroMap
 * @typedef {"zeroAll" | "zeroKeys" | "setZero" | "delete" | "deleteMany" | "clear"} ZeroVariant
 */

/** @type {Record<string, ZeroWorkload>} */
const ZERO_WORKLOADS_DEF = {
  num: {
    name: "num",
    title: "u64 → u64 (keys: random 53-bit integers as numbers)",
    shape: { key: "u64", value: "u64" },
  },
  str: {
    name: "str",
    title: "u32 → string (keys 0..n−1 shuffled, 16-char values)",
    shape: { key: "u32", value: "string" },
  },
};
/** @type {ZeroVariant[]} */
const ZERO_VARIANTS = ["zeroAll", "zeroKeys", "setZero", "delete", "deleteMany", "clear"];
/** @type {Record<ZeroVariant, string>} */
const ZERO_LABEL = {
  zeroAll: "unsafe.zeroValues(m)",
  zeroKeys: "unsafe.zeroValues(m, keys)",
  setZero: "m.set(k, 0) per key",
  delete: "m.delete(k) per key",
  deleteMany: "m.deleteMany(keys)",
  clear: "m.clear()",
};

/** @param {ZeroWorkload} wl @param {number} n @returns {ZeroData} */
function zeroData(wl, n) {
  if (wl.name === "num") {
    const kNum = keys53(n, 0x7a65726f ^ n);
    return { n, kNum, kBatch: toBig(kNum), fillVals: values1toN(n, true) };
  }
  const k = shuffledU32(n, 0x737472 ^ n);
  /** @type {string[]} */
  const fillVals = new Array(n);
  for (let i = 0; i < n; i++) fillVals[i] = str16(i);
  return { n, kNum: k, kBatch: k, fillVals };
}

/** The timed operations of the zero section: (u, m, d) -> what the call
 *  returned (checked after the clock stops).
 *  @param {ZeroWorkload} wl
 *  @returns {Record<ZeroVariant, (u: Unsafe, m: ZeroMap, d: ZeroData) => number>} */
function zeroOps(wl) {
  const zeroValue = wl.name === "num" ? 0 : "";
  return {
    zeroAll: (u, m) => u.zeroValues(m),
    zeroKeys: (u, m, d) => u.zeroValues(m, d.kBatch),
    setZero: (_u, m, d) => {
      const k = d.kNum,
        n = d.n;
      for (let i = 0; i < n; i++) m.set(/** @type {number} */ (k[i]), zeroValue);
      return n;
    },
    delete: (_u, m, d) => {
      const k = d.kNum,
        n = d.n;
      let c = 0;
      for (let i = 0; i < n; i++) if (m.delete(/** @type {number} */ (k[i]))) c++;
      return c;
    },
    deleteMany: (_u, m, d) => m.deleteMany(d.kBatch),
    clear: (_u, m) => {
      m.clear();
      return 0;
    },
  };
}

/** Untimed: did the operation do what it should? Throws if not.
 *  @param {ZeroWorkload} wl @param {ZeroVariant} variant @param {ZeroMap} m @param {ZeroData} d @param {number} ret */
function zeroCheck(wl, variant, m, d, ret) {
  const zero = wl.name === "num" ? 0n : "";
  /** @param {string} what @returns {never} */
  const fail = (what) => {
    throw new Error(`zero ${wl.name} n=${d.n} ${variant}: ${what}`);
  };
  if (variant === "delete" || variant === "deleteMany" || variant === "clear") {
    if (m.size !== 0) fail(`size ${m.size} after it, expected 0`);
    if (variant !== "clear" && ret !== d.n) fail(`returned ${ret}, expected ${d.n}`);
    return;
  }
  if (m.size !== d.n) fail(`size ${m.size} after it, expected ${d.n} (zeroing must not change the count)`);
  if (variant === "zeroKeys" && ret !== d.n) fail(`returned ${ret} keys found, expected ${d.n}`);
  if (variant === "zeroAll" && !(ret >= d.n)) fail(`returned ${ret} slots written, expected at least ${d.n}`);
  for (const i of [0, d.n >> 1, d.n - 1]) {
    const v = m.get(/** @type {number} */ (d.kNum[i]));
    if (v !== zero) fail(`get(key ${i}) = ${String(v)}, expected the zero value`);
  }
}

/** @param {string} wname @param {number} n */
async function runZeroChild(wname, n) {
  const wl = ZERO_WORKLOADS_DEF[wname];
  if (!wl) throw new Error(`unknown zero workload ${wname}`);
  const tg = now();
  const rt = await Runtime.create(RUNTIME_OPTIONS);
  const u = rt.unsafe;
  const keeper = rt.map(wl.shape); // keeps GoMap's hidden classes alive (see bench/maps)
  keeper.set(1, wl.name === "num" ? 1 : "k");
  const ops = zeroOps(wl);

  /** One variant's turn: `inner` fresh maps, each filled (untimed), then
   *  the op timed; returns ns per entry.
   *  @param {ZeroVariant} variant @param {ZeroData} d @param {number} inner */
  const turn = async (variant, d, inner) => {
    rt.gc();
    await quiesce(SETTLE_MS);
    const op = ops[variant];
    let ms = 0;
    for (let j = 0; j < inner; j++) {
      const m = rt.map(wl.shape);
      m.setMany(d.kBatch, d.fillVals);
      if (m.size !== d.n) throw new Error(`zero ${wname}: fill gave ${m.size} entries, expected ${d.n}`);
      const t0 = now();
      const r = op(u, m, d);
      const t1 = now();
      ms += t1 - t0;
      zeroCheck(wl, variant, m, d, r);
      m.free();
    }
    return (ms * 1e6) / (d.n * inner);
  };

  {
    const d0 = zeroData(wl, TIER_UP_N);
    for (let t = 0; t < TIER_UP_TURNS; t++) for (const v of ZERO_VARIANTS) await turn(v, d0, 1);
  }
  const d = zeroData(wl, n);
  const inner = Math.max(1, Math.round(TARGET_OPS / n));
  process.stderr.write(
    `zero ${wname} n=${n}: setup ${((now() - tg) / 1000).toFixed(1)} s; inner ${inner}, ${WARMUP}+${REPS} reps\n`,
  );
  const samples = /** @type {Record<ZeroVariant, number[]>} */ (
    Object.fromEntries(ZERO_VARIANTS.map((v) => [v, /** @type {number[]} */ ([])]))
  );
  for (let rep = 0; rep < WARMUP + REPS; rep++) {
    for (let k = 0; k < ZERO_VARIANTS.length; k++) {
      const v = /** @type {ZeroVariant} */ (ZERO_VARIANTS[(k + rep) % ZERO_VARIANTS.length]);
      const ns = await turn(v, d, inner);
      if (rep >= WARMUP) samples[v].push(ns);
    }
  }
  const results = ZERO_VARIANTS.map((v) => {
    const s = summary(samples[v]);
    return {
      section: "zero",
      workload: wname,
      size: n,
      variant: v,
      inner,
      warmup: WARMUP,
      reps: REPS,
      unit: "ns/entry",
      median: s.median,
      min: s.min,
      max: s.max,
      samples: samples[v],
      totalMsMedian: (s.median * n) / 1e6,
    };
  });
  process.stderr.write(
    `  ${results.map((r) => `${r.variant} ${fmt(r.median)}`).join(" | ")}  (${((now() - tg) / 1000).toFixed(1)} s)\n`,
  );
  keeper.free();
  return { results, codeStamp: codeStamp() };
}

// ===================================================================== read

/**
 * Read section: a workload, its data, its maps and its variants.
 * @typedef {{ name: "u64" | "u32", title: string, shape: { key: "u64" | "u32", value: "u64" | "u32" }, wide: boolean }} ReadWorkload
 * @typedef {{ n: number, kNum: Float64Array | Uint32Array, kBatch: BigUint64Array | Uint32Array,
 *   fillVals: BigUint64Array | Uint32Array, out: BigUint64Array | Uint32Array }} ReadData
 * @typedef {import("../dist/node.js").GoMap<"u64" | "u32", "u64" | "u32">} ReadMap
 * @typedef {"scan" | "scanHalves" | "scanMethod" | "getMany" | "get" | "values"} ReadVariant
 * @typedef {(u: Unsafe, m: ReadMap, d: ReadData, view: UnsafeBuckets) => number} ReadOp
 *   the scans read only u and view, the others only m and d
 */

/** @type {Record<string, ReadWorkload>} */
const READ_WORKLOADS_DEF = {
  u64: {
    name: "u64",
    title: "u64 → u64 (keys: random 53-bit integers as numbers, values 1..n)",
    shape: { key: "u64", value: "u64" },
    wide: true,
  },
  u32: {
    name: "u32",
    title: "u32 → u32 (keys 0..n−1 shuffled, values 1..n)",
    shape: { key: "u32", value: "u32" },
    wide: false,
  },
};
/** @type {Record<string, ReadVariant[]>} */
const READ_VARIANTS = {
  u64: ["scan", "scanHalves", "scanMethod", "getMany", "get", "values"],
  u32: ["scan", "scanMethod", "getMany", "get", "values"],
};
/** @type {Set<ReadVariant>} */
const SCANS = new Set(["scan", "scanHalves", "scanMethod"]);
/** @type {Record<ReadVariant, string>} */
const READ_LABEL = {
  scan: "scan bucket views",
  scanHalves: "scan, u64 read as two u32",
  scanMethod: "scan, links by view.overflow()",
  getMany: "m.getMany(keys)",
  get: "m.get(k) per key",
  values: "for…of m.values()",
};

/**
 * Sum every live value of m by walking its buckets raw: buckets
 * 0..nbuckets−1 of the current array (and, while the map grows, the old
 * buckets not yet evacuated), each with its overflow chain. In-array buckets
 * are read through the `view.current` (`view.old`) typed arrays; overflow
 * buckets live elsewhere in linear memory and are read through typed arrays
 * over `unsafe.memory.buffer`, at offsets from `view.layout`. A slot is live
 * when its tophash is >= minTopHash.
 *
 * `valueRead`: "u64" (the u64 view: a BigInt per value, then Number),
 * "halves" (the u32 view, lo + hi·2^32: values < 2^53) or "u32".
 * `links`: "raw" reads each chain link from memory (bucket + overflow
 * offset); "method" follows chains with `view.overflow(addr)`.
 *
 * The view is taken by the caller (inside the clock) and the loop function
 * gets only typed arrays and numbers (plus the view for `overflow()`): when
 * the function holding the loop called `u.buckets(m)` itself or read the
 * view's properties, V8 dropped its optimized code at full JS GCs ("weak
 * objects" deopts), and with a gc() before every turn the scan ran 5–10×
 * slower.
 * @param {"u64" | "halves" | "u32"} valueRead
 * @param {"raw" | "method"} links
 */
function makeScan(valueRead, links) {
  // One function per mode (new Function), so each loop stays monomorphic.
  const read =
    /** @type {Record<typeof valueRead, { arr: "u64" | "u32", ctor: string, get: (a: string, i: string) => string, shift: number }>} */ ({
      u64: { arr: "u64", ctor: "BigUint64Array", get: (a, i) => `Number(${a}[${i}])`, shift: 3 },
      halves: {
        arr: "u32",
        ctor: "Uint32Array",
        get: (a, i) => `(${a}[2 * (${i})] + ${a}[2 * (${i}) + 1] * 4294967296)`,
        shift: 3,
      },
      u32: { arr: "u32", ctor: "Uint32Array", get: (a, i) => `${a}[${i}]`, shift: 2 },
    })[valueRead];
  const next = links === "method" ? "view.overflow(o)" : "m32[(o + ov) >>> 2]";
  const loop = new Function(`
    return function scanArray(b8, bv, b32, nb, bs, th, vo, ov, m8, mv, m32, MIN, skipEvacuated, EVAC_LO, EVAC_HI, view) {
      let s = 0;
      for (let i = 0; i < nb; i++) {
        const base = i * bs;
        if (skipEvacuated) {
          const t0 = b8[base + th];
          if (t0 >= EVAC_LO && t0 <= EVAC_HI) continue; // moved to the new array
        }
        const vi = (base + vo) >>> ${read.shift};
        for (let k = 0; k < 8; k++) if (b8[base + th + k] >= MIN) s += ${read.get("bv", "vi + k")};
        let o = b32[(base + ov) >>> 2]; // this bucket's overflow link
        while (o !== 0) {
          // an overflow bucket: elsewhere in linear memory
          const wi = (o + vo) >>> ${read.shift};
          for (let k = 0; k < 8; k++) if (m8[o + th + k] >= MIN) s += ${read.get("mv", "wi + k")};
          o = ${next};
        }
      }
      return s;
    };`)();
  /** @param {Unsafe} u @param {UnsafeBuckets} view @param {number} MIN @param {number} EVAC_LO @param {number} EVAC_HI
   *  @returns {number} */
  return function scan(u, view, MIN, EVAC_LO, EVAC_HI) {
    const L = view.layout,
      bs = view.bucketSize;
    const th = L.tophash.offset,
      vo = L.values.offset,
      ov = L.overflow.offset;
    const buf = u.memory.buffer;
    const m8 = new Uint8Array(buf),
      m32 = new Uint32Array(buf);
    const mv = read.ctor === "Uint32Array" ? m32 : new BigUint64Array(buf);
    const cur = view.current,
      old = view.old;
    let s = loop(
      cur.bytes,
      cur[read.arr],
      cur.u32,
      cur.nbuckets,
      bs,
      th,
      vo,
      ov,
      m8,
      mv,
      m32,
      MIN,
      false,
      EVAC_LO,
      EVAC_HI,
      view,
    );
    if (old !== null)
      s += loop(
        old.bytes,
        old[read.arr],
        old.u32,
        old.nbuckets,
        bs,
        th,
        vo,
        ov,
        m8,
        mv,
        m32,
        MIN,
        true,
        EVAC_LO,
        EVAC_HI,
        view,
      );
    return s;
  };
}

/** The timed read operations: (u, m, d, view) -> sum of the values. The
 *  scans get the view taken inside the clock by the caller (see makeScan).
 *  The scans are called with a view, the others with data (see ReadOp).
 *  @param {ReadWorkload} wl
 *  @param {import("../dist/node.js").UnsafeLayout["tophash"]} layoutTophash */
function readOps(wl, layoutTophash) {
  const MIN = layoutTophash.minTopHash,
    LO = layoutTophash.evacuatedX,
    HI = layoutTophash.evacuatedEmpty;
  /** @type {Partial<Record<ReadVariant, ReadOp>>} */
  const ops = {};
  if (wl.wide) {
    const scan = makeScan("u64", "raw"),
      scanHalves = makeScan("halves", "raw"),
      scanMethod = makeScan("u64", "method");
    ops.scan = (u, _m, _d, view) => scan(u, view, MIN, LO, HI);
    ops.scanHalves = (u, _m, _d, view) => scanHalves(u, view, MIN, LO, HI);
    ops.scanMethod = (u, _m, _d, view) => scanMethod(u, view, MIN, LO, HI);
    ops.getMany = (_u, m, d) => {
      m.getMany(d.kBatch, d.out);
      return sumU64(/** @type {BigUint64Array} */ (d.out), d.n);
    };
    ops.get = (_u, m, d) => {
      const k = d.kNum,
        n = d.n;
      let s = 0;
      for (let i = 0; i < n; i++) s += Number(m.get(/** @type {number} */ (k[i])));
      return s;
    };
    ops.values = (_u, m) => {
      let s = 0;
      for (const v of m.values()) s += Number(v);
      return s;
    };
  } else {
    const scan = makeScan("u32", "raw"),
      scanMethod = makeScan("u32", "method");
    // u32 -> u32 maps: every value is a number.
    ops.scan = (u, _m, _d, view) => scan(u, view, MIN, LO, HI);
    ops.scanMethod = (u, _m, _d, view) => scanMethod(u, view, MIN, LO, HI);
    ops.getMany = (_u, m, d) => {
      const out = d.out,
        n = d.n;
      m.getMany(d.kBatch, out);
      let s = 0;
      for (let i = 0; i < n; i++) s += /** @type {number} */ (out[i]);
      return s;
    };
    ops.get = (_u, m, d) => {
      const k = d.kNum,
        n = d.n;
      let s = 0;
      for (let i = 0; i < n; i++) s += /** @type {number} */ (m.get(/** @type {number} */ (k[i])));
      return s;
    };
    ops.values = (_u, m) => {
      let s = 0;
      for (const v of m.values()) s += /** @type {number} */ (v);
      return s;
    };
  }
  return ops;
}

/** Untimed: the timed maps have finished growing when they are read, so
 *  check the scans' other path here — a map caught while it grows (old
 *  array, partly evacuated) — against the sum of what was inserted.
 *  @param {Runtime} rt @param {Unsafe} u @param {ReadWorkload} wl @param {Partial<Record<ReadVariant, ReadOp>>} ops */
function scanSelfTest(rt, u, wl, ops) {
  const m = rt.map(wl.shape);
  let sum = 0,
    checked = 0;
  for (let i = 1; i <= 5000; i++) {
    m.set(wl.wide ? i * 2654435761 : i * 7919, i);
    sum += i;
    if (!rt.inspect(m).growing) continue;
    for (const v of SCANS) {
      if (!ops[v]) continue;
      const view = u.buckets(m);
      if (view.old === null) throw new Error("scan self-test: inspect says growing but the view has no old array");
      const got = ops[v](u, m, /** @type {any} */ (null), view); // a scan: reads no data
      if (got !== sum) {
        process.stderr.write(
          `CHECKSUM MISMATCH read ${wl.name} self-test (map growing, ${i} entries) ${v}: sum ${got}, expected ${sum}\n`,
        );
        process.exit(1);
      }
    }
    checked++;
  }
  m.free();
  if (checked === 0) throw new Error("scan self-test: never caught the map growing");
  return checked;
}

/** @param {ReadWorkload} wl @param {number} n @returns {ReadData} */
function readData(wl, n) {
  if (wl.wide) {
    const kNum = keys53(n, 0x72656164 ^ n);
    return { n, kNum, kBatch: toBig(kNum), fillVals: values1toN(n, true), out: new BigUint64Array(n) };
  }
  const k = shuffledU32(n, 0x753332 ^ n);
  return { n, kNum: k, kBatch: k, fillVals: values1toN(n, false), out: new Uint32Array(n) };
}

/** @param {string} wname @param {number} n */
async function runReadChild(wname, n) {
  const wl = READ_WORKLOADS_DEF[wname];
  if (!wl) throw new Error(`unknown read workload ${wname}`);
  const tg = now();
  const rt = await Runtime.create(RUNTIME_OPTIONS);
  if (rt.debug) throw new Error("bench/unsafe read: needs the release build (views are plain typed arrays there)");
  const u = rt.unsafe;
  const keeper = rt.map(wl.shape).set(1, 1);
  const ops = readOps(wl, u.layout().tophash);
  const variants = /** @type {ReadVariant[]} */ (READ_VARIANTS[wname]); // the same keys as READ_WORKLOADS_DEF

  /** One repetition: one freshly filled map (untimed), every variant timed
   *  on it in a rotated order; the sums must all be 1 + 2 + … + n.
   *  @param {ReadData} d @param {number} rot @param {number} inner */
  const rep = async (d, rot, inner) => {
    const ms = /** @type {Record<ReadVariant, number>} */ (Object.fromEntries(variants.map((v) => [v, 0])));
    const expect = sum1toN(d.n);
    for (let j = 0; j < inner; j++) {
      rt.gc();
      await quiesce(j === 0 ? SETTLE_MS : 0);
      const m = rt.map(wl.shape);
      m.setMany(d.kBatch, d.fillVals);
      if (m.size !== d.n) throw new Error(`read ${wname}: fill gave ${m.size} entries`);
      for (let k = 0; k < variants.length; k++) {
        const v = /** @type {ReadVariant} */ (variants[(k + rot) % variants.length]);
        const t0 = now();
        // ops has every variant of the workload; only the scans read the view.
        const s = /** @type {ReadOp} */ (ops[v])(
          u,
          m,
          d,
          /** @type {UnsafeBuckets} */ (SCANS.has(v) ? u.buckets(m) : null),
        );
        const t1 = now();
        ms[v] += t1 - t0;
        if (s !== expect) {
          // A wrong sum means the scan (or an API) read the wrong slots: stop the bench.
          process.stderr.write(`CHECKSUM MISMATCH read ${wname} n=${d.n} ${v}: sum ${s}, expected ${expect}\n`);
          process.exit(1);
        }
      }
      m.free();
    }
    return /** @type {Record<ReadVariant, number>} */ (
      Object.fromEntries(variants.map((v) => [v, (ms[v] * 1e6) / (d.n * inner)]))
    );
  };

  scanSelfTest(rt, u, wl, ops);
  {
    const d0 = readData(wl, TIER_UP_N);
    for (let t = 0; t < TIER_UP_TURNS; t++) await rep(d0, t, 1);
  }
  const d = readData(wl, n);
  const inner = Math.max(1, Math.round(TARGET_OPS / n));
  process.stderr.write(
    `read ${wname} n=${n}: setup ${((now() - tg) / 1000).toFixed(1)} s; inner ${inner}, ${WARMUP}+${REPS} reps\n`,
  );
  const samples = /** @type {Record<ReadVariant, number[]>} */ (
    Object.fromEntries(variants.map((v) => [v, /** @type {number[]} */ ([])]))
  );
  for (let r = 0; r < WARMUP + REPS; r++) {
    const ns = await rep(d, r, inner);
    if (r >= WARMUP) for (const v of variants) samples[v].push(ns[v]);
  }
  const results = variants.map((v) => {
    const s = summary(samples[v]);
    return {
      section: "read",
      workload: wname,
      size: n,
      variant: v,
      inner,
      warmup: WARMUP,
      reps: REPS,
      unit: "ns/entry",
      median: s.median,
      min: s.min,
      max: s.max,
      samples: samples[v],
      checksum: sum1toN(n),
    };
  });
  process.stderr.write(
    `  ${results.map((r) => `${r.variant} ${fmt(r.median)}`).join(" | ")}  (${((now() - tg) / 1000).toFixed(1)} s)\n`,
  );
  keeper.free();
  return { results, codeStamp: codeStamp() };
}

// ===================================================================== hook

/**
 * @typedef {"plain" | "hooked" | "nohooks"} HookVariant
 * @typedef {"set" | "get" | "setMany" | "getMany"} HookOp
 */
/** @type {HookVariant[]} */
const HOOK_VARIANTS = ["plain", "hooked", "nohooks"];
/** @type {Record<HookVariant, string>} */
const HOOK_LABEL = {
  plain: "(i) release core, no hook",
  hooked: "(ii) release core + no-op onAssign",
  nohooks: "(iii) core built with GOMAP_NO_HOOKS=1",
};
/** @type {HookOp[]} */
const HOOK_OPS = ["set", "get", "setMany", "getMany"];
/** @type {Record<HookOp, string>} */
const HOOK_OP_LABEL = {
  set: "insert, m.set(k, v) per key",
  get: "lookup hit, m.get(k) per key",
  setMany: "insert, m.setMany(keys, values)",
  getMany: "lookup hit, m.getMany(keys, out)",
};

/** Newest mtime of the .ts files under assembly/ and of asconfig.json. */
function newestAssemblySource() {
  /** @param {string} dir @returns {number} */
  const newest = (dir) => {
    let m = 0;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) m = Math.max(m, newest(p));
      else if (e.name.endsWith(".ts")) m = Math.max(m, statSync(p).mtimeMs);
    }
    return m;
  };
  return Math.max(newest(join(root, "assembly")), statSync(join(root, "asconfig.json")).mtimeMs);
}

/** Is bench/peer/build/nohooks.wasm older than its sources, or than
 *  build/release.wasm (so both come from the same sources)? */
function nohooksStale() {
  if (!existsSync(NOHOOKS_WASM)) return true;
  const t = statSync(NOHOOKS_WASM).mtimeMs;
  return newestAssemblySource() > t || (existsSync(RELEASE_WASM) && statSync(RELEASE_WASM).mtimeMs > t);
}

/**
 * The release core without the hook test: `asc assembly/index.ts --config
 * asconfig.json --target release --use GOMAP_NO_HOOKS=1 -o
 * bench/peer/build/nohooks.wasm`, plus `--textFile bench/peer/build/nohooks.wat`:
 * without it asc would write the release target's textFile,
 * build/release.wat, with this variant's text. Skipped when up to date.
 */
async function buildNohooks() {
  if (!flag("rebuild-nohooks") && !nohooksStale()) return false;
  mkdirSync(dirname(NOHOOKS_WASM), { recursive: true });
  const asc = (await import("assemblyscript/asc")).default;
  const t0 = now();
  const { error, stderr } = await asc.main(
    [
      "assembly/index.ts",
      "--config",
      "asconfig.json",
      "--target",
      "release",
      "--use",
      "GOMAP_NO_HOOKS=1",
      "-o",
      NOHOOKS_WASM,
      "--textFile",
      NOHOOKS_WAT,
    ],
    // asc.main takes no cwd option: these paths resolve against process.cwd()
    // (the package root, where npm runs the bench).
    { stdout: process.stdout, stderr: process.stderr },
  );
  if (error) {
    console.error(stderr.toString());
    throw new Error(`asc (no-hooks core) failed: ${error.message}`);
  }
  console.error(`built bench/peer/build/nohooks.wasm in ${(now() - t0).toFixed(0)} ms`);
  return true;
}

/** @param {WebAssembly.Module} mod */
const importsMapHook = (mod) => WebAssembly.Module.imports(mod).some((i) => i.module === "env" && i.name === "mapHook");

/** A runtime on the no-hooks core: install it as the wasm source, create,
 *  then put the normal source back (setWasmSource clears the module cache). */
async function nohooksRuntime() {
  const mod = await WebAssembly.compile(readFileSync(NOHOOKS_WASM));
  if (importsMapHook(mod)) throw new Error(`${NOHOOKS_WASM} imports env.mapHook: not built with GOMAP_NO_HOOKS`);
  let used = 0;
  setWasmSource(async (build) => {
    if (build !== "release") throw new Error("bench/unsafe: the no-hooks variant is a release build");
    used++;
    return mod;
  });
  try {
    const rt = await Runtime.create(RUNTIME_OPTIONS);
    if (used !== 1) throw new Error("Runtime.create did not load the no-hooks core");
    return rt;
  } finally {
    setWasmSource(async (build) => WebAssembly.compile(readFileSync(join(root, "build", `${build}.wasm`))));
  }
}

/**
 * One hook variant, one measured turn, in a process of its own: the parent
 * spawns a fresh process per variant per repetition. Each process's JIT sees
 * one variant only (a process that ever ran a hook has GoMap.set compiled
 * for the hooked path too), and per-process luck (code and heap placement),
 * which moved single-call lookups — no branch involved — by ±10% between
 * long-lived processes, is drawn anew for every sample instead of biasing
 * a whole column. Prints {ns} (ns/op per op) as JSON.
 * @param {string} variant
 */
async function runHookChild(variant) {
  if (!(/** @type {string[]} */ (HOOK_VARIANTS).includes(variant))) throw new Error(`unknown hook variant ${variant}`);
  const rt = variant === "nohooks" ? await nohooksRuntime() : await Runtime.create(RUNTIME_OPTIONS);
  const u = rt.unsafe;
  /** @type {{ key: "u64", value: "u64" }} */
  const shape = { key: "u64", value: "u64" };
  const keeper = rt.map(shape).set(1, 1);
  const noop = () => {};
  /** @param {import("../dist/node.js").GoMap<"u64", "u64">} m */
  const prep = (m) => {
    if (variant === "hooked") u.onAssign(m, noop);
    return m;
  };
  /** @param {number} n */
  const data = (n) => {
    const kNum = keys53(n, 0x686f6f6b ^ n);
    return { n, kNum, kBatch: toBig(kNum), vals: values1toN(n, true), out: new BigUint64Array(n) };
  };
  /** @param {ReturnType<typeof data>} d */
  const turn = async (d) => {
    const n = d.n,
      k = d.kNum,
      expect = sum1toN(n);
    const ns = /** @type {Record<HookOp, number>} */ ({}); // every op's time is set below
    rt.gc();
    await quiesce(SETTLE_MS);
    let m = prep(rt.map(shape));
    let t0 = now();
    for (let i = 0; i < n; i++) m.set(/** @type {number} */ (k[i]), i + 1);
    let t1 = now();
    ns.set = ((t1 - t0) * 1e6) / n;
    if (m.size !== n) throw new Error(`hook ${variant}: size ${m.size} after ${n} inserts`);
    t0 = now();
    let s = 0;
    for (let i = 0; i < n; i++) s += Number(m.get(/** @type {number} */ (k[i])));
    t1 = now();
    ns.get = ((t1 - t0) * 1e6) / n;
    if (s !== expect) throw new Error(`hook ${variant}: get sum ${s}, expected ${expect}`);
    m.free();
    rt.gc();
    await quiesce(SETTLE_MS);
    m = prep(rt.map(shape));
    t0 = now();
    m.setMany(d.kBatch, d.vals);
    t1 = now();
    ns.setMany = ((t1 - t0) * 1e6) / n;
    if (m.size !== n) throw new Error(`hook ${variant}: size ${m.size} after setMany`);
    t0 = now();
    m.getMany(d.kBatch, d.out);
    t1 = now();
    ns.getMany = ((t1 - t0) * 1e6) / n;
    if (sumU64(d.out, n) !== expect) throw new Error(`hook ${variant}: getMany sum wrong`);
    m.free();
    return ns;
  };
  {
    const d0 = data(TIER_UP_N);
    for (let t = 0; t < TIER_UP_TURNS; t++) await turn(d0);
  }
  const d = data(HOOK_N);
  for (let w = 0; w < HOOK_WARMUP; w++) await turn(d);
  const ns = await turn(d);
  keeper.free();
  return { ns, codeStamp: codeStamp() };
}

/** Parent side: per repetition, one fresh process per variant, the order
 *  rotated each repetition. */
async function runHookSection() {
  const tg = now();
  const built = await buildNohooks();
  const releaseSha = sha(RELEASE_WASM);
  const srcNewer = newestAssemblySource() > statSync(RELEASE_WASM).mtimeMs;
  if (srcNewer)
    console.error(
      "WARNING: assembly/ is newer than build/release.wasm: (i) and (iii) may come from different sources (run node scripts/build.mjs)",
    );
  process.stderr.write(
    `hook n=${HOOK_N}: ${built ? "built nohooks.wasm; " : ""}${HOOK_REPS} reps × ${HOOK_VARIANTS.length} processes (each: tier-up + ${HOOK_WARMUP} warm-up + 1 measured turn)\n`,
  );
  const samples = /** @type {Record<HookVariant, Record<HookOp, number[]>>} */ (
    Object.fromEntries(
      HOOK_VARIANTS.map((v) => [v, Object.fromEntries(HOOK_OPS.map((o) => [o, /** @type {number[]} */ ([])]))]),
    )
  );
  /** @type {Set<string>} */
  const stamps = new Set();
  for (let rep = 0; rep < HOOK_REPS; rep++) {
    for (let k = 0; k < HOOK_VARIANTS.length; k++) {
      const v = /** @type {HookVariant} */ (HOOK_VARIANTS[(k + rep) % HOOK_VARIANTS.length]);
      const r = /** @type {Awaited<ReturnType<typeof runHookChild>>} */ (spawnChild(`hook:${v}:${HOOK_N}`));
      stamps.add(r.codeStamp);
      for (const o of HOOK_OPS) samples[v][o].push(r.ns[o]);
    }
    await quiesce(SETTLE_MS);
  }
  const results = [];
  const diffs = [];
  for (const o of HOOK_OPS) {
    for (const v of HOOK_VARIANTS) {
      const s = summary(samples[v][o]);
      results.push({
        section: "hook",
        size: HOOK_N,
        op: o,
        variant: v,
        warmup: HOOK_WARMUP,
        reps: HOOK_REPS,
        unit: "ns/op",
        ...s,
        samples: samples[v][o],
      });
    }
    /** @param {HookVariant} v */
    const med = (v) => summary(samples[v][o]).median;
    // Paired: the variants of one repetition ran back to back.
    /** @param {HookVariant} a @param {HookVariant} b */
    const paired = (a, b) => samples[a][o].map((x, i) => x - /** @type {number} */ (samples[b][o][i]));
    diffs.push({
      op: o,
      branchCost: med("plain") - med("nohooks"),
      branchCostPaired: summary(paired("plain", "nohooks")),
      hookCost: med("hooked") - med("plain"),
      hookCostPaired: summary(paired("hooked", "plain")),
    });
  }
  const line = HOOK_OPS.map(
    (o) => `${o} ` + HOOK_VARIANTS.map((v) => `${v} ${fmt(summary(samples[v][o]).median)}`).join(" "),
  ).join(" | ");
  process.stderr.write(`  ${line}  (${((now() - tg) / 1000).toFixed(1)} s)\n`);
  return {
    results,
    diffs,
    nohooks: {
      path: "bench/peer/build/nohooks.wasm",
      builtThisRun: built,
      sha1: sha(NOHOOKS_WASM),
      mapHookImport: false,
      releaseSha1: releaseSha,
      assemblyNewerThanRelease: srcNewer,
    },
    codeStamps: [...stamps],
  };
}

// =================================================================== report

/** A duration: "12.3 ms", or "345 µs" below 1 ms. @param {number} ms */
const dur = (ms) => (ms >= 1 ? `${fmt(ms)} ms` : `${fmt(ms * 1000)} µs`);
/** @param {number} x */
const signed = (x) => (x >= 0 ? "+" : "−") + fmt(Math.abs(x));
/** @param {import("./lib.mjs").Summary} s */
const range = (s) => `${signed(s.min)}…${signed(s.max)}`;

/**
 * The rows of the results, and the results document (unsafe.json).
 * @typedef {Awaited<ReturnType<typeof runZeroChild>>["results"][number]} ZeroRow
 * @typedef {Awaited<ReturnType<typeof runReadChild>>["results"][number]} ReadRow
 * @typedef {Awaited<ReturnType<typeof runHookSection>>} HookSection
 * @typedef {{ map: string, workload: string, size: number, target: number, ratio: number, met: boolean,
 *   zeroMs: number, deleteMs: number }} Target
 * @typedef {{ warmup: number, reps: number, hookReps: number, hookWarmup: number, targetOps: number }} DocConfig
 *   the fields of `config` the report reads
 * @typedef {{ machine: import("./lib.mjs").Machine, config: DocConfig, elapsedSeconds: number, codeStamps?: string[],
 *   zero?: ZeroRow[], targets?: Target[], hook: HookSection | null, read?: ReadRow[], codeChangedDuringRun: boolean }} Doc
 */

/** @param {Doc} doc */
function renderMd(doc) {
  const { machine, config } = doc;
  const md = [];
  md.push("# bench/unsafe: the unsafe path (docs/unsafe.md)");
  md.push("");
  md.push(machineLine(machine));
  md.push("");
  md.push(
    `Cells: median (min–max) over ${config.warmup} warm-up + ${config.reps} measured repetitions ` +
      `(hook section: ${config.hookReps} repetitions); the variants of a section take turns within a repetition, ` +
      `their order rotated. One child process per section × workload × size (hook: one per variant per repetition). ` +
      `\`Runtime.create({ trusted: true, gcPercent: "off" })\`, release build; GOMAP_WASM_TRUSTED=1 is set by the script. ` +
      `Whole run ${Math.round(doc.elapsedSeconds)} s; code ${(doc.codeStamps ?? []).join(", ")}.`,
  );
  md.push("");
  const zero = doc.zero ?? [];
  if (zero.length) {
    md.push("## Zeroing values: ns per entry (median, min–max) · total time per map (median)");
    md.push("");
    md.push(
      "Each timed call starts from a freshly filled map (fill untimed; a new map per call, freed after, `rt.gc()` before each turn); maps below " +
        `${config.targetOps} entries are repeated within a repetition (1e3: ${Math.round(config.targetOps / 1e3)} maps) and their times summed.`,
    );
    md.push("");
    md.push(
      `| map | size | ${ZERO_VARIANTS.map((v) => `\`${ZERO_LABEL[v]}\``).join(" | ")} | delete per key ÷ zeroValues(m) |`,
    );
    md.push(`|---|---:|${ZERO_VARIANTS.map(() => "---:|").join("")}---:|`);
    const wls = [...new Set(zero.map((r) => r.workload))];
    for (const w of wls) {
      for (const n of [...new Set(zero.filter((r) => r.workload === w).map((r) => r.size))].sort((a, b) => a - b)) {
        /** @param {ZeroVariant} v */
        const row = (v) => zero.find((r) => r.workload === w && r.size === n && r.variant === v);
        const cells = ZERO_VARIANTS.map((v) => {
          const r = row(v);
          return r ? `${fmt(r.median)} (${fmt(r.min)}–${fmt(r.max)}) · ${dur(r.totalMsMedian)}` : "–";
        });
        const ratio =
          row("delete") && row("zeroAll")
            ? `**${(/** @type {ZeroRow} */ (row("delete")).median / /** @type {ZeroRow} */ (row("zeroAll")).median).toFixed(1)}×**`
            : "–";
        md.push(
          `| ${ZERO_WORKLOADS_DEF[w]?.shape ? `${ZERO_WORKLOADS_DEF[w].shape.key} → ${ZERO_WORKLOADS_DEF[w].shape.value}` : w} | ${sizeLabel(n)} | ${cells.join(" | ")} | ${ratio} |`,
        );
      }
    }
    md.push("");
    for (const t of doc.targets ?? []) {
      md.push(
        `Target (issue 7): \`zeroValues(m)\` on ${sizeLabel(t.size)} entries ≥ ${t.target}× faster than \`m.delete(k)\` per key — ` +
          `${t.map}: ${t.ratio.toFixed(1)}× (${dur(t.zeroMs)} vs ${dur(t.deleteMs)}): **${t.met ? "met" : "NOT met"}**.`,
      );
    }
    if ((doc.targets ?? []).length) md.push("");
  }
  const hook = doc.hook;
  if (hook) {
    md.push(
      `## Hook branch on the assign fast path: ns per op (median, min–max), u64 → u64, n = ${sizeLabel(hook.results[0]?.size ?? 0)}`,
    );
    md.push("");
    md.push(
      "Fresh map (no size hint), n inserts then n lookups of the same keys (random 53-bit integers passed as numbers; values as numbers), " +
        "and the same with `setMany`/`getMany` on another fresh map. Every sample is a fresh process (tier-up on a 2e4-entry map, " +
        `${doc.config.hookWarmup} warm-up turn at full size, 1 measured turn); per repetition the three variants run back to back, order rotated. ` +
        "Branch cost = (i) − (iii), hook cost = (ii) − (i): difference of the medians, then in brackets the median and range of the " +
        "per-repetition differences (paired).",
    );
    md.push("");
    md.push(
      `| op | ${HOOK_VARIANTS.map((v) => HOOK_LABEL[v]).join(" | ")} | branch cost (i) − (iii) | hook cost (ii) − (i) |`,
    );
    md.push(`|---|${HOOK_VARIANTS.map(() => "---:|").join("")}---:|---:|`);
    for (const o of HOOK_OPS) {
      const cells = HOOK_VARIANTS.map((v) => {
        const r = hook.results.find((x) => x.op === o && x.variant === v);
        return r ? `${fmt(r.median)} (${fmt(r.min)}–${fmt(r.max)})` : "–";
      });
      const d = /** @type {HookSection["diffs"][number]} */ (hook.diffs.find((x) => x.op === o)); // one per op
      md.push(
        `| ${HOOK_OP_LABEL[o]} | ${cells.join(" | ")} | ${signed(d.branchCost)} (${signed(d.branchCostPaired.median)}, ${range(d.branchCostPaired)}) | ` +
          `${signed(d.hookCost)} (${signed(d.hookCostPaired.median)}, ${range(d.hookCostPaired)}) |`,
      );
    }
    md.push("");
    md.push(
      "- (iii) has no `env.mapHook` import and no flag test: hooks cannot fire there (expected); nothing installs one.",
    );
    md.push(
      "- (ii): every insert calls the host (a BigInt key, the no-op, back into wasm), and with a hook installed `setMany` runs one `set` per key " +
        "(docs/unsafe.md), so its batch row measures that fallback. Lookups fire no hook.",
    );
    md.push("");
  }
  const read = doc.read ?? [];
  if (read.length) {
    md.push("## Reading values: ns per entry (median, min–max), sum of all values");
    md.push("");
    md.push(
      "One freshly filled map per repetition (fill untimed), every variant on it in a rotated order; each sum must equal 1 + 2 + … + n " +
        "(a mismatch stops the bench). Scan: `rt.unsafe.buckets(m)` taken inside the clock, buckets 0..nbuckets−1 read through the " +
        "`view.current` typed arrays (tophash ≥ minTopHash = live), overflow buckets through typed arrays over `rt.unsafe.memory.buffer`, " +
        "chain links read at `view.layout.overflow.offset` — or, in the “links by view.overflow()” column, with `view.overflow(addr)`. " +
        "While a map grows the scan also reads the old array's unevacuated buckets (checked untimed on maps caught growing; the timed maps " +
        "have finished growing). getMany writes into a preallocated typed array, summed inside the clock.",
    );
    md.push("");
    const variants = /** @type {ReadVariant[]} */ ([
      "scan",
      "scanHalves",
      "scanMethod",
      "getMany",
      "get",
      "values",
    ]).filter((v) => read.some((r) => r.variant === v));
    md.push(`| map | size | ${variants.map((v) => READ_LABEL[v]).join(" | ")} | sum (all agree) |`);
    md.push(`|---|---:|${variants.map(() => "---:|").join("")}---:|`);
    for (const w of [...new Set(read.map((r) => r.workload))]) {
      for (const n of [...new Set(read.filter((r) => r.workload === w).map((r) => r.size))].sort((a, b) => a - b)) {
        const cells = variants.map((v) => {
          const r = read.find((x) => x.workload === w && x.size === n && x.variant === v);
          return r ? `${fmt(r.median)} (${fmt(r.min)}–${fmt(r.max)})` : "–";
        });
        const shape = READ_WORKLOADS_DEF[w]?.shape;
        md.push(
          `| ${shape ? `${shape.key} → ${shape.value}` : w} | ${sizeLabel(n)} | ${cells.join(" | ")} | ${sum1toN(n)} |`,
        );
      }
    }
    md.push("");
    md.push(
      "- u64 values: the `u64` view makes a BigInt per value (as `m.get` and `values()` do); “two u32” reads the `u32` view's halves " +
        "(exact below 2^53) and allocates nothing.",
    );
    md.push(
      "- `view.overflow(addr)` is a method call per overflow bucket (tens of ns each, see bench/README.md), and here the loop that " +
        "calls it lost its optimized code at the full JS GC the bench runs before every turn; with few overflow buckets (1e5) that costs " +
        "more than the whole raw scan.",
    );
    md.push(
      "- `for…of m.values()` costs more per entry at 1e5 than at 1e6, as bench/maps' iterate does: the iterator's optimized code is " +
        "also dropped at each full JS GC, and a shorter walk amortizes the re-optimization less.",
    );
    md.push("");
  }
  if (doc.codeChangedDuringRun) {
    md.push(
      "**Warning:** build/release.wasm or dist/ changed during the run (a rebuild): these results mix code versions.",
    );
    md.push("");
  }
  return md.join("\n").trimEnd();
}

// ================================================================== drivers

/** The child's result (runZeroChild's, runReadChild's or runHookChild's), read back from its JSON.
 *  @param {string} spec @returns {unknown} */
function spawnChild(spec) {
  const passArgs = process.argv.slice(2).filter((a) => !a.startsWith("--child="));
  const args = ["--expose-gc", fileURLToPath(import.meta.url), ...passArgs, `--child=${spec}`];
  const r = spawnSync(process.execPath, args, {
    stdio: ["ignore", "pipe", "inherit"],
    maxBuffer: 64 * 1024 * 1024,
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`bench/unsafe child ${spec} failed (status ${r.status}, signal ${r.signal})`);
  const lines = r.stdout.trim().split("\n");
  return JSON.parse(/** @type {string} */ (lines[lines.length - 1]));
}

const CHILD = arg("child", "");
if (CHILD) {
  warnNoGc();
  const [section, w, size] = CHILD.split(":");
  const out =
    section === "zero"
      ? await runZeroChild(/** @type {string} */ (w), Number(size))
      : section === "read"
        ? await runReadChild(/** @type {string} */ (w), Number(size))
        : section === "hook"
          ? await runHookChild(/** @type {string} */ (w))
          : null;
  if (!out) throw new Error(`unknown child section ${section}`);
  process.stdout.write(JSON.stringify(out) + "\n");
  process.exit(0);
} else if (flag("render")) {
  const doc = JSON.parse(readFileSync(RESULTS_JSON, "utf8"));
  const text = renderMd(doc);
  console.log(text);
  if (WRITE) {
    writeFileSync(RESULTS_MD, text + "\n");
    console.error(`wrote ${RESULTS_MD}`);
  }
} else {
  warnNoGc();
  for (const s of SECTIONS)
    if (!["zero", "hook", "read"].includes(s)) throw new Error(`unknown section ${s}; known: zero, hook, read`);
  const machine = machineInfo();
  const stamps = new Set([codeStamp()]);
  const t00 = now();
  /** @type {ZeroRow[]} */
  const zero = [];
  /** @type {ReadRow[]} */
  const read = [];
  /** @type {HookSection | null} */
  let hook = null;
  for (const section of ["zero", "hook", "read"]) {
    if (!SECTIONS.includes(section)) continue;
    if (section === "hook") {
      hook = await runHookSection();
      for (const c of hook.codeStamps) stamps.add(c);
      continue;
    }
    const wls = section === "zero" ? ZERO_WORKLOADS : READ_WORKLOADS;
    const sizes = section === "zero" ? ZERO_SIZES : READ_SIZES;
    for (const w of wls) {
      for (const n of sizes) {
        const r = /** @type {Awaited<ReturnType<typeof runZeroChild | typeof runReadChild>>} */ (
          spawnChild(`${section}:${w}:${n}`)
        );
        // The section's child returns the section's rows.
        /** @type {(ZeroRow | ReadRow)[]} */ (section === "zero" ? zero : read).push(...r.results);
        stamps.add(r.codeStamp);
      }
    }
  }
  finishMachine(machine);
  stamps.add(codeStamp());
  const elapsedS = (now() - t00) / 1000;
  const codeChanged = stamps.size > 1;
  if (codeChanged)
    console.error("WARNING: build/release.wasm or dist/ changed during the run; results mix code versions");

  /** @type {Target[]} */
  const targets = [];
  for (const w of ZERO_WORKLOADS) {
    const z = zero.find((r) => r.workload === w && r.size === TARGET_SIZE && r.variant === "zeroAll");
    const d = zero.find((r) => r.workload === w && r.size === TARGET_SIZE && r.variant === "delete");
    if (!z || !d) continue;
    const ratio = d.median / z.median;
    const shape = /** @type {ZeroWorkload} */ (ZERO_WORKLOADS_DEF[w]).shape;
    targets.push({
      map: `${shape.key} → ${shape.value}`,
      workload: w,
      size: TARGET_SIZE,
      target: TARGET_RATIO,
      ratio,
      met: ratio >= TARGET_RATIO,
      zeroMs: z.totalMsMedian,
      deleteMs: d.totalMsMedian,
    });
  }
  const config = {
    sections: SECTIONS,
    quick: QUICK,
    zeroSizes: ZERO_SIZES,
    zeroWorkloads: ZERO_WORKLOADS,
    readSizes: READ_SIZES,
    readWorkloads: READ_WORKLOADS,
    hookN: HOOK_N,
    reps: REPS,
    warmup: WARMUP,
    hookReps: HOOK_REPS,
    hookWarmup: HOOK_WARMUP,
    targetOps: TARGET_OPS,
    settleMs: SETTLE_MS,
    tierUp: { n: TIER_UP_N, turns: TIER_UP_TURNS },
    runtime:
      'Runtime.create({ trusted: true, gcPercent: "off" }), build/release.wasm; GOMAP_WASM_TRUSTED=1 set by the script',
  };
  const doc = {
    benchmark: "bench/unsafe",
    machine,
    elapsedSeconds: +elapsedS.toFixed(1),
    config,
    workloads: {
      zero: Object.fromEntries(
        ZERO_WORKLOADS.map((w) => [w, /** @type {ZeroWorkload} */ (ZERO_WORKLOADS_DEF[w]).title]),
      ),
      read: Object.fromEntries(
        READ_WORKLOADS.map((w) => [w, /** @type {ReadWorkload} */ (READ_WORKLOADS_DEF[w]).title]),
      ),
    },
    labels: { zero: ZERO_LABEL, hook: HOOK_LABEL, hookOps: HOOK_OP_LABEL, read: READ_LABEL },
    zero,
    targets,
    hook,
    read,
    codeStamps: [...stamps],
    codeChangedDuringRun: codeChanged,
  };
  const text = renderMd(doc);
  console.log(text);
  for (const t of targets)
    console.log(
      `\n10× target at ${sizeLabel(t.size)} (${t.map}): ${t.ratio.toFixed(1)}× — ${t.met ? "met" : "NOT met"}`,
    );
  if (WRITE) {
    writeJson(RESULTS_JSON, doc);
    writeFileSync(RESULTS_MD, text + "\n");
    console.error(`wrote ${RESULTS_MD}`);
  }
}
