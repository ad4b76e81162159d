#!/usr/bin/env node
// bench/strategies: the article's §3.3 table measured for real — the ways
// of releasing (or not releasing) map memory, under one churn workload.
//
//   npm run bench:strategies [-- options]   (builds core and dist/ first)
//   node --expose-gc bench/strategies.mjs [options]
//     --quick                 a smaller workload (3 rounds of 2e5, 20 requests per batch, 3 reps)
//     --strategies=fresh,clear,pool,shrink,compact,unsafe   which strategies run
//     --reps=5                child processes per strategy (rotated order)
//     --rounds=8              bursts of the long-lived map
//     --burst=1e6             keys inserted into the long-lived map per burst
//     --keep=0.05             share of a burst's keys that survive it (deleted
//                             at the next burst)
//     --chunks=10             batches per phase (insert, delete) of a burst
//     --requests=80           request maps after each batch
//     --req-min=200 --req-max=2000   entries per request map (uniform)
//     --universe=4096         distinct request keys (each request takes a run of
//                             a shuffled copy of them)
//     --api=single|batch      request maps: m.set/m.get per key (default) or
//                             setMany/getMany
//     --gc-percent=100        GOGC of the measured runtime
//     --max-memory=4GiB       maxMemory of the measured runtime
//     --seed=1                workload PRNG seed (every strategy gets the same stream)
//     --settle=500            ms to wait after the two gc() before the final RSS
//     --no-warmup             skip the untimed warm-up run (on its own runtime)
//     --warm-gcs=20           rt.gc() calls at the end of the warm-up (warms the
//                             collector's start path: see WARM_GCS)
//     --gctrace               the measured runtime prints Go's gctrace lines on stderr
//     --child=clear:0         run one strategy in this process, print JSON
//                             (what the parent spawns; also for node --cpu-prof)
//     --no-json               do not write bench/results/strategies.{json,md}
//     --render                no run: write strategies.md again from strategies.json
//
// The workload (identical for every strategy: same seed, same operations):
//   `rounds` bursts. A burst inserts `burst` new u64 keys into the
//   long-lived u64 -> u64 map in `chunks` batches (setMany, then getMany of
//   the same keys: lookups that hit), with `requests` request maps after
//   each batch; then it deletes the previous burst's survivors and, in
//   `chunks` batches (deleteMany), all but the last `keep` share of its own
//   keys, again with `requests` request maps after each batch. Then the
//   strategy's end-of-burst step (below). A request map is u32 -> u32: fill
//   it with n entries (n uniform in req-min..req-max; keys a run of a
//   shuffled copy of `universe` fixed random u32s; values random), read every
//   entry back, drop it.
//   ops = every key-level operation of the workload: inserts, lookups and
//   deletes on both kinds of map (a strategy's own extra work — copying,
//   shrinking, compacting — is not an op; it shows in ops/s).
//
// Strategies (request maps / long-lived map):
//   fresh    rt.map() per request, m.free() after / after each burst, copy
//            the survivors into a fresh rt.map({ hint: count }) and free the old
//            one (Go's "copy into a new map" idiom)
//   clear    one request map, m.clear() between requests / one map kept for
//            the whole run (deletes only: its buckets stay at the peak size)
//   pool     rt.pool({ generation: "transient" }) get()/put() per request /
//            a "stable" pool (hint: the peak size, maxIdle 1) double-buffers
//            the rebuild: after each burst get() a map, copy the survivors in,
//            put() the old one (cleared, buckets kept)
//   shrink   rt.map() per request, free() after / kept, m.shrink() after each burst
//   compact  rt.map() per request, free() after / kept, `await rt.compact()`
//            after each burst (every live map moves to a fresh, right-sized
//            WebAssembly.Memory; the old one is dropped)
//   unsafe   one request map, rt.unsafe.zeroValues(m) between requests (trusted
//            runtime: GOMAP_WASM_TRUSTED=1 + { trusted: true }) / kept, as clear.
//            zeroValues writes 0 into every value slot of every bucket and
//            nothing else: the keys, tophash bytes and count stay, so the map
//            keeps every key any request ever wrote (up to `universe`), a get()
//            of an earlier request's key returns 0 instead of undefined, has()
//            says true, size is not 0. The next request's set() of a present key
//            is an update (no insert, no growth), of a new key an insert.
//
// Measured per child (deltas over the measured run; the warm-up ran on
// another runtime): Mallocs, TotalAlloc, NumGC, PauseTotalNs; the PauseNs ring
// read at every sample (Go's per-cycle pause: sweep termination + mark
// termination) -> max STW pause; MaxPauseNs (our longest single GC step,
// incremental mark steps and assists included); HeapInuse, rt.memoryBytes
// and process.memoryUsage.rss() sampled after every batch (with its requests)
// and after every end-of-burst step; wall time of the run minus the time spent
// sampling and making key batches -> ops/s; then global.gc() twice, a pause,
// and the final RSS.
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync, readdirSync, existsSync } from "node:fs";
import { createHash } from "node:crypto";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { arg, flag, summary, machineInfo, finishMachine, machineLine, fmt, writeJson, MiB } from "./lib.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
const RESULTS_JSON = join(here, "results", "strategies.json");
const RESULTS_MD = join(here, "results", "strategies.md");

