// Heap profiles (rt.heapProfile, docs/profile.md): Go's format, read back
// with pprof-format and with the real client (`go tool pprof`); exact
// counts at rate 1 against MemStats; unbiased estimates at Go's default
// rate (seeded); frees of sampled objects, small and large; Go's "as of
// the last completed collection" timing.
import { describe, it, expect } from "vitest";
import { spawnSync } from "node:child_process";
import { gunzipSync } from "node:zlib";
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Profile } from "pprof-format";
import { Runtime, InvalidArgumentError, InvalidOptionError } from "../src/node.js";
import { boundaryOf } from "../src/runtime.js";
import { gzipWeb, profileOf, scaleHeapSample } from "../src/profile.js";
import { withSeed } from "./helpers.js";

const root = fileURLToPath(new URL("..", import.meta.url));

interface DecodedSample {
  /** Leaf first: mallocgc, core routine(s), public operation. */
  frames: string[];
  /** alloc_objects, alloc_space, inuse_objects, inuse_space. */
  values: number[];
  bytes: number;
}

function decode(gz: Uint8Array) {
  expect([gz[0], gz[1]]).toEqual([0x1f, 0x8b]); // gzip
  const p = Profile.decode(gunzipSync(gz));
  const str = (i: number | bigint) => p.stringTable.strings[Number(i)]!;
  const fn = new Map(p.function.map((f) => [Number(f.id), str(f.name)]));
  const loc = new Map(p.location.map((l) => [Number(l.id), fn.get(Number(l.line[0]!.functionId))!]));
  const samples: DecodedSample[] = p.sample.map((s) => ({
    frames: s.locationId.map((id) => loc.get(Number(id))!),
    values: s.value.map(Number),
    bytes: Number(s.label.find((l) => str(l.key) === "bytes")?.num ?? NaN),
  }));
  const total = (i: number, keep: (s: DecodedSample) => boolean = () => true) =>
    samples.filter(keep).reduce((a, s) => a + s.values[i]!, 0);
  const through = (frame: string) => (s: DecodedSample) => s.frames.includes(frame);
  return {
    p,
    samples,
    total,
    through,
    types: p.sampleType.map((t) => `${str(t.type)}/${str(t.unit)}`),
    periodType: p.periodType ? `${str(p.periodType.type)}/${str(p.periodType.unit)}` : "",
    period: Number(p.period),
  };
}

const ALLOC_OBJECTS = 0,
  ALLOC_SPACE = 1,
  INUSE_OBJECTS = 2,
  INUSE_SPACE = 3;

