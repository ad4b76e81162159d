/**
 * Iteration over a GoMap: Go's hiter on the host side.
 *
 * `GoMapIterator` keeps the core's hiter state between core calls (copied in
 * and out of the scratch area), fetches ITER_BATCH entries per call
 * (mapiternext, batched) and yields them one by one; `GoMapProjection` is
 * keys()/values() over it. Both inherit %IteratorPrototype%, as Map's
 * iterators do, so engines with iterator helpers give them map/filter/take.
 *
 * While it runs, an iterator holds four root slots, in which the core
 * keeps exactly what the iterator will read on its next call (Go's hiter
 * fields buckets, bptr, overflow, oldoverflow: the snapshot array, the
 * bucket it stopped in, and for noscan maps the overflow lists of the
 * snapshot and of the old array; assembly/map/iter.ts), released when it
 * finishes, on `return()` / dispose, or by its map's FinalizationRegistry
 * backstop if it is dropped half-way.
 */
import type { Boundary, MapOps } from "./boundary.js";
import {
  type CoreTrapError,
  IteratorInvalidatedError,
  type RuntimeAbortError,
  RuntimeDeadError,
  OutOfMemoryError,
  RuntimeClosedError,
  SnapshotInProgressError,
} from "./errors.js";
import type { KindName, KindSpec, KindValue } from "./maptypes.js";
import { readBatch, type ValueReader } from "./codec.js";
import { COUNT_CONCURRENT } from "./status.js";
import type { GoMap, MapOwner } from "./map.js";

/** Entries fetched per core call while iterating. */
const ITER_BATCH = 512;

/** A map's change counters: `epoch` is bumped by clear/shrink/free (live
 *  iterators then throw), `writes` by every write (an iterator re-checks
 *  entries it fetched before a write). */
export interface MapGeneration {
  epoch: number;
  writes: number;
  invalidation: string;
  /** The runtime was closed (iterators throw RuntimeClosedError). */
  closed: boolean;
  /** The runtime died (iterators throw RuntimeDeadError naming this). */
  dead?: RuntimeAbortError | CoreTrapError;
}

/** What an iterator needs from its map. */
export interface IterHooks {
  b: Boundary;
  ops: MapOps;
  h: number;
  /** The map's counters, shared (read directly, no call per step). */
  gen: MapGeneration;
  random: () => number;
  owner: MapOwner;
  keyKind: KindName;
  key: KindSpec;
  valBytes: number;
  read: ValueReader;
  /** The value slot of a key now (0 when absent). */
  lookup(key: unknown): number;
  valueKind: KindName;
}

const FINISHED_ITER = Object.freeze({}) as IterHooks;

/** %IteratorPrototype%: where engines with iterator helpers (Node 22+,
 *  Chromium) keep map/filter/take/toArray…; our iterators inherit from it,
 *  as Map's do. (Node 20 has no helpers: the prototype is still right.) */
/** No batch (before the first fetch, after the end). */
const EMPTY: ArrayLike<unknown> = Object.freeze([]);

const ITERATOR_PROTOTYPE: object = Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]()));

/** Go's hiter on the host side: the state between core calls, a batch of
 *  fetched entries, and four root slots. */
export class GoMapIterator<K extends KindName, V extends KindName> {
  #m: GoMap<K, V>;
  #x: IterHooks;
  #state: Uint8Array;
  #epoch: number;
  #slots: number[] | null;
  /** The fetched batch: keys and values (typed arrays for numeric kinds,
   *  copied out of the scratch area in one go), #n of them, #pos read. */
  #ks: ArrayLike<unknown> = EMPTY;
  #vs: ArrayLike<unknown> = EMPTY;
  #n = 0;
  #pos = 0;
  #batchWrites = 0;
  #done = false;
  /** Set when a fetched batch was lost: every later step throws it. */
  #broken: IteratorInvalidatedError | null = null;

