/**
 * `Runtime`: one wasm instance, one heap, one collector.
 *
 * Several runtimes may live in one process; each has its own
 * `WebAssembly.Memory` capped at its `maxMemory` (that is how a user goes
 * past one 4 GiB heap: shard across runtimes).
 */
import { Boundary, type BucketLayout, type BySizeEntry, type SpanClassRow, type TophashValues } from "./boundary.js";
import {
  InvalidArgumentError, InvalidOptionError, OutOfMemoryError, ReentrantCallError, RuntimeClosedError, RuntimeDeadError, UnsafeNotAllowedError,
  UseAfterFreeError, WasmLoadError, WrongRuntimeError,
} from "./errors.js";
import { createUnsafe, type Unsafe } from "./unsafe.js";
import { environmentChecks } from "./trust.js";
import { GoMap, mapHandle, mapInternals, mapOps, mapOwner, newGoMap, type MapOwner } from "./map.js";
import { MapPool, GENERATIONS, newMapPool, poolClose, poolCycleStart, type PoolHost, type PoolOptions } from "./pool.js";
import { copyMap } from "./compact.js";
import { coreSuffix, parseKind, type KindName } from "./maptypes.js";
import { loadCore } from "./loader.js";
import { resolveOptions, type RuntimeOptions } from "./options.js";
import { RootTable } from "./roots.js";
import { cryptoRandom32, mulberry32 } from "./random.js";
import { CYCLE_FIELDS, formatGCTrace, type CycleRecord } from "./gctrace.js";
import { currentOp, encodeHeapProfile, gzip, type HeapProfileOptions } from "./profile.js";
import { isMemProfileRate } from "./options.js";

/** Go's runtime.MemStats (`rt.readMemStats()`), for the fields that exist
 *  so far. Byte counts are at size-class granularity, as in Go (a large
 *  object counts its whole pages). The cumulative counters (TotalAlloc,
 *  Mallocs, Frees, NumGC, NumForcedGC, PauseTotalNs, the pause rings) carry
 *  on across `rt.compact()`. */
export interface MemStats {
  /** Bytes of allocated heap objects, including unswept garbage:
   *  TotalAlloc minus the bytes the sweeper freed. */
  HeapAlloc: number;
  /** Cumulative bytes allocated for heap objects (never decreases). */
  TotalAlloc: number;
  /** All linear memory, bytes: HeapSys + MSpanSys + GCSys + OtherSys (Go:
   *  memory obtained from the OS). */
  Sys: number;
  /** Cumulative heap objects allocated. */
  Mallocs: number;
  /** Cumulative heap objects freed (by the sweeper; compaction counts
   *  every object of the old heap as freed). */
  Frees: number;
  /** Bytes of heap pages obtained: HeapInuse + HeapIdle. */
  HeapSys: number;
  /** Bytes in free page runs. */
  HeapIdle: number;
  /** Bytes in in-use spans (including their free slots). */
  HeapInuse: number;
  /** Always 0: WebAssembly memory cannot be given back to the host. */
  HeapReleased: number;
  /** Allocated heap objects: Mallocs − Frees (unswept garbage included). */
  HeapObjects: number;
  /** Bytes of span records (Go's mspan structures) in use: one per span,
   *  free page runs included. */
  MSpanInuse: number;
  /** Bytes of memory held for span records (Go: obtained from the OS for
   *  mspan structures); equals MSpanInuse here: the memory of freed
   *  records counts in OtherSys. */
  MSpanSys: number;
  /** Bytes of collector metadata: allocBits/gcmarkBits, type bytes, grey queue, the page map. */
  GCSys: number;
  /** Bytes of everything else in linear memory: static data, the host
   *  scratch area, free metadata. */
  OtherSys: number;
  /** The heap goal of the next cycle, bytes (0 with GOGC off): the
   *  collector aims to keep HeapAlloc at or below it. */
  NextGC: number;
  /** End of the last collection, ns since the Unix epoch (0 if none). */
  LastGC: number;
  /** Completed GC cycles. */
  NumGC: number;
  /** GC cycles forced by the program (`rt.gc()`, Go's runtime.GC());
   *  cycles started by `rt.gcStart()` are not counted. */
  NumForcedGC: number;
  /** Sum of every cycle's pauses (start + termination), ns. */
  PauseTotalNs: number;
  /** Ring of the last 256 cycles' pauses (start + termination), ns; the
   *  latest is at (NumGC+255)%256. */
  PauseNs: number[];
  /** Same ring: end of each cycle's last pause, ns since the Unix epoch. */
  PauseEnd: number[];
  /** GC time (every mark step, assists included) / wall time since the runtime was created. */
  GCCPUFraction: number;
  /** Always true, as in Go (even with GOGC off). */
  EnableGC: boolean;
  /** Always false (unused in Go too). */
  DebugGC: boolean;
  /** Ours: the longest single GC pause (one mark step) so far, ns. */
  MaxPauseNs: number;
  /** Per size class 0..60, like Go (class 0 is all zero; classes 61..67
   *  and large objects count only in the totals). */
  BySize: BySizeEntry[];
}

/** Options of `rt.map`. */
export interface MapOptions<K extends KindName, V extends KindName> {
  /** Key kind: "i32", "u32", "i64", "u64", "f64", "string" or "bytes"
   *  (`KindName`). */
  key: K;
  /** Value kind, same choices. */
  value: V;
  /** Expected entries (a non-negative integer, default 0): picks B as Go's
   *  make(map, hint) does. */
  hint?: number;
  /** A fixed hash seed (u32) instead of a random one: the same keys then
   *  land in the same buckets and iterate in the same order on every run
   *  (until clear() or a delete that empties the map draws a random seed,
   *  as Go does). */
  seed?: number;
}

/** One bucket array's tophash bytes (`rt.inspectBuckets(m)`). */
export interface BucketArrayTophash {
  /** log2 of the array's bucket count. */
  B: number;
  /** Buckets in the array: 2^B. */
  nbuckets: number;
  /** 8 tophash bytes per bucket of the array, bucket i at [8i, 8i+8). */
  tophash: Uint8Array;
  /** Overflow buckets chained to bucket i. */
  chainLength: Uint32Array;
  /** The overflow buckets' tophash bytes, 8 each, in bucket order then
   *  chain order. */
  overflowTophash: Uint8Array;
}