describe("rt.heapProfile: Go's heap-profile format", () => {
  it("has Go's four sample types in Go's order, period space/bytes = rate, a bytes label and public op → core → mallocgc stacks", async () => {
    const rt = await Runtime.create({ memProfileRate: 4096 });
    const m = rt.map({ key: "string", value: "i64" });
    for (let i = 0; i < 20_000; i++) m.set(`key-${i}`, BigInt(i));
    rt.gc();
    const d = decode(await rt.heapProfile());
    expect(d.types).toEqual(["alloc_objects/count", "alloc_space/bytes", "inuse_objects/count", "inuse_space/bytes"]);
    expect(d.periodType).toBe("space/bytes");
    expect(d.period).toBe(4096);
    expect(d.samples.length).toBeGreaterThan(0);
    for (const s of d.samples) {
      expect(s.frames[0]).toBe("mallocgc");
      expect(s.frames.at(-1)).toMatch(/^(GoMap|Runtime)\.\w+$/);
      expect(s.bytes).toBeGreaterThan(0);
      expect(s.values[ALLOC_SPACE]).toBeGreaterThanOrEqual(s.values[INUSE_SPACE]!);
    }
    const sets = d.samples.filter((s) => s.frames.at(-1) === "GoMap.set");
    const cores = new Set(["newStr", "makeBucketArray", "newoverflow", "growslice", "createOverflow", "mapassign"]);
    for (const s of sets) expect(cores.has(s.frames[1]!), s.frames.join(" ")).toBe(true);
    expect(sets.some((s) => s.frames.join(" ") === "mallocgc newStr GoMap.set")).toBe(true);
    expect(sets.some((s) => s.frames.join(" ") === "mallocgc makeBucketArray hashGrow GoMap.set")).toBe(true);
  });

  it("sets the rate like Go's MemProfileRate: at creation, with setMemProfileRate, or for later allocations with heapProfile({ rate })", async () => {
    const rt = await Runtime.create({ memProfileRate: 0 });
    expect(rt.memProfileRate).toBe(0);
    const m = rt.map({ key: "u64", value: "u64" });
    for (let i = 0n; i < 10_000n; i++) m.set(i, i);
    expect(decode(await rt.heapProfile({ asOf: "now", rate: 1 })).samples).toEqual([]); // rate 0: nothing sampled
    expect(rt.memProfileRate).toBe(1);
    for (let i = 0n; i < 20_000n; i++) m.set(i + 100_000n, i);
    const d = decode(await rt.heapProfile({ asOf: "now" }));
    expect(d.period).toBe(1);
    expect(d.total(ALLOC_OBJECTS)).toBeGreaterThan(0);
    expect(rt.setMemProfileRate(512 * 1024)).toBe(1);
    expect(() => rt.setMemProfileRate(-1)).toThrow(InvalidArgumentError);
    expect(() => rt.setMemProfileRate(1.5)).toThrow(InvalidArgumentError);
    await expect(rt.heapProfile({ rate: -5 })).rejects.toThrow(InvalidArgumentError);
    await expect(rt.heapProfile({ asOf: "later" as never })).rejects.toThrow(InvalidArgumentError);
    await expect(rt.heapProfile({ bogus: 1 } as never)).rejects.toThrow(InvalidArgumentError);
    await expect(Runtime.create({ memProfileRate: -1 })).rejects.toThrow(InvalidOptionError);
    await expect(Runtime.create({ memProfileRate: 2 ** 31 })).rejects.toThrow(InvalidOptionError);
  });

  it("gzips with CompressionStream too (the browsers' path)", async () => {
    const data = new TextEncoder().encode("profile ".repeat(1000));
    const gz = await gzipWeb(data);
    expect([gz[0], gz[1]]).toEqual([0x1f, 0x8b]);
    expect(new Uint8Array(gunzipSync(gz))).toEqual(data);
  });

  it("scales samples as Go's scaleHeapSample does", () => {
    expect(scaleHeapSample(0, 0, 524288)).toEqual([0, 0]);
    expect(scaleHeapSample(3, 48, 1)).toEqual([3, 48]);
    // One 256 KiB object at 512 KiB: sampled with probability 1 − e^(−1/2).
    const p = 1 - Math.exp(-0.5);
    expect(scaleHeapSample(1, 262144, 524288)).toEqual([Math.trunc(1 / p), Math.trunc(262144 / p)]);
  });
});

