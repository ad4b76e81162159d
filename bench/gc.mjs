// bench/gc: how long the collector stops the program, per step.
//
// Heaps of three shapes, each built and then churned with automatic
// collection (GOGC=100):
//   u64      numeric maps (a few large u64→u64 maps whose bucket arrays are
//            noscan, plus thousands of small maps whose hmaps, mapextras
//            and overflow lists are scanned);
//   str-str  string→string maps (pointerful buckets: every key and value is
//            a pointer the collector follows);
//   str-u32  string→u32 maps (a pointer per key).
// 1/8 of the heap is small maps (1000 entries), the rest big ones. The
// build phase counts too: it is where maps grow, evacuate pointerful
// buckets and allocate big arrays while the collector marks. Churn replaces
// small maps and overwrites values of the big ones until `--cycles`
// automatic cycles ran.
//
// Every collector step is recorded (the core's step log: its duration and
// kind — cycle start, mutator assist, safe-point mark step, explicit step,
// termination — and its work), read after every call so none is lost; per
// phase the table gives p50/p99/p99.9/max over all steps, the max per kind,
// and the time spent inside memory.grow (where V8 may run its own GC),
// apart from the steps. Target (issue 16): no step above 1 ms at 1 GiB,
// build included.
//
//   node --expose-gc bench/gc.mjs [--kinds=u64,str-str,str-u32]
//        [--sizes=64,256,1024] [--str-sizes=256,1024] [--big] [--cycles=4] [--runs=1]
//   --clock=cpu|wall: what the steps are timed with (below; default cpu).
//   --big adds 1650 MiB string-keyed heaps (the size issue 16 measured).
//   --runs=N runs each config N times (interleaved) and reports medians.
import { Runtime } from "gomap-wasm";
import { boundaryOf } from "../dist/runtime.js";
import { MiB, arg, flag, list, machineInfo, finishMachine, machineLine, writeJson, quiesce } from "./lib.mjs";
import { readCycle } from "../dist/records.js";

const kinds = (arg("kinds", "u64,str-str,str-u32") ?? "").split(",").filter(Boolean);
const numSizes = list(arg("sizes", "64,256,1024"));
const strSizes = list(arg("str-sizes", flag("big") ? "256,1024,1650" : "256,1024"));
const churnCycles = Number(arg("cycles", "4"));
const runs = Number(arg("runs", "1"));
const clock = arg("clock", "cpu");
/** The benchmark's own wall clock (performance.now may be replaced below). */
const wallNow = performance.now.bind(performance);
// --clock=cpu (default): the core times its steps with the host's clock,
// performance.now(); on a shared machine a step's wall time includes the
// time the thread waited for a core (seen here: 40% of a core for a busy
// loop at load 4 on 2 cores, and steps of 179 ms that did 400 KiB of
// work). The CPU clock — the process's CPU time, process.cpuUsage() (µs;
// getrusage brings the running thread's time up to date, so it is exact,
// unlike /proc's per-thread tick counts; ~2–7 µs per read, part of which
// lands in each step) — counts only time spent running, page faults
// included, and also V8's helper threads if they run meanwhile (concurrent
// marking of the JS heap, background compilation), so it can over-count a
// step, never under-count it. --clock=wall keeps performance.now.
if (clock === "cpu") {
  performance.now = () => {
    const c = process.cpuUsage();
    return (c.user + c.system) / 1e3;
  };
}
const KIND_NAMES = ["start", "assist", "safepoint", "explicit", "term", "full"];

/** @param {number[]} sorted @param {number} p */
function pct(sorted, p) {
  if (sorted.length === 0) return 0;
  return /** @type {number} */ (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]);
}

// V8's own collections (the JS heap: the benchmark's key arrays, the host's
// objects) can land inside a wasm call: V8 handles its GC interrupts at
// wasm function entries and loop back-edges, so a step's wall-clock time may
// include one. Steps over 1 ms are checked against V8's gc entries.
/** @type {{start: number, end: number}[]} */
const v8gc = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) v8gc.push({ start: e.startTime, end: e.startTime + e.duration });
}).observe({ entryTypes: ["gc"] });

