#!/usr/bin/env node
// Builds what `npm install` (prepare), `npm test` and the benchmarks need:
//   build/release.wasm  asc --target release (-O3 --noAssert), with .wat
//   build/release-inline.js  the release core as base64 in an ES module: what
//                       the package loads by default, so every bundler and a
//                       CommonJS bundle find it with no configuration
//   build/debug.wasm    asc --target debug (asserts, checkers, source map)
//   build/{release,debug}-shared.wasm  the same cores importing a shared
//                       memory (Runtime.create({ shared: true })); the code is
//                       byte-identical, so are the fingerprints
//                       (the package ships debug-shared.wasm; the shared
//                       release core is made at load from the inlined release
//                       core by patching its memory import: src/loader.ts)
//   build/{release,debug}.d.ts  the builds' own bindings (asc --bindings raw):
//                       the host's type of the core's exports
//   build/core-exports.js  the names each build exports (checked at load),
//                       and where the release core's memory-import limits are
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
    shared: "build/release-shared.wasm",
  },
  {
    target: "debug",
    entry: "assembly/debug.ts",
    outputs: ["build/debug.wasm", "build/debug.wasm.map", "build/debug.d.ts"],
    shared: "build/debug-shared.wasm",
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
        // Compiled for a shared memory (the optimiser then assumes other
        // threads may look); splitShared below writes the unshared twin.
        "--sharedMemory",
        "--maximumMemory",
        String(MAX_PAGES),
      ],
      { stdout: process.stdout, stderr: process.stderr }, // asc resolves paths against the process's cwd: main() chdirs to the root
    );
    if (error) {
      console.error(stderr.toString());
      throw new Error(`asc --target ${t.target} failed: ${error.message}`);
    }
    splitShared(/** @type {string} */ (t.outputs[0]), t.shared);
    log(`built ${t.outputs[0]} and ${t.shared} in ${(performance.now() - t0).toFixed(0)} ms`);
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

/** The shared build's maximum memory: 65536 pages (4 GiB), all wasm32 can
 *  address. A shared memory must declare a maximum. */
const MAX_PAGES = 65536;

/** The core as asc wrote it imports a shared memory: write its unshared
 *  twin to `file` and the shared build to `sharedFile`. Only the memory
 *  import's limits differ, encoded in the same number of bytes (so every
 *  later offset, and the debug build's source map, fits both):
 *    shared:   flags 0x03, min 1, max 65536   (03 01 80 80 04)
 *    unshared: flags 0x00, min 1 (padded LEB) (00 81 80 80 00)
 *  Both carry the same fingerprint, computed on the unshared module: an
 *  image taken by one restores into the other (the code is byte-identical).
 *  @param {string} file @param {string} sharedFile */
function splitShared(file, sharedFile) {
  const shared = readFileSync(join(root, file));
  const at = memoryLimitsAt(shared);
  const want = [0x03, 0x01, 0x80, 0x80, 0x04];
  if (!want.every((b, i) => shared[at + i] === b))
    throw new Error(`${file}: the memory import's limits are not ${want.map((b) => b.toString(16)).join(" ")}`);
  const unshared = Buffer.from(shared);
  unshared.set([0x00, 0x81, 0x80, 0x80, 0x00], at);
  writeFileSync(join(root, file), unshared);
  const section = addFingerprint(file);
  writeFileSync(join(root, sharedFile), Buffer.concat([shared, section]));
}

/** Offset of the limits of the module's memory import (env.memory).
 *  @param {Uint8Array} b @returns {number} */
function memoryLimitsAt(b) {
  let p = 8;
  const leb = () => {
    let r = 0,
      s = 0,
      x = 0;
    do {
      x = b[p++] ?? 0;
      r |= (x & 127) << s;
      s += 7;
    } while (x & 128);
    return r >>> 0;
  };
  const name = () => {
    const n = leb();
    p += n;
    return new TextDecoder().decode(b.subarray(p - n, p));
  };
  while (p < b.length) {
    const id = b[p++];
    const size = leb();
    const end = p + size;
    if (id === 2) {
      for (let i = leb(); i > 0; i--) {
        const mod = name();
        const field = name();
        const kind = b[p++];
        if (kind === 2 && mod === "env" && field === "memory") return p;
        if (kind === 0) leb();
        else if (kind === 1) {
          p++;
          if (leb() & 1) leb();
          leb();
        } else if (kind === 2) {
          if (leb() & 1) leb();
          leb();
        } else if (kind === 3) p += 2;
        else throw new Error(`import kind ${kind}`);
      }
    }
    p = end;
  }
  throw new Error("no env.memory import");
}

/** Name of the custom section that holds a core's fingerprint. */
export const FINGERPRINT_SECTION = "gomap-fingerprint";

/** Append the core's fingerprint to its wasm: the first 8 bytes of the
 *  SHA-256 of the module as compiled (code, data, globals, exports). A
 *  snapshot records it, and a restore into a core with another fingerprint
 *  is refused (src/snapshot.ts): an image is a copy of memory laid out by
 *  one exact build, so any other build could misread it. Returns the
 *  section appended.
 *  @param {string} file @returns {Buffer} */
function addFingerprint(file) {
  const path = join(root, file);
  const wasm = readFileSync(path);
  const digest = createHash("sha256").update(wasm).digest().subarray(0, 8);
  const name = Buffer.from(FINGERPRINT_SECTION, "utf8");
  // A custom section: id 0, then its size, the name's length and bytes,
  // and the payload (sizes as one-byte LEB128: all are < 128).
  const body = Buffer.concat([Buffer.from([name.length]), name, digest]);
  const section = Buffer.concat([Buffer.from([0, body.length]), body]);
  writeFileSync(path, Buffer.concat([wasm, section]));
  return section;
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
    `${head}export const RELEASE_EXPORTS = ${JSON.stringify(release)};\nexport const DEBUG_ONLY_EXPORTS = ${JSON.stringify(debugOnly)};\n` +
      `export const RELEASE_MEMORY_LIMITS_AT = ${memoryLimitsAt(readFileSync(join(root, "build/release.wasm")))};\n`,
  );
  writeFileSync(
    join(root, EXPORTS_OUT.replace(/\.js$/, ".d.ts")),
    `${head}/** Every export of the release core. */\nexport declare const RELEASE_EXPORTS: readonly string[];\n/** What the debug core exports besides. */\nexport declare const DEBUG_ONLY_EXPORTS: readonly string[];\n` +
      "/** Byte offset of the release core's memory-import limits (src/loader.ts makes its shared twin there). */\nexport declare const RELEASE_MEMORY_LIMITS_AT: number;\n",
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
