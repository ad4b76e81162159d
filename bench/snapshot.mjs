#!/usr/bin/env node
// bench/snapshot: how fast maps are saved and loaded (rt.snapshot,
// Runtime.restore; docs/snapshot.md), against the floor and against
// rebuilding, in the same process.
//
//   npm run bench:snapshot [-- options]
//   node --expose-gc bench/snapshot.mjs [--sizes=1e6,1e7] [--shapes=u64,str] [--reps=5]
//                                       [--huge=3e8] [--no-json]
//
// Per (shape, size), in a fresh child process, `reps` interleaved rounds of:
//   rebuild   a fresh runtime filled with setMany (1e5-entry chunks): what
//             a user without snapshots pays to have the map again
//   snapshot  rt.snapshot({ maps }) (the collection to the quiet point
//             included) → bytes
//   copy      the same number of bytes copied out of linear memory into a
//             fresh Uint8Array: the floor of any snapshot
//   floor     a WebAssembly.Memory of the image's memory size, and the
//             image's bytes copied into it once: the floor of any restore
//             (first-touch page faults dominate it)
//   restore   Runtime.restore(bytes): header, copy, checksum, the core's
//             structural checks of the heap and every map, the maps made
// Reported: medians (min–max) in ms, the ratios the targets name,
// and the image size against HeapInuse.
//
// --huge=N: one u32→u32 map of N entries (≥ 3e8 makes a ~4 GiB-class
// runtime): rt.snapshotTo(file), then Runtime.restoreFrom(file) from a warm
// page cache against reading the same file into a preallocated Buffer.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { mkdtempSync, openSync, readSync, closeSync, statSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { arg, flag, list, summary, machineInfo, finishMachine, machineLine, writeJson, fmt } from "./lib.mjs";

const SELF = fileURLToPath(import.meta.url);
const now = () => performance.now();

/** @param {string} shape @param {number} n */
function keysFor(shape, n) {
  if (shape === "u64") {
    const k = new BigUint64Array(n);
    let x = 0x9e3779b97f4a7c15n;
    for (let i = 0; i < n; i++) {
      x = (x * 6364136223846793005n + 1442695040888963407n) & 0xffffffffffffffffn;
      k[i] = x;
    }
    return { keys: k, values: k };
  }
  if (shape === "u32") {
    const k = new Uint32Array(n);
    for (let i = 0; i < n; i++) k[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      const t = /** @type {number} */ (k[i]);
      k[i] = /** @type {number} */ (k[j]);
      k[j] = t;
    }
    return { keys: k, values: k };
  }
  const keys = Array.from({ length: n }, (_, i) => `key-${i}`);
  return { keys, values: keys.map((s) => `value-of-${s}`) };
}

/** @param {any} Runtime @param {string} shape @param {{keys: any, values: any}} data */
async function build(Runtime, shape, data, maxMemory = "4GiB") {
  const rt = await Runtime.create({ maxMemory });
  const kind = shape === "str" ? "string" : shape;
  const m = rt.map({ key: kind, value: kind });
  const n = data.keys.length;
  const CH = 100_000;
  for (let i = 0; i < n; i += CH) m.setMany(data.keys.slice(i, i + CH), data.values.slice(i, i + CH));
  return { rt, m };
}

