/**
 * `GoMap`: the host side of one Go map in linear memory.
 *
 * It feels like a JS `Map` (set/get/has/delete/size/clear, keys/values/
 * entries/forEach/iterator) and adds what Go's map has and `Map` has not:
 * batch paths over typed arrays, `shrink()`, explicit `free()`.
 *
 * Every call checks its input first (a bad key or value throws
 * `InvalidArgumentError` and changes nothing), then makes one core call.
 * `get` and `set` follow Go: the core returns the address of the value slot
 * (mapaccess / mapassign) and the host reads or writes the value there
 * through a typed-array view.
 */
import { type Boundary, FROZEN, type MapOps } from "./boundary.js";
import {
  type CoreTrapError,
  GomapError,
  InvalidArgumentError,
  OutOfMemoryError,
  type RuntimeAbortError,
  RuntimeClosedError,
  RuntimeDeadError,
  SnapshotInProgressError,
  UseAfterFreeError,
} from "./errors.js";
import {
  KINDS,
  isBytes,
  coreSuffix,
  isRefKind,
  isTypedArrayOf,
  realBytes,
  viewLength,
  type KindArray,
  type KindInput,
  type KindName,
  type KindSpec,
  type KindValue,
} from "./maptypes.js";
import { encodeInto } from "./wtf8.js";
import { READ, readBytes, readString, type ValueReader } from "./codec.js";
import { GoMapIterator, GoMapProjection, type IterHooks, type MapGeneration } from "./iterator.js";
import { EventQueue } from "./events.js";
import { HALF_SCRATCH, packChunk, type NumArray } from "./batch.js";
import {
  BATCH_CONCURRENT,
  BATCH_OOM,
  COUNT_CONCURRENT,
  DELETE_CONCURRENT,
  DELETE_DELETED,
  DELETE_OOM,
  SHRINK_CONCURRENT,
  SHRINK_OOM,
  SLOT_CONCURRENT,
} from "./status.js";
import { currentOp } from "./profile.js";
import { lookupAscii } from "./jsread.js";
import type { RootTable } from "./roots.js";

/** @internal */
export interface MapInternals {
  h: number;
  ops: MapOps;
  root: number;
  random: () => number;
  hooked: boolean;
  /** This wrapper dies (every use throws UseAfterFreeError saying `how`);
   *  the hmap and its root slot live on (a pool keeps them). */
  detach(how: string): void;
  /** The map moved to another instance (compaction). */
  rebind(owner: MapOwner, ops: MapOps, h: number): void;
  /** The runtime died (an abort or a fatal trap). */
  kill(reason: RuntimeAbortError | CoreTrapError): void;
  /** The runtime was closed. */
  close(): void;
}

/** @internal What rt.unsafe reaches inside a GoMap. */
export interface UnsafeAccess {
  /** mapaccess: the value slot's address, 0 when absent. */
  slot(key: unknown): number;
  /** Zero value slots without the barrier (all, or the given keys'). */
  zero(keys?: ArrayLike<unknown>): number;
  setHooked(on: boolean): void;
  /** Bumped by clear/shrink/free. */
  epoch(): number;
  readValue(addr: number): number | bigint | string | Uint8Array;
}

// The hot paths below inline the per-kind checks of src/maptypes.ts
// (isU32 …) textually: called as functions from these large switch bodies
// they are not inlined by V8, which bench/maps measured at +40 % on a u32
// delete. The rule is still one: test/lifecycle.test.ts runs every path on
// the same tricky values and requires the predicates' answer.
const MAX_U64 = (1n << 64n) - 1n;
const MAX_I64 = (1n << 63n) - 1n;
const MIN_I64 = -(1n << 63n);

/** Kind codes for the hot-path switches (`#kk` for the key, `#vk` for the
 *  value): small ints, so each switch stays monomorphic for V8. */
const K_U32 = 0,
  K_I32 = 1,
  K_U64 = 2,
  K_I64 = 3,
  K_F64 = 4,
  K_STR = 5,
  K_BYTES = 6;
const KIND_INDEX: Record<KindName, number> = {
  u32: K_U32,
  i32: K_I32,
  u64: K_U64,
  i64: K_I64,
  f64: K_F64,
  string: K_STR,
  bytes: K_BYTES,
};

const ARRAY_CTOR: Record<
  Exclude<KindName, "string" | "bytes">,
  { new (n: number): NumArray; new (buffer: ArrayBufferLike, byteOffset: number, length: number): NumArray }
> = {
  i32: Int32Array,
  u32: Uint32Array,
  i64: BigInt64Array,
  u64: BigUint64Array,
  f64: Float64Array,
};

/** What a map needs from its runtime (kept narrow so GoMap does not see Runtime internals). */
export interface MapOwner {
  boundary: Boundary;
  readonly maxMemory: number;
  readonly roots: RootTable;
  /** Drop the map's root (and any hooks); `m` is the map being freed, `h` its hmap. */
  onFree(m: GoMap<KindName, KindName>, root: number, h: number): void;
  /** Backstop for iterators dropped half-way. */
  readonly iterRegistry: FinalizationRegistry<number[]>;
  /** Root slots holding the temporary objects of long arguments (region 0:
   *  key, 1: value). */
  readonly tempRoots: readonly [number, number];
}

/** The options Node's util.inspect passes to a custom inspector (the ones
 *  used here). */
interface InspectOptions {
  depth?: number | null;
  maxArrayLength?: number | null;
  breakLength?: number;
}

export interface MapShape<K extends KindName, V extends KindName> {
  key: K;
  value: V;
}

type Construct = <K extends KindName, V extends KindName>(
  owner: MapOwner,
  ops: MapOps,
  h: number,
  root: number,
  shape: MapShape<K, V>,
  random: () => number,
) => GoMap<K, V>;
let construct: Construct;
let internals: (m: GoMap) => MapInternals;
let unsafeAccess: (m: GoMap) => UnsafeAccess;
let state: (m: GoMap) => { h: number; owner: MapOwner; ops: MapOps };
let ownerOf: (m: GoMap) => MapOwner;

/** @internal A GoMap over the hmap at `h` (src/runtime.ts). */
export function newGoMap<K extends KindName, V extends KindName>(
  owner: MapOwner,
  ops: MapOps,
  h: number,
  root: number,
  shape: MapShape<K, V>,
  random: () => number,
): GoMap<K, V> {
  return construct(owner, ops, h, root, shape, random);
}

/** @internal What pools and compaction need from a map. */
export function mapInternals(m: GoMap): MapInternals {
  return internals(m);
}

/** @internal What rt.unsafe needs from a map. */
export function mapUnsafe(m: GoMap): UnsafeAccess {
  return unsafeAccess(m);
}

/** @internal The hmap address of a live map (throws UseAfterFreeError). */
export function mapHandle(m: GoMap): number {
  return state(m).h;
}

/** @internal The core's per-shape exports of a live map. */
export function mapOps(m: GoMap): MapOps {
  return state(m).ops;
}

/** @internal The runtime side of a map, freed or not (ownership checks). */
export function mapOwner(m: GoMap): MapOwner {
  return ownerOf(m);
}

/**
 * A Go map (`map[K]V`) in a runtime's linear memory, made by `rt.map(...)`
 * or `pool.get()`; K and V are its key and value kinds. Used like a JS
 * `Map` — set/get/has/delete/size/clear, keys/values/entries/forEach,
 * for-of — plus batch calls over typed arrays, `shrink()` and an explicit
 * `free()`; iteration follows Go's order (a random start).
 *
 * A key or value of the wrong kind, or out of its range, throws
 * InvalidArgumentError and changes nothing. Any use after `free()` (or
 * after the map went back into a pool) throws UseAfterFreeError; after
 * `rt.close()`, RuntimeClosedError.
 */
