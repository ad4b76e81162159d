// The lab (`npm start`): the article's experiment runs, its JSON has every
// phase with sane numbers, and bad options fail clearly.
import { describe, it, expect } from "vitest";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { Profile } from "pprof-format";

const root = fileURLToPath(new URL("..", import.meta.url));
const lab = (...args: string[]) =>
  spawnSync(process.execPath, ["dist/lab.js", ...args], { cwd: root, encoding: "utf8" });

describe("lab", () => {
  for (const keys of ["string", "u64"]) {
    it(`runs the experiment at a small n with ${keys} keys and reports every phase as JSON`, () => {
      const r = lab("--n", "20000", "--keys", keys, "--json", "--gctrace");
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      const out = JSON.parse(r.stdout);
      const phases = Object.fromEntries(
        out.phases.map((p: { phase: string; ours: Record<string, number> }) => [p.phase, p.ours]),
      );
      expect(Object.keys(phases)).toEqual([
        "start",
        "make",
        "fill",
        "delete",
        "gc",
        "clear",
        "shrink",
        "compact",
        "zero",
        "pool",
        "victim",
        "snapshot",
      ]);
      for (const p of Object.values(phases) as Record<string, number>[]) {
        for (const f of ["HeapInuse", "HeapAlloc", "HeapIdle", "HeapSys", "Sys", "NumGC", "lastPauseNs"])
          expect(typeof p[f]).toBe("number");
        expect(p.HeapSys).toBe(p.HeapInuse! + p.HeapIdle!);
      }
      expect(phases.make.B).toBe(12); // hint 20000 → B = 12, as Go
      expect(phases.fill.count).toBe(20000);
      expect(phases.delete.count).toBe(0);
      expect(phases.delete.HeapAlloc).toBe(phases.fill.HeapAlloc); // nothing freed before a GC
      if (keys === "string") expect(phases.gc.HeapAlloc).toBeLessThan(phases.delete.HeapAlloc); // the strings went
      expect(phases.gc.bucketBytes).toBe(phases.fill.bucketBytes); // the array did not
      expect(phases.shrink.B).toBe(0);
      expect(phases.shrink.HeapAlloc).toBeLessThan(phases.gc.HeapAlloc / 10);
      expect(phases.shrink.Sys).toBe(phases.gc.Sys); // linear memory never shrinks
      // Beyond Go: compaction gives linear memory back; pools keep the array
      // until two collections pass; zeroing needs --trusted (not given here).
      expect(phases.compact.Sys).toBeLessThan(phases.shrink.Sys);
      expect(phases.compact.HeapIdle).toBeLessThan(phases.shrink.HeapIdle);
      expect(phases.zero.count).toBe(2000);
      expect(phases.zero.zeroValuesMs).toBeNull();
      expect(phases.pool.count).toBe(0);
      expect(phases.pool.B).toBe(phases.zero.B);
      expect(phases.pool.bucketBytes).toBe(phases.zero.bucketBytes);
      expect(phases.victim.dropped).toBe(1);
      expect(phases.victim.HeapAlloc).toBeLessThan(phases.pool.HeapAlloc / 10);
      // Beyond Go: the map refilled, saved and loaded back. The image is the
      // heap in use plus metadata, never the free runs; the restored runtime
      // holds the same heap and a map that inspects the same; a rebuild by
      // setMany gives the same sizes (its own seed: another layout).
      const snap = phases.snapshot;
      expect(snap.count).toBe(20000);
      expect(snap.B).toBe(12);
      expect(snap.imageBytes).toBeGreaterThan(snap.HeapInuse);
      expect(snap.imageBytes).toBeLessThan(snap.Sys - snap.HeapIdle);
      expect(snap.inspectEqual).toBe(true);
      expect(snap.restored).toEqual({
        HeapInuse: snap.HeapInuse,
        HeapAlloc: snap.HeapAlloc,
        Sys: snap.Sys,
        B: snap.B,
        count: 20000,
        noverflow: snap.noverflow,
      });
      expect(snap.sampled).toBe(1001); // every 20th key, and the last
      expect(snap.rebuilt).toMatchObject({ B: 12, count: 20000 });
      for (const f of ["snapshotMs", "restoreMs", "rebuildMs"]) {
        expect(Number.isFinite(snap[f]), f).toBe(true);
        expect(snap[f], f).toBeGreaterThanOrEqual(0);
      }
      expect(snap.NumGC).toBeGreaterThan(phases.victim.NumGC); // rt.snapshot collects first
      expect(out.gctrace.length).toBe(snap.NumGC);
      expect(out.gctrace[0]).toMatch(/^gc 1 @\d+\.\d{3}s \d+%: /);
    });
  }

  it("--trusted runs the unsafe phase: values zeroed in place, entries kept", () => {
    const r = lab("--n", "20000", "--json", "--trusted");
    expect(r.status).toBe(0);
    const zero = JSON.parse(r.stdout).phases.find((p: { phase: string }) => p.phase === "zero").ours;
    expect(zero.count).toBe(2000);
    expect(zero.zeroValuesMs).toBeGreaterThan(0);
  });

  it("prints the table with Go's figures beside ours", () => {
    const r = lab("--n", "5000");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/\| after shrink\(\) \+ GC \|/);
    expect(r.stdout).toMatch(/Go \(facts, n=1e6\)/);
    expect(r.stdout).toMatch(/\| after fill \| [\d.]+ \| 82\.17 \|/);
    expect(r.stdout).toMatch(/\| refill n, rt\.snapshot \| [\d.]+ \| — \|/);
    expect(r.stdout).toMatch(
      /rt\.snapshot of the refilled map \(5,000 entries\): [\d.]+ MB image \(HeapInuse [\d.]+ MB/,
    );
    expect(r.stdout).toMatch(
      /Runtime\.restore: [\d.]+ ms; the restored map has B \d+, noverflow \d+, count 5,000, inspect\(\) equal to the original's; .* 1,001 sampled entries read back equal\./,
    );
    expect(r.stdout).toMatch(/Building it again instead .*: [\d.]+ ms \(B \d+, noverflow \d+/);
  });

  it("writes one heap profile per phase with --profile (go tool pprof reads them: test/pprof.test.ts)", () => {
    const dir = mkdtempSync(join(tmpdir(), "gomap-lab-"));
    const r = lab("--n", "5000", "--profile", dir, "--profile-rate", "1", "--json");
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    const files: string[] = out.phases.map((p: { profile: string }) => p.profile);
    expect(readdirSync(dir).sort()).toEqual(files.map((f) => f.replace(/^.*[/\\]/, "")).sort());
    expect(files[0]).toMatch(/01-start\.pb\.gz$/);
    for (const phase of out.phases as { profile: string; ours: { HeapAlloc: number } }[]) {
      const p = Profile.decode(gunzipSync(readFileSync(phase.profile)));
      const str = (x: number | bigint) => p.stringTable.strings[Number(x)];
      expect(p.sampleType.map((t) => str(t.type))).toEqual([
        "alloc_objects",
        "alloc_space",
        "inuse_objects",
        "inuse_space",
      ]);
      expect(Number(p.period)).toBe(1);
      // Rate 1, taken "now": inuse_space is exactly the phase's HeapAlloc
      // (after a compaction, that of the fresh instance, sampled from its start).
      const inuse = p.sample.reduce((a, s) => a + Number(s.value[3]), 0);
      expect(inuse, phase.profile).toBe(phase.ours.HeapAlloc);
    }
  });

  it("explains itself with --help", () => {
    const r = lab("--help");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/make\(map\[string\]int, n\)/);
  });

  for (const bad of [
    ["--n", "-5"],
    ["--n", "lots"],
    ["--keys", "float"],
    ["--gc-percent", "x"],
    ["--max-memory", "3 parsecs"],
    ["--bogus"],
    ["--n"],
    ["--profile"],
    ["--profile-rate", "-1"],
  ]) {
    it(`rejects ${bad.join(" ")} with a message and exit code 2`, () => {
      const r = lab(...bad);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/^gomap-lab: /);
      expect(r.stdout).toBe("");
    });
  }

  it("reports running out of memory as an error, not a crash", () => {
    const r = lab("--n", "200000", "--max-memory", "8MiB");
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/out of memory/);
  });
});

describe("lab --go", () => {
  const go = ["go", "/usr/lib/go-1.19/bin/go"].find((g) => spawnSync(g, ["version"]).status === 0);
  it.skipIf(!go)("runs the same experiment in real Go and puts its numbers beside ours", () => {
    const r = lab("--n", "20000", "--go", "--json");
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.goSource).toBe("measured");
    const go = Object.fromEntries(
      out.phases.map((p: { phase: string; go: Record<string, number> }) => [p.phase, p.go]),
    );
    expect(go.make.B).toBe(12);
    expect(go.fill.count).toBe(20000);
    expect(go.shrink.HeapAlloc).toBeLessThan(go.gc.HeapAlloc);
  });
  if (!go) console.log("lab --go test skipped: no Go toolchain (apt-get install golang-1.19-go)");
});
