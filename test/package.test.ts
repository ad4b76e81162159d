// The package as users get it: the self-reference inside the repository,
// a tarball from `npm pack` installed into a separate project (ESM import
// and CommonJS require), what the tarball holds, and a core that allocates
// nothing through AssemblyScript's runtime.
//
// The install is what a user's machine does: the real registry (for the
// runtime dependency pprof-format) and a fresh, empty npm cache of our own,
// so it passes on a machine whose npm cache holds nothing (a cache-only
// install fails there with ENOTCACHED).
import { afterAll, beforeAll, describe, it, expect } from "vitest";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, posix } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const CI = process.env.CI === "true" || process.env.CI === "1";
const npm = process.platform === "win32" ? "npm.cmd" : "npm";
const [NODE_MAJOR, NODE_MINOR] = process.versions.node.split(".").map(Number) as [number, number];
/** require(esm) without a flag: Node 20.19+, 22.12+, 23+. */
const REQUIRE_ESM =
  NODE_MAJOR > 22 || (NODE_MAJOR === 22 && NODE_MINOR >= 12) || (NODE_MAJOR === 20 && NODE_MINOR >= 19);

const SCRIPT = `
import { Runtime, OutOfMemoryError } from "gomap-wasm";
const rt = await Runtime.create({ maxMemory: "32MiB" });
const s = rt.readMemStats();
if (typeof OutOfMemoryError !== "function") throw new Error("missing export");
console.log(JSON.stringify({ maxMemory: rt.maxMemory, HeapSys: s.HeapSys, BySize: s.BySize.length }));
`;

/** The same probe from CommonJS: require() of the ESM package (Node >= 20.19). */
const CJS_SCRIPT = `
const { Runtime, OutOfMemoryError, InvalidArgumentError } = require("gomap-wasm");
if (typeof OutOfMemoryError !== "function" || typeof InvalidArgumentError !== "function") throw new Error("missing export");
Runtime.create({ maxMemory: "32MiB" }).then((rt) => {
  const m = rt.map({ key: "u32", value: "string" });
  for (let i = 0; i < 100; i++) m.set(i, "v" + i);
  let name = "";
  try { m.set("x", "y"); } catch (e) { name = e.name; }
  const s = rt.readMemStats();
  console.log(JSON.stringify({ maxMemory: rt.maxMemory, HeapSys: s.HeapSys, BySize: s.BySize.length, size: m.size, get: m.get(42), name }));
});
`;

const PROBE = { maxMemory: 32 * 1024 * 1024, HeapSys: expect.any(Number), BySize: 61 };

