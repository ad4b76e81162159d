#!/usr/bin/env node
// bench/capacity: how many u32 -> u32 entries fit in one map, for ours, JS's
// Map and AssemblyScript's Map, inserting keys 0, 1, 2, ... (value = key)
// until the map cannot take more.
//
//   npm run bench:capacity            (builds core, dist/ and the peers first)
//   node bench/capacity.mjs [--chunk=1e6] [--every=1e7] [--only=ours,js,as] [--no-json]
//
//   ours  one rt.map({ key: "u32", value: "u32" }) on Runtime.create({ maxMemory: "4GiB" }),
//         m.setMany() in chunks until it throws OutOfMemoryError (e.done = entries
//         of the failing chunk that went in). (A size hint cannot help: like Go's
//         makemap, a hint whose hint x bucket size exceeds maxAlloc is ignored.)
//   JS    one new Map() in a child process (node --max-old-space-size=8192), so a
//         JS heap OOM could not kill this report; V8 caps a Map at 2^24 entries
//         and throws RangeError ("Map maximum size exceeded")
//   AS    AssemblyScript's Map<u32,u32> (bench/peer/asmap.ts fill32) until it
//         traps: TLSF cannot make a block of 1 GiB or more, nor grow memory past 4 GiB
// Progress (entries, memory, elapsed) every --every entries; writes
// bench/results/capacity.json and prints a markdown table.
import { readFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { spawn } from "node:child_process";
import { Runtime, OutOfMemoryError } from "../dist/node.js";
import { ASMAP_WASM } from "./peer/build-peer.mjs";
import { GiB, MiB, arg, flag, machineInfo, finishMachine, machineLine, peerInstance, writeJson } from "./lib.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const RESULTS = join(here, "results", "capacity.json");
const CHUNK = Number(arg("chunk", "1e6"));
const EVERY = Number(arg("every", "1e7"));
const ONLY = arg("only", "ours,js,as").split(",").filter(Boolean);
const JS_HEAP_MB = 8192;

/**
 * How a peer stopped, and its row of the results.
 * @typedef {{ name: string, message: string, doneInChunk?: number | undefined }} StopError
 * @typedef {{ peer: "ours", entries: number, error: StopError | null, B: number, bucketSize: number, growing: boolean,
 *   heapInuse: number, sys: number, memoryBytes: number, seconds: number }} OursRow
 * @typedef {{ peer: "js", entries: number | null, error: StopError | null, heapUsed?: number, rss?: number,
 *   memoryBytes?: number, seconds?: number }} JsRow
 * @typedef {{ peer: "as", entries: number, error: StopError, memoryBytes: number, seconds: number }} AsRow
 * @typedef {OursRow | JsRow | AsRow} Row
 */

const now = () => performance.now();
/** @param {number} ms */
const sec = (ms) => +(ms / 1000).toFixed(1);
/** @param {number} b */
const mem = (b) => (b >= GiB ? `${(b / GiB).toFixed(2)} GiB` : `${(b / MiB).toFixed(0)} MiB`);
/** @param {string} s */
const log = (s) => process.stderr.write(s + "\n");

// ----------------------------------------------------------- JS child side

if (flag("js-child")) {
  const t0 = now();
  const m = new Map();
  let n = 0;
  let error = null;
  try {
    for (;;) {
      m.set(n, n);
      n++;
      if (n % EVERY === 0) {
        const u = process.memoryUsage();
        log(
          `  JS Map: ${n.toLocaleString("en-US")} entries, heapUsed ${mem(u.heapUsed)}, rss ${mem(u.rss)}, ${sec(now() - t0)} s`,
        );
      }
    }
  } catch (e) {
    error = { name: /** @type {Error} */ (e).name, message: /** @type {Error} */ (e).message };
  }
  const u = process.memoryUsage();
  process.stdout.write(
    JSON.stringify({ entries: m.size, error, heapUsed: u.heapUsed, rss: u.rss, seconds: sec(now() - t0) }) + "\n",
  );
  process.exit(0);
}

// ------------------------------------------------------------------- ours

/** @returns {Promise<OursRow>} */
async function ours() {
  log(`ours: rt.map({ key: "u32", value: "u32" }), setMany in chunks of ${CHUNK.toLocaleString("en-US")}`);
  const rt = await Runtime.create({ maxMemory: "4GiB" });
  const m = rt.map({ key: "u32", value: "u32" });
  const keys = new Uint32Array(CHUNK);
  const t0 = now();
  let base = 0;
  let error = null;
  let nextReport = EVERY;
  for (;;) {
    for (let i = 0; i < CHUNK; i++) keys[i] = base + i;
    try {
      m.setMany(keys, keys);
    } catch (e) {
      if (!(e instanceof OutOfMemoryError)) throw e;
      error = { name: e.name, message: e.message, doneInChunk: e.done };
      break;
    }
    base += CHUNK;
    if (base >= nextReport) {
      nextReport += EVERY;
      const s = rt.readMemStats();
      log(
        `  ours: ${base.toLocaleString("en-US")} entries, HeapInuse ${mem(s.HeapInuse)}, Sys ${mem(s.Sys)}, ${sec(now() - t0)} s`,
      );
    }
    if (base + CHUNK > 0xffffffff) break; // u32 keys run out (never, at 4 GiB)
  }
  const seconds = sec(now() - t0);
  const s = rt.readMemStats();
  const info = rt.inspect(m);
  const entries = m.size;
  log(
    `  ours: stopped at ${entries.toLocaleString("en-US")} entries (${error ? error.message : "keys exhausted"}), B=${info.B}, Sys ${mem(s.Sys)}`,
  );
  return {
    peer: "ours",
    entries,
    error,
    B: info.B,
    bucketSize: info.bucketSize,
    growing: info.growing,
    heapInuse: s.HeapInuse,
    sys: s.Sys,
    memoryBytes: s.Sys,
    seconds,
  };
}

// --------------------------------------------------------------------- JS

/** @returns {Promise<JsRow>} */
function js() {
  log(`JS Map: new Map(), set(n, n), in node --max-old-space-size=${JS_HEAP_MB}`);
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [`--max-old-space-size=${JS_HEAP_MB}`, fileURLToPath(import.meta.url), "--js-child", `--every=${EVERY}`],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.on("error", reject);
    child.on("close", (code, signal) => {
      const line = out.trim().split("\n").pop();
      if (!line) {
        // The child died without a report (e.g. a JS heap OOM abort).
        resolve({
          peer: "js",
          entries: null,
          error: { name: "ChildDied", message: `exit code ${code}, signal ${signal}` },
        });
        return;
      }
      const r = JSON.parse(line);
      log(
        `  JS Map: stopped at ${r.entries.toLocaleString("en-US")} entries (${r.error ? `${r.error.name}: ${r.error.message}` : "no error"})`,
      );
      resolve({ peer: "js", ...r, memoryBytes: r.heapUsed });
    });
  });
}