async function child() {
  const [shape = "u64", nStr, repsStr] = /** @type {string} */ (arg("child", "")).split(":");
  const n = Number(nStr),
    reps = Number(repsStr);
  const { Runtime } = await import("../dist/node.js");
  const { boundaryOf } = await import("../dist/runtime.js");
  const data = keysFor(shape, n);
  const gc = /** @type {() => void} */ (globalThis.gc);
  /** @type {{ rebuild: number[], snapshot: number[], copy: number[], floor: number[], restore: number[] }} */
  const t = { rebuild: [], snapshot: [], copy: [], floor: [], restore: [] };
  let imageBytes = 0,
    heapInuse = 0,
    linear = 0,
    pages = 0,
    maxPages = 0;
  // Warm-up: load and compile the core, tier up the host code.
  {
    const w = await build(Runtime, shape, keysFor(shape, 20_000));
    const img = w.rt.snapshot({ maps: { m: w.m } });
    (await Runtime.restore(img)).rt.close();
    w.rt.close();
  }
  for (let r = 0; r < reps; r++) {
    gc();
    let t0 = now();
    const { rt, m } = await build(Runtime, shape, data);
    t.rebuild.push(now() - t0);
    gc();
    t0 = now();
    const img = rt.snapshot({ maps: { m } });
    t.snapshot.push(now() - t0);
    const stats = rt.readMemStats();
    heapInuse = stats.HeapInuse;
    linear = rt.memoryBytes;
    imageBytes = img.length;
    pages = new DataView(img.buffer).getUint32(32, true);
    maxPages = new DataView(img.buffer).getUint32(36, true);
    // The copy floor: the same bytes out of linear memory into a fresh array.
    {
      const src = boundaryOf(rt).u8;
      gc();
      t0 = now();
      const out = new Uint8Array(img.length);
      out.set(src.subarray(0, Math.min(img.length, src.length)));
      t.copy.push(now() - t0);
    }
    rt.close();
    gc();
    // The restore floor: a memory of the image's size, the image copied in once.
    t0 = now();
    {
      const mem = new WebAssembly.Memory({ initial: pages, maximum: maxPages });
      new Uint8Array(mem.buffer).set(img.subarray(0, Math.min(img.length, pages * 65536)));
    }
    t.floor.push(now() - t0);
    gc();
    t0 = now();
    const back = await Runtime.restore(img);
    t.restore.push(now() - t0);
    const got = back.maps.m?.size;
    if (got !== n) throw new Error(`restored ${got} entries, want ${n}`);
    back.rt.close();
    gc();
  }
  const s = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, summary(v)]));
  process.stdout.write(`${JSON.stringify({ shape, n, reps, imageBytes, heapInuse, linear, times: t, s })}\n`);
}

