#!/usr/bin/env node
// bench/shared: readers of a shared map in other threads (docs/shared.md).
//
//   npm run bench:shared [-- options]
//   node --expose-gc bench/shared.mjs [--n=1e6] [--reps=5] [--ms=800] [--no-json]
//
// One u32→u32 map of n entries in a shared runtime owned by this thread;
// reader threads (worker_threads, this file) attach to it. Reps are
// interleaved: each rep runs every configuration once, in turn.
//   (a) scaling: 1 reader vs 2 readers, owner idle — total hits/s;
//   (b) a busy owner: 1 reader while the owner inserts as fast as it can
//       (fresh keys, removed again after the rep: untimed) vs an idle
//       owner — the reader's hits/s; the owner's inserts/s with vs without
//       the reader; retries per lookup;
//   (c) memory and start-up: what a worker adds to the process's RSS (its
//       JS engine included) and the time until its first answer — a worker
//       that attaches vs a worker that builds its own Map from the entries
//       posted to it (the JS alternative), and an empty worker;
//   (d) the reader's loads: the same lookup (the library's protocol) with
//       Atomics.load vs plain typed-array reads, 1 reader, owner idle; the
//       library's GoMapReader.get alongside.
// Reported: medians (min–max) over the reps; results in bench/results/shared.md
// and shared.json.
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { arg, flag, summary, machineInfo, finishMachine, machineLine, writeJson, MiB } from "./lib.mjs";

const SELF = fileURLToPath(import.meta.url);
const now = () => performance.now();
const VAL = 0x5bd1e995; // value = key ^ VAL
/** ctl words: 0 round (readers start when it changes), 1 stop (= round: stop). */
const ROUND = 0,
  STOP = 1;

/** @typedef {import("./lib.mjs").Summary} Summary */
/** @typedef {import("../dist/node.js").SharedMapDescriptor<"u32", "u32">} Descriptor */
/** What a reader thread looks up with: the library (lib), a JS Map built from
 *  posted entries (map), nothing (empty), or makeLookup's atomic/plain loads.
 *  @typedef {"lib" | "map" | "empty" | "atomic" | "plain"} Mode */
/** @typedef {{ descriptor: Descriptor, mode: Mode, n: number, ctl: SharedArrayBuffer }} ReaderData */
/** A reader's report of one round. @typedef {{ lookups: number, hits: number, ok: number, retries: number }} RoundResult */
/** @typedef {Awaited<ReturnType<typeof spawn>>} Reader */
/** The samples of main's S (one a rep) that are summarized, as M/s or retries per lookup.
 * @typedef {"one" | "two" | "idle" | "busy" | "insAlone" | "insWith" | "insWithMap" | "busyOther"
 *   | "retryBusy" | "retryIdle" | "atomic" | "plain" | "lib"} Measure */

// ------------------------------------------------------------ reader side

/**
 * The library's lookup protocol (src/reader.ts) as a standalone function
 * over a descriptor, with every load either an Atomics.load or a plain
 * typed-array read: the code is the same text, so the difference is the
 * loads alone. Returns get(key) → value or -1 (u32 maps), and stats.
 * @param {any} d @param {boolean} atomic @param {any} hash
 */