/** A copy of a map's tophash bytes: what each slot holds (live ≥ 5,
 *  emptyRest 0, emptyOne 1, evacuated X/Y/empty 2/3/4). */
export interface BucketsInspection {
  /** The current array; null while the map has none (a B = 0 map gets its
   *  first array at its first insert, as in Go). */
  current: BucketArrayTophash | null;
  /** The old array while growing. */
  old: BucketArrayTophash | null;
  /** Old buckets below this index are evacuated (Go's hmap.nevacuate). */
  nevacuate: number;
  /** The map is growing without changing B (too many overflow buckets). */
  sameSizeGrow: boolean;
  /** The tophash sentinels (from the core): a live slot's byte is at least minTopHash. */
  tophashValues: TophashValues;
}

/** One entry of the page heap, in address order (`rt.inspectHeap()`). */
export interface HeapSpan {
  /** Address of the first page (bytes into linear memory). */
  address: number;
  /** 8 KiB pages covered. */
  pages: number;
  /** pages × 8192. */
  bytes: number;
  /** "inuse": a span of objects; "free": a free page run; "meta": a page of
   *  span records / bitmaps / type bytes (fixalloc). */
  state: "inuse" | "free" | "meta";
  /** Span class = `sizeClass << 1 | noscan` (in-use spans; 0 otherwise). */
  spanClass: number;
  /** Size class (in-use spans); 0 for a large object's span. */
  sizeClass: number;
  /** The span's objects hold no pointers (not scanned by the collector). */
  noscan: boolean;
  /** Bytes per object slot (a large object's span: its whole size; 0 for
   *  free runs and metadata pages). */
  elemSize: number;
  /** Object slots in the span (Go's nelems). */
  slots: number;
  /** Slots allocated (Go's allocCount; unswept garbage included). */
  allocated: number;
  /** Go's freeindex: every slot below it is allocated; the next
   *  allocation searches from it. */
  freeindex: number;
  /** Slots with the mark bit set (meaningful while marking). */
  marked: number;
  /** Swept for the current cycle. */
  swept: boolean;
  /** Some mcache's current span for its class. */
  cached: boolean;
}

/** Spans of one span class, summed (`rt.inspectHeap().classes`): a
 *  spanClasses() row plus the free slots. (For size class 0, elemSize is
 *  the size of the first large-object span in address order, not 0.) */
export interface HeapClassSummary extends Omit<SpanClassRow, "cached"> {
  /** Slots not allocated: slots − allocated. */
  free: number;
}

/** The whole heap at a glance: what the explorer draws. */
export interface HeapInspection {
  /** The heap's pages: addresses [start, end) in linear memory, and end − start bytes. */
  arena: { start: number; end: number; bytes: number };
  /** Every span, free run and metadata page, in address order. */
  spans: HeapSpan[];
  /** The in-use spans summed per span class, in span-class order. */
  classes: HeapClassSummary[];
  /** The free page runs, in address order. */
  freeRuns: { address: number; pages: number; bytes: number }[];
  /** Metadata pages (state "meta": fixalloc's span records, bitmaps, type bytes …). */
  metaPages: number;
  /** The collector's state now. */
  gc: {
    /** "mark" while a cycle is marking. */
    phase: "off" | "mark";
    /** Bytes the collector counts as live (Go's heapLive): the last mark's
     *  total, plus each span's free space when the mcache takes it and each
     *  large object since. */
    heapLive: number;
    /** The heap goal, bytes (MemStats.NextGC; 2^64 when GOGC is off). */
    heapGoal: number;
    /** The heapLive at which the next cycle starts, bytes (2^64 when GOGC is off). */
    trigger: number;
    /** Bytes marked so far in this cycle (the last cycle's total when off). */
    bytesMarked: number;
    /** Bytes scanned so far in this cycle (the last cycle's total when off). */
    scanWork: number;
    /** Grey objects queued. */
    greyObjects: number;
    /** Cycles completed by the current instance (unlike MemStats.NumGC,
     *  not counting those before a compaction). */
    numGC: number;
    /** bytesMarked / heapLive while marking (an estimate of progress: the
     *  live heap is not known until marking ends); 1 when off. */
    markProgress: number;
  };
}

/** What `rt.inspect(m)` reports about a map. */
export interface MapInspection {
  /** log2 of the bucket count. */
  B: number;
  /** Entries: Go's hmap.count (`m.size`). */
  count: number;
  /** Go's overflow-bucket counter (approximate for B ≥ 16, as in Go). */
  noverflow: number;
  /** 2^B (0 before a B = 0 map's first insert). */
  buckets: number;
  /** Overflow buckets linked from the current array, counted by walking. */
  overflowBuckets: number;
  /** Buckets of the old array while growing (0 otherwise). */
  oldBuckets: number;
  /** Overflow buckets linked from the old array, counted by walking. */
  oldOverflowBuckets: number;
  /** An old array is still being evacuated. */
  growing: boolean;
  /** The grow in progress keeps B (too many overflow buckets). */
  sameSizeGrow: boolean;
  /** Old buckets below this index are evacuated (Go's hmap.nevacuate). */
  nevacuate: number;
  /** tophash states over every slot of both arrays and their chains. */
  tophash: { emptyRest: number; emptyOne: number; live: number; evacuatedX: number; evacuatedY: number; evacuatedEmpty: number };
  /** Bytes of bucket storage held: the arrays (at size-class/page
   *  granularity) plus separately allocated overflow buckets. */
  bucketBytes: number;
  /** Bytes per bucket of this map's shape. */
  bucketSize: number;
  /** Byte offsets inside a bucket of this map's shape (wasm32 layout, from the core). */
  bucketLayout: BucketLayout;
  /** The hash seed (u32): `seed` or a random one at make; a new random one
   *  after clear() or a delete that empties the map, as in Go. */
  hash0: number;
  /** hmap.flags: Go's bits 1 iterator, 2 oldIterator, 4 hashWriting,
   *  8 sameSizeGrow; ours 16 hooked (rt.unsafe hooks installed). */
  flags: number;
}

const boundaries = new WeakMap<Runtime, Boundary>();

const MAP_OPTIONS = new Set(["key", "value", "hint", "seed"]);
const POOL_OPTIONS = new Set(["key", "value", "generation", "hint", "maxIdle"]);

