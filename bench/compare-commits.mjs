#!/usr/bin/env node
// bench/compare-commits: a same-machine before/after comparison of bench/maps
// between two commits (issue 14's acceptance: no op more than 5 % slower).
//
//   node bench/compare-commits.mjs [before] [after] [options]
//     before, after      commits (default 511fbc7 and HEAD); also --before=, --after=
//     --runs=5           runs per commit, interleaved (see below)
//     --plan=...         what each run measures, entries separated by ";":
//                        workload/peers/ops, e.g. "u32/js,ours,ours-batch/insert,hit"
//                        (default PLAN below)
//     --size=1e6         map size (entries)
//     --reps=5 --warmup=1  repetitions inside each bench/maps child (its
//                        --reps/--warmup, and --str-big-reps/--str-big-warmup
//                        for the string workloads at 1e6)
//     --dir=/tmp/gomap-cmp  where the worktrees go (one per commit, named by hash)
//     --keep             keep the worktrees (and reuse them next time: no
//                        npm ci or build when they are there at the same commit)
//     --setup-only       make the worktrees, install and build, then stop
//     --json=FILE        also write every sample (default: DIR/compare-<time>.json)
//     --threshold=5      flag ops whose after/before ratio exceeds 1 + this %
//
// The default plan (u32: every op, single and batch; u53 (u64 keys as
// numbers): insert, hit, iterate; u64 (bigint keys): insert, hit; str:
// insert, hit, single calls; JS Map in each as the same-run reference) took
// ~16 min for 5 + 5 runs on the 2-core development machine (~1 min of it npm
// ci and builds). To re-check some ops: --plan="u32/js,ours/insert,delete".
//
// What it does:
// 1. `git worktree add --detach DIR/<hash> <commit>` for each commit (outside
//    this checkout: the repository's bench/results are never written), then
//    `npm ci --prefer-offline` there (this machine's npm cache), then what
//    `npm run bench:maps` builds first: `node scripts/build.mjs --quiet` and
//    `node bench/peer/build-peer.mjs`.
// 2. Runs each commit's own bench/maps.mjs with the same arguments. Each plan
//    entry is one bench/maps child, exactly as `npm run bench:maps` spawns it
//    (`node --expose-gc --max-old-space-size=8192 bench/maps.mjs
//    --child=WORKLOAD:SIZE --peers=... --ops=... --reps=...`): one fresh
//    process per (workload, commit, run), its JSON read from stdout. The child
//    writes nothing; the parent, which writes bench/results/maps.{json,md},
//    is not run. An option that a commit's bench/maps.mjs does not know is
//    left out for that commit (with a note).
// 3. Interleaving: for run i, for each plan entry, before then after (i even)
//    or after then before (i odd), so drift and background load on the
//    shared machine fall on both sides alike and neither side always goes
//    first.
// 4. Each child reports, per (peer, op), the median ns/op of its measured
//    repetitions; the table gives, per (workload, op, call shape), the median
//    over the runs of those medians for each commit, their min–max, and
//    after/before. JS Map is the same code on both sides: its ratio shows
//    how far the machine alone moves a ratio. The checksums of both commits
//    must agree (same keys, same answers).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, "..");

/** @param {string} name @param {string} dflt */
const arg = (name, dflt) => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a === undefined ? dflt : a.slice(name.length + 3);
};
/** @param {string} name */
const flag = (name) => process.argv.includes(`--${name}`);
const positional = process.argv.slice(2).filter((a) => !a.startsWith("--"));

const PLAN_DEFAULT = [
  "u32/js,ours,ours-batch/insert,hit,miss,iterate,delete",
  "u53/js,ours,ours-batch/insert,hit,iterate",
  "u64/js,ours,ours-batch/insert,hit",
  "str/js,ours/insert,hit",
].join(";");

const BEFORE = arg("before", positional[0] ?? "511fbc7");
const AFTER = arg("after", positional[1] ?? "HEAD");
const RUNS = Number(arg("runs", "5"));
const SIZE = arg("size", "1e6");
const REPS = arg("reps", "5");
const WARMUP = arg("warmup", "1");
const DIR = arg("dir", "/tmp/gomap-cmp");
const KEEP = flag("keep");
const SETUP_ONLY = flag("setup-only");
const THRESHOLD = Number(arg("threshold", "5"));
const PLAN = arg("plan", PLAN_DEFAULT)
  .split(";")
  .filter(Boolean)
  .map((e) => {
    const [workload, peers, ops] = e.split("/");
    if (!workload || !peers || !ops) throw new Error(`bad plan entry ${e}: want workload/peers/ops`);
    return { workload, peers, ops };
  });

