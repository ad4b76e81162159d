#!/usr/bin/env node
// Builds what `npm install` (prepare), `npm test` and the benchmarks need:
//   build/release.wasm  asc --target release (-O3 --noAssert), with .wat
//   build/release-inline.js  the release core as base64 in an ES module: what
//                       the package loads by default, so every bundler and a
//                       CommonJS bundle find it with no configuration
//   build/debug.wasm    asc --target debug (asserts, checkers, source map)
//   build/{release,debug}.d.ts  the builds' own bindings (asc --bindings raw):
//                       the host's type of the core's exports
//   build/core-exports.js  the names each build exports (checked at load)
//   dist/               tsc -p tsconfig.build.json (the host library)
// Each step is skipped when its outputs are newer than its inputs. The
// core's inputs include the generators of its generated sources
// (scripts/mkmapapi.mjs → assembly/map/api.ts, api-debug.ts;
// scripts/mksizeclasses.mjs → assembly/mem/sizeclasses.ts); before the core
// is compiled each generator's --check must pass.
// Flags: --force rebuilds everything; --quiet prints nothing when up to date.
import { readdirSync, statSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const force = process.argv.includes("--force");
const quiet = process.argv.includes("--quiet");
/** @param {...unknown} a */
const log = (...a) => {
  if (!quiet) console.log(...a);
};

/** Newest mtime under the given paths (files or directories, relative to the root).
 * @param {readonly string[]} paths @returns {number} */
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

/** Oldest mtime of the given files, 0 when one is missing.
 * @param {readonly string[]} paths @returns {number} */
function oldest(paths) {
  let t = Infinity;
  for (const p of paths) {
    const full = join(root, p);
    if (!existsSync(full)) return 0;
    t = Math.min(t, statSync(full).mtimeMs);
  }
  return t;
}

/** @param {readonly string[]} inputs @param {readonly string[]} outputs */
function stale(inputs, outputs) {
  return force || oldest(outputs) < newest(inputs);
}

/** What the core is built from: its sources, the compiler settings, and
 *  the generators of its generated files (a generator change rebuilds it). */
const CORE_INPUTS = [
  "assembly",
  "asconfig.json",
  "package.json",
  "scripts/mkmapapi.mjs",
  "scripts/mksizeclasses.mjs",
  "scripts/state-globals.mjs",
];
/** Generators whose output is a core source: `--check` must pass first. */
const CORE_GENERATORS = ["scripts/mkmapapi.mjs", "scripts/mksizeclasses.mjs"];

export const CORE_TARGETS = [
  {
    target: "release",
    entry: "assembly/index.ts",
    outputs: ["build/release.wasm", "build/release.wat", "build/release.d.ts"],
    inline: "build/release-inline.js",
  },
  {
    target: "debug",
    entry: "assembly/debug.ts",
    outputs: ["build/debug.wasm", "build/debug.wasm.map", "build/debug.d.ts"],
  },
];

/** A generated core source that differs from its generator would build a
 *  core nobody can regenerate: refuse, with the generator's own message. */
function checkGenerated() {
  for (const g of CORE_GENERATORS) {
    const r = spawnSync(process.execPath, [join(root, g), "--check"], { cwd: root, encoding: "utf8" });
    if (r.status !== 0) {
      console.error(r.stderr);
      throw new Error(`${g} --check failed: a generated file is stale`);
    }
  }
}

async function buildCore() {
  const asc = (await import("assemblyscript/asc")).default;
  mkdirSync(join(root, "build"), { recursive: true });
  let checked = false;
  for (const t of CORE_TARGETS) {
    if (!stale(CORE_INPUTS, t.outputs)) continue;
    if (!checked) {
      checkGenerated();
      checked = true;
    }
    const t0 = performance.now();
    const { error, stderr } = await asc.main(
      [
        t.entry,
        "--config",
        "asconfig.json",
        "--target",
        t.target,
        "--transform",
        join(root, "scripts", "state-globals.mjs"),
      ],
      { stdout: process.stdout, stderr: process.stderr }, // asc resolves paths against the process's cwd: main() chdirs to the root
    );
    if (error) {
      console.error(stderr.toString());
      throw new Error(`asc --target ${t.target} failed: ${error.message}`);
    }
    addFingerprint(/** @type {string} */ (t.outputs[0]));
    log(`built ${t.outputs[0]} in ${(performance.now() - t0).toFixed(0)} ms`);
  }
  if (
    stale(
      ["build/release.wasm", "build/debug.wasm", "scripts/build.mjs"],
      [EXPORTS_OUT, EXPORTS_OUT.replace(/\.js$/, ".d.ts")],
    )
  ) {
    writeExportList();
  }
  for (const t of CORE_TARGETS) {
    const wasm = t.outputs[0];
    if (t.inline && wasm && stale([wasm, "scripts/build.mjs"], [t.inline, t.inline.replace(/\.js$/, ".d.ts")]))
      writeInline(wasm, t.inline);
  }
}

/** Name of the custom section that holds a core's fingerprint. */
export const FINGERPRINT_SECTION = "gomap-fingerprint";

/** Append the core's fingerprint to its wasm: the first 8 bytes of the
 *  SHA-256 of the module as compiled (code, data, globals, exports). A
 *  snapshot records it, and a restore into a core with another fingerprint
 *  is refused (src/snapshot.ts): an image is a copy of memory laid out by
 *  one exact build, so any other build could misread it.
 *  @param {string} file */
function addFingerprint(file) {
  const path = join(root, file);
  const wasm = readFileSync(path);
  const digest = createHash("sha256").update(wasm).digest().subarray(0, 8);
  const name = Buffer.from(FINGERPRINT_SECTION, "utf8");
  // A custom section: id 0, then its size, the name's length and bytes,
  // and the payload (sizes as one-byte LEB128: all are < 128).
  const body = Buffer.concat([Buffer.from([name.length]), name, digest]);
  writeFileSync(path, Buffer.concat([wasm, Buffer.from([0, body.length]), body]));
}

const EXPORTS_OUT = "build/core-exports.js";

/** The names each build exports, read from the compiled modules: the
 *  boundary checks a core it loads against them (a core of another version
 *  is refused by name, not misread). Their types come from the same
 *  builds' bindings (asc --bindings raw: build/release.d.ts, debug.d.ts). */
function writeExportList() {
  /** @param {string} f */
  const names = (f) =>
    WebAssembly.Module.exports(new WebAssembly.Module(readFileSync(join(root, f)))).map((e) => e.name);
  const release = names("build/release.wasm");
  const debugOnly = names("build/debug.wasm").filter((n) => !release.includes(n));
  const head = "// Code generated by scripts/build.mjs from build/release.wasm and build/debug.wasm. DO NOT EDIT.\n";
  writeFileSync(
    join(root, EXPORTS_OUT),
    `${head}export const RELEASE_EXPORTS = ${JSON.stringify(release)};\nexport const DEBUG_ONLY_EXPORTS = ${JSON.stringify(debugOnly)};\n`,
  );
  writeFileSync(
    join(root, EXPORTS_OUT.replace(/\.js$/, ".d.ts")),
    `${head}/** Every export of the release core. */\nexport declare const RELEASE_EXPORTS: readonly string[];\n/** What the debug core exports besides. */\nexport declare const DEBUG_ONLY_EXPORTS: readonly string[];\n`,
  );
  log(`wrote ${EXPORTS_OUT} (${release.length} release exports, ${debugOnly.length} debug-only)`);
}

/** The core's bytes as base64 in an ES module (src/loader.ts decodes it).
 *  A string literal survives every bundler and minifier unchanged. */
/** @param {string} wasm @param {string} out */
function writeInline(wasm, out) {
  const b64 = readFileSync(join(root, wasm)).toString("base64");
  const head = `// Code generated by scripts/build.mjs from ${wasm}. DO NOT EDIT.\n`;
  writeFileSync(join(root, out), `${head}export default "${b64}";\n`);
  writeFileSync(
    join(root, out.replace(/\.js$/, ".d.ts")),
    `${head}/** ${wasm}, base64. */\ndeclare const wasm: string;\nexport default wasm;\n`,
  );
  log(`wrote ${out} (${b64.length} bytes of base64)`);
}

function buildHost() {
  if (!stale(["src", "tsconfig.json", "tsconfig.build.json"], ["dist/index.js", "dist/node.js", "dist/browser.js"]))
    return;
  const t0 = performance.now();
  // The pinned TypeScript 7 by path: the typescript-5.9 alias (the type
  // tests' second compiler) also installs a `tsc` in node_modules/.bin.
  const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
  const r = spawnSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], { cwd: root, stdio: "inherit" });
  if (r.status !== 0) throw new Error("tsc -p tsconfig.build.json failed");
  if (
    spawnSync(process.execPath, [join(root, "scripts", "api.mjs"), ...(quiet ? ["--quiet"] : [])], {
      cwd: root,
      stdio: "inherit",
    }).status !== 0
  )
    throw new Error("api-extractor failed (node scripts/api.mjs): dist/gomap-wasm.d.ts, the published types, is wrong");
  log(`built dist/ in ${(performance.now() - t0).toFixed(0)} ms`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.chdir(root); // asc reads asconfig.json and writes build/ relative to the cwd
  await buildCore();
  buildHost();
}
