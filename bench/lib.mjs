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

/**
 * `--name=value` from argv, or dflt.
 * @template {string | undefined} D
 * @param {string} name
 * @param {D} dflt
 * @returns {string | D}
 */
export function arg(name, dflt) {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a === undefined ? dflt : a.slice(name.length + 3);
}
/** Whether `--name` is on the command line. @param {string} name */
export const flag = (name) => process.argv.includes(`--${name}`);
/** "16,48,1e5" -> [16, 48, 100000] @param {string} s */
export const list = (s) => s.split(",").filter(Boolean).map(Number);

// --------------------------------------------------------------- statistics

/**
 * @typedef {{ median: number, min: number, max: number }} Summary
 */

/**
 * Median, min and max of a list of samples (at least one).
 * @param {readonly number[]} xs
 * @returns {Summary}
 */
export function summary(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const lo = /** @type {number} */ (s[mid - 1]);
  const hi = /** @type {number} */ (s[mid]);
  const median = s.length % 2 ? hi : (lo + hi) / 2;
  return { median, min: /** @type {number} */ (s[0]), max: /** @type {number} */ (s[s.length - 1]) };
}

/**
 * @typedef {Summary & { q1: number, q3: number, n: number }} Quartiles
 */

/**
 * Median, min, max and the quartiles (linear interpolation between order
 * statistics, as numpy's default) of a list of samples (at least one).
 * @param {readonly number[]} xs
 * @returns {Quartiles}
 */
export function quartiles(xs) {
  const s = [...xs].sort((a, b) => a - b);
  /** @param {number} p */
  const at = (p) => {
    const h = (s.length - 1) * p,
      lo = Math.floor(h);
    const a = /** @type {number} */ (s[lo]),
      b = /** @type {number} */ (s[Math.min(lo + 1, s.length - 1)]);
    return a + (h - lo) * (b - a);
  };
  return { ...summary(s), q1: at(0.25), q3: at(0.75), n: s.length };
}

// ------------------------------------------------------------ machine info

/**
 * What machineInfo() returns; finishMachine() adds `loadavgAfter`.
 * @typedef {{ cpu: string, cores: number, node: string, v8: string, os: string, totalMemGiB: number,
 *   loadavgBefore: number[], date: string, loadavgAfter?: number[] }} Machine
 */

/** CPU, cores, Node/V8 versions, OS, date and load average: goes into every
 *  results file. Call `finishMachine(m)` at the end for the load after.
 *  @returns {Machine} */
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

/** @param {Machine} m */
export function finishMachine(m) {
  m.loadavgAfter = os.loadavg().map((x) => +x.toFixed(2));
  return m;
}

/** One line for the top of a markdown report. @param {Machine} m */
export function machineLine(m) {
  const load = m.loadavgAfter ? `, load avg ${m.loadavgBefore[0]} → ${m.loadavgAfter[0]}` : "";
  return `${m.cpu}, ${m.cores} cores, Node ${m.node} (V8 ${m.v8}), ${m.os}, ${m.date}${load}`;
}

// --------------------------------------------------------------- formatting

/** 3 significant-ish digits: 1234 -> "1234", 12.34 -> "12.3", 1.234 -> "1.23". @param {number} x */
export function fmt(x) {
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
}
/** "median (min–max)" of a summary, or "–". @param {Summary | undefined} s */
export const cell = (s) => (s ? `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})` : "–");
/** @param {number | undefined} b bytes */
export const mib = (b) => (b === undefined ? "–" : (b / MiB).toFixed(1));

// ------------------------------------------------------------------ pacing

/** gc() (needs node --expose-gc) then wait `settleMs`: V8 unmaps freed wasm
 *  memories in the background, and on a 2-core machine that would overlap
 *  the next timed call.
 *  @param {number} settleMs */
export async function quiesce(settleMs) {
  globalThis.gc?.();
  if (settleMs > 0) await sleep(settleMs);
}

export function warnNoGc() {
  if (!globalThis.gc) console.error("note: run with node --expose-gc so old heaps are freed between repetitions");
}

// ------------------------------------------------------------------- peers

/**
 * The exports of bench/peer/alloc.ts (build/alloc-peer.wasm).
 * @typedef {{
 *   memory: WebAssembly.Memory,
 *   allocMany(size: number, count: number): number,
 *   newPinnedMany(size: number, count: number): number,
 *   newGarbageMany(size: number, count: number): number,
 * }} AllocPeer
 */

/**
 * The exports of bench/peer/asmap.ts (build/asmap-peer.wasm): addresses and
 * i32/u32/f64 are numbers, u64 a bigint, bool 0 or 1.
 * @typedef {{
 *   memory: WebAssembly.Memory,
 *   alloc(bytes: number): number, collect(): void,
 *   fresh32(): void, fresh64(): void, freshS(): void,
 *   sizeS(): number, size32(): number, size64(): number, clear32(): void, clear64(): void,
 *   set32(k: number, v: number): void, get32(k: number): number, has32(k: number): number, del32(k: number): number,
 *   set53(k: number, v: number): void, get53(k: number): number, del53(k: number): number,
 *   set64(k: bigint, v: number): void, get64(k: bigint): number, del64(k: bigint): number,
 *   setMany32(keys: number, vals: number, n: number): void, getMany32(keys: number, out: number, n: number): number,
 *   deleteMany32(keys: number, n: number): number,
 *   setMany64(keys: number, vals: number, n: number): void, getMany64(keys: number, out: number, n: number): number,
 *   deleteMany64(keys: number, n: number): number,
 *   iter32(): number, iter64(): number, iterXor(): number,
 *   setS(p: number, len: number, v: number): void, getS(p: number, len: number): number, delS(p: number, len: number): number,
 *   setManyS(tab: number, vals: number, n: number): void, getManyS(tab: number, out: number, n: number): number,
 *   deleteManyS(tab: number, n: number): number, iterS(): number,
 *   fill32(start: number, n: number): void,
 * }} AsMapPeer
 */

/** A fresh instance of a compiled AssemblyScript peer module (imports only
 *  `env.abort`, which throws an Error with AssemblyScript's message).
 *  The caller casts the exports to the peer's type (AllocPeer, AsMapPeer).
 *  @param {WebAssembly.Module} module
 *  @returns {WebAssembly.Exports} */
export function peerInstance(module, what = "bench peer") {
  /** @type {WebAssembly.Memory | null} */
  let memory = null;
  const env = {
    /** AssemblyScript's abort(message, fileName, line, column): string pointers and numbers.
     *  @param {number} msg @param {number} file @param {number} line @param {number} col */
    abort(msg, file, line, col) {
      const text = memory
        ? `${asString(memory, msg)} at ${asString(memory, file)}:${line}:${col}`
        : `at ${line}:${col}`;
      throw new Error(`${what} aborted: ${text}`);
    },
  };
  const exports = new WebAssembly.Instance(module, { env }).exports;
  memory = /** @type {WebAssembly.Memory | undefined} */ (exports.memory) ?? null;
  return exports;
}

/** An AssemblyScript string (UTF-16, byte length in the header word before it).
 *  @param {WebAssembly.Memory} memory @param {number} ptr */
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

/** @param {string} path @param {unknown} json */
export function writeJson(path, json) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(json, null, 2) + "\n");
  console.error(`wrote ${path}`);
}
