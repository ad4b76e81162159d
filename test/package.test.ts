// The package as users get it: the self-reference inside the repository,
// a tarball from `npm pack` installed into a separate project, and a core
// that allocates nothing through AssemblyScript's runtime.
import { describe, it, expect } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync, readFileSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

const SCRIPT = `
import { Runtime, OutOfMemoryError } from "gomap-wasm";
const rt = await Runtime.create({ maxMemory: "32MiB" });
const s = rt.readMemStats();
if (typeof OutOfMemoryError !== "function") throw new Error("missing export");
console.log(JSON.stringify({ maxMemory: rt.maxMemory, HeapSys: s.HeapSys, BySize: s.BySize.length }));
`;

function run(cwd: string, file: string) {
  const r = spawnSync(process.execPath, [file], { cwd, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`node ${file} failed:\n${r.stdout}\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop()!);
}

describe("package", () => {
  it('import { Runtime } from "gomap-wasm" works inside the repository (self-reference)', () => {
    const dir = mkdtempSync(join(root, "test", ".tmp-selfref-"));
    try {
      writeFileSync(join(dir, "probe.mjs"), SCRIPT);
      const out = run(dir, "probe.mjs");
      expect(out).toEqual({ maxMemory: 32 * 1024 * 1024, HeapSys: expect.any(Number), BySize: 61 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("installs from an npm pack tarball into a separate project and works there", () => {
    const dir = mkdtempSync(join(tmpdir(), "gomap-pack-"));
    try {
      const pack = spawnSync(npm, ["pack", "--pack-destination", dir, "--json", "--ignore-scripts"], { cwd: root, encoding: "utf8" });
      if (pack.status !== 0) throw new Error(pack.stderr);
      const info = JSON.parse(pack.stdout)[0];
      const files: string[] = info.files.map((f: { path: string }) => f.path);
      for (const f of ["dist/node.js", "dist/browser.js", "dist/index.d.ts", "build/release.wasm", "build/debug.wasm", "package.json"]) {
        expect(files, `tarball should contain ${f}`).toContain(f);
      }
      expect(files.some((f) => f.startsWith("test/"))).toBe(false);
      const project = join(dir, "consumer");
      spawnSync("mkdir", ["-p", project]);
      writeFileSync(join(project, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
      const inst = spawnSync(npm, ["install", "--no-audit", "--no-fund", "--offline", join(dir, info.filename)], { cwd: project, encoding: "utf8" });
      if (inst.status !== 0) throw new Error(inst.stderr);
      expect(existsSync(join(project, "node_modules", "gomap-wasm", "build", "release.wasm"))).toBe(true);
      writeFileSync(join(project, "probe.mjs"), SCRIPT);
      expect(run(project, "probe.mjs")).toEqual({ maxMemory: 32 * 1024 * 1024, HeapSys: expect.any(Number), BySize: 61 });
      const pkg = JSON.parse(readFileSync(join(project, "node_modules", "gomap-wasm", "package.json"), "utf8"));
      expect(pkg.exports["."].browser).toBe("./dist/browser.js");
      expect(pkg.exports["."].node).toBe("./dist/node.js");
      expect(pkg.exports["."].types).toBe("./dist/index.d.ts");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
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
