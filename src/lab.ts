#!/usr/bin/env node
/**
 * The lab (`npm start`, `npx gomap-lab`): the article's experiment, for real.
 *
 * A map of n (default 1,000,000) "key-<i>" → integer entries is made with a
 * size hint, filled, every key deleted, and then each way out is tried.
 * After each phase: Go's MemStats, linear memory, GC count and last pause,
 * and the map's B, count, noverflow and bucket bytes — with Go 1.19's own
 * figures for the same experiment beside them (Go 1.19.8's, docs/go-facts.md, or
 * measured on the spot with --go when a Go toolchain is installed).
 * Last, beyond Go: a map of n entries again, saved with rt.snapshot and
 * loaded with Runtime.restore (image size and times), against building it
 * again by inserting.
 * With --profile DIR it also writes a heap profile per phase
 * (DIR/01-start.pb.gz …) for `go tool pprof`, `-base` between any two.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Runtime, type GoMap, type MemStats } from "./node.js";
import { parseBytes } from "./options.js";

const HELP = `gomap-lab — do Go maps give memory back after delete? Measured.

The article's experiment, on gomap-wasm's Go-style map, allocator and
collector: make(map[string]int, n), fill it with "key-<i>" → i, delete every
key, then try each way out: a GC, clear(), shrink(). Each phase prints Go's
MemStats, linear memory, and the map's B / count / noverflow / bucket bytes,
with Go 1.19's own figures beside ours. Last, beyond Go: n entries again,
saved with rt.snapshot and loaded with Runtime.restore (image bytes, times),
against building the same map again with setMany.

Options:
  --n <count>          entries (default 1000000)
  --keys string|u64    key type (default string: "key-<i>")
  --hint <count>       make() size hint (default: n; 0 for none)
  --gc-percent <n|off> GOGC (default 100)
  --max-memory <size>  the runtime's memory cap (default 4GiB)
  --gctrace            print Go-format gctrace lines as collections run
  --go                 also run the experiment in real Go (needs \`go\` on PATH)
  --trusted            run the unsafe phase: the lab opts in for itself
                       (sets GOMAP_WASM_TRUSTED=1 for its own runtime; npm start
                       passes it); without it that phase is skipped
  --profile <dir>      write a heap profile per phase: <dir>/01-start.pb.gz …
                       (go tool pprof -top -base <dir>/04-after-delete.pb.gz <dir>/05-after-gc.pb.gz)
  --profile-rate <n>   bytes per heap-profile sample (default 524288, Go's;
                       1 records every allocation)
  --json               machine-readable output
  --help               this text`;

interface LabOptions {
  n: number;
  keys: "string" | "u64";
  hint: number;
  gcPercent: number | "off";
  maxMemory: string | number;
  gctrace: boolean;
  go: boolean;
  json: boolean;
  trusted: boolean;
  profile: string | null;
  profileRate: number;
}

class UsageError extends Error {}

function parseArgs(argv: string[]): LabOptions | null {
  const o: LabOptions = {
    n: 1_000_000,
    keys: "string",
    hint: -1,
    gcPercent: 100,
    maxMemory: "4GiB",
    gctrace: false,
    go: false,
    json: false,
    trusted: false,
    profile: null,
    profileRate: 512 * 1024,
  };
  const value = (i: number, name: string) => {
    const v = argv[i + 1];
    if (v === undefined || v.startsWith("--")) throw new UsageError(`${name} needs a value`);
    return v;
  };
  const count = (v: string, name: string, min: number) => {
    const x = Number(v.replace(/_/g, ""));
    if (!Number.isSafeInteger(x) || x < min || x > 500_000_000)
      throw new UsageError(`${name} needs a whole number from ${min} to 500000000, got ${v}`);
    return x;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    switch (a) {
      case "--help":
      case "-h":
        return null;
      case "--json":
        o.json = true;
        break;
      case "--gctrace":
        o.gctrace = true;
        break;
      case "--go":
        o.go = true;
        break;
      case "--trusted":
        o.trusted = true;
        break;
      case "--n":
        o.n = count(value(i++, a), a, 1);
        break;
      case "--hint":
        o.hint = count(value(i++, a), a, 0);
        break;
      case "--profile":
        o.profile = value(i++, a);
        break;
      case "--profile-rate": {
        const v = value(i++, a);
        const x = Number(v.replace(/_/g, ""));
        if (!Number.isInteger(x) || x < 0 || x > 0x7fffffff)
          throw new UsageError(`--profile-rate needs a whole number of bytes from 0 to 2147483647, got ${v}`);
        o.profileRate = x;
        break;
      }
      case "--keys": {
        const v = value(i++, a);
        if (v !== "string" && v !== "u64") throw new UsageError(`--keys must be string or u64, got ${v}`);
        o.keys = v;
        break;
      }
      case "--gc-percent": {
        const v = value(i++, a);
        if (v === "off") o.gcPercent = "off";
        else if (/^-?\d+$/.test(v)) o.gcPercent = Number(v);
        else throw new UsageError(`--gc-percent must be an integer or off, got ${v}`);
        break;
      }
      case "--max-memory": {
        const v = value(i++, a);
        try {
          parseBytes("--max-memory", v);
        } catch (e) {
          throw new UsageError((e as Error).message);
        }
        o.maxMemory = v;
        break;
      }
      default:
        throw new UsageError(`unknown option ${a}; try --help`);
    }
  }
  if (o.hint < 0) o.hint = o.n;
  return o;
}

type PhaseName =
  | "start"
  | "make"
  | "fill"
  | "delete"
  | "gc"
  | "clear"
  | "shrink"
  | "compact"
  | "zero"
  | "pool"
  | "victim"
  | "snapshot";

interface Row {
  HeapInuse: number;
  HeapAlloc: number;
  HeapIdle: number;
  HeapSys: number;
  Sys: number;
  NumGC: number;
  lastPauseNs: number;
  B: number | null;
  count: number | null;
  noverflow: number | null;
  bucketBytes?: number | null;
  zeroValuesMs?: number | null;
  deleteMs?: number;
  dropped?: number;
  /** The snapshot phase: rt.snapshot / Runtime.restore of the refilled map. */
  snapshotMs?: number;
  imageBytes?: number;
  restoreMs?: number;
  /** Entries read back from the restored map and found equal. */
  sampled?: number;
  /** rt.inspect of the restored map equals that of the original (every field). */
  inspectEqual?: boolean;
  /** The restored runtime's MemStats and map. */
  restored?: { HeapInuse: number; HeapAlloc: number; Sys: number; B: number; count: number; noverflow: number };
  /** Runtime.create + make(hint) + setMany of the same n entries. */
  rebuildMs?: number;
  rebuilt?: { B: number; count: number; noverflow: number };
}

