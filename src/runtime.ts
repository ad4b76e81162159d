/**
 * `Runtime`: one wasm instance, one heap, one collector.
 *
 * Several runtimes may live in one process; each has its own
 * `WebAssembly.Memory` capped at its `maxMemory` (that is how a user goes
 * past one 4 GiB heap: shard across runtimes).
 */
import { Boundary, type BucketLayout, type BySizeEntry, type SpanClassRow } from "./boundary.js";
import {
  InvalidArgumentError, InvalidOptionError, OutOfMemoryError, ReentrantCallError, UnsafeNotAllowedError, UseAfterFreeError, WrongRuntimeError,
} from "./errors.js";
import { Unsafe } from "./unsafe.js";
import { environmentChecks } from "./trust.js";
import { GoMap, type MapOwner } from "./map.js";
import { coreSuffix, parseKind, type KindName } from "./maptypes.js";
import { loadCore } from "./loader.js";
import { resolveOptions, type RuntimeOptions } from "./options.js";
import { RootTable } from "./roots.js";
import { cryptoRandom32, mulberry32 } from "./random.js";
import { CYCLE_FIELDS, formatGCTrace, type CycleRecord } from "./gctrace.js";

/** Go's runtime.MemStats, for the fields that exist so far. Byte counts
 *  are at size-class granularity, as in Go. */
export interface MemStats {
  /** Bytes of allocated heap objects, including unswept garbage. */
  HeapAlloc: number;
  /** Cumulative bytes allocated. */
  TotalAlloc: number;
  /** All linear memory: HeapSys + MSpanSys + GCSys + OtherSys. */
  Sys: number;
  /** Cumulative objects allocated. */
  Mallocs: number;
  /** Cumulative objects freed. */
  Frees: number;
  /** Heap pages obtained: HeapInuse + HeapIdle. */
  HeapSys: number;
  /** Bytes in free page runs. */
  HeapIdle: number;
  /** Bytes in in-use spans (including their free slots). */
  HeapInuse: number;
  /** Always 0: WebAssembly memory cannot be given back to the host. */
  HeapReleased: number;
  /** Mallocs − Frees. */
  HeapObjects: number;
  /** Span records in use. */
  MSpanInuse: number;
  MSpanSys: number;
  /** Collector metadata: allocBits/gcmarkBits, type bytes, grey queue, the page map. */
  GCSys: number;
  /** Static data, the host scratch area, free metadata. */
  OtherSys: number;
  /** The heap goal of the next cycle (0 with GOGC off). */
  NextGC: number;
  /** End of the last collection, ns since the Unix epoch (0 if none). */
  LastGC: number;
  NumGC: number;
  NumForcedGC: number;
  /** Sum of every cycle's pauses (start + termination), ns. */
  PauseTotalNs: number;
  /** Ring of the last 256 cycles' pauses; the latest is at (NumGC+255)%256. */
  PauseNs: number[];
  /** Same ring: end of each cycle's last pause, ns since the Unix epoch. */
  PauseEnd: number[];
  /** GC time (every mark step, assists included) / wall time since the runtime was created. */
  GCCPUFraction: number;
  EnableGC: boolean;
  DebugGC: boolean;
  /** Ours: the longest single GC pause (one mark step) so far, ns. */
  MaxPauseNs: number;
  /** Per size class 0..60, like Go (class 0 is all zero). */
  BySize: BySizeEntry[];
}

/** Options of `rt.map`. */
export interface MapOptions<K extends KindName, V extends KindName> {
  /** Key kind: "i32" | "u32" | "i64" | "u64" | "f64". i64/u64 keys are bigint. */
  key: K;
  /** Value kind, same choices. */
  value: V;
  /** Expected entries: picks B as Go's make(map, hint) does. */
  hint?: number;
  /** A fixed hash seed (u32) instead of a random one: the same keys then
   *  land in the same buckets and iterate in the same order on every run. */
  seed?: number;
}

/** One bucket array's tophash bytes (`rt.inspectBuckets(m)`). */
export interface BucketArrayTophash {
  B: number;
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
  current: BucketArrayTophash | null;
  /** The old array while growing. */
  old: BucketArrayTophash | null;
  nevacuate: number;
  sameSizeGrow: boolean;
}

/** One entry of the page heap, in address order (`rt.inspectHeap()`). */
export interface HeapSpan {
  address: number;
  pages: number;
  bytes: number;
  /** "inuse": a span of objects; "free": a free page run; "meta": a page of
   *  span records / bitmaps / type bytes (fixalloc). */
  state: "inuse" | "free" | "meta";
  /** Span class = sizeClass << 1 | noscan (in-use spans). */
  spanClass: number;
  sizeClass: number;
  noscan: boolean;
  elemSize: number;
  /** Object slots, allocated slots, Go's freeindex. */
  slots: number;
  allocated: number;
  freeindex: number;
  /** Slots with the mark bit set (meaningful while marking). */
  marked: number;
  /** Swept for the current cycle. */
  swept: boolean;
  /** Some mcache's current span for its class. */
  cached: boolean;
}

