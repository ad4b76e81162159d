// experiment.js — the article's experiment as a sequence of steps on one
// runtime and one map, with no DOM: the page (main.js) drives it from
// buttons, and test/explorer.test.ts runs the very same steps in Node to
// check that the page shows what the Node API gives.
//
// Keys are numbered. "insert n" adds the next n keys (i = next … next+n-1),
// "delete n" removes the oldest n still present (i = low … low+n-1), so the
// live keys are always low … next-1. Key i is `key-<i>` for string keys
// (the article's map[string]int), the bytes of that string for bytes keys,
// i for number kinds and BigInt(i) for i64/u64; values likewise (value i).
//
// Batches go through setMany/deleteMany in chunks of CHUNK keys; between
// chunks the caller may yield to the event loop (the page stays
// responsive at 1e6 keys). Yielding changes nothing in the core, so the
// browser and Node reach byte-identical states for the same steps and map
// seed. Two things stay random whatever the seed, as in Go: the hash seed a
// map draws when it becomes empty by delete or clear(), and noverflow's
// approximate counting for B >= 16.

// Types: the package's, from its source (src/index.ts, built into the
// dist/ the page loads; experiment.d.ts uses them too), and those of this
// file's declarations (experiment.d.ts, what test/explorer.test.ts sees).
/**
 * @typedef {import("../src/index.js").KindName} KindName
 * @typedef {import("../src/index.js").GoMap} GoMap
 * @typedef {import("../src/index.js").Runtime} Runtime
 * @typedef {import("./experiment.js").MapSettings} MapSettings
 * @typedef {import("./experiment.js").Sample} Sample
 * @typedef {import("./experiment.js").TraceLine} TraceLine
 * @typedef {import("./experiment.js").StepOptions} StepOptions
 * @typedef {{ key?: string, value?: string, hint?: number | string, seed?: number | string | null }} LooseSettings
 * @typedef {{ trusted: boolean, gcPercent?: number | "off" | undefined, maxMemory?: string | number | undefined, debug: boolean }} SessionOptions
 *   (gcPercent absent: a restored runtime's, the image's)
 * @typedef {{ create(options?: import("../src/index.js").RuntimeOptions): Promise<Runtime>,
 *   restore(image: Uint8Array, options?: import("../src/index.js").RestoreOptions): Promise<import("../src/index.js").RestoreResult> }} RuntimeClass
 *   the Runtime class of either entry (dist/browser.js, dist/node.js)
 */

/** Keys per setMany / deleteMany call. */
export const CHUNK = 16384;

/** @type {KindName[]} */
export const KIND_NAMES = ["u32", "i32", "u64", "i64", "f64", "string", "bytes"];

/** The MemStats fields a step records (the chart and the step table).
 *  @type {("HeapInuse" | "HeapAlloc" | "HeapIdle" | "HeapSys" | "HeapObjects" | "NumGC")[]} */
export const SAMPLE_FIELDS = ["HeapInuse", "HeapAlloc", "HeapIdle", "HeapSys", "HeapObjects", "NumGC"];

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: false });

/** Key or value number i as a JS value of `kind`.
 *  @param {KindName} kind @param {number} i */
// biome-ignore lint/suspicious/noShadowRestrictedNames: a module export, not Object.prototype.valueOf
export function valueOf(kind, i) {
  switch (kind) {
    case "u32":
    case "i32":
    case "f64":
      return i;
    case "u64":
    case "i64":
      return BigInt(i);
    case "string":
      return `key-${i}`;
    case "bytes":
      return encoder.encode(`key-${i}`);
    default:
      throw new TypeError(`unknown kind ${kind}`);
  }
}

/** The typed array of each numeric kind.
 *  @type {Partial<Record<KindName, new (n: number) => { length: number, [j: number]: number | bigint }>>} */
const ARRAYS = { u32: Uint32Array, i32: Int32Array, f64: Float64Array, u64: BigUint64Array, i64: BigInt64Array };

/** Numbers from … from+n-1 as a batch argument of `kind`.
 *  @param {KindName} kind @param {number} from @param {number} n
 *  @returns {ArrayLike<import("../src/index.js").KindInput<KindName>>} */
export function batchOf(kind, from, n) {
  const A = ARRAYS[kind];
  if (A) {
    const a = new A(n);
    const big = kind === "u64" || kind === "i64";
    for (let j = 0; j < n; j++) a[j] = big ? BigInt(from + j) : from + j;
    return a;
  }
  const a = new Array(n);
  for (let j = 0; j < n; j++) a[j] = valueOf(kind, from + j);
  return a;
}

/** The number i of key `k` of `kind` (see valueOf), or -1 when `k` is no
 *  key of the explorer's numbering.
 *  @param {KindName} kind @param {unknown} k */