/** Heap-profile file names, one per phase, in phase order. */
const PROFILE_FILES: Record<PhaseName, string> = {
  start: "01-start.pb.gz",
  make: "02-after-make.pb.gz",
  fill: "03-after-fill.pb.gz",
  delete: "04-after-delete.pb.gz",
  gc: "05-after-gc.pb.gz",
  clear: "06-after-clear.pb.gz",
  shrink: "07-after-shrink.pb.gz",
  compact: "08-after-compact.pb.gz",
  zero: "09-after-zero.pb.gz",
  pool: "10-after-pool.pb.gz",
  victim: "11-after-victim.pb.gz",
  snapshot: "12-after-snapshot.pb.gz",
};

const PHASES: { name: PhaseName; title: string; explain: string }[] = [
  { name: "start", title: "start", explain: "an empty runtime" },
  { name: "make", title: "after make(hint)", explain: "the bucket array for the hint is allocated up front" },
  { name: "fill", title: "after fill", explain: "n keys: a string object each, plus the buckets" },
  {
    name: "delete",
    title: "after delete-all (before GC)",
    explain:
      "slots emptied, references cleared; nothing freed yet (Go compiles its delete-all loop into mapclear, hence its noverflow 0)",
  },
  {
    name: "gc",
    title: "after GC",
    explain: "the key strings are collected; the bucket array is not: maps don't shrink",
  },
  { name: "clear", title: "after clear()", explain: "Go's mapclear: keeps B and the array (a no-op on an empty map)" },
  {
    name: "shrink",
    title: "after shrink() + GC",
    explain: "beyond Go: rebuilt at the size the map needs; old array collected",
  },
  {
    name: "compact",
    title: "after rt.compact()",
    explain: "beyond Go: live maps moved to a fresh, right-sized memory; the old one is dropped (linear memory falls)",
  },
  {
    name: "zero",
    title: "refill n/10, unsafe.zeroValues",
    explain:
      "trusted runtimes: every value zeroed in place, no barrier — fast, count unchanged, frees nothing (the keys stay)",
  },
  {
    name: "pool",
    title: "pool.put() + get()",
    explain: "sync.Pool: the map comes back cleared with its bucket array (no growth on refill)",
  },
  {
    name: "victim",
    title: "pool idle over 2 GCs",
    explain: "sync.Pool's victim cache: an idle pooled map is dropped across two collections",
  },
  {
    name: "snapshot",
    title: "refill n, rt.snapshot",
    explain:
      "beyond Go: n entries again, saved with rt.snapshot (a GC, then a copy of the used memory) and loaded with Runtime.restore: numbers below",
  },
];