describe("rate 1: every allocation, exact", () => {
  it("alloc and inuse totals equal MemStats' Mallocs, TotalAlloc, HeapObjects and HeapAlloc at every step", async () => {
    const rt = await Runtime.create({ debug: true, memProfileRate: 1 });
    const b = boundaryOf(rt);
    const check = async (asOf: "gc" | "now") => {
      const d = decode(await rt.heapProfile({ asOf }));
      const s = rt.readMemStats();
      expect(d.total(ALLOC_OBJECTS)).toBe(s.Mallocs);
      expect(d.total(ALLOC_SPACE)).toBe(s.TotalAlloc);
      expect(d.total(INUSE_OBJECTS)).toBe(s.HeapObjects);
      expect(d.total(INUSE_SPACE)).toBe(s.HeapAlloc);
      // Every sampled object not freed is recorded on its span, once.
      const live = b.requireDebug("checkSpecials").checkSpecials() >>> 0;
      expect(live).toBe(s.HeapObjects);
      expect(b.memProfCounts()).toEqual({ live, dropped: 0 });
      expect(profileOf(b).liveSamples).toBe(live);
      return d;
    };
    await check("now");
    const strs = rt.map({ key: "string", value: "string" });
    const nums = rt.map({ key: "u64", value: "f64", hint: 5000 });
    for (let i = 0; i < 20_000; i++) {
      strs.set(`k${i}`, `value-${i}`);
      nums.set(BigInt(i), i / 2);
    }
    await check("now");
    for (let i = 0; i < 20_000; i += 2) strs.delete(`k${i}`);
    await check("now"); // nothing freed before a collection: inuse unchanged
    rt.gc();
    await check("gc"); // rt.gc() publishes at once: "gc" is "now" here
    await check("now");
    nums.free();
    strs.clear();
    rt.gc();
    const d = await check("gc");
    expect(d.total(INUSE_SPACE, d.through("newStr"))).toBe(0);
    expect(d.total(INUSE_SPACE, d.through("makeBucketArray"))).toBe(rt.inspect(strs).bucketBytes); // clear() keeps the array
  });

  it("reports frees of sampled objects: strings after delete-all + GC, and large bucket arrays freed as whole spans", async () => {
    const rt = await Runtime.create({ memProfileRate: 1 });
    const m = rt.map({ key: "string", value: "i64" });
    for (let i = 0; i < 30_000; i++) m.set(`key-number-${i}`, BigInt(i));
    const big = rt.map({ key: "u64", value: "u64", hint: 100_000 }); // a 2 MB array: a span of its own
    rt.gc();
    const before = decode(await rt.heapProfile());
    const strBytes = before.total(INUSE_SPACE, before.through("newStr"));
    expect(before.total(INUSE_OBJECTS, before.through("newStr"))).toBe(30_000);
    const bigArray = (s: DecodedSample) =>
      s.frames.join(" ") === "mallocgc makeBucketArray makemap Runtime.map" && s.bytes > 32768;
    expect(before.total(INUSE_OBJECTS, bigArray)).toBe(1);
    for (let i = 0; i < 30_000; i++) m.delete(`key-number-${i}`);
    big.free();
    rt.gc();
    const after = decode(await rt.heapProfile());
    expect(after.total(INUSE_SPACE, after.through("newStr"))).toBe(0);
    expect(after.total(ALLOC_SPACE, after.through("newStr"))).toBe(strBytes);
    expect(after.total(INUSE_OBJECTS, bigArray)).toBe(0);
    expect(after.total(ALLOC_OBJECTS, bigArray)).toBe(1);
    expect(after.total(INUSE_SPACE)).toBe(rt.readMemStats().HeapAlloc); // what is left: m's buckets, the root table
    expect(boundaryOf(rt).memProfCounts().live).toBe(rt.readMemStats().HeapObjects);
  });

  it("shows the heap as of the last completed collection, as Go does: automatic cycles publish one cycle late, rt.gc() at once", async () => {
    const rt = await Runtime.create({ memProfileRate: 1, gcPercent: "off" });
    const m = rt.map({ key: "string", value: "i64" });
    rt.gc();
    const strings = async (asOf: "gc" | "now") => {
      const d = decode(await rt.heapProfile({ asOf }));
      return d.total(ALLOC_OBJECTS, d.through("newStr"));
    };
    for (let i = 0; i < 1000; i++) m.set(`s${i}`, 1n);
    expect(await strings("now")).toBe(1000);
    expect(await strings("gc")).toBe(0); // allocated after the last collection
    const cycle = () => {
      rt.gcStart();
      while (rt.gcPhase === "mark") rt.gcStep(1 << 30);
    };
    cycle(); // publishes the heap as of the collection before it
    expect(await strings("gc")).toBe(0);
    cycle();
    expect(await strings("gc")).toBe(1000);
    for (let i = 1000; i < 1500; i++) m.set(`s${i}`, 1n);
    rt.gc();
    expect(await strings("gc")).toBe(1500);
  });
});

describe("Go's default rate (512 KiB): unbiased estimates", () => {
  it("estimates object counts and bytes within 15% on 512 MiB of small and large allocations (seeded)", async () => {
    const seed = Number(process.env.GOMAP_SEED ?? 20261126) >>> 0;
    await withSeed(seed, async () => {
      const rt = await Runtime.create();
      expect(rt.memProfileRate).toBe(512 * 1024);
      const b = boundaryOf(rt);
      b.exports.seedRandom(seed, seed ^ 0x5bd1e995);
      // Garbage (not rooted): the collector keeps the heap small.
      for (let i = 0; i < 64; i++) expect(b.allocMany(64, 65536, true)).toBe(65536); // 4 Mi objects, 256 MiB
      for (let i = 0; i < 1024; i++) expect(b.alloc(256 * 1024, true)).not.toBe(0); // 1 Ki large objects, 256 MiB
      const d = decode(await rt.heapProfile({ asOf: "now" }));
      const near = (got: number, want: number) =>
        expect(Math.abs(got / want - 1), `${got} vs ${want}`).toBeLessThan(0.15);
      const small = (s: DecodedSample) => s.bytes === 64;
      const large = (s: DecodedSample) => s.bytes === 256 * 1024;
      near(d.total(ALLOC_OBJECTS, small), 64 * 65536);
      near(d.total(ALLOC_SPACE, small), 256 * 1024 * 1024);
      // A 256 KiB object is sampled with probability 1 − e^(−1/2) ≈ 0.39:
      // only Go's scaling makes these counts come out right.
      near(d.total(ALLOC_OBJECTS, large), 1024);
      near(d.total(ALLOC_SPACE, large), 256 * 1024 * 1024);
      // Freed by the collections along the way: far less in use than allocated.
      expect(d.total(INUSE_SPACE)).toBeLessThan(d.total(ALLOC_SPACE) / 10);
    });
  });
});

