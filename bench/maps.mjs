#!/usr/bin/env node
// bench/maps: our Go map against JS's Map and AssemblyScript's Map, on the
// same key streams in one process.
//
//   npm run bench:maps [-- options]   (builds core, dist/ and the peers first)
//   node --expose-gc --max-old-space-size=8192 bench/maps.mjs [options]
//     --quick                 sizes 1e3,1e6, workloads u32,u53,u64,str, without the
//                             ours-bytes-batch and encode peers: for iterating fast
//     --sizes=1e3,1e5         map sizes (entries)
//     --workloads=u32,u53,u64,str,rstr  key workloads (see WORKLOADS);
//                             --workloads=str,rstr runs only the string ones
//     --str-max=1e6           string workloads skip sizes above this
//     --str-reuse             string workloads: the JS Map peer gets the same
//                             string objects every repetition (their hashes
//                             then cached) instead of fresh ones per map
//     --str-big=1e6           string workloads from this size on run
//     --str-big-peers=...     these peers (default: all but as, as-batch),
//     --str-big-warmup=1 --str-big-reps=3   with these repetitions (time budget)
//     --peers=js,ours,...     peers (see PEERS); --raw adds ours-core;
//                             each workload runs the listed peers that apply to it
//     --ops=insert,hit,...    operations (see OPS)
//     --big=1e7               sizes >= this run only --big-ops and --big-peers,
//                             with --big-reps and --big-warmup (time budget)
//     --big-ops=insert,hit    --big-peers=js,ours,ours-batch,as-batch
//     --reps=5 --warmup=1 --big-reps=3 --big-warmup=0
//     --target-ops=200000     small maps: repeat on fresh maps until this many ops
//     --settle=20             ms to wait after gc() before each peer's turn
//     --tier-up=3             untimed turns per peer on a 2e4-entry map first
//     --no-keeper             do not keep a map alive in each ours runtime (see oursSetup)
//     --child=u32:1e6         run one (workload, size) in this process (all its
//                             peers: the parent runs str/rstr's bytes-map peers
//                             in a second child, --child-group=bytes), print
//                             its results as JSON (what the parent spawns; for
//                             profiling: node --expose-gc --cpu-prof bench/maps.mjs --child=...)
//     --no-json               do not write bench/results/maps.{json,md}
//     --no-merge              write only this run's workloads (by default the
//                             other workloads' sections of the existing
//                             results are kept, marked as an earlier run)
//     --render                no run: write maps.md again from maps.json
//
// Workloads (keys pre-generated from a fixed seed, before any timing):
//   u32  keys 0..n-1 shuffled, u32 -> u32 maps; misses n..2n-1
//   u53  random distinct 53-bit integers, passed as JS numbers; u64 -> u64 maps
//   u64  random distinct full 64-bit integers, passed as bigint; u64 -> u64 maps
//   str  "key-" + i for i in 0..n-1, inserted in that order, looked up and
//        deleted shuffled; misses "key-" + (n..2n-1); string -> u32 maps
//   rstr distinct random printable-ASCII strings of 8..64 chars; string -> u32
// Values are 1..n (the key's insertion index + 1, so 0 never means "found").
// JS Map gets fresh key strings for every map (made from the key bytes
// before its turn, outside the clock) unless --str-reuse: a string caches
// its hash once a Map has hashed it, so reused key objects would let JS skip
// hashing from the second map on. The other peers cache nothing per string
// and share one set of key strings.
//
// Peers (each runs on a fresh heap every repetition):
//   js          new Map(); number keys (u32, u53), bigint keys (u64) or strings
//   ours        rt.map({key, value}) on a fresh Runtime.create({ maxMemory: "4GiB" });
//               m.set / m.get / m.delete / for (const [k, v] of m)
//   ours-batch  m.setMany / m.getMany / m.deleteMany over typed arrays
//               (u53 keys go in a BigUint64Array, converted before timing),
//               or arrays of strings (encoded by setMany etc., timed)
//   as          AssemblyScript's Map<u32,u32> / Map<u64,u64> / Map<string,u32>
//               (bench/peer/asmap.ts), one export call per operation (u53 keys
//               as f64, u64 keys as BigInt, strings as UTF-16 copied into its memory)
//   as-batch    the same map, keys copied into its memory with TypedArray.set()
//               (strings: a charCodeAt loop) then one export call per chunk;
//               iterate = one call
//   ours-core   (--raw) the core's exports called directly (boundaryOf(rt).mapOps):
//               no argument checks, keys as ready BigInts for u64 maps; shows
//               what the GoMap wrapper costs on top of the core (numeric only)
// String workloads only:
//   ours-bytes-batch  rt.map({ key: "bytes", value: "u32" }), setMany/getMany/
//               deleteMany over arrays of Uint8Array keys encoded (TextEncoder)
//               before timing: the public API takes no pre-encoded strings, and
//               a bytes map stores and hashes the same bytes a string map does
//   ours-bytes  (opt-in) the same map, one call per key
//   encode      no map: the WTF-8 encoding ours does per key (dist/wtf8.js
//               encodeInto, into a 64 KiB buffer), to compare with ours
//
// Operations, in this order on one map per peer per repetition:
//   insert   n inserts into an empty map (no size hint)
//   hit      get() of every key, in another random order
//   miss     get() of n keys that are not in the map
//   iterate  every entry once (sum of values, XOR of keys; string keys:
//            sum of the keys' lengths)
//   delete   delete every key (in the lookup order) until the map is empty
// Maps smaller than --target-ops are repeated: `inner` = target-ops / n fresh
// maps per repetition, each op timed per map and summed.
//
// Every timed loop is compiled separately for each peer from the same source
// (so each call site stays monomorphic) and folds its results into a
// checksum; the checksums of all peers must agree.
import { mulberry32 } from "../dist/random.js";
import { readFileSync, writeFileSync, readdirSync } from "node:fs";
import { createHash } from "node:crypto";
import { spawnSync } from "node:child_process";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { Runtime } from "../dist/node.js";
import { boundaryOf } from "../dist/runtime.js";
import { mapHandle, mapOps } from "../dist/map.js";
import { encodeInto as wtf8EncodeInto } from "../dist/wtf8.js";
import { ASMAP_WASM } from "./peer/build-peer.mjs";
import { buildGoPeer, removeGoPeer, GoPeer } from "./gopeer.mjs";
import os from "node:os";
import {
  arg,
  flag,
  list,
  summary,
  quartiles,
  machineInfo,
  finishMachine,
  machineLine,
  fmt,
  quiesce,
  warnNoGc,
  peerInstance,
  writeJson,
} from "./lib.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");

/**
 * A workload (WORKLOADS). `as`: AssemblyScript's exports for it (numeric
 * workloads: set/get/del; string ones use AsStr/AsStrBatch).
 * @typedef {{ name: string, title: string, wide: boolean, bits53?: boolean, str?: boolean,
 *   ours: { key: "u32" | "u64" | "string", value: "u32" | "u64" },
 *   as: { suffix?: string, set?: "set32" | "set53" | "set64", get?: "get32" | "get53" | "get64",
 *     del?: "del32" | "del53" | "del64", missing: string } }} Workload
 */

/**
 * Keys as one peer takes them: typed arrays (numbers, bigints), an array of
 * bigints (lazy), of strings or of Uint8Array views.
 * @typedef {Uint32Array | BigUint64Array | Float64Array | bigint[] | string[] | Uint8Array[]} Keys
 * @typedef {{ ins: Keys, look: Keys, miss: Keys, del?: Keys }} KeySet
 * @typedef {Uint32Array | BigUint64Array} Words
 */

/**
 * The data of one (workload, n). Numeric workloads: key sets for the single-
 * call and batch peers (and ours-core). String workloads: key ids, and the
 * key sets a peer takes, made per turn by keySets().
 * @typedef {{ n: number, single: KeySet, batch: KeySet, vals: Words, out: Words, coreKeys: KeySet,
 *   ids?: undefined, keySets?: undefined }} NumData
 * @typedef {{ n: number, ids: { ins: Uint32Array, look: Uint32Array, miss: Uint32Array }, strAt: (id: number) => string,
 *   keySets: (form: "string" | "bytes", inner: number, fresh: boolean) => KeySet[], vals: Uint32Array, out: Uint32Array,
 *   single?: undefined }} StrData
 * @typedef {NumData | StrData} Data
 * @typedef {{ n: number, single: KeySet, batch: KeySet, vals: Words, out: Words, coreKeys?: KeySet }} OpData
 *   what a timed op reads
 */

/** A hash of the code under test (build/release.wasm and dist/*.js): every
 *  child reports it, so a rebuild in the middle of a run is noticed. */
function codeStamp() {
  const h = createHash("sha1");
  const dist = join(root, "dist");
  const files = [
    join(root, "build", "release.wasm"),
    ...readdirSync(dist)
      .filter((f) => f.endsWith(".js"))
      .sort()
      .map((f) => join(dist, f)),
  ];
  for (const f of files) h.update(readFileSync(f));
  return h.digest("hex").slice(0, 12);
}
const RESULTS_JSON = join(here, "results", "maps.json");
const RESULTS_MD = join(here, "results", "maps.md");

// ------------------------------------------------------------------ options

const QUICK = flag("quick");
const SIZES = list(arg("sizes", QUICK ? "1e3,1e6" : "1e3,1e5,1e6,1e7"));
const WORKLOAD_NAMES = arg("workloads", QUICK ? "u32,u53,u64,str" : "u32,u53,u64,str,rstr")
  .split(",")
  .filter(Boolean);
/** String workloads skip sizes above these: "key-<i>" (str) and random strings (rstr,
 *  whose generator keeps a Set of every key: 1e7 of them would take GBs). */
const STR_MAX = Number(arg("str-max", "1e7"));
const RSTR_MAX = Number(arg("rstr-max", "1e6"));
const STR_BIG = Number(arg("str-big", "1e6"));
const STR_BIG_REPS = Number(arg("str-big-reps", "5"));
const STR_BIG_WARMUP = Number(arg("str-big-warmup", "1"));
const STR_REUSE = flag("str-reuse");
const RAW = flag("raw");
const PEER_NAMES = arg(
  "peers",
  // (--quick leaves out the pre-encoded bytes map and the encode-only column.)
  `js,ours,ours-batch,ours-f64-batch,${QUICK ? "" : "ours-bytes-batch,"}as,as-batch,go${QUICK ? "" : ",encode"}${RAW ? ",ours-core" : ""}`,
)
  .split(",")
  .filter(Boolean);
// (A name that is no op matches no peer's op and is skipped.)
const OPS = /** @type {OpName[]} */ (arg("ops", "insert,hit,miss,iterate,forEach,delete").split(",").filter(Boolean));
const BIG = Number(arg("big", "1e7"));
const BIG_OPS = /** @type {OpName[]} */ (arg("big-ops", "insert,hit,miss,iterate").split(",").filter(Boolean));
const BIG_PEERS = arg(
  "big-peers",
  PEER_NAMES.filter((p) => !["as", "ours-bytes", "ours-bytes-batch", "encode"].includes(p)).join(","),
)
  .split(",")
  .filter(Boolean);
/** Peers on `{ key: "bytes" }` maps: in a child process of their own (see runSize). */
const BYTES_PEERS = ["ours-bytes", "ours-bytes-batch"];
const CHILD_GROUP = arg("child-group", "");
const STR_BIG_PEERS = arg("str-big-peers", PEER_NAMES.filter((p) => p !== "as" && p !== "as-batch").join(","))
  .split(",")
  .filter(Boolean);
const REPS = Number(arg("reps", "5"));
const BIG_REPS = Number(arg("big-reps", "3"));
const WARMUP = Number(arg("warmup", "1"));
const BIG_WARMUP = Number(arg("big-warmup", "0"));
const TARGET_OPS = Number(arg("target-ops", "2e5"));
const SETTLE_MS = Number(arg("settle", "20"));
const WRITE = !flag("no-json");
/** Bytes per entry are reported from this size up (small maps: noise). */
const MEM_MIN = 1e5;
/** Untimed tier-up pass in each child: this many turns per peer on a map of this size. */
const TIER_UP_N = 20000;
const TIER_UP_TURNS = Number(arg("tier-up", "3"));
const KEEPER = !flag("no-keeper");

const gc = globalThis.gc ?? (() => {});
const now = () => performance.now();

// -------------------------------------------------------------- key streams

/** mulberry32 (src/random.ts): a small seeded PRNG (u32 per call). */
const prng = mulberry32;

/** Fisher–Yates over `n` records of `w` u32 words each.
 *  @param {Uint32Array} u32 @param {number} n @param {number} w @param {() => number} rand */
function shuffleWords(u32, n, w, rand) {
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor((rand() / 4294967296) * (i + 1));
    for (let k = 0; k < w; k++) {
      const t = /** @type {number} */ (u32[i * w + k]);
      u32[i * w + k] = /** @type {number} */ (u32[j * w + k]);
      u32[j * w + k] = t;
    }
  }
}

