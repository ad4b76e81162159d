/**
 * `rt.pool({ key, value, generation, hint? })`: Go's `sync.Pool` for maps,
 * with the article's generations.
 *
 * - `get()` hands out a cleared map: the most recently put one (LIFO, its
 *   buckets still warm), else one from the victim cache, else a new map
 *   made with the pool's hint (a miss).
 * - `put(m)` clears the map (Go's mapclear: B and the bucket array stay, so
 *   the next user does not grow it again) and keeps it. The `GoMap` object
 *   the caller held dies: any later use of it throws `UseAfterFreeError`
 *   ("put back into a pool"), and so does putting it back twice. `get()`
 *   returns a new `GoMap` object over the same memory.
 * - Victim cache, as sync.Pool's poolCleanup (called by Go's clearpools at
 *   the start of every cycle, before the write barrier is on): at each
 *   collection's start the pooled maps move to the victim cache and the
 *   previous victims are dropped (freed), so a pooled map nobody reuses is
 *   dropped across two collections and its memory is reclaimed by the
 *   second one's sweep. The core calls the host at that point (env.gcStart).
 * - Generations: each has its own pool, its own expected lifetime and size
 *   hint, and a cap on idle maps (a put beyond the cap frees the map:
 *   counted as dropped). Stable maps are few and big: keeping many idle
 *   would pin a lot of memory; transient ones are many and small.
 */
import type { GoMap } from "./map.js";
import type { KindName } from "./maptypes.js";
import { currentOp } from "./profile.js";

/** A pool's generation (the article's): the expected lifetime of its maps,
 *  which picks the pool's default hint and maxIdle (`GENERATIONS`). */
export type Generation = "transient" | "transaction" | "stable";

/** Defaults per generation (hint: expected entries; maxIdle: maps kept). */
export const GENERATIONS: Readonly<Record<Generation, { hint: number; maxIdle: number; lifetime: string }>> = {
  transient: {
    hint: 8,
    maxIdle: 256,
    lifetime: "one request or task: filled and dropped within microseconds to milliseconds",
  },
  transaction: {
    hint: 1024,
    maxIdle: 32,
    lifetime: "one transaction or batch: lives for many operations, then dropped",
  },
  stable: { hint: 65536, maxIdle: 4, lifetime: "long-lived caches and indexes: rebuilt rarely" },
};

/** Options of `rt.pool`. An unknown option or a bad value throws
 *  InvalidArgumentError. */
export interface PoolOptions<K extends KindName, V extends KindName> {
  /** Key kind of the pool's maps. */
  key: K;
  /** Value kind of the pool's maps. */
  value: V;
  /** The maps' generation: picks the defaults of hint and maxIdle. */
  generation: Generation;
  /** Entries a new map is made for (default: the generation's). */
  hint?: number;
  /** Idle maps kept at most (default: the generation's). */
  maxIdle?: number;
}

/** Counters of one pool (`pool.stats()`). */
export interface PoolStats {
  /** The pool's generation. */
  generation: Generation;
  /** Key kind of the pool's maps. */
  key: KindName;
  /** Value kind of the pool's maps. */
  value: KindName;
  /** Entries a new map is made for. */
  hint: number;
  /** get() calls. */
  gets: number;
  /** put() calls (those over maxIdle included). */
  puts: number;
  /** gets served from the pool (primary or victim). */
  hits: number;
  /** gets that made a new map. */
  misses: number;
  /** pooled maps freed: by the victim cache, or a put over maxIdle. */
  dropped: number;
  /** maps in the primary list now (handed out first). */
  idle: number;
  /** maps in the victim cache now (freed at the next collection's start
   *  unless a get() takes them first). */
  victims: number;
}

/** What a pool needs from its runtime (src/runtime.ts provides it). */
export interface PoolHost<K extends KindName, V extends KindName> {
  make(hint: number): GoMap<K, V>;
  /** Take the map's memory and root out of its wrapper (the wrapper dies). */
  park(m: GoMap<K, V>): Parked;
  /** A new wrapper over a parked map. */
  unpark(p: Parked): GoMap<K, V>;
  /** Free a parked map (its root is released). */
  drop(p: Parked): void;
  /** Throws unless m is a live map of this runtime with the pool's kinds. */
  check(m: GoMap<K, V>): void;
  /** The pool is closed: forget it. */
  forget(): void;
}

/** A map held by a pool: no wrapper, its root slot still held. */
export interface Parked {
  h: number;
  root: number;
}

let construct: <K extends KindName, V extends KindName>(
  host: PoolHost<K, V>,
  key: K,
  value: V,
  generation: Generation,
  hint: number,
  maxIdle: number,
) => MapPool<K, V>;
let cycleStart: (p: MapPool) => void;
let closed: (p: MapPool) => void;