/**
 * @typedef {"fresh" | "clear" | "pool" | "shrink" | "compact" | "unsafe"} Strategy
 * @typedef {import("../dist/node.js").Runtime} Runtime
 * @typedef {import("../dist/node.js").GoMap<"u32", "u32">} RequestMap
 * @typedef {import("../dist/node.js").GoMap<"u64", "u64">} LongMap
 * @typedef {{ heapInuse: number, linear: number, rss: number, numGC: number }} RoundPoint
 */

// ------------------------------------------------------------------ options

const QUICK = flag("quick");
/** @type {Strategy[]} */
const STRATEGIES = ["fresh", "clear", "pool", "shrink", "compact", "unsafe"];
const CONFIG = {
  // Checked against STRATEGIES below.
  strategies: /** @type {Strategy[]} */ (arg("strategies", STRATEGIES.join(",")).split(",").filter(Boolean)),
  reps: Number(arg("reps", QUICK ? "3" : "5")),
  rounds: Number(arg("rounds", QUICK ? "3" : "8")),
  burst: Number(arg("burst", QUICK ? "2e5" : "1e6")),
  keep: Number(arg("keep", "0.05")),
  chunks: Number(arg("chunks", "10")),
  requests: Number(arg("requests", QUICK ? "20" : "80")),
  reqMin: Number(arg("req-min", "200")),
  reqMax: Number(arg("req-max", "2000")),
  universe: Number(arg("universe", "4096")),
  api: arg("api", "single"),
  gcPercent: Number(arg("gc-percent", "100")),
  maxMemory: arg("max-memory", "4GiB"),
  seed: Number(arg("seed", "1")),
  settleMs: Number(arg("settle", "500")),
  warmup: !flag("no-warmup"),
  gctrace: flag("gctrace"),
};
for (const s of CONFIG.strategies)
  if (!STRATEGIES.includes(s)) throw new Error(`unknown strategy ${s}; known: ${STRATEGIES.join(", ")}`);
if (!["single", "batch"].includes(CONFIG.api)) throw new Error(`--api: single or batch, got ${CONFIG.api}`);
if (CONFIG.reqMax > CONFIG.universe) throw new Error("--req-max must be at most --universe");
/** @typedef {typeof CONFIG} Config */

/** @type {Record<Strategy, string>} */
const LABEL = {
  fresh: "fresh map each time",
  clear: "clear() + reuse",
  pool: "pool per generation",
  shrink: "shrink() after bursts",
  compact: "compact() after bursts",
  unsafe: "unsafe zeroValues (trusted)",
};
/** @type {Record<Strategy, [requestMaps: string, longLivedMap: string]>} */
const ROLES = {
  fresh: [
    "`rt.map()` … `m.free()` per request",
    "after each burst: survivors copied into a fresh `rt.map({ hint: count })`, old one freed",
  ],
  clear: ["one map, `m.clear()` between requests", "one map for the whole run (deletes only)"],
  pool: [
    "`transient` pool: `get()` / `put(m)` per request",
    "`stable` pool (hint = peak size, maxIdle 1): after each burst `get()`, copy the survivors in, `put(old)`",
  ],
  shrink: ["`rt.map()` … `m.free()` per request", "one map, `m.shrink()` after each burst"],
  compact: ["`rt.map()` … `m.free()` per request", "one map, `await rt.compact()` after each burst"],
  unsafe: [
    "one map, `rt.unsafe.zeroValues(m)` between requests (keys stay)",
    "one map for the whole run (deletes only)",
  ],
};

// ------------------------------------------------------------------ workload

/**
 * Everything the workload needs, generated before the clock starts from
 * one seed: long-lived keys per round (distinct: the low word is a
 * bijection of the key's index), the request key/value pool and the request
 * schedule (size, offset of each request's run of keys).
 * @param {Config} cfg
 */
async function makeData(cfg, scale = 1) {
  const { mulberry32 } = await import("../dist/random.js");
  const rand = mulberry32(cfg.seed);
  const rounds = scale === 1 ? cfg.rounds : 1;
  const burst = Math.max(cfg.chunks * 100, Math.round(cfg.burst * scale));
  const chunk = Math.ceil(burst / cfg.chunks);
  const survive = Math.round(burst * cfg.keep);
  const requests = scale === 1 ? cfg.requests : Math.min(cfg.requests, Math.max(2, Math.round(cfg.requests * 0.2)));
  // Request keys: SHUF shuffled copies of the universe, side by side.
  const U = cfg.universe,
    SHUF = 16;
  const uni = new Set();
  while (uni.size < U) uni.add(rand());
  const base = Uint32Array.from(uni);
  const rk = new Uint32Array(SHUF * U),
    rv = new Uint32Array(SHUF * U);
  for (let s = 0; s < SHUF; s++) {
    const c = base.slice();
    for (let i = U - 1; i > 0; i--) {
      const j = rand() % (i + 1);
      const t = /** @type {number} */ (c[i]);
      c[i] = /** @type {number} */ (c[j]);
      c[j] = t;
    }
    rk.set(c, s * U);
  }
  for (let i = 0; i < rv.length; i++) rv[i] = rand() >>> 1 || 1;
  const nreq = rounds * cfg.chunks * 2 * requests;
  const reqSize = new Uint32Array(nreq),
    reqOff = new Uint32Array(nreq);
  for (let r = 0; r < nreq; r++) {
    const n = cfg.reqMin + (rand() % (cfg.reqMax - cfg.reqMin + 1));
    reqSize[r] = n;
    reqOff[r] = (rand() % SHUF) * U + (rand() % (U - n + 1));
  }
  let reqOps = 0;
  for (let r = 0; r < nreq; r++) reqOps += 2 * /** @type {number} */ (reqSize[r]);
  // Long-lived ops: per round burst inserts + burst lookups + deletes
  // (the previous round's survivors + burst - survive).
  const longOps = rounds * (2 * burst + (burst - survive)) + (rounds - 1) * survive;
  return {
    rounds,
    burst,
    chunk,
    survive,
    requests,
    rk,
    rv,
    reqSize,
    reqOff,
    nreq,
    ops: reqOps + longOps,
    reqOps,
    longOps,
    kbuf: new BigUint64Array(Math.max(chunk, survive)),
    out: new BigUint64Array(chunk),
    found: new Uint8Array(chunk),
    reqOut: new Uint32Array(cfg.reqMax),
    reqFound: new Uint8Array(cfg.reqMax),
  };
}
/** @typedef {Awaited<ReturnType<typeof makeData>>} Data */