function makeLookup(d, atomic, hash) {
  const L = d.layout;
  const src = `
    let i32 = new Int32Array(memory.buffer), u8 = new Uint8Array(memory.buffer);
    const st = { retries: 0 };
    const h = d.h, seq = d.seq >>> 2, g0 = (d.groups >>> 2) + d.groupBase, gs = d.groupStride, gcm = d.groupCount - 1;
    const bs = L.bucketSize, ko = L.keys, vo = L.values, oo = L.overflow;
    // The header fields, read under map word hs (as GoMapReader caches them).
    let hs = -1, hash0 = 0, s1 = 0, mask = 0, gmask = 0, buckets = 0, old = 0, om = 0;
    function header(m1) {
      const h0 = L32((h + L.hmapHash0) >>> 2) >>> 0;
      const flags = L8(h + L.hmapFlags);
      const B = L8(h + L.hmapB);
      const bk = L32((h + L.hmapBuckets) >>> 2) >>> 0;
      const ol = L32((h + L.hmapOldbuckets) >>> 2) >>> 0;
      if (B > 31 || Atomics.load(i32, seq) >>> 0 !== m1) return false;
      hash0 = h0; s1 = seed1(h0); mask = B === 31 ? 0x7fffffff : (1 << B) - 1; gmask = gcm & (mask >>> 1);
      buckets = bk; old = ol; om = (flags & L.sameSizeGrow) !== 0 ? mask : mask >>> 1; hs = m1;
      return true;
    }
    function probe(key) {
      const size = u8.length;
      const x = hashWordsX(key, 0, hash0, s1);
      gw = g0 + (x & gmask) * gs;
      g1 = L32(gw);
      if ((g1 & 1) !== 0) return -2;
      let b = buckets + ((x & mask) >>> 0) * bs;
      if (old !== 0) {
        const ob = old + ((x & om) >>> 0) * bs;
        if (ob + bs > size) return -2;
        const t0 = L8(ob);
        if (t0 < L.evacuatedX || t0 > L.evacuatedEmpty) b = ob;
      }
      if (buckets === 0) return -1;
      const top = tophashOf(x);
      let steps = Math.floor(size / bs) + 1;
      while (b !== 0) {
        if (b + bs > size || (b & 3) !== 0 || --steps < 0) return -2;
        for (let i = 0; i < 8; i++) {
          const t = L8(b + i);
          if (t === top) {
            if (L32((b + ko + 4 * i) >>> 2) === (key | 0)) return L32((b + vo + 4 * i) >>> 2) >>> 0;
          } else if (t === L.emptyRest) return -1;
        }
        b = L32((b + oo) >>> 2) >>> 0;
      }
      return -1;
    }
    let gw = 0, g1 = 0;
    function get(key) {
      for (;;) {
        const m1 = Atomics.load(i32, seq) >>> 0;
        if ((m1 & 1) === 0 && (m1 === hs || header(m1))) {
          const v = probe(key);
          if (v !== -2 && Atomics.load(i32, gw) === g1 && Atomics.load(i32, seq) >>> 0 === m1) return v;
          if (u8.length !== memory.buffer.byteLength) { i32 = new Int32Array(memory.buffer); u8 = new Uint8Array(memory.buffer); }
        }
        st.retries++;
      }
    }
    return { get, st };`;
  return new Function("d", "L", "memory", "hashWordsX", "seed1", "tophashOf", expandLoads(src, atomic))(
    d,
    L,
    d.memory,
    hash.hashWordsX,
    hash.seed1,
    hash.tophashOf,
  );
}