function run(cwd: string, file: string) {
  const r = spawnSync(process.execPath, [file], { cwd, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`node ${file} failed:\n${r.stdout}\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop()!);
}

/** npm with a fresh cache of its own and nothing from the user's config
 *  that could keep it from the registry. */
function npmEnv(cache: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_config_/i.test(k)) env[k] = v;
  return {
    ...env,
    npm_config_cache: cache,
    npm_config_prefer_online: "true", // always ask the registry, whatever a user npmrc says
    npm_config_update_notifier: "false",
    npm_config_audit: "false",
    npm_config_fund: "false",
  };
}

describe("package", () => {
  it('import { Runtime } from "gomap-wasm" works inside the repository (self-reference)', () => {
    const dir = mkdtempSync(join(root, "test", ".tmp-selfref-"));
    try {
      writeFileSync(join(dir, "probe.mjs"), SCRIPT);
      expect(run(dir, "probe.mjs")).toEqual(PROBE);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe("from an npm pack tarball", () => {
    let dir = "";
    let project = "";
    let files: string[] = [];
    /** The tarball's contents, extracted (to read its source maps). */
    let unpacked = "";
    let installError = "";

    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), "gomap-pack-"));
      const pack = spawnSync(npm, ["pack", "--pack-destination", dir, "--json", "--ignore-scripts"], {
        cwd: root,
        encoding: "utf8",
      });
      if (pack.status !== 0) throw new Error(`npm pack failed:\n${pack.stderr}`);
      const info = JSON.parse(pack.stdout)[0] as { filename: string; files: { path: string }[] };
      files = info.files.map((f) => f.path).sort();
      const tarball = join(dir, info.filename);

      unpacked = join(dir, "unpacked");
      mkdirSync(unpacked);
      const tar = spawnSync("tar", ["-xzf", tarball, "-C", unpacked, "--strip-components=1"], { encoding: "utf8" });
      if (tar.status !== 0) throw new Error(`tar failed:\n${tar.stderr}`);

      project = join(dir, "consumer");
      mkdirSync(project);
      writeFileSync(join(project, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
      const cache = mkdtempSync(join(tmpdir(), "gomap-npm-cache-"));
      try {
        const inst = spawnSync(npm, ["install", "--no-audit", "--no-fund", tarball], {
          cwd: project,
          encoding: "utf8",
          env: npmEnv(cache),
          timeout: 150_000,
        });
        if (inst.status !== 0)
          installError = `npm install ${info.filename} (fresh cache, registry allowed) failed (${inst.status ?? inst.signal}):\n${inst.stdout}\n${inst.stderr}`;
      } finally {
        rmSync(cache, { recursive: true, force: true });
      }
    }, 180_000);

    afterAll(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it("holds the entries, both cores, the inlined release core, the shared cores and the types the package names", () => {
      for (const f of [
        "dist/node.js",
        "dist/browser.js",
        "build/release.wasm",
        "build/release-inline.js",
        "build/debug.wasm",
        // The shared cores (Runtime.create({ shared: true })).
        "build/debug-shared.wasm",
        "package.json",
      ]) {
        expect(files, `tarball should contain ${f}`).toContain(f);
      }
      const pkg = JSON.parse(readFileSync(join(unpacked, "package.json"), "utf8"));
      expect(pkg.exports["."].browser).toBe("./dist/browser.js");
      expect(pkg.exports["."].node).toBe("./dist/node.js");
      const types = String(pkg.exports["."].types);
      expect(pkg.types, "package.json types and exports['.'].types agree").toBe(types);
      expect(files, `the types file the package names (${types}) is in the tarball`).toContain(
        types.replace(/^\.\//, ""),
      );
    });

    it("leaves out tests, TypeScript sources and the debug core's source map", () => {
      expect(
        files.filter((f) => f.startsWith("test/")),
        "test/ files",
      ).toEqual([]);
      expect(
        files.filter((f) => /^src\/.*\.ts$/.test(f)),
        "src/*.ts sources",
      ).toEqual([]);
      expect(
        files.filter((f) => f.endsWith("debug.wasm.map")),
        "debug.wasm.map",
      ).toEqual([]);
    });

    it("every .js.map resolves: sourcesContent, or sources that are in the tarball", () => {
      const maps = files.filter((f) => f.endsWith(".js.map"));
      const have = new Set(files);
      const broken: string[] = [];
      for (const m of maps) {
        const map = JSON.parse(readFileSync(join(unpacked, m), "utf8")) as {
          sources?: string[];
          sourcesContent?: (string | null)[];
          sourceRoot?: string;
        };
        (map.sources ?? []).forEach((src, i) => {
          if (typeof map.sourcesContent?.[i] === "string") return;
          const path = posix.normalize(posix.join(posix.dirname(m), map.sourceRoot ?? "", src));
          if (!have.has(path)) broken.push(`${m}: ${src} (${path} is not in the tarball, no sourcesContent)`);
        });
      }
      expect(broken).toEqual([]);
    });

    it("installs into a separate project (fresh npm cache, packages from the registry) and works there", () => {
      expect(installError).toBe("");
      expect(existsSync(join(project, "node_modules", "gomap-wasm", "build", "release.wasm"))).toBe(true);
      expect(
        existsSync(join(project, "node_modules", "pprof-format", "package.json")),
        "the runtime dependency came from the registry",
      ).toBe(true);
      writeFileSync(join(project, "probe.mjs"), SCRIPT);
      expect(run(project, "probe.mjs")).toEqual(PROBE);
      const pkg = JSON.parse(readFileSync(join(project, "node_modules", "gomap-wasm", "package.json"), "utf8"));
      expect(pkg.exports["."].browser).toBe("./dist/browser.js");
      expect(pkg.exports["."].node).toBe("./dist/node.js");
      expect(existsSync(join(project, "node_modules", "gomap-wasm", String(pkg.exports["."].types)))).toBe(true);
    });

    // engines says >= 20.19; an older Node skips this (and fails it under CI).
    it.skipIf(!REQUIRE_ESM && !CI)(
      'require("gomap-wasm") works from a CommonJS file in the project (Node >= 20.19)',
      () => {
        expect(installError).toBe("");
        writeFileSync(join(project, "probe.cjs"), CJS_SCRIPT);
        const r = spawnSync(process.execPath, ["probe.cjs"], { cwd: project, encoding: "utf8" });
        expect(r.status, `node probe.cjs:\n${r.stdout}\n${r.stderr}`).toBe(0);
        expect(JSON.parse(r.stdout.trim().split("\n").pop()!)).toEqual({
          ...PROBE,
          size: 100,
          get: "v42",
          name: "InvalidArgumentError",
        });
        expect(r.stderr, "require(esm) printed warnings").toBe("");
      },
    );
  });

  it("the release core contains no AssemblyScript runtime code (~lib/rt/)", () => {
    const wat = readFileSync(join(root, "build", "release.wat"), "utf8");
    expect(wat.length).toBeGreaterThan(1000);
    expect(wat).not.toMatch(/~lib\/rt\//);
    // And it imports exactly one memory, made by the host.
    expect(wat).toMatch(/\(import "env" "memory" \(memory/);
    const debugWat = readFileSync(join(root, "build", "debug.wat"), "utf8");
    expect(debugWat).not.toMatch(/~lib\/rt\//);
  });
});