/**
 * Long-lived key number i (round r owns i in [r*burst, (r+1)*burst); the
 * last `survive` of a round survive it): distinct for every i < 2^32 (the
 * low word is an odd multiple of i+1 mod 2^32). Made a batch at a time into
 * `buf` (not kept for the whole run: the JS heap stays small and the same
 * for every strategy, so RSS shows the maps).
 * @param {BigUint64Array} buf
 * @param {number} from
 * @param {number} n
 */
function genKeys(buf, from, n) {
  const w = new Uint32Array(buf.buffer, buf.byteOffset, 2 * n);
  for (let j = 0; j < n; j++) {
    const i = from + j;
    w[2 * j] = Math.imul(i + 1, 0x9e3779b1) >>> 0;
    w[2 * j + 1] = (Math.imul(i ^ 0x5bd1e995, 0x85ebca77) >>> 11) & 0x1fffff;
  }
  return buf.subarray(0, n);
}

const WARM_GCS = Number(arg("warm-gcs", "20"));
/** @type {{ key: "u32", value: "u32" }} */
const U32 = { key: "u32", value: "u32" };
/** @type {{ key: "u64", value: "u64" }} */
const U64 = { key: "u64", value: "u64" };

/** Copy every entry of `from` into `to` (one pass of the iterator, one setMany).
 *  @param {LongMap} from @param {LongMap} to */
function copyEntries(from, to) {
  const n = from.size;
  const ks = new BigUint64Array(n),
    vs = new BigUint64Array(n);
  let i = 0;
  // entries() is a GoMapIterator (src/iterator.ts): its each(), the path
  // GoMap.forEach takes, is not in the published type.
  /** @type {MapIterator<[bigint, bigint]> & { each(fn: (k: bigint, v: bigint) => void): void }} */ (
    from.entries()
  ).each((k, v) => {
    ks[i] = k;
    vs[i] = v;
    i++;
  });
  to.setMany(ks, vs);
}

/**
 * Run the workload on `rt` with one strategy. `sample(point)` is called
 * after every batch with its requests and after every end-of-burst step; its
 * time is excluded from the returned elapsed time.
 * @param {Runtime} rt
 * @param {Strategy} strategy
 * @param {Data} d
 * @param {Config} cfg
 * @param {(what: "insert" | "delete" | "end", round: number) => void} sample
 */