/** L32(e) / L8(e) → Atomics.load(i32 | u8, e) or i32[e] / u8[e]. @param {string} src @param {boolean} atomic */
function expandLoads(src, atomic) {
  let out = "";
  for (let i = 0; i < src.length; ) {
    const m = /L(32|8)\(/y;
    m.lastIndex = i;
    if (!m.test(src)) {
      out += src[i++];
      continue;
    }
    const view = src[i + 1] === "3" ? "i32" : "u8";
    let j = m.lastIndex,
      depth = 1;
    while (depth > 0) {
      if (src[j] === "(") depth++;
      else if (src[j] === ")") depth--;
      j++;
    }
    const inner = expandLoads(src.slice(m.lastIndex, j - 1), atomic);
    out += atomic ? `Atomics.load(${view}, ${inner})` : `${view}[${inner}]`;
    i = j;
  }
  return out;
}

async function readerThread() {
  const port = parentPort;
  if (port === null) throw new Error("bench/shared: readerThread runs in a worker thread only");
  const { descriptor: d, mode, n, ctl: ctlBuf } = /** @type {ReaderData} */ (workerData);
  const ctl = new Int32Array(ctlBuf);
  const t0 = now();
  /** @type {(k: number) => number} */
  let get;
  /** @type {() => { lookups: number, retries: number }} */
  let stats;
  if (mode === "map") {
    // The JS alternative: a Map built from entries posted here.
    /** @type {{ keys: ArrayBuffer }} */
    const { keys } = await new Promise((res) => port.once("message", res));
    const ks = new Uint32Array(keys);
    /** @type {Map<number, number>} */
    const m = new Map();
    for (let i = 0; i < ks.length; i++) m.set(/** @type {number} */ (ks[i]), /** @type {number} */ (ks[i]) ^ VAL);
    get = (k) => m.get(k) ?? -1;
    stats = () => ({ lookups: 0, retries: 0 });
  } else if (mode === "lib") {
    const { attach } = await import("../dist/node.js");
    const r = attach(d);
    get = (k) => r.get(k) ?? -1;
    stats = () => r.stats;
  } else if (mode === "empty") {
    get = () => -1;
    stats = () => ({ lookups: 0, retries: 0 });
  } else {
    const hash = await import("../dist/hash.js");
    const l = makeLookup(d, mode === "atomic", hash);
    get = l.get;
    stats = () => ({ lookups: 0, retries: l.st.retries });
  }
  const first = mode === "empty" ? -1 : get(1);
  port.postMessage({ ready: now() - t0, first, rss: process.memoryUsage().rss });
  let round = 0;
  for (;;) {
    Atomics.wait(ctl, ROUND, round);
    round = Atomics.load(ctl, ROUND);
    if (round < 0) return;
    const r0 = stats().retries;
    let lookups = 0,
      hits = 0,
      sum = 0,
      x = (0x9e3779b9 * (round + 1)) | 1;
    while (Atomics.load(ctl, STOP) !== round) {
      for (let i = 0; i < 1024; i++) {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        const k = (x >>> 0) % n;
        const v = get(k);
        if (v !== -1) {
          hits++;
          sum = (sum + (v ^ k)) | 0;
        }
      }
      lookups += 1024;
    }
    port.postMessage({ lookups, hits, ok: sum === Math.imul(hits, VAL) ? 1 : 0, retries: stats().retries - r0 });
  }
}

// -------------------------------------------------------------- owner side

/** A reader thread: resolves once it answered its first lookup. Each has
 *  its own ctl words: a round starts only the readers it names.
 * @param {Descriptor} descriptor @param {Mode} mode @param {number} n
 * @param {Uint32Array} [keys] the map's keys (mode "map": posted to the worker) */
async function spawn(descriptor, mode, n, keys) {
  const ctl = new Int32Array(new SharedArrayBuffer(8));
  const t0 = now();
  const w = new Worker(SELF, { workerData: { descriptor, mode, n, ctl: ctl.buffer } });
  const ready = new Promise((res, rej) => {
    w.once("message", res);
    w.once("error", rej);
  });
  if (mode === "map") {
    if (keys === undefined) throw new Error("bench/shared: a map reader needs the keys");
    // Message passing: the entries (keys; values are key ^ VAL) as a copy.
    w.postMessage({ keys: keys.buffer.slice(0) });
  }
  const r = /** @type {any} */ (await ready);
  if (mode !== "empty" && r.first !== (1 ^ VAL) >>> 0) throw new Error(`${mode}: wrong first answer ${r.first}`);
  /** @type {RoundResult[]} */
  const results = [];
  w.on("message", (m) => results.push(m));
  return { w, ctl, startMs: now() - t0, results };
}

let rounds = 0;
/** Run the readers for ms (the owner idle, or running `busy` until the time is up).
 *  res: each reader's result, in the order of readers.
 * @template {[] | readonly Reader[]} R
 * @param {R} readers @param {number} ms @param {(deadline: number) => number} [busy]
 * @returns {Promise<{ secs: number, res: { [I in keyof R]: RoundResult }, ops: number }>} */
async function runRound(readers, ms, busy) {
  const round = ++rounds;
  const before = readers.map((r) => r.results.length);
  for (const r of readers) {
    Atomics.store(r.ctl, ROUND, round);
    Atomics.notify(r.ctl, ROUND);
  }
  const t0 = now();
  let ops = 0;
  if (busy) ops = busy(t0 + ms);
  else await sleep(ms);
  for (const r of readers) Atomics.store(r.ctl, STOP, round);
  const el = now() - t0;
  for (;;) {
    if (readers.every((r, i) => r.results.length > /** @type {number} */ (before[i]))) break;
    await sleep(1);
  }
  // Every reader has a result of this round (the loop above waited for it).
  const res = readers.map((r) => /** @type {RoundResult} */ (r.results[r.results.length - 1]));
  for (const r of res) if (!r.ok) throw new Error("a reader saw a wrong value");
  return { secs: el / 1000, res: /** @type {{ [I in keyof R]: RoundResult }} */ (res), ops };
}

async function main() {
  const n = Number(arg("n", "1e6"));
  const reps = Number(arg("reps", "5"));
  const ms = Number(arg("ms", "800"));
  const machine = machineInfo();
  const { Runtime } = await import("../dist/node.js");
  const rss0 = process.memoryUsage().rss;
  const rt = await Runtime.create({ shared: true, maxMemory: "1GiB" });
  const m = rt.map({ key: "u32", value: "u32" });
  const keys = new Uint32Array(n);
  for (let i = 0; i < n; i++) keys[i] = i;
  const vals = keys.map((k) => (k ^ VAL) >>> 0);
  for (let i = 0; i < n; i += 100_000) m.setMany(keys.subarray(i, i + 100_000), vals.subarray(i, i + 100_000));
  const d = rt.share(m);
  const rssMap = process.memoryUsage().rss;

  // The owner's insert loop over map mm (n entries, keys 0..n-1): fresh
  // keys until the deadline; cleanup() removes them again (untimed, after
  // the round).
  /** @param {any} mm */
  const inserter = (mm) => {
    let fresh = n;
    return {
      /** @param {number} deadline */
      insert: (deadline) => {
        let c = 0;
        while (now() < deadline) {
          for (let i = 0; i < 256; i++) mm.set(fresh++, 7);
          c += 256;
        }
        return c;
      },
      cleanup: () => {
        for (let k = n; k < fresh; k++) mm.delete(k);
        fresh = n;
      },
    };
  };
  const { insert, cleanup } = inserter(m);
  // Control: the same loop on an unshared runtime's map of the same size,
  // which no reader sees (the cores are shared, the memory is not).
  const rt2 = await Runtime.create({ maxMemory: "1GiB" });
  const m2 = rt2.map({ key: "u32", value: "u32" });
  for (let i = 0; i < n; i += 100_000) m2.setMany(keys.subarray(i, i + 100_000), vals.subarray(i, i + 100_000));
  const { insert: insert2, cleanup: cleanup2 } = inserter(m2);

  /** @type {Record<Measure, number[]> & { twoEach: number[][] }} */
  const S = {
    one: [],
    two: [],
    twoEach: [],
    idle: [],
    busy: [],
    insAlone: [],
    insWith: [],
    insWithMap: [],
    busyOther: [],
    retryBusy: [],
    retryIdle: [],
    atomic: [],
    plain: [],
    lib: [],
  };
  const lib1 = /** @type {const} */ ([await spawn(d, "lib", n)]);
  const lib2 = await spawn(d, "lib", n);
  const atomicR = await spawn(d, "atomic", n);
  const plainR = await spawn(d, "plain", n);
  const mapR = await spawn(d, "map", n, keys);
  const all = [lib1[0], lib2, atomicR, plainR, mapR];
  for (let rep = 0; rep < reps; rep++) {
    console.error(`rep ${rep + 1}/${reps}`);
    // (a)
    const r1 = await runRound(lib1, ms);
    S.one.push(r1.res[0].hits / r1.secs / 1e6);
    const r2 = await runRound([lib1[0], lib2], ms);
    S.two.push((r2.res[0].hits + r2.res[1].hits) / r2.secs / 1e6);
    S.twoEach.push(r2.res.map((r) => r.hits / r2.secs / 1e6));
    // (b)
    const rb = await runRound(lib1, ms, insert);
    S.busy.push(rb.res[0].hits / rb.secs / 1e6);
    S.insWith.push(rb.ops / rb.secs / 1e6);
    cleanup();
    S.retryBusy.push(rb.res[0].retries / rb.res[0].lookups);
    S.idle.push(r1.res[0].hits / r1.secs / 1e6);
    S.retryIdle.push(r1.res[0].retries / r1.res[0].lookups);
    // control: the reader while the owner inserts into another runtime's map
    const ro = await runRound(lib1, ms, insert2);
    S.busyOther.push(ro.res[0].hits / ro.secs / 1e6);
    cleanup2();
    // control: a reader thread busy with its own JS Map (no shared memory)
    const rc = await runRound([mapR], ms, insert);
    S.insWithMap.push(rc.ops / rc.secs / 1e6);
    cleanup();
    const t0 = now();
    const ia = insert(t0 + ms);
    S.insAlone.push(ia / ((now() - t0) / 1000) / 1e6);
    cleanup();
    // (d)
    const ra = await runRound([atomicR], ms);
    S.atomic.push(ra.res[0].hits / ra.secs / 1e6);
    const rp = await runRound([plainR], ms);
    S.plain.push(rp.res[0].hits / rp.secs / 1e6);
    S.lib.push(r1.res[0].hits / r1.secs / 1e6);
  }
  for (const r of all) {
    Atomics.store(r.ctl, ROUND, -1);
    Atomics.notify(r.ctl, ROUND);
  }
  await Promise.all(all.map((r) => r.w.terminate()));

  // (c) memory and start-up, one worker at a time, interleaved kinds.
  /** @type {Record<"lib" | "map" | "empty", number[]>} */
  const mem = { lib: [], map: [], empty: [] };
  /** @type {Record<"lib" | "map" | "empty", number[]>} */
  const start = { lib: [], map: [], empty: [] };
  for (let rep = 0; rep < reps; rep++) {
    for (const kind of /** @type {const} */ (["empty", "lib", "map"])) {
      globalThis.gc?.();
      await sleep(150);
      const before = process.memoryUsage().rss;
      const r = await spawn(d, kind, n, keys);
      globalThis.gc?.();
      await sleep(150);
      mem[kind].push((process.memoryUsage().rss - before) / MiB);
      start[kind].push(r.startMs);
      Atomics.store(r.ctl, ROUND, -1);
      Atomics.notify(r.ctl, ROUND);
      await r.w.terminate();
    }
  }
  finishMachine(machine);

  // twoEach stays as it is (arrays of per-reader samples): not a Measure.
  const sm = /** @type {Record<Measure, Summary>} */ (
    Object.fromEntries(
      Object.entries(S).map(([k, v]) => [k, typeof v[0] === "number" ? summary(/** @type {number[]} */ (v)) : v]),
    )
  );
  /** @param {Summary} s @param {number} [d] */
  const c = (s, d = 2) => `${s.median.toFixed(d)} (${s.min.toFixed(d)}–${s.max.toFixed(d)})`;
  /** @param {Measure} a @param {Measure} b */
  const ratio = (a, b) => (sm[a].median / sm[b].median).toFixed(2);
  /** @typedef {Record<"lib" | "map" | "empty", Summary>} WorkerSummaries */
  const memS = /** @type {WorkerSummaries} */ (
    Object.fromEntries(Object.entries(mem).map(([k, v]) => [k, summary(v)]))
  );
  const startS = /** @type {WorkerSummaries} */ (
    Object.fromEntries(Object.entries(start).map(([k, v]) => [k, summary(v)]))
  );
  const lines = [
    "# bench/shared",
    "",
    machineLine(machine),
    "",
    `One u32→u32 map of ${n.toExponential(0)} entries in a shared runtime; reader threads look up random present keys. ` +
      `Medians (min–max) of ${reps} interleaved reps of ${ms} ms each; M = 10^6.`,
    "",
    "| | measure | value | target |",
    "|---|---|---:|---|",
    `| (a) | 1 reader, owner idle: hits/s (M) | ${c(sm.one)} | |`,
    `| (a) | 2 readers, owner idle: total hits/s (M) | ${c(sm.two)} | |`,
    `| (a) | 2 readers ÷ 1 reader | ${ratio("two", "one")} | ≥ 1.8 |`,
    `| (b) | 1 reader, owner inserting: hits/s (M) | ${c(sm.busy)} | |`,
    `| (b) | reader: busy owner ÷ idle owner | ${ratio("busy", "idle")} | ≥ 0.70 |`,
    `| (b) | control: 1 reader while the owner inserts into an unshared runtime's map (M) | ${c(sm.busyOther)} | |`,
    `| (b) | reader: busy owner ÷ control (the cost of the writes themselves) | ${ratio("busy", "busyOther")} | |`,
    `| (b) | owner inserts/s alone (M) | ${c(sm.insAlone)} | |`,
    `| (b) | owner inserts/s with 1 reader (M) | ${c(sm.insWith)} | |`,
    `| (b) | owner: with reader ÷ alone | ${ratio("insWith", "insAlone")} | ≥ 0.85 |`,
    `| (b) | control: owner inserts/s while a thread looks up its own JS Map (M) | ${c(sm.insWithMap)} | |`,
    `| (b) | control ÷ alone: what sharing the 2 cores costs, with no shared memory | ${ratio("insWithMap", "insAlone")} | |`,
    `| (b) | owner: with reader ÷ control (the cost of being read) | ${ratio("insWith", "insWithMap")} | |`,
    `| (b) | retries per lookup, owner inserting | ${c(sm.retryBusy, 4)} | |`,
    `| (b) | retries per lookup, owner idle | ${c(sm.retryIdle, 4)} | |`,
    `| (d) | lookup with Atomics.load: hits/s (M) | ${c(sm.atomic)} | |`,
    `| (d) | the same lookup with plain reads: hits/s (M) | ${c(sm.plain)} | |`,
    `| (d) | Atomics ÷ plain | ${ratio("atomic", "plain")} | |`,
    `| (d) | GoMapReader.get (the library): hits/s (M) | ${c(sm.lib)} | |`,
    "",
    "(c) Memory and start-up of one more worker (RSS of the whole process, after a full collection; the time from `new Worker` to its first answer):",
    "",
    "| worker | RSS it adds, MiB | time to first answer, ms |",
    "|---|---:|---:|",
    `| empty (the JS engine alone) | ${c(memS.empty, 1)} | ${c(startS.empty, 0)} |`,
    `| attach(descriptor) | ${c(memS.lib, 1)} | ${c(startS.lib, 0)} |`,
    `| a Map built from posted entries | ${c(memS.map, 1)} | ${c(startS.map, 0)} |`,
    "",
    `The map itself: the owner's RSS grew ${((rssMap - rss0) / MiB).toFixed(1)} MiB to build it (runtime included); ` +
      `every attached worker reads that one copy.`,
  ];
  const md = lines.join("\n") + "\n";
  console.log(md);
  if (!flag("no-json")) {
    writeJson(fileURLToPath(new URL("./results/shared.json", import.meta.url)), {
      machine,
      n,
      reps,
      ms,
      samples: S,
      memory: mem,
      start,
    });
  }
  rt.close();
  rt2.close();
  process.exit(0);
}

if (isMainThread) await main();
else await readerThread();