export class GoMap<K extends KindName = KindName, V extends KindName = KindName> {
  /** The key kind (`rt.map({ key })`). */
  readonly keyType: K;
  /** The value kind (`rt.map({ value })`). */
  readonly valueType: V;
  #owner: MapOwner;
  #b: Boundary;
  /** The instance's event queue, cached: its \`pending\` flag is read after
   *  every write (one load fewer than through the boundary). */
  #ev: EventQueue;
  #ops: MapOps;
  #h: number;
  #freed = false;
  /** Bumped by clear/shrink/free: iterators from an older epoch throw. */
  #gen: MapGeneration = { epoch: 0, writes: 0, invalidation: "", closed: false };

  #key: KindSpec;
  #val: KindSpec;
  #read: ValueReader;
  #random: () => number;
  #kk: number;
  #vk: number;
  /** The shape's layout for the JS read path (src/jsread.ts): bucket
   *  size, value offset, value size, overflow-pointer offset. */
  #bs: number;
  #vo: number;
  #vs: number;
  #oo: number;
  #root: number;
  /** On a shared runtime, the Int32Array index of the core's pending slot
   *  (assembly/map/seqlock.ts): an assign that returns a slot leaves its
   *  key's group word odd and names it there; set() makes it even after
   *  storing the value. 0 when not shared. */
  #seq: number;
  /** rt.unsafe installed assign/delete hooks on this map. */
  #hooked = false;