/** --huge: one big u32→u32 map to a file and back. */
async function hugeChild() {
  const n = Number(arg("huge-child", "3e8"));
  const { Runtime } = await import("../dist/node.js");
  const dir = mkdtempSync(join(tmpdir(), "gomap-snap-"));
  const file = join(dir, "huge.gomap");
  try {
    const rt = await Runtime.create({ maxMemory: "4GiB" });
    const m = rt.map({ key: "u32", value: "u32", hint: n });
    const CH = 1 << 20;
    const k = new Uint32Array(CH);
    let t0 = now();
    for (let i = 0; i < n; i += CH) {
      const len = Math.min(CH, n - i);
      for (let j = 0; j < len; j++) k[j] = (Math.imul(i + j, 0x9e3779b1) >>> 0) ^ 0x5bd1e995;
      m.setMany(k.subarray(0, len), k.subarray(0, len));
    }
    const buildMs = now() - t0;
    const heapInuse = rt.readMemStats().HeapInuse;
    t0 = now();
    await rt.snapshotTo(file, { maps: { m } });
    const snapshotMs = now() - t0;
    const size = statSync(file).size;
    const count = m.size;
    rt.close();
    /** @type {number[]} */
    const readMs = [],
      rereadMs = [],
      restoreMs = [];
    /** Read the file into `buf` (warm page cache). @param {Buffer} buf */
    const readInto = (buf) => {
      const t = now();
      const fd = openSync(file, "r");
      for (let at = 0; at < size; ) at += readSync(fd, buf, at, Math.min(1 << 30, size - at), at);
      closeSync(fd);
      return now() - t;
    };
    for (let r = 0; r < 3; r++) {
      // Into a preallocated Buffer whose pages were never touched (the
      // first-touch page faults are part of any load into new memory, as
      // they are of a restore's new linear memory), then into the same
      // Buffer again (its pages mapped: the copy alone).
      const buf = Buffer.allocUnsafe(size);
      readMs.push(readInto(buf));
      rereadMs.push(readInto(buf));
      /** @type {() => void} */ (globalThis.gc)();
      t0 = now();
      const back = await Runtime.restoreFrom(file);
      restoreMs.push(now() - t0);
      if (back.maps.m?.size !== count) throw new Error("huge: entries lost");
      back.rt.close();
      /** @type {() => void} */ (globalThis.gc)();
    }
    process.stdout.write(
      `${JSON.stringify({ huge: true, n, count, size, heapInuse, buildMs, snapshotMs, readMs, rereadMs, restoreMs })}\n`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** @param {string[]} args */
function spawnChild(args) {
  const r = spawnSync(process.execPath, ["--expose-gc", "--max-old-space-size=8192", SELF, ...args], {
    encoding: "utf8",
    maxBuffer: 1 << 26,
    stdio: ["ignore", "pipe", "inherit"],
  });
  if (r.status !== 0) throw new Error(`child ${args.join(" ")} failed (${r.status})`);
  return JSON.parse(r.stdout.trim().split("\n").at(-1) ?? "{}");
}

/** @param {number} x */
const ms = (x) => fmt(x);

async function main() {
  const sizes = list(arg("sizes", "1e6,1e7"));
  const shapes = arg("shapes", "u64,str").split(",");
  const reps = Number(arg("reps", "5"));
  const machine = machineInfo();
  /** @type {any[]} */
  const rows = [];
  for (const shape of shapes) {
    for (const n of sizes) {
      if (shape === "str" && n > 1e6 && !flag("str-big")) continue;
      const r = spawnChild([`--child=${shape}:${n}:${reps}`]);
      rows.push(r);
      const { s } = r;
      console.log(
        `${shape} n=${n}: rebuild ${ms(s.rebuild.median)} ms, snapshot ${ms(s.snapshot.median)} (copy ${ms(s.copy.median)}), ` +
          `restore ${ms(s.restore.median)} (floor ${ms(s.floor.median)}); image ${(r.imageBytes / 2 ** 20).toFixed(1)} MiB, ` +
          `HeapInuse ${(r.heapInuse / 2 ** 20).toFixed(1)} MiB`,
      );
    }
  }
  /** @type {any} */
  let huge = null;
  const hugeN = arg("huge", undefined);
  if (hugeN !== undefined) {
    huge = spawnChild([`--huge-child=${hugeN}`]);
    console.log(JSON.stringify(huge));
  }
  finishMachine(machine);
  const md = [
    "# bench/snapshot",
    "",
    `${machineLine(machine)}`,
    "",
    "Medians of interleaved repetitions, ms (min–max). Ratios are of medians.",
    "",
    "| shape | entries | rebuild (setMany) | snapshot | copy of its bytes | snapshot ÷ copy | restore | floor | restore ÷ floor | rebuild ÷ restore | image MiB | HeapInuse MiB | image ÷ HeapInuse |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...rows.map((r) => {
      /** @param {string} k */
      const c = (k) => `${ms(r.s[k].median)} (${ms(r.s[k].min)}–${ms(r.s[k].max)})`;
      return `| ${r.shape} | ${r.n.toExponential(0)} | ${c("rebuild")} | ${c("snapshot")} | ${c("copy")} | ${(r.s.snapshot.median / r.s.copy.median).toFixed(2)} | ${c("restore")} | ${c("floor")} | ${(r.s.restore.median / r.s.floor.median).toFixed(2)} | ${(r.s.rebuild.median / r.s.restore.median).toFixed(1)} | ${(r.imageBytes / 2 ** 20).toFixed(1)} | ${(r.heapInuse / 2 ** 20).toFixed(1)} | ${(r.imageBytes / r.heapInuse).toFixed(3)} |`;
    }),
  ];
  if (huge) {
    const rd = summary(huge.readMs),
      rr = summary(huge.rereadMs),
      rs = summary(huge.restoreMs);
    md.push(
      "",
      `Huge: ${huge.count} u32→u32 entries, file ${(huge.size / 2 ** 30).toFixed(2)} GiB (HeapInuse ${(huge.heapInuse / 2 ** 30).toFixed(2)} GiB); ` +
        `built in ${ms(huge.buildMs)} ms, snapshotTo(file) ${ms(huge.snapshotMs)} ms; from a warm page cache: ` +
        `read into a preallocated, untouched Buffer ${ms(rd.median)} ms (${ms(rd.min)}–${ms(rd.max)}), ` +
        `into the same Buffer again ${ms(rr.median)} ms (${ms(rr.min)}–${ms(rr.max)}); ` +
        `Runtime.restoreFrom(file) ${ms(rs.median)} ms (${ms(rs.min)}–${ms(rs.max)}): ${(rs.median / rd.median).toFixed(2)}× the read into untouched memory, ` +
        `${(rs.median / rr.median).toFixed(1)}× the copy alone.`,
    );
  }
  const text = `${md.join("\n")}\n`;
  console.log(`\n${text}`);
  if (!flag("no-json")) {
    writeJson("bench/results/snapshot.json", { machine, rows, huge });
    writeFileSync("bench/results/snapshot.md", text);
  }
}

if (arg("child", undefined) !== undefined) await child();
else if (arg("huge-child", undefined) !== undefined) await hugeChild();
else await main();