/** Go 1.19.8, the article's experiment (docs/go-facts.md; MB = 10^6
 *  bytes, runtime.GC() before each ReadMemStats). Where Go has no such
 *  phase, null. "shrink" is Go's only way out: rebuild into a new map. */
const GO_FACTS: Partial<Record<PhaseName, Partial<Row>>> = {
  start: { HeapInuse: 0.3e6, HeapAlloc: 0.05e6, HeapIdle: 3.66e6 },
  fill: { HeapInuse: 82.17e6, HeapAlloc: 73.98e6, HeapIdle: 1.48e6, B: 18, noverflow: 483 },
  gc: { HeapInuse: 58.27e6, HeapAlloc: 57.98e6, HeapIdle: 25.39e6, B: 18, noverflow: 0 },
  shrink: { HeapInuse: 0.34e6, HeapAlloc: 0.05e6, HeapIdle: 83.26e6 },
};

function progress(enabled: boolean, what: string) {
  const tty = enabled && process.stderr.isTTY;
  let last = -1;
  const t0 = performance.now();
  return {
    tick(done: number, total: number) {
      if (!tty || performance.now() - t0 < 300) return;
      const pct = Math.floor((100 * done) / total);
      if (pct !== last) {
        last = pct;
        process.stderr.write(`\r${what}: ${pct}% (${done.toLocaleString("en")} / ${total.toLocaleString("en")})`);
      }
    },
    end() {
      if (tty && last >= 0) process.stderr.write(`\r${" ".repeat(70)}\r`);
    },
  };
}

function row(rt: Runtime, m: GoMap | null): Row {
  const s: MemStats = rt.readMemStats();
  const info = m && !m.freed ? rt.inspect(m) : null;
  return {
    HeapInuse: s.HeapInuse,
    HeapAlloc: s.HeapAlloc,
    HeapIdle: s.HeapIdle,
    HeapSys: s.HeapSys,
    Sys: s.Sys,
    NumGC: s.NumGC,
    lastPauseNs: s.NumGC ? s.PauseNs[(s.NumGC + 255) % 256]! : 0,
    B: info ? info.B : null,
    count: info ? info.count : null,
    noverflow: info ? info.noverflow : null,
    bucketBytes: info ? info.bucketBytes : null,
  };
}