async function runWorkload(rt, strategy, d, cfg, sample) {
  // ---- request maps
  let /** @type {RequestMap | null} */ shared = null,
    /** @type {import("../dist/node.js").MapPool<"u32", "u32"> | null} */ transient = null,
    /** @type {import("../dist/node.js").Unsafe | null} */ u = null;
  let /** @type {() => RequestMap} */ acquire, /** @type {(m: RequestMap) => void} */ release;
  // The closures below run after the assignment before them: not null there.
  if (strategy === "clear" || strategy === "unsafe") {
    shared = rt.map(U32);
    acquire = () => /** @type {RequestMap} */ (shared);
    if (strategy === "clear") release = (m) => m.clear();
    else {
      u = rt.unsafe;
      release = (m) => /** @type {import("../dist/node.js").Unsafe} */ (u).zeroValues(m);
    }
  } else if (strategy === "pool") {
    transient = rt.pool({ ...U32, generation: "transient" });
    acquire = () => /** @type {import("../dist/node.js").MapPool<"u32", "u32">} */ (transient).get();
    release = (m) => /** @type {import("../dist/node.js").MapPool<"u32", "u32">} */ (transient).put(m);
  } else {
    acquire = () => rt.map(U32);
    release = (m) => m.free();
  }
  const { rk, rv, reqSize, reqOff, reqOut, reqFound } = d;
  const batch = cfg.api === "batch";
  let reqSum = 0,
    reqNext = 0;
  const request = () => {
    const r = reqNext++;
    const n = /** @type {number} */ (reqSize[r]),
      off = /** @type {number} */ (reqOff[r]);
    const m = acquire();
    let s = 0;
    if (batch) {
      const ks = rk.subarray(off, off + n);
      m.setMany(ks, rv.subarray(off, off + n));
      const out = reqOut.subarray(0, n);
      m.getMany(ks, out, reqFound.subarray(0, n));
      for (let j = 0; j < n; j++) s += /** @type {number} */ (out[j]);
    } else {
      for (let j = off; j < off + n; j++) m.set(/** @type {number} */ (rk[j]), /** @type {number} */ (rv[j]));
      for (let j = off; j < off + n; j++) s += /** @type {number} */ (m.get(/** @type {number} */ (rk[j]))); // every key was just set
    }
    release(m);
    reqSum = (reqSum + s) % 4294967296;
  };
  const phaseMs = { longInsert: 0, longDelete: 0, requests: 0, endOfBurst: 0 };
  const requests = () => {
    const t = performance.now();
    for (let q = 0; q < d.requests; q++) request();
    phaseMs.requests += performance.now() - t;
  };

  // ---- the long-lived map
  /** @type {import("../dist/node.js").MapPool<"u64", "u64"> | null} */
  let stable = null;
  /** @type {LongMap} */
  let long;
  if (strategy === "pool") {
    stable = rt.pool({ ...U64, generation: "stable", hint: d.burst + d.survive, maxIdle: 1 });
    long = stable.get();
  } else {
    long = rt.map(U64);
  }
  const endOfBurst = {
    fresh: () => {
      const next = rt.map({ ...U64, hint: long.size });
      copyEntries(long, next);
      long.free();
      long = next;
    },
    // (stable: made above for the "pool" strategy)
    pool: () => {
      const next = /** @type {import("../dist/node.js").MapPool<"u64", "u64">} */ (stable).get();
      copyEntries(long, next);
      /** @type {import("../dist/node.js").MapPool<"u64", "u64">} */ (stable).put(long);
      long = next;
    },
    shrink: () => long.shrink(),
    compact: async () => {
      compactions.push(await rt.compact());
    },
    clear: () => {},
    unsafe: () => {},
  }[strategy];
  /** @type {import("../dist/node.js").CompactionReport[]} */
  const compactions = [];

  const { kbuf, burst, chunk, survive, out, found } = d;
  const outW = new Uint32Array(out.buffer);
  let longSum = 0,
    longHits = 0,
    longDeleted = 0;
  const t0 = performance.now();
  let sampleMs = 0,
    genMs = 0;
  /** @param {number} from @param {number} n */
  const keys = (from, n) => {
    const t = performance.now();
    const ks = genKeys(kbuf, from, n);
    genMs += performance.now() - t;
    return ks;
  };
  /** @param {"insert" | "delete" | "end"} what @param {number} round */
  const point = (what, round) => {
    const ts = performance.now();
    sample(what, round);
    sampleMs += performance.now() - ts;
  };
  for (let r = 0; r < d.rounds; r++) {
    const from = r * burst;
    for (let c = 0; c < cfg.chunks; c++) {
      const a = from + c * chunk,
        b = Math.min(from + burst, a + chunk);
      const ks = keys(a, b - a);
      const t = performance.now();
      long.setMany(ks, ks);
      long.getMany(ks, out.subarray(0, b - a), found.subarray(0, b - a));
      for (let i = 0; i < b - a; i++) {
        longHits += /** @type {number} */ (found[i]);
        longSum = (longSum + /** @type {number} */ (outW[2 * i])) % 4294967296;
      }
      phaseMs.longInsert += performance.now() - t;
      requests();
      point("insert", r);
    }
    let ks = r > 0 ? keys(from - survive, survive) : null;
    let t = performance.now();
    if (r > 0) longDeleted += long.deleteMany(/** @type {BigUint64Array} */ (ks));
    phaseMs.longDelete += performance.now() - t;
    const del = burst - survive,
      dchunk = Math.ceil(del / cfg.chunks);
    for (let c = 0; c < cfg.chunks; c++) {
      const a = from + c * dchunk,
        b = Math.min(from + del, a + dchunk);
      ks = keys(a, Math.max(0, b - a));
      t = performance.now();
      if (b > a) longDeleted += long.deleteMany(ks);
      phaseMs.longDelete += performance.now() - t;
      requests();
      point("delete", r);
    }
    t = performance.now();
    if (strategy === "compact") await endOfBurst();
    else endOfBurst();
    phaseMs.endOfBurst += performance.now() - t;
    point("end", r);
  }
  const elapsedMs = performance.now() - t0 - sampleMs - genMs;
  return {
    elapsedMs,
    sampleMs,
    phaseMs,
    checksum: { reqSum, longSum, longHits, longDeleted, longSize: long.size, requests: reqNext },
    compactions,
    pools: { transient: transient?.stats() ?? null, stable: stable?.stats() ?? null },
    requestMap: shared ? { size: shared.size, B: rt.inspect(shared).B } : null,
    longMap: { size: long.size, B: rt.inspect(long).B },
    keepAlive: [long, shared],
  };
}

// ------------------------------------------------------------------ child

