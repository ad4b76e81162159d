// slots.js — what the bucket grid draws, read from a map.
//
// Where the per-slot tophash bytes come from, best first:
//
//   rt.inspectBuckets(m)   a read-only copy of every tophash byte (both
//                          arrays while growing, chains included); needs
//                          no trust. Used when the runtime has it.
//   rt.unsafe.buckets(m)   raw views over the arrays; trusted runtimes only.
//   neither                only rt.inspect(m)'s totals ("summary").
//
// Pictures, by source and size:
//
//   "slots"    every slot's state, for every bucket of the current array
//              (and of the old one while the map grows) and every overflow
//              bucket of its chain, when an array has at most MAX_CELLS
//              buckets;
//   "groups"   above that, one cell per group of `group` consecutive
//              buckets, with the live, total and evacuated slot counts and
//              the overflow buckets of the group (a 1e6-entry map, 2^18
//              buckets, becomes 4096 cells);
//   "summary"  the totals only.
//
// Slot states are the tophash sentinels of runtime/map.go; a live slot
// holds the top byte of its key's hash, >= minTopHash. Their byte values
// come from the core: rt.inspectBuckets(m).tophashValues, or
// rt.unsafe.layout().tophash on a trusted runtime; every picture is also
// checked against rt.inspect(m)'s own totals (`consistent`).

/**
 * A slot state (its name as in rt.inspect(m).tophash) and counts by state.
 * @typedef {"live" | "emptyOne" | "emptyRest" | "evacuatedX" | "evacuatedY" | "evacuatedEmpty"} StateName
 * @typedef {Record<StateName, number>} Counts
 * @typedef {{ name: StateName, label: string, color: string }} State
 */

/**
 * One array of a picture. "slots" (group 1): per slot state indexes (8 per
 * bucket), each bucket's drawn overflow chain (8 states per overflow bucket)
 * and chain length. "groups": per cell of `group` buckets, live, total and
 * evacuated slot counts and overflow buckets. "summary": the counts only.
 * @typedef {{ role: "old" | "new", B: number, nbuckets: number, group: number, ncells: number, counts: Counts,
 *   overflowBuckets: number, maxChain: number }} ArrayCommon
 * @typedef {ArrayCommon & { slots: Uint8Array, chains: Uint8Array[][], chainLength: Uint32Array, live?: undefined }} SlotsArray
 * @typedef {ArrayCommon & { live: Uint32Array, total: Uint32Array, evacuated: Uint32Array, overflow: Uint32Array,
 *   slots?: undefined }} GroupsArray
 * @typedef {{ role: "old" | "new", nbuckets: number, overflowBuckets: number, group: number, slots?: undefined,
 *   live?: undefined }} SummaryArray
 * @typedef {SlotsArray | GroupsArray | SummaryArray} ArrayPicture
 * @typedef {{ mode: "slots" | "groups" | "summary", source: "inspectBuckets" | "unsafe" | "inspect",
 *   info: import("../src/index.js").MapInspection, growing: boolean, nevacuate: number | null,
 *   arrays: ArrayPicture[], counts: Counts, consistent: boolean }} Picture
 * @typedef {{ B: number, nbuckets: number, tophash: Uint8Array, chainLength: Uint32Array, overflowTophash: Uint8Array }} RawArray
 *   rt.inspectBuckets(m)'s shape of one array (BucketArrayTophash)
 */

/** Display order, names as in rt.inspect(m).tophash.
 *  @type {State[]} */
export const STATES = [
  { name: "live", label: "live (tophash ≥ minTopHash)", color: "#2e7d32" },
  { name: "emptyOne", label: "emptyOne (deleted, more may follow)", color: "#f9a825" },
  { name: "emptyRest", label: "emptyRest (empty to the chain's end)", color: "#dcdfe3" },
  { name: "evacuatedX", label: "evacuatedX (moved to the low half)", color: "#1e88e5" },
  { name: "evacuatedY", label: "evacuatedY (moved to the high half)", color: "#8e24aa" },
  { name: "evacuatedEmpty", label: "evacuatedEmpty (was empty)", color: "#9aa9b3" },
];
export const STATE_INDEX = /** @type {Counts} */ (Object.fromEntries(STATES.map((s, i) => [s.name, i])));
const LIVE = STATE_INDEX.live;

/** Most cells drawn per array; above, buckets are grouped. */
export const MAX_CELLS = 4096;
/** Overflow buckets of one chain kept per bucket in "slots" mode. */
export const MAX_CHAIN = 64;

/** byte → state index, built from the sentinels.
 *  @param {import("../src/index.js").TophashValues} t */
function stateTable(t) {
  const table = new Uint8Array(256).fill(LIVE);
  for (let b = 0; b < t.minTopHash; b++) table[b] = STATE_INDEX.evacuatedEmpty;
  table[t.emptyRest] = STATE_INDEX.emptyRest;
  table[t.emptyOne] = STATE_INDEX.emptyOne;
  table[t.evacuatedX] = STATE_INDEX.evacuatedX;
  table[t.evacuatedY] = STATE_INDEX.evacuatedY;
  table[t.evacuatedEmpty] = STATE_INDEX.evacuatedEmpty;
  return table;
}