/** Spans of one span class, summed (`rt.inspectHeap().classes`). */
export interface HeapClassSummary {
  spanClass: number;
  sizeClass: number;
  noscan: boolean;
  elemSize: number;
  spans: number;
  pages: number;
  slots: number;
  allocated: number;
  free: number;
}

/** The whole heap at a glance: what the explorer draws. */
export interface HeapInspection {
  arena: { start: number; end: number; bytes: number };
  spans: HeapSpan[];
  classes: HeapClassSummary[];
  freeRuns: { address: number; pages: number; bytes: number }[];
  metaPages: number;
  gc: {
    phase: "off" | "mark";
    heapLive: number;
    heapGoal: number;
    trigger: number;
    /** Bytes marked so far in this cycle (the last cycle's total when off). */
    bytesMarked: number;
    scanWork: number;
    /** Grey objects queued. */
    greyObjects: number;
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
  count: number;
  /** Go's overflow-bucket counter (approximate for B >= 16, as in Go). */
  noverflow: number;
  /** 2^B (0 before a B = 0 map's first insert). */
  buckets: number;
  /** Overflow buckets linked from the current array, counted by walking. */
  overflowBuckets: number;
  /** Buckets of the old array while growing, and their overflow buckets. */
  oldBuckets: number;
  oldOverflowBuckets: number;
  growing: boolean;
  sameSizeGrow: boolean;
  nevacuate: number;
  /** tophash states over every slot of both arrays and their chains. */
  tophash: { emptyRest: number; emptyOne: number; live: number; evacuatedX: number; evacuatedY: number; evacuatedEmpty: number };
  /** Bytes of bucket storage held: the arrays (at size-class/page
   *  granularity) plus separately allocated overflow buckets. */
  bucketBytes: number;
  bucketSize: number;
  /** Byte offsets inside a bucket of this map's shape (wasm32 layout, from the core). */
  bucketLayout: BucketLayout;
  hash0: number;
  flags: number;
}

const boundaries = new WeakMap<Runtime, Boundary>();

const MAP_OPTIONS = new Set(["key", "value", "hint", "seed"]);

/** Unix ns from a host-clock reading in ns since performance.timeOrigin. */
function unixNs(sinceOriginNs: number): number {
  return sinceOriginNs === 0 ? 0 : Math.round(performance.timeOrigin * 1e6 + sinceOriginNs);
}

/** Drops a map's root when the JS engine collects a GoMap that was never
 *  freed (a convenience: correctness never depends on it). */
const mapRegistry = new FinalizationRegistry<{ release: () => void; b: Boundary }>((held) => {
  if (held.b.dead) return;
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
  if (!b) throw new TypeError("not a gomap-wasm Runtime");
  return b;
}

export class Runtime {
  /** The effective cap on linear memory, in bytes (a whole number of 64 KiB pages). */
  readonly maxMemory: number;
  /** Whether this runtime runs the debug build. */
  readonly debug: boolean;

  #owner: MapOwner;
  #roots: RootTable;
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
        boundary.dropHooks(h);
        mapRegistry.unregister(m);
        roots.release(slot);
        this.#liveMaps--;
      },
      iterRegistry: new FinalizationRegistry<number[]>((slots) => {
        if (boundary.dead) return;
        try {
          for (const s of slots) roots.release(s);
        } catch {
          // dead runtime
        }
      }),
    };
    boundary.onGCDone = () => {
      if (!this.#gctrace) return;
      const r = boundary.readCycle(CYCLE_FIELDS) as unknown as CycleRecord;
      this.#gctrace(formatGCTrace(r, this.#createdMs, performance.now()));
    };
  }

