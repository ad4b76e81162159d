// bench/gc: how long the collector stops the program, per step.
//
// For heaps of 64 MiB, 256 MiB and 1 GiB made of numeric maps (a few large
// u64→u64 maps whose bucket arrays are noscan, plus thousands of small maps
// whose hmaps, mapextras and overflow lists are scanned), run a churn
// workload with automatic collection (GOGC=100) and record every pause: the
// cycle-start pause, each mutator assist, each safe-point mark step, each
// termination. Reports p50/p99/max per pause, mark throughput (bytes
// scanned per second of marking) and the GC CPU fraction of the churn
// phase. Target (issue 5): no single pause above 1 ms at 1 GiB.
//
//   node --expose-gc bench/gc.mjs [--sizes=64,256,1024] [--cycles=4]
import { Runtime } from "gomap-wasm";
import { boundaryOf } from "../dist/runtime.js";
import { MiB, arg, list, machineInfo, finishMachine, machineLine, writeJson, quiesce } from "./lib.mjs";
import { readCycle, readMemStatsRecord, readStepLog } from "../dist/records.js";

const sizesMiB = list(arg("sizes", "64,256,1024"));
const churnCycles = Number(arg("cycles", "4"));

/** @param {number[]} sorted @param {number} p */
function pct(sorted, p) {
  if (sorted.length === 0) return 0;
  return /** @type {number} */ (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]);
}

/** @param {number} targetMiB */
async function run(targetMiB) {
  const rt = await Runtime.create({ maxMemory: "4GiB", gcPercent: 100 });
  // "gomap-wasm" is dist/node.js here, whose Runtime is dist/runtime.js's
  // class; only the rolled-up declarations (dist/gomap-wasm.d.ts) declare it anew.
  const b = boundaryOf(/** @type {import("../dist/runtime.js").Runtime} */ (/** @type {unknown} */ (rt)));
  // Build: 1/8 of the heap in small maps (1000 entries each), the rest in big ones.
  /** @type {import("gomap-wasm").GoMap<"u64", "u64">[]} */
  const small = [];
  const big = [];
  let key = 1n;
  const t0 = performance.now();
  while (rt.readMemStats().HeapInuse < targetMiB * MiB * 0.125) {
    const m = rt.map({ key: "u64", value: "u64", hint: 1000 });
    const ks = new BigUint64Array(1000);
    for (let i = 0; i < 1000; i++) ks[i] = (key++ * 0x9e3779b97f4a7c15n) & 0xffffffffffffffffn;
    m.setMany(ks, ks);
    small.push(m);
  }
  while (rt.readMemStats().HeapInuse < targetMiB * MiB) {
    const m = rt.map({ key: "u64", value: "u64" });
    const n = 1 << 20;
    const ks = new BigUint64Array(n);
    for (let i = 0; i < n; i++) ks[i] = (key++ * 0x9e3779b97f4a7c15n) & 0xffffffffffffffffn;
    for (let i = 0; i < n && rt.readMemStats().HeapInuse < targetMiB * MiB; i += 65536) {
      m.setMany(ks.subarray(i, i + 65536), ks.subarray(i, i + 65536));
    }
    big.push(m);
  }
  const buildMs = performance.now() - t0;
  // Churn: replace small maps (allocation + garbage) and update big ones.
  const before = rt.readMemStats();
  // The core's MemStats record: a Record<string, number>, every field present.
  const gc0 = /** @type {number} */ (readMemStatsRecord(b).GCCPUNanos);
  const steps0 = readStepLog(b).count;
  let totalScanned = 0,
    cycles0 = before.NumGC;
  const seenCycles = new Set();
  const t1 = performance.now();
  let ops = 0;
  while (rt.readMemStats().NumGC - cycles0 < churnCycles) {
    const i = ops % small.length;
    /** @type {import("gomap-wasm").GoMap<"u64", "u64">} */ (small[i]).free();
    const m = rt.map({ key: "u64", value: "u64", hint: 1000 });
    const ks = new BigUint64Array(1000);
    for (let j = 0; j < 1000; j++) ks[j] = (key++ * 0x9e3779b97f4a7c15n) & 0xffffffffffffffffn;
    m.setMany(ks, ks);
    small[i] = m;
    ops += 1000;
    const s = rt.readMemStats().NumGC;
    if (!seenCycles.has(s)) {
      seenCycles.add(s);
      // readCycle() returns every field of the core's cycle record, scanned among them.
      totalScanned += /** @type {number} */ (readCycle(b).scanned);
    }
  }
  const wallMs = performance.now() - t1;
  const after = rt.readMemStats();
  const log = readStepLog(b);
  const steps = log.count - steps0;
  const recent = steps === 0 ? [] : log.recent.slice(-Math.min(steps, log.recent.length)).sort((x, y) => x - y);
  const gcDeltaNs = /** @type {number} */ (readMemStatsRecord(b).GCCPUNanos) - gc0;
  const res = {
    heapMiB: targetMiB,
    heapInuseMiB: +(after.HeapInuse / MiB).toFixed(1),
    smallMaps: small.length,
    bigMaps: big.length,
    buildMs: Math.round(buildMs),
    churnOps: ops,
    cycles: after.NumGC - cycles0,
    pauses: steps,
    pauseUs: {
      p50: +(pct(recent, 50) / 1e3).toFixed(1),
      p99: +(pct(recent, 99) / 1e3).toFixed(1),
      max: +((recent.at(-1) ?? 0) / 1e3).toFixed(1),
    },
    maxPauseEverUs: +(after.MaxPauseNs / 1e3).toFixed(1),
    scannedMiBPerCycle: after.NumGC > cycles0 ? +(totalScanned / seenCycles.size / MiB).toFixed(2) : 0,
    markMBps: 0,
    gcCpuFractionChurn: 0,
  };
  res.markMBps = gcDeltaNs > 0 ? +(totalScanned / 1e6 / (gcDeltaNs / 1e9)).toFixed(0) : 0;
  res.gcCpuFractionChurn = +(gcDeltaNs / (wallMs * 1e6)).toFixed(4);
  for (const m of [...small, ...big]) m.free();
  return res;
}

const machine = machineInfo();
const rows = [];
for (const size of sizesMiB) {
  await quiesce(200);
  rows.push(await run(size));
  console.error(JSON.stringify(rows.at(-1)));
}
finishMachine(machine);
console.log(`\n${machineLine(machine)}\n`);
console.log(
  "| heap | cycles | pauses | pause p50 µs | p99 µs | max µs | scanned/cycle MiB | mark MB/s | GC CPU (churn) |",
);
console.log("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
for (const r of rows) {
  console.log(
    `| ${r.heapMiB} MiB | ${r.cycles} | ${r.pauses} | ${r.pauseUs.p50} | ${r.pauseUs.p99} | ${r.pauseUs.max} | ${r.scannedMiBPerCycle} | ${r.markMBps} | ${(r.gcCpuFractionChurn * 100).toFixed(2)}% |`,
  );
}
writeJson(new URL("./results/gc.json", import.meta.url).pathname, { benchmark: "bench/gc", machine, rows });