/** @typedef {{ns: number, kind: number, work: number, grew: boolean, from: number, to: number}} Step */

/** Reads the core's step log incrementally (call after every core call). */
class StepReader {
  /** @param {any} b boundary */
  constructor(b) {
    this.b = b;
    this.cap = b.constant("GC_STEP_LOG");
    this.seen = b.exports.gcStepCount() >>> 0;
    /** @type {Step[]} */
    this.steps = [];
    this.lost = 0;
    this.since = wallNow();
  }
  poll() {
    const now = wallNow();
    const since = this.since;
    this.since = now;
    const b = this.b;
    const count = b.exports.gcStepCount() >>> 0;
    if (count === this.seen) return;
    const log = b.exports.gcStepLog() >>> 0;
    const meta = b.exports.gcStepMeta() >>> 0;
    let from = this.seen;
    if (count - from > this.cap) {
      this.lost += count - from - this.cap;
      from = count - this.cap;
    }
    const dv = b.dv;
    for (let i = from; i < count; i++) {
      const j = i % this.cap;
      const m = dv.getUint32(meta + j * 4, true);
      // from/to: the window of host time the step fell in (since the last poll).
      this.steps.push({
        ns: dv.getFloat32(log + j * 4, true),
        kind: m >>> 29,
        work: m & 0xfffffff,
        grew: (m & 0x10000000) !== 0,
        from: since,
        to: now,
      });
    }
    this.seen = count;
  }
  /** The steps since the last take(). */
  take() {
    this.poll();
    const s = this.steps;
    this.steps = [];
    return s;
  }
}

/** @param {any} b */
function growStats(b) {
  const out = b.scratchBase;
  b.exports.growStats(out);
  const dv = b.dv;
  return {
    calls: dv.getFloat64(out, true),
    ms: dv.getFloat64(out + 8, true),
    maxMs: dv.getFloat64(out + 16, true),
    inStepsMs: dv.getFloat64(out + 24, true),
  };
}

/**
 * Per-phase summary of steps and growth.
 * @param {Step[]} steps
 * @param {{calls: number, ms: number, maxMs: number, inStepsMs: number}} g0
 * @param {{calls: number, ms: number, maxMs: number, inStepsMs: number}} g1
 * @param {number} lost
 */
function summarize(steps, g0, g1, lost) {
  const all = steps.map((s) => s.ns).sort((x, y) => x - y);
  /** @type {Record<string, number>} */
  const maxByKind = {};
  /** @type {Record<string, number>} */
  const countByKind = {};
  let maxWork = 0;
  let over1ms = 0;
  let over1msV8 = 0;
  let maxNotV8 = 0;
  for (const s of steps) {
    const v8 = v8gc.some((g) => g.start < s.to && g.end > s.from);
    if (s.ns > 1e6) {
      over1ms++;
      if (v8) over1msV8++;
    }
    if (!v8) maxNotV8 = Math.max(maxNotV8, s.ns / 1e3);
    const k = KIND_NAMES[s.kind] ?? String(s.kind);
    maxByKind[k] = Math.max(maxByKind[k] ?? 0, s.ns / 1e3);
    countByKind[k] = (countByKind[k] ?? 0) + 1;
    if (s.kind !== 5) maxWork = Math.max(maxWork, s.work);
  }
  // Time per unit of work: the median of ns/work over mark steps with at
  // least 32 KiB of work, times 128 KiB (robust to a noisy machine, where
  // the max step is mostly a matter of when the thread lost its core).
  const rates = steps
    .filter((s) => s.kind >= 1 && s.kind <= 3 && s.work >= 32 * 1024)
    .map((s) => s.ns / s.work)
    .sort((x, y) => x - y);
  return {
    steps: steps.length,
    lost,
    usPer128KiB: (pct(rates, 50) * 128 * 1024) / 1e3,
    countByKind,
    us: { p50: pct(all, 50) / 1e3, p99: pct(all, 99) / 1e3, p999: pct(all, 99.9) / 1e3, max: (all.at(-1) ?? 0) / 1e3 },
    maxByKindUs: maxByKind,
    // Steps over 1 ms, and how many of them shared their core call with a V8 collection.
    over1ms,
    over1msV8,
    // The longest step in a core call no V8 collection overlapped.
    maxNotV8Us: maxNotV8,
    maxWorkKiB: maxWork / 1024,
    // Fresh pages: memory.grow calls in this phase, their total and longest time.
    grow: {
      calls: g1.calls - g0.calls,
      ms: g1.ms - g0.ms,
      // The longest over the runtime's life so far (monotone): the build's max
      // for the build, and the churn's only if it beat it.
      maxMs: g1.maxMs,
      inStepsMs: g1.inStepsMs - g0.inStepsMs,
    },
  };
}