export function numberOf(kind, k) {
  switch (kind) {
    case "u32":
    case "i32":
    case "f64":
      return typeof k === "number" && Number.isSafeInteger(k) && k >= 0 ? k : -1;
    case "u64":
    case "i64":
      return typeof k === "bigint" && k >= 0n && k <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(k) : -1;
    case "string":
    case "bytes": {
      const s = kind === "bytes" ? (k instanceof Uint8Array ? decoder.decode(k) : "") : k;
      const m = typeof s === "string" ? /^key-(0|[1-9]\d{0,15})$/.exec(s) : null;
      const i = m ? Number(m[1]) : -1;
      return Number.isSafeInteger(i) ? i : -1;
    }
    default:
      return -1;
  }
}

/**
 * The live keys of a map as the explorer numbers them: `{ low, next }` when
 * they are exactly the keys low … next-1 (an empty map: 0 … -1), else null
 * (a map the explorer did not fill). Iterates the map once.
 * @param {GoMap} m @returns {{ low: number, next: number } | null}
 */
export function keyRange(m) {
  const kind = /** @type {KindName} */ (m.keyType);
  let low = Number.POSITIVE_INFINITY;
  let high = -1;
  let n = 0;
  for (const k of m.keys()) {
    const i = numberOf(kind, k);
    if (i < 0) return null;
    if (i < low) low = i;
    if (i > high) high = i;
    n++;
  }
  if (n === 0) return { low: 0, next: 0 };
  return high - low + 1 === n ? { low, next: high + 1 } : null;
}

/** Parse a map's settings from loose input (form fields, URL parameters).
 *  @param {LooseSettings} [input] @returns {MapSettings} */
export function mapSettings({ key = "string", value = "i64", hint = 0, seed } = {}) {
  if (!(/** @type {readonly string[]} */ (KIND_NAMES).includes(key)))
    throw new TypeError(`key kind: expected one of ${KIND_NAMES.join(", ")}, got ${key}`);
  if (!(/** @type {readonly string[]} */ (KIND_NAMES).includes(value)))
    throw new TypeError(`value kind: expected one of ${KIND_NAMES.join(", ")}, got ${value}`);
  const h = Number(hint);
  if (!Number.isSafeInteger(h) || h < 0) throw new TypeError(`hint: expected a whole number >= 0, got ${hint}`);
  /** @type {MapSettings} */
  const out = { key: /** @type {KindName} */ (key), value: /** @type {KindName} */ (value), hint: h };
  if (seed !== undefined && seed !== null && seed !== "") {
    const s = Number(seed);
    if (!Number.isInteger(s) || s < 0 || s > 0xffffffff) throw new TypeError(`seed: expected a u32, got ${seed}`);
    out.seed = s;
  }
  return out;
}

/**
 * One runtime, one map, the steps taken and what MemStats said after each.
 *
 * Every step method changes the runtime and records a sample; the caller
 * redraws afterwards. `Session.create(Runtime, …)` takes the Runtime class
 * of whichever entry the caller imported (browser or Node).
 */
export class Session {
  /** @type {Runtime} */
  rt;
  /** @type {GoMap | null} */
  map = null;
  /** @type {MapSettings | null} */
  settings = null;
  /** Live keys are low … next-1. */
  low = 0;
  next = 0;
  /** One entry per step: { step, label, ms, stats: {SAMPLE_FIELDS…} }.
   *  @type {Sample[]} */
  samples = [];
  /** gctrace lines, each with the step it happened in.
   *  @type {TraceLine[]} */
  traces = [];
  #step = 0;
  /** @type {SessionOptions} */
  #options;

  /** @param {Runtime} rt @param {SessionOptions} options */
  constructor(rt, options) {
    this.rt = rt;
    this.#options = options;
  }

