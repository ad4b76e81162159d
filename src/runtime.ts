/**
 * `Runtime`: one wasm instance, one heap, one collector.
 *
 * Several runtimes may live in one process; each has its own
 * `WebAssembly.Memory` capped at its `maxMemory` (that is how a user goes
 * past one 4 GiB heap: shard across runtimes).
 */
import { Boundary, type SpanClassRow } from "./boundary.js";
import {
  InvalidArgumentError,
  InvalidOptionError,
  OutOfMemoryError,
  ReentrantCallError,
  RuntimeClosedError,
  RuntimeDeadError,
  UnsafeNotAllowedError,
  UseAfterFreeError,
  SnapshotError,
  SnapshotInProgressError,
  WasmLoadError,
  WrongRuntimeError,
  SharedRuntimeError,
} from "./errors.js";
import {
  bytesReader,
  coreFingerprint,
  imageBytes,
  imageViews,
  planImage,
  readImage,
  verifyStructure,
  type ImageMap,
  type ImagePlan,
  type ImageReader,
  type ImageState,
} from "./snapshot.js";
import {
  imageStream,
  openSource,
  writeJob,
  writeTarget,
  type ImageJob,
  type SnapshotReadableStream,
  type SnapshotSource,
  type SnapshotTarget,
} from "./snapstream.js";
import { createUnsafe, type Unsafe } from "./unsafe.js";
import { environmentChecks } from "./trust.js";
import { GoMap, mapHandle, mapInternals, mapOps, mapOwner, newGoMap, type MapOwner } from "./map.js";
import {
  type MapPool,
  GENERATIONS,
  newMapPool,
  poolClose,
  poolCycleStart,
  type PoolHost,
  type PoolOptions,
} from "./pool.js";
import {
  compactInto,
  copyMap,
  freshCore,
  resolveCompactOptions,
  type CompactionReport,
  type CompactOptions,
} from "./compact.js";
import {
  inspectBuckets,
  inspectHeap,
  inspectMap,
  type BucketsInspection,
  type HeapInspection,
  type MapInspection,
} from "./inspect.js";
import { CumulativeStats, type MemStats } from "./memstats.js";
import { coreSuffix, parseKind, type KindName } from "./maptypes.js";
import { type BuildName, loadCore } from "./loader.js";
import { shareDescriptor, type SharedMapDescriptor } from "./reader.js";
import { type ResolvedOptions, resolveOptions, type RuntimeOptions } from "./options.js";
import { RootTable } from "./roots.js";
import { cryptoRandom32, mulberry32 } from "./random.js";
import { formatGCTrace, type CycleRecord } from "./gctrace.js";
import { readSpanClasses } from "./records.js";
import { attachProfile, currentOp, encodeHeapProfile, gzip, profileOf, type HeapProfileOptions } from "./profile.js";
import { isMemProfileRate } from "./options.js";

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
   *  as Go does). The price: anyone who knows the seed can aim keys at one
   *  bucket (hash flooding, docs/map.md); keep it off for untrusted keys. */
  seed?: number;
}

/** Options of `rt.snapshot` (and its streamed forms). */
export interface SnapshotOptions {
  /** The maps to save, by the names `Runtime.restore` gives them back
   *  under: `{ maps: { users: m1, index: m2 } }`. */
  maps: Record<string, GoMap>;
}

/** Options of `Runtime.restore`: those of `Runtime.create` (`debug` must
 *  name the build that made the image; `maxMemory` may only lower the cap
 *  the image was made under; `gcPercent` and `memProfileRate` override the
 *  image's), plus `reseed`. */
export interface RestoreOptions extends RuntimeOptions {
  /** Rebuild every map under a fresh random hash seed (default false):
   *  for images from elsewhere, whose seeds their maker knows. */
  reseed?: boolean;
}

/** What `Runtime.restore` returns: the new runtime and its maps by name. */
export interface RestoreResult {
  /** The new runtime (close it with `rt.close()` when done). */
  rt: Runtime;
  /** The image's maps, by the names they were saved under. */
  maps: Record<string, GoMap>;
}

/** Split restore's own option from Runtime.create's, and note which of
 *  those were given (the image's values stand for the others). */
function splitRestoreOptions(options: unknown): {
  reseed: boolean;
  rest: Record<string, unknown>;
  given: { maxMemory: boolean; gcPercent: boolean; memProfileRate: boolean };
} {
  if (options === undefined) options = {};
  if (options === null || typeof options !== "object" || Array.isArray(options))
    throw new InvalidOptionError("options", "must be an object");
  const { reseed, ...rest } = options as Record<string, unknown>;
  if (reseed !== undefined && typeof reseed !== "boolean")
    throw new InvalidOptionError("reseed", `must be a boolean, got ${typeof reseed}`);
  return {
    reseed: reseed === true,
    rest,
    given: {
      maxMemory: rest.maxMemory !== undefined,
      gcPercent: rest.gcPercent !== undefined,
      memProfileRate: rest.memProfileRate !== undefined,
    },
  };
}

/** GOGC now (setGCPercent returns the previous value: set it back). */
function readGCPercent(b: Boundary): number {
  const p = b.exports.setGCPercent(-1);
  b.exports.setGCPercent(p);
  return p;
}

const boundaries = new WeakMap<Runtime, Boundary>();

const MAP_OPTIONS = new Set(["key", "value", "hint", "seed"]);
const POOL_OPTIONS = new Set(["key", "value", "generation", "hint", "maxIdle"]);