const zeroCounts = () => /** @type {Counts} */ (Object.fromEntries(STATES.map((s) => [s.name, 0])));

/** Where per-slot bytes can come from on this runtime, or null.
 *  @param {import("../src/index.js").Runtime} rt @returns {"inspectBuckets" | "unsafe" | null} */
export function slotSource(rt) {
  if (typeof rt.inspectBuckets === "function") return "inspectBuckets";
  if (rt.trusted) return "unsafe";
  return null;
}

/** The map's picture. `maxCells` lowers the grouping threshold (tests).
 *  @param {import("../src/index.js").Runtime} rt @param {import("../src/index.js").GoMap} m
 *  @param {{ maxCells?: number }} [options] @returns {Picture} */
export function readPicture(rt, m, { maxCells = MAX_CELLS } = {}) {
  const info = rt.inspect(m);
  const source = slotSource(rt);
  if (!source) return summaryPicture(info);
  const raw = source === "inspectBuckets" ? rt.inspectBuckets(m) : copyThroughUnsafe(rt, m);
  const table = stateTable(
    source === "inspectBuckets"
      ? /** @type {import("../src/index.js").BucketsInspection} */ (raw).tophashValues
      : rt.unsafe.layout().tophash,
  );
  /** @type {ArrayPicture[]} */
  const arrays = [];
  if (raw.old) arrays.push(readArray(raw.old, "old", table, maxCells));
  if (raw.current) arrays.push(readArray(raw.current, "new", table, maxCells));
  else
    arrays.push({
      role: "new",
      B: info.B,
      nbuckets: 0,
      group: 1,
      ncells: 0,
      counts: zeroCounts(),
      overflowBuckets: 0,
      maxChain: 0,
      slots: new Uint8Array(0),
      chains: [],
      chainLength: new Uint32Array(0),
    });
  /** @type {Picture["mode"]} */
  const mode = arrays.some((a) => a.group > 1) ? "groups" : "slots";
  const counts = zeroCounts();
  // (Every array here is a SlotsArray or a GroupsArray: they have counts.)
  for (const a of arrays) for (const s of STATES) counts[s.name] += /** @type {ArrayCommon} */ (a).counts[s.name];
  const consistent = STATES.every((s) => counts[s.name] === info.tophash[s.name]);
  return {
    mode,
    source,
    info,
    growing: info.growing,
    nevacuate: info.growing ? info.nevacuate : null,
    arrays,
    counts,
    consistent,
  };
}

/** @param {import("../src/index.js").MapInspection} info @returns {Picture} */
function summaryPicture(info) {
  /** @type {SummaryArray[]} */
  const arrays = [];
  if (info.growing)
    arrays.push({ role: "old", nbuckets: info.oldBuckets, overflowBuckets: info.oldOverflowBuckets, group: 1 });
  arrays.push({ role: "new", nbuckets: info.buckets, overflowBuckets: info.overflowBuckets, group: 1 });
  return {
    mode: "summary",
    source: "inspect",
    info,
    growing: info.growing,
    nevacuate: info.growing ? info.nevacuate : null,
    arrays,
    counts: { ...info.tophash },
    consistent: true,
  };
}

/**
 * rt.inspectBuckets(m)'s shape, copied through the unsafe views: per array
 * { B, nbuckets, tophash (8 per bucket), chainLength, overflowTophash (8
 * per overflow bucket, bucket order then chain order) }.
 * @param {import("../src/index.js").Runtime} rt @param {import("../src/index.js").GoMap} m
 */
function copyThroughUnsafe(rt, m) {
  const v = rt.unsafe.buckets(m);
  const size = v.bucketSize,
    thOff = v.layout.tophash.offset,
    ovOff = v.layout.overflow.offset;
  /** @param {import("../src/index.js").UnsafeArray | null} arr @returns {RawArray | null} */
  const copy = (arr) => {
    if (!arr || arr.nbuckets === 0) return null;
    const n = arr.nbuckets;
    const tophash = new Uint8Array(n * 8);
    const chainLength = new Uint32Array(n);
    const over = [];
    for (let i = 0; i < n; i++) {
      const base = i * size;
      tophash.set(arr.bytes.subarray(base + thOff, base + thOff + 8), i * 8);
      let len = 0;
      for (let p = /** @type {number} */ (arr.u32[(base + ovOff) >>> 2]); p !== 0; p = v.overflow(p)) {
        for (let s = 0; s < 8; s++) over.push(v.tophash(p, s));
        len++;
      }
      chainLength[i] = len;
    }
    return { B: arr.B, nbuckets: n, tophash, chainLength, overflowTophash: Uint8Array.from(over) };
  };
  return { current: copy(v.current), old: copy(v.old), nevacuate: v.nevacuate };
}