let keySeq = 1;
/** n distinct string keys ("k" + a scrambled counter, 10–14 bytes). */
/** @param {number} n @returns {string[]} */
function strKeys(n) {
  const out = new Array(n);
  for (let i = 0; i < n; i++) {
    const x = Math.imul(keySeq++, 0x9e3779b1) >>> 0;
    out[i] = `k${x.toString(36)}-${keySeq.toString(36)}`;
  }
  return out;
}
/** @param {number} n @param {number} salt @returns {string[]} */
function strValues(n, salt) {
  const out = new Array(n);
  for (let i = 0; i < n; i++) out[i] = `v${salt}:${i.toString(36)}`;
  return out;
}

/** A workload: makes a map, fills `n` entries of it starting at the call's
 *  keys, overwrites some values. */
/** @typedef {{make: (hint: number) => any, keys: (n: number) => any, values: (k: any) => any,
 *   overwrite: (m: any, k: any, salt: number) => void}} Workload */
/** @param {string} kind @param {any} rt @returns {Workload} */
function workload(kind, rt) {
  if (kind === "u64") {
    let key = 1n;
    /** @param {number} n */
    const ks = (n) => {
      const a = new BigUint64Array(n);
      for (let i = 0; i < n; i++) a[i] = (key++ * 0x9e3779b97f4a7c15n) & 0xffffffffffffffffn;
      return a;
    };
    return {
      make: (hint) => rt.map({ key: "u64", value: "u64", ...(hint ? { hint } : {}) }),
      keys: ks,
      values: (k) => k,
      overwrite: (m, k, salt) =>
        m.setMany(
          k,
          k.map((/** @type {bigint} */ x) => x ^ BigInt(salt)),
        ),
    };
  }
  const value = kind === "str-str" ? "string" : "u32";
  return {
    make: (hint) => rt.map({ key: "string", value, ...(hint ? { hint } : {}) }),
    keys: strKeys,
    values: value === "string" ? (k) => strValues(k.length, 0) : (k) => new Uint32Array(k.length).fill(7),
    overwrite:
      value === "string"
        ? (m, k, salt) => m.setMany(k, strValues(k.length, salt))
        : (m, k, salt) => m.setMany(k, new Uint32Array(k.length).fill(salt)),
  };
}