async function runOurs(o: LabOptions, gctrace: (line: string) => void): Promise<Record<PhaseName, Row>> {
  // --trusted: the lab is its own deployment, so it gives the environment's
  // opt-in itself (docs/unsafe.md).
  if (o.trusted) process.env.GOMAP_WASM_TRUSTED = "1";
  const rt = await Runtime.create({
    maxMemory: o.maxMemory,
    gcPercent: o.gcPercent,
    gctrace: o.gctrace ? gctrace : false,
    memProfileRate: o.profileRate,
    trusted: o.trusted,
  });
  const out = {} as Record<PhaseName, Row>;
  const verbose = !o.json;
  if (o.profile) mkdirSync(o.profile, { recursive: true });
  // One profile per phase, taken "now" (every allocation and free so far)
  // so that each matches its row of the table — HeapAlloc also counts
  // garbage not swept yet — rather than Go's "as of the last collection".
  const profile = async (phase: PhaseName) => {
    if (o.profile) writeFileSync(join(o.profile, PROFILE_FILES[phase]), await rt.heapProfile({ asOf: "now" }));
  };
  rt.gc();
  out.start = row(rt, null);
  await profile("start");
  const CHUNK = 50_000;
  const keyChunk = (from: number, to: number) => {
    const ks: (string | bigint)[] = [];
    for (let i = from; i < to; i++)
      ks.push(o.keys === "string" ? `key-${i}` : (BigInt(i) * 0x9e3779b97f4a7c15n) & 0xffffffffffffffffn);
    return ks;
  };
  // Keys 0 … n-1, key i → i.
  const fill = (target: GoMap, what: string) => {
    const p = progress(verbose, what);
    for (let i = 0; i < o.n; i += CHUNK) {
      const to = Math.min(o.n, i + CHUNK);
      const ks = keyChunk(i, to);
      const vs = new BigInt64Array(to - i);
      for (let j = 0; j < vs.length; j++) vs[j] = BigInt(i + j);
      (target as GoMap<"string" | "u64", "i64">).setMany(ks as never, vs);
      p.tick(to, o.n);
    }
    p.end();
  };
  const makeMap = (r: Runtime) =>
    o.keys === "string"
      ? r.map({ key: "string", value: "i64", hint: o.hint })
      : r.map({ key: "u64", value: "i64", hint: o.hint });
  const m = makeMap(rt);
  out.make = row(rt, m);
  await profile("make");
  fill(m, "fill");
  out.fill = row(rt, m);
  await profile("fill");
  let p = progress(verbose, "delete");
  const tDel = performance.now();
  for (let i = 0; i < o.n; i += CHUNK) {
    const to = Math.min(o.n, i + CHUNK);
    (m as GoMap<"string" | "u64", "i64">).deleteMany(keyChunk(i, to) as never);
    p.tick(to, o.n);
  }
  p.end();
  out.delete = { ...row(rt, m), deleteMs: performance.now() - tDel };
  await profile("delete");
  rt.gc();
  out.gc = row(rt, m);
  await profile("gc");
  m.clear();
  rt.gc();
  out.clear = row(rt, m);
  await profile("clear");
  m.shrink();
  rt.gc();
  out.shrink = row(rt, m);
  await profile("shrink");

  // Beyond Go: give the memory back to the host.
  await rt.compact();
  out.compact = row(rt, m);
  await profile("compact");

  // Refill a tenth, then zero every value in place (trusted runtimes).
  const tenth = Math.max(1, Math.floor(o.n / 10));
  p = progress(verbose, "refill");
  for (let i = 0; i < tenth; i += CHUNK) {
    const to = Math.min(tenth, i + CHUNK);
    (m as GoMap<"string" | "u64", "i64">).setMany(keyChunk(i, to) as never, new BigInt64Array(to - i).fill(1n));
    p.tick(to, tenth);
  }
  p.end();
  let zeroMs: number | null = null;
  if (rt.trusted) {
    const t0 = performance.now();
    rt.unsafe.zeroValues(m);
    zeroMs = performance.now() - t0;
  }
  out.zero = { ...row(rt, m), zeroValuesMs: zeroMs };
  await profile("zero");

  // A pool (the "transaction" generation): put clears the map and keeps
  // its array; get hands it back.
  const pool = rt.pool({ key: m.keyType, value: "i64", generation: "transaction", hint: tenth });
  pool.put(m as never);
  const m2 = pool.get();
  out.pool = row(rt, m2);
  await profile("pool");
  pool.put(m2);
  rt.gc(); // idle map → victim cache
  rt.gc(); // victim dropped at this cycle's start, freed by its sweep
  out.victim = { ...row(rt, null), dropped: pool.stats().dropped };
  await profile("victim");

  // Beyond Go: a map of n entries again, saved and loaded back
  // (docs/snapshot.md), against building it again by inserting.
  const m3 = makeMap(rt);
  fill(m3, "refill");
  let t0 = performance.now();
  const image = rt.snapshot({ maps: { m: m3 } });
  const snapshotMs = performance.now() - t0;
  const snap: Row = { ...row(rt, m3), snapshotMs, imageBytes: image.length };
  await profile("snapshot");
  t0 = performance.now();
  const restored = await Runtime.restore(image);
  snap.restoreMs = performance.now() - t0;
  try {
    const rm = restored.maps.m as GoMap<"string" | "u64", "i64">;
    const info = restored.rt.inspect(rm);
    snap.inspectEqual = JSON.stringify(info) === JSON.stringify(rt.inspect(m3));
    const s = restored.rt.readMemStats();
    snap.restored = {
      HeapInuse: s.HeapInuse,
      HeapAlloc: s.HeapAlloc,
      Sys: s.Sys,
      B: info.B,
      count: info.count,
      noverflow: info.noverflow,
    };
    // Read back a sample of entries (every (n/1000)th key and the last),
    // and one key that was never inserted.
    const step = Math.max(1, Math.floor(o.n / 1000));
    const sample: number[] = [];
    for (let i = 0; i < o.n; i += step) sample.push(i);
    if (sample[sample.length - 1] !== o.n - 1) sample.push(o.n - 1);
    for (const i of sample) {
      const k = keyChunk(i, i + 1)[0]!;
      const v = rm.get(k as never);
      if (v !== BigInt(i)) throw new Error(`the restored map holds ${v} for key ${k}, the original ${i}`);
    }
    const absent = keyChunk(o.n, o.n + 1)[0]!;
    if (rm.has(absent as never)) throw new Error(`the restored map holds key ${absent}, never inserted`);
    snap.sampled = sample.length;
  } finally {
    restored.rt.close();
  }
  // The same map built again, as a program without snapshots starts.
  t0 = performance.now();
  const rt3 = await Runtime.create({ maxMemory: o.maxMemory, gcPercent: o.gcPercent });
  try {
    const m4 = makeMap(rt3);
    fill(m4, "rebuild");
    snap.rebuildMs = performance.now() - t0;
    const info = rt3.inspect(m4);
    snap.rebuilt = { B: info.B, count: info.count, noverflow: info.noverflow };
  } finally {
    rt3.close();
  }
  out.snapshot = snap;
  return out;
}

