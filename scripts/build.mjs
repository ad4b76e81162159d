#!/usr/bin/env node
// Builds what `npm install` (prepare), `npm test` and the benchmarks need:
//   build/release.wasm  asc --target release (-O3 --noAssert), with .wat
//   build/debug.wasm    asc --target debug (asserts, checkers, source map)
//   dist/               tsc -p tsconfig.build.json (the host library)
// Each step is skipped when its outputs are newer than its inputs.
// Flags: --force rebuilds everything; --quiet prints nothing when up to date.
import { readdirSync, statSync, existsSync, mkdirSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { spawnSync } from "node:child_process";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const force = process.argv.includes("--force");
const quiet = process.argv.includes("--quiet");
const log = (...a) => { if (!quiet) console.log(...a); };

function newest(paths) {
  let t = 0;
  for (const p of paths) {
    const full = join(root, p);
    if (!existsSync(full)) continue;
    const st = statSync(full);
    if (st.isDirectory()) {
      t = Math.max(t, newest(readdirSync(full).map((f) => join(p, f))));
    } else {
      t = Math.max(t, st.mtimeMs);
    }
  }
  return t;
}

function oldest(paths) {
  let t = Infinity;
  for (const p of paths) {
    const full = join(root, p);
    if (!existsSync(full)) return 0;
    t = Math.min(t, statSync(full).mtimeMs);
  }
  return t;
}

function stale(inputs, outputs) {
  return force || oldest(outputs) < newest(inputs);
}

export const CORE_TARGETS = [
  { target: "release", entry: "assembly/index.ts", outputs: ["build/release.wasm", "build/release.wat"] },
  { target: "debug", entry: "assembly/debug.ts", outputs: ["build/debug.wasm", "build/debug.wasm.map"] },
];

async function buildCore() {
  const asc = (await import("assemblyscript/asc")).default;
  mkdirSync(join(root, "build"), { recursive: true });
  for (const t of CORE_TARGETS) {
    if (!stale(["assembly", "asconfig.json", "package.json"], t.outputs)) continue;
    const t0 = performance.now();
    const { error, stderr } = await asc.main(
      [t.entry, "--config", "asconfig.json", "--target", t.target],
      { stdout: process.stdout, stderr: process.stderr, cwd: root } ,
    );
    if (error) {
      console.error(stderr.toString());
      throw new Error(`asc --target ${t.target} failed: ${error.message}`);
    }
    log(`built ${t.outputs[0]} in ${(performance.now() - t0).toFixed(0)} ms`);
  }
}

function buildHost() {
  if (!stale(["src", "tsconfig.json", "tsconfig.build.json"], ["dist/index.js", "dist/node.js", "dist/browser.js"])) return;
  const t0 = performance.now();
  const tsc = join(root, "node_modules", ".bin", "tsc");
  const r = spawnSync(tsc, ["-p", "tsconfig.build.json"], { cwd: root, stdio: "inherit" });
  if (r.status !== 0) throw new Error("tsc -p tsconfig.build.json failed");
  log(`built dist/ in ${(performance.now() - t0).toFixed(0)} ms`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await buildCore();
  buildHost();
}