  static {
    // The only ways in from outside the class, module-private (exported
    // below as @internal functions for the runtime, pools, compaction and
    // rt.unsafe; the package's index does not re-export them).
    construct = (owner, ops, h, root, shape, random) => new GoMap(owner, ops, h, root, shape, random);
    internals = (m) => m.#internals();
    unsafeAccess = (m) => m.#unsafeAccess();
    state = (m) => {
      m.#live();
      return { h: m.#h, owner: m.#owner, ops: m.#ops };
    };
    ownerOf = (m) => m.#owner;
  }

  /** Maps are made by `rt.map(...)` (or `pool.get()`). */
  private constructor(
    owner: MapOwner,
    ops: MapOps,
    h: number,
    root: number,
    shape: MapShape<K, V>,
    random: () => number,
  ) {
    this.#owner = owner;
    this.#root = root;
    this.#b = owner.boundary;
    this.#ev = owner.boundary.events;
    this.#ops = ops;
    this.#h = h;
    this.keyType = shape.key;
    this.valueType = shape.value;
    this.#key = KINDS[shape.key];
    this.#val = KINDS[shape.value];
    this.#read = READ[shape.value];
    this.#kk = KIND_INDEX[shape.key];
    this.#vk = KIND_INDEX[shape.value];
    this.#random = random;
    const layout = owner.boundary.bucketLayout(coreSuffix(shape.key, shape.value));
    this.#bs = layout.size;
    this.#vo = layout.values;
    this.#vs = this.#val.bytes;
    this.#oo = layout.overflow;
    this.#seq = owner.boundary.shared ? owner.boundary.exports.pendingSlot() >>> 2 : 0;
  }

  #live(): void {
    if (this.#freed) throw this.#deadError();
  }

  /** #live, for an operation that writes: also refused while a streamed
   *  snapshot of the runtime is being written. */
  #writable(): void {
    if (this.#freed) throw this.#deadError();
    if (this.#b.escaped === FROZEN) throw new SnapshotInProgressError(currentOp.name);
  }

  /** Why this wrapper is dead: freed, or handed back to a pool. */
  #deadHow = "";
  /** Why a call is refused before it starts: the map is dead, or an
   *  earlier write was cut short where the host had no stack left to say
   *  so (Boundary.escaped) — the numeric paths run in JS and reach no
   *  guarded export that would notice, so they check here, and the runtime
   *  dies naming it. */
  #refusal(): Error {
    if (this.#freed) return this.#deadError();
    if (this.#b.escaped === FROZEN) return new SnapshotInProgressError("GoMap.set/delete");
    return this.#b.trapped(this.#b.escaped, "an earlier write", true) as Error;
  }

  /** Why the runtime died, once it has (MapInternals.kill). */
  #killed: RuntimeAbortError | CoreTrapError | null = null;
  #deadError(): UseAfterFreeError | RuntimeClosedError | RuntimeDeadError {
    if (this.#gen.closed) return new RuntimeClosedError("map");
    if (this.#killed) return new RuntimeDeadError(this.#killed);
    return this.#deadHow ? new UseAfterFreeError("map", this.#deadHow) : new UseAfterFreeError();
  }

  /** Entries in the map: Go's `len(m)` (hmap.count). */
  get size(): number {
    this.#live();
    return this.#b.u32[(this.#h + this.#b.hmap.count) >>> 2]!;
  }

  // The four hot methods are written out per key storage (a switch on a
  // small int, no closures and no shared polymorphic call sites), so V8
  // keeps each path monomorphic: check the key inline, one core call, one
  // typed-array access. u64/i64 keys that are JS numbers (safe integers)
  // cross as doubles (the *F exports), never as BigInt.

  /** Address of key's value slot (0: absent), or throw on a bad key.
   *  ASCII string keys are looked up in JS over linear memory
   *  (src/jsread.ts); everything else by the core — numeric keys too: the
   *  JS lookup for them (lookupWords) measured 2–3× slower than the
   *  crossing at 1e6 keys. */
  #access(key: unknown): number {
    const ops = this.#ops;
    const h = this.#h;
    const b = this.#b;
    switch (this.#kk) {
      case K_U32:
        if (!(typeof key === "number" && key >>> 0 === key)) break;
        return ops.access(h, key) >>> 0;
      case K_I32:
        if (!(typeof key === "number" && (key | 0) === key)) break;
        return ops.access(h, key) >>> 0;
      case K_U64:
        if (typeof key === "number") {
          if (!(typeof key === "number" && Number.isSafeInteger(key) && key >= 0)) break;
          return ops.accessF!(h, key) >>> 0;
        }
        if (!(typeof key === "bigint" && key >= 0n && key <= MAX_U64)) break;
        return ops.access(h, key) >>> 0;
      case K_I64:
        if (typeof key === "number") {
          if (!(typeof key === "number" && Number.isSafeInteger(key))) break;
          return ops.accessF!(h, key) >>> 0;
        }
        if (!(typeof key === "bigint" && key >= MIN_I64 && key <= MAX_I64)) break;
        return ops.access(h, key) >>> 0;
      case K_STR: {
        if (typeof key !== "string") break;
        // ASCII keys are hashed and compared in JS, from their code units.
        const r = lookupAscii(b.u8, b.u32, h, key, this.#bs, this.#vo, this.#vs, this.#oo);
        if (r >= 0) return r;
        if (key.length * 3 > HALF_SCRATCH) return this.#accessLong(encodeLong(key));
        return ops.access(h, this.#placeStr(key, 0), this.#len) >>> 0;
      }
      case K_BYTES:
        if (!isBytes(key)) break;
        if (viewLength(key) > HALF_SCRATCH) return this.#accessLong(copyBytes(key));
        return ops.access(h, this.#placeBytes(key, 0), this.#len) >>> 0;
      default:
        if (typeof key !== "number") break;
        return ops.access(h, key) >>> 0;
    }
    throw this.#badKey(key);
  }

  /** The value slot of a string/bytes key that may not fit the scratch area
   *  (`x`: the host's own copy of its bytes), found without allocating
   *  (assembly/map/longkey.ts): the core hashes the key as the host feeds it
   *  through the scratch area, then names candidate slots (matching tophash
   *  and length) one at a time; their bytes are compared here. 0 when
   *  absent, SLOT_CONCURRENT during a write. */
  #accessLong(x: Uint8Array): number {
    const b = this.#b;
    const ex = b.exports;
    const ops = this.#ops;
    const h = this.#h;
    const n = x.length;
    const at = b.scratchBase;
    if (n <= HALF_SCRATCH) {
      b.u8.set(x, at);
      return ops.access(h, at, n) >>> 0;
    }
    ex.longHashBegin(h, n);
    const piece = b.scratchBytes & ~7; // whole words in every piece but the last
    for (let off = 0; off < n; off += piece) {
      const len = Math.min(piece, n - off);
      b.u8.set(x.subarray(off, off + len), at);
      ex.longHashFeed(at, len);
    }
    for (let skip = 0; ; skip++) {
      const slot = ops.accessLong!(h, n, skip) >>> 0;
      if (slot <= SLOT_CONCURRENT) return slot;
      if (bytesAt(b.u8, ex.longCandidate() >>> 0, x)) return slot;
    }
  }

  /** Candidate key of the last #accessLong that found its key: the address
   *  of the map's own copy of the key's bytes. */
  #longKeyAt(): number {
    return this.#b.exports.longCandidate() >>> 0;
  }

  /** Whether a long argument's temporary is rooted (#placeBytes). */
  #temps = false;

  /** Unroot the temporaries of long arguments once the call that needed
   *  them has returned: the map holds its own copies (newStr), so keeping
   *  them would retain up to two long arguments until the next one. */
  #dropTemps(): void {
    const o = this.#owner;
    o.roots.set(o.tempRoots[0], 0);
    o.roots.set(o.tempRoots[1], 0);
    this.#temps = false;
  }

  /** Length of the last placed string/bytes argument. */
  #len = 0;

  /** Put a string's WTF-8 bytes in memory (region 0: key, 1: value); returns
   *  the address, the length goes to #len. */
  #placeStr(s: string, region: 0 | 1): number {
    const b = this.#b;
    if (s.length * 3 <= HALF_SCRATCH) {
      const at = b.scratchBase + region * HALF_SCRATCH;
      this.#len = encodeInto(s, b.u8, at);
      return at;
    }
    const tmp = new Uint8Array(s.length * 3);
    return this.#placeBytes(tmp.subarray(0, encodeInto(s, tmp, 0)), region);
  }

  #placeBytes(x: Uint8Array, region: 0 | 1): number {
    const b = this.#b;
    const n = viewLength(x); // the real extent: what u8.set copies
    this.#len = n;
    if (n <= HALF_SCRATCH) {
      const at = b.scratchBase + region * HALF_SCRATCH;
      b.u8.set(x, at);
      return at;
    }
    // Longer than the scratch area: a temporary heap object, rooted in the
    // runtime's slot for this region until the next long argument replaces
    // it — placing the other argument allocates, and that allocation may
    // end a collection cycle, which would free an unrooted temporary.
    // Not a hot path: label the allocation for heap profiles here (m.get,
    // m.has and m.delete do not pay a label store per call).
    currentOp.name = region === 0 ? "GoMap (a long key)" : "GoMap.set (a long value)";
    const p = b.alloc(n, true);
    if (p === 0) {
      if (this.#temps) this.#dropTemps();
      throw new OutOfMemoryError(n, this.#owner.maxMemory, "placing a long key or value");
    }
    this.#owner.roots.set(this.#owner.tempRoots[region], p);
    this.#temps = true;
    b.u8.set(x, p);
    return p;
  }

  #badKey(key: unknown): Error {
    try {
      this.#key.toCore(key, "key");
    } catch (e) {
      return e as Error;
    }
    return new InvalidArgumentError("key", `unexpected key ${String(key)}`);
  }

  #readValue(slot: number): number | bigint | string | Uint8Array {
    const b = this.#b;
    switch (this.#vk) {
      case K_U32:
        return b.u32[slot >>> 2]!;
      case K_I32:
        return b.i32[slot >>> 2]!;
      case K_U64:
        return b.u64[slot >>> 3]!;
      case K_I64:
        return b.i64[slot >>> 3]!;
      case K_STR:
        return readString(b, slot);
      case K_BYTES:
        return readBytes(b, slot);
      default:
        return b.f64[slot >>> 3]!;
    }
  }

  /** The value stored for `key`, or undefined when it is absent (Go's
   *  `v, ok := m[k]`): i64/u64 values as bigint, bytes as a copy. */
  get(key: KindInput<K>): KindValue<V> | undefined {
    if (this.#freed || (this.#b.escaped !== undefined && this.#b.escaped !== FROZEN)) throw this.#refusal();
    let slot: number;
    let v: KindValue<V> | undefined;
    try {
      // A read: it writes nothing (long keys included, #accessLong), so a
      // trap in it changes nothing. It reaches no safe point and allocates
      // nothing: it queues no event, so there is none to deliver.
      slot = this.#access(key);
      v = slot > SLOT_CONCURRENT ? (this.#readValue(slot) as KindValue<V>) : undefined;
    } catch (e) {
      throw this.#trapped(e, "GoMap.get", false);
    }
    if (slot === SLOT_CONCURRENT) throw this.#b.halfWay("GoMap.get");
    return v;
  }

  /** Is `key` present? Throws like `get`. */
  has(key: KindInput<K>): boolean {
    if (this.#freed || (this.#b.escaped !== undefined && this.#b.escaped !== FROZEN)) throw this.#refusal();
    let slot: number;
    try {
      slot = this.#access(key);
    } catch (e) {
      throw this.#trapped(e, "GoMap.has", false);
    }
    if (slot === SLOT_CONCURRENT) throw this.#b.halfWay("GoMap.has");
    return slot !== 0;
  }

  /** Insert or update (Go's `m[k] = v`); returns the map. The key and value
   *  are checked before anything changes. When the heap cannot grow, set
   *  collects once and retries, then throws OutOfMemoryError with the map
   *  unchanged. Hooks and gctrace lines this write caused are delivered
   *  after it completed (src/events.ts); the first error one throws is
   *  rethrown here, with the write done. */
  set(key: KindInput<K>, value: KindInput<V>): this {
    if (this.#freed || this.#b.escaped !== undefined) throw this.#refusal();
    const b = this.#b;
    // Check the value before anything changes.
    switch (this.#vk) {
      case K_U32:
        if (!(typeof value === "number" && value >>> 0 === value)) this.#val.toCore(value, "value");
        break;
      case K_I32:
        if (!(typeof value === "number" && (value | 0) === value)) this.#val.toCore(value, "value");
        break;
      case K_F64:
        if (typeof value !== "number") this.#val.toCore(value, "value");
        break;
      case K_STR:
      case K_BYTES:
        this.#val.toCore(value, "value");
        return this.#setRef(key, value as string | Uint8Array);
      case K_U64:
      case K_I64:
        // A safe-integer number is stored as two u32 halves below: no BigInt.
        if (
          this.#vk === K_U64
            ? typeof value === "number" && Number.isSafeInteger(value) && value >= 0
            : typeof value === "number" && Number.isSafeInteger(value)
        )
          break;
        value = this.#val.toCore(value, "value") as KindInput<V>;
        break;
      default:
        value = this.#val.toCore(value, "value") as KindInput<V>;
    }
    let slot: number;
    try {
      // From mapassign to the value's store, an exception (a trap, a stack
      // overflow) may leave the write half-done: it kills the runtime.
      slot = this.#assignSlot(key);
      if (slot === 0) {
        // Out of memory: collect (garbage such as outgrown bucket arrays may
        // be what is in the way) and try once more. The failed attempt changed
        // nothing (and left no sequence word open).
        b.gc();
        slot = this.#assignSlot(key);
      }
      if (slot > SLOT_CONCURRENT) {
        switch (this.#vk) {
          case K_U32:
            b.u32[slot >>> 2] = value as number;
            break;
          case K_I32:
            b.i32[slot >>> 2] = value as number;
            break;
          case K_U64:
          case K_I64:
            if (typeof value === "number") {
              // Little-endian halves; two's complement for negative i64 numbers.
              const u32 = b.u32;
              u32[slot >>> 2] = value >>> 0;
              u32[(slot >>> 2) + 1] = Math.floor(value / 4294967296) >>> 0;
            } else if (this.#vk === K_U64) b.u64[slot >>> 3] = value as bigint;
            else b.i64[slot >>> 3] = value as bigint;
            break;
          default:
            b.f64[slot >>> 3] = value as number;
        }
        this.#gen.writes++;
        // A shared runtime: the write ends here, after the value's store.
        if (this.#seq !== 0) Atomics.add(b.i32, b.i32[this.#seq]!, 1);
      }
    } catch (e) {
      this.#b.escaped = e; // no call (not even instanceof): kept if the next line has no stack left
      throw this.#trapped(e, "GoMap.set", true);
    }
    if (slot <= SLOT_CONCURRENT) {
      if (slot === 0) this.#fail(new OutOfMemoryError(0, this.#owner.maxMemory, "growing the map"));
      this.#fail(this.#b.halfWay("GoMap.set"));
    }
    if (this.#ev.pending) this.#ev.deliver();
    return this;
  }

  /** The error to throw for `e`, caught around a core call made for
   *  `operation`: ours as it is (bad input, out of memory, a dead
   *  runtime); anything else unwound through the core (or through the
   *  host's code between the core call and the end of the write) — for a
   *  write (`fatal`) it kills the runtime (src/boundary.ts: trapped). */
  #trapped(e: unknown, operation: string, fatal: boolean): unknown {
    if (e instanceof GomapError) {
      if (this.#b.escaped === e) this.#b.escaped = undefined; // ours: not a trap
      return e;
    }
    return this.#b.trapped(e, operation, fatal);
  }

  /** mapassign for the key (checked here): the value slot, 0 (out of
   *  memory) or SLOT_CONCURRENT. */
  #assignSlot(key: unknown): number {
    const ops = this.#ops;
    const h = this.#h;
    let slot: number;
    switch (this.#kk) {
      case K_U32:
        if (!(typeof key === "number" && key >>> 0 === key)) throw this.#badKey(key);
        slot = ops.assign(h, key) >>> 0;
        break;
      case K_I32:
        if (!(typeof key === "number" && (key | 0) === key)) throw this.#badKey(key);
        slot = ops.assign(h, key) >>> 0;
        break;
      case K_U64:
        if (typeof key === "number") {
          if (!(typeof key === "number" && Number.isSafeInteger(key) && key >= 0)) throw this.#badKey(key);
          slot = ops.assignF!(h, key) >>> 0;
        } else {
          if (!(typeof key === "bigint" && key >= 0n && key <= MAX_U64)) throw this.#badKey(key);
          slot = ops.assign(h, key) >>> 0;
        }
        break;
      case K_I64:
        if (typeof key === "number") {
          if (!(typeof key === "number" && Number.isSafeInteger(key))) throw this.#badKey(key);
          slot = ops.assignF!(h, key) >>> 0;
        } else {
          if (!(typeof key === "bigint" && key >= MIN_I64 && key <= MAX_I64)) throw this.#badKey(key);
          slot = ops.assign(h, key) >>> 0;
        }
        break;
      case K_STR:
        if (typeof key !== "string") throw this.#badKey(key);
        slot = ops.assign(h, this.#placeStr(key, 0), this.#len) >>> 0;
        if (this.#temps) this.#dropTemps();
        break;
      case K_BYTES:
        if (!isBytes(key)) throw this.#badKey(key);
        slot = ops.assign(h, this.#placeBytes(key, 0), this.#len) >>> 0;
        if (this.#temps) this.#dropTemps();
        break;
      default:
        if (typeof key !== "number") throw this.#badKey(key);
        slot = ops.assign(h, key) >>> 0;
    }
    return slot;
  }

  /** set() for string/bytes values: the core copies the value's bytes
   *  into the heap before it touches the map (assignS). */
  #setRef(key: unknown, value: string | Uint8Array): this {
    let slot: number;
    try {
      slot = this.#assignRef(key, value);
      if (slot === 0) {
        this.#b.gc(); // out of memory: collect, then try once more
        slot = this.#assignRef(key, value);
      }
      if (slot > SLOT_CONCURRENT) {
        this.#gen.writes++;
        const i32 = this.#b.i32;
        if (this.#seq !== 0) Atomics.add(i32, i32[this.#seq]!, 1); // the write ends (shared runtime)
      }
    } catch (e) {
      this.#b.escaped = e; // no call (not even instanceof): kept if the next line has no stack left
      throw this.#trapped(e, "GoMap.set", true);
    }
    if (slot <= SLOT_CONCURRENT) {
      if (slot === 0) this.#fail(new OutOfMemoryError(this.#len, this.#owner.maxMemory, "storing the value"));
      this.#fail(this.#b.halfWay("GoMap.set"));
    }
    if (this.#ev.pending) this.#ev.deliver();
    return this;
  }

  #assignRef(key: unknown, value: string | Uint8Array): number {
    const ops = this.#ops;
    const h = this.#h;
    const vp = typeof value === "string" ? this.#placeStr(value, 1) : this.#placeBytes(value, 1);
    const vl = this.#len;
    let slot: number;
    switch (this.#kk) {
      case K_U32:
        if (!(typeof key === "number" && key >>> 0 === key)) throw this.#badKey(key);
        slot = ops.assignS!(h, key, vp, vl) >>> 0;
        break;
      case K_I32:
        if (!(typeof key === "number" && (key | 0) === key)) throw this.#badKey(key);
        slot = ops.assignS!(h, key, vp, vl) >>> 0;
        break;
      case K_U64:
      case K_I64: {
        if (typeof key === "number") {
          if (
            !(this.#kk === K_U64
              ? typeof key === "number" && Number.isSafeInteger(key) && key >= 0
              : typeof key === "number" && Number.isSafeInteger(key))
          )
            throw this.#badKey(key);
          slot = ops.assignSF!(h, key, vp, vl) >>> 0;
        } else {
          const k = this.#key.toCore(key, "key");
          slot = ops.assignS!(h, k, vp, vl) >>> 0;
        }
        break;
      }
      case K_STR:
        if (typeof key !== "string") throw this.#badKey(key);
        slot = ops.assignS!(h, this.#placeStr(key, 0), this.#len, vp, vl) >>> 0;
        break;
      case K_BYTES:
        if (!isBytes(key)) throw this.#badKey(key);
        slot = ops.assignS!(h, this.#placeBytes(key, 0), this.#len, vp, vl) >>> 0;
        break;
      default:
        if (typeof key !== "number") throw this.#badKey(key);
        slot = ops.assignS!(h, key, vp, vl) >>> 0;
    }
    if (this.#temps) this.#dropTemps();
    return slot;
  }

  /** Remove `key` (Go's `delete(m, k)`); returns whether it was present.
   *  While the map grows, a delete first evacuates old buckets, which may
   *  need memory: OutOfMemoryError, and nothing is deleted. Hooks are
   *  delivered, and their errors rethrown, as in `set`. */
  delete(key: KindInput<K>): boolean {
    if (this.#freed || this.#b.escaped !== undefined) throw this.#refusal();
    const ops = this.#ops;
    const h = this.#h;
    let r: number;
    try {
      switch (this.#kk) {
        case K_U32:
          if (!(typeof key === "number" && key >>> 0 === key)) throw this.#badKey(key);
          r = ops.delete(h, key);
          break;
        case K_I32:
          if (!(typeof key === "number" && (key | 0) === key)) throw this.#badKey(key);
          r = ops.delete(h, key);
          break;
        case K_U64:
          if (typeof key === "number") {
            if (!(typeof key === "number" && Number.isSafeInteger(key) && key >= 0)) throw this.#badKey(key);
            r = ops.deleteF!(h, key);
          } else {
            if (!(typeof key === "bigint" && key >= 0n && key <= MAX_U64)) throw this.#badKey(key);
            r = ops.delete(h, key);
          }
          break;
        case K_I64:
          if (typeof key === "number") {
            if (!(typeof key === "number" && Number.isSafeInteger(key))) throw this.#badKey(key);
            r = ops.deleteF!(h, key);
          } else {
            if (!(typeof key === "bigint" && key >= MIN_I64 && key <= MAX_I64)) throw this.#badKey(key);
            r = ops.delete(h, key);
          }
          break;
        case K_STR:
          if (typeof key !== "string") throw this.#badKey(key);
          if (key.length * 3 > HALF_SCRATCH) {
            r = this.#deleteLong(encodeLong(key));
            break;
          }
          r = ops.delete(h, this.#placeStr(key, 0), this.#len);
          break;
        case K_BYTES:
          if (!isBytes(key)) throw this.#badKey(key);
          if (viewLength(key) > HALF_SCRATCH) {
            r = this.#deleteLong(copyBytes(key));
            break;
          }
          r = ops.delete(h, this.#placeBytes(key, 0), this.#len);
          break;
        default:
          if (typeof key !== "number") throw this.#badKey(key);
          r = ops.delete(h, key);
      }
    } catch (e) {
      this.#b.escaped = e; // no call (not even instanceof): kept if the next line has no stack left
      throw this.#trapped(e, "GoMap.delete", true);
    }
    this.#gen.writes++;
    if (this.#ev.pending) this.#ev.deliver();
    if (r === DELETE_DELETED) return true;
    if (r === DELETE_OOM) throw new OutOfMemoryError(0, this.#owner.maxMemory, "evacuating before the delete");
    if (r === DELETE_CONCURRENT) throw this.#b.halfWay("GoMap.delete");
    return false;
  }

  /** delete() of a key that may not fit the scratch area. A present key is
   *  deleted by naming the map's own copy of its bytes, so nothing is
   *  allocated; an absent one goes through the core's delete all the same
   *  (a delete during growth evacuates first, as Go's does), on a rooted
   *  temporary copy that is unrooted when it returns. */
  #deleteLong(x: Uint8Array): number {
    const ops = this.#ops;
    const h = this.#h;
    const n = x.length;
    if (n <= HALF_SCRATCH) return ops.delete(h, this.#placeBytes(x, 0), n);
    const slot = this.#accessLong(x);
    if (slot === SLOT_CONCURRENT) return DELETE_CONCURRENT;
    if (slot !== 0) return ops.delete(h, this.#longKeyAt(), n);
    const r = ops.delete(h, this.#placeBytes(x, 0), n);
    if (this.#temps) this.#dropTemps();
    return r;
  }

  /** Go's mapclear: remove every entry, keep B and the bucket array. */
  clear(): void {
    currentOp.name = "GoMap.clear";
    this.#writable();
    let ok: boolean;
    try {
      ok = Boolean(this.#ops.clear(this.#h));
      if (ok) this.#invalidate("cleared");
    } catch (e) {
      this.#b.escaped = e; // no call (not even instanceof): kept if the next line has no stack left
      throw this.#trapped(e, "GoMap.clear", true);
    }
    if (!ok) throw this.#b.halfWay("GoMap.clear");
    if (this.#ev.pending) this.#ev.deliver();
  }

  /** Rebuild into the smallest bucket array that holds `size` entries (what
   *  `make(map, size)` would choose); the old arrays go to the collector.
   *  Go cannot do this (golang/go#20135). */
  shrink(): void {
    currentOp.name = "GoMap.shrink";
    this.#writable();
    let r: number;
    try {
      r = this.#ops.shrink(this.#h);
      if (r !== SHRINK_OOM && r !== SHRINK_CONCURRENT) this.#invalidate("shrunk");
    } catch (e) {
      this.#b.escaped = e; // no call (not even instanceof): kept if the next line has no stack left
      throw this.#trapped(e, "GoMap.shrink", true);
    }
    if (r === SHRINK_OOM) this.#fail(new OutOfMemoryError(0, this.#owner.maxMemory, "rebuilding the map for shrink()"));
    if (r === SHRINK_CONCURRENT) this.#fail(this.#b.halfWay("GoMap.shrink"));
    if (this.#ev.pending) this.#ev.deliver();
  }

  /** Release the map: its memory is reclaimed by the collector. Any later
   *  use throws UseAfterFreeError. Idempotent. */
  free(): void {
    if (this.#freed) {
      if (this.#deadHow && !this.#gen.closed) throw this.#deadError();
      return; // freed already, or its runtime closed (which released it)
    }
    if (this.#b.escaped === FROZEN) throw new SnapshotInProgressError("GoMap.free");
    this.#invalidate("freed");
    this.#freed = true;
    this.#owner.onFree(this as unknown as GoMap<KindName, KindName>, this.#root, this.#h);
  }

  /** True after `free()`, after the map went back into a pool
   *  (`pool.put`), and after `rt.close()`. Never throws. */
  get freed(): boolean {
    return this.#freed;
  }

  /** `using m = rt.map(...)`: `free()` at the end of the block. */
  [Symbol.dispose](): void {
    // Releases what this wrapper still holds: nothing when it was freed,
    // put back into a pool (`using m = pool.get(); pool.put(m)`) or its
    // runtime closed — unlike free(), which calls a pooled map's use an error.
    if (this.#freed) return;
    this.free();
  }

  #invalidate(how: string): void {
    this.#gen.epoch++;
    this.#gen.invalidation = how;
  }

  // ------------------------------------------------------------ iteration

  /** Entries in Go's order: a random start bucket and in-bucket offset.
   *  Correct while the map grows (Go's rules); entries deleted before they
   *  are reached are not produced; clear()/shrink()/free() make a live
   *  iterator throw on its next step.
   *
   *  The core hands out entries ITER_BATCH at a time. If the map is written
   *  while a fetched batch is still being yielded, each remaining entry is
   *  looked up again before it is yielded: a deleted one is skipped, an
   *  updated one yields its current value — what Go's one-at-a-time
   *  mapiternext would produce. (NaN keys cannot be looked up, nor deleted
   *  or updated, so they are yielded as fetched.)
   *
   *  While it runs, the iterator holds four roots (what it will read next:
   *  the bucket array it walks, the bucket it stopped in — possibly in the
   *  old array of a grow — and the overflow lists that keep its overflow
   *  buckets alive), released when it finishes, on `return()` (a `break` out of for-of), or
   *  by a FinalizationRegistry if it is dropped half-way. */
  entries(): MapIterator<[KindValue<K>, KindValue<V>]> {
    currentOp.name = "GoMap.entries";
    this.#live();
    return new GoMapIterator<K, V>(this, this.#iterHooks()) as unknown as MapIterator<[KindValue<K>, KindValue<V>]>;
  }

  #iterHooks(): IterHooks {
    // The instance is read through getters: after a compaction a live
    // iterator must not keep the old memory alive (it throws on its next
    // step anyway, the epoch having moved).
    const self = this;
    return {
      get b() {
        return self.#b;
      },
      get ops() {
        return self.#ops;
      },
      h: this.#h,
      gen: this.#gen,
      random: this.#random,
      owner: this.#owner,
      keyKind: this.keyType,
      key: this.#key,
      valBytes: this.#val.bytes,
      read: this.#read,
      lookup: (k) => this.#access(k),
      valueKind: this.valueType,
    };
  }

  /** The keys, in the same order and under the same rules as `entries()`. */
  keys(): MapIterator<KindValue<K>> {
    currentOp.name = "GoMap.keys";
    this.#live();
    const it = new GoMapIterator<K, V>(this, this.#iterHooks());
    return new GoMapProjection<K, V>(it, 0) as unknown as MapIterator<KindValue<K>>;
  }

  /** The values, in the same order and under the same rules as `entries()`. */
  values(): MapIterator<KindValue<V>> {
    currentOp.name = "GoMap.values";
    this.#live();
    const it = new GoMapIterator<K, V>(this, this.#iterHooks());
    return new GoMapProjection<K, V>(it, 1) as unknown as MapIterator<KindValue<V>>;
  }

  /** `for (const [k, v] of m)`: the same as `entries()`. */
  [Symbol.iterator](): MapIterator<[KindValue<K>, KindValue<V>]> {
    return this.entries();
  }

  /** Like Map.prototype.forEach, in Go's iteration order (the same rules
   *  as entries()). */
  forEach(fn: (value: KindValue<V>, key: KindValue<K>, map: this) => void, thisArg?: unknown): void {
    currentOp.name = "GoMap.forEach";
    const it = this.entries() as unknown as GoMapIterator<K, V>;
    try {
      it.each(fn as (this: unknown, v: KindValue<V>, k: KindValue<K>, m: this) => void, thisArg, this);
    } finally {
      it.return();
    }
  }

  /** "GoMap": `Object.prototype.toString.call(m)` is "[object GoMap]". */
  get [Symbol.toStringTag](): string {
    return "GoMap";
  }

  /** `console.log(m)` / `util.inspect(m)` in Node: printed like a Map —
   *  `GoMap(3) [u32 → string] { 1 => 'a', 2 => 'b', 3 => 'c' }` — with at
   *  most `maxArrayLength` (default 100) entries. (Like Map, a GoMap has no
   *  toJSON: serialize `[...m]` or `Object.fromEntries(m)`.) */
  [Symbol.for("nodejs.util.inspect.custom")](
    depth: number,
    options: InspectOptions,
    inspect: (x: unknown, o: InspectOptions) => string,
  ): string {
    const kinds = `[${this.keyType} → ${this.valueType}]`;
    if (this.#freed) return `GoMap ${kinds} <${this.#gen.closed ? "runtime closed" : "freed"}>`;
    if (typeof inspect !== "function") inspect = (x) => String(x);
    const n = this.size;
    const head = `GoMap(${n}) ${kinds}`;
    if (n === 0) return `${head} {}`;
    if (depth < 0) return `[${head}]`;
    const max = Math.max(0, options?.maxArrayLength ?? 100);
    const o: InspectOptions = { ...options };
    if (typeof options?.depth === "number") o.depth = options.depth - 1;
    const parts: string[] = [];
    try {
      for (const [k, v] of this) {
        if (parts.length >= max) break;
        parts.push(`${inspect(k, o)} => ${inspect(v, o)}`);
      }
    } catch (e) {
      parts.push(`<not readable now: ${(e as Error).message}>`);
    }
    if (n > parts.length && parts.length === max) parts.push(`... ${n - max} more item${n - max === 1 ? "" : "s"}`);
    const oneLine = `${head} { ${parts.join(", ")} }`;
    if (oneLine.length <= (options?.breakLength ?? 80)) return oneLine;
    return `${head} {\n${parts.map((x) => `  ${x}`).join(",\n")}\n}`;
  }

  /** What pools and compaction need (src/pool.ts, src/compact.ts). */
  #internals(): MapInternals {
    return {
      h: this.#h,
      ops: this.#ops,
      root: this.#root,
      random: this.#random,
      hooked: this.#hooked,
      detach: (how) => {
        this.#live();
        this.#invalidate(how.split(";")[0]!);
        this.#freed = true;
        this.#deadHow = how;
        this.#hooked = false;
      },
      kill: (reason) => {
        // The runtime died: every later use throws RuntimeDeadError (the
        // lookups in JS would otherwise go on answering from memory).
        if (this.#freed) return;
        this.#freed = true;
        this.#killed = reason;
        this.#gen.dead = reason; // a live iterator's next step throws it
        this.#gen.epoch++;
      },
      close: () => {
        // The runtime was closed: every later use throws RuntimeClosedError,
        // and this wrapper lets go of the instance so that the JS engine
        // can free the memory (free() becomes a no-op).
        this.#invalidate("closed");
        this.#gen.closed = true;
        this.#freed = true;
        this.#hooked = false;
        this.#b = CLOSED as unknown as Boundary;
        this.#ev = CLOSED_EVENTS;
        this.#ops = CLOSED as unknown as MapOps;
        this.#owner = CLOSED as unknown as MapOwner;
      },
      rebind: (owner, ops, h) => {
        this.#owner = owner;
        this.#b = owner.boundary;
        this.#ev = owner.boundary.events;
        this.#ops = ops;
        this.#h = h;
        this.#invalidate("compacted (moved to a fresh memory)");
      },
    };
  }

  /** What rt.unsafe needs from a map (src/unsafe.ts). */
  #unsafeAccess(): UnsafeAccess {
    this.#live();
    return {
      slot: (key) => {
        let slot: number;
        try {
          slot = this.#access(key);
        } catch (e) {
          throw this.#trapped(e, "unsafe.slot", false);
        }
        if (slot === SLOT_CONCURRENT) throw this.#b.halfWay("unsafe.slot");
        return slot;
      },
      zero: (keys) => this.#zeroValues(keys),
      setHooked: (on) => {
        this.#hooked = on;
      },
      epoch: () => this.#gen.epoch,
      readValue: (addr) => this.#readValue(addr),
    };
  }

  /** unsafe.zeroValues: a raw fill of value slots in the core (all of them,
   *  or those of the given keys). Returns buckets filled / keys found. */
  #zeroValues(keys?: ArrayLike<unknown>): number {
    try {
      return this.#zeroValuesIn(keys);
    } catch (e) {
      this.#b.escaped = e; // no call (not even instanceof): kept if the next line has no stack left
      throw this.#trapped(e, "unsafe.zeroValues", true);
    }
  }

  #zeroValuesIn(keys?: ArrayLike<unknown>): number {
    const ALL = 0xffffffff;
    const b = this.#b;
    this.#gen.writes++; // an iterator's fetched batch is looked up again
    if (keys === undefined) {
      const r = this.#ops.zeroValues(this.#h, 0, ALL) >>> 0;
      if (r === COUNT_CONCURRENT) throw this.#b.halfWay("unsafe.zeroValues");
      return r;
    }
    const ks = this.#batchArg(keys, this.#key, "keys");
    const kAddr = b.scratchBase;
    let found = 0;
    for (let i = 0; i < ks.length; ) {
      const n = packChunk(this.#b, ks, this.#key, i, kAddr, Infinity, b.scratchBytes);
      if (n === 0) {
        // A key too long for the scratch area: its slot, filled here.
        const slot = this.#access(ks[i]);
        if (slot > SLOT_CONCURRENT) {
          b.u8.fill(0, slot, slot + this.#val.bytes);
          found++;
        }
        i++;
        continue;
      }
      const r = this.#ops.zeroValues(this.#h, kAddr, n) >>> 0;
      if (r === COUNT_CONCURRENT) throw this.#b.halfWay("unsafe.zeroValues");
      found += r;
      i += n;
    }
    return found;
  }

  // ---------------------------------------------------------------- batches
  //
  // Keys and values are copied into the scratch area a chunk at a time: key
  // chunk in the first half, values (or the output) in the second; one core
  // call per chunk. Numbers travel as typed arrays; strings and bytes as a
  // table of references (ptr u32, len u32) followed by the packed bytes —
  // many keys in one buffer, one call.

  /** Insert or update many entries. keys/values: typed arrays of the map's
   *  kinds (fastest), plain arrays, or arrays of strings / Uint8Arrays.
   *  Every key and value is checked before anything is written. Running out
   *  of memory part-way throws OutOfMemoryError with `.done` entries stored. */
  setMany(keys: ArrayLike<KindInput<K>>, values: ArrayLike<KindInput<V>>): this {
    currentOp.name = "GoMap.setMany";
    this.#writable();
    // Each argument is read once, into a snapshot (a Proxy or a view with a
    // lying length gets one reading); the lengths compared are the snapshots'.
    const ks = this.#batchArg(keys, this.#key, "keys");
    const vs = this.#batchArg(values, this.#val, "values");
    if (ks.length !== vs.length) {
      throw new InvalidArgumentError("values", `has ${vs.length} elements but keys has ${ks.length}`);
    }
    if (this.#hooked) {
      // A hook may use the scratch area (any call with a string argument):
      // one key per core call, so no packed chunk can be overwritten.
      for (let i = 0; i < ks.length; i++)
        this.#oneOfMany(i, "setMany", () => this.set(ks[i] as KindInput<K>, vs[i] as KindInput<V>));
      return this;
    }
    this.#gen.writes++;
    for (let i = 0; i < ks.length; ) {
      let n: number;
      try {
        // Between chunks the map is consistent, but the batch is half-done:
        // an exception here (a trap, a stack overflow) kills the runtime.
        n = this.#setChunk(ks, vs, i);
      } catch (e) {
        this.#b.escaped = e; // no call (not even instanceof): kept if the next line has no stack left
        throw this.#trapped(e, "GoMap.setMany", true);
      }
      if (n === 0) {
        // One entry too long for the scratch area: set it on its own (its
        // events are delivered by set(), whose errors pass through here).
        this.#oneOfMany(i, "setMany", () => this.set(ks[i] as KindInput<K>, vs[i] as KindInput<V>));
        i++;
        continue;
      }
      i += n;
    }
    if (this.#ev.pending) this.#ev.deliver();
    return this;
  }

  /** setMany's chunk from entry i: packed, stored by one core call (out
   *  of memory: collected and retried once). Returns the entries stored,
   *  0 when entry i is too long for the scratch area. */
  #setChunk(ks: NumArray | (string | Uint8Array)[], vs: NumArray | (string | Uint8Array)[], i: number): number {
    const b = this.#b;
    const kAddr = b.scratchBase,
      vAddr = kAddr + HALF_SCRATCH;
    let n = packChunk(b, ks, this.#key, i, kAddr);
    n = Math.min(n, packChunk(b, vs, this.#val, i, vAddr, n));
    if (n === 0) return 0;
    const done = this.#ops.setMany(this.#h, kAddr, vAddr, n) >>> 0;
    if (done < n && b.exports.batchStatus() === BATCH_OOM) {
      // Collect and retry the rest of the chunk once (repacked: the
      // collection used the scratch area).
      b.gc();
      const at = i + done;
      const m = packChunk(b, ks, this.#key, at, kAddr, n - done);
      packChunk(b, vs, this.#val, at, vAddr, m);
      const again = this.#ops.setMany(this.#h, kAddr, vAddr, m) >>> 0;
      if (again < m) this.#batchFailed(at + again, "setMany");
      return done + m;
    }
    if (done < n) this.#batchFailed(i + done, "setMany");
    return n;
  }

  /** Look up many keys. Numeric values go to `out` (a typed array, new if
   *  omitted; 0 for absent keys); string/bytes values to an array
   *  (undefined for absent keys). `found[i]` says whether key i was present.
   *  Returns `out`. */
  getMany(keys: ArrayLike<KindInput<K>>, out?: KindArray<V>, found?: Uint8Array): KindArray<V> {
    currentOp.name = "GoMap.getMany";
    this.#live();
    const ks = this.#batchArg(keys, this.#key, "keys");
    const n = ks.length;
    const ref = isRefKind(this.valueType);
    let result: NumArray | (KindValue<V> | undefined)[];
    const given = out as NumArray | (KindValue<V> | undefined)[] | undefined;
    if (ref) {
      result = given ?? new Array<KindValue<V> | undefined>(n);
      if (!Array.isArray(result) || result.length < n)
        throw new InvalidArgumentError("out", `must be an array of at least ${n} elements`);
    } else {
      const Ctor = ARRAY_CTOR[this.valueType as Exclude<KindName, "string" | "bytes">];
      result = given ?? new Ctor(n);
      if (!isTypedArrayOf(result, Ctor) || viewLength(result as NumArray) < n) {
        throw new InvalidArgumentError("out", `must be a ${Ctor.name} of at least ${n} elements`);
      }
    }
    if (found !== undefined && (!isBytes(found) || viewLength(found) < n)) {
      throw new InvalidArgumentError("found", `must be a Uint8Array of at least ${n} elements`);
    }
    const b = this.#b;
    const vb = this.#val.bytes;
    const kAddr = b.scratchBase,
      vAddr = kAddr + HALF_SCRATCH;
    const maxOut = Math.floor(HALF_SCRATCH / (vb + 1));
    const fAddr = vAddr + maxOut * vb;
    // Outputs are written through views of their real bytes (no user code
    // runs on a typed array's write), or — string/bytes values into an
    // array, whose writes may run user code that uses the scratch area —
    // only after the whole chunk was read out of it.
    const outBytes = ref ? null : realBytes(result as NumArray, vb);
    const foundBytes = found === undefined ? null : realBytes(found, 1);
    for (let i = 0; i < n; ) {
      const m = packChunk(this.#b, ks, this.#key, i, kAddr, maxOut);
      if (m === 0) {
        const v = this.get(ks[i] as KindInput<K>);
        if (foundBytes) foundBytes[i] = v === undefined ? 0 : 1;
        if (ref) (result as (KindValue<V> | undefined)[])[i] = v;
        else
          (result as unknown as (number | bigint)[])[i] =
            v === undefined ? (this.#val.bytes === 8 && this.valueType !== "f64" ? 0n : 0) : (v as number | bigint);
        i++;
        continue;
      }
      const done = this.#ops.getMany(this.#h, kAddr, vAddr, fAddr, m) >>> 0;
      if (done < m) this.#batchFailed(i + done, "getMany");
      if (foundBytes) foundBytes.set(b.u8.subarray(fAddr, fAddr + m), i);
      if (ref) {
        const u8 = b.u8;
        const vals = new Array<KindValue<V> | undefined>(m);
        for (let j = 0; j < m; j++)
          vals[j] = u8[fAddr + j] ? (this.#read(b, vAddr + j * 8) as KindValue<V>) : undefined;
        const arr = result as (KindValue<V> | undefined)[];
        for (let j = 0; j < m; j++) arr[i + j] = vals[j];
      } else {
        outBytes!.set(b.u8.subarray(vAddr, vAddr + m * vb), i * vb);
      }
      i += m;
    }
    if (this.#ev.pending) this.#ev.deliver();
    return result as KindArray<V>;
  }

  /** Delete many keys; returns how many were present. */
  deleteMany(keys: ArrayLike<KindInput<K>>): number {
    currentOp.name = "GoMap.deleteMany";
    this.#writable();
    const ks = this.#batchArg(keys, this.#key, "keys");
    if (this.#hooked) {
      let n = 0;
      for (let i = 0; i < ks.length; i++)
        if (this.#oneOfMany(i, "deleteMany", () => this.delete(ks[i] as KindInput<K>))) n++;
      return n;
    }
    const b = this.#b;
    const kAddr = b.scratchBase;
    let deleted = 0;
    this.#gen.writes++;
    for (let i = 0; i < ks.length; ) {
      let n: number;
      let done: number;
      try {
        // As in setMany: an exception between packing and counting kills.
        n = packChunk(b, ks, this.#key, i, kAddr, Infinity, b.scratchBytes);
        done = n === 0 ? 0 : this.#ops.deleteMany(this.#h, kAddr, n) >>> 0;
        if (n !== 0) deleted += b.batchCount();
      } catch (e) {
        this.#b.escaped = e; // no call (not even instanceof): kept if the next line has no stack left
        throw this.#trapped(e, "GoMap.deleteMany", true);
      }
      if (n === 0) {
        if (this.#oneOfMany(i, "deleteMany", () => this.delete(ks[i] as KindInput<K>))) deleted++;
        i++;
        continue;
      }
      if (done < n) this.#batchFailed(i + done, "deleteMany");
      i += n;
    }
    if (this.#ev.pending) this.#ev.deliver();
    return deleted;
  }

  /** Entry i of a batch done as a single call: out of memory there means
   *  the first i entries were done (OutOfMemoryError.done). */
  #oneOfMany<T>(i: number, what: string, f: () => T): T {
    try {
      return f();
    } catch (e) {
      if (e instanceof OutOfMemoryError && e.done === undefined) {
        throw new OutOfMemoryError(
          e.requested,
          e.maxMemory,
          `${what} after ${i} entries (${e.message.replace(/^out of memory: (.*?) does not fit.*$/s, "$1")})`,
          i,
        );
      }
      throw e;
    } finally {
      currentOp.name = `GoMap.${what}`; // the entry's own call may have relabelled (a long key)
    }
  }

  #batchFailed(done: number, what: string): never {
    const status = this.#b.exports.batchStatus();
    if (status === BATCH_OOM) {
      this.#fail(new OutOfMemoryError(0, this.#owner.maxMemory, `${what} after ${done} entries`, done));
    }
    if (status === BATCH_CONCURRENT) this.#fail(this.#b.halfWay(`GoMap.${what}`));
    this.#fail(new Error(`${what}: core stopped after ${done} entries with status ${status}`));
  }

  /** Throw `err`, the failed operation's own error — after delivering the
   *  events its core calls queued (a cycle may have ended on the way), so
   *  they reach this caller rather than a later, unrelated call. A
   *  callback's exception then becomes err's `cause`. */
  #fail(err: Error): never {
    if (this.#ev.pending) {
      try {
        this.#ev.deliver();
      } catch (e) {
        if (err.cause === undefined)
          Object.defineProperty(err, "cause", { value: e, writable: true, configurable: true });
      }
    }
    throw err;
  }

  /** A batch argument, checked in full: a typed array in the kind's memory
   *  representation, or (string/bytes kinds) the array itself. */
  #batchArg(xs: ArrayLike<unknown>, spec: KindSpec, what: string): NumArray | (string | Uint8Array)[] {
    if (xs === null || typeof xs !== "object") {
      throw new InvalidArgumentError(what, `expected an array${isRefKind(spec.name) ? "" : " or typed array"}`);
    }
    if (!isRefKind(spec.name)) {
      const Ctor = ARRAY_CTOR[spec.name as Exclude<KindName, "string" | "bytes">];
      // The kind's own typed array goes in as is — through a fresh view of
      // its real extent, so a `length` it defines on itself cannot lie.
      if (isTypedArrayOf(xs, Ctor)) {
        const v = xs as NumArray;
        const bytes = realBytes(v, spec.bytes); // its real buffer, by the intrinsic getters
        return new Ctor(bytes.buffer, bytes.byteOffset, viewLength(v));
      }
    }
    const n = ArrayBuffer.isView(xs) ? viewLength(xs) : (xs as ArrayLike<unknown>).length;
    if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0 || n > 0xffffffff) {
      throw new InvalidArgumentError(
        what,
        `expected an array or typed array with a length from 0 to 2^32 − 1, got length ${String(n)}`,
      );
    }
    if (isRefKind(spec.name)) {
      // Every element read once, checked, and kept: packing reads the copy.
      const str = spec.name === "string";
      const out = new Array<string | Uint8Array>(n);
      for (let i = 0; i < n; i++) {
        const x = xs[i];
        if (str ? typeof x !== "string" : !isBytes(x)) spec.toCore(x, `${what}[${i}]`);
        out[i] = x as string | Uint8Array;
      }
      return out;
    }
    const Ctor = ARRAY_CTOR[spec.name as Exclude<KindName, "string" | "bytes">];
    const out = new Ctor(n);
    if (spec.name === "u64" || spec.name === "i64") return fill64(out as BigUint64Array, xs, spec, what);
    for (let i = 0; i < n; i++) {
      (out as unknown as (number | bigint)[])[i] = spec.toCore(xs[i], `${what}[${i}]`);
    }
    return out;
  }
}

/** Fill a u64/i64 snapshot from numbers and bigints (a Float64Array, a
 *  number[], a mix): a number that is a safe integer (non-negative for u64)
 *  is written as its two little-endian u32 halves — two's complement for a
 *  negative i64 — with no BigInt made for it (a BigInt per element made a
 *  Float64Array batch slower than one call per key); anything else goes
 *  through the kind's checked conversion. */
function fill64(out: BigUint64Array | BigInt64Array, xs: ArrayLike<unknown>, spec: KindSpec, what: string) {
  const n = out.length;
  const u32 = new Uint32Array(out.buffer, out.byteOffset, n * 2);
  const signed = spec.name === "i64";
  for (let i = 0; i < n; i++) {
    const x = xs[i];
    if (typeof x === "number" && Number.isSafeInteger(x) && (signed || x >= 0)) {
      u32[2 * i] = x >>> 0;
      u32[2 * i + 1] = Math.floor(x / 4294967296) >>> 0;
    } else {
      (out as unknown as (number | bigint)[])[i] = spec.toCore(x, `${what}[${i}]`);
    }
  }
  return out;
}

/** What a closed map's wrapper holds instead of its runtime's objects. */
const CLOSED = Object.freeze({});
/** A closed map's event queue: nothing pending, ever. */
const CLOSED_EVENTS = new EventQueue(() => {});

/** The WTF-8 bytes of a string too long to be encoded straight into the
 *  scratch area (a copy the host owns). */
function encodeLong(s: string): Uint8Array {
  const tmp = new Uint8Array(s.length * 3);
  return tmp.subarray(0, encodeInto(s, tmp, 0));
}

/** A copy of a Uint8Array's real extent (not its `length` property, which
 *  an own property may fake): the host's own bytes, which no one can change
 *  between hashing and comparing. */
function copyBytes(x: Uint8Array): Uint8Array {
  return new Uint8Array(x.buffer, x.byteOffset, viewLength(x)).slice();
}

/** Do the x.length bytes at address p of memory equal x? */
function bytesAt(mem: Uint8Array, p: number, x: Uint8Array): boolean {
  const n = x.length;
  if (p + n > mem.length) return false;
  for (let i = 0; i < n; i++) if (mem[p + i] !== x[i]) return false;
  return true;
}