function findGo(): string | null {
  for (const c of ["go", "/usr/lib/go-1.19/bin/go", "/usr/local/go/bin/go"]) {
    const r = spawnSync(c, ["version"], { encoding: "utf8" });
    if (r.status === 0) return c;
  }
  return null;
}

function runGo(o: LabOptions): Record<PhaseName, Row> {
  const go = findGo();
  if (!go) throw new UsageError("--go needs a Go toolchain on the PATH (e.g. apt-get install golang-1.19-go)");
  const dir = fileURLToPath(new URL("../bench/go/", import.meta.url));
  if (!existsSync(dir + "lab/main.go")) throw new UsageError(`--go: the Go program is missing (${dir}lab/main.go)`);
  const r = spawnSync(go, ["run", "./lab", "-n", String(o.n), "-keys", o.keys, "-hint", String(o.hint)], {
    cwd: dir,
    encoding: "utf8",
    env: { ...process.env, GOFLAGS: "-mod=mod", GOTOOLCHAIN: "local" },
  });
  if (r.status !== 0) throw new Error(`go run ./lab failed:\n${r.stderr}`);
  const out = {} as Record<PhaseName, Row>;
  for (const line of r.stdout.trim().split("\n")) {
    const j = JSON.parse(line) as Row & { phase: PhaseName };
    out[j.phase] = j;
  }
  return out;
}

const MB = (b: number | null | undefined) => (b === null || b === undefined ? "—" : (b / 1e6).toFixed(2));
const num = (x: number | null | undefined) => (x === null || x === undefined ? "—" : String(x));
const ms = (ns: number | null | undefined) => (ns === null || ns === undefined ? "—" : (ns / 1e6).toFixed(3));

function table(ours: Record<PhaseName, Row>, go: Record<PhaseName, Row> | null, goLabel: string): string {
  const head = [
    "phase",
    "HeapInuse",
    `Go ${goLabel}`,
    "HeapAlloc",
    `Go`,
    "HeapIdle",
    "Go",
    "HeapSys",
    "linear mem",
    "NumGC",
    "last pause ms",
    "B",
    "Go B",
    "count",
    "noverflow",
    "Go",
    "bucket MB",
  ];
  const lines = [`| ${head.join(" | ")} |`, `|${head.map((_, i) => (i === 0 ? "---" : "---:")).join("|")}|`];
  for (const ph of PHASES) {
    const r = ours[ph.name];
    const g = go ? go[ph.name] : (GO_FACTS[ph.name] as Row | undefined);
    lines.push(
      `| ${ph.title} | ${MB(r.HeapInuse)} | ${MB(g?.HeapInuse)} | ${MB(r.HeapAlloc)} | ${MB(g?.HeapAlloc)} | ${MB(r.HeapIdle)} | ${MB(g?.HeapIdle)} | ${MB(r.HeapSys)} | ${MB(r.Sys)} | ${r.NumGC} | ${ms(r.lastPauseNs)} | ${num(r.B)} | ${num(g?.B)} | ${num(r.count)} | ${num(r.noverflow)} | ${num(g?.noverflow)} | ${MB(r.bucketBytes)} |`,
    );
  }
  return lines.join("\n");
}