/** @internal The pool's runtime was closed. */
export function poolClose(p: MapPool): void {
  closed(p);
}

/** @internal A pool over `host` (src/runtime.ts). */
export function newMapPool<K extends KindName, V extends KindName>(
  host: PoolHost<K, V>,
  key: K,
  value: V,
  generation: Generation,
  hint: number,
  maxIdle: number,
): MapPool<K, V> {
  return construct(host, key, value, generation, hint, maxIdle);
}

/** @internal The victim-cache step at a collection's start. */
export function poolCycleStart(p: MapPool): void {
  cycleStart(p);
}

/**
 * A pool of cleared maps of one key/value kind and one generation, made by
 * `rt.pool(...)`: Go's sync.Pool with a victim cache. `get()` hands out the
 * most recently put map (its bucket array kept), else a victim, else a new
 * map; `put(m)` clears `m` and keeps its memory (the `m` object itself dies:
 * use the map `get()` returns). At each collection's start the idle maps
 * become victims and the previous victims are freed, so a map nobody reuses
 * is gone after two collections. After `rt.close()`, get() and put() throw
 * RuntimeClosedError.
 */
export class MapPool<K extends KindName = KindName, V extends KindName = KindName> {
  /** Key kind of the pool's maps. */
  readonly key: K;
  /** Value kind of the pool's maps. */
  readonly value: V;
  /** The pool's generation. */
  readonly generation: Generation;
  /** Entries a new map is made for (Go's `make(map, hint)`). */
  readonly hint: number;
  /** Maps the primary list keeps at most: a put() beyond it frees the map
   *  (counted in `stats().dropped`). */
  readonly maxIdle: number;
  #host: PoolHost<K, V>;
  #primary: Parked[] = [];
  #victim: Parked[] = [];
  #stats = { gets: 0, puts: 0, hits: 0, misses: 0, dropped: 0 };

  static {
    construct = (host, key, value, generation, hint, maxIdle) =>
      new MapPool(host, key, value, generation, hint, maxIdle);
    cycleStart = (p) => p.#onCycleStart();
    closed = (p) => {
      // The runtime closed: its maps are gone with it; forget them.
      p.#primary = [];
      p.#victim = [];
      p.#closed = true;
    };
  }

  /** Pools are made by `rt.pool(...)`. */
  private constructor(host: PoolHost<K, V>, key: K, value: V, generation: Generation, hint: number, maxIdle: number) {
    this.#host = host;
    this.key = key;
    this.value = value;
    this.generation = generation;
    this.hint = hint;
    this.maxIdle = maxIdle;
  }

  /** A cleared map: reused when the pool has one, else new. */
  get(): GoMap<K, V> {
    this.#stats.gets++;
    const p = this.#primary.pop() ?? this.#victim.pop();
    if (p) {
      this.#stats.hits++;
      return this.#host.unpark(p);
    }
    this.#stats.misses++;
    return this.#host.make(this.hint);
  }

  /** Clear `m` and keep it for the next get(). `m` must not be used again. */
  put(m: GoMap<K, V>): void {
    this.#host.check(m);
    currentOp.name = "MapPool.put";
    m.clear();
    const p = this.#host.park(m);
    this.#stats.puts++;
    if (this.#closed || this.#primary.length >= this.maxIdle) {
      this.#stats.dropped++;
      this.#host.drop(p);
      return;
    }
    this.#primary.push(p);
  }

  /** Free every idle map now. */
  drain(): void {
    for (const p of [...this.#primary, ...this.#victim]) {
      this.#stats.dropped++;
      this.#host.drop(p);
    }
    this.#primary = [];
    this.#victim = [];
  }

  /** Drain the pool and detach it from its runtime (later get() makes new
   *  maps, later put() frees them). */
  close(): void {
    this.drain();
    this.#closed = true;
    this.#host.forget();
  }
  #closed = false;

  /** A snapshot of the pool's counters. */
  stats(): PoolStats {
    return {
      generation: this.generation,
      key: this.key,
      value: this.value,
      hint: this.hint,
      ...this.#stats,
      idle: this.#primary.length,
      victims: this.#victim.length,
    };
  }

  /** sync.Pool's poolCleanup: at the start of a collection the
   *  victims are dropped and the primary list becomes the victim cache.
   *  Only clears root slots (the core is inside gcStart). */
  #onCycleStart(): void {
    for (const p of this.#victim) {
      this.#stats.dropped++;
      this.#host.drop(p);
    }
    this.#victim = this.#primary;
    this.#primary = [];
  }

  /** "MapPool". */
  get [Symbol.toStringTag](): string {
    return "MapPool";
  }
}
