// Shared helpers of the benchmarks (bench/alloc.mjs, bench/maps.mjs,
// bench/capacity.mjs): command-line options, statistics, machine info,
// number formatting, quiescing between timed calls, peer instances.
import os from "node:os";
import { writeFileSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;

// ------------------------------------------------------------------ options

/** `--name=value` from argv, or dflt. */
export function arg(name, dflt) {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a === undefined ? dflt : a.slice(name.length + 3);
}
/** Whether `--name` is on the command line. */
export const flag = (name) => process.argv.includes(`--${name}`);
/** "16,48,1e5" -> [16, 48, 100000] */
export const list = (s) => s.split(",").filter(Boolean).map(Number);

// --------------------------------------------------------------- statistics

/** Median, min and max of a list of samples. */
export function summary(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { median, min: s[0], max: s[s.length - 1] };
}

// ------------------------------------------------------------ machine info

/** CPU, cores, Node/V8 versions, OS, date and load average: goes into every
 *  results file. Call `finishMachine(m)` at the end for the load after. */
export function machineInfo() {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model ?? "unknown",
    cores: cpus.length,
    node: process.version,
    v8: process.versions.v8,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    totalMemGiB: +(os.totalmem() / GiB).toFixed(1),
    loadavgBefore: os.loadavg().map((x) => +x.toFixed(2)),
    date: new Date().toISOString(),
  };
}

export function finishMachine(m) {
  m.loadavgAfter = os.loadavg().map((x) => +x.toFixed(2));
  return m;
}

/** One line for the top of a markdown report. */
export function machineLine(m) {
  const load = m.loadavgAfter ? `, load avg ${m.loadavgBefore[0]} → ${m.loadavgAfter[0]}` : "";
  return `${m.cpu}, ${m.cores} cores, Node ${m.node} (V8 ${m.v8}), ${m.os}, ${m.date}${load}`;
}

// --------------------------------------------------------------- formatting

/** 3 significant-ish digits: 1234 -> "1234", 12.34 -> "12.3", 1.234 -> "1.23". */
export function fmt(x) {
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
}
/** "median (min–max)" of a summary, or "–". */
export const cell = (s) => (s ? `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})` : "–");
export const mib = (b) => (b === undefined ? "–" : (b / MiB).toFixed(1));

// ------------------------------------------------------------------ pacing

/** gc() (needs node --expose-gc) then wait `settleMs`: V8 unmaps freed wasm
 *  memories in the background, and on a 2-core machine that would overlap
 *  the next timed call. */
export async function quiesce(settleMs) {
  globalThis.gc?.();
  if (settleMs > 0) await sleep(settleMs);
}

export function warnNoGc() {
  if (!globalThis.gc) console.error("note: run with node --expose-gc so old heaps are freed between repetitions");
}

// ------------------------------------------------------------------- peers

/** A fresh instance of a compiled AssemblyScript peer module (imports only
 *  `env.abort`, which throws an Error with AssemblyScript's message). */
export function peerInstance(module, what = "bench peer") {
  let memory = null;
  const env = {
    abort(msg, file, line, col) {
      const text = memory ? `${asString(memory, msg)} at ${asString(memory, file)}:${line}:${col}` : `at ${line}:${col}`;
      throw new Error(`${what} aborted: ${text}`);
    },
  };
  const exports = new WebAssembly.Instance(module, { env }).exports;
  memory = exports.memory ?? null;
  return exports;
}

/** An AssemblyScript string (UTF-16, byte length in the header word before it). */
function asString(memory, ptr) {
  if (!ptr) return "";
  const p = ptr >>> 0;
  const dv = new DataView(memory.buffer);
  const bytes = dv.getUint32(p - 4, true);
  let s = "";
  for (let i = 0; i < bytes && i < 512; i += 2) s += String.fromCharCode(dv.getUint16(p + i, true));
  return s;
}

// ------------------------------------------------------------------ output

export function writeJson(path, json) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(json, null, 2) + "\n");
  console.error(`wrote ${path}`);
}