// --------------------------------------------------------------------- AS

/** @returns {AsRow} */
function as() {
  log("AS Map<u32,u32>: fill32(start, n) in chunks of " + CHUNK.toLocaleString("en-US"));
  const ex = /** @type {import("./lib.mjs").AsMapPeer} */ (
    peerInstance(new WebAssembly.Module(readFileSync(ASMAP_WASM)), "AS map peer")
  );
  const t0 = now();
  let base = 0;
  let error = null;
  let nextReport = EVERY;
  for (;;) {
    try {
      ex.fill32(base, CHUNK);
    } catch (e) {
      error = { name: /** @type {Error} */ (e).name ?? "Error", message: /** @type {Error} */ (e).message };
      break;
    }
    base += CHUNK;
    if (base >= nextReport) {
      nextReport += EVERY;
      log(
        `  AS Map: ${base.toLocaleString("en-US")} entries, memory ${mem(ex.memory.buffer.byteLength)}, ${sec(now() - t0)} s`,
      );
    }
  }
  const seconds = sec(now() - t0);
  // After the trap the map itself is intact: the failing allocation was the
  // rehash's new arrays, made before any entry moved.
  const entries = ex.size32();
  log(
    `  AS Map: stopped at ${entries.toLocaleString("en-US")} entries (${error.message}), memory ${mem(ex.memory.buffer.byteLength)}`,
  );
  return { peer: "as", entries, error, memoryBytes: ex.memory.buffer.byteLength, seconds };
}

// ------------------------------------------------------------------- main

const machine = machineInfo();
/** @type {Row[]} */
const rows = [];
for (const p of ONLY) {
  if (p === "ours") rows.push(await ours());
  else if (p === "js") rows.push(await js());
  else if (p === "as") rows.push(as());
  else throw new Error(`unknown peer ${p}; known: ours, js, as`);
}
finishMachine(machine);

/** @type {Record<Row["peer"], string>} */
const LABEL = { ours: "ours: rt.map u32→u32 (maxMemory 4 GiB)", js: "JS Map", as: "AS Map<u32,u32>" };
/** @type {{ ours: (r: OursRow) => string, js: (r: JsRow) => string, as: (r: AsRow) => string }} */
const HOW = {
  ours: (r) =>
    r.error
      ? `${r.error.name} at B=${r.B}${r.entries === 6.5 * 2 ** r.B ? ` (the insert that grows it to B=${r.B + 1}: ${mem(2 ** (r.B + 1) * r.bucketSize)} of new buckets in one piece)` : ""}`
      : "u32 keys exhausted",
  js: (r) => (r.error ? `${r.error.name}: ${r.error.message}` : "–"),
  as: (r) => (r.error ? r.error.message : "–"),
};
/** @type {Record<Row["peer"], string>} */
const MEMWHAT = { ours: "linear memory", js: "JS heapUsed", as: "linear memory" };
const out = [];
out.push("## bench/capacity: u32 → u32 entries in one map (higher is better)");
out.push("");
out.push(machineLine(machine));
out.push("");
out.push("| peer | entries when it stopped | how it stopped | memory then | time |");
out.push("|---|---:|---|---:|---:|");
for (const r of rows) {
  const entries = r.entries === null ? "–" : r.entries.toLocaleString("en-US");
  const memory = r.memoryBytes === undefined ? "–" : `${mem(r.memoryBytes)} (${MEMWHAT[r.peer]})`;
  // HOW[r.peer] takes r's own row type, which TypeScript cannot correlate with r.peer.
  out.push(
    `| ${LABEL[r.peer]} | ${entries} | ${HOW[r.peer](/** @type {any} */ (r))} | ${memory} | ${r.seconds ?? "–"} s |`,
  );
}
console.log(out.join("\n"));

if (!flag("no-json")) {
  writeJson(RESULTS, {
    benchmark: "bench/capacity",
    machine,
    config: { chunk: CHUNK, every: EVERY, jsMaxOldSpaceMB: JS_HEAP_MB, ours: 'Runtime.create({ maxMemory: "4GiB" })' },
    rows,
  });
}