/** `count` distinct random 64-bit values (53-bit if bits53), random order.
 *  @param {number} count @param {boolean | undefined} bits53 @param {() => number} rand */
function distinctRandom64(count, bits53, rand) {
  const out = new BigUint64Array(count);
  const w = new Uint32Array(out.buffer);
  /** @param {number} from */
  const fill = (from) => {
    for (let i = from; i < count; i++) {
      w[2 * i] = rand();
      w[2 * i + 1] = bits53 ? rand() & 0x1fffff : rand();
    }
  };
  fill(0);
  for (;;) {
    out.sort();
    let u = 1;
    for (let i = 1; i < count; i++) {
      if (w[2 * i] !== w[2 * (u - 1)] || w[2 * i + 1] !== w[2 * (u - 1) + 1]) {
        w[2 * u] = /** @type {number} */ (w[2 * i]);
        w[2 * u + 1] = /** @type {number} */ (w[2 * i + 1]);
        u++;
      }
    }
    if (u === count) break;
    fill(u); // replace the duplicates and check again
  }
  shuffleWords(w, count, 2, rand);
  return out;
}

/** BigUint64Array of values < 2^53 -> Float64Array of the same numbers.
 *  @param {BigUint64Array} big */
function toNumbers(big) {
  const w = new Uint32Array(big.buffer, big.byteOffset, big.length * 2);
  const out = new Float64Array(big.length);
  for (let i = 0; i < big.length; i++)
    out[i] = /** @type {number} */ (w[2 * i + 1]) * 4294967296 + /** @type {number} */ (w[2 * i]);
  return out;
}

/** Values 1..n as Uint32Array or BigUint64Array.
 *  @param {number} n @param {boolean} wide @returns {Words} */
function valuesArray(n, wide) {
  if (!wide) {
    const v = new Uint32Array(n);
    for (let i = 0; i < n; i++) v[i] = i + 1;
    return v;
  }
  const v = new BigUint64Array(n);
  const w = new Uint32Array(v.buffer);
  for (let i = 0; i < n; i++) w[2 * i] = i + 1;
  return v;
}

/** Same elements, another random order.
 *  @template {Words} T @param {T} arr @param {boolean} wide @param {() => number} rand @returns {T} */
function reshuffled(arr, wide, rand) {
  const c = /** @type {T} */ (arr.slice());
  shuffleWords(new Uint32Array(c.buffer), c.length, wide ? 2 : 1, rand);
  return c;
}

/**
 * The data of one (workload, n): keys in insertion order (`ins`), the same
 * keys in another order (`look`), absent keys (`miss`), each as the single-
 * call peers take them (`single.*`: Uint32Array / Float64Array / Array of
 * bigint) and as the batch peers take them (`batch.*`: Uint32Array /
 * BigUint64Array); batch values 1..n; an out array for getMany.
 * @param {Workload} wl
 * @param {number} n
 * @returns {Data}
 */
function makeData(wl, n) {
  if (wl.str) return makeStrData(wl, n);
  const rand = prng(0x9e3779b9 ^ n ^ (wl.wide ? (wl.bits53 ? 53 : 64) : 32));
  let ins, look, miss;
  if (!wl.wide) {
    ins = new Uint32Array(n);
    miss = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      ins[i] = i;
      miss[i] = n + i;
    }
    shuffleWords(ins, n, 1, rand);
    shuffleWords(miss, n, 1, rand);
    look = reshuffled(ins, false, rand);
  } else {
    const all = distinctRandom64(2 * n, wl.bits53, rand);
    ins = all.slice(0, n);
    miss = all.slice(n);
    look = reshuffled(ins, true, rand);
  }
  const batch = { ins, look, miss };
  // Arrays of BigInts are built on first use (a 1e7-key array holds 1e7 heap
  // objects, ~320 MB, and every full GC marks them). Array.from reads a fresh
  // BigInt per element: `look` holds objects distinct from (but equal to) the
  // inserted ones, as keys that come from elsewhere would be.
  // (Wide workloads only: the keys are BigUint64Arrays.)
  const bigints = () =>
    lazy({
      ins: () => Array.from(/** @type {BigUint64Array} */ (ins)),
      look: () => Array.from(/** @type {BigUint64Array} */ (look)),
      miss: () => Array.from(/** @type {BigUint64Array} */ (miss)),
    });
  /** @type {KeySet} */
  let single;
  if (!wl.wide) single = batch;
  else if (wl.bits53)
    single = {
      ins: toNumbers(/** @type {BigUint64Array} */ (ins)),
      look: toNumbers(/** @type {BigUint64Array} */ (look)),
      miss: toNumbers(/** @type {BigUint64Array} */ (miss)),
    };
  else single = bigints();
  const vals = valuesArray(n, wl.wide);
  const out = wl.wide ? new BigUint64Array(n) : new Uint32Array(n);
  // ours-core (--raw): u64 maps' core exports take BigInt (an i64 parameter).
  const coreKeys = wl.wide && wl.bits53 ? bigints() : single;
  return { n, single, batch, vals, out, coreKeys };
}

/** Random printable-ASCII strings (0x20..0x7e), 8..64 chars, all distinct:
 *  `count` of them packed into one buffer; string i is
 *  bytes[off[i] .. off[i + 1]).
 *  @param {number} count @param {() => number} rand */
function randomStrings(count, rand) {
  const off = new Uint32Array(count + 1);
  let bytes = new Uint8Array(count * 36 + 64);
  const seen = new Set();
  let p = 0;
  for (let i = 0; i < count; ) {
    const len = 8 + (rand() % 57);
    if (p + len > bytes.length) {
      const b = new Uint8Array(bytes.length * 2);
      b.set(bytes);
      bytes = b;
    }
    for (let j = 0; j < len; j++) bytes[p + j] = 0x20 + (rand() % 95);
    const s = Buffer.from(bytes.buffer, bytes.byteOffset + p, len).toString("latin1");
    if (seen.has(s)) continue; // astronomically rare; keeps the keys distinct
    seen.add(s);
    p += len;
    off[++i] = p;
  }
  return { bytes: bytes.subarray(0, p), off };
}

/**
 * The data of a string workload. Keys are identified by id (str: the i of
 * "key-" + i; rstr: the index into the packed random strings); `ids.ins` /
 * `look` / `miss` are id arrays (look: the inserted keys in another random
 * order, also the delete order). The key objects a peer gets are made by
 * `keySets(form, inner)` before the peer's turn: fresh JS strings (form
 * "string"), or Uint8Array views of the keys' UTF-8 bytes (form "bytes",
 * encoded once with TextEncoder). `strAt(id)` makes one fresh string.
 * @param {Workload} wl
 * @param {number} n
 * @returns {StrData}
 */
function makeStrData(wl, n) {
  const rand = prng(0x9e3779b9 ^ n ^ (wl.name === "str" ? 0x5354 : 0x525354));
  const ins = new Uint32Array(n),
    miss = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    ins[i] = i; // str: inserted in order, like the article's loop
    miss[i] = n + i;
  }
  shuffleWords(miss, n, 1, rand);
  const look = reshuffled(ins, false, rand);
  const ids = { ins, look, miss };
  let /** @type {(id: number) => string} */ strAt, /** @type {Uint8Array} */ bytes, /** @type {Uint32Array} */ off;
  if (wl.name === "str") {
    strAt = (id) => "key-" + id;
    // UTF-8 of every key (ids 0..2n-1) packed, for the bytes form.
    off = new Uint32Array(2 * n + 1);
    bytes = new Uint8Array(2 * n * 12);
    const te = new TextEncoder();
    for (let id = 0, p = 0; id < 2 * n; id++) {
      p += te.encodeInto(strAt(id), bytes.subarray(p)).written;
      off[id + 1] = p;
    }
  } else {
    ({ bytes, off } = randomStrings(2 * n, rand));
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    // latin1 = the bytes as char codes: a flat one-byte string, no cached hash.
    strAt = (id) => buf.toString("latin1", off[id], off[id + 1]);
  }
  /** @param {Uint32Array} idArr */
  const strings = (idArr) => {
    const a = [];
    for (let i = 0; i < idArr.length; i++) a.push(strAt(/** @type {number} */ (idArr[i])));
    return a;
  };
  // Views into one buffer per key array, packed in that array's order (as
  // keys encoded in a batch would be), not into `bytes` in id order, which
  // a shuffled array would read at random (a cache miss per key).
  /** @param {Uint32Array} idArr */
  const views = (idArr) => {
    let total = 0;
    for (let i = 0; i < idArr.length; i++)
      total +=
        /** @type {number} */ (off[/** @type {number} */ (idArr[i]) + 1]) -
        /** @type {number} */ (off[/** @type {number} */ (idArr[i])]);
    const own = new Uint8Array(total);
    const a = [];
    for (let i = 0, p = 0; i < idArr.length; i++) {
      const from = /** @type {number} */ (off[/** @type {number} */ (idArr[i])]),
        len = /** @type {number} */ (off[/** @type {number} */ (idArr[i]) + 1]) - from;
      own.set(bytes.subarray(from, from + len), p);
      a.push(own.subarray(p, p + len));
      p += len;
    }
    return a;
  };
  const vals = /** @type {Uint32Array} */ (valuesArray(n, false));
  const out = new Uint32Array(n);
  /** @param {"string" | "bytes"} form @returns {KeySet} */
  const makeSet = (form) =>
    form === "bytes"
      ? (() => {
          const ins = views(ids.ins),
            look = views(ids.look);
          return { ins, look, miss: views(ids.miss), del: look }; // views cache nothing: del may share look's
        })()
      : { ins: strings(ids.ins), look: strings(ids.look), miss: strings(ids.miss), del: strings(ids.look) };
  /** @type {Partial<Record<"string" | "bytes", KeySet>>} */
  const shared = {};
  /** `inner` key sets in the given form, one per map of the turn: fresh
   *  strings for each map if `fresh` (the JS Map peer: a string caches its
   *  hash, nothing else any peer does with a string is cached), else one
   *  set made on first use and shared by every turn.
   *  @param {"string" | "bytes"} form @param {number} inner @param {boolean} fresh */
  const keySets = (form, inner, fresh) => {
    if (form === "string" && fresh && !STR_REUSE) return Array.from({ length: inner }, () => makeSet(form));
    shared[form] ??= makeSet(form);
    return Array.from({ length: inner }, () => /** @type {KeySet} */ (shared[form]));
  };
  return { n, ids, strAt, keySets, vals, out };
}

/** An object whose properties are computed on first read.
 *  @template {Record<string, () => unknown>} M
 *  @param {M} makers
 *  @returns {{ [K in keyof M]: ReturnType<M[K]> }} */
function lazy(makers) {
  const o = /** @type {{ [K in keyof M]: ReturnType<M[K]> }} */ ({});
  for (const [k, make] of Object.entries(makers)) {
    Object.defineProperty(o, k, {
      configurable: true,
      get() {
        const v = make();
        Object.defineProperty(o, k, { value: v });
        return v;
      },
    });
  }
  return o;
}

/** Build the lazy key arrays the ops will read now, not inside a timed loop
 *  (nor inside a memory measurement).
 *  @param {Data} d @param {string[]} ops @param {Peer[]} peers */
function materialize(d, ops, peers) {
  if (!d.single) return; // string workloads: key sets are made per turn
  /** @type {Set<"ins" | "look" | "miss">} */
  const need = new Set(["ins"]);
  if (ops.includes("hit") || ops.includes("delete")) need.add("look");
  if (ops.includes("miss")) need.add("miss");
  for (const k of need) {
    void d.single[k];
    if (peers.some((p) => p.name === "ours-core")) void d.coreKeys[k];
  }
}

/** Checksum of a getMany output: sum of the values (they are < 2^32).
 *  @param {Words} out @param {number} n */
function sumOut(out, n) {
  let s = 0;
  if (out instanceof BigUint64Array) {
    const w = new Uint32Array(out.buffer, 0, 2 * n);
    for (let i = 0; i < n; i++) s += /** @type {number} */ (w[2 * i]);
  } else {
    for (let i = 0; i < n; i++) s += /** @type {number} */ (out[i]);
  }
  return s;
}

// ------------------------------------------------------------- timed loops
//
// One source per loop; compile() makes a new function (a new
// SharedFunctionInfo, so its own type feedback) per peer and op. MISSING is
// what the peer's get() returns for an absent key.