/** @param {string} kind @param {number} targetMiB */
async function run(kind, targetMiB) {
  const rt = await Runtime.create({ maxMemory: "4GiB", gcPercent: 100 });
  const b = /** @type {any} */ (boundaryOf(/** @type {any} */ (rt)));
  const w = workload(kind, rt);
  const reader = new StepReader(b);
  const CHUNK = 4096;
  /** @type {any[]} */
  const small = [];
  /** @type {{m: any, sample: any}[]} */
  const big = [];
  const inuse = () => rt.readMemStats().HeapInuse;
  const g0 = growStats(b);
  const cycles00 = rt.readMemStats().NumGC;
  const t0 = wallNow();
  // Build: 1/8 of the heap in small maps (1000 entries each), the rest in big ones.
  while (inuse() < targetMiB * MiB * 0.125) {
    const m = w.make(1000);
    const k = w.keys(1000);
    m.setMany(k, w.values(k));
    reader.poll();
    small.push(m);
  }
  const BIG = kind === "u64" ? 1 << 20 : 1 << 22;
  while (inuse() < targetMiB * MiB) {
    const m = w.make(0);
    let sample = null;
    for (let i = 0; i < BIG && inuse() < targetMiB * MiB; i += CHUNK) {
      const k = w.keys(CHUNK);
      m.setMany(k, w.values(k));
      reader.poll();
      if (sample === null) sample = k;
    }
    big.push({ m, sample });
  }
  const buildMs = wallNow() - t0;
  const buildSteps = reader.take();
  const buildLost = reader.lost;
  const buildCycles = rt.readMemStats().NumGC - cycles00;
  const g1 = growStats(b);
  const inuseBuilt = inuse();
  // Churn: replace small maps (allocation + garbage), overwrite values of big ones.
  const cycles0 = rt.readMemStats().NumGC;
  const seenCycles = new Set();
  let totalScanned = 0;
  const t1 = wallNow();
  let ops = 0;
  let round = 0;
  while (rt.readMemStats().NumGC - cycles0 < churnCycles) {
    const i = round++ % small.length;
    small[i].free();
    const m = w.make(1000);
    const k = w.keys(1000);
    m.setMany(k, w.values(k));
    reader.poll();
    small[i] = m;
    ops += 1000;
    const bm = big[round % big.length];
    if (bm?.sample) {
      w.overwrite(bm.m, bm.sample.slice(0, 512), ops & 0xffff);
      reader.poll();
      ops += 512;
    }
    const s = rt.readMemStats().NumGC;
    if (!seenCycles.has(s)) {
      seenCycles.add(s);
      totalScanned += /** @type {number} */ (readCycle(b).scanned);
    }
  }
  const churnMs = wallNow() - t1;
  const churnSteps = reader.take();
  const g2 = growStats(b);
  const after = rt.readMemStats();
  const res = {
    kind,
    heapMiB: targetMiB,
    heapInuseMiB: +(inuseBuilt / MiB).toFixed(0),
    smallMaps: small.length,
    bigMaps: big.length,
    buildMs: Math.round(buildMs),
    buildCycles,
    churnMs: Math.round(churnMs),
    churnCycles: after.NumGC - cycles0,
    scannedMiBPerCycle: seenCycles.size ? +(totalScanned / seenCycles.size / MiB).toFixed(2) : 0,
    maxPauseEverUs: +(after.MaxPauseNs / 1e3).toFixed(1),
    build: summarize(buildSteps, g0, g1, buildLost),
    churn: summarize(churnSteps, g1, g2, reader.lost - buildLost),
  };
  for (const m of small) m.free();
  for (const x of big) x.m.free();
  rt.close();
  return res;
}

/** Median of numbers. @param {number[]} xs */
function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const hi = /** @type {number} */ (s[mid]);
  const lo = /** @type {number} */ (s[mid - 1] ?? hi);
  return s.length % 2 ? hi : (lo + hi) / 2;
}

/** The run whose max step is the median one (so its row is self-consistent),
 *  with the medians of the other fields' spread noted. */