  /**
   * A runtime with gctrace lines collected into `traces` (and passed to
   * `onTrace`). options: trusted, gcPercent, maxMemory, debug.
   * @param {RuntimeClass} Runtime
   * @param {{ trusted?: boolean, gcPercent?: number | "off", maxMemory?: string | number, debug?: boolean,
   *   onTrace?: (t: TraceLine) => void }} [options]
   */
  static async create(Runtime, { trusted = false, gcPercent = 100, maxMemory, debug = false, onTrace } = {}) {
    /** @type {Session | null} */
    let session = null;
    /** @type {TraceLine[]} */
    const early = [];
    /** @param {string} line */
    const gctrace = (line) => {
      const t = { step: session ? session.#step : 0, line };
      if (session) session.traces.push(t);
      else early.push(t);
      onTrace?.(t);
    };
    /** @type {import("../src/index.js").RuntimeOptions} */
    const opts = { trusted, gcPercent, debug, gctrace };
    if (maxMemory !== undefined && maxMemory !== "") opts.maxMemory = maxMemory;
    const rt = await Runtime.create(opts);
    session = new Session(rt, { trusted, gcPercent, maxMemory, debug });
    session.traces.push(...early);
    session.record("runtime created");
    return session;
  }

  /**
   * A session on the runtime an image holds (`Runtime.restore`, of bytes
   * made by `save()` or any `rt.snapshot`). Its map: the one `save()` named
   * `map[low:next]` (the key range, checked against the map's size and its
   * first and last key), else the image's first, whose key range is found
   * by iterating it (which sets Go's iterator flags in its hmap; keys not
   * numbered the explorer's way: no range, and insert starts at key 0).
   * The first sample is the restore. options: name (of the file, for the
   * label), trusted, debug, onTrace. Throws what Runtime.restore throws
   * (SnapshotError for a bad image).
   * @param {RuntimeClass} Runtime @param {Uint8Array} bytes
   * @param {{ name?: string, trusted?: boolean, debug?: boolean, onTrace?: (t: TraceLine) => void }} [options]
   */
  static async restore(Runtime, bytes, { name = "image", trusted = false, debug = false, onTrace } = {}) {
    /** @type {Session | null} */
    let session = null;
    /** @type {TraceLine[]} */
    const early = [];
    /** @param {string} line */
    const gctrace = (line) => {
      const t = { step: session ? session.#step : 0, line };
      if (session) session.traces.push(t);
      else early.push(t);
      onTrace?.(t);
    };
    const t0 = performance.now();
    const { rt, maps } = await Runtime.restore(bytes, { trusted, debug, gctrace });
    const ms = performance.now() - t0;
    session = new Session(rt, { trusted: rt.trusted, maxMemory: rt.maxMemory, debug });
    session.traces.push(...early);
    /** @type {GoMap | null} */
    let m = null;
    /** @type {{ low: number, next: number } | null} */
    let r = null;
    for (const [name, map] of Object.entries(maps)) {
      const x = /^map\[(\d{1,15}):(\d{1,15})\]$/.exec(name);
      if (!x) continue;
      const low = Number(x[1]);
      const next = Number(x[2]);
      const kind = /** @type {KindName} */ (map.keyType);
      const has = (/** @type {number} */ i) => map.has(/** @type {never} */ (valueOf(kind, i)));
      if (map.size === next - low && (low === next || (has(low) && has(next - 1)))) {
        m = map;
        r = { low, next };
        break;
      }
    }
    if (!m) {
      m = Object.values(maps)[0] ?? null;
      if (m) r = keyRange(m);
    }
    if (m) {
      session.map = m;
      session.settings = {
        key: /** @type {KindName} */ (m.keyType),
        value: /** @type {KindName} */ (m.valueType),
        hint: 0,
      };
      if (r) {
        session.low = r.low;
        session.next = r.next;
      }
    }
    session.record(`Runtime.restore(${name})`, ms);
    return session;
  }

  get options() {
    return { ...this.#options };
  }

  /** Is there a live map? */
  get hasMap() {
    return this.map !== null && !this.map.freed;
  }

  /** @returns {GoMap} */
  #needMap() {
    if (!this.hasMap) throw new Error("make a map first");
    return /** @type {GoMap} */ (this.map); // hasMap: a live map
  }

  /** Record MemStats after a step. @param {string} label @returns {Sample} */
  record(label, ms = 0) {
    const s = this.rt.readMemStats();
    /** @type {Record<string, number>} */
    const stats = {};
    for (const f of SAMPLE_FIELDS) stats[f] = s[f];
    const sample = { step: this.#step++, label, ms, stats };
    this.samples.push(sample);
    return sample;
  }

  /** @template T @param {string} label @param {() => T} fn @returns {T} */
  #timed(label, fn) {
    const t0 = performance.now();
    const r = fn();
    this.record(label, performance.now() - t0);
    return r;
  }

  /** make(map[key]value, hint): frees the current map first.
   *  @param {LooseSettings} settings @returns {GoMap} */
  makeMap(settings) {
    const s = mapSettings(settings);
    if (this.hasMap) /** @type {GoMap} */ (this.map).free();
    this.map = null;
    this.settings = s;
    this.low = this.next = 0;
    const label = `make(map[${s.key}]${s.value}, ${s.hint})${s.seed === undefined ? "" : ` seed ${s.seed}`}`;
    this.#timed(label, () => {
      this.map = this.rt.map(s);
    });
    // #timed ran the callback, so this.map is the new map (TypeScript still
    // takes it as the null assigned above).
    return /** @type {GoMap} */ (/** @type {unknown} */ (this.map));
  }