/** @param {Strategy} strategy */
async function runChild(strategy) {
  const cfg = CONFIG;
  if (strategy === "unsafe") process.env.GOMAP_WASM_TRUSTED = "1";
  const { Runtime } = await import("../dist/node.js");
  const gc = globalThis.gc;
  if (!gc) throw new Error("run with node --expose-gc");
  const create = (gctrace = false) =>
    Runtime.create({ maxMemory: cfg.maxMemory, gcPercent: cfg.gcPercent, trusted: strategy === "unsafe", gctrace });

  // Untimed warm-up on a runtime of its own (JIT tier-up of every path the
  // strategy takes), dropped before the measured runtime exists.
  if (cfg.warmup) {
    const w = await create();
    const wd = await makeData(cfg, 0.05);
    await runWorkload(w, strategy, wd, cfg, () => {});
    // Warm the collector's start/termination path too: the small warm-up
    // may not trigger a cycle, and a runtime's first cycle then pays for cold
    // code (its STW pause was 150-250 µs against 10-30 µs for later ones).
    for (let i = 0; i < WARM_GCS; i++) w.gc();
  }
  gc();
  gc();
  await sleep(100);

  const d = await makeData(cfg);
  const rt = await create(cfg.gctrace);
  gc();
  await sleep(50);
  const s0 = rt.readMemStats();
  const rss0 = process.memoryUsage.rss();
  const lin0 = rt.memoryBytes;
  let lastCycle = s0.NumGC;
  /** @type {number[]} */
  const pauses = [];
  let ringLost = 0;
  const peak = { heapInuse: s0.HeapInuse, linear: lin0, rss: rss0 };
  /** @type {{ round: number, peak: RoundPoint, end: RoundPoint }[]} */
  const rounds = [];
  // Set by sample(); the cast keeps TypeScript from taking it as always null.
  let last = /** @type {{ heapInuse: number, linear: number, rss: number } | null} */ (null);
  /** @param {"insert" | "delete" | "end"} what @param {number} round */
  const sample = (what, round) => {
    const s = rt.readMemStats();
    const rss = process.memoryUsage.rss();
    const lin = rt.memoryBytes;
    // Cycles ended since the last sample: their pauses from the ring
    // (cycle c, 1-based, is at (c-1) % 256).
    if (s.NumGC - lastCycle > 256) ringLost += s.NumGC - lastCycle - 256;
    for (let c = Math.max(lastCycle + 1, s.NumGC - 255); c <= s.NumGC; c++)
      pauses.push(/** @type {number} */ (s.PauseNs[(c - 1) % 256]));
    lastCycle = s.NumGC;
    if (s.HeapInuse > peak.heapInuse) peak.heapInuse = s.HeapInuse;
    if (lin > peak.linear) peak.linear = lin;
    if (rss > peak.rss) peak.rss = rss;
    last = { heapInuse: s.HeapInuse, linear: lin, rss };
    // Per round: the last insert batch (the burst's peak) and after the
    // end-of-burst step.
    // Every round gets both points before the run ends.
    const pr = (rounds[round] ??= /** @type {{ round: number, peak: RoundPoint, end: RoundPoint }} */ ({ round }));
    const at = { heapInuse: s.HeapInuse, linear: lin, rss, numGC: s.NumGC - s0.NumGC };
    if (what === "insert") pr.peak = at;
    else if (what === "end") pr.end = at;
  };
  const res = await runWorkload(rt, strategy, d, cfg, sample);
  const s1 = rt.readMemStats();
  // sample() has run (after every batch): `last` is set. The rest of `end` is filled in below.
  const end =
    /** @type {{ heapInuse: number, linear: number, rssBeforeGc: number, heapInuseAfterGc: number, settle: number[], rss: number, linearAfterGc: number }} */ ({
      heapInuse: /** @type {{ heapInuse: number, linear: number, rss: number }} */ (last).heapInuse,
      linear: /** @type {{ heapInuse: number, linear: number, rss: number }} */ (last).linear,
      rssBeforeGc: process.memoryUsage.rss(),
    });
  // What the strategy leaves in use: one full cycle (after the deltas above
  // were read, so it is not counted), every map still alive.
  rt.gc();
  end.heapInuseAfterGc = rt.readMemStats().HeapInuse;
  gc();
  gc();
  // V8 unmaps freed wasm memories in the background: RSS every 50 ms while
  // settling (kept in the JSON); the last reading is the final RSS.
  const settle = [process.memoryUsage.rss()];
  for (let t = 0; t < cfg.settleMs; t += 50) {
    await sleep(50);
    settle.push(process.memoryUsage.rss());
  }
  end.settle = settle.map((x) => +(x / MiB).toFixed(1));
  end.rss = /** @type {number} */ (settle[settle.length - 1]);
  end.linearAfterGc = rt.memoryBytes;
  const ops = d.ops;
  const mallocs = s1.Mallocs - s0.Mallocs;
  const totalAlloc = s1.TotalAlloc - s0.TotalAlloc;
  const numGC = s1.NumGC - s0.NumGC;
  const out = {
    strategy,
    ops,
    reqOps: d.reqOps,
    longOps: d.longOps,
    elapsedMs: res.elapsedMs,
    sampleMs: res.sampleMs,
    phaseMs: res.phaseMs,
    opsPerSec: ops / (res.elapsedMs / 1000),
    mallocs,
    allocsPerOp: mallocs / ops,
    totalAlloc,
    bytesPerOp: totalAlloc / ops,
    numGC,
    numForcedGC: s1.NumForcedGC - s0.NumForcedGC,
    pauseTotalNs: s1.PauseTotalNs - s0.PauseTotalNs,
    maxPauseNs: pauses.length ? Math.max(...pauses) : 0,
    pausesNs: pauses,
    pauseRingLost: ringLost,
    maxStepNs: s1.MaxPauseNs,
    heapInuse: { start: s0.HeapInuse, peak: peak.heapInuse, lastSample: end.heapInuse, final: end.heapInuseAfterGc },
    linear: { start: lin0, peak: peak.linear, final: end.linear },
    rss: { start: rss0, peak: peak.rss, final: end.rss, finalBeforeGc: end.rssBeforeGc, settle: end.settle },
    perRound: rounds,
    compactions: res.compactions,
    pools: res.pools,
    requestMap: res.requestMap,
    longMap: res.longMap,
    checksum: res.checksum,
    codeStamp: codeStamp(),
  };
  res.keepAlive.length = 0;
  return out;
}