/** What `rt.compact()` did. */
export interface CompactionReport {
  /** Maps moved (pooled maps are dropped instead: the pools are emptied). */
  maps: number;
  /** Entries copied, over every moved map. */
  entries: number;
  /** The old instance: linear memory, MemStats.HeapInuse and HeapSys, bytes. */
  before: { linearBytes: number; heapInuse: number; heapSys: number };
  /** The same of the new instance right after the copy. */
  after: { linearBytes: number; heapInuse: number; heapSys: number };
  /** Wall time of the copy, ms (instantiating the new core excluded). */
  copyMs: number;
}

/** Unix ns from a host-clock reading in ns since performance.timeOrigin. */
function unixNs(sinceOriginNs: number): number {
  return sinceOriginNs === 0 ? 0 : Math.round(performance.timeOrigin * 1e6 + sinceOriginNs);
}

/** Drops a map's root when the JS engine collects a GoMap that was never
 *  freed (a convenience: correctness never depends on it). */
const mapRegistry = new FinalizationRegistry<{ release: () => void; rt: Runtime }>((held) => {
  const b = boundaries.get(held.rt);
  if (!b || b.dead) return; // closed or dead: nothing to release
  try {
    held.release();
  } catch {
    // The runtime died in the meantime: nothing to release.
  }
});

/** Internal: the boundary of a runtime (tests, lab, benchmarks). Not part of
 *  the public API. */
export function boundaryOf(rt: Runtime): Boundary {
  const b = boundaries.get(rt);
  if (!b) {
    if (closedRuntimes.has(rt)) throw new RuntimeClosedError();
    throw new TypeError("not a gomap-wasm Runtime");
  }
  return b;
}

/** Runtimes after rt.close(). */
const closedRuntimes = new WeakSet<Runtime>();

/**
 * One gomap-wasm runtime: a WebAssembly instance of the core with its own
 * linear memory (capped at `maxMemory`), heap, collector, maps and pools.
 * Made by `Runtime.create()`; released by `rt.close()` (or `using`), after
 * which its operations throw RuntimeClosedError. After the core aborted
 * (RuntimeAbortError), every later call into the core throws
 * RuntimeDeadError.
 */
export class Runtime {
  /** The effective cap on linear memory, in bytes (a whole number of 64 KiB pages). */
  readonly maxMemory: number;
  /** Whether this runtime runs the debug build. */
  readonly debug: boolean;

  #owner: MapOwner & { boundary: Boundary };
  #roots: RootTable;
  /** Every map with a wrapper, by root slot (compaction rebinds them). */
  #maps = new Map<number, WeakRef<GoMap>>();
  #pools = new Set<MapPool>();
  /** Cumulative MemStats of instances left behind by compaction. */
  #statBase = { TotalAlloc: 0, Mallocs: 0, Frees: 0, NumGC: 0, NumForcedGC: 0, PauseTotalNs: 0, GCCPUNanos: 0, MaxPauseNs: 0, LastGC: 0 };
  #ringBase: { pauseNs: number[]; pauseEnd: number[] } | null = null;
  /** Per size class: Mallocs and Frees of instances left behind. */
  #bySizeBase: { Mallocs: number; Frees: number }[] = [];
  #compactions = 0;
  #compacting = false;
  #trusted: boolean;
  #unsafe: Unsafe | null = null;
  #liveMaps = 0;
  #createdMs = performance.now();
  #gctrace: ((line: string) => void) | null;

  private constructor(boundary: Boundary, maxMemory: number, gctrace: ((line: string) => void) | null, trusted: boolean) {
    boundaries.set(this, boundary);
    this.#trusted = trusted;
    this.maxMemory = maxMemory;
    this.debug = boundary.debug;
    this.#gctrace = gctrace;
    const roots = (this.#roots = new RootTable(boundary, 64, maxMemory));
    rootTables.set(this, roots);
    this.#owner = {
      boundary,
      maxMemory,
      roots,
      onFree: (m, slot, h) => {
        boundaryOf(this).dropHooks(h);
        mapRegistry.unregister(m);
        this.#maps.delete(slot);
        roots.release(slot);
        this.#liveMaps--;
      },
      tempRoots: [roots.acquire(), roots.acquire()],
      iterRegistry: new FinalizationRegistry<number[]>((slots) => {
        const b = boundaries.get(this);
        if (!b || b.dead) return; // closed or dead
        try {
          for (const s of slots) roots.release(s);
        } catch {
          // dead runtime
        }
      }),
    };
    this.#listen(boundary);
  }