const LOOPS = {
  insert: `(m, keys, n) => {
    for (let i = 0; i < n; i++) m.set(keys[i], i + 1);
    return 0;
  }`,
  get: `(m, keys, n) => {
    let s = 0;
    for (let i = 0; i < n; i++) {
      const v = m.get(keys[i]);
      if (v !== MISSING) s += Number(v);
    }
    return s;
  }`,
  delete: `(m, keys, n) => {
    let c = 0;
    for (let i = 0; i < n; i++) if (m.delete(keys[i])) c++;
    return c;
  }`,
  iterate: `(m) => {
    let s = 0, x = 0;
    for (const [k, v] of m) {
      s += Number(v);
      x ^= Number(k);
    }
    return s + ":" + x;
  }`,
  // String keys: the sum of the keys' lengths instead of the XOR (Number(k)
  // of a string would parse it).
  iterateStr: `(m) => {
    let s = 0, x = 0;
    for (const [k, v] of m) {
      s += v;
      x += k.length;
    }
    return s + ":" + x;
  }`,
  // The same sums through forEach (one closure per call, as user code makes).
  forEach: `(m) => {
    let s = 0, x = 0;
    m.forEach((v, k) => {
      s += Number(v);
      x ^= Number(k);
    });
    return s + ":" + x;
  }`,
  forEachStr: `(m) => {
    let s = 0, x = 0;
    m.forEach((v, k) => {
      s += v;
      x += k.length;
    });
    return s + ":" + x;
  }`,
  // The "encode" column: only the WTF-8 encoding ours does per key.
  encode: `(enc, keys, n) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += enc(keys[i]);
    return s;
  }`,
  setMany: `(m, keys, vals) => { m.setMany(keys, vals); return 0; }`,
  getMany: `(m, keys, out) => { m.getMany(keys, out); return 0; }`,
  deleteMany: `(m, keys) => m.deleteMany(keys)`,
  iterateCall: `(m) => m.iterate()`,
};

/**
 * A timed loop, compiled from LOOPS (so untyped: `any`).
 * @param {keyof typeof LOOPS} name
 * @returns {any}
 */
function compile(name, missing = "undefined") {
  return new Function(`"use strict"; return (${LOOPS[name].replace("MISSING", missing)});`)();
}

/**
 * A peer's timed operation: (map, data) -> checksum. The map is the peer's
 * own (see makePeers), handed to a loop compiled from LOOPS.
 * @typedef {"insert" | "hit" | "miss" | "iterate" | "forEach" | "delete"} OpName
 * @typedef {(m: any, d: OpData) => unknown} Op
 */

/** The single-call op set: each op is (m, data) -> checksum. Deletes use
 *  `del` (string workloads: fresh strings in the lookup order) or `look`.
 *  @param {(d: OpData) => KeySet} [keysOf]
 *  @param {boolean} [str] string keys (the iteration loops sum key lengths)
 *  @returns {Record<OpName, Op>} */
function singleOps(missing = "undefined", keysOf = (d) => d.single, str = false) {
  const insert = compile("insert"),
    hit = compile("get", missing),
    miss = compile("get", missing);
  const del = compile("delete"),
    iterate = compile(str ? "iterateStr" : "iterate"),
    forEach = compile(str ? "forEachStr" : "forEach");
  return {
    insert: (m, d) => insert(m, keysOf(d).ins, d.n),
    hit: (m, d) => hit(m, keysOf(d).look, d.n),
    miss: (m, d) => miss(m, keysOf(d).miss, d.n),
    iterate: (m) => iterate(m),
    forEach: (m) => forEach(m),
    delete: (m, d) => del(m, keysOf(d).del ?? keysOf(d).look, d.n),
  };
}

/** The "encode" pseudo-peer: m is the encode function; no iteration. */
function encodeOps() {
  /** @type {Partial<Record<OpName, Op>>} */
  const ops = {};
  for (const [op, which] of /** @type {[OpName, keyof KeySet][]} */ ([
    ["insert", "ins"],
    ["hit", "look"],
    ["miss", "miss"],
    ["delete", "del"],
  ])) {
    const loop = compile("encode");
    ops[op] = (enc, d) => loop(enc, d.single[which], d.n);
  }
  return ops;
}

/** The batch op set; getMany's checksum is summed from `out` after the clock stops.
 *  `keysOf` picks the key arrays (default: `batch`, the typed arrays of the
 *  map's key kind; the u53 Float64Array row passes `single`).
 *  @param {boolean} withIterate @param {(d: OpData) => KeySet} [keysOf] */
function batchOps(withIterate, keysOf = (d) => d.batch) {
  const setMany = compile("setMany"),
    hit = compile("getMany"),
    miss = compile("getMany");
  const del = compile("deleteMany"),
    iterate = compile("iterateCall");
  /** @type {Partial<Record<OpName, Op>>} */
  const ops = {
    insert: (m, d) => setMany(m, keysOf(d).ins, d.vals),
    hit: (m, d) => hit(m, keysOf(d).look, d.out),
    miss: (m, d) => miss(m, keysOf(d).miss, d.out),
    delete: (m, d) => del(m, keysOf(d).del ?? keysOf(d).look),
  };
  if (withIterate) ops.iterate = (m) => iterate(m);
  return ops;
}
/** @type {Partial<Record<OpName, (d: OpData) => number>>} */
const POST = { hit: (d) => sumOut(d.out, d.n), miss: (d) => sumOut(d.out, d.n) };

// ------------------------------------------------------------------- peers

/** @type {Record<string, Workload>} */
const WORKLOADS = {
  u32: {
    name: "u32",
    title: "u32 keys 0..n−1 (shuffled) → u32 values",
    wide: false,
    ours: { key: "u32", value: "u32" },
    as: { suffix: "32", set: "set32", get: "get32", del: "del32", missing: "-1" },
  },
  u53: {
    name: "u53",
    title: "u64 keys: random 53-bit integers passed as numbers → u64 values",
    wide: true,
    bits53: true,
    ours: { key: "u64", value: "u64" },
    as: { suffix: "64", set: "set53", get: "get53", del: "del53", missing: "-1" },
  },
  u64: {
    name: "u64",
    title: "u64 keys: random full 64-bit integers passed as bigint → u64 values",
    wide: true,
    bits53: false,
    ours: { key: "u64", value: "u64" },
    as: { suffix: "64", set: "set64", get: "get64", del: "del64", missing: "-1" },
  },
  str: {
    name: "str",
    title: 'string keys "key-" + i (i in 0..n−1; lookups shuffled) → u32 values',
    wide: false,
    str: true,
    ours: { key: "string", value: "u32" },
    as: { missing: "-1" },
  },
  rstr: {
    name: "rstr",
    title: "string keys: random printable ASCII, 8–64 chars → u32 values",
    wide: false,
    str: true,
    ours: { key: "string", value: "u32" },
    as: { missing: "-1" },
  },
};
/** The sizes a workload runs (string workloads: up to --str-max). @param {Workload} wl */
const sizesOf = (wl) => SIZES.filter((n) => !wl.str || n <= (wl.name === "rstr" ? RSTR_MAX : STR_MAX));

const asModule = await WebAssembly.compile(readFileSync(ASMAP_WASM));

/** The Go peer's binary (bench/go/maps): built once by the parent, which
 *  passes it to its children (--go-bin=PATH --go-version=V, or
 *  --go-bin=none:WHY); a --child run on its own builds it itself. `bin` null:
 *  no Go column, `why` says why. */
const GO = (() => {
  const given = arg("go-bin", "");
  if (given.startsWith("none:")) return { bin: null, version: "", why: given.slice(5), built: false };
  if (given) return { bin: given, version: arg("go-version", "go?"), why: "", built: false };
  if (!PEER_NAMES.includes("go") || flag("render") || flag("readme"))
    return { bin: null, version: "", why: "not asked for", built: false };
  const g = buildGoPeer();
  if (!g.bin) console.error(`Go peer left out: ${g.why}`);
  return { ...g, built: true };
})();

/** AssemblyScript's Map behind a batch API shaped like GoMap's: keys (and
 *  values) copied into a staging region of its memory with TypedArray.set(),
 *  one export call per chunk. The view, keys, values and out are all
 *  Uint32Array or all BigUint64Array (by `wide`); TypeScript cannot pair the
 *  two unions, so set() gets its source as `any`. */
class AsBatch {
  /** @param {import("./lib.mjs").AsMapPeer} ex @param {boolean} wide @param {number} chunk */
  constructor(ex, wide, chunk) {
    this.ex = ex;
    this.wide = wide;
    this.chunk = chunk;
    const bytes = wide ? 8 : 4;
    this.kIdx = (ex.alloc(chunk * bytes) >>> 0) / bytes;
    this.vIdx = (ex.alloc(chunk * bytes) >>> 0) / bytes;
    this.setFn = wide ? ex.setMany64 : ex.setMany32;
    this.getFn = wide ? ex.getMany64 : ex.getMany32;
    this.delFn = wide ? ex.deleteMany64 : ex.deleteMany32;
    this.iterFn = wide ? ex.iter64 : ex.iter32;
    /** @type {Words} */
    this.view = this.refresh();
  }
  /** @returns {Words} */
  refresh() {
    return (this.view = this.wide ? new BigUint64Array(this.ex.memory.buffer) : new Uint32Array(this.ex.memory.buffer));
  }
  /** @param {Words} keys @param {Words} vals */
  setMany(keys, vals) {
    const { chunk, kIdx, vIdx } = this,
      bytes = this.wide ? 8 : 4;
    for (let i = 0; i < keys.length; i += chunk) {
      const c = Math.min(chunk, keys.length - i);
      let v = this.view;
      if (v.length === 0) v = this.refresh();
      v.set(/** @type {any} */ (keys.subarray(i, i + c)), kIdx);
      v.set(/** @type {any} */ (vals.subarray(i, i + c)), vIdx);
      this.setFn(kIdx * bytes, vIdx * bytes, c);
    }
  }
  /** @param {Words} keys @param {Words} out */
  getMany(keys, out) {
    const { chunk, kIdx, vIdx } = this,
      bytes = this.wide ? 8 : 4;
    for (let i = 0; i < keys.length; i += chunk) {
      const c = Math.min(chunk, keys.length - i);
      let v = this.view;
      if (v.length === 0) v = this.refresh();
      v.set(/** @type {any} */ (keys.subarray(i, i + c)), kIdx);
      this.getFn(kIdx * bytes, vIdx * bytes, c);
      v = this.view;
      if (v.length === 0) v = this.refresh();
      out.set(/** @type {any} */ (v.subarray(vIdx, vIdx + c)), i);
    }
    return out;
  }
  /** @param {Words} keys */
  deleteMany(keys) {
    const { chunk, kIdx } = this,
      bytes = this.wide ? 8 : 4;
    let deleted = 0;
    for (let i = 0; i < keys.length; i += chunk) {
      const c = Math.min(chunk, keys.length - i);
      let v = this.view;
      if (v.length === 0) v = this.refresh();
      v.set(/** @type {any} */ (keys.subarray(i, i + c)), kIdx);
      deleted += this.delFn(kIdx * bytes, c);
    }
    return deleted;
  }
  iterate() {
    const s = this.iterFn();
    return s + ":" + this.ex.iterXor();
  }
}

/** AssemblyScript's Map<string,u32>, one export call per operation: the
 *  key's UTF-16 code units are written into a staging region of its memory
 *  (a charCodeAt loop, what AssemblyScript's own loader does for
 *  __newString), then the export makes an AssemblyScript string of them. */
class AsStr {
  /** @param {import("./lib.mjs").AsMapPeer} ex */
  constructor(ex) {
    this.ex = ex;
    this.p = ex.alloc(2 * 4096) >>> 0; // keys are at most 64 chars here
    this.idx = this.p >>> 1;
    this.u16 = new Uint16Array(ex.memory.buffer);
    this.setS = ex.setS;
    this.getS = ex.getS;
    this.delS = ex.delS;
  }
  /** @param {string} s */
  place(s) {
    let u16 = this.u16;
    if (u16.length === 0) u16 = this.u16 = new Uint16Array(this.ex.memory.buffer); // memory grew
    const at = this.idx,
      n = s.length;
    for (let i = 0; i < n; i++) u16[at + i] = s.charCodeAt(i);
    return n;
  }
  /** @param {string} k @param {number} v */
  set(k, v) {
    this.setS(this.p, this.place(k), v);
  }
  /** @param {string} k */
  get(k) {
    return this.getS(this.p, this.place(k));
  }
  /** @param {string} k */
  delete(k) {
    return this.delS(this.p, this.place(k));
  }
}

/** AssemblyScript's Map<string,u32> behind GoMap's batch API: per chunk of
 *  up to 2048 keys, a table of (address, length) and the keys' UTF-16 code
 *  units written into its memory, values copied with TypedArray.set(), one
 *  export call. (u16 and u32 are set by refresh(), from the constructor on.) */