// ------------------------------------------------------------------ parent

/** A hash of the code under test (build/release.wasm and dist/*.js): a
 *  rebuild in the middle of the run is noticed. */
function codeStamp() {
  const h = createHash("sha1");
  const dist = join(root, "dist");
  const files = [
    join(root, "build", "release.wasm"),
    ...readdirSync(dist)
      .filter((f) => f.endsWith(".js"))
      .sort()
      .map((f) => join(dist, f)),
  ];
  for (const f of files) h.update(readFileSync(f));
  return h.digest("hex").slice(0, 12);
}

/**
 * One child's results (runChild's, read back from its JSON).
 * @typedef {Awaited<ReturnType<typeof runChild>> & { rep: number, childMs: number }} Sample
 */

/** @param {Strategy} strategy @param {number} rep @returns {Sample} */
function spawnChild(strategy, rep) {
  const passArgs = process.argv.slice(2).filter((a) => !a.startsWith("--child="));
  const args = ["--expose-gc", fileURLToPath(import.meta.url), ...passArgs, `--child=${strategy}:${rep}`];
  const t = performance.now();
  const r = spawnSync(process.execPath, args, {
    stdio: ["ignore", "pipe", "inherit"],
    maxBuffer: 64 * MiB,
    encoding: "utf8",
    env: { ...process.env, GOMAP_WASM_TRUSTED: strategy === "unsafe" ? "1" : "" },
  });
  if (r.status !== 0)
    throw new Error(`bench/strategies child ${strategy}:${rep} failed (status ${r.status}, signal ${r.signal})`);
  const lines = r.stdout.trim().split("\n");
  const res = JSON.parse(/** @type {string} */ (lines[lines.length - 1]));
  res.rep = rep;
  res.childMs = performance.now() - t;
  return res;
}

/** @param {number[]} xs */
const med = (xs) => summary(xs).median;
/** @param {number} ns */
const us = (ns) => ns / 1e3;
/** @param {number} b */
const mb = (b) => (b / MiB).toFixed(1);

/** The summary of one strategy's samples: medians (ops/s: median and range).
 *  @param {Sample[]} samples (at least one) */
function summarize(samples) {
  /** @param {(s: Sample) => number} g */
  const f = (g) => med(samples.map(g));
  return {
    allocsPerOp: f((s) => s.allocsPerOp),
    bytesPerOp: f((s) => s.bytesPerOp),
    numGC: f((s) => s.numGC),
    pauseTotalMs: f((s) => s.pauseTotalNs / 1e6),
    maxPauseUs: f((s) => us(s.maxPauseNs)),
    maxStepUs: f((s) => us(s.maxStepNs)),
    heapInusePeak: f((s) => s.heapInuse.peak),
    heapInuseFinal: f((s) => s.heapInuse.final),
    linearPeak: f((s) => s.linear.peak),
    linearFinal: f((s) => s.linear.final),
    rssPeak: f((s) => s.rss.peak),
    rssFinal: f((s) => s.rss.final),
    opsPerSec: summary(samples.map((s) => s.opsPerSec / 1e6)),
    phaseMs: /** @type {Sample["phaseMs"]} */ (
      Object.fromEntries(
        /** @type {(keyof Sample["phaseMs"])[]} */ (Object.keys(/** @type {Sample} */ (samples[0]).phaseMs)).map(
          (k) => [k, f((s) => s.phaseMs[k])],
        ),
      )
    ),
    heapInuseLastSample: f((s) => s.heapInuse.lastSample),
    rssFinalBeforeGc: f((s) => s.rss.finalBeforeGc),
  };
}

/** @typedef {ReturnType<typeof summarize>} StrategySummary */

/**
 * The results document (strategies.json).
 * @typedef {{ benchmark: string, machine: import("./lib.mjs").Machine, config: Config, ops: number, requests: number,
 *   runMs: number, codeStamp: string, codeChangedDuringRun: boolean, checksumMismatch: string | null,
 *   summary: Partial<Record<Strategy, StrategySummary>>, samples: Sample[] }} Doc
 */

/** @param {number} x */
function fmtSmall(x) {
  return x === 0 ? "0" : x < 0.01 ? x.toExponential(1) : x < 1 ? x.toFixed(3) : fmt(x);
}