async function main(): Promise<number> {
  let o: LabOptions | null;
  try {
    o = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`gomap-lab: ${(e as Error).message}`);
    return 2;
  }
  if (!o) {
    console.log(HELP);
    return 0;
  }
  const traces: string[] = [];
  const gctrace = (line: string) => {
    if (o!.json) traces.push(line);
    else console.error(line);
  };
  let ours: Record<PhaseName, Row>;
  let go: Record<PhaseName, Row> | null = null;
  try {
    const t0 = performance.now();
    ours = await runOurs(o, gctrace);
    const elapsed = performance.now() - t0;
    if (o.go) go = runGo(o);
    if (o.json) {
      console.log(
        JSON.stringify(
          {
            options: o,
            elapsedMs: Math.round(elapsed),
            phases: PHASES.map((p) => ({
              phase: p.name,
              title: p.title,
              ours: ours[p.name],
              go: (go ? go[p.name] : GO_FACTS[p.name]) ?? null,
              ...(o!.profile ? { profile: join(o!.profile, PROFILE_FILES[p.name]) } : {}),
            })),
            goSource: go ? "measured" : "docs/go-facts.md (Go 1.19.8, n = 1,000,000 string keys)",
            gctrace: traces,
          },
          null,
          2,
        ),
      );
      return 0;
    }
    const factsApply = o.n === 1_000_000 && o.keys === "string" && o.hint === o.n;
    const goLabel = go ? "(measured)" : factsApply ? "(facts)" : "(facts, n=1e6)";
    console.log(
      `gomap-lab: make(map[${o.keys === "string" ? "string" : "uint64"}]int, ${o.hint}), ${o.n.toLocaleString("en")} entries, GOGC=${o.gcPercent} — ${(elapsed / 1000).toFixed(1)} s\n`,
    );
    console.log(table(ours, go, goLabel));
    console.log("\nMB = 10^6 bytes. Phases:");
    for (const p of PHASES) console.log(`  ${p.title.padEnd(30)} ${p.explain}`);
    console.log(
      `\nGo's column: ${go ? "measured now by bench/go/lab (real Go)" : "Go 1.19.8's figures for n = 1,000,000 string keys from docs/go-facts.md (run with --go to measure)"}.`,
    );
    console.log(
      "Linear memory never grows back down by itself (WebAssembly cannot give pages back): freed pages become HeapIdle and are reused; rt.compact() moves the live maps to a fresh memory and drops the old one.",
    );
    const z = ours.zero.zeroValuesMs;
    const tenth = Math.max(1, Math.floor(o.n / 10));
    if (z !== null && z !== undefined) {
      const del = ours.delete.deleteMs!;
      console.log(
        `unsafe.zeroValues: ${tenth.toLocaleString("en")} values in ${z.toFixed(2)} ms (${((z * 1e6) / tenth).toFixed(1)} ns each); the delete-all loop took ${((del * 1e6) / o.n).toFixed(1)} ns per key.`,
      );
    } else {
      console.log("unsafe.zeroValues: skipped (run with --trusted, as npm start does).");
    }
    const sn = ours.snapshot;
    const n = o.n.toLocaleString("en");
    const r = sn.restored!;
    console.log(
      `\nrt.snapshot of the refilled map (${n} entries): ${MB(sn.imageBytes)} MB image (HeapInuse ${MB(sn.HeapInuse)} MB, linear memory ${MB(sn.Sys)} MB) in ${sn.snapshotMs!.toFixed(1)} ms.`,
    );
    console.log(
      `Runtime.restore: ${sn.restoreMs!.toFixed(1)} ms; the restored map has B ${r.B}, noverflow ${r.noverflow}, count ${r.count.toLocaleString("en")}, ` +
        `inspect() ${sn.inspectEqual ? "equal to" : "DIFFERENT from"} the original's; HeapInuse ${MB(r.HeapInuse)} MB; ${sn.sampled!.toLocaleString("en")} sampled entries read back equal.`,
    );
    const rb = sn.rebuilt!;
    console.log(
      `Building it again instead (Runtime.create + make(hint) + setMany of ${n} entries): ${sn.rebuildMs!.toFixed(1)} ms (B ${rb.B}, noverflow ${rb.noverflow}: a new hash seed, its own layout).`,
    );
    if (o.profile) {
      const f = (p: PhaseName) => join(o!.profile!, PROFILE_FILES[p]);
      console.log(
        `\nHeap profiles (one per phase, every allocation and free so far; rate ${o.profileRate} bytes): ${f("start")} … ${f("shrink")}`,
      );
      console.log(`  go tool pprof -top -sample_index=inuse_space ${f("fill")}`);
      console.log(`  go tool pprof -top -base ${f("delete")} ${f("gc")}     # what the collection freed`);
    }
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`gomap-lab: ${e.message}`);
      return 2;
    }
    console.error(`gomap-lab: ${(e as Error).message}`);
    return 1;
  }
}

process.exitCode = await main();