describe("rates above the core's cap on the mean gap", () => {
  it("are unbiased with the mean the core really used (not overestimated ~18×)", async () => {
    const seed = Number(process.env.GOMAP_SEED ?? 7) >>> 0;
    await withSeed(seed, async () => {
      const rt = await Runtime.create({ memProfileRate: 2 ** 31 - 1 });
      const b = boundaryOf(rt);
      b.exports.seedRandom(seed, seed ^ 0x5bd1e995);
      // 8 GiB of 1 MiB garbage: ~70 samples at the capped mean (0x7000000).
      for (let i = 0; i < 8192; i++) expect(b.alloc(1 << 20, true)).not.toBe(0);
      const d = decode(await rt.heapProfile({ asOf: "now" }));
      const ratio = d.total(ALLOC_SPACE) / 2 ** 33;
      expect(ratio, `estimate ÷ truth ${ratio}`).toBeGreaterThan(0.6);
      expect(ratio, `estimate ÷ truth ${ratio}`).toBeLessThan(1.6);
    });
  });
});

describe("allocation sites", () => {
  it("every mallocgc call in the core names its site first (allocAt), so no sample is misattributed", () => {
    const dir = join(root, "assembly");
    const files = readdirSync(dir, { recursive: true, encoding: "utf8" }).filter(
      (f) => f.endsWith(".ts") && !f.endsWith("mem/malloc.ts"),
    );
    const unnamed: string[] = [];
    for (const f of files) {
      const lines = readFileSync(join(dir, f), "utf8").split("\n");
      lines.forEach((line, i) => {
        if (!/\bmallocgc\(/.test(line) || /^\s*(\/\/|\*|import)/.test(line)) return;
        const before = lines.slice(Math.max(0, i - 3), i).join("\n");
        if (!/allocAt\(|The caller set the site/.test(before)) unnamed.push(`assembly/${f}:${i + 1}`);
      });
    }
    expect(unnamed, "mallocgc calls without an allocAt(AllocSite.…) just before").toEqual([]);
  });
});

// ---------------------------------------------------------------------------
// The real client. Locally the tests skip (with a notice) when no Go is
// installed; under CI=true they fail instead (.ci/run installs Go).

const GO = ["go", "/usr/lib/go-1.19/bin/go"].find((g) => spawnSync(g, ["version"]).status === 0);
const UNDER_CI = process.env.CI === "true";

interface TopRow {
  flat: number;
  cum: number;
}

/** `go tool pprof -top` in bytes, every node kept: name → flat, cum. */
function pprofTop(args: string[]): { text: string; rows: Map<string, TopRow> } {
  const tmp = mkdtempSync(join(tmpdir(), "gomap-pprof-"));
  const r = spawnSync(GO!, ["tool", "pprof", "-top", "-unit=B", "-nodefraction=0", "-edgefraction=0", ...args], {
    encoding: "utf8",
    env: { ...process.env, PPROF_TMPDIR: tmp, HOME: process.env.HOME ?? tmp },
  });
  expect(r.status, r.stderr).toBe(0);
  const rows = new Map<string, TopRow>();
  const num = (x: string) => (x === "0" ? 0 : Number(x.replace(/B$/, "")));
  for (const line of r.stdout.split("\n")) {
    const m = /^\s*(-?\d+B|0)\s+\S+\s+\S+\s+(-?\d+B|0)\s+\S+\s+(.+?)\s*$/.exec(line);
    if (m) rows.set(m[3]!, { flat: num(m[1]!), cum: num(m[2]!) });
  }
  return { text: r.stdout, rows };
}

describe.runIf(GO)("go tool pprof reads our profiles", () => {
  it("-top after filling a string map: bucket arrays and string objects dominate inuse_space; -base after delete-all + GC: the strings are gone", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gomap-prof-"));
    const rt = await Runtime.create({ memProfileRate: 16 * 1024 });
    boundaryOf(rt).exports.seedRandom(7, 11);
    const m = rt.map({ key: "string", value: "i64" });
    for (let i = 0; i < 100_000; i++) m.set(`key-number-${i}`, BigInt(i));
    rt.gc();
    const a = join(dir, "filled.pb.gz"),
      b = join(dir, "deleted.pb.gz");
    writeFileSync(a, await rt.heapProfile());
    for (let i = 0; i < 100_000; i++) m.delete(`key-number-${i}`);
    rt.gc();
    writeFileSync(b, await rt.heapProfile());

    const top = pprofTop(["-sample_index=inuse_space", a]);
    expect(top.text).toMatch(/Type: inuse_space/);
    const total = top.rows.get("mallocgc")!.cum;
    expect(top.rows.get("mallocgc")!.flat).toBe(total); // the leaf of every stack
    expect(top.rows.get("GoMap.set")!.cum).toBeGreaterThan(0.95 * total);
    const cores = [...top.rows]
      .filter(([name]) => !/^(mallocgc|GoMap\.|Runtime\.|hashGrow|makemap)/.test(name))
      .sort((x, y) => y[1].cum - x[1].cum);
    expect(
      cores
        .slice(0, 2)
        .map(([name]) => name)
        .sort(),
    ).toEqual(["makeBucketArray", "newStr"]);
    expect(top.rows.get("makeBucketArray")!.cum + top.rows.get("newStr")!.cum).toBeGreaterThan(0.85 * total);
    // inuse_space is the default view (the last sample type), as for Go's heap profiles.
    expect(pprofTop([a]).text).toMatch(/Type: inuse_space/);

    const diff = pprofTop(["-sample_index=inuse_space", "-base", a, b]);
    expect(diff.rows.get("newStr")!.cum).toBe(-top.rows.get("newStr")!.cum); // every sampled string freed
    expect(diff.rows.get("makeBucketArray")?.cum ?? 0).toBe(0); // the array stays: maps don't shrink
    expect(pprofTop(["-sample_index=alloc_space", "-base", a, b]).rows.get("newStr")?.cum ?? 0).toBe(0); // no new allocations
  });

  it("reads the lab's per-phase profiles: -base between after-delete and after-GC shows every key string freed", () => {
    const dir = mkdtempSync(join(tmpdir(), "gomap-lab-prof-"));
    const r = spawnSync(
      process.execPath,
      ["dist/lab.js", "--n", "20000", "--profile", dir, "--profile-rate", "1", "--json"],
      { cwd: root, encoding: "utf8" },
    );
    expect(r.status, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout);
    const files = json.phases.map((p: { profile: string }) => p.profile.replace(/^.*[/\\]/, ""));
    expect(files.slice(0, 5)).toEqual([
      "01-start.pb.gz",
      "02-after-make.pb.gz",
      "03-after-fill.pb.gz",
      "04-after-delete.pb.gz",
      "05-after-gc.pb.gz",
    ]);
    expect(readdirSync(dir).sort()).toEqual([...files].sort()); // one per phase
    const diff = pprofTop([
      "-sample_index=inuse_space",
      "-base",
      join(dir, "04-after-delete.pb.gz"),
      join(dir, "05-after-gc.pb.gz"),
    ]);
    // "key-0" … "key-9999" fit the 8-byte class, "key-10000" … the 16-byte one.
    expect(diff.rows.get("newStr")!.cum).toBe(-(10_000 * 8 + 10_000 * 16));
    const fill = pprofTop(["-sample_index=inuse_space", join(dir, "03-after-fill.pb.gz")]);
    expect(fill.rows.get("mallocgc")!.cum).toBe(json.phases[2].ours.HeapAlloc); // rate 1, asOf now: exactly HeapAlloc
  });
});

if (!GO) {
  if (UNDER_CI) {
    describe("go tool pprof reads our profiles", () => {
      it("needs Go under CI (.ci/run installs golang-1.19-go)", () => {
        throw new Error(
          "no Go toolchain found (go on PATH or /usr/lib/go-1.19/bin/go) and CI=true: the pprof tests must run in CI",
        );
      });
    });
  } else {
    console.log("pprof: go tool pprof tests skipped: no Go toolchain (apt-get install golang-1.19-go)");
  }
}