/** One array's bytes → states (per slot, or per group of buckets).
 *  @param {RawArray} raw @param {"old" | "new"} role @param {Uint8Array} table @param {number} maxCells
 *  @returns {SlotsArray | GroupsArray} */
function readArray(raw, role, table, maxCells) {
  const n = raw.nbuckets;
  const counts = zeroCounts();
  const group = n <= maxCells ? 1 : Math.ceil(n / maxCells);
  const ncells = Math.ceil(n / group);
  // Given the "slots" fields (group 1) or the "groups" ones below: typed as
  // having both while it is filled, returned as the one it is.
  const out = /** @type {ArrayCommon & { slots: Uint8Array, chains: Uint8Array[][], chainLength: Uint32Array,
    live: Uint32Array, total: Uint32Array, evacuated: Uint32Array, overflow: Uint32Array }} */ ({
    role,
    B: raw.B,
    nbuckets: n,
    group,
    ncells,
    counts,
    overflowBuckets: 0,
    maxChain: 0,
  });
  if (group === 1) {
    out.slots = new Uint8Array(n * 8);
    /** chains[i]: the states of bucket i's overflow buckets, 8 each. */
    out.chains = new Array(n);
    out.chainLength = new Uint32Array(n);
  } else {
    out.live = new Uint32Array(ncells);
    out.total = new Uint32Array(ncells);
    out.evacuated = new Uint32Array(ncells);
    out.overflow = new Uint32Array(ncells);
  }
  let o = 0; // next overflow bucket in raw.overflowTophash (units of 8)
  for (let i = 0; i < n; i++) {
    const cell = (i / group) | 0;
    for (let s = 0; s < 8; s++) {
      const st = /** @type {number} */ (table[/** @type {number} */ (raw.tophash[i * 8 + s])]);
      counts[/** @type {State} */ (STATES[st]).name]++;
      if (group === 1) out.slots[i * 8 + s] = st;
      else tally(out, cell, st);
    }
    const len = /** @type {number} */ (raw.chainLength[i]);
    /** @type {Uint8Array[]} */
    const chain = [];
    for (let c = 0; c < len; c++, o++) {
      const states = new Uint8Array(8);
      for (let s = 0; s < 8; s++) {
        const st = /** @type {number} */ (table[/** @type {number} */ (raw.overflowTophash[o * 8 + s])]);
        counts[/** @type {State} */ (STATES[st]).name]++;
        states[s] = st;
        if (group !== 1) tally(out, cell, st);
      }
      if (group === 1 && chain.length < MAX_CHAIN) chain.push(states);
    }
    out.overflowBuckets += len;
    if (len > out.maxChain) out.maxChain = len;
    if (group === 1) {
      out.chains[i] = chain;
      out.chainLength[i] = len;
    } else {
      /** @type {number} */ (out.overflow[cell]) += len;
    }
  }
  return /** @type {SlotsArray | GroupsArray} */ (/** @type {unknown} */ (out));
}

/** @param {{ total: Uint32Array, live: Uint32Array, evacuated: Uint32Array }} out @param {number} cell @param {number} st */
function tally(out, cell, st) {
  /** @type {number} */ (out.total[cell])++;
  if (st === LIVE) /** @type {number} */ (out.live[cell])++;
  else if (st === STATE_INDEX.evacuatedX || st === STATE_INDEX.evacuatedY || st === STATE_INDEX.evacuatedEmpty)
    /** @type {number} */ (out.evacuated[cell])++;
}

/** A plain, JSON-safe copy of a picture (window.explorer.snapshot()). @param {Picture} p */
export function plainPicture(p) {
  return {
    mode: p.mode,
    source: p.source,
    consistent: p.consistent,
    growing: p.growing,
    nevacuate: p.nevacuate,
    counts: p.counts,
    arrays: p.arrays.map((a) => {
      /** @type {{ role: string, nbuckets: number, group: number, overflowBuckets: number, buckets?: string[][][],
       *   live?: number[], total?: number[], evacuated?: number[], overflow?: number[] }} */
      const o = { role: a.role, nbuckets: a.nbuckets, group: a.group, overflowBuckets: a.overflowBuckets };
      if (a.slots) {
        o.buckets = [];
        for (let i = 0; i < a.nbuckets; i++) {
          o.buckets.push([
            Array.from(a.slots.subarray(i * 8, i * 8 + 8), (st) => /** @type {State} */ (STATES[st]).name),
            .../** @type {Uint8Array[]} */ (a.chains[i]).map((c) =>
              Array.from(c, (st) => /** @type {State} */ (STATES[st]).name),
            ),
          ]);
        }
      }
      if (a.live) {
        o.live = Array.from(a.live);
        o.total = Array.from(a.total);
        o.evacuated = Array.from(a.evacuated);
        o.overflow = Array.from(a.overflow);
      }
      return o;
    }),
  };
}