  constructor(m: GoMap<K, V>, x: IterHooks) {
    this.#m = m;
    this.#x = x;
    const b = x.b;
    // Starting one takes root slots and writes them (mapiterinit): not
    // while a streamed snapshot reads the heap (checked before a slot is
    // taken, so a refused start holds none).
    if (b.frozen) throw new SnapshotInProgressError("starting a map iteration");
    this.#epoch = x.gen.epoch;
    this.#state = new Uint8Array(b.hiterBytes);
    const roots = x.owner.roots;
    const slots: number[] = [];
    try {
      for (let i = 0; i < 4; i++) slots.push(roots.acquire());
    } catch (e) {
      for (const s of slots) roots.release(s);
      throw e;
    }
    this.#slots = slots;
    const itAddr = b.scratchBase;
    const r = x.random();
    // A noscan map's iterator needs the map's overflow list to exist (Go's
    // createOverflow in mapiterinit): out of memory, collect and try once
    // more, as a write does.
    let ok = b.exports.mapiterinit(x.h, itAddr, r, slots[0]!, slots[1]!, slots[2]!, slots[3]!);
    if (!ok) {
      b.gc();
      ok = b.exports.mapiterinit(x.h, itAddr, r, slots[0]!, slots[1]!, slots[2]!, slots[3]!);
    }
    if (!ok) {
      for (const s of slots) roots.release(s);
      this.#slots = null;
      const err = new OutOfMemoryError(0, x.owner.maxMemory, "starting an iteration");
      if (b.events.pending) {
        try {
          b.events.deliver(); // the collection's gctrace line, before the error
        } catch (e) {
          Object.defineProperty(err, "cause", { value: e, writable: true, configurable: true });
        }
      }
      throw err;
    }
    this.#state.set(b.u8.subarray(itAddr, itAddr + b.hiterBytes));
    x.owner.iterRegistry.register(this, slots, this);
    if (b.events.pending) b.events.deliver(); // taking root slots may have ended a cycle
  }

  [Symbol.iterator](): this {
    return this;
  }

  get [Symbol.toStringTag](): string {
    return "GoMap Iterator";
  }