/** @param {Doc} doc */
function render(doc) {
  const c = doc.config;
  const md = [];
  md.push("# bench/strategies");
  md.push("");
  md.push(`${machineLine(doc.machine)}; run time ${(doc.runMs / 60000).toFixed(1)} min.`);
  md.push("");
  md.push(
    `Workload: ${c.rounds} bursts of ${c.burst.toLocaleString("en-US")} u64 keys into one long-lived u64→u64 map ` +
      `(inserted and looked up in ${c.chunks} batches, then the previous burst's survivors and ${Math.round((1 - c.keep) * 100)}% ` +
      `of the burst deleted in ${c.chunks} batches), ${c.requests} request maps (u32→u32, ${c.reqMin}–${c.reqMax} entries, ` +
      `${c.api === "batch" ? "setMany/getMany" : "set/get per key"}, filled, read back, dropped) after every batch: ` +
      `${doc.ops.toLocaleString("en-US")} ops (${doc.requests.toLocaleString("en-US")} request maps). GOGC ${c.gcPercent}, ` +
      `seed ${c.seed}, ${c.reps} child processes per strategy (fresh Node and runtime each, rotated order); medians, ops/s median (min–max).`,
  );
  md.push("");
  md.push(
    "| strategy | allocs/op | bytes/op | GC cycles | GC pause total ms | max STW pause µs | max GC step µs | HeapInuse peak MiB | HeapInuse final MiB | linear mem peak MiB | linear mem final MiB | RSS peak MiB | RSS final MiB | Mops/s |",
  );
  md.push("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const name of c.strategies) {
    const s = doc.summary[name];
    if (!s) continue;
    md.push(
      `| ${LABEL[name]} | ${fmtSmall(s.allocsPerOp)} | ${fmtSmall(s.bytesPerOp)} | ${fmt(s.numGC)} | ${fmt(s.pauseTotalMs)} | ` +
        `${fmt(s.maxPauseUs)} | ${fmt(s.maxStepUs)} | ${mb(s.heapInusePeak)} | ${mb(s.heapInuseFinal)} | ${mb(s.linearPeak)} | ` +
        `${mb(s.linearFinal)} | ${mb(s.rssPeak)} | ${mb(s.rssFinal)} | ${fmt(s.opsPerSec.median)} (${fmt(s.opsPerSec.min)}–${fmt(s.opsPerSec.max)}) |`,
    );
  }
  md.push("");
  md.push("| strategy | request maps | long-lived map |");
  md.push("|---|---|---|");
  for (const name of c.strategies) md.push(`| ${LABEL[name]} | ${ROLES[name][0]} | ${ROLES[name][1]} |`);
  md.push("");
  md.push(
    "Where the time goes (ms, medians): the long-lived map's batches (insert + lookup, delete), the request maps, the",
  );
  md.push("end-of-burst step (copy, shrink, compaction).");
  md.push("");
  md.push("| strategy | long-lived insert + lookup | long-lived delete | request maps | end-of-burst step | total |");
  md.push("|---|---:|---:|---:|---:|---:|");
  for (const name of c.strategies) {
    const p = doc.summary[name]?.phaseMs;
    if (!p) continue;
    const tot = p.longInsert + p.longDelete + p.requests + p.endOfBurst;
    md.push(
      `| ${LABEL[name]} | ${fmt(p.longInsert)} | ${fmt(p.longDelete)} | ${fmt(p.requests)} | ${fmt(p.endOfBurst)} | ${fmt(tot)} |`,
    );
  }
  md.push("");
  md.push(
    "- allocs/op, bytes/op: `Mallocs` and `TotalAlloc` deltas of the runtime ÷ ops (heap objects of linear memory: hmap headers,",
  );
  md.push(
    "  bucket arrays, overflow buckets; JS-heap allocations are not counted). GC cycles: `NumGC` delta (no forced cycles).",
  );
  md.push(
    "- GC pause total: `PauseTotalNs` delta. max STW pause: largest `PauseNs` ring entry of the run (a cycle's sweep-termination",
  );
  md.push(
    "  + mark-termination pauses, Go's definition). max GC step: `MaxPauseNs`, our longest single piece of collector work on the",
  );
  md.push("  mutator's thread (an incremental mark step or assist included).");
  md.push(
    "- HeapInuse and linear memory (`rt.memoryBytes`) sampled after every batch with its requests and after every",
  );
  md.push(
    "  end-of-burst step (peak); linear final = the last sample, HeapInuse final = after one `rt.gc()` at the end (what the",
  );
  md.push(
    "  strategy keeps in use; not counted in GC cycles). RSS: `process.memoryUsage.rss()` at the same points (peak); final after the",
  );
  md.push(
    "  run, `gc()` twice and a pause, every map still alive. RSS includes Node itself (~" +
      `${mb(med(doc.samples.map((s) => s.rss.start)))} MiB at the start of the measured run, its runtime created).`,
  );
  const comp = doc.summary.compact && doc.samples.find((s) => s.strategy === "compact");
  if (comp?.compactions.length) {
    const both = comp.compactions.map((r) => r.before.linearBytes + r.after.linearBytes);
    md.push(
      `- compact(): both memories exist during each copy (up to ${mb(Math.max(...both))} MiB of linear memory at once in rep ${comp.rep});`,
    );
    md.push("  the sampled peak is the old memory alone.");
  }
  if (comp) {
    const r = comp.rss;
    md.push(
      `- compact(), RSS (rep ${comp.rep}): ${mb(r.start)} MiB at the start, after each burst's compaction ` +
        `${comp.perRound.map((x) => mb(x.end.rss)).join(", ")} MiB, ${mb(r.finalBeforeGc)} MiB at the end before \`gc()\`, ` +
        `${mb(r.final)} MiB after (an old memory is unmapped when V8 collects its instance).`,
    );
  }
  const zero = doc.samples.find((s) => s.strategy === "unsafe");
  const clr = doc.samples.find((s) => s.strategy === "clear");
  if (zero?.requestMap && clr?.requestMap) {
    md.push(
      `- Request map at the end: clear() ${clr.requestMap.size} entries, B = ${clr.requestMap.B}; zeroValues ` +
        `${zero.requestMap.size} entries (every key any request wrote, values 0), B = ${zero.requestMap.B}.`,
    );
  }
  const pool = doc.samples.find((s) => s.strategy === "pool");
  if (pool) {
    // The pool strategy made both pools.
    const t = /** @type {import("../dist/node.js").PoolStats} */ (pool.pools.transient),
      st = /** @type {import("../dist/node.js").PoolStats} */ (pool.pools.stable);
    md.push(
      `- Pools (rep ${pool.rep}): transient ${t.gets} gets, ${t.hits} hits, ${t.misses} misses, ${t.dropped} dropped; ` +
        `stable ${st.gets} gets, ${st.hits} hits, ${st.misses} misses, ${st.dropped} dropped.`,
    );
  }
  if (doc.codeChangedDuringRun) {
    md.push("");
    md.push("**Warning:** build/release.wasm or dist/ changed during the run: these results mix code versions.");
  }
  if (doc.checksumMismatch) {
    md.push("");
    md.push(`**Checksum mismatch:** ${doc.checksumMismatch}`);
  }
  return md.join("\n");
}