/** @param {string} s */
const log = (s) => process.stderr.write(s + "\n");

/**
 * Run a command; throw with its output when it fails.
 * @param {string} cmd @param {string[]} args @param {string} cwd @param {boolean} [quiet]
 */
function run(cmd, args, cwd, quiet = true) {
  const r = spawnSync(cmd, args, {
    cwd,
    encoding: "utf8",
    stdio: quiet ? ["ignore", "pipe", "pipe"] : ["ignore", "inherit", "inherit"],
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.status !== 0)
    throw new Error(
      `${cmd} ${args.join(" ")} (in ${cwd}) failed: status ${r.status}, signal ${r.signal}\n${r.stdout ?? ""}${r.stderr ?? ""}`,
    );
  return r.stdout ?? "";
}
/** @param {string[]} args */
const git = (args) => run("git", args, repo).trim();

/** @param {number} ms */
const sleep = (ms) => new Promise((res) => setTimeout(res, ms));

/**
 * A worktree of `commit` under DIR, installed and built. Reused when it is
 * there at the same commit with its build.
 * @param {string} commit
 */
async function prepare(commit) {
  const sha = git(["rev-parse", "--verify", `${commit}^{commit}`]);
  const wt = join(DIR, sha.slice(0, 12));
  const built = () =>
    existsSync(join(wt, "build", "release.wasm")) && existsSync(join(wt, "bench", "peer", "build", "asmap-peer.wasm"));
  if (existsSync(wt) && run("git", ["rev-parse", "HEAD"], wt).trim() === sha && built()) {
    log(`${commit} = ${sha.slice(0, 12)}: reusing ${wt}`);
    return { commit, sha, wt };
  }
  mkdirSync(DIR, { recursive: true });
  if (!existsSync(wt)) {
    // Another git command may hold the index lock: wait and retry.
    for (let i = 0; ; i++) {
      try {
        git(["worktree", "add", "--detach", wt, sha]);
        break;
      } catch (e) {
        if (i >= 30 || !String(e).includes("lock")) throw e;
        await sleep(2000);
      }
    }
  }
  const t0 = Date.now();
  log(`${commit} = ${sha.slice(0, 12)}: npm ci in ${wt}`);
  run("npm", ["ci", "--prefer-offline", "--no-audit", "--no-fund"], wt);
  run(process.execPath, ["scripts/build.mjs", "--quiet"], wt);
  run(process.execPath, ["bench/peer/build-peer.mjs"], wt);
  if (!built()) throw new Error(`${wt}: build/release.wasm or the AS map peer missing after the build`);
  log(`  installed and built in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  return { commit, sha, wt };
}

/**
 * The options a commit's bench/maps.mjs knows (read from its source: each is
 * parsed with arg("name", …) or flag("name")).
 * @param {string} wt
 */
function knownOptions(wt) {
  const src = readFileSync(join(wt, "bench", "maps.mjs"), "utf8");
  const known = new Set();
  for (const m of src.matchAll(/\b(?:arg|flag)\(\s*"([a-z0-9-]+)"/g)) known.add(m[1]);
  return known;
}

/**
 * The child's arguments for one plan entry, less the options this commit's
 * bench/maps.mjs does not know.
 * @param {{ workload: string, peers: string, ops: string }} e @param {Set<string>} known @param {string[]} dropped
 */
function childArgs(e, known, dropped) {
  const opts = [
    ["child", `${e.workload}:${SIZE}`],
    ["peers", e.peers],
    ["ops", e.ops],
    ["reps", REPS],
    ["warmup", WARMUP],
    ["str-big-reps", REPS],
    ["str-big-warmup", WARMUP],
  ];
  const args = [];
  for (const [k, v] of opts) {
    if (known.has(/** @type {string} */ (k))) args.push(`--${k}=${v}`);
    else if (k === "child") throw new Error("this bench/maps.mjs has no --child mode: cannot compare it");
    else if (!dropped.includes(/** @type {string} */ (k))) dropped.push(/** @type {string} */ (k));
  }
  return args;
}

/**
 * One bench/maps child: its result rows.
 * @param {{ sha: string, wt: string }} side @param {string[]} args
 */
function runChild(side, args) {
  const out = run(
    process.execPath,
    ["--expose-gc", "--max-old-space-size=8192", "bench/maps.mjs", ...args],
    side.wt,
    true,
  );
  const lines = out.trim().split("\n");
  const doc = JSON.parse(/** @type {string} */ (lines[lines.length - 1]));
  if (doc.mismatches?.length) log(`  CHECKSUM MISMATCH inside ${side.sha.slice(0, 12)}: ${doc.mismatches.join("; ")}`);
  return doc;
}

// ------------------------------------------------------------------ format

/** ns/op with 3 significant digits. @param {number} x */
const ns = (x) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
/** @param {number[]} xs */
function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  const hi = s[m] ?? Number.NaN,
    lo = s[m - 1] ?? Number.NaN;
  return s.length % 2 ? hi : (lo + hi) / 2;
}
const OP_LABEL = /** @type {Record<string, string>} */ ({
  insert: "insert",
  hit: "lookup hit",
  miss: "lookup miss",
  iterate: "iterate",
  delete: "delete all",
});
const PEER_LABEL = /** @type {Record<string, string>} */ ({
  js: "JS Map (reference)",
  ours: "ours single",
  "ours-batch": "ours batch",
  "ours-bytes": "ours bytes single",
  "ours-bytes-batch": "ours bytes batch",
  as: "AS Map",
  "as-batch": "AS batch",
  "ours-core": "ours core",
  encode: "encode only",
});

// ------------------------------------------------------------------ main

const t00 = Date.now();
const sides = [await prepare(BEFORE), await prepare(AFTER)];
if (SETUP_ONLY) process.exit(0);

const known = sides.map((s) => knownOptions(s.wt));
/** @type {string[][]} */
const dropped = [[], []];
const argsOf = sides.map((_, k) =>
  PLAN.map((e) => childArgs(e, /** @type {Set<string>} */ (known[k]), /** @type {string[]} */ (dropped[k]))),
);
sides.forEach((s, k) => {
  if (dropped[k]?.length) log(`note: ${s.commit}'s bench/maps.mjs has no --${dropped[k].join(", --")}: left out there`);
});

/** samples[side][workload/peer/op] = per-run medians; checks likewise */
/** @type {Record<string, number[]>[]} */
const samples = [{}, {}];
/** @type {Record<string, unknown>[]} */
const checks = [{}, {}];
/** @type {Set<string>[]} */
const stamps = [new Set(), new Set()];
/** @type {string[]} */
const keys = [];
/** Every child's result rows (with its repetitions' samples), for the JSON.
 *  @type {{ run: number, side: string, workload: string, seconds: number, results: unknown[] }[]} */
const children = [];
log(
  `plan (size ${SIZE}, ${WARMUP} warm-up + ${REPS} reps per child, ${RUNS} runs per commit): ${PLAN.map((e) => `${e.workload}/${e.peers}/${e.ops}`).join("; ")}`,
);
for (let i = 0; i < RUNS; i++) {
  for (let j = 0; j < PLAN.length; j++) {
    const e = /** @type {(typeof PLAN)[number]} */ (PLAN[j]);
    for (const k of i % 2 === 0 ? [0, 1] : [1, 0]) {
      const side = /** @type {(typeof sides)[number]} */ (sides[k]);
      const t0 = Date.now();
      const doc = runChild(side, /** @type {string[][]} */ (argsOf[k])[j] ?? []);
      if (doc.codeStamp) stamps[k]?.add(doc.codeStamp);
      children.push({
        run: i,
        side: k === 0 ? "before" : "after",
        workload: e.workload,
        seconds: (Date.now() - t0) / 1000,
        results: doc.results,
      });
      const parts = [];
      for (const r of doc.results) {
        const key = `${r.workload}/${r.peer}/${r.op}`;
        if (!keys.includes(key)) keys.push(key);
        const mine = /** @type {Record<string, number[]>} */ (samples[k]);
        (mine[key] ??= []).push(r.median);
        const c = /** @type {Record<string, unknown>} */ (checks[k]);
        if (c[key] !== undefined && String(c[key]) !== String(r.checksum))
          log(`  checksum of ${key} changed between runs of ${side.commit}`);
        c[key] = r.checksum;
        parts.push(`${r.peer}:${r.op} ${ns(r.median)}`);
      }
      log(
        `run ${i + 1}/${RUNS} ${e.workload} ${k === 0 ? "before" : "after "} (${((Date.now() - t0) / 1000).toFixed(0)} s): ${parts.join(" ")}`,
      );
    }
  }
}
const wallS = (Date.now() - t00) / 1000;

// ------------------------------------------------------------------ report

const ORDER_W = PLAN.map((e) => e.workload);
const ORDER_P = ["ours", "ours-batch", "ours-bytes", "ours-bytes-batch", "ours-core", "as", "as-batch", "encode", "js"];
const ORDER_O = ["insert", "hit", "miss", "iterate", "delete"];
/** @param {string} key */
const rank = (key) => {
  const [w, p, o] = key.split("/");
  return (
    ORDER_W.indexOf(/** @type {string} */ (w)) * 10000 +
    ORDER_O.indexOf(/** @type {string} */ (o)) * 100 +
    ORDER_P.indexOf(/** @type {string} */ (p))
  );
};
keys.sort((a, b) => rank(a) - rank(b));
const limit = 1 + THRESHOLD / 100;
const md = [];
md.push(
  `bench/maps at ${SIZE} entries, ${sides[0]?.commit} (${sides[0]?.sha.slice(0, 7)}) → ${sides[1]?.commit} (${sides[1]?.sha.slice(0, 7)}): ` +
    `median of ${RUNS} interleaved runs per commit (each run: one bench/maps child, ${WARMUP} warm-up + ${REPS} measured repetitions, its median ns/op); ` +
    `spread = min–max of the ${RUNS} run medians; paired = median (min–max) over the runs of after/before for the two children run next to each other. ` +
    `⚠: after/before (of the medians) above ${(1 + THRESHOLD / 100).toFixed(2)}.`,
);
md.push("");
md.push(
  "| keys | op | call | before ns/op | before spread | after ns/op | after spread | after/before | paired after/before (min–max) | |",
);
md.push("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
/** @type {string[]} */
const slower = [];
/** @type {string[]} */
const checkDiffs = [];
for (const key of keys) {
  const [w, p, o] = /** @type {[string, string, string]} */ (key.split("/"));
  const a = samples[0]?.[key],
    b = samples[1]?.[key];
  if (!a || !b) {
    md.push(
      `| ${w} | ${OP_LABEL[o] ?? o} | ${PEER_LABEL[p] ?? p} | ${a ? ns(median(a)) : "–"} | | ${b ? ns(median(b)) : "–"} | | | | |`,
    );
    continue;
  }
  const ma = median(a),
    mb = median(b),
    ratio = mb / ma;
  // Run i's before and after children ran next to each other: their ratio
  // cancels the load both saw.
  const paired = a.map((x, i) => /** @type {number} */ (b[i]) / x);
  const bad = ratio > limit && p !== "js";
  if (bad) slower.push(`${w} ${OP_LABEL[o] ?? o} ${PEER_LABEL[p] ?? p}`);
  if (String(checks[0]?.[key]) !== String(checks[1]?.[key])) checkDiffs.push(key);
  md.push(
    `| ${w} | ${OP_LABEL[o] ?? o} | ${PEER_LABEL[p] ?? p} | ${ns(ma)} | ${ns(Math.min(...a))}–${ns(Math.max(...a))} | ` +
      `${ns(mb)} | ${ns(Math.min(...b))}–${ns(Math.max(...b))} | ${ratio.toFixed(3)} | ` +
      `${median(paired).toFixed(3)} (${Math.min(...paired).toFixed(2)}–${Math.max(...paired).toFixed(2)}) | ${bad ? "⚠" : ratio > limit ? "(reference)" : ""} |`,
  );
}
md.push("");
md.push(
  slower.length
    ? `More than ${THRESHOLD} % slower: ${slower.join("; ")}.`
    : `No op of ours is more than ${THRESHOLD} % slower.`,
);
if (checkDiffs.length) md.push(`Checksums differ between the commits: ${checkDiffs.join(", ")}.`);
sides.forEach((s, k) => {
  if ((stamps[k]?.size ?? 0) > 1)
    md.push(`Warning: ${s.commit}'s code changed during the runs (code stamps ${[...(stamps[k] ?? [])].join(", ")}).`);
});
md.push(`Node ${process.version}; wall time ${(wallS / 60).toFixed(1)} min (setup included).`);
const text = md.join("\n");
console.log(text);

const jsonPath = arg("json", join(DIR, `compare-${new Date().toISOString().replace(/[:.]/g, "-")}.json`));
mkdirSync(dirname(jsonPath), { recursive: true });
writeFileSync(
  jsonPath,
  JSON.stringify(
    {
      before: sides[0],
      after: sides[1],
      size: SIZE,
      runs: RUNS,
      reps: REPS,
      warmup: WARMUP,
      plan: PLAN,
      argsBefore: argsOf[0],
      argsAfter: argsOf[1],
      samples: { before: samples[0], after: samples[1] },
      checksums: { before: checks[0], after: checks[1] },
      children,
      codeStamps: { before: [...(stamps[0] ?? [])], after: [...(stamps[1] ?? [])] },
      wallSeconds: wallS,
      markdown: text,
    },
    null,
    1,
  ) + "\n",
);
log(`wrote ${jsonPath}`);

if (!KEEP) {
  for (const s of sides) {
    try {
      git(["worktree", "remove", "--force", s.wt]);
    } catch (e) {
      log(`could not remove ${s.wt}: ${String(e).split("\n")[0]}`);
    }
  }
}