  next(): IteratorResult<[KindValue<K>, KindValue<V>], undefined> {
    // The common step, small enough for V8 to inline into a for-of loop:
    // the next fetched entry while the map was not written since the fetch.
    const i = this.#pos;
    const x = this.#x;
    if (i < this.#n && x.gen.writes === this.#batchWrites && x.gen.epoch === this.#epoch) {
      this.#pos = i + 1;
      return { done: false, value: [this.#ks[i] as KindValue<K>, this.#vs[i] as KindValue<V>] };
    }
    const e = this.#step();
    return e === null ? { done: true, value: undefined } : { done: false, value: e };
  }

  /** The next entry, or null at the end (Go's mapiternext, batched). */
  #step(): [KindValue<K>, KindValue<V>] | null {
    const x = this.#x;
    for (;;) {
      if (this.#done) {
        if (this.#broken !== null) throw this.#broken;
        return null;
      }
      if (x.gen.epoch !== this.#epoch) {
        const closed = x.gen.closed;
        this.#finish();
        const dead = x.gen.dead;
        throw closed
          ? new RuntimeClosedError("map iterator")
          : dead
            ? new RuntimeDeadError(dead)
            : new IteratorInvalidatedError(x.gen.invalidation);
      }
      if (this.#pos < this.#n) {
        const i = this.#pos++;
        const k = this.#ks[i] as KindValue<K>;
        if (x.gen.writes !== this.#batchWrites && !(typeof k === "number" && Number.isNaN(k))) {
          const slot = x.lookup(k);
          if (slot === 0) continue;
          return [k, x.read(x.b, slot) as KindValue<V>];
        }
        return [k, this.#vs[i] as KindValue<V>];
      }
      if (!this.#fetch()) {
        this.#finish();
        return null;
      }
    }
  }

  return(): IteratorResult<[KindValue<K>, KindValue<V>], undefined> {
    this.#finish();
    return { done: true, value: undefined };
  }

  /** `using it = m.entries()`: release the iterator at the end of the block. */
  [Symbol.dispose](): void {
    this.#finish();
  }

  /** Call fn(value, key, m) for every remaining entry (with `this` =
   *  thisArg): forEach's loop, under next()'s rules, with no entry array or
   *  iterator result per entry. */
  each<M>(fn: (this: unknown, v: KindValue<V>, k: KindValue<K>, m: M) => void, thisArg: unknown, m: M): void {
    for (;;) {
      const x = this.#x;
      const gen = x.gen;
      const ks = this.#ks;
      const vs = this.#vs;
      const n = this.#n;
      const writes = this.#batchWrites;
      const epoch = this.#epoch;
      // Straight through the batch while nothing was written; the checks
      // and re-lookups of #step otherwise (fn may write, free or clear).
      // (fn cannot reach this iterator: #pos is stored once, after the run.)
      let i = this.#pos;
      try {
        if (thisArg === undefined) {
          for (; i < n && gen.writes === writes && gen.epoch === epoch; i++)
            fn(vs[i] as KindValue<V>, ks[i] as KindValue<K>, m);
        } else {
          for (; i < n && gen.writes === writes && gen.epoch === epoch; i++)
            fn.call(thisArg, vs[i] as KindValue<V>, ks[i] as KindValue<K>, m);
        }
      } finally {
        this.#pos = i;
      }
      const e = this.#step(); // a written map's next entry, or the next batch (or the end)
      if (e === null) return;
      fn.call(thisArg, e[1], e[0], m);
    }
  }

  /** One core call: up to ITER_BATCH entries. False when there are none. */
  #fetch(): boolean {
    const x = this.#x;
    const b = x.b;
    // A step moves the iterator's root slots, which live in the heap a
    // streamed snapshot is reading: refused until it ends (the entries
    // already fetched are handed out; nothing here has changed).
    if (b.frozen) throw new SnapshotInProgressError("a map iteration step");
    const itAddr = b.scratchBase;
    const kAddr = itAddr + 64;
    const vAddr = kAddr + ITER_BATCH * 8;
    b.u8.set(this.#state, itAddr);
    const n = x.ops.iternext(itAddr, kAddr, vAddr, ITER_BATCH) >>> 0;
    if (n === COUNT_CONCURRENT) throw b.halfWay("a map iteration step"); // (the boundary's wrapper says so first)
    this.#state.set(b.u8.subarray(itAddr, itAddr + b.hiterBytes));
    // The core has moved on (its roots follow the new position): if the
    // batch cannot be read out now (a stack overflow, say), its entries are
    // lost to this iteration, which must then fail rather than end early.
    let ks: ArrayLike<unknown>;
    let vs: ArrayLike<unknown>;
    try {
      ks = readBatch(b, x.keyKind, kAddr, n);
      vs = readBatch(b, x.valueKind, vAddr, n);
    } catch (e) {
      const broken = new IteratorInvalidatedError("");
      broken.message =
        "map iterator invalidated: a step failed after the core had handed out its entries (they are lost to this iteration); start a new one";
      this.#broken = broken;
      this.#finish();
      throw e;
    }
    this.#ks = ks;
    this.#vs = vs;
    this.#n = n;
    this.#pos = 0;
    this.#batchWrites = x.gen.writes;
    return n > 0;
  }

  #finish(): void {
    if (this.#done) return;
    this.#done = true;
    this.#ks = EMPTY;
    this.#vs = EMPTY;
    this.#n = 0;
    const slots = this.#slots;
    this.#slots = null;
    if (slots && !this.#x.gen.closed) {
      this.#x.owner.iterRegistry.unregister(this);
      for (const s of slots) this.#x.owner.roots.release(s);
    }
    // A finished iterator holds nothing of the runtime (#step returns at
    // #done before it reads #x).
    this.#x = FINISHED_ITER;
    void this.#m;
  }
}

/** keys() / values(): one side of each entry of an entries() iterator. */
export class GoMapProjection<K extends KindName, V extends KindName> {
  #it: GoMapIterator<K, V>;
  #side: 0 | 1;
  constructor(it: GoMapIterator<K, V>, side: 0 | 1) {
    this.#it = it;
    this.#side = side;
  }
  next(): IteratorResult<KindValue<K> | KindValue<V>, undefined> {
    const r = this.#it.next();
    return r.done ? { done: true, value: undefined } : { done: false, value: r.value[this.#side] };
  }
  return(): IteratorResult<KindValue<K> | KindValue<V>, undefined> {
    this.#it.return();
    return { done: true, value: undefined };
  }
  [Symbol.iterator](): this {
    return this;
  }
  [Symbol.dispose](): void {
    this.#it.return();
  }
  get [Symbol.toStringTag](): string {
    return "GoMap Iterator";
  }
}

Object.setPrototypeOf(GoMapIterator.prototype, ITERATOR_PROTOTYPE);
Object.setPrototypeOf(GoMapProjection.prototype, ITERATOR_PROTOTYPE);