// ------------------------------------------------------------------ main

const CHILD = arg("child", "");
if (CHILD) {
  const [strategy] = CHILD.split(":");
  const out = await runChild(/** @type {Strategy} */ (strategy));
  process.stdout.write(JSON.stringify(out) + "\n");
  process.exit(0);
}

if (flag("render")) {
  const doc = JSON.parse(readFileSync(RESULTS_JSON, "utf8"));
  const md = render(doc);
  console.log(md);
  writeFileSync(RESULTS_MD, md + "\n");
  process.exit(0);
}

{
  if (!existsSync(join(root, "dist", "node.js"))) throw new Error("dist/ is missing: run node scripts/build.mjs first");
  const machine = machineInfo();
  const stamp = codeStamp();
  const t0 = performance.now();
  /** @type {Sample[]} */
  const samples = [];
  const names = CONFIG.strategies;
  for (let rep = 0; rep < CONFIG.reps; rep++) {
    const order = names.map((_, i) => /** @type {Strategy} */ (names[(i + rep) % names.length]));
    for (const name of order) {
      const s = spawnChild(name, rep);
      samples.push(s);
      process.stderr.write(
        `  rep ${rep} ${name.padEnd(8)} ${(s.opsPerSec / 1e6).toFixed(2)} Mops/s, ${s.allocsPerOp.toFixed(4)} allocs/op, ` +
          `${s.numGC} GCs, HeapInuse peak ${mb(s.heapInuse.peak)} MiB, RSS ${mb(s.rss.final)} MiB (${(s.childMs / 1000).toFixed(1)} s)\n`,
      );
    }
  }
  const runMs = performance.now() - t0;
  // Every strategy does the same work: the checksums must agree.
  /** @param {Sample} s */
  const key = (s) => {
    const c = s.checksum;
    return `${c.reqSum}/${c.longSum}/${c.longHits}/${c.longDeleted}/${c.longSize}/${c.requests}`;
  };
  const keysSeen = [...new Set(samples.map(key))];
  const checksumMismatch =
    keysSeen.length > 1 ? samples.map((s) => `${s.strategy}:${s.rep} ${key(s)}`).join("; ") : null;
  const stamps = [...new Set([stamp, ...samples.map((s) => s.codeStamp)])];
  /** @type {Partial<Record<Strategy, StrategySummary>>} */
  const summaryBy = {};
  for (const name of names) summaryBy[name] = summarize(samples.filter((s) => s.strategy === name));
  /** @type {Doc} */
  const doc = {
    benchmark: "strategies",
    machine: finishMachine(machine),
    config: CONFIG,
    ops: /** @type {Sample} */ (samples[0]).ops,
    requests: /** @type {Sample} */ (samples[0]).checksum.requests,
    runMs,
    codeStamp: stamp,
    codeChangedDuringRun: stamps.length > 1,
    checksumMismatch,
    summary: summaryBy,
    samples,
  };
  const md = render(doc);
  console.log(md);
  if (!flag("no-json")) {
    writeJson(RESULTS_JSON, doc);
    writeFileSync(RESULTS_MD, md + "\n");
    console.error(`wrote ${RESULTS_MD}`);
  }
  if (checksumMismatch) process.exit(1);
}