  /** Create a runtime. Works in Node and browsers. */
  static async create(options?: RuntimeOptions): Promise<Runtime> {
    const o = resolveOptions(options);
    if (o.trusted) {
      // The whitelist runs once, here; trust cannot be switched on later.
      const failed = environmentChecks().filter((c) => !c.ok).map((c) => c.name);
      if (failed.length) throw new UnsafeNotAllowedError("Runtime.create({ trusted: true })", failed, true);
    }
    const module = await loadCore(o.debug ? "debug" : "release");
    const b = await Boundary.instantiate(module, o.maxWasmPages, o.debug);
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
    return new Runtime(b, o.maxMemory, trace, o.trusted);
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
    this.#own(m);
    const slot = this.#roots.acquire();
    this.#roots.set(slot, m.handle);
    return new Pin(this.#roots, slot);
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
    const b = boundaryOf(this);
    const ops = b.mapOps(coreSuffix(key, value));
    const hash0 = seed ?? cryptoRandom32();
    const slot = this.#roots.acquire();
    const code = (k: KindName) => b.kindCodes.get(k.toUpperCase())!;
    const h = ops.makemap(hint, hash0, code(key) | (code(value) << 8), slot) >>> 0;
    if (h === 0) {
      this.#roots.release(slot);
      throw new OutOfMemoryError(hint, this.maxMemory, `make(map) with hint ${hint}`);
    }
    const random = seed === undefined ? cryptoRandom32 : mulberry32(seed);
    const m = new GoMap<K, V>(this.#owner, ops, h, slot, { key, value }, random);
    const roots = this.#roots;
    mapRegistry.register(m, { release: () => { roots.release(slot); this.#liveMaps--; }, b }, m);
    this.#liveMaps++;
    return m;
  }

  /** The shape of a map: B, counts, tophash states, growth progress, bytes. */
  inspect(m: GoMap): MapInspection {
    this.#own(m);
    const r = boundaryOf(this).inspectMap(m.ops, m.handle);
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
    if (!(m instanceof GoMap)) throw new InvalidArgumentError("map", "expected a GoMap made by rt.map()");
    if (m.owner !== this.#owner) throw new WrongRuntimeError();
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
    if (!this.#trusted) throw new UnsafeNotAllowedError("rt.unsafe", [], false);
    if (!this.#unsafe) {
      const roots = this.#roots;
      this.#unsafe = new Unsafe(
        {
          boundary: boundaryOf(this),
          own: (m) => {
            this.#own(m);
            if (m.freed) throw new UseAfterFreeError();
          },
          pinObject: (base) => {
            const slot = roots.acquire();
            roots.set(slot, base);
            return new Pin(roots, slot);
          },
          pinMap: (m) => this.pin(m),
        },
        true,
      );
    }
    return this.#unsafe;
  }

  /** Maps made by this runtime and not freed (nor collected by the JS engine). */
  get liveMaps(): number {
    return this.#liveMaps;
  }

  /** Root slots in use: live maps, pins and live iterators (×3). */
  get roots(): number {
    return this.#roots.live;
  }

  /** Go's runtime.ReadMemStats. */
  readMemStats(): MemStats {
    const b = boundaryOf(this);
    const raw = b.readMemStats();
    const s = raw as unknown as MemStats;
    s.LastGC = unixNs(raw.LastGC!);
    const rings = b.readPauseRings();
    s.PauseNs = rings.pauseNs;
    s.PauseEnd = rings.pauseEnd.map(unixNs);
    const elapsedNs = Math.max(1, (performance.now() - this.#createdMs) * 1e6);
    s.GCCPUFraction = raw.GCCPUNanos! / elapsedNs;
    delete (raw as Record<string, number>).GCCPUNanos;
    s.EnableGC = true;
    s.DebugGC = false;
    s.BySize = b.readBySize();
    return s;
  }

  /** A copy of every tophash byte of the map (both arrays while it grows,
   *  overflow chains included): the slot states the explorer draws. Safe:
   *  read-only, no raw pointers escape. */
  inspectBuckets(m: GoMap): BucketsInspection {
    this.#own(m);
    const b = boundaryOf(this);
    const h = m.handle;
    const L = b.hmap;
    const u8 = b.u8, u32 = b.u32;
    const shape = b.bucketLayout(coreSuffix(m.keyType, m.valueType));
    const B = u8[h + L.B]!;
    const flags = u8[h + L.flags]!;
    const sameSize = (flags & b.constant("FLAG_SAME_SIZE_GROW")) !== 0;
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
    const buckets = u32[(h + L.buckets) >>> 2]!;
    const old = u32[(h + L.oldbuckets) >>> 2]!;
    return {
      current: read(buckets, B),
      old: read(old, sameSize ? B : B - 1),
      nevacuate: u32[(h + L.nevacuate) >>> 2]!,
      sameSizeGrow: old !== 0 && sameSize,
    };
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

  /** Bytes of linear memory right now. */
  get memoryBytes(): number {
    return boundaryOf(this).memory.buffer.byteLength;
  }

  get [Symbol.toStringTag](): string {
    return "Runtime";
  }
}

let keepAliveSink: unknown;

/** A pin from `rt.pin(m)`: the map's memory stays while it is held. */
export class Pin {
  #roots: RootTable | null;
  #slot: number;
  /** @internal */
  constructor(roots: RootTable, slot: number) {
    this.#roots = roots;
    this.#slot = slot;
  }
  /** Release the pin (idempotent). */
  unpin(): void {
    if (!this.#roots) return;
    this.#roots.release(this.#slot);
    this.#roots = null;
  }
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