class AsStrBatch {
  /** @param {import("./lib.mjs").AsMapPeer} ex */
  constructor(ex) {
    this.ex = ex;
    this.chunk = 2048;
    this.tab = ex.alloc(this.chunk * 8) >>> 0;
    this.vals = ex.alloc(this.chunk * 4) >>> 0;
    this.chars = ex.alloc(this.chunk * 64 * 2) >>> 0; // keys are at most 64 chars here
    this.refresh();
  }
  refresh() {
    this.u16 = new Uint16Array(this.ex.memory.buffer);
    this.u32 = new Uint32Array(this.ex.memory.buffer);
  }
  /** Pack keys[from .. from + c) into the table and chars region.
   *  @param {string[]} keys @param {number} from @param {number} c */
  pack(keys, from, c) {
    if (/** @type {Uint16Array} */ (this.u16).length === 0) this.refresh();
    const u16 = /** @type {Uint16Array} */ (this.u16),
      u32 = /** @type {Uint32Array} */ (this.u32),
      t = this.tab >>> 2;
    let p = this.chars;
    for (let j = 0; j < c; j++) {
      const s = /** @type {string} */ (keys[from + j]),
        n = s.length,
        at = p >>> 1;
      for (let i = 0; i < n; i++) u16[at + i] = s.charCodeAt(i);
      u32[t + 2 * j] = p;
      u32[t + 2 * j + 1] = n;
      p += 2 * n;
    }
  }
  /** @param {string[]} keys @param {Uint32Array} vals */
  setMany(keys, vals) {
    for (let i = 0; i < keys.length; i += this.chunk) {
      const c = Math.min(this.chunk, keys.length - i);
      this.pack(keys, i, c);
      /** @type {Uint32Array} */ (this.u32).set(vals.subarray(i, i + c), this.vals >>> 2);
      this.ex.setManyS(this.tab, this.vals, c);
    }
  }
  /** @param {string[]} keys @param {Uint32Array} out */
  getMany(keys, out) {
    for (let i = 0; i < keys.length; i += this.chunk) {
      const c = Math.min(this.chunk, keys.length - i);
      this.pack(keys, i, c);
      this.ex.getManyS(this.tab, this.vals, c);
      if (/** @type {Uint32Array} */ (this.u32).length === 0) this.refresh();
      out.set(/** @type {Uint32Array} */ (this.u32).subarray(this.vals >>> 2, (this.vals >>> 2) + c), i);
    }
    return out;
  }
  /** @param {string[]} keys */
  deleteMany(keys) {
    let deleted = 0;
    for (let i = 0; i < keys.length; i += this.chunk) {
      const c = Math.min(this.chunk, keys.length - i);
      this.pack(keys, i, c);
      deleted += this.ex.deleteManyS(this.tab, c);
    }
    return deleted;
  }
  iterate() {
    const s = this.ex.iterS();
    return s + ":" + this.ex.iterXor();
  }
}

/** Low words of u64 values (they are < 2^32 here).
 *  @param {import("../dist/boundary.js").Boundary} b @param {boolean} wide
 *  @returns {{ write: (a: number, v: number) => void, read: (a: number) => number | undefined }} */
function rawValueIO(b, wide) {
  return wide
    ? {
        write: (a, v) => {
          const u = b.u32;
          u[a >>> 2] = v;
          u[(a >>> 2) + 1] = 0;
        },
        read: (a) => b.u32[a >>> 2],
      }
    : {
        write: (a, v) => {
          b.u32[a >>> 2] = v;
        },
        read: (a) => b.u32[a >>> 2],
      };
}

/**
 * A peer: `setup()` makes a fresh heap for one repetition; `make(ctx)` an
 * empty map; `ops` the timed operations; `size(m)` the entry count;
 * `mem(ctx, m)` memory counters (before the map exists: m undefined);
 * `free(ctx, m)` drops the map. String workloads: `keyForm` is the form of
 * the keys it takes ("string" or "bytes"); `applies` false leaves the peer
 * out of a workload; `noCheck` keeps it out of the checksum comparison.
 *
 * Every peer has a map type (Map, GoMap, AsBatch, AsStr, the encode
 * function, ours-core's wrapper) and a context of its own; a list of peers
 * holds them all, so PeerSpec takes both as `any`.
 * @typedef {{ label: string, setup: () => Promise<any>, collect: (ctx: any) => unknown, make: (ctx: any) => any,
 *   ops: Partial<Record<OpName, Op>>, size: (m: any, ctx: any, d: OpData) => number,
 *   mem: (ctx: any, m?: any) => Record<string, number>, free: (ctx: any, m: any) => void,
 *   applies?: boolean, keyForm?: "string" | "bytes", freshKeys?: boolean, noCheck?: boolean,
 *   external?: (ctx: any, d: Data, inner: number, ops: OpName[], measureMem: boolean) => Promise<TurnOut>,
 *   close?: (ctx: any) => void }} PeerSpec
 *   (`external`: a peer timed in another process (Go), which runs a whole turn itself.)
 * @typedef {PeerSpec & { name: string }} Peer
 * @typedef {{ rt: Runtime, keeper: import("../dist/node.js").GoMap | null }} OursCtx
 * @typedef {{ ex: import("./lib.mjs").AsMapPeer }} AsCtx
 */

/** @param {Workload} wl @returns {Peer[]} */
function makePeers(wl) {
  const heapUsed = () => {
    gc();
    return process.memoryUsage().heapUsed;
  };
  // After a full collection (rt.gc(): Go's runtime.GC()), so outgrown bucket
  // arrays are not counted; `live` is the map's own bucket storage.
  /** @param {OursCtx} ctx @param {any} [m] a GoMap, or ours-core's wrapper of one ({ gomap }) */
  const oursMem = (ctx, m) => {
    ctx.rt.gc();
    const s = ctx.rt.readMemStats();
    return { heapInuse: s.HeapInuse, sys: s.Sys, live: m ? ctx.rt.inspect(m.gomap ?? m).bucketBytes : 0 };
  };
  // One Runtime per peer for the whole child. `keeper` is one small map that
  // stays alive meanwhile, as in a program that holds some map for its
  // lifetime: if every GoMap dies and a full JS GC runs between repetitions,
  // V8 drops GoMap's hidden classes, and after a few such rounds the
  // optimized loops end up with generic property loads (2-3x slower
  // get/set; --no-keeper shows it).
  const KEEPER_KEY = { u32: 1, u64: 1n, string: "keeper", bytes: Uint8Array.of(0xff) };
  /** @type {{ key: "bytes", value: "u32" }} */
  const bytesShape = { key: "bytes", value: "u32" };
  /** @param {Workload["ours"] | typeof bytesShape} shape @returns {() => Promise<OursCtx>} */
  const oursSetupOf = (shape) => async () => {
    const rt = await Runtime.create({ maxMemory: "4GiB" });
    const keeper = KEEPER ? rt.map(shape).set(KEEPER_KEY[shape.key], wl.wide ? 1n : 1) : null;
    return { rt, keeper };
  };
  const oursSetup = oursSetupOf(wl.ours);
  /** @param {OursCtx} ctx */
  const oursCollect = (ctx) => ctx.rt.gc();
  /** @param {AsCtx} ctx */
  const asCollect = (ctx) => ctx.ex.collect();
  const asFresh = wl.str ? "freshS" : wl.wide ? "fresh64" : "fresh32";
  const asSize = wl.str ? "sizeS" : wl.wide ? "size64" : "size32";
  const str = !!wl.str;
  /** @param {AsCtx} ctx */
  const asMem = (ctx) => ({ memory: ctx.ex.memory.buffer.byteLength });
  const chunk = wl.wide ? 4096 : 8192; // = GoMap's setMany chunk (64 KiB scratch / (key + value bytes))
  /** @type {Record<string, PeerSpec>} */
  const peers = {
    js: {
      label: "JS Map",
      freshKeys: true, // string workloads: new key strings for every map (no cached hashes)
      setup: async () => ({}),
      collect: () => gc(),
      make: () => new Map(),
      ops: singleOps("undefined", undefined, str),
      size: (m) => m.size,
      mem: () => ({ heapUsed: heapUsed() }),
      free: () => {},
    },
    ours: {
      label: "ours",
      setup: oursSetup,
      collect: oursCollect,
      make: (ctx) => ctx.rt.map(wl.ours),
      ops: singleOps("undefined", undefined, str),
      size: (m) => m.size,
      mem: oursMem,
      free: (_ctx, m) => m.free(),
    },
    "ours-batch": {
      label: "ours batch",
      setup: oursSetup,
      collect: oursCollect,
      make: (ctx) => ctx.rt.map(wl.ours),
      ops: batchOps(false),
      size: (m) => m.size,
      mem: oursMem,
      free: (_ctx, m) => m.free(),
    },
    "ours-f64-batch": {
      label: "ours batch, Float64Array keys",
      applies: !!wl.bits53, // 53-bit Number keys for a u64 map, as a program holds them
      setup: oursSetup,
      collect: oursCollect,
      make: (ctx) => ctx.rt.map(wl.ours),
      ops: batchOps(false, (d) => d.single), // the Float64Array keys; values and out as ours-batch
      size: (m) => m.size,
      mem: oursMem,
      free: (_ctx, m) => m.free(),
    },
    go: {
      label: "Go native",
      applies: GO.bin !== null,
      setup: async () => new GoPeer(/** @type {string} */ (GO.bin)),
      collect: () => {},
      make: () => null,
      // (Which ops it runs; the turn itself is external.)
      ops: { insert: () => 0, hit: () => 0, miss: () => 0, iterate: () => 0, delete: () => 0 },
      size: (_m, _ctx, d) => d.n,
      mem: () => ({}),
      free: () => {},
      external: async (/** @type {GoPeer} */ g, d, inner, ops, measureMem) => {
        await g.load(d, wl.str ? "str" : wl.wide ? "u64" : "u32", d.n, (put) => goKeyFile(d, put));
        const a = await g.turn(inner, ops, measureMem);
        return {
          ns: /** @type {Partial<Record<OpName, number>>} */ (a.ns ?? {}),
          checks: a.checks ?? {},
          mem: a.mem,
        };
      },
      close: (/** @type {GoPeer} */ g) => g.close(),
    },
    "ours-bytes": {
      label: "ours pre-encoded (bytes keys)",
      applies: str,
      keyForm: "bytes",
      setup: oursSetupOf(bytesShape),
      collect: oursCollect,
      make: (ctx) => ctx.rt.map(bytesShape),
      ops: singleOps("undefined", undefined, str),
      size: (m) => m.size,
      mem: oursMem,
      free: (_ctx, m) => m.free(),
    },
    "ours-bytes-batch": {
      label: "ours batch pre-encoded (bytes keys)",
      applies: str,
      keyForm: "bytes",
      setup: oursSetupOf(bytesShape),
      collect: oursCollect,
      make: (ctx) => ctx.rt.map(bytesShape),
      ops: batchOps(false),
      size: (m) => m.size,
      mem: oursMem,
      free: (_ctx, m) => m.free(),
    },
    encode: {
      label: "WTF-8 encode only",
      applies: str,
      noCheck: true,
      setup: async () => {
        const buf = new Uint8Array(64 * 1024);
        return { enc: (/** @type {string} */ s) => wtf8EncodeInto(s, buf, 0) };
      },
      collect: () => {},
      make: (ctx) => ctx.enc,
      ops: encodeOps(),
      size: (_m, _ctx, d) => d.n,
      mem: () => ({}),
      free: () => {},
    },
    as: {
      label: "AS Map",
      setup: async () => {
        const ex = /** @type {import("./lib.mjs").AsMapPeer} */ (peerInstance(asModule, "AS map peer"));
        return { ex, strMap: str ? new AsStr(ex) : null };
      },
      collect: asCollect,
      make: (ctx) => {
        ctx.ex[asFresh]();
        if (str) return ctx.strMap;
        // (A numeric workload: wl.as names its exports.)
        return {
          set: ctx.ex[/** @type {string} */ (wl.as.set)],
          get: ctx.ex[/** @type {string} */ (wl.as.get)],
          delete: ctx.ex[/** @type {string} */ (wl.as.del)],
        };
      },
      ops: (({ iterate, forEach, ...rest }) => rest)(singleOps(wl.as.missing)),
      size: (_m, ctx) => ctx.ex[asSize](),
      mem: asMem,
      free: () => {},
    },
    "as-batch": {
      label: "AS batch",
      setup: async () => {
        const ex = /** @type {import("./lib.mjs").AsMapPeer} */ (peerInstance(asModule, "AS map peer"));
        return { ex, batch: str ? new AsStrBatch(ex) : new AsBatch(ex, wl.wide, chunk) };
      },
      collect: asCollect,
      make: (ctx) => {
        ctx.ex[asFresh]();
        return ctx.batch;
      },
      ops: batchOps(true),
      size: (_m, ctx) => ctx.ex[asSize](),
      mem: asMem,
      free: () => {},
    },
    "ours-core": {
      label: "ours core calls",
      applies: !str,
      setup: oursSetup,
      collect: oursCollect,
      make: (ctx) => {
        const m = ctx.rt.map(wl.ours);
        const b = boundaryOf(ctx.rt);
        const ops = mapOps(m),
          h = mapHandle(m),
          io = rawValueIO(b, wl.wide);
        const assign = ops.assign,
          access = ops.access,
          del = ops.delete;
        return {
          gomap: m,
          size: m.size,
          set: (/** @type {number | bigint} */ k, /** @type {number} */ v) => {
            const a = assign(h, k) >>> 0;
            if (a <= 1) throw new Error("assign failed");
            io.write(a, v);
          },
          get: (/** @type {number | bigint} */ k) => {
            const a = access(h, k) >>> 0;
            return a === 0 ? undefined : io.read(a);
          },
          delete: (/** @type {number | bigint} */ k) => del(h, k) === 1,
        };
      },
      ops: (({ iterate, forEach, ...rest }) => rest)(singleOps("undefined", (d) => /** @type {KeySet} */ (d.coreKeys))), // numeric workloads only
      size: (m) => m.gomap.size,
      mem: oursMem,
      free: (_ctx, m) => m.gomap.free(),
    },
  };
  return PEER_NAMES.map((name) => {
    const p = peers[name];
    if (!p) throw new Error(`unknown peer ${name}; known: ${Object.keys(peers).join(", ")}`);
    return { name, ...p };
  }).filter((p) => p.applies ?? true);
}