  /** The core's notifications: gctrace lines at a cycle's end; the pools'
   *  victim-cache step at a cycle's start (before marking). */
  #listen(b: Boundary): void {
    b.onGCDone = () => {
      if (!this.#gctrace) return;
      const r = b.readCycle(CYCLE_FIELDS) as unknown as CycleRecord;
      r.numgc += this.#statBase.NumGC;
      r.gcCpuNs += this.#statBase.GCCPUNanos;
      this.#inCallback++;
      try {
        this.#gctrace(formatGCTrace(r, this.#createdMs, performance.now()));
      } finally {
        this.#inCallback--;
      }
    };
    b.onGCStart = () => {
      for (const p of this.#pools) poolCycleStart(p);
    };
  }

  /** Create a runtime. Works in Node and browsers. */
  static async create(options?: RuntimeOptions): Promise<Runtime> {
    currentOp.name = "Runtime.create";
    const o = resolveOptions(options);
    if (o.trusted) {
      // The whitelist runs once, here; trust cannot be switched on later.
      const failed = environmentChecks().filter((c) => !c.ok).map((c) => c.name);
      if (failed.length) throw new UnsafeNotAllowedError("Runtime.create({ trusted: true })", failed, true);
    }
    const build = o.debug ? "debug" : "release";
    const module = await loadCore(build, o.wasm);
    const b = await instantiate(module, o.maxWasmPages, o.debug, build);
    currentOp.name = "Runtime.create"; // again: other calls ran during the awaits
    b.setMemProfileRate(o.memProfileRate); // before init: its allocations are sampled too
    if (!b.init(o.maxWasmPages)) {
      const min = b.minMemoryBytes(o.maxWasmPages);
      throw new InvalidOptionError(
        "maxMemory",
        `${o.maxMemory} bytes cannot hold the core's static data, page map and a first heap page; ` +
          `use at least ${Math.ceil(min / 65536) * 65536} bytes`,
      );
    }
    const seed = crypto.getRandomValues(new Uint32Array(2));
    b.seedRandom(seed[0]!, seed[1]!);
    b.setGCPercent(o.gcPercent);
    const trace = o.gctrace === true ? (line: string) => console.error(line) : o.gctrace === false ? null : o.gctrace;
    const rt = new Runtime(b, o.maxMemory, trace, o.trusted);
    rt.#module = module;
    return rt;
  }

  /** The compiled core this runtime runs (compaction instantiates it again). */
  #module: WebAssembly.Module | null = null;
  #closed = false;
  /** Depth of user callbacks running inside a core call (gctrace). */
  #inCallback = 0;

  /**
   * Release the runtime: its instance and its linear memory (up to
   * `maxMemory`) are let go, for the JS engine to free. Every later use of
   * the runtime, its maps, their iterators and its pools throws
   * `RuntimeClosedError`; releasing what it handed out (`m.free()`,
   * `pin.unpin()`, disposing) is a no-op. Idempotent. A compaction in
   * progress fails with `RuntimeClosedError`.
   */
  close(): void {
    if (this.#closed) return;
    if (this.#inCallback > 0 || boundaryOf(this).inHook) {
      // The core is mid-call (a gctrace line or a map hook is delivered
      // from inside it): the instance cannot go away under it.
      throw new ReentrantCallError("rt.close()", "called from inside a gctrace callback or a map hook; close the runtime after the call returns");
    }
    this.#closed = true;
    closedRuntimes.add(this);
    for (const ref of this.#maps.values()) {
      const m = ref.deref();
      if (!m) continue;
      mapRegistry.unregister(m);
      mapInternals(m).close();
    }
    this.#maps.clear();
    for (const p of this.#pools) poolClose(p);
    this.#pools.clear();
    this.#roots.close();
    this.#unsafe = null;
    this.#module = null;
    this.#gctrace = null;
    this.#owner.boundary = null as unknown as Boundary;
    boundaries.delete(this);
    rootTables.delete(this);
  }

  /** Has `close()` been called? */
  get closed(): boolean {
    return this.#closed;
  }

  /** `using rt = await Runtime.create()`: close at the end of the block. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** `await using rt = await Runtime.create()`: close at the end of the block. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }

  // ------------------------------------------------------------ collector

  /** Go's runtime.GC(): finish any cycle in progress, run a full cycle to
   *  completion and sweep the whole heap. */
  gc(): void {
    this.#notInHook("rt.gc()");
    boundaryOf(this).gc();
  }

  #notInHook(what: string): void {
    if (boundaryOf(this).inHook) throw new ReentrantCallError(what);
  }

  /** Do at most `budget` bytes of marking now (default 256 KiB), if a cycle
   *  is marking; ends the cycle when marking is done. Returns the bytes of
   *  scan work done (0 when no cycle is running). */
  gcStep(budget = 256 * 1024): number {
    if (typeof budget !== "number" || !(budget > 0)) throw new InvalidArgumentError("budget", `expected a positive number of bytes, got ${String(budget)}`);
    this.#notInHook("rt.gcStep()");
    return boundaryOf(this).gcMarkStep(budget);
  }

  /** Start a cycle now if none is running (it then proceeds incrementally). */
  gcStart(): void {
    this.#notInHook("rt.gcStart()");
    boundaryOf(this).gcBegin();
  }

  /** "off" or "mark": is a cycle marking right now? */
  get gcPhase(): "off" | "mark" {
    return boundaryOf(this).gcPhase() === 0 ? "off" : "mark";
  }

  /** Go's debug.SetGCPercent: a negative value (or "off") disables
   *  automatic collection; returns the previous setting. */
  setGCPercent(percent: number | "off"): number {
    const p = percent === "off" ? -1 : percent;
    if (typeof p !== "number" || !Number.isInteger(p) || p > 0x7fffffff || p < -0x80000000) {
      throw new InvalidArgumentError("percent", `expected an integer or "off", got ${String(percent)}`);
    }
    return boundaryOf(this).setGCPercent(p < 0 ? -1 : p);
  }

  /** Keep a map alive whatever the host drops — even after `m.free()` —
   *  until the returned pin is released. */
  pin(m: GoMap): Pin {
    currentOp.name = "Runtime.pin";
    this.#own(m);
    const slot = this.#roots.acquire();
    this.#roots.set(slot, mapHandle(m));
    return newPin(this.#roots, slot);
  }

  /** Go's runtime.KeepAlive: marks `m` as used up to this point, so the
   *  JS engine cannot finalize (and our backstop cannot release) it earlier.
   *  A GoMap stays a root until free(); this matters only for the
   *  FinalizationRegistry backstop. */
  keepAlive(m: unknown): void {
    keepAliveSink = m;
    keepAliveSink = undefined;
  }

  /** Make a Go map: `rt.map({ key: "u64", value: "f64", hint: 1e6 })`. */
  map<K extends KindName, V extends KindName>(options: MapOptions<K, V>): GoMap<K, V> {
    currentOp.name = "Runtime.map";
    if (options === null || typeof options !== "object") throw new InvalidArgumentError("options", "must be an object");
    for (const k of Object.keys(options)) {
      if (!MAP_OPTIONS.has(k)) throw new InvalidArgumentError(k, `unknown map option; known: ${[...MAP_OPTIONS].join(", ")}`);
    }
    const key = parseKind("key", options.key) as K;
    const value = parseKind("value", options.value) as V;
    const hint = options.hint ?? 0;
    if (typeof hint !== "number" || !Number.isSafeInteger(hint) || hint < 0) {
      throw new InvalidArgumentError("hint", `expected a non-negative integer, got ${String(hint)}`);
    }
    const seed = options.seed;
    if (seed !== undefined && (typeof seed !== "number" || !Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)) {
      throw new InvalidArgumentError("seed", `expected a u32 (an integer from 0 to 4294967295), got ${String(seed)}`);
    }
    return this.#makeMap(key, value, hint, seed);
  }

  #makeMap<K extends KindName, V extends KindName>(key: K, value: V, hint: number, seed?: number): GoMap<K, V> {
    const b = boundaryOf(this);
    const ops = b.mapOps(coreSuffix(key, value));
    const hash0 = seed ?? cryptoRandom32();
    const slot = this.#roots.acquire();
    const code = (k: KindName) => b.kindCodes.get(k.toUpperCase())!;
    const h = ops.makemap(hint, hash0, code(key) | (code(value) << 8), slot) >>> 0;
    if (h === 0) {
      this.#roots.release(slot);
      throw new OutOfMemoryError(0, this.maxMemory, `make(map) with hint ${hint} entries`);
    }
    this.#roots.noteSet(slot, h);
    this.#liveMaps++;
    return this.#wrap(key, value, h, slot, seed === undefined ? cryptoRandom32 : mulberry32(seed));
  }

  /** A GoMap over a map that holds root `slot`. */
  #wrap<K extends KindName, V extends KindName>(key: K, value: V, h: number, slot: number, random: () => number): GoMap<K, V> {
    const ops = boundaryOf(this).mapOps(coreSuffix(key, value));
    const m = newGoMap<K, V>(this.#owner, ops, h, slot, { key, value }, random);
    const roots = this.#roots;
    mapRegistry.register(m, {
      release: () => {
        this.#maps.delete(slot);
        roots.release(slot);
        this.#liveMaps--;
      },
      rt: this,
    }, m);
    this.#maps.set(slot, new WeakRef(m as unknown as GoMap));
    return m;
  }

  /** A pool of cleared maps for one generation (src/pool.ts): Go's
   *  sync.Pool with a victim cache, plus the article's generations. */
  pool<K extends KindName, V extends KindName>(options: PoolOptions<K, V>): MapPool<K, V> {
    boundaryOf(this); // closed: RuntimeClosedError
    if (options === null || typeof options !== "object") throw new InvalidArgumentError("options", "must be an object");
    for (const k of Object.keys(options)) {
      if (!POOL_OPTIONS.has(k)) throw new InvalidArgumentError(k, `unknown pool option; known: ${[...POOL_OPTIONS].join(", ")}`);
    }
    const key = parseKind("key", options.key) as K;
    const value = parseKind("value", options.value) as V;
    const gen = options.generation;
    if (typeof gen !== "string" || !Object.hasOwn(GENERATIONS, gen)) {
      throw new InvalidArgumentError("generation", `expected one of ${Object.keys(GENERATIONS).join(", ")}, got ${String(gen)}`);
    }
    const hint = options.hint ?? GENERATIONS[gen].hint;
    if (typeof hint !== "number" || !Number.isSafeInteger(hint) || hint < 0) {
      throw new InvalidArgumentError("hint", `expected a non-negative integer, got ${String(hint)}`);
    }
    const maxIdle = options.maxIdle ?? GENERATIONS[gen].maxIdle;
    if (typeof maxIdle !== "number" || !Number.isSafeInteger(maxIdle) || maxIdle < 0) {
      throw new InvalidArgumentError("maxIdle", `expected a non-negative integer, got ${String(maxIdle)}`);
    }
    const host: PoolHost<K, V> = {
      make: (n) => {
        currentOp.name = "MapPool.get";
        return this.#makeMap(key, value, n);
      },
      check: (m) => {
        this.#own(m as unknown as GoMap);
        if (m.freed) m.size; // throws the map's own UseAfterFreeError (freed, or already pooled)
        if (m.keyType !== key || m.valueType !== value) {
          throw new InvalidArgumentError("map", `this pool holds ${key}→${value} maps; got a ${m.keyType}→${m.valueType} map`);
        }
      },
      park: (m) => {
        const x = mapInternals(m as unknown as GoMap);
        if (x.hooked) boundaryOf(this).setHooks(x.h, null);
        x.detach("was put back into a pool (pool.put); take a map with pool.get()");
        mapRegistry.unregister(m);
        this.#maps.delete(x.root);
        return { h: x.h, root: x.root };
      },
      unpark: (p) => this.#wrap(key, value, p.h, p.root, cryptoRandom32),
      drop: (p) => {
        this.#roots.release(p.root);
        this.#liveMaps--;
      },
      forget: () => this.#pools.delete(pool as unknown as MapPool),
    };
    const pool: MapPool<K, V> = newMapPool<K, V>(host, key, value, gen, hint, maxIdle);
    this.#pools.add(pool as unknown as MapPool);
    return pool;
  }

  /** The shape of a map: B, counts, tophash states, growth progress, bytes. */
  inspect(m: GoMap): MapInspection {
    this.#own(m);
    const r = boundaryOf(this).inspectMap(mapOps(m), mapHandle(m));
    return {
      B: r.B!,
      count: r.count!,
      noverflow: r.noverflow!,
      buckets: r.buckets!,
      overflowBuckets: r.overflowBuckets!,
      oldBuckets: r.oldBuckets!,
      oldOverflowBuckets: r.oldOverflowBuckets!,
      growing: r.growing === 1,
      sameSizeGrow: r.sameSizeGrow === 1,
      nevacuate: r.nevacuate!,
      tophash: {
        emptyRest: r.emptyRest!,
        emptyOne: r.emptyOne!,
        live: r.live!,
        evacuatedX: r.evacuatedX!,
        evacuatedY: r.evacuatedY!,
        evacuatedEmpty: r.evacuatedEmpty!,
      },
      bucketBytes: r.bucketBytes!,
      bucketSize: r.bucketSize!,
      bucketLayout: boundaryOf(this).bucketLayout(coreSuffix(m.keyType, m.valueType)),
      hash0: r.hash0!,
      flags: r.flags!,
    };
  }

  #own(m: GoMap): void {
    if (this.#closed) throw new RuntimeClosedError();
    if (!(m instanceof GoMap)) throw new InvalidArgumentError("map", "expected a GoMap made by rt.map()");
    if (mapOwner(m) !== this.#owner) throw new WrongRuntimeError();
  }

  /** Was this runtime created with `{ trusted: true }` (and did the
   *  environment pass the whitelist)? Fixed at creation. */
  get trusted(): boolean {
    return this.#trusted;
  }

  /** The escape hatch (docs/unsafe.md): raw layout, pointers, views,
   *  barrier-free zeroing, pins, hooks. Throws UnsafeNotAllowedError unless
   *  the runtime is trusted. */
  get unsafe(): Unsafe {
    if (this.#closed) throw new RuntimeClosedError();
    if (!this.#trusted) throw new UnsafeNotAllowedError("rt.unsafe", [], false);
    if (!this.#unsafe) {
      const roots = this.#roots;
      const rt = this;
      this.#unsafe = createUnsafe(
        {
          get boundary() {
            return boundaryOf(rt); // a getter: compaction swaps the instance
          },
          own: (m) => {
            this.#own(m);
            if (m.freed) throw new UseAfterFreeError();
          },
          pinObject: (base) => {
            const slot = roots.acquire();
            roots.set(slot, base);
            return newPin(roots, slot);
          },
          pinMap: (m) => this.pin(m),
        },
      );
    }
    return this.#unsafe;
  }

  /** Maps made by this runtime and not freed (nor collected by the JS engine). */
  get liveMaps(): number {
    return this.#liveMaps;
  }

  /** Root slots in use: live maps, pins and live iterators (×3) — not
   *  counting the runtime's own two (temporaries of long arguments). */
  get roots(): number {
    return this.#roots.live - this.#owner.tempRoots.length;
  }

  /** Go's runtime.ReadMemStats. */
  readMemStats(): MemStats {
    const b = boundaryOf(this);
    const raw = b.readMemStats();
    const s = raw as unknown as MemStats;
    const base = this.#statBase;
    const rings = b.readPauseRings();
    const n = raw.NumGC!; // this instance's cycles (before the base is added)
    s.PauseNs = this.#ringBase ? this.#mergedRing(rings.pauseNs, "pauseNs", n) : rings.pauseNs;
    s.PauseEnd = (this.#ringBase ? this.#mergedRing(rings.pauseEnd, "pauseEnd", n) : rings.pauseEnd).map(unixNs);
    s.LastGC = unixNs(raw.LastGC! || base.LastGC);
    s.TotalAlloc += base.TotalAlloc;
    s.Mallocs += base.Mallocs;
    s.Frees += base.Frees;
    s.NumGC += base.NumGC;
    s.NumForcedGC += base.NumForcedGC;
    s.PauseTotalNs += base.PauseTotalNs;
    s.MaxPauseNs = Math.max(s.MaxPauseNs, base.MaxPauseNs);
    raw.GCCPUNanos! += base.GCCPUNanos;
    const elapsedNs = Math.max(1, (performance.now() - this.#createdMs) * 1e6);
    s.GCCPUFraction = raw.GCCPUNanos! / elapsedNs;
    delete (raw as Record<string, number>).GCCPUNanos;
    s.EnableGC = true;
    s.DebugGC = false;
    s.BySize = b.readBySize();
    this.#bySizeBase.forEach((x, i) => {
      const c = s.BySize[i];
      if (c) {
        c.Mallocs += x.Mallocs;
        c.Frees += x.Frees;
      }
    });
    return s;
  }

  /** A copy of every tophash byte of the map (both arrays while it grows,
   *  overflow chains included): the slot states the explorer draws. Safe:
   *  read-only, no raw pointers escape. */
  inspectBuckets(m: GoMap): BucketsInspection {
    this.#own(m);
    const b = boundaryOf(this);
    const x = b.readHmap(mapHandle(m));
    const u8 = b.u8, u32 = b.u32;
    const shape = b.bucketLayout(coreSuffix(m.keyType, m.valueType));
    const read = (addr: number, arrB: number): BucketArrayTophash | null => {
      if (addr === 0) return null;
      const n = 2 ** arrB;
      const th = new Uint8Array(n * 8);
      const chainLength = new Uint32Array(n);
      const over: number[] = [];
      for (let i = 0; i < n; i++) {
        const p0 = addr + i * shape.size;
        th.set(u8.subarray(p0, p0 + 8), i * 8);
        let c = 0;
        for (let p = u32[(p0 + shape.overflow) >>> 2]!; p !== 0; p = u32[(p + shape.overflow) >>> 2]!) {
          for (let j = 0; j < 8; j++) over.push(u8[p + j]!);
          c++;
        }
        chainLength[i] = c;
      }
      return { B: arrB, nbuckets: n, tophash: th, chainLength, overflowTophash: Uint8Array.from(over) };
    };
    return {
      current: read(x.buckets, x.B),
      old: read(x.oldbuckets, x.oldB),
      nevacuate: x.nevacuate,
      sameSizeGrow: x.oldbuckets !== 0 && x.sameSizeGrow,
      tophashValues: { ...b.tophash },
    };
  }

  /** Go's heap profile (pprof.WriteHeapProfile): gzipped pprof
   *  profile.proto bytes for `go tool pprof`, with Go's four sample types
   *  (alloc_objects, alloc_space, inuse_objects, inuse_space), unbiased
   *  estimates from the samples taken at `memProfileRate`, and stacks
   *  public operation → core routine → mallocgc (docs/profile.md).
   *
   *  As in Go, the profile shows the heap as of the last completed
   *  collection (call rt.gc() first for an up-to-date one); `asOf: "now"`
   *  counts every allocation and free so far instead. `rate` sets the
   *  sampling rate for allocations from now on (rt.setMemProfileRate);
   *  samples already taken keep the rate they were taken at.
   *
   *  Async because gzip is (CompressionStream in browsers); the snapshot
   *  itself is taken synchronously, when this is called. */
  async heapProfile(options: HeapProfileOptions = {}): Promise<Uint8Array<ArrayBuffer>> {
    if (options === null || typeof options !== "object") throw new InvalidArgumentError("options", "must be an object");
    for (const k of Object.keys(options)) {
      if (k !== "rate" && k !== "asOf") throw new InvalidArgumentError(k, "unknown heapProfile option; known: rate, asOf");
    }
    const asOf = options.asOf ?? "gc";
    if (asOf !== "gc" && asOf !== "now") throw new InvalidArgumentError("asOf", `expected "gc" or "now", got ${String(asOf)}`);
    if (options.rate !== undefined && !isMemProfileRate(options.rate)) {
      throw new InvalidArgumentError("rate", `expected an integer from 0 to 2147483647 bytes, got ${String(options.rate)}`);
    }
    const b = boundaryOf(this);
    const prof = b.memProfile;
    if (prof.error) throw new Error(`gomap-wasm: heap profile recording failed: ${String(prof.error)}`);
    const period = prof.rate;
    const records = prof.snapshot(asOf);
    const { dropped } = b.memProfCounts();
    if (options.rate !== undefined) b.setMemProfileRate(options.rate);
    const comments = [`gomap-wasm heap profile (as of ${asOf === "gc" ? "the last completed collection" : "now"})`];
    if (dropped) comments.push(`${dropped} samples dropped: no metadata memory for their records`);
    return gzip(await encodeHeapProfile(records, period, comments));
  }

  /** Go's runtime.MemProfileRate = rate: on average one heap-profile
   *  sample per `rate` allocated bytes from now on (1: every allocation,
   *  0: off). Returns the previous rate. */
  setMemProfileRate(rate: number): number {
    if (!isMemProfileRate(rate)) throw new InvalidArgumentError("rate", `expected an integer from 0 to 2147483647 bytes, got ${String(rate)}`);
    return boundaryOf(this).setMemProfileRate(rate);
  }

  /** The heap profile's sampling rate now (runtime.MemProfileRate). */
  get memProfileRate(): number {
    return boundaryOf(this).memProfile.rate;
  }

  /** Every span, free run and metadata page of the heap, span classes
   *  summed, and the collector's progress. Reads only (no allocation). */
  inspectHeap(): HeapInspection {
    const b = boundaryOf(this);
    const { arenaStart, arenaEnd, records } = b.heapWalk();
    const PAGE = 8192;
    const spans: HeapSpan[] = [];
    const classes = new Map<number, HeapClassSummary>();
    const freeRuns: HeapInspection["freeRuns"] = [];
    let metaPages = 0;
    for (const r of records) {
      const state = r.state === 1 ? "inuse" : r.state === 2 ? "free" : "meta";
      const sc = r.spanclass!;
      const span: HeapSpan = {
        address: r.startAddr!, pages: r.npages!, bytes: r.npages! * PAGE, state,
        spanClass: sc, sizeClass: sc >> 1, noscan: (sc & 1) === 1, elemSize: r.elemsize!,
        slots: r.nelems!, allocated: r.allocCount!, freeindex: r.freeindex!, marked: r.marked!,
        swept: r.swept === 1, cached: r.cached === 1,
      };
      spans.push(span);
      if (state === "meta") metaPages++;
      else if (state === "free") freeRuns.push({ address: span.address, pages: span.pages, bytes: span.bytes });
      else {
        let c = classes.get(sc);
        if (!c) {
          c = { spanClass: sc, sizeClass: sc >> 1, noscan: (sc & 1) === 1, elemSize: span.elemSize, spans: 0, pages: 0, slots: 0, allocated: 0, free: 0 };
          classes.set(sc, c);
        }
        c.spans++;
        c.pages += span.pages;
        c.slots += span.slots;
        c.allocated += span.allocated;
        c.free += span.slots - span.allocated;
      }
    }
    const [phase, heapLive, heapGoal, trigger, bytesMarked, scanWork, queued, numGC] = b.gcProgress() as [number, number, number, number, number, number, number, number];
    const marking = phase !== 0;
    return {
      arena: { start: arenaStart, end: arenaEnd, bytes: arenaEnd - arenaStart },
      spans,
      classes: [...classes.values()].sort((x, y) => x.spanClass - y.spanClass),
      freeRuns,
      metaPages,
      gc: {
        phase: marking ? "mark" : "off", heapLive, heapGoal, trigger, bytesMarked, scanWork, greyObjects: queued, numGC,
        markProgress: marking ? (heapLive > 0 ? Math.min(1, bytesMarked / heapLive) : 0) : 1,
      },
    };
  }

  /** Spans in use, grouped by span class (size class × noscan). */
  spanClasses(): SpanClassRow[] {
    return boundaryOf(this).readSpanClasses();
  }

  /**
   * Move every live map into a fresh instance with a fresh, right-sized
   * `WebAssembly.Memory`, and drop the old one so the JS engine can free it:
   * the one way to give memory back to the host (WebAssembly memory never
   * shrinks). Every GoMap keeps working with the same
   * contents; live iterators throw IteratorInvalidatedError on their next
   * step; unsafe pointers and views are stale; `rt.pin` pins of maps follow
   * their maps, pins of raw objects hold nothing afterwards; pools are
   * emptied (their idle maps are dropped, counted in `dropped`).
   *
   * Both heaps exist during the copy, and together they must fit under
   * `maxMemory`: the new heap may grow to maxMemory − (old linear memory)
   * while copying; if that is not enough, OutOfMemoryError and nothing
   * changed. Cumulative MemStats (TotalAlloc, Mallocs, Frees, NumGC,
   * PauseTotalNs, the pause rings) carry on across it; the old heap's
   * objects count as freed. Async only because instantiating the new core
   * is; the copy and the switch happen in one synchronous step.
   */
  async compact(): Promise<CompactionReport> {
    currentOp.name = "Runtime.compact";
    this.#notInHook("rt.compact()");
    if (this.#compacting) throw new ReentrantCallError("rt.compact()", "a compaction of this runtime is already in progress");
    this.#compacting = true;
    try {
      boundaryOf(this); // closed: RuntimeClosedError
      const module = this.#module ?? (await loadCore(this.debug ? "debug" : "release"));
      const maxPages = this.maxMemory / 65536;
      const nb = await Boundary.instantiate(module, maxPages, this.debug);
      return this.#compactInto(nb, maxPages);
    } finally {
      this.#compacting = false;
    }
  }

  #compactInto(nb: Boundary, maxPages: number): CompactionReport {
    currentOp.name = "Runtime.compact";
    const ob = boundaryOf(this);
    this.#notInHook("rt.compact()");
    if (ob.dead) throw new RuntimeDeadError(ob.dead);
    const t0 = performance.now();
    const before = ob.readMemStats();
    const oldBytes = ob.memory.buffer.byteLength;
    const room = maxPages - oldBytes / 65536;
    const oom = (what: string) =>
      new OutOfMemoryError(0, this.maxMemory,
        `compaction (${what}): the old heap (${oldBytes} bytes of linear memory) and its compacted copy must fit under maxMemory together`);
    nb.setMemProfileRate(ob.memProfile.rate); // the heap profile's rate is a runtime setting: it carries over
    if (!nb.init(maxPages) || nb.memory.buffer.byteLength / 65536 > room) throw oom("the new core's fixed areas");
    nb.setGrowthPolicy(true, room);
    const seed = crypto.getRandomValues(new Uint32Array(2));
    nb.seedRandom(seed[0]!, seed[1]!);
    const percent = ob.setGCPercent(-1);
    ob.setGCPercent(percent);
    nb.setGCPercent(-1);
    if (!nb.rootsReserve(this.#roots.capacity)) throw oom("the root table");

    // Every live map with a wrapper (freed ones are garbage already).
    type Move = { h: number; root: number; key: KindName; value: KindName; map: GoMap };
    const moves: Move[] = [];
    for (const [slot, ref] of this.#maps) {
      const m = ref.deref();
      if (!m || m.freed) continue;
      moves.push({ h: mapHandle(m), root: slot, key: m.keyType, value: m.valueType, map: m });
    }
    // Pooled maps are not moved: compaction empties the pools (as a
    // collection's victim step would, twice) — their point is warm bucket
    // arrays, and compaction is about giving memory back.
    const moved = new Map<number, number>();
    let entries = 0;
    for (const mv of moves) {
      const nh = copyMap(ob, nb, { suffix: coreSuffix(mv.key, mv.value), key: mv.key, value: mv.value, h: mv.h, root: mv.root });
      if (nh === 0) throw oom(`copying a ${mv.key}→${mv.value} map of ${ob.readU32(mv.h + ob.hmap.count)} entries`);
      moved.set(mv.h, nh);
      entries += ob.readU32(mv.h + ob.hmap.count);
    }

    // The switch: nothing below can fail.
    const rings = ob.readPauseRings();
    const base = this.#statBase;
    this.#ringBase = {
      pauseNs: this.#mergedRing(rings.pauseNs, "pauseNs", before.NumGC!),
      pauseEnd: this.#mergedRing(rings.pauseEnd, "pauseEnd", before.NumGC!),
    };
    base.TotalAlloc += before.TotalAlloc!;
    base.Mallocs += before.Mallocs!;
    base.Frees += before.Mallocs!; // every object of the old heap counts as freed
    ob.readBySize().forEach((c, i) => {
      const x = (this.#bySizeBase[i] ??= { Mallocs: 0, Frees: 0 });
      x.Mallocs += c.Mallocs;
      x.Frees += c.Mallocs; // every object of the old heap counts as freed
    });
    base.NumGC += before.NumGC!;
    base.NumForcedGC += before.NumForcedGC!;
    base.PauseTotalNs += before.PauseTotalNs!;
    base.GCCPUNanos += before.GCCPUNanos!;
    base.MaxPauseNs = Math.max(base.MaxPauseNs, before.MaxPauseNs!);
    if (before.LastGC! > 0) base.LastGC = before.LastGC!;
    this.#roots.rebind(nb, (p) => moved.get(p) ?? 0);
    for (const [h, hooks] of ob.hookEntries()) {
      const nh = moved.get(h);
      if (nh !== undefined) nb.setHooks(nh, hooks);
    }
    boundaries.set(this, nb);
    this.#owner.boundary = nb;
    for (const mv of moves) mapInternals(mv.map).rebind(this.#owner, nb.mapOps(coreSuffix(mv.key, mv.value)), moved.get(mv.h)!);
    for (const pool of this.#pools) pool.drain();
    this.#listen(nb);
    nb.setGrowthPolicy(false, 65536);
    nb.setGCPercent(percent);
    this.#compactions++;
    const after = nb.readMemStats();
    return {
      maps: moves.length,
      entries,
      before: { linearBytes: oldBytes, heapInuse: before.HeapInuse!, heapSys: before.HeapSys! },
      after: { linearBytes: nb.memory.buffer.byteLength, heapInuse: after.HeapInuse!, heapSys: after.HeapSys! },
      copyMs: performance.now() - t0,
    };
  }

  /** The pause ring as Go indexes it, across compactions: the old
   *  instance's entries, then this one's at NumGC-based positions. */
  #mergedRing(core: number[], which: "pauseNs" | "pauseEnd", n: number): number[] {
    const base = this.#statBase.NumGC;
    const out = this.#ringBase ? [...this.#ringBase[which]] : new Array<number>(256).fill(0);
    for (let j = Math.max(0, n - 256); j < n; j++) out[(base + j) % 256] = core[j % 256]!;
    return out;
  }

  /** How many times this runtime was compacted. */
  get compactions(): number {
    return this.#compactions;
  }

  /** Bytes of linear memory right now. */
  get memoryBytes(): number {
    return boundaryOf(this).memory.buffer.byteLength;
  }

  /** "Runtime". */
  get [Symbol.toStringTag](): string {
    return "Runtime";
  }
}

let keepAliveSink: unknown;

/** Instantiate a compiled core; a module that is not this package's core
 *  (wrong imports or exports) is a WasmLoadError. */
async function instantiate(module: WebAssembly.Module, maxPages: number, debug: boolean, build: string): Promise<Boundary> {
  try {
    return await Boundary.instantiate(module, maxPages, debug);
  } catch (e) {
    if (e instanceof RangeError) throw e; // the memory itself could not be had
    throw new WasmLoadError(`the module is not gomap-wasm's ${build} core (${(e as Error).message})`, {}, e);
  }
}


/** A pin from `rt.pin(m)`: the map's memory stays while it is held. */
let newPin: (roots: RootTable, slot: number) => Pin;

/** A root held by the host (`rt.pin(m)`, `rt.unsafe.pin(x)`): the pinned
 *  map or heap object stays allocated until `unpin()`. */
export class Pin {
  #roots: RootTable | null;
  #slot: number;
  static {
    newPin = (roots, slot) => new Pin(roots, slot);
  }
  /** Pins are made by `rt.pin(m)` (and `rt.unsafe.pin`). */
  private constructor(roots: RootTable, slot: number) {
    this.#roots = roots;
    this.#slot = slot;
  }
  /** Release the pin (idempotent). */
  unpin(): void {
    if (!this.#roots) return;
    this.#roots.release(this.#slot);
    this.#roots = null;
  }
  /** `using pin = rt.pin(m)`: `unpin()` at the end of the block. */
  [Symbol.dispose](): void {
    this.unpin();
  }
}

const rootTables = new WeakMap<Runtime, RootTable>();

/** Internal: a runtime's root table (tests root raw objects through it). */
export function rootTableOf(rt: Runtime): RootTable {
  const t = rootTables.get(rt);
  if (!t) throw new TypeError("not a gomap-wasm Runtime");
  return t;
}

/** Internal: allocate raw bytes or throw OutOfMemoryError (lab, tests). */
export function allocOrThrow(rt: Runtime, size: number, noscan: boolean): number {
  const p = boundaryOf(rt).alloc(size, noscan);
  if (p === 0) throw new OutOfMemoryError(size, rt.maxMemory);
  return p;
}