/** Drops a map's root when the JS engine collects a GoMap that was never
 *  freed (a convenience: correctness never depends on it). */
const mapRegistry = new FinalizationRegistry<{ release: () => void; rt: Runtime }>((held) => {
  const b = boundaries.get(held.rt);
  if (!b || b.dead) return; // closed or dead: nothing to release
  if (b.frozen) {
    deferRelease(held.rt, held.release);
    return;
  }
  try {
    held.release();
  } catch {
    // The runtime died in the meantime: nothing to release.
  }
});

/** Backstop releases (a map or iterator the program dropped) that came
 *  while a streamed snapshot froze their runtime, whose root table they
 *  write: run when it thaws (they would fail now, and their slots leak). */
const afterThaw = new WeakMap<Runtime, (() => void)[]>();

function deferRelease(rt: Runtime, release: () => void): void {
  const q = afterThaw.get(rt);
  if (q) q.push(release);
  else afterThaw.set(rt, [release]);
}

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
  /** What the instances left behind by compactions had counted (src/memstats.ts). */
  #stats = new CumulativeStats();
  #compactions = 0;
  #compacting = false;
  #trusted: boolean;
  #unsafe: Unsafe | null = null;
  #liveMaps = 0;
  #createdMs = performance.now();
  #gctrace: ((line: string) => void) | null;

  private constructor(
    boundary: Boundary,
    maxMemory: number,
    gctrace: ((line: string) => void) | null,
    trusted: boolean,
  ) {
    boundaries.set(this, boundary);
    this.#trusted = trusted;
    this.maxMemory = maxMemory;
    this.debug = boundary.debug;
    this.#gctrace = gctrace;
    const roots = new RootTable(boundary, 64, maxMemory);
    this.#roots = roots;
    rootTables.set(this, roots);
    this.#owner = {
      boundary,
      maxMemory,
      roots,
      onFree: (m, slot, h) => {
        boundaryOf(this).events.setHooks(h, null);
        mapRegistry.unregister(m);
        this.#maps.delete(slot);
        if (this.#shared.delete(m)) {
          // Readers in other threads may still look at it: empty it under
          // the seqlock, mark it freed, and keep its hmap rooted for good
          // (32 bytes; docs/shared.md).
          boundaryOf(this).exports.retireMap(h);
        } else roots.release(slot);
        this.#liveMaps--;
      },
      tempRoots: [roots.acquire(), roots.acquire()],
      iterRegistry: new FinalizationRegistry<number[]>((slots) => {
        const b = boundaries.get(this);
        if (!b || b.dead) return; // closed or dead
        if (b.frozen) {
          deferRelease(this, () => {
            for (const s of slots) roots.release(s);
          });
          return;
        }
        try {
          for (const s of slots) roots.release(s);
        } catch {
          // dead runtime
        }
      }),
    };
    this.#listen(boundary);
  }

  /** The core's notifications: gctrace lines at a cycle's end (queued,
   *  delivered after the core call returns: src/events.ts); the pools'
   *  victim-cache step at a cycle's start (before marking, at once). */
  #listen(b: Boundary): void {
    b.onGCDone = (record, endMs) => {
      if (!this.#gctrace) return;
      const r = record as unknown as CycleRecord;
      r.numgc += this.#stats.base.NumGC;
      r.gcCpuNs += this.#stats.base.GCCPUNanos;
      this.#gctrace(formatGCTrace(r, this.#createdMs, endMs));
    };
    b.onDeath = (reason) => {
      for (const ref of this.#maps.values()) {
        const m = ref.deref();
        if (m) mapInternals(m).kill(reason);
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
    // The whitelist runs once, here; trust cannot be switched on later.
    const { build, module } = await trustedCore(o, "Runtime.create({ trusted: true })");
    const b = await instantiate(module, o.maxWasmPages, o.debug, build, o.shared);
    attachProfile(b);
    currentOp.name = "Runtime.create"; // again: other calls ran during the awaits
    b.setMemProfileRate(o.memProfileRate); // before init: its allocations are sampled too
    // The smallest runtime that can hold a map: the core's fixed areas and
    // first heap page, plus the pages a first map takes (its hmap's and its
    // bucket's spans, their span records). Smaller ones would be accepted
    // and then refuse every entry.
    const min = Math.ceil((b.minMemoryBytes(o.maxWasmPages) + FIRST_MAP_PAGES * b.pageBytes) / 65536) * 65536;
    if (o.maxMemory < min || !b.init(o.maxWasmPages)) {
      throw new InvalidOptionError(
        "maxMemory",
        `${o.maxMemory} bytes cannot hold the core's static data, page map and a first map; use at least ${min} bytes`,
      );
    }
    b.staleViews(); // init grew memory: a shared memory's views keep the old length
    const seed = crypto.getRandomValues(new Uint32Array(2));
    b.exports.seedRandom(seed[0]!, seed[1]!);
    b.exports.setGCPercent(o.gcPercent);
    const trace = o.gctrace === true ? (line: string) => console.error(line) : o.gctrace === false ? null : o.gctrace;
    const rt = new Runtime(b, o.maxMemory, trace, o.trusted);
    rt.#module = module;
    return rt;
  }

  /** Maps handed to other threads (`share`): kept alive, retired on free. */
  #shared = new Set<unknown>();

  /**
   * A descriptor of map `m` for readers in other threads: post it
   * (`postMessage`) and call `attach(descriptor)` there for a read-only
   * `GoMapReader`. Only on a runtime created with `{ shared: true }`
   * (else `SharedRuntimeError`). The descriptor carries the runtime's
   * shared `WebAssembly.Memory`: readers can look up every map of this
   * runtime through it, and the memory lives while any thread holds it.
   * A shared map stays alive until `m.free()`; after that its 32-byte
   * header is never reused (readers throw `UseAfterFreeError`).
   */
  share<K extends KindName, V extends KindName>(m: GoMap<K, V>): SharedMapDescriptor<K, V> {
    currentOp.name = "Runtime.share";
    const b = boundaryOf(this);
    if (this.#closed) throw new RuntimeClosedError();
    if (!b.shared) throw new SharedRuntimeError("rt.share(m) needs a runtime created with { shared: true }");
    if (!(m instanceof GoMap)) throw new InvalidArgumentError("m", "expected a GoMap made by rt.map(...)");
    const gm = m as unknown as GoMap;
    if (mapOwner(gm) !== this.#owner) throw new WrongRuntimeError();
    const h = mapHandle(gm); // a freed map: UseAfterFreeError
    this.#shared.add(m);
    return shareDescriptor(b, h, m.keyType, m.valueType);
  }

  /** The compiled core this runtime runs (compaction instantiates it again). */
  #module: WebAssembly.Module | null = null;
  #closed = false;

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
    this.#closed = true;
    const cb = boundaryOf(this);
    if (cb.shared && !cb.dead) cb.exports.closeShared(); // readers in other threads throw from now on
    boundaryOf(this).events.close(); // nothing more is delivered
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
    const b = boundaryOf(this);
    b.gc();
    if (b.events.pending) b.events.deliver();
  }

  /** Do at most `budget` bytes of marking now (default 256 KiB), if a cycle
   *  is marking; ends the cycle when marking is done. Returns the bytes of
   *  scan work done (0 when no cycle is running). */
  gcStep(budget = 256 * 1024): number {
    if (typeof budget !== "number" || !(budget > 0))
      throw new InvalidArgumentError("budget", `expected a positive number of bytes, got ${String(budget)}`);
    const b = boundaryOf(this);
    const work = b.exports.gcStep(budget);
    if (b.events.pending) b.events.deliver();
    return work;
  }

  /** Start a cycle now if none is running (it then proceeds incrementally). */
  gcStart(): void {
    const b = boundaryOf(this);
    b.exports.gcStart();
    if (b.events.pending) b.events.deliver();
  }

  /** "off" or "mark": is a cycle marking right now? */
  get gcPhase(): "off" | "mark" {
    return boundaryOf(this).exports.gcPhase() === 0 ? "off" : "mark";
  }

  /** Go's debug.SetGCPercent: a negative value (or "off") disables
   *  automatic collection; returns the previous setting. */
  setGCPercent(percent: number | "off"): number {
    const p = percent === "off" ? -1 : percent;
    if (typeof p !== "number" || !Number.isInteger(p) || p > 0x7fffffff || p < -0x80000000) {
      throw new InvalidArgumentError("percent", `expected an integer or "off", got ${String(percent)}`);
    }
    return boundaryOf(this).exports.setGCPercent(p < 0 ? -1 : p);
  }

  /** Keep a map alive whatever the host drops — even after `m.free()` —
   *  until the returned pin is released. */
  pin(m: GoMap): Pin {
    currentOp.name = "Runtime.pin";
    this.#own(m);
    const slot = this.#roots.acquire();
    this.#roots.set(slot, mapHandle(m));
    const pin = newPin(this.#roots, slot);
    const b = boundaryOf(this);
    if (b.events.pending) b.events.deliver();
    return pin;
  }

  /** Go's runtime.KeepAlive: marks `m` as used up to this point, so the
   *  JS engine cannot finalize (and our backstop cannot release) it earlier.
   *  A GoMap stays a root until free(); this matters only for the
   *  FinalizationRegistry backstop. */
  keepAlive(m: unknown): void {
    keepAliveSink.value = m;
    keepAliveSink.value = undefined;
  }

  /** Make a Go map: `rt.map({ key: "u64", value: "f64", hint: 1e6 })`. */
  map<K extends KindName, V extends KindName>(options: MapOptions<K, V>): GoMap<K, V> {
    currentOp.name = "Runtime.map";
    if (options === null || typeof options !== "object") throw new InvalidArgumentError("options", "must be an object");
    for (const k of Object.keys(options)) {
      if (!MAP_OPTIONS.has(k))
        throw new InvalidArgumentError(k, `unknown map option; known: ${[...MAP_OPTIONS].join(", ")}`);
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
    if (b.frozen) throw new SnapshotInProgressError(currentOp.name);
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
    const m = this.#wrap(key, value, h, slot, seed === undefined ? cryptoRandom32 : mulberry32(seed));
    if (b.events.pending) b.events.deliver();
    return m;
  }

  /** A GoMap over a map that holds root `slot`. */
  #wrap<K extends KindName, V extends KindName>(
    key: K,
    value: V,
    h: number,
    slot: number,
    random: () => number,
  ): GoMap<K, V> {
    const ops = boundaryOf(this).mapOps(coreSuffix(key, value));
    const m = newGoMap<K, V>(this.#owner, ops, h, slot, { key, value }, random);
    const roots = this.#roots;
    mapRegistry.register(
      m,
      {
        release: () => {
          // The hmap this wrapper held (the root slot follows compactions):
          // its hooks go with it, or a map made later at the same address
          // would inherit them.
          boundaries.get(this)?.events.setHooks(roots.valueAt(slot), null);
          this.#maps.delete(slot);
          roots.release(slot);
          this.#liveMaps--;
        },
        rt: this,
      },
      m,
    );
    this.#maps.set(slot, new WeakRef(m as unknown as GoMap));
    return m;
  }

  /** A pool of cleared maps for one generation (src/pool.ts): Go's
   *  sync.Pool with a victim cache, plus the article's generations. */
  pool<K extends KindName, V extends KindName>(options: PoolOptions<K, V>): MapPool<K, V> {
    boundaryOf(this); // closed: RuntimeClosedError
    if (options === null || typeof options !== "object") throw new InvalidArgumentError("options", "must be an object");
    for (const k of Object.keys(options)) {
      if (!POOL_OPTIONS.has(k))
        throw new InvalidArgumentError(k, `unknown pool option; known: ${[...POOL_OPTIONS].join(", ")}`);
    }
    const key = parseKind("key", options.key) as K;
    const value = parseKind("value", options.value) as V;
    const gen = options.generation;
    if (typeof gen !== "string" || !Object.hasOwn(GENERATIONS, gen)) {
      throw new InvalidArgumentError(
        "generation",
        `expected one of ${Object.keys(GENERATIONS).join(", ")}, got ${String(gen)}`,
      );
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
        if (this.#shared.has(m))
          throw new SharedRuntimeError(
            "pool.put(m): m is shared (rt.share): its readers would see the pool's next user's entries, or another map's once the pool dropped it; let go of it with m.free()",
          );
        if (m.keyType !== key || m.valueType !== value) {
          throw new InvalidArgumentError(
            "map",
            `this pool holds ${key}→${value} maps; got a ${m.keyType}→${m.valueType} map`,
          );
        }
      },
      park: (m) => {
        const x = mapInternals(m as unknown as GoMap);
        if (x.hooked) {
          boundaryOf(this).events.setHooks(x.h, null);
          boundaryOf(this).setHooked(x.h, false);
        }
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
      this.#unsafe = createUnsafe({
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
      });
    }
    return this.#unsafe;
  }

  /** Maps made by this runtime and not freed (nor collected by the JS engine). */
  get liveMaps(): number {
    return this.#liveMaps;
  }

  /** Root slots in use: live maps, pins and live iterators (×4) — not
   *  counting the runtime's own two (temporaries of long arguments). */
  get roots(): number {
    return this.#roots.live - this.#owner.tempRoots.length;
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
      if (k !== "rate" && k !== "asOf")
        throw new InvalidArgumentError(k, "unknown heapProfile option; known: rate, asOf");
    }
    const asOf = options.asOf ?? "gc";
    if (asOf !== "gc" && asOf !== "now")
      throw new InvalidArgumentError("asOf", `expected "gc" or "now", got ${String(asOf)}`);
    if (options.rate !== undefined && !isMemProfileRate(options.rate)) {
      throw new InvalidArgumentError(
        "rate",
        `expected an integer from 0 to 2147483647 bytes, got ${String(options.rate)}`,
      );
    }
    const b = boundaryOf(this);
    const prof = profileOf(b);
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
    if (!isMemProfileRate(rate))
      throw new InvalidArgumentError("rate", `expected an integer from 0 to 2147483647 bytes, got ${String(rate)}`);
    return boundaryOf(this).setMemProfileRate(rate);
  }

  /** The heap profile's sampling rate now (runtime.MemProfileRate). */
  get memProfileRate(): number {
    return profileOf(boundaryOf(this)).rate;
  }

  /** Spans in use, grouped by span class (size class × noscan). */
  spanClasses(): SpanClassRow[] {
    return readSpanClasses(boundaryOf(this));
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
   * Both memories exist during the copy: the transient peak is the old
   * linear memory plus the survivors' new one. The new memory is capped by
   * `maxMemory` alone (so compaction works when the old one is at its cap),
   * and by `options.maxPeakMemory` − (old linear memory) when that bound is
   * given. If the peak cannot be had (over the bound, or the engine refuses
   * the new memory), CompactionMemoryError naming the bytes it needs, and
   * nothing changed. Cumulative MemStats (TotalAlloc, Mallocs, Frees, NumGC,
   * PauseTotalNs, the pause rings) carry on across it; the old heap's
   * objects count as freed. Async only because instantiating the new core
   * is; the copy and the switch happen in one synchronous step.
   */
  async compact(options?: CompactOptions): Promise<CompactionReport> {
    currentOp.name = "Runtime.compact";
    if (this.#compacting)
      throw new ReentrantCallError("rt.compact()", "a compaction of this runtime is already in progress");
    this.#compacting = true;
    try {
      if (boundaryOf(this).shared)
        throw new SharedRuntimeError(
          "rt.compact() on a shared runtime: readers in other threads hold this memory, which compaction would replace",
        );
      const limits = { maxMemory: this.maxMemory, maxPeakMemory: resolveCompactOptions(options) };
      const reseed = this.#reseedNext;
      this.#reseedNext = false;
      // closed: RuntimeClosedError; a streamed snapshot reads this heap
      if (boundaryOf(this).frozen) throw new SnapshotInProgressError("rt.compact");
      const module = this.#module ?? (await loadCore(this.debug ? "debug" : "release"));
      const maxPages = this.maxMemory / 65536;
      const nb = await freshCore(module, maxPages, this.debug, boundaryOf(this), limits);
      attachProfile(nb);
      currentOp.name = "Runtime.compact";
      const ob = boundaryOf(this);
      if (ob.dead) throw new RuntimeDeadError(ob.dead);
      if (ob.frozen) throw new SnapshotInProgressError("rt.compact"); // one started during the await
      if (ob.events.pending) ob.events.deliver(); // the old instance's, before it is left
      if (this.#closed) throw new RuntimeClosedError(); // a callback just closed it
      const report = compactInto(ob, nb, maxPages, {
        ...limits,
        rootsCapacity: this.#roots.capacity,
        reseed,
        stats: this.#stats,
        maps: () => this.#liveWrappers(),
        switchTo: (to, moved, moves) => {
          if (this.#closed) throw new RuntimeClosedError(); // cannot happen: nothing runs user code in between
          this.#roots.rebind(to, (p) => moved.get(p) ?? 0);
          boundaries.set(this, to);
          this.#owner.boundary = to;
          for (const mv of moves)
            mapInternals(mv.map).rebind(this.#owner, to.mapOps(coreSuffix(mv.key, mv.value)), moved.get(mv.h)!);
          for (const pool of this.#pools) pool.drain();
          this.#listen(to);
          this.#compactions++;
        },
      });
      if (nb.events.pending) nb.events.deliver();
      return report;
    } finally {
      this.#compacting = false;
    }
  }

  // ------------------------------------------------------------ snapshots

  /**
   * An image of maps of this runtime (docs/snapshot.md): bytes that
   * `Runtime.restore` turns back into a runtime holding the same maps —
   * same kinds, entries, hash seeds and bucket layout (B, buckets, overflow
   * chains) — in any process, worker or browser running this same
   * gomap-wasm build.
   *
   * When `maps` names every live map of the runtime, the image is this
   * runtime's heap itself, taken after a full collection (`rt.gc()`: the
   * collector's quiet point), with its MemStats counters, GOGC and heap
   * profile rate. When it names only some, those maps are first copied into
   * a scratch instance (as `rt.compact()` copies: right-sized bucket
   * arrays, same seeds) and the image is of that copy: nothing of the other
   * maps is in the bytes. Pools and pins are not carried (their objects are
   * dropped at restore); iterators are not either.
   */
  snapshot(options: SnapshotOptions): Uint8Array<ArrayBuffer> {
    currentOp.name = "Runtime.snapshot";
    const src = this.#imageSource(options, "rt.snapshot");
    try {
      return imageBytes(src.plan, src.b);
    } finally {
      src.done();
    }
  }

  /**
   * The image of `rt.snapshot(options)` as a WHATWG `ReadableStream` of
   * `Uint8Array` chunks (docs/snapshot.md, "Streams and files"): pull-based,
   * each chunk (at most 8 MiB) copied out of linear memory when the
   * consumer asks for it, so the whole image is never held twice. The
   * bytes equal `rt.snapshot(options)`'s.
   *
   * The image is of the maps as they are at this call, and the runtime is
   * frozen from this call until the stream has delivered its last byte,
   * errored or been cancelled: writes, collections, compaction, pins and
   * iteration steps that call the core throw `SnapshotInProgressError`;
   * lookups (`get`, `has`, `getMany`, `size`) go on (docs/snapshot.md,
   * "The freeze"). A stream that is never read keeps the runtime frozen:
   * cancel it. Closing the runtime errors the stream with
   * `RuntimeClosedError`.
   */
  snapshotStream(options: SnapshotOptions): SnapshotReadableStream {
    currentOp.name = "Runtime.snapshotStream";
    return imageStream(this.#imageJob(options, "rt.snapshotStream"));
  }

  /**
   * Write the image of `rt.snapshot(options)` to `target` without holding
   * it twice (docs/snapshot.md, "Streams and files"); resolves with the
   * bytes written.
   *
   * - a file path or `file:` URL (Node): written straight from linear
   *   memory to `<path>.tmp-<random>`, flushed, then renamed over `path`,
   *   so the file appears whole or not at all (the temporary file is
   *   removed on failure);
   * - a Node `Writable`: a copy per chunk, honouring backpressure (waits
   *   for 'drain'); ended at the end, settles on 'finish'; its error
   *   rejects the promise;
   * - a WHATWG `WritableStream` (e.g. an OPFS file's `createWritable()`):
   *   a copy per chunk, each write awaited; closed at the end, aborted on
   *   failure.
   *
   * The image is of the maps as they are at this call, and the runtime is
   * frozen until the promise settles, as with `snapshotStream`. Closing
   * the runtime meanwhile rejects it with `RuntimeClosedError` (the
   * Writable is destroyed, the stream aborted, the temporary file removed).
   */
  async snapshotTo(target: SnapshotTarget, options: SnapshotOptions): Promise<{ bytes: number }> {
    currentOp.name = "Runtime.snapshotTo";
    const t = writeTarget(target);
    const job = this.#imageJob(options, "rt.snapshotTo");
    return { bytes: await writeJob(job, t) };
  }

  /** A streamed snapshot: the plan made now, the runtime frozen until
   *  the job finishes (thawed once, on whichever end comes first). */
  #imageJob(options: SnapshotOptions, what: string): ImageJob {
    const src = this.#imageSource(options, what);
    const b = boundaryOf(this);
    if (!b.freeze()) {
      // An exception escaped a write and nothing has reported it yet: the
      // runtime dies of it here, as the next guarded call would make it.
      src.done();
      throw b.trapped(b.escaped, what, true);
    }
    const next = imageViews(src.plan, src.b);
    const memory = src.b.memory;
    let finished = false;
    return {
      totalBytes: src.plan.totalBytes,
      next: (chunk) => {
        if (finished) return null;
        if (this.#closed) throw new RuntimeClosedError();
        return next(chunk);
      },
      inMemory: (v) => v.buffer === memory.buffer,
      finish: () => {
        if (finished) return;
        finished = true;
        b.thaw();
        src.done();
        const q = afterThaw.get(this);
        afterThaw.delete(this);
        if (!q || this.#closed || b.dead) return;
        for (const release of q) {
          try {
            release();
          } catch {
            // as in the backstops: the runtime died meanwhile
          }
        }
      },
    };
  }

  /** The STATE and memory of an image of the named maps (rt.snapshot and
   *  the streamed forms): the plan, the instance it reads from, and what to
   *  do when the image is written. */
  #imageSource(options: SnapshotOptions, what: string): { plan: ImagePlan; b: Boundary; done: () => void } {
    if (options === null || typeof options !== "object") throw new InvalidArgumentError("options", "must be an object");
    for (const k of Object.keys(options)) {
      if (k !== "maps") throw new InvalidArgumentError(k, "unknown snapshot option; known: maps");
    }
    const sel = options.maps;
    if (sel === null || typeof sel !== "object" || Array.isArray(sel))
      throw new InvalidArgumentError("maps", "expected an object of maps by name, e.g. { maps: { users: m } }");
    const chosen: [string, GoMap][] = [];
    for (const name of Object.keys(sel)) {
      const m = sel[name];
      this.#own(m as GoMap);
      if ((m as GoMap).freed) throw new UseAfterFreeError();
      chosen.push([name, m as GoMap]);
    }
    const b = boundaryOf(this);
    if (b.frozen) throw new SnapshotInProgressError(what);
    if (b.dead) throw new RuntimeDeadError(b.dead);
    const fingerprint = this.#module ? coreFingerprint(this.#module) : null;
    if (!fingerprint)
      throw new InvalidArgumentError("rt", "this runtime's core has no fingerprint section: it cannot make snapshots");
    const chosenHandles = new Set(chosen.map(([, m]) => mapHandle(m)));
    let all = true;
    for (const [, m] of this.#liveWrappers()) if (!m.freed && !chosenHandles.has(mapHandle(m))) all = false;
    const maxPages = this.maxMemory / 65536;
    const host = (src: Boundary, stats: unknown): ImageState["host"] => ({
      maxMemory: this.maxMemory,
      memProfileRate: profileOf(src).rate,
      gcPercent: readGCPercent(src),
      timeOrigin: performance.timeOrigin,
      stats,
    });
    if (all) {
      b.gc(); // the quiet point: no cycle running, sweeping done
      if (b.events.pending) b.events.deliver();
      if (this.#closed || b.dead) throw this.#closed ? new RuntimeClosedError() : new RuntimeDeadError(b.dead!);
      const maps = chosen.map(([name, m]) => ({ name, key: m.keyType, value: m.valueType, h: mapHandle(m) }));
      return { plan: planImage(b, fingerprint, maxPages, host(b, this.#stats.toJSON()), maps), b, done: () => {} };
    }
    // Some maps: copy them into a scratch instance, image that.
    let nb: Boundary;
    try {
      nb = Boundary.instantiateSync(this.#module!, maxPages, this.debug, 1, b.shared);
    } catch (e) {
      if (e instanceof RangeError) throw new OutOfMemoryError(0, this.maxMemory, "a scratch instance for the snapshot");
      throw e;
    }
    attachProfile(nb);
    nb.setMemProfileRate(profileOf(b).rate);
    if (!nb.init(maxPages)) throw new OutOfMemoryError(0, this.maxMemory, "a scratch instance for the snapshot");
    const seed = crypto.getRandomValues(new Uint32Array(2));
    nb.exports.seedRandom(seed[0]!, seed[1]!);
    nb.exports.setGCPercent(-1);
    if (!nb.rootsReserve(Math.max(64, chosen.length)))
      throw new OutOfMemoryError(0, this.maxMemory, "the snapshot's root table");
    const copied = new Map<number, number>();
    const maps: ImageMap[] = [];
    for (const [name, m] of chosen) {
      const h = mapHandle(m);
      let nh = copied.get(h);
      if (nh === undefined) {
        nh = copyMap(b, nb, {
          suffix: coreSuffix(m.keyType, m.valueType),
          key: m.keyType,
          value: m.valueType,
          h,
          root: copied.size,
        });
        if (nh === 0) throw new OutOfMemoryError(0, this.maxMemory, "copying the maps for the snapshot");
        copied.set(h, nh);
      }
      maps.push({ name, key: m.keyType, value: m.valueType, h: nh });
    }
    nb.exports.setGCPercent(readGCPercent(b));
    nb.gc();
    return {
      plan: planImage(nb, fingerprint, maxPages, host(nb, new CumulativeStats().toJSON()), maps),
      b: nb,
      done: () => {},
    };
  }

  /**
   * Load an image made by `rt.snapshot` (docs/snapshot.md): a new runtime
   * holding its maps, by the names they were saved under. The image is
   * checked before anything is trusted — its header, its core fingerprint
   * (only the gomap-wasm build that made it reads it; `debug` must match),
   * its checksum, and the core's structural checks of the heap and of every
   * map — and refused with a `SnapshotError` naming what is wrong; nothing
   * is kept then. Memory needed: the image's linear memory, which must fit
   * under `maxMemory` (by default the cap the image was made under, the
   * most it can have: the page map's size depends on it).
   *
   * `reseed: true` rebuilds every map under a fresh random hash seed (for
   * images from elsewhere: their seeds are known to whoever made them).
   */
  static async restore(image: Uint8Array, options?: RestoreOptions): Promise<RestoreResult> {
    currentOp.name = "Runtime.restore";
    if (!(image instanceof Uint8Array))
      throw new InvalidArgumentError("image", "expected a Uint8Array (the bytes of rt.snapshot)");
    return Runtime.#restore(bytesReader(image), options);
  }

  /**
   * `Runtime.restore` from a source read as it comes, never holding the
   * image twice (docs/snapshot.md, "Streams and files"):
   *
   * - a file path or `file:` URL (Node): positional reads straight into
   *   the new linear memory;
   * - a `Blob` (a browser `File` included): read a piece at a time;
   * - a WHATWG `ReadableStream`, or any async iterable of `Uint8Array`
   *   chunks (a Node `Readable`): each chunk copied into memory as it
   *   comes;
   * - a `Uint8Array`: as `Runtime.restore`.
   *
   * The image is checked as `Runtime.restore` checks it. A file or Blob
   * shorter or longer than its header says, or a stream that ends early,
   * is `SnapshotError` "truncated" (longer: "sections"); a stream that
   * goes on after the image's last section is "sections"; a chunk that is
   * not a `Uint8Array` is `InvalidArgumentError`. An error of the source
   * (a Readable that fails half-way, a file that cannot be opened: Node's
   * own error, e.g. ENOENT) rejects with that error. On any failure
   * nothing is kept and a stream source is cancelled (a Node Readable
   * destroyed).
   */
  static async restoreFrom(source: SnapshotSource, options?: RestoreOptions): Promise<RestoreResult> {
    currentOp.name = "Runtime.restoreFrom";
    const reader = await openSource(source, bytesReader);
    let result: RestoreResult;
    try {
      result = await Runtime.#restore(reader, options);
    } catch (e) {
      await reader.close(e);
      throw e;
    }
    await reader.close();
    return result;
  }

  /** @internal The restore of any image source (bytes, files, streams). */
  static async restoreReader(reader: ImageReader, options?: RestoreOptions): Promise<RestoreResult> {
    return Runtime.#restore(reader, options);
  }

  static async #restore(reader: ImageReader, options?: RestoreOptions): Promise<RestoreResult> {
    const { reseed, rest, given } = splitRestoreOptions(options);
    const o = resolveOptions(rest);
    // The same whitelist as Runtime.create: an image cannot bring trust.
    const { module } = await trustedCore(o, "Runtime.restore({ trusted: true })");
    const img = await readImage(
      module,
      o.debug,
      reader,
      (maxPages, initialPages) => {
        if (given.maxMemory && o.maxMemory < initialPages * 65536)
          throw new InvalidOptionError(
            "maxMemory",
            `${o.maxMemory} bytes cannot hold the image's ${initialPages * 65536} bytes of memory`,
          );
        if (given.maxMemory && o.maxMemory > maxPages * 65536)
          throw new InvalidOptionError(
            "maxMemory",
            `${o.maxMemory} bytes is over the cap the image was made under (${maxPages * 65536} bytes); a restore may lower the cap, not raise it`,
          );
        try {
          return Boundary.instantiateSync(module, maxPages, o.debug, initialPages, o.shared);
        } catch (e) {
          if (e instanceof RangeError)
            throw new OutOfMemoryError(initialPages * 65536, maxPages * 65536, "the image's memory");
          throw e;
        }
      },
      verifyStructure,
    );
    const { b, header, state } = img;
    b.exports.setShared(o.shared); // the image's own flag came back with its globals: this runtime's wins
    // The sequence words (docs/shared.md) start afresh, whatever the image
    // held: a crafted image's closed control word or odd words would stop or
    // stall this runtime's readers (and a word odd at rest is even during a
    // write). Control word first, group table last (assembly/map/seqlock.ts).
    b.u8.fill(0, b.exports.controlWord() >>> 0, (b.exports.groupTable() >>> 0) + 4 * b.exports.seqGroupWords());
    const maxMemory = given.maxMemory ? o.maxMemory : header.maxPages * 65536;
    if (maxMemory < header.maxPages * 65536) b.exports.setGrowthPolicy(false, maxMemory / 65536);
    attachProfile(b);
    currentOp.name = "Runtime.restore";
    // A fresh random stream: a restored runtime must not replay the
    // image's (new maps' seeds, iteration starts).
    const seed = crypto.getRandomValues(new Uint32Array(2));
    b.exports.seedRandom(seed[0]!, seed[1]!);
    if (given.memProfileRate) b.setMemProfileRate(o.memProfileRate);
    b.exports.setGCPercent(given.gcPercent ? o.gcPercent : state.host.gcPercent);
    const trace = o.gctrace === true ? (line: string) => console.error(line) : o.gctrace === false ? null : o.gctrace;
    // Roots: the image's slots held its maps, pins, iterators and pools;
    // only the maps come back. Clear every slot, then root the maps anew.
    const rootsCap = Number(b.stateGlobal("assembly/gc/roots/rootsCap").value) >>> 0;
    for (let i = 0; i < rootsCap; i++) b.exports.rootsSet(i, 0);
    // The host's root table starts at 64 slots (as Runtime.create's does):
    // the core's must hold them, whatever rootsCap the image claimed.
    if (!b.rootsReserve(64)) throw new OutOfMemoryError(256, maxMemory, "the restored runtime's root table");
    const rt = new Runtime(b, maxMemory, trace, o.trusted);
    rt.#module = module;
    if (!rt.#stats.load(state.host.stats)) {
      rt.close();
      throw new SnapshotError("state", "host.stats is not the shape of cumulative MemStats");
    }
    const maps: Record<string, GoMap> = {};
    const byHandle = new Map<number, GoMap>();
    for (const e of state.maps) {
      let m = byHandle.get(e.h);
      if (!m) {
        b.setHooked(e.h, false); // hooks are host callbacks: not carried
        const slot = rt.#roots.acquire();
        rt.#roots.set(slot, e.h);
        rt.#liveMaps++;
        m = rt.#wrap(e.key as KindName, e.value as KindName, e.h, slot, cryptoRandom32);
        byHandle.set(e.h, m);
      }
      // An own property even for "__proto__" (an assignment would set the
      // object's prototype instead).
      Object.defineProperty(maps, e.name, { value: m, enumerable: true, writable: true, configurable: true });
    }
    if (reseed) {
      try {
        await rt.#reseedAll();
      } catch (e) {
        rt.close();
        throw e;
      }
    }
    return { rt, maps };
  }

  /** restore({ reseed: true }): every map again under a fresh seed, by a
   *  compaction whose copies draw new seeds. */
  async #reseedAll(): Promise<void> {
    this.#reseedNext = true;
    await this.compact();
  }
  #reseedNext = false;

  /** Every map with a live wrapper, by root slot. */
  *#liveWrappers(): Iterable<[number, GoMap]> {
    for (const [slot, ref] of this.#maps) {
      const m = ref.deref();
      if (m) yield [slot, m];
    }
  }

  /** Go's runtime.ReadMemStats: MemStats with Go's field names and
   *  definitions (src/memstats.ts); cumulative counters carry on across
   *  compactions. */
  readMemStats(): MemStats {
    return this.#stats.read(boundaryOf(this), this.#createdMs);
  }

  /** The shape of a map: B, counts, tophash states, growth progress, bytes. */
  inspect(m: GoMap): MapInspection {
    this.#own(m);
    return inspectMap(boundaryOf(this), mapOps(m), mapHandle(m), coreSuffix(m.keyType, m.valueType));
  }

  /** A copy of every tophash byte of the map (both arrays while it grows,
   *  overflow chains included): the slot states the explorer draws. Safe:
   *  read-only, no raw pointers escape. */
  inspectBuckets(m: GoMap): BucketsInspection {
    this.#own(m);
    return inspectBuckets(boundaryOf(this), mapHandle(m), coreSuffix(m.keyType, m.valueType));
  }

  /** Every span, free run and metadata page of the heap, span classes
   *  summed, and the collector's progress. Reads only (no allocation). */
  inspectHeap(): HeapInspection {
    return inspectHeap(boundaryOf(this));
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

/** Where keepAlive stores its argument: an observable write the engine cannot drop. */
const keepAliveSink: { value: unknown } = { value: undefined };

/** Heap pages a runtime needs beyond the core's minimum to hold a first
 *  map (checked by test/lifecycle.test.ts: the suggested minimum holds
 *  entries). */
const FIRST_MAP_PAGES = 4;

/** Instantiate a compiled core; a module that is not this package's core
 *  (wrong imports or exports) is a WasmLoadError. */
async function instantiate(
  module: WebAssembly.Module,
  maxPages: number,
  debug: boolean,
  build: string,
  shared: boolean,
): Promise<Boundary> {
  try {
    return await Boundary.instantiate(module, maxPages, debug, 1, shared);
  } catch (e) {
    if (e instanceof RangeError) throw e; // the memory itself could not be had
    throw new WasmLoadError(`the module is not gomap-wasm's ${build} core (${(e as Error).message})`, {}, e);
  }
}

/** The core build for these options. */
function buildName(debug: boolean, shared: boolean): BuildName {
  return shared ? (debug ? "debug-shared" : "release-shared") : debug ? "debug" : "release";
}

/** The environment whitelist when `trusted` is asked for (UnsafeNotAllowedError
 *  naming `call` if a check fails), then the core build for the options. */
async function trustedCore(
  o: ResolvedOptions,
  call: string,
): Promise<{ build: BuildName; module: WebAssembly.Module }> {
  if (o.trusted) {
    const failed = environmentChecks()
      .filter((c) => !c.ok)
      .map((c) => c.name);
    if (failed.length) throw new UnsafeNotAllowedError(call, failed, true);
  }
  const build = buildName(o.debug, o.shared);
  return { build, module: await loadCore(build, o.wasm) };
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
