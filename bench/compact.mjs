// bench/compact: does rt.compact() give memory back to the process?
//
// For each size (default 1e6 and 1e7 entries) and map shape, in a fresh
// child process: fill a map, delete 99% of the entries, collect, then
// compact. Reported before and after compaction: linear memory
// (rt.memoryBytes), HeapInuse, and the process's resident set and V8's
// external/arrayBuffers counters (process.memoryUsage(), after global.gc()
// and a short wait so V8 can unmap the dropped memory), the copy time, and
// "what the survivors need": the linear memory of a fresh runtime holding
// the same surviving entries in a map made with hint = count.
//
//   node --expose-gc bench/compact.mjs [--sizes=1e6,1e7] [--shapes=u64,string]
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { writeFileSync } from "node:fs";
import { arg, list, machineInfo, finishMachine, machineLine, writeJson } from "./lib.mjs";

/** @param {number} b */
const MB = (b) => (b / 1e6).toFixed(1);

/** @param {number} n @param {string} shape "u64" or "string" */
async function child(n, shape) {
  const { Runtime } = await import("../dist/node.js");
  const settle = async () => {
    for (let i = 0; i < 4; i++) {
      /** @type {() => void} */ (globalThis.gc)(); // the parent runs the child with --expose-gc
      await new Promise((r) => setTimeout(r, 150));
    }
    return process.memoryUsage();
  };
  const rt = await Runtime.create({ maxMemory: "4GiB" });
  /** @type {import("../dist/node.js").GoMap<"u64" | "string", "u64" | "string">} */
  const m = shape === "u64" ? rt.map({ key: "u64", value: "u64" }) : rt.map({ key: "string", value: "string" });
  const CH = 100_000;
  /** @param {number} from @param {number} to @returns {BigUint64Array | string[]} u64 keys or string keys, by shape */
  const keysOf = (from, to) => {
    if (shape === "u64")
      return BigUint64Array.from(
        { length: to - from },
        (_, i) => (BigInt(from + i) * 0x9e3779b97f4a7c15n) & 0xffffffffffffffffn,
      );
    return Array.from({ length: to - from }, (_, i) => `key-${from + i}`);
  };
  for (let i = 0; i < n; i += CH) {
    const ks = keysOf(i, Math.min(n, i + CH));
    m.setMany(ks, shape === "u64" ? ks : /** @type {string[]} */ (ks).map((k) => `value-of-${k}`));
  }
  for (let i = 0; i < n; i += CH) {
    const ks = keysOf(i, Math.min(n, i + CH));
    const dead = shape === "u64" ? ks.filter((_, j) => (i + j) % 100 !== 0) : ks.filter((_, j) => (i + j) % 100 !== 0);
    m.deleteMany(dead);
  }
  rt.gc();
  const s0 = rt.readMemStats();
  const before = { linear: rt.memoryBytes, heapInuse: s0.HeapInuse, mem: await settle() };
  const t0 = performance.now();
  const report = await rt.compact();
  const ms = performance.now() - t0;
  const s1 = rt.readMemStats();
  const after = { linear: rt.memoryBytes, heapInuse: s1.HeapInuse, mem: await settle() };
  // What the survivors need: a fresh runtime with the same entries.
  const fresh = await Runtime.create({ maxMemory: "4GiB" });
  /** @type {import("../dist/node.js").GoMap<"u64" | "string", "u64" | "string">} */
  const f =
    shape === "u64"
      ? fresh.map({ key: "u64", value: "u64", hint: m.size })
      : fresh.map({ key: "string", value: "string", hint: m.size });
  for (const [k, v] of m) f.set(k, v);
  if (f.size !== m.size) throw new Error("survivor copy mismatch");
  return {
    n,
    shape,
    survivors: m.size,
    before,
    after,
    compactMs: ms,
    copyMs: report.copyMs,
    needLinear: fresh.memoryBytes,
  };
}

if (process.argv[2] === "--child") {
  const r = await child(Number(process.argv[3]), /** @type {string} */ (process.argv[4]));
  process.stdout.write(JSON.stringify(r));
  process.exit(0);
}

const sizes = list(arg("sizes", "1e6,1e7"));
const shapes = arg("shapes", "u64,string").split(",");
const machine = machineInfo();
const rows = [];
for (const shape of shapes) {
  for (const n of sizes) {
    if (shape === "string" && n > 1e6 && !process.argv.includes("--big-strings")) continue; // 1e7 string pairs: ~2 GiB of JS strings to build
    const r = spawnSync(
      process.execPath,
      ["--expose-gc", "--max-old-space-size=6000", fileURLToPath(import.meta.url), "--child", String(n), shape],
      { encoding: "utf8", maxBuffer: 1 << 24 },
    );
    if (r.status !== 0) throw new Error(`child ${shape} ${n} failed:\n${r.stderr}`);
    const x = JSON.parse(r.stdout);
    rows.push(x);
    console.error(`done ${shape} ${n}`);
  }
}
finishMachine(machine);

const head =
  "| map | entries → survivors | linear mem before → after (MB) | survivors need (MB) | after / need | HeapInuse before → after (MB) | RSS before → after (MB) | external before → after (MB) | arrayBuffers before → after (MB) | compact ms |";
const lines = [head, "|---|---|---|---:|---:|---|---|---|---|---:|"];
for (const x of rows) {
  lines.push(
    `| ${x.shape === "u64" ? "u64→u64" : "string→string"} | ${x.n.toLocaleString("en")} → ${x.survivors.toLocaleString("en")} | ${MB(x.before.linear)} → ${MB(x.after.linear)} | ${MB(x.needLinear)} | ${(x.after.linear / x.needLinear).toFixed(2)} | ${MB(x.before.heapInuse)} → ${MB(x.after.heapInuse)} | ${MB(x.before.mem.rss)} → ${MB(x.after.mem.rss)} | ${MB(x.before.mem.external)} → ${MB(x.after.mem.external)} | ${MB(x.before.mem.arrayBuffers)} → ${MB(x.after.mem.arrayBuffers)} | ${x.compactMs.toFixed(0)} |`,
  );
}
const md = `${machineLine(machine)}\n\n${lines.join("\n")}\n\nMB = 10^6 bytes. "survivors need": linear memory of a fresh runtime holding the surviving entries in a map made with hint = count. RSS/external after global.gc() ×4 with 150 ms pauses.\n`;
console.log(md);
writeJson(new URL("./results/compact.json", import.meta.url).pathname, { benchmark: "bench/compact", machine, rows });
writeFileSync(new URL("./results/compact.md", import.meta.url), md);