/** @param {any[]} rs */
function medianRow(rs) {
  const sorted = [...rs].sort(
    (a, b) => Math.max(a.build.us.max, a.churn.us.max) - Math.max(b.build.us.max, b.churn.us.max),
  );
  const row = sorted[(sorted.length - 1) >> 1];
  return {
    ...row,
    runs: rs.length,
    maxStepUsAllRuns: rs.map((r) => +Math.max(r.build.us.max, r.churn.us.max).toFixed(0)),
    medians: {
      build: {
        p50: median(rs.map((r) => r.build.us.p50)),
        p99: median(rs.map((r) => r.build.us.p99)),
        p999: median(rs.map((r) => r.build.us.p999)),
        max: median(rs.map((r) => r.build.us.max)),
      },
      churn: {
        p50: median(rs.map((r) => r.churn.us.p50)),
        p99: median(rs.map((r) => r.churn.us.p99)),
        p999: median(rs.map((r) => r.churn.us.p999)),
        max: median(rs.map((r) => r.churn.us.max)),
      },
      growMsBuild: median(rs.map((r) => r.build.grow.ms)),
      growMaxMs: median(rs.map((r) => r.churn.grow.maxMs)),
      maxNotV8: { build: median(rs.map((r) => r.build.maxNotV8Us)), churn: median(rs.map((r) => r.churn.maxNotV8Us)) },
    },
  };
}

const configs = [];
for (const kind of kinds) for (const size of kind === "u64" ? numSizes : strSizes) configs.push({ kind, size });
const machine = machineInfo();
/** @type {Map<string, any[]>} */
const results = new Map();
// Warm-up, discarded: V8 compiles wasm with a baseline tier first and tiers
// hot functions up later; the first run would measure the baseline code.
if (!flag("no-warmup")) for (const kind of kinds) await run(kind, 32);
v8gc.length = 0;
for (let r = 0; r < runs; r++) {
  for (const c of configs) {
    await quiesce(200);
    const res = await run(c.kind, c.size);
    const key = `${c.kind}/${c.size}`;
    if (!results.has(key)) results.set(key, []);
    results.get(key)?.push(res);
    console.error(JSON.stringify(res));
  }
}
finishMachine(machine);
const rows = [...results.values()].map(medianRow);
/** @param {number} x */
const f = (x) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
console.log(`\n${machineLine(machine)}\n`);
console.log(
  `Collector steps, µs of ${clock === "cpu" ? "this thread's CPU time" : "wall-clock time"} (${runs > 1 ? `medians of ${runs} runs` : "one run"}); max per kind: start / assist / safe-point / termination.\n`,
);
console.log(
  "| heap | phase | steps | p50 | p99 | p99.9 | max | max start / assist / safepoint / term | > 1 ms (with V8 GC) | max w/o V8 GC | max work KiB | µs per 128 KiB work | memory.grow calls, total ms (max one) | grow in steps ms |",
);
console.log("|---|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---|---:|");
for (const r of rows) {
  for (const phase of ["build", "churn"]) {
    const p = r[phase];
    const m = r.medians[phase];
    const k = p.maxByKindUs;
    const kinds4 = ["start", "assist", "safepoint", "term"]
      .map((n) => (k[n] === undefined ? "–" : f(k[n])))
      .join(" / ");
    const label = phase === "build" ? `${r.kind} ${r.heapMiB} MiB (${r.heapInuseMiB} MiB inuse)` : "";
    console.log(
      `| ${label} | ${phase}${phase === "build" ? ` (${r.buildCycles} cycles)` : ` (${r.churnCycles} cycles)`} | ${p.steps}${p.lost ? ` (${p.lost} lost)` : ""} | ${f(m.p50)} | ${f(m.p99)} | ${f(m.p999)} | ${f(m.max)} | ${kinds4} | ${p.over1ms} (${p.over1msV8}) | ${f(r.medians.maxNotV8[phase])} | ${f(p.maxWorkKiB)} | ${f(p.usPer128KiB)} | ${p.grow.calls}, ${p.grow.ms.toFixed(1)} (${p.grow.maxMs.toFixed(2)}) | ${p.grow.inStepsMs.toFixed(2)} |`,
    );
  }
}
if (runs > 1) {
  console.log("\nMax step per run, µs:");
  for (const r of rows) console.log(`  ${r.kind} ${r.heapMiB} MiB: ${r.maxStepUsAllRuns.join(", ")}`);
}
writeJson(new URL("./results/gc.json", import.meta.url).pathname, { benchmark: "bench/gc", machine, runs, rows });