// ------------------------------------------------------------- measurement

/** One peer's turn in one repetition: `inner` fresh maps on the peer's heap,
 *  each op timed per map and summed. Returns ns/op per op, checksums and
 *  (if asked) bytes per entry after the first map's inserts.
 *  @param {Peer} peer @param {any} ctx the peer's (what its setup() made) @param {Workload} wl @param {Data} d
 *  @param {number} inner @param {OpName[]} ops @param {boolean} measureMem */
async function turn(peer, ctx, wl, d, inner, ops, measureMem) {
  if (peer.external) {
    await quiesce(SETTLE_MS);
    return peer.external(
      ctx,
      d,
      inner,
      ops.filter((op) => peer.ops[op]),
      measureMem,
    );
  }
  // String workloads: this turn's key objects (fresh strings, or byte views),
  // one set per map, made before the collection below.
  /** @type {(KeySet | null)[] | null} */
  let sets = d.keySets ? d.keySets(peer.keyForm ?? "string", inner, !!peer.freshKeys) : null;
  peer.collect(ctx); // a full collection of the peer's own heap before its turn,
  await quiesce(SETTLE_MS); // and of the JS heap
  const ms = /** @type {Record<OpName, number>} */ (Object.fromEntries(ops.map((op) => [op, 0])));
  /** @type {Partial<Record<OpName, unknown>>} */
  const checks = {};
  /** @type {Record<string, number> | undefined} */
  let mem;
  for (let j = 0; j < inner; j++) {
    // (sets[j] is this map's key set until it is done; without sets, d is a numeric workload's data.)
    const dj = sets
      ? {
          n: d.n,
          single: /** @type {KeySet} */ (sets[j]),
          batch: /** @type {KeySet} */ (sets[j]),
          vals: d.vals,
          out: d.out,
        }
      : /** @type {NumData} */ (d);
    const memHere = measureMem && j === 0;
    const mem0 = memHere ? peer.mem(ctx) : null;
    const m = peer.make(ctx);
    for (const op of ops) {
      const fn = peer.ops[op];
      if (!fn) continue;
      const t0 = now();
      const c = fn(m, dj);
      const t1 = now();
      ms[op] += t1 - t0;
      if (j === 0) checks[op] = POST[op] && isBatch(peer) ? POST[op](dj) : c;
      if (op === "insert") {
        const size = peer.size(m, ctx, dj);
        if (size !== d.n) throw new Error(`${peer.name} ${wl.name} n=${d.n}: size ${size} after insert`);
        if (j === 0) checks.insert = size;
        if (memHere) {
          const mem1 = peer.mem(ctx, m);
          mem = {};
          const before = /** @type {Record<string, number>} */ (mem0);
          for (const k of Object.keys(mem1)) {
            const after = /** @type {number} */ (mem1[k]);
            mem[k] = (after - (before[k] ?? 0)) / d.n;
          }
          if (mem1.live !== undefined) mem.live = mem1.live / d.n;
        }
      }
    }
    peer.free(ctx, m);
    if (sets) sets[j] = null; // done with this map's keys
  }
  sets = null;
  /** @type {Partial<Record<OpName, number>>} */
  const ns = {};
  for (const op of ops) if (peer.ops[op]) ns[op] = (ms[op] * 1e6) / (d.n * inner);
  return { ns, checks, mem };
}
/** What a turn returns. @typedef {{ ns: Partial<Record<OpName, number>>, checks: Partial<Record<OpName, unknown>>,
 *   mem?: Record<string, number> | undefined }} TurnOut */

/** The key file of the Go peer: insert, lookup and absent keys (u32 / u64
 *  little-endian; strings one per line).
 *  @param {Data} d @param {(b: Uint8Array | string) => void} put */
function goKeyFile(d, put) {
  if (d.single) {
    for (const a of [d.batch.ins, d.batch.look, d.batch.miss]) {
      const t = /** @type {Uint32Array | BigUint64Array} */ (a);
      put(new Uint8Array(t.buffer, t.byteOffset, t.byteLength));
    }
    return;
  }
  for (const ids of [d.ids.ins, d.ids.look, d.ids.miss]) {
    for (let i = 0; i < ids.length; i += 65536) {
      const part = [];
      for (let j = i; j < Math.min(ids.length, i + 65536); j++) part.push(d.strAt(/** @type {number} */ (ids[j])));
      put(part.join("\n") + "\n");
    }
  }
}
/** @param {Peer} peer */
const isBatch = (peer) => peer.name.endsWith("-batch");

/** JS Map with string keys that exist only in the map (each made from the
 *  key's id while inserting): bytes per entry including the strings.
 *  @param {StrData} d */
function jsStringMapBytes(d) {
  const ids = d.ids.ins,
    strAt = d.strAt;
  gc();
  const h0 = process.memoryUsage().heapUsed;
  /** @type {Map<string, number> | null} */
  let m = new Map();
  for (let i = 0; i < d.n; i++) m.set(strAt(/** @type {number} */ (ids[i])), i + 1);
  gc();
  const h1 = process.memoryUsage().heapUsed;
  const size = m.size;
  m = null;
  if (size !== d.n) throw new Error("string map size");
  return (h1 - h0) / d.n;
}

/** JS Map with bigint keys that exist only in the map (read fresh from a
 *  BigUint64Array): bytes per entry including the BigInt objects.
 *  @param {NumData} d */
function jsBigintMapBytes(d) {
  const keys = d.batch.ins;
  gc();
  const h0 = process.memoryUsage().heapUsed;
  /** @type {Map<unknown, number> | null} */
  let m = new Map();
  for (let i = 0; i < d.n; i++) m.set(keys[i], i + 1);
  gc();
  const h1 = process.memoryUsage().heapUsed;
  const size = m.size;
  m = null;
  if (size !== d.n) throw new Error("bigint map size");
  return (h1 - h0) / d.n;
}

/**
 * One (workload, size), run in a child process of its own (a clean JS heap
 * and JIT state per size; memory goes back to the OS between sizes). Each
 * peer gets ONE heap for the whole child, as a program would have: one
 * Runtime, one AS instance. Maps of earlier repetitions are freed (m.free()
 * for ours; AS's and JS's collectors reclaim theirs) and every peer's heap is
 * collected before its turn. Bytes per entry come from each peer's first
 * repetition, on a fresh heap.
 * @param {string} wname
 * @param {number} n
 */
async function runChild(wname, n) {
  const stampAtStart = codeStamp();
  const loadBefore = /** @type {number} */ (os.loadavg()[0]);
  const wl = WORKLOADS[wname];
  if (!wl) throw new Error(`unknown workload ${wname}; known: ${Object.keys(WORKLOADS).join(", ")}`);
  const big = n >= BIG;
  // String workloads from --str-big (1e6) on: every op, --str-big-peers,
  // --str-big-warmup + --str-big-reps (time budget).
  // (From --big on, strings too run the --big-* set.)
  const strBig = !!wl.str && n >= STR_BIG && n < BIG;
  const ops = OPS.filter((op) => !big || strBig || BIG_OPS.includes(op));
  const peers = makePeers(wl)
    // (Strings at --big: no AS peers either, as from --str-big on: AS's string map is slow there.)
    .filter((p) =>
      strBig
        ? STR_BIG_PEERS.includes(p.name)
        : !big || (BIG_PEERS.includes(p.name) && !(wl.str && (p.name === "as" || p.name === "as-batch"))),
    )
    .filter(
      (p) =>
        !CHILD_GROUP ||
        (CHILD_GROUP === "bytes" ? BYTES_PEERS.includes(p.name) || p.name === "js" : !BYTES_PEERS.includes(p.name)),
    );
  const reps = strBig ? STR_BIG_REPS : big ? BIG_REPS : REPS;
  const warmup = strBig ? STR_BIG_WARMUP : big ? BIG_WARMUP : WARMUP;
  const inner = Math.max(1, Math.round(TARGET_OPS / n));
  const tg = now();
  const ctxs = new Map();
  for (const p of peers) ctxs.set(p.name, await p.setup());
  // Tier-up (untimed): every loop and API path reaches the optimizing JIT on
  // a small map before the first timed repetition.
  {
    const d0 = makeData(wl, TIER_UP_N);
    materialize(d0, OPS, peers);
    for (let i = 0; i < TIER_UP_TURNS; i++)
      for (const p of peers) await turn(p, ctxs.get(p.name), wl, d0, 1, OPS, false);
  }
  /** @type {Data | null} */
  let d = makeData(wl, n);
  materialize(d, ops, peers);
  process.stderr.write(
    `${wname} n=${n}${CHILD_GROUP ? ` (${CHILD_GROUP})` : ""}: setup ${((now() - tg) / 1000).toFixed(1)} s; inner ${inner}, ${warmup}+${reps} reps, ` +
      `ops ${ops.join(",")}, peers ${peers.map((p) => p.name).join(",")}\n`,
  );
  // (samples has an entry for every peer: the casts below say so.)
  /** @typedef {Partial<Record<OpName, number[]>>} PeerSamples */
  /** @type {Record<string, PeerSamples>} */
  const samples = {}; // peer -> op -> [ns]
  /** @type {Record<string, PeerMem>} */
  const mems = {}; // peer -> mem of its first turn
  /** @type {Partial<Record<OpName, Record<string, unknown>>>} */
  const checks = {}; // op -> peer -> checksum
  for (const p of peers) samples[p.name] = {};
  for (let rep = 0; rep < warmup + reps; rep++) {
    for (let k = 0; k < peers.length; k++) {
      const p = /** @type {Peer} */ (peers[(k + rep) % peers.length]);
      const r = await turn(p, ctxs.get(p.name), wl, d, inner, ops, rep === 0 && n >= MEM_MIN);
      if (r.mem && Object.keys(r.mem).length) mems[p.name] = r.mem;
      if (rep < warmup) continue;
      const mine = /** @type {PeerSamples} */ (samples[p.name]);
      for (const [op, x] of /** @type {[OpName, number][]} */ (Object.entries(r.ns))) {
        mine[op] ??= [];
        mine[op].push(x);
      }
      for (const [op, c] of /** @type {[OpName, unknown][]} */ (Object.entries(r.checks)))
        (checks[op] ??= {})[p.name] = c;
    }
  }
  const mismatches = [];
  const unchecked = new Set(peers.filter((p) => p.noCheck).map((p) => p.name));
  for (const [op, byPeer] of Object.entries(checks)) {
    const compared = Object.entries(byPeer)
      .filter(([p]) => !unchecked.has(p))
      .map(([, c]) => String(c));
    if (new Set(compared).size > 1) {
      const msg = `${wname} n=${n} ${op}: checksums differ: ${JSON.stringify(byPeer)}`;
      mismatches.push(msg);
      console.error(`CHECKSUM MISMATCH ${msg}`);
    }
  }
  for (const p of peers) p.close?.(ctxs.get(p.name));
  const results = [];
  for (const op of ops) {
    const jsXs = samples.js?.[op];
    const js = jsXs ? summary(jsXs) : undefined;
    for (const p of peers) {
      const xs = /** @type {PeerSamples} */ (samples[p.name])[op];
      if (!xs) continue;
      const s = summary(xs);
      // Per-repetition ratios (JS Map's time and this peer's, same repetition),
      // their median and spread: JS Map's own time moves between repetitions.
      const ratios = jsXs && jsXs.length === xs.length ? xs.map((x, i) => /** @type {number} */ (jsXs[i]) / x) : null;
      const rs = ratios ? quartiles(ratios) : undefined;
      results.push({
        workload: wname,
        size: n,
        op,
        peer: p.name,
        inner,
        warmup,
        reps,
        median: s.median,
        min: s.min,
        max: s.max,
        samples: xs,
        xFasterThanJs: rs ? rs.median : js ? js.median / s.median : undefined,
        ratioOfMedians: js ? js.median / s.median : undefined,
        ratioSpread: rs,
        checksum: checks[op]?.[p.name],
      });
    }
  }
  /** @type {MemoryRow | undefined} */
  let memory;
  if (n >= MEM_MIN) {
    memory = { workload: wname, size: n, ...mems };
    if (wl.wide && !wl.bits53 && peers.some((p) => p.name === "js"))
      memory.jsWithBigintKeys = jsBigintMapBytes(/** @type {NumData} */ (d));
    if (wl.str && peers.some((p) => p.name === "js"))
      memory.jsWithStringKeys = jsStringMapBytes(/** @type {StrData} */ (d));
  }
  const line = ops
    .map(
      (op) =>
        `${op} ` +
        peers
          .filter((p) => /** @type {PeerSamples} */ (samples[p.name])[op])
          .map(
            (p) =>
              `${p.name} ${fmt(summary(/** @type {number[]} */ (/** @type {PeerSamples} */ (samples[p.name])[op])).median)}`,
          )
          .join(" "),
    )
    .join(" | ");
  process.stderr.write(`  ${line}  (${((now() - tg) / 1000).toFixed(1)} s)\n`);
  d = null;
  /** @type {LoadRow} */
  const load = {
    workload: wname,
    size: n,
    group: CHILD_GROUP,
    before: loadBefore,
    after: /** @type {number} */ (os.loadavg()[0]),
  };
  process.stderr.write(`  load avg (1 min) ${load.before.toFixed(2)} → ${load.after.toFixed(2)}\n`);
  return { results, memory, mismatches, codeStamp: stampAtStart, load };
}