  /**
   * @param {string} label @param {number} n @param {(done: number, k: number) => void} each
   * @param {StepOptions["pause"]} pause @param {StepOptions["onProgress"]} onProgress
   */
  async #chunked(label, n, each, pause, onProgress) {
    const t0 = performance.now();
    let busy = 0;
    for (let done = 0; done < n; ) {
      const k = Math.min(CHUNK, n - done);
      const t = performance.now();
      each(done, k);
      busy += performance.now() - t;
      done += k;
      onProgress?.(done, n);
      if (pause && done < n) await pause();
    }
    this.record(label, pause ? busy : performance.now() - t0);
  }

  /** Insert the next n keys (key i → value i). @param {number} n @param {StepOptions} [options] */
  async insert(n, { pause, onProgress } = {}) {
    const m = this.#needMap();
    count(n);
    const { key, value } = /** @type {MapSettings} */ (this.settings); // set with the map
    const from = this.next;
    await this.#chunked(
      `insert ${n} (keys ${from}…${from + n - 1})`,
      n,
      (done, k) => {
        m.setMany(batchOf(key, from + done, k), batchOf(value, from + done, k));
        this.next = from + done + k;
      },
      pause,
      onProgress,
    );
  }

  /** Delete the oldest n keys still present (fewer if fewer are left). @param {number} n @param {StepOptions} [options] */
  async delete(n, { pause, onProgress } = {}) {
    const m = this.#needMap();
    count(n);
    n = Math.min(n, this.next - this.low);
    const { key } = /** @type {MapSettings} */ (this.settings); // set with the map
    const from = this.low;
    await this.#chunked(
      n === 0 ? "delete 0 (nothing left)" : `delete ${n} (keys ${from}…${from + n - 1})`,
      n,
      (done, k) => {
        m.deleteMany(batchOf(key, from + done, k));
        this.low = from + done + k;
      },
      pause,
      onProgress,
    );
  }

  /**
   * One increment of the collector: starts a cycle when none is marking,
   * then marks up to `budget` bytes. Returns what happened.
   */
  gcStep(budget = 256 * 1024) {
    return this.#timed("GC step", () => {
      const started = this.rt.gcPhase === "off";
      if (started) this.rt.gcStart();
      const work = this.rt.gcStep(budget);
      return { started, work, phase: this.rt.gcPhase };
    });
  }

  /** runtime.GC(): a full cycle and a full sweep. */
  gc() {
    this.#timed("full GC", () => this.rt.gc());
  }

  /** Go's mapclear: every entry gone, B and the array kept. */
  clear() {
    const m = this.#needMap();
    this.#timed("clear()", () => m.clear());
    this.low = this.next;
  }

  /** Rebuild at the size the live entries need (beyond Go). */
  shrink() {
    const m = this.#needMap();
    this.#timed("shrink()", () => m.shrink());
  }

  /** Does this runtime have compact() (the pools-and-compaction milestone)? */
  get canCompact() {
    return typeof this.rt.compact === "function";
  }

  /** Move live data into fresh memory (rt.compact()), where supported. */
  async compact() {
    if (!this.canCompact) throw new Error("this build of gomap-wasm has no rt.compact()");
    const t0 = performance.now();
    const r = await this.rt.compact();
    this.record("compact()", performance.now() - t0);
    return r;
  }

  /** rt.unsafe.zeroValues(m): throws UnsafeNotAllowedError unless trusted. */
  zeroValues() {
    const m = this.#needMap();
    const t0 = performance.now();
    // The gate is checked before anything is recorded: a refused call is
    // not a step.
    const u = this.rt.unsafe;
    const n = u.zeroValues(m);
    this.record("unsafe.zeroValues(m)", performance.now() - t0);
    return n;
  }

  /** rt.snapshot of the map under the name `map[low:next]` (its live keys,
   *  for `Session.restore`; no map: an image of none): the bytes of a file.
   *  When the map is the runtime's only one, the snapshot runs a full GC
   *  first. */
  save() {
    /** @type {Record<string, GoMap>} */
    const maps = this.hasMap ? { [`map[${this.low}:${this.next}]`]: /** @type {GoMap} */ (this.map) } : {};
    return this.#timed("rt.snapshot()", () => this.rt.snapshot({ maps }));
  }

  /** Release the map (its memory goes at the next collection). */
  freeMap() {
    const m = this.#needMap();
    this.#timed("m.free()", () => m.free());
    this.map = null;
  }
}

/** @param {number} n */
function count(n) {
  if (!Number.isSafeInteger(n) || n < 0) throw new TypeError(`expected a whole number >= 0, got ${n}`);
}
