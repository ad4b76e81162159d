#!/usr/bin/env node
// bench/alloc: ns per allocation, our allocator vs AssemblyScript's TLSF.
//
//   npm run bench:alloc          (builds core, dist/ and the peer first)
//   node --expose-gc bench/alloc.mjs [--reps=7] [--warmup=2] [--sizes=16,48]
//                                    [--only=ours|tlsf|new] [--no-json]
//
// For each object size, every repetition allocates about 64 MiB
// (count = max(1000, 64 MiB / size)) in ONE call whose loop runs inside wasm:
//   ours   boundaryOf(rt).allocMany(size, count, noscan) on a fresh
//          Runtime.create({ maxMemory: "4GiB" })  (assembly/index.ts)
//   TLSF   allocMany(size, count) = heap.alloc in a loop, on a fresh instance
//          of bench/peer/alloc.ts (--runtime incremental -O3 --noAssert)
//   __new  newPinnedMany(size, count) = __new + __pin, same peer
// Fresh instance per repetition: every repetition starts from an empty heap.
// 2 warm-up repetitions (tier-up: the compiled modules are shared by all
// instances), then 7 measured; median and min–max of ns/alloc.
// Writes bench/results/alloc.json.
import os from "node:os";
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { Runtime } from "../dist/node.js";
import { boundaryOf } from "../dist/runtime.js";

const here = dirname(fileURLToPath(import.meta.url));
const PEER_WASM = join(here, "peer", "build", "alloc-peer.wasm");
const RESULTS = join(here, "results", "alloc.json");

const MiB = 1024 * 1024;
const TARGET_BYTES = 64 * MiB;
const MIN_COUNT = 1000;

function arg(name, dflt) {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a === undefined ? dflt : a.slice(name.length + 3);
}
const SIZES = arg("sizes", "16,48,144,208,4096,40000").split(",").map(Number);
const SCAN_SIZES = arg("scan-sizes", "48").split(",").filter(Boolean).map(Number); // noscan=false rows
const WARMUP = Number(arg("warmup", "2"));
const REPS = Number(arg("reps", "7"));
const ONLY = arg("only", "");
const WRITE_JSON = !process.argv.includes("--no-json");

const gc = globalThis.gc ?? (() => {});
if (!globalThis.gc) console.error("note: run with node --expose-gc so old heaps are freed between repetitions");

const countFor = (size) => Math.max(MIN_COUNT, Math.floor(TARGET_BYTES / size));

// ------------------------------------------------------------- the runners
// Each runner: set up a fresh heap (untimed), time one call, check the count.

const peerModule = await WebAssembly.compile(readFileSync(PEER_WASM));

function peerInstance() {
  let instance;
  const env = {
    abort(msg, file, line, col) {
      throw new Error(`peer abort at ${line}:${col}`);
    },
  };
  instance = new WebAssembly.Instance(peerModule, { env });
  return instance.exports;
}

async function runOurs(size, count, noscan) {
  const rt = await Runtime.create({ maxMemory: "4GiB" });
  const b = boundaryOf(rt);
  const mem0 = rt.memoryBytes;
  gc();
  const t0 = performance.now();
  const n = b.allocMany(size, count, noscan);
  const t1 = performance.now();
  if (n !== count) throw new Error(`ours: allocMany(${size}, ${count}) made only ${n}`);
  return { ns: ((t1 - t0) * 1e6) / count, memGrown: rt.memoryBytes - mem0 };
}

function runPeer(fn, size, count) {
  const ex = peerInstance();
  const mem0 = ex.memory.buffer.byteLength;
  gc();
  const t0 = performance.now();
  const n = ex[fn](size, count) >>> 0;
  const t1 = performance.now();
  if (n !== count) throw new Error(`peer ${fn}(${size}, ${count}) made only ${n}`);
  return { ns: ((t1 - t0) * 1e6) / count, memGrown: ex.memory.buffer.byteLength - mem0 };
}

const VARIANTS = [
  { key: "ours", label: "ours", run: (size, count, noscan) => runOurs(size, count, noscan) },
  { key: "tlsf", label: "TLSF heap.alloc", run: (size, count) => runPeer("allocMany", size, count) },
  { key: "tlsfNewPinned", label: "TLSF __new+__pin", run: (size, count) => runPeer("newPinnedMany", size, count) },
].filter((v) => ONLY === "" || v.key === ONLY || (ONLY === "new" && v.key === "tlsfNewPinned"));

// ------------------------------------------------------------ measurement

function summary(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { median, min: s[0], max: s[s.length - 1] };
}