/**
 * What runChild prints, a row of its results (`group`: see runSize), its
 * memory row (bytes per entry, per peer and counter).
 * @typedef {Awaited<ReturnType<typeof runChild>>} ChildOut
 * @typedef {ChildOut["results"][number] & { group?: string }} ResultRow
 * @typedef {Record<string, number>} PeerMem
 * @typedef {{ workload: string, size: number, jsWithBigintKeys?: number, jsWithStringKeys?: number,
 *   js?: PeerMem, ours?: PeerMem, "ours-batch"?: PeerMem, as?: PeerMem, "as-batch"?: PeerMem,
 *   [peer: string]: PeerMem | string | number | undefined }} MemoryRow
 * @typedef {{ results: ResultRow[], memory?: MemoryRow | undefined, mismatches: string[], codeStamp?: string,
 *   codeStamps?: string[], loads?: LoadRow[] }} SizeOut
 * @typedef {{ workload: string, size: number, group: string, before: number, after: number }} LoadRow
 */

/** Run one child process per (workload, size); collect their results.
 *  @param {string} wname @param {number} n @returns {ChildOut} (its JSON) */
function spawnChild(wname, n, group = "") {
  const passArgs = process.argv.slice(2).filter((a) => !/^--(child|child-group|go-bin|go-version)=/.test(a));
  const args = [
    "--expose-gc",
    "--max-old-space-size=8192",
    fileURLToPath(import.meta.url),
    ...passArgs,
    `--child=${wname}:${n}`,
    GO.bin ? `--go-bin=${GO.bin}` : `--go-bin=none:${GO.why}`,
    `--go-version=${GO.version}`,
  ];
  if (group) args.push(`--child-group=${group}`);
  const r = spawnSync(process.execPath, args, {
    stdio: ["ignore", "pipe", "inherit"],
    maxBuffer: 256 * 1024 * 1024,
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`bench/maps child ${wname}:${n} failed (status ${r.status}, signal ${r.signal})`);
  const lines = r.stdout.trim().split("\n");
  return JSON.parse(/** @type {string} */ (lines[lines.length - 1]));
}

/**
 * One (workload, size). String workloads run the bytes-map peers in a second
 * child, with a JS Map of their own as the reference for their ratio: a
 * bytes map and a string map in one process share GoMap's batch code, whose
 * call sites then see both strings and Uint8Arrays (the string batch ran
 * ~1.5x slower at 1e5 next to the bytes one). The second child's rows carry
 * `group: "bytes"`; its JS Map rows are kept in the JSON, not in the tables.
 * @param {Workload} wl
 * @param {number} n
 * @returns {SizeOut}
 */
function runSize(wl, n) {
  const bytesPeers = PEER_NAMES.filter(
    (p) => BYTES_PEERS.includes(p) && (n >= BIG ? BIG_PEERS.includes(p) : n < STR_BIG || STR_BIG_PEERS.includes(p)),
  );
  const split = wl.str && bytesPeers.length > 0 && PEER_NAMES.some((p) => p !== "js" && !BYTES_PEERS.includes(p));
  if (!split) {
    const c = spawnChild(wl.name, n);
    return { ...c, loads: [c.load] };
  }
  const main = spawnChild(wl.name, n, "main");
  const bytes = spawnChild(wl.name, n, "bytes");
  for (const r of /** @type {ResultRow[]} */ (bytes.results)) r.group = "bytes";
  let memory = main.memory;
  if (bytes.memory) {
    memory ??= { workload: wl.name, size: n };
    for (const p of bytesPeers) if (bytes.memory[p]) memory[p] = bytes.memory[p];
  }
  return {
    results: [...main.results, ...bytes.results],
    memory,
    mismatches: [...main.mismatches, ...bytes.mismatches],
    codeStamps: [main.codeStamp, bytes.codeStamp],
    loads: [main.load, bytes.load],
  };
}

// ------------------------------------------------------------------ report

const PEER_ORDER = [
  "js",
  "ours",
  "ours-batch",
  "ours-f64-batch",
  "ours-bytes",
  "ours-bytes-batch",
  "as",
  "as-batch",
  "go",
  "ours-core",
  "encode",
];
/** @type {Record<string, string>} */
const PEER_LABEL = {
  js: "JS Map",
  ours: "ours",
  "ours-batch": "ours batch",
  "ours-f64-batch": "ours batch, Float64Array keys",
  go: "Go native",
  as: "AS Map",
  "as-batch": "AS batch",
  "ours-core": "ours core calls",
  "ours-bytes": "ours pre-encoded (bytes keys)",
  "ours-bytes-batch": "ours batch pre-encoded (bytes keys)",
  encode: "WTF-8 encode only (share of ours)",
};
/** @type {Record<OpName, string>} */
const OP_LABEL = {
  insert: "insert",
  hit: "lookup hit",
  miss: "lookup miss",
  iterate: "iterate (for…of)",
  forEach: "iterate (forEach)",
  delete: "delete all",
};
/** @type {OpName[]} */
const OP_ORDER = ["insert", "hit", "miss", "iterate", "forEach", "delete"];
/** @param {number} n */
const sizeLabel = (n) => {
  const e = Math.log10(n);
  return Number.isInteger(e) ? `1e${e}` : String(n);
};
/** @param {number | undefined} x */
const bpe = (x) => (x === undefined ? "–" : x.toFixed(x >= 100 ? 0 : 1));
/** How the sizes of a workload were run (repetitions; the reduced big sizes).
 *  @param {Config} c @param {Workload} wl @param {number[]} sizes */
const repsLine = (c, wl, sizes) => {
  let t = `${c.warmup} warm-up + ${c.reps} measured repetitions`;
  /** @param {string[] | undefined} ps */
  const peers = (ps) => (ps ?? []).map((p) => PEER_LABEL[p] ?? p).join(", ");
  if (wl.str && c.strBig !== undefined && sizes.some((n) => n >= c.strBig)) {
    const left = (c.peers ?? []).filter((p) => !(c.strBigPeers ?? []).includes(p) && p !== "ours-core");
    t += ` (${c.strBigWarmup} + ${c.strBigReps} at ≥ ${sizeLabel(c.strBig)}${left.length ? `, without ${peers(left)}` : ""})`;
  }
  if (sizes.some((n) => n >= c.big)) {
    const bp = wl.str ? (c.bigPeers ?? []).filter((p) => p !== "as" && p !== "as-batch") : c.bigPeers;
    t += ` (${c.bigWarmup} + ${c.bigReps} at ≥ ${sizeLabel(c.big)}, only ${(c.bigOps ?? []).join(", ")} and ${peers(bp)})`;
  }
  return t;
};
/** How a run was made: for the sections when the file mixes runs.
 *  @param {Run} r @param {Workload} wl @param {number[]} sizes */
const runLine = (r, wl, sizes) =>
  `${machineLine(r.machine)}; ${repsLine(r.config ?? /** @type {Config} */ ({}), wl, sizes)}; whole run ${Math.round(r.elapsedSeconds)} s; code ${(r.codeStamps ?? []).join(", ")}`;

// ----------------------------------------------------------- targets
//
// Issue 16's targets, at 1e6 keys, from this run's rows. A ratio is the
// median of per-repetition ratios of two peers that ran in the same child
// (turns interleaved); BigInt vs Number keys compares two children
// (workloads u64 and u53), so that one pairs repetitions by index.

/** Bytes per entry (ours, HeapInuse after a collection, 1e6 u32→u32 and
 *  u64→u64, no hint) measured before issue 16 (README, 2026-11-26). */
const MEM_BEFORE = { u32: 21.2, u53: 40.1 };

/**
 * @typedef {{ what: string, value?: number, spread?: string, status: string }} TargetRow
 */

/** The target table (markdown lines) for a results document. @param {Doc} doc */
function targetTable(doc) {
  const N = 1e6;
  const rows = doc.results.filter((r) => r.size === N && !r.group);
  if (!rows.length) return [];
  /** @param {string} w @param {string} peer @param {string} op */
  const row = (w, peer, op) => rows.find((r) => r.workload === w && r.peer === peer && r.op === op);
  /** Per-repetition ratios a/b (ns over ns) of two rows, paired by repetition.
   *  @param {ResultRow | undefined} a @param {ResultRow | undefined} b */
  const paired = (a, b) =>
    a && b && a.samples.length === b.samples.length
      ? a.samples.map((x, i) => x / /** @type {number} */ (b.samples[i]))
      : null;
  /** @param {number[] | null} rs */
  const spreadOf = (rs) => {
    if (!rs) return "";
    const q = quartiles(rs);
    return `${q.min.toFixed(2)}–${q.max.toFixed(2)} (IQR ${q.q1.toFixed(2)}–${q.q3.toFixed(2)}, ${q.n} reps)`;
  };
  /**
   * @param {string} what @param {number[] | null} rs per-repetition ratios
   * @param {number} goal @param {number | undefined} stretch
   * @param {"atLeast" | "atMost"} dir
   * @returns {TargetRow}
   */
  const judge = (what, rs, goal, stretch, dir = "atLeast") => {
    if (!rs?.length) return { what, status: "not measured in this run" };
    const v = quartiles(rs).median;
    const ok = dir === "atLeast" ? v >= goal : v <= goal;
    const okS = stretch !== undefined && (dir === "atLeast" ? v >= stretch : v <= stretch);
    const far = dir === "atLeast" ? v / goal : goal / v; // < 1 when missed
    return {
      what,
      value: v,
      spread: spreadOf(rs),
      status: ok
        ? okS
          ? "**met** (stretch met)"
          : stretch !== undefined
            ? "**met** (stretch missed)"
            : "**met**"
        : `missed (at ${(100 * far).toFixed(0)}% of the target)`,
    };
  };
  /** JS Map ÷ peer per repetition. @param {string} w @param {string} peer @param {OpName} op */
  const vsJs = (w, peer, op) => paired(row(w, "js", op), row(w, peer, op));
  /** @type {[string, TargetRow[]][]} */
  const groups = [];
  /** @param {string} w @param {string} title @param {[OpName, number, number?][]} items */
  const single = (w, title, items) =>
    groups.push([
      title,
      items.map(([op, goal, stretch]) =>
        judge(
          `${OP_LABEL[op]} ≥ ${goal}×${stretch ? ` (stretch ${stretch}×)` : ""}`,
          vsJs(w, "ours", op),
          goal,
          stretch,
        ),
      ),
    ]);
  single("u32", "u32 (Smi keys) one call per op — JS Map ÷ ours", [
    ["hit", 1.6, 2],
    ["miss", 2, 2.5],
    ["insert", 1.2],
    ["delete", 1.5],
  ]);
  single("u53", "53-bit Numbers (u64 map) one call per op — JS Map ÷ ours", [
    ["hit", 3, 3.5],
    ["miss", 3],
    ["insert", 2],
    ["delete", 2.5],
  ]);
  groups.push([
    "BigInt keys within 1.3× of Number keys — ours u64 (BigInt) ns ÷ ours u53 (Number) ns, one call per op (two child processes: repetitions paired by index, not interleaved)",
    /** @type {OpName[]} */ (["insert", "hit", "miss", "delete"]).map((op) =>
      judge(`${OP_LABEL[op]} ≤ 1.3`, paired(row("u64", "ours", op), row("u53", "ours", op)), 1.3, undefined, "atMost"),
    ),
  ]);
  single("str", 'strings ("key-<i>") one call per op — JS Map ÷ ours', [
    ["hit", 1.5],
    ["miss", 2],
    ["insert", 1.0, 1.2],
  ]);
  /** @type {TargetRow[]} */
  const iter = [];
  for (const w of ["u32", "u53", "u64"])
    for (const op of /** @type {OpName[]} */ (["iterate", "forEach"]))
      iter.push(judge(`${w} ${OP_LABEL[op]} ≥ 1×`, vsJs(w, "ours", op), 1, undefined));
  for (const op of /** @type {OpName[]} */ (["iterate", "forEach"]))
    iter.push(judge(`str ${OP_LABEL[op]} ≥ 0.5× (within 2×)`, vsJs("str", "ours", op), 0.5, undefined));
  groups.push(["iteration per entry, numeric maps as fast as JS Map, string maps within 2× — JS Map ÷ ours", iter]);
  groups.push([
    "batch: Float64Array keys for u64 maps as fast as BigUint64Array — ours batch (BigUint64Array) ns ÷ ours batch (Float64Array) ns, u53 keys",
    /** @type {OpName[]} */ (["insert", "hit", "miss", "delete"]).map((op) =>
      judge(
        `${OP_LABEL[op]} ≥ 1×`,
        paired(row("u53", "ours-batch", op), row("u53", "ours-f64-batch", op)),
        1,
        undefined,
      ),
    ),
  ]);
  groups.push([
    "batch: u64 batch hit within 1.3× of Go native — ours batch ns ÷ Go ns (BigUint64Array keys)",
    [
      judge(
        "u64 (BigInt keys) lookup hit ≤ 1.3",
        paired(row("u64", "ours-batch", "hit"), row("u64", "go", "hit")),
        1.3,
        undefined,
        "atMost",
      ),
      judge(
        "u53 (53-bit keys) lookup hit ≤ 1.3",
        paired(row("u53", "ours-batch", "hit"), row("u53", "go", "hit")),
        1.3,
        undefined,
        "atMost",
      ),
    ],
  ]);
  // Memory per entry: ours' HeapInuse after 1e6 inserts against the figure before issue 16.
  /** @type {TargetRow[]} */
  const mem = [];
  for (const [w, before] of /** @type {[keyof typeof MEM_BEFORE, number][]} */ (Object.entries(MEM_BEFORE))) {
    const m = (doc.memoryBytesPerEntry ?? []).find((r) => r.workload === w && r.size === N);
    const v = /** @type {PeerMem | undefined} */ (m?.ours ?? m?.["ours-batch"])?.heapInuse;
    mem.push(
      v === undefined
        ? { what: `${w} bytes per entry (was ${before})`, status: "not measured in this run" }
        : {
            what: `${w} bytes per entry (was ${before})`,
            value: v,
            spread: "one measurement (HeapInuse Δ)",
            status: v <= before * 1.02 ? "**met**" : `missed (${((100 * v) / before).toFixed(0)}% of before)`,
          },
    );
  }
  groups.push(["memory per entry unchanged — ours HeapInuse bytes per entry after 1e6 inserts (no hint)", mem]);
  const out = [
    `## Issue 16 targets at 1e6 keys`,
    "",
    "Ratio = JS Map ns ÷ ours ns unless the group says otherwise: the median of per-repetition ratios " +
      "(peers interleaved within each repetition), spread = min–max and interquartile range of those ratios.",
    "",
    "| target | measured | spread | status |",
    "|---|---:|---|---|",
  ];
  for (const [title, items] of groups) {
    out.push(`| **${title}** | | | |`);
    for (const t of items)
      out.push(`| ${t.what} | ${t.value === undefined ? "–" : t.value.toFixed(2)} | ${t.spread ?? ""} | ${t.status} |`);
  }
  out.push(
    "| **not measured by bench/maps** | | | |",
    "| no collector step above 1 ms at 1 GiB of string-keyed maps | – | | see bench/gc |",
    "| no model test or checker lost; CI time (differential tests ≤ 2 min) | – | | see the test suite |",
  );
  out.push("");
  return out;
}

/** README.md's table: 1e6 keys, every workload but rstr, "ns (ratio×)"
 *  per peer (ratio: median of the per-repetition JS Map ÷ peer ratios).
 *  @param {Doc} doc */
function readmeTable(doc, n = 1e6) {
  const rows = doc.results.filter((r) => r.size === n && !r.group);
  const cols = ["js", "ours", "ours-batch", "ours-f64-batch", "as", "as-batch", "go"].filter((p) =>
    rows.some((r) => r.peer === p),
  );
  /** @type {Record<string, string>} */
  const title = {
    u32: "u32 (Smi keys 0..n−1)",
    u53: "53-bit Numbers → u64",
    u64: "64-bit BigInt → u64",
    str: '"key-<i>" strings → u32',
    rstr: "random strings → u32",
  };
  const out = [
    `| keys | op | ${cols.map((p) => PEER_LABEL[p]).join(" | ")} |`,
    `|---|---|${cols.map(() => "---:|").join("")}`,
  ];
  for (const w of ["u32", "u53", "u64", "str"]) {
    let first = true;
    for (const op of OP_ORDER) {
      const here = rows.filter((r) => r.workload === w && r.op === op);
      if (!here.length) continue;
      const cells = cols.map((p) => {
        const r = here.find((x) => x.peer === p);
        if (!r) return "–";
        return p === "js" || r.xFasterThanJs === undefined
          ? fmt(r.median)
          : `${fmt(r.median)} (${r.xFasterThanJs.toFixed(2)}×)`;
      });
      out.push(`| ${first ? title[w] : ""} | ${OP_LABEL[op]} | ${cells.join(" | ")} |`);
      first = false;
    }
  }
  return out.join("\n");
}

/** maps.md from the results document (what maps.json holds). @param {Doc} doc */
function renderMd(doc) {
  const { machine, config } = doc;
  const runWorkloads = config.workloads;
  const earlierRuns = doc.earlierRuns ?? [];
  const thisRun = {
    workloads: runWorkloads,
    machine,
    elapsedSeconds: doc.elapsedSeconds,
    config,
    codeStamps: doc.codeStamps,
  };
  const keptWorkloads = earlierRuns.flatMap((r) => r.workloads);
  const allWorkloads = Object.keys(WORKLOADS).filter((w) => runWorkloads.includes(w) || keptWorkloads.includes(w));
  const allResults = doc.results;
  const allMemory = doc.memoryBytesPerEntry ?? [];
  const allMismatches = doc.checksumMismatches ?? [];
  /** @param {string} w */
  const runOf = (w) => (runWorkloads.includes(w) ? thisRun : earlierRuns.find((r) => r.workloads.includes(w)));
  /** @param {string} w */
  const sizesIn = (w) =>
    [...new Set(allResults.filter((r) => r.workload === w).map((r) => r.size))].sort((a, b) => a - b);
  const md = [];
  md.push("# bench/maps: ns per operation (lower is better)");
  md.push("");
  md.push(machineLine(machine));
  md.push("");
  md.push(...targetTable(doc));
  md.push(
    `Cells: median ns/op (min–max) over the measured repetitions, then **JS Map ns ÷ peer ns**, the median of the ` +
      `per-repetition ratios (each repetition's JS Map time over the peer's time in that repetition), ` +
      `[min–max of those ratios] (“× faster than JS Map”: above 1 the peer is faster). ` +
      (() => {
        // workloads with the same repetitions share one description
        const by = new Map();
        for (const w of runWorkloads) {
          const t = repsLine(config, /** @type {Workload} */ (WORKLOADS[w]), sizesIn(w));
          by.set(t, [...(by.get(t) ?? []), w]);
        }
        return [...by].map(([t, ws]) => (by.size > 1 ? `${ws.join(", ")}: ${t}` : t)).join("; ");
      })() +
      `; peers interleaved per repetition, their order rotated; ` +
      `maps below ${config.targetOps} entries repeated on fresh maps (1e3: ${Math.round(config.targetOps / 1e3)} maps per repetition). ` +
      `One child process per workload × size, one heap per peer in it, collected before each turn. Whole run ${Math.round(doc.elapsedSeconds)} s` +
      ` (workloads ${runWorkloads.join(", ")}; code ${(doc.codeStamps ?? []).join(", ")}).`,
  );
  if (keptWorkloads.length) {
    md.push("");
    md.push(
      `Sections ${keptWorkloads.join(", ")} are kept from an earlier run of this file (how it ran is under each).`,
    );
    const builds = new Set([doc, ...earlierRuns].map((r) => (r.codeStamps ?? []).join(",")));
    if (builds.size > 1)
      md.push(
        `**The sections come from different builds** (code stamps differ: a hash of build/release.wasm and dist/): compare columns within a section, not across sections of different runs.`,
      );
  }
  md.push("");
  for (const wname of allWorkloads) {
    const wl = /** @type {Workload} */ (WORKLOADS[wname]); // allWorkloads are keys of WORKLOADS
    const wr = allResults.filter((r) => r.workload === wname);
    const ran = PEER_ORDER.filter((p) => wr.some((r) => r.peer === p));
    md.push(`## ${wname}: ${wl.title}`);
    md.push("");
    if (keptWorkloads.length) {
      md.push(
        `_${runOf(wname) === thisRun ? "This run" : "Earlier run"}: ${runLine(/** @type {Run} */ (runOf(wname)), wl, sizesIn(wname))}._`,
      );
      md.push("");
    }
    md.push(`| size | op | ${ran.map((p) => PEER_LABEL[p]).join(" | ")} |`);
    md.push(`|---:|---|${ran.map(() => "---:|").join("")}`);
    for (const n of [...new Set(wr.map((r) => r.size))].sort((a, b) => a - b)) {
      for (const op of OP_ORDER) {
        const rows = wr.filter((r) => r.size === n && r.op === op);
        if (!rows.length) continue;
        const cells = ran.map((p) => {
          const r = rows.find((x) => x.peer === p && !(p === "js" && x.group));
          if (!r) return "–";
          const c = `${fmt(r.median)} (${fmt(r.min)}–${fmt(r.max)})`;
          if (p === "encode") {
            const ours = rows.find((x) => x.peer === "ours");
            return ours ? `${c} ${Math.round((100 * r.median) / ours.median)}%` : c;
          }
          if (p === "js" || r.xFasterThanJs === undefined) return c;
          const sp = r.ratioSpread;
          return `${c} **${r.xFasterThanJs.toFixed(2)}×**${sp ? ` [${sp.min.toFixed(2)}–${sp.max.toFixed(2)}]` : ""}`;
        });
        md.push(`| ${sizeLabel(n)} | ${OP_LABEL[op]} | ${cells.join(" | ")} |`);
      }
    }
    md.push("");
    const loadRows = (doc.loads ?? []).filter((r) => r.workload === wname);
    if (loadRows.length) {
      md.push(
        `Load average (1 min) at the start → end of each size's child process: ${loadRows
          .map(
            (r) =>
              `${sizeLabel(r.size)}${r.group ? ` (${r.group})` : ""} ${r.before.toFixed(2)} → ${r.after.toFixed(2)}`,
          )
          .join(", ")}.`,
      );
      md.push("");
    }
    const memRows = allMemory.filter((r) => r.workload === wname);
    if (memRows.length) {
      md.push(`Bytes per entry after n inserts (no hint), ${wname}:`);
      md.push("");
      /** @type {[string, "jsWithBigintKeys" | "jsWithStringKeys"] | null} */
      const extra =
        wl.wide && !wl.bits53
          ? ["JS Map + its BigInt keys", "jsWithBigintKeys"]
          : wl.str
            ? ["JS Map + its key strings", "jsWithStringKeys"]
            : null;
      const first = wl.str ? "JS Map (heapUsed Δ; keys already on the heap)" : "JS Map (heapUsed Δ)";
      const oursLabel = wl.str ? "ours (HeapInuse Δ, with its key bytes)" : "ours (HeapInuse Δ)";
      const withGo = memRows.some((r) => r.go);
      const goLabel = wl.str ? "Go (HeapInuse Δ; keys already on the heap)" : "Go (HeapInuse Δ)";
      md.push(
        `| size | ${first}${extra ? ` | ${extra[0]}` : ""} | ${oursLabel} | ours (linear memory Δ) | AS Map (linear memory Δ) |${withGo ? ` ${goLabel} |` : ""}`,
      );
      md.push(`|---:|---:|${extra ? "---:|" : ""}---:|---:|---:|${withGo ? "---:|" : ""}`);
      for (const r of memRows) {
        const ours = r.ours ?? r["ours-batch"];
        const as = r.as ?? r["as-batch"];
        md.push(
          `| ${sizeLabel(r.size)} | ${bpe(r.js?.heapUsed)}${extra ? ` | ${bpe(r[extra[1]])}` : ""} | ${bpe(ours?.heapInuse)} | ${bpe(ours?.sys)} | ${bpe(as?.memory)} |${withGo ? ` ${bpe(/** @type {PeerMem | undefined} */ (r.go)?.heapInuse)} |` : ""}`,
        );
      }
      md.push("");
    }
  }
  const anyStr = allWorkloads.some((w) => /** @type {Workload} */ (WORKLOADS[w]).str);
  md.push("Notes:");
  md.push(
    "- Single-call peers: one call per key (`m.set(k, v)`, `m.get(k)`, `m.delete(k)`); batch peers: one call per",
  );
  md.push(
    "  typed array (ours: `setMany/getMany/deleteMany`; AS: keys copied into its memory, one export call per chunk).",
  );
  md.push("- AS Map's `get` throws on a missing key, so the AS peer's get is `has() + get()`: two probes per hit.");
  md.push(
    "- AS iteration is one export call (`keys()` + `values()` arrays, summed in wasm): its only public iteration.",
  );
  md.push("- ours returns u64 values (and u64 keys while iterating) as bigint; the loops convert with `Number()`.");
  md.push(
    "- iterate (for…of) is `for (const [k, v] of m)`, iterate (forEach) `m.forEach((v, k) => …)`, same sums; AS and Go",
  );
  md.push("  have only the first row (AS: one export call; Go: `range`).");
  md.push(
    "- ours batch, Float64Array keys (u53): the 53-bit keys in a `Float64Array`; values and `out` are `BigUint64Array`s",
  );
  md.push("  as in ours batch, so the two columns differ only in the key array.");
  md.push(
    `- Go native: ${doc.config.go ?? "not run"}; a subprocess of each child, handed the same keys through a temp file`,
  );
  md.push(
    "  and asked for one turn at a time, so its turns interleave with the others'; it times its own loops. Its delete",
  );
  md.push("  is `delete(m, k)` (one probe).");
  md.push(
    "- Memory: JS = `process.memoryUsage().heapUsed` delta after `gc()`; for u53 it includes the HeapNumber boxes the",
  );
  md.push(
    "  map holds for its keys. For u64 the first column counts the map only (the keys were already on the heap);",
  );
  md.push(
    "  “JS Map + its BigInt keys” inserts keys read fresh from a BigUint64Array, so the BigInt objects count too.",
  );
  md.push("  ours: `HeapInuse` delta between two `rt.gc()` (outgrown bucket arrays collected; span granularity), and");
  md.push(
    "  linear-memory (`Sys`) growth, which keeps the peak of growth (old and new arrays at once) since wasm memory",
  );
  md.push(
    "  never shrinks. AS: linear-memory growth (TLSF grows memory by doubling, so this is coarse). First repetition,",
  );
  md.push("  fresh heap; the JSON also has the map's own bucket bytes (`live`).");
  if (anyStr) {
    md.push(
      "- String workloads (str, rstr): JS Map gets fresh key strings for every map it builds, made from the key bytes",
    );
    md.push(
      "  before the clock starts: a JS string caches its hash once a Map has hashed it, so reused key objects would let",
    );
    md.push(
      `  JS skip hashing${config.strReuse && runWorkloads.some((w) => /** @type {Workload} */ (WORKLOADS[w]).str) ? " (this run: --str-reuse, so JS Map gets the same strings every time, their hashes cached)" : ""}. The other peers cache nothing per string and share one set of`,
    );
    md.push("  strings. Deletes use another copy of the lookup keys. ours encodes");
    md.push(
      "  every key to WTF-8 (src/wtf8.ts) in every call, single and batch (the batch packs a chunk of keys into one",
    );
    md.push(
      "  buffer per core call); that cost is in its columns. The public API takes no pre-encoded string keys, so",
    );
    md.push(
      '  the “pre-encoded” columns are a `{ key: "bytes" }` map (the same stored bytes and hash) with `Uint8Array`',
    );
    md.push(
      "  keys encoded by TextEncoder before timing (views into one buffer per key array, in its order); those columns",
    );
    md.push(
      "  pay a `TypedArray.set` per key instead. They run in a child process of their own (sharing GoMap's batch code",
    );
    md.push(
      "  with a string map slows the string map's batch calls), whose JS Map run is their ratio's reference (in the JSON).",
    );
    md.push(
      "  “WTF-8 encode only” runs no map: just the encoding ours does per key (dist/wtf8.js `encodeInto`, into a",
    );
    md.push(
      "  64 KiB buffer), shown as a share of ours' single-call time. Iteration sums values and the keys' lengths.",
    );
    md.push("  AS Map is `Map<string,u32>`: each call copies the key's UTF-16 code units into its memory and makes an");
    md.push(
      "  AssemblyScript string of them (garbage after get/delete). Memory: the first JS column counts the map only",
    );
    md.push("  (its key strings were already on the heap); “JS Map + its key strings” makes each key string while");
    md.push("  inserting, so the strings count, as ours' HeapInuse counts its copies of the key bytes.");
  }
  if (allMismatches.length) {
    md.push("");
    md.push(`**Checksum mismatches:** ${allMismatches.join("; ")}`);
  }
  if (doc.codeChangedDuringRun) {
    md.push("");
    md.push(
      "**Warning:** build/release.wasm or dist/ changed during the run (a rebuild): these results mix code versions.",
    );
  }
  return md.join("\n");
}

const CHILD = arg("child", "");
if (CHILD) {
  warnNoGc();
  const [w, size] = CHILD.split(":");
  const out = await runChild(/** @type {string} */ (w), Number(size));
  if (GO.built) removeGoPeer(GO.bin);
  process.stdout.write(JSON.stringify(out) + "\n");
  process.exit(0);
}

// --readme: print README.md's performance table (1e6) from maps.json.
if (flag("readme")) {
  console.log(readmeTable(JSON.parse(readFileSync(RESULTS_JSON, "utf8"))));
  process.exit(0);
}

// --render: maps.md again from maps.json (no benchmark run).
if (flag("render")) {
  const doc = JSON.parse(readFileSync(RESULTS_JSON, "utf8"));
  const text = renderMd(doc);
  console.log(text);
  if (WRITE) {
    writeFileSync(RESULTS_MD, text + "\n");
    console.error(`wrote ${RESULTS_MD}`);
  }
  process.exit(0);
}

const machine = machineInfo();
/** @type {ResultRow[]} */
const results = [];
/** @type {MemoryRow[]} */
const memory = [];
/** @type {string[]} */
const mismatches = [];
/** @type {LoadRow[]} */
const loads = [];
const stamps = new Set([codeStamp()]);
const t00 = now();
for (const wname of WORKLOAD_NAMES) {
  if (!WORKLOADS[wname]) throw new Error(`unknown workload ${wname}; known: ${Object.keys(WORKLOADS).join(", ")}`);
  const sizes = sizesOf(WORKLOADS[wname]);
  if (sizes.length < SIZES.length)
    console.error(`${wname}: sizes above ${sizes[sizes.length - 1]} skipped (--str-max, --rstr-max)`);
  for (const n of sizes) {
    const r = runSize(WORKLOADS[wname], n);
    results.push(...r.results);
    if (r.memory) memory.push(r.memory);
    mismatches.push(...r.mismatches);
    loads.push(...(r.loads ?? []));
    for (const c of r.codeStamps ?? [/** @type {string} */ (r.codeStamp)]) stamps.add(c); // one of the two is there
  }
}
finishMachine(machine);
if (GO.built) removeGoPeer(GO.bin);
stamps.add(codeStamp());
const elapsedS = (now() - t00) / 1000;
const codeChanged = stamps.size > 1;
if (codeChanged)
  console.error("WARNING: build/release.wasm or dist/ changed during the run; results mix code versions");

const config = {
  sizes: SIZES,
  workloads: WORKLOAD_NAMES,
  peers: PEER_NAMES,
  ops: OPS,
  big: BIG,
  bigOps: BIG_OPS,
  reps: REPS,
  bigReps: BIG_REPS,
  warmup: WARMUP,
  bigWarmup: BIG_WARMUP,
  bigPeers: BIG_PEERS,
  targetOps: TARGET_OPS,
  settleMs: SETTLE_MS,
  quick: QUICK,
  strMax: STR_MAX,
  rstrMax: RSTR_MAX,
  strReuse: STR_REUSE,
  strBig: STR_BIG,
  strBigReps: STR_BIG_REPS,
  strBigWarmup: STR_BIG_WARMUP,
  strBigPeers: STR_BIG_PEERS,
  ours: 'Runtime.create({ maxMemory: "4GiB" }) per repetition, rt.map({ key, value }), build/release.wasm',
  as: "bench/peer/asmap.ts (Map<u32,u32>, Map<u64,u64>, Map<string,u32>), asc --runtime incremental -O3 --noAssert, fresh instance per repetition",
  go: GO.bin
    ? `${GO.version} (bench/go/maps: map[uint32]uint32, map[uint64]uint64, map[string]uint32; GOMAXPROCS ${os.cpus().length}, GOGC default)`
    : `not run: ${GO.why}`,
};
/** @typedef {typeof config} Config */
const thisRun = {
  workloads: WORKLOAD_NAMES,
  machine,
  elapsedSeconds: +elapsedS.toFixed(1),
  config,
  codeStamps: [...stamps],
};
/** How a run was made (this one, or an earlier one whose sections a results file keeps). @typedef {typeof thisRun} Run */

// ------------------------------------------------------------ merging
//
// A run of some workloads (e.g. --workloads=str,rstr) keeps the other
// workloads' sections of the existing results file (--no-merge: does not);
// `earlierRuns` in the JSON says which run each kept workload comes from.

const MERGE = WRITE && !flag("no-merge");
/** @type {Run[]} */
const earlierRuns = [];
let /** @type {ResultRow[]} */ keptResults = [],
  /** @type {LoadRow[]} */ keptLoads = [],
  /** @type {MemoryRow[]} */ keptMemory = [],
  /** @type {string[]} */ keptMismatches = [];
if (MERGE) {
  /** @type {any} the previous maps.json as parsed (any version of it): checked below */
  let prev = null;
  try {
    prev = JSON.parse(readFileSync(RESULTS_JSON, "utf8"));
  } catch {}
  if (prev?.benchmark === "bench/maps" && Array.isArray(prev.results)) {
    const prevRuns = [
      {
        workloads: prev.config?.workloads ?? [],
        machine: prev.machine,
        elapsedSeconds: prev.elapsedSeconds,
        config: prev.config,
        codeStamps: prev.codeStamps,
      },
      ...(prev.earlierRuns ?? []),
    ];
    for (const r of prevRuns) {
      const keep = r.workloads.filter(
        (/** @type {string} */ w) =>
          WORKLOADS[w] && !WORKLOAD_NAMES.includes(w) && !earlierRuns.some((e) => e.workloads.includes(w)),
      );
      if (keep.length) earlierRuns.push({ ...r, workloads: keep });
    }
    const kept = new Set(earlierRuns.flatMap((r) => r.workloads));
    keptResults = prev.results.filter((/** @type {ResultRow} */ r) => kept.has(r.workload));
    keptMemory = (prev.memoryBytesPerEntry ?? []).filter((/** @type {MemoryRow} */ r) => kept.has(r.workload));
    keptLoads = (prev.loads ?? []).filter((/** @type {LoadRow} */ r) => kept.has(r.workload));
    keptMismatches = (prev.checksumMismatches ?? []).filter((/** @type {string} */ m) =>
      kept.has(/** @type {string} */ (m.split(" ")[0])),
    );
  }
}
const keptWorkloads = earlierRuns.flatMap((r) => r.workloads);
/** Every workload in the report, in WORKLOADS order. */
const allWorkloads = Object.keys(WORKLOADS).filter((w) => WORKLOAD_NAMES.includes(w) || keptWorkloads.includes(w));
const allResults = allWorkloads.flatMap((w) => [...keptResults, ...results].filter((r) => r.workload === w));
const allMemory = allWorkloads.flatMap((w) => [...keptMemory, ...memory].filter((r) => r.workload === w));
const allMismatches = [...keptMismatches, ...mismatches];

// ------------------------------------------------------------------ output

const doc = {
  benchmark: "bench/maps",
  unit: "ns/op",
  machine,
  elapsedSeconds: thisRun.elapsedSeconds,
  config,
  workloads: Object.fromEntries(allWorkloads.map((w) => [w, /** @type {Workload} */ (WORKLOADS[w]).title])),
  results: allResults,
  memoryBytesPerEntry: allMemory,
  loads: allWorkloads.flatMap((w) => [...keptLoads, ...loads].filter((r) => r.workload === w)),
  checksumMismatches: allMismatches,
  codeStamps: [...stamps],
  codeChangedDuringRun: codeChanged,
  earlierRuns,
};
/** The results document (maps.json). @typedef {typeof doc} Doc */
const text = renderMd(doc);
console.log(text);
if (WRITE) {
  writeJson(RESULTS_JSON, doc);
  writeFileSync(RESULTS_MD, text + "\n");
  console.error(`wrote ${RESULTS_MD}`);
}
if (mismatches.length) process.exitCode = 1;