async function measure(size, noscan) {
  const count = countFor(size);
  const samples = Object.fromEntries(VARIANTS.map((v) => [v.key, []]));
  const warm = Object.fromEntries(VARIANTS.map((v) => [v.key, []]));
  const memGrown = {};
  for (let rep = 0; rep < WARMUP + REPS; rep++) {
    // Interleave the variants so drift and neighbours' load hit all alike;
    // rotate the order so none always runs first.
    for (let k = 0; k < VARIANTS.length; k++) {
      const v = VARIANTS[(k + rep) % VARIANTS.length];
      const r = await v.run(size, count, noscan);
      (rep < WARMUP ? warm : samples)[v.key].push(r.ns);
      memGrown[v.key] = r.memGrown;
    }
  }
  const row = { size, noscan, count, bytesPerRep: size * count, memGrown, warmup: warm, samples: {} };
  for (const v of VARIANTS) row.samples[v.key] = { ...summary(samples[v.key]), all: samples[v.key] };
  if (row.samples.ours && row.samples.tlsf) row.ratio = row.samples.ours.median / row.samples.tlsf.median;
  return row;
}

// ------------------------------------------------------------------ output

const cpus = os.cpus();
const machine = {
  cpu: cpus[0]?.model ?? "unknown",
  cores: cpus.length,
  node: process.version,
  v8: process.versions.v8,
  os: `${os.type()} ${os.release()} ${os.arch()}`,
  loadavg: os.loadavg().map((x) => +x.toFixed(2)),
  date: new Date().toISOString(),
};

const fmt = (x) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const cell = (s) => (s ? `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})` : "–");

const rows = [];
const jobs = [...SIZES.map((s) => [s, true]), ...SCAN_SIZES.map((s) => [s, false])];
for (const [size, noscan] of jobs) {
  const row = await measure(size, noscan);
  rows.push(row);
  process.stderr.write(`  size ${size}${noscan ? "" : " (scan)"}: ${VARIANTS.map((v) => `${v.key} ${fmt(row.samples[v.key].median)}`).join(", ")} ns/alloc\n`);
}

const out = [];
out.push("## bench/alloc: ns per allocation (lower is better)");
out.push("");
out.push(`${machine.cpu}, ${machine.cores} cores, Node ${machine.node} (V8 ${machine.v8}), ${machine.os}, load ${machine.loadavg.join(" ")}, ${machine.date}`);
out.push(`Each repetition allocates ~64 MiB (count = max(${MIN_COUNT}, 64 MiB / size)) from an empty heap in one wasm call; ${WARMUP} warm-up + ${REPS} measured repetitions; median (min–max).`);
out.push("");
out.push("| size | ours ns/alloc | TLSF ns/alloc (heap.alloc) | ratio ours/TLSF | TLSF __new+__pin ns/alloc |");
out.push("|---:|---:|---:|---:|---:|");
for (const r of rows) {
  const size = `${r.size}${r.noscan ? "" : " (noscan=false)"}`;
  const ratio = r.ratio === undefined ? "–" : r.ratio.toFixed(2);
  out.push(`| ${size} | ${cell(r.samples.ours)} | ${cell(r.samples.tlsf)} | ${ratio} | ${cell(r.samples.tlsfNewPinned)} |`);
}
out.push("");
out.push("- ours: noscan=true unless marked; the noscan=false row uses the other span class of the same size class.");
out.push("- TLSF heap.alloc: AssemblyScript's raw __alloc (4-byte block header, no zeroing, no GC) — the like-for-like column.");
out.push("- TLSF __new+__pin: managed objects (16-byte header, payload zero-filled by __new, pinned so the collector cannot free");
out.push("  them). Pinned objects are GC roots, so this column also pays for incremental GC cycles that walk every pinned object;");
out.push("  it is not pure allocation cost and is shown for context only.");
out.push("- Neither allocator writes to the objects it returns (fresh heaps are already zero). TLSF writes a header in front of");
out.push("  every block; ours keeps metadata out of line.");
console.log(out.join("\n"));

if (WRITE_JSON) {
  mkdirSync(dirname(RESULTS), { recursive: true });
  const json = {
    benchmark: "bench/alloc",
    unit: "ns/alloc",
    machine,
    config: { targetBytesPerRep: TARGET_BYTES, minCount: MIN_COUNT, warmup: WARMUP, reps: REPS, ourMaxMemory: "4GiB", peer: "bench/peer/alloc.ts --runtime incremental -O3 --noAssert" },
    variants: Object.fromEntries(VARIANTS.map((v) => [v.key, v.label])),
    rows,
  };
  writeFileSync(RESULTS, JSON.stringify(json, null, 2) + "\n");
  console.error(`wrote ${RESULTS}`);
}
