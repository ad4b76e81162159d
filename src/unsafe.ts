/**
 * `rt.unsafe`: the escape hatch — real offsets, raw pointers and views over
 * a map's buckets, barrier-free zeroing, pins, and assign/delete hooks.
 * docs/unsafe.md is the user's guide; every member here says its
 * preconditions and what invalidates what it returns.
 *
 * The gate: an `Unsafe` exists only for a runtime created with
 * `{ trusted: true }` in a whitelisted environment (src/trust.ts). Every
 * member of `Unsafe.prototype` is wrapped below by one gate check, so a
 * member added later cannot skip it; called on anything but a genuine
 * instance of a trusted runtime it throws `UnsafeNotAllowedError` before
 * touching anything.
 *
 * Staleness: a view or pointer remembers a stamp of what it was taken
 * from — the map's generation byte (hmap.typ >> 24: grows, evacuations,
 * clears, shrinks), its bucket addresses, B and nevacuate, the GoMap's
 * clear/shrink/free epoch, the heap's sweep epoch (a collection) and the
 * size of linear memory. `unsafe.isStale(x)` compares in every build; the
 * debug build compares on every use and throws `StaleViewError`.
 */
import type { Boundary, BucketLayout, HmapLayout, TophashValues } from "./boundary.js";
import type { MapHooks } from "./events.js";
import { GoMap, mapHandle, mapUnsafe, type UnsafeAccess } from "./map.js";
import { currentOp } from "./profile.js";
import { READ } from "./codec.js";
import { readHmap } from "./records.js";
import { SHAPES } from "./shapes.js";
import { coreSuffix, type KindName } from "./maptypes.js";
import { InvalidArgumentError, StaleViewError, UnsafeNotAllowedError } from "./errors.js";

/** A `WebAssembly.Memory` (declared structurally, so that a Node project
 *  needs no DOM lib to use these types). */
export interface WasmMemory {
  /** The memory's bytes; replaced (the old one detached) when it grows. */
  readonly buffer: ArrayBuffer;
  /** Grow by `delta` 64 KiB pages; returns the previous size in pages. */
  grow(delta: number): number;
}

/** Offset and size in bytes of one field. */
export interface FieldLayout {
  /** Bytes from the start of the struct. */
  offset: number;
  /** Bytes of the field. */
  size: number;
}

/** The hmap's fields (Go's names; `typ` is ours: the map's shape and generation). */
export type HmapField =
  | "count"
  | "flags"
  | "B"
  | "noverflow"
  | "hash0"
  | "buckets"
  | "oldbuckets"
  | "nevacuate"
  | "extra"
  | "typ";
// The list above is the core's hmap layout, checked here at compile time.
type SameKeys<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const hmapFieldsMatch: SameKeys<HmapField, Exclude<keyof HmapLayout, "size">> = true;
void hmapFieldsMatch;

/** One bucket shape (wasm32): tophash[8] | keys[8] | values[8] | overflow. */
export interface BucketShape {
  /** Bytes per bucket (a multiple of 8 when keys or values are 8 bytes). */
  size: number;
  /** The 8 tophash bytes (at offset 0). */
  tophash: FieldLayout;
  /** All 8 keys; key i is at keys.offset + i * keySize. */
  keys: FieldLayout;
  /** All 8 values; value i is at values.offset + i * valueSize. */
  values: FieldLayout;
  /** The overflow bucket pointer (u32). */
  overflow: FieldLayout;
  /** Bytes per key slot: 4 or 8 (string/bytes keys: an 8-byte reference,
   *  ptr u32 + len u32). */
  keySize: number;
  /** Bytes per value slot, as keySize. */
  valueSize: number;
}

/** What `rt.unsafe.layout()` returns: the core's hmap and bucket layouts
 *  (wasm32), read from its exported constants; never invalidated. */
export interface UnsafeLayout {
  /** Bytes of a pointer in linear memory (wasm32: 4). */
  pointerSize: number;
  /** The hmap header: its size in bytes and each field's offset and size. */
  hmap: { size: number; fields: Record<HmapField, FieldLayout> };
  /** Every bucket shape, by the core's storage suffix (k32/k64/kf/ks × v32/v64/vs). */
  buckets: Record<string, BucketShape>;
  /** tophash sentinels; a live slot's tophash is at least minTopHash. */
  tophash: TophashValues;
}

/** The layout a given map uses. */
export interface MapLayout {
  /** The hmap header, as in UnsafeLayout. */
  hmap: UnsafeLayout["hmap"];
  /** The tophash sentinels, as in UnsafeLayout. */
  tophash: UnsafeLayout["tophash"];
  /** This map's bucket shape. */
  bucket: BucketShape;
  /** The map's key kind. */
  key: KindName;
  /** The map's value kind. */
  value: KindName;
  /** Bytes per key slot (bucket.keySize). */
  keySize: number;
  /** Bytes per value slot (bucket.valueSize). */
  valueSize: number;
}

/** A hook of `rt.unsafe.onAssign`: `key` as a bigint (signed for an i64
 *  map, unsigned for u64); `inserted` is true for a new key, false for an
 *  update. */
export type AssignHook = (key: bigint, inserted: boolean) => void;
/** A hook of `rt.unsafe.onDelete`: the key (as for AssignHook) that a
 *  delete removed. */
export type DeleteHook = (key: bigint) => void;

/** What the runtime hands its Unsafe (kept narrow). */
export interface UnsafeContext {
  boundary: Boundary;
  /** Throws unless m is a live map of this runtime. */
  own(m: GoMap): void;
  /** Root the object at base until the returned handle is unpinned. */
  pinObject(base: number): { unpin(): void };
  pinMap(m: GoMap): { unpin(): void };
}

/** A snapshot of what a view was taken from. */
interface Stamp {
  /** The instance it was taken from (compaction moves to a new one). */
  boundary: Boundary;
  map: GoMap | null;
  acc: UnsafeAccess | null;
  h: number;
  gen: number;
  buckets: number;
  oldbuckets: number;
  nevacuate: number;
  B: number;
  /** log2 of the old array's bucket count (meaningful while growing). */
  oldB: number;
  epoch: number;
  heap: number;
  memBytes: number;
  /** Views over memory die with memory growth; addresses do not. */
  memSensitive: boolean;
  /** Slot/bucket contents move with the map; an hmap address does not. */
  mapSensitive: boolean;
}

const trustedInstances = new WeakSet<object>();
/** Only this module can make an Unsafe; only createUnsafe marks one trusted. */
const MAKE = Symbol("Unsafe");
/** Where keepAlive stores its argument: an observable write the engine cannot drop. */
const keepAliveSink: { value: unknown } = { value: undefined };
let makePointer: (u: Unsafe, kind: "hmap" | "slot", address: number, stamp: Stamp) => UnsafePointer;
let makeBuckets: (
  u: Unsafe,
  map: GoMap,
  stamp: Stamp,
  layout: BucketShape,
  old: UnsafeArray | null,
  current: UnsafeArray,
) => UnsafeBuckets;
let makeUnsafe: (ctx: UnsafeContext) => Unsafe;
/** What a pointer or view was taken from: module-private (a public getter
 *  would hand its instance — memory, exports — to anyone holding one). */
let pointerStamp: (p: UnsafePointer) => Stamp;
let bucketsStamp: (v: UnsafeBuckets) => Stamp;
function stampOf(x: UnsafePointer | UnsafeBuckets): Stamp {
  return x instanceof UnsafePointer ? pointerStamp(x) : bucketsStamp(x);
}

/** A raw address from `rt.unsafe` (hmap or value slot). Arithmetic works
 *  through `valueOf()` (`ptr + 8`); in the debug build every use checks
 *  that nothing invalidated it. */
export class UnsafePointer {
  /** "hmap" (from `pointer(m)`) or "slot" (a value slot, from `slot(m, key)`). */
  readonly kind: "hmap" | "slot";
  #address: number;
  #stamp: Stamp;
  #u: Unsafe;
  static {
    makePointer = (u, kind, address, stamp) => new UnsafePointer(u, kind, address, stamp);
    pointerStamp = (p) => p.#stamp;
  }
  /** Pointers are made by `rt.unsafe.pointer(m)` and `rt.unsafe.slot(m, k)`. */
  private constructor(u: Unsafe, kind: "hmap" | "slot", address: number, stamp: Stamp) {
    this.#u = u;
    this.kind = kind;
    this.#address = address;
    this.#stamp = stamp;
  }
  /** The address (bytes into linear memory). */
  get address(): number {
    if (this.#stamp.boundary.debug) useCheck(this.#u, this.#stamp, `${this.kind} pointer`);
    return this.#address;
  }
  /** The address, so that arithmetic works (`ptr + 8`); checked as `address` is. */
  valueOf(): number {
    return this.address;
  }
  /** Slot pointers: the value stored in the slot, decoded like `m.get`. */
  load(): number | bigint | string | Uint8Array {
    if (this.kind !== "slot")
      throw new InvalidArgumentError("pointer", "load() reads value slots; this is an hmap pointer");
    return this.#stamp.acc!.readValue(this.address);
  }
  /** Slot pointers of numeric maps: store a value straight into the slot
   *  (what `m.set` does after mapassign; no hook fires). */
  store(value: number | bigint): void {
    if (this.kind !== "slot")
      throw new InvalidArgumentError("pointer", "store() writes value slots; this is an hmap pointer");
    const m = this.#stamp.map!;
    const a = this.address;
    const b = boundaryOfUnsafe(this.#u);
    switch (m.valueType) {
      case "u32":
      case "i32": {
        if (typeof value !== "number" || !Number.isInteger(value))
          throw new InvalidArgumentError("value", `expected an integer, got ${String(value)}`);
        b.u32[a >>> 2] = value >>> 0;
        return;
      }
      case "f64":
        if (typeof value !== "number")
          throw new InvalidArgumentError("value", `expected a number, got ${typeof value}`);
        b.f64[a >>> 3] = value;
        return;
      case "u64":
      case "i64":
        if (typeof value !== "bigint" && !(typeof value === "number" && Number.isSafeInteger(value))) {
          throw new InvalidArgumentError("value", `expected a bigint or a safe integer, got ${String(value)}`);
        }
        b.u64[a >>> 3] = BigInt.asUintN(64, BigInt(value));
        return;
      default:
        throw new InvalidArgumentError(
          "value",
          `raw stores of ${m.valueType} values are not supported (a reference needs the heap and the barrier): use m.set`,
        );
    }
  }
}

/** One bucket array seen raw: typed views over exactly its bytes (in the
 *  debug build every use of a view checks that it is not stale:
 *  StaleViewError). */
export interface UnsafeArray {
  /** log2 of the array's bucket count. */
  B: number;
  /** Buckets in the array: 2^B (0 when the map has no array yet). */
  nbuckets: number;
  /** Address of bucket 0. */
  address: number;
  /** The array's bytes. */
  bytes: Uint8Array;
  /** The array as u32 words. */
  u32: Uint32Array;
  /** 8-byte views (the array starts 8-aligned; a trailing partial word is cut). */
  u64: BigUint64Array;
  /** The same 8-byte words as f64. */
  f64: Float64Array;
}

/** A map's bucket array(s), raw. Addresses taken from it (bucket(),
 *  overflow()) point into linear memory; read them with the methods here. */
export class UnsafeBuckets {
  /** log2 of the current array's bucket count. */
  readonly B: number;
  /** Buckets in the current array: 2^B (0 when the map has no array yet). */
  readonly nbuckets: number;
  /** Bytes per bucket (layout.size). */
  readonly bucketSize: number;
  /** The map's bucket shape: field offsets and sizes. */
  readonly layout: BucketShape;
  /** The current array. */
  readonly current: UnsafeArray;
  /** The old array while the map grows (null otherwise). */
  readonly old: UnsafeArray | null;
  /** Old buckets below this index are evacuated. */
  readonly nevacuate: number;
  #u: Unsafe;
  #stamp: Stamp;
  #map: GoMap;
  /** The instance it reads (release builds never check: no lookups per call). */
  #b: Boundary;
  #debug: boolean;
  static {
    makeBuckets = (u, map, stamp, layout, old, current) => new UnsafeBuckets(u, map, stamp, layout, old, current);
    bucketsStamp = (v) => v.#stamp;
  }
  /** Views are made by `rt.unsafe.buckets(m)`. */
  private constructor(
    u: Unsafe,
    map: GoMap,
    stamp: Stamp,
    layout: BucketShape,
    old: UnsafeArray | null,
    current: UnsafeArray,
  ) {
    this.#u = u;
    this.#map = map;
    this.#stamp = stamp;
    this.#b = stamp.boundary;
    this.#debug = stamp.boundary.debug;
    this.B = stamp.B;
    this.nbuckets = current.nbuckets;
    this.bucketSize = layout.size;
    this.layout = layout;
    this.current = current;
    this.old = old;
    this.nevacuate = stamp.nevacuate;
  }
  #mem(): Boundary {
    if (this.#debug) useCheck(this.#u, this.#stamp, "bucket view");
    return this.#b;
  }
  /** Address of bucket i of the current array. */
  bucket(i: number): number {
    this.#mem();
    if (!Number.isInteger(i) || i < 0 || i >= this.nbuckets)
      throw new InvalidArgumentError("i", `expected a bucket index below ${this.nbuckets}, got ${String(i)}`);
    return this.current.address + i * this.bucketSize;
  }
  /** Address of old bucket i (while growing). */
  oldBucket(i: number): number {
    this.#mem();
    const o = this.old;
    if (!o) throw new InvalidArgumentError("i", "the map is not growing: there is no old array");
    if (!Number.isInteger(i) || i < 0 || i >= o.nbuckets)
      throw new InvalidArgumentError("i", `expected an old bucket index below ${o.nbuckets}, got ${String(i)}`);
    return o.address + i * this.bucketSize;
  }
  /** The tophash byte of slot 0..7 of the bucket at address `bucket`
   *  (a live slot's is at least minTopHash; the sentinels are in `layout()`). */
  tophash(bucket: number, slot: number): number {
    return this.#mem().u8[bucket + this.layout.tophash.offset + slot]!;
  }
  /** The next bucket of the chain, 0 at its end. */
  overflow(bucket: number): number {
    return this.#mem().u32[(bucket + this.layout.overflow.offset) >>> 2]!;
  }
  /** Address of slot 0..7's key in the bucket at address `bucket`. */
  keyAddress(bucket: number, slot: number): number {
    this.#mem();
    return bucket + this.layout.keys.offset + slot * this.layout.keySize;
  }
  /** Address of slot 0..7's value in the bucket at address `bucket`. */
  valueAddress(bucket: number, slot: number): number {
    this.#mem();
    return bucket + this.layout.values.offset + slot * this.layout.valueSize;
  }
  /** The key stored in a slot, decoded (meaningful for live slots only). */
  key(bucket: number, slot: number): number | bigint | string | Uint8Array {
    return READ[this.#map.keyType](this.#mem(), this.keyAddress(bucket, slot));
  }
  /** The value stored in a slot, decoded (meaningful for live slots only). */
  value(bucket: number, slot: number): number | bigint | string | Uint8Array {
    return READ[this.#map.valueType](this.#mem(), this.valueAddress(bucket, slot));
  }
}

const contexts = new WeakMap<Unsafe, UnsafeContext>();
function boundaryOfUnsafe(u: Unsafe): Boundary {
  return contexts.get(u)!.boundary;
}

/** Throw StaleViewError in debug builds when the stamp no longer holds. */
function useCheck(u: Unsafe, s: Stamp, what: string): void {
  const b = boundaryOfUnsafe(u);
  if (!b.debug) return;
  const why = staleness(b, s);
  if (why) throw new StaleViewError(what, why);
}

/** Why a stamp is stale, or "" when it still holds. */
function staleness(b: Boundary, s: Stamp): string {
  if (s.boundary !== b) return "the runtime was compacted (everything moved to a fresh memory)";
  if (s.map?.freed) return "the map was freed";
  if (s.memSensitive && b.memory.buffer.byteLength !== s.memBytes)
    return "linear memory grew (views over the old buffer are detached)";
  if (!s.mapSensitive) return "";
  if (s.acc!.epoch() !== s.epoch) return "the map was cleared or shrunk";
  const now = stampMap(b, s.map!, s.acc!, false);
  if (now.B !== s.B || now.buckets !== s.buckets) return "the map grew (a new bucket array)";
  if (now.oldbuckets !== s.oldbuckets || now.nevacuate !== s.nevacuate || now.gen !== s.gen)
    return "the map evacuated, cleared or rebuilt buckets";
  if (now.heap !== s.heap) return "a collection ran (its sweep may have freed what the view pointed at)";
  return "";
}

function stampMap(b: Boundary, m: GoMap, acc: UnsafeAccess, memSensitive: boolean): Stamp {
  const h = mapHandle(m);
  const x = readHmap(b, h);
  return {
    boundary: b,
    map: m,
    acc,
    h,
    gen: x.gen,
    buckets: x.buckets,
    oldbuckets: x.oldbuckets,
    nevacuate: x.nevacuate,
    B: x.B,
    oldB: x.oldB,
    epoch: acc.epoch(),
    heap: b.heapEpoch(),
    memBytes: b.memory.buffer.byteLength,
    memSensitive,
    mapSensitive: true,
  };
}

/** In the debug build a typed array that checks its stamp on every access. */
function guarded<T extends object>(u: Unsafe, s: Stamp, target: T, what: string): T {
  if (!boundaryOfUnsafe(u).debug) return target;
  return new Proxy(target, {
    get(t, p) {
      useCheck(u, s, what);
      const v = Reflect.get(t, p, t) as unknown;
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(t) : v;
    },
    set(t, p, v) {
      useCheck(u, s, what);
      return Reflect.set(t, p, v, t);
    },
  });
}

/**
 * The unsafe API of one trusted runtime (`rt.unsafe`).
 *
 * What invalidates what (the debug build throws StaleViewError on use):
 * | returned by            | invalidated by                                              |
 * |------------------------|-------------------------------------------------------------|
 * | `pointer(m)`           | `m.free()` (the hmap never moves otherwise)                 |
 * | `slot(m, k)`           | any grow or evacuation of m (a write may do either), clear, shrink, free, a collection |
 * | `buckets(m)` views     | the same, plus linear-memory growth (the buffer detaches)   |
 * | `layout()`             | nothing (compile-time constants of the core)                |
 */
export class Unsafe {
  static {
    makeUnsafe = (ctx) => new Unsafe(MAKE, ctx);
  }
  /** Use `rt.unsafe`: a trusted runtime makes its own (through createUnsafe,
   *  which the package does not export); the token refuses any other way. */
  private constructor(token: symbol, ctx: UnsafeContext) {
    if (token !== MAKE) throw new TypeError("Unsafe cannot be constructed: use rt.unsafe on a trusted runtime");
    contexts.set(this, ctx);
  }

  get #ctx(): UnsafeContext {
    return contexts.get(this)!;
  }

  /** The runtime's linear memory (raw; its buffer is replaced when it grows). */
  get memory(): WasmMemory {
    return this.#ctx.boundary.memory as unknown as WasmMemory;
  }

  /** Offsets and sizes of hmap fields and of every bucket shape, read from
   *  the core's exported constants; with `m`, the shape that map uses and
   *  its key/value sizes. Never invalidated. */
  layout(): UnsafeLayout;
  /** The layout map `m` uses: its bucket shape and key/value sizes, with
   *  the hmap and tophash parts of `layout()`. Never invalidated. */
  layout(m: GoMap): MapLayout;
  layout(m?: GoMap): UnsafeLayout | MapLayout {
    const b = this.#ctx.boundary;
    const all = layoutOf(b);
    if (m === undefined) return all;
    this.#ctx.own(m);
    const bucket = all.buckets[coreSuffix(m.keyType, m.valueType)]!;
    return {
      hmap: all.hmap,
      tophash: all.tophash,
      bucket,
      key: m.keyType,
      value: m.valueType,
      keySize: bucket.keySize,
      valueSize: bucket.valueSize,
    };
  }

  /** The map's hmap address. Valid until `m.free()`: the header never
   *  moves. Reading its fields raw is safe between calls on the map;
   *  writing them is corruption. */
  pointer(m: GoMap): UnsafePointer {
    this.#ctx.own(m);
    const b = this.#ctx.boundary;
    const s = stampMap(b, m, mapUnsafe(m), false);
    s.mapSensitive = false;
    return makePointer(this, "hmap", s.h, s);
  }

  /** Typed views over the map's bucket array (and the old one while it
   *  grows), with B and the bucket size. Preconditions: no write on the
   *  map, no collection and no memory growth between taking the view and
   *  using it — any of those may move entries or free the array. */
  buckets(m: GoMap): UnsafeBuckets {
    this.#ctx.own(m);
    const b = this.#ctx.boundary;
    const acc = mapUnsafe(m);
    const s = stampMap(b, m, acc, true);
    const shape = layoutOf(b).buckets[coreSuffix(m.keyType, m.valueType)]!;
    const arr = (address: number, B: number): UnsafeArray => {
      const nbuckets = address === 0 ? 0 : 2 ** B;
      const len = nbuckets * shape.size;
      const buf = b.memory.buffer;
      return {
        B,
        nbuckets,
        address,
        bytes: guarded(this, s, new Uint8Array(buf, address, len), "bucket view"),
        u32: guarded(this, s, new Uint32Array(buf, address, len >>> 2), "bucket view"),
        u64: guarded(this, s, new BigUint64Array(buf, address, Math.floor(len / 8)), "bucket view"),
        f64: guarded(this, s, new Float64Array(buf, address, Math.floor(len / 8)), "bucket view"),
      };
    };
    const old = s.oldbuckets === 0 ? null : arr(s.oldbuckets, s.oldB);
    return makeBuckets(this, m, s, shape, old, arr(s.buckets, s.B));
  }

  /** The address of key's value slot, or null when the key is absent.
   *  Invalidated by any write on the map (it may grow or evacuate), clear,
   *  shrink, free, and a collection. */
  slot(m: GoMap, key: unknown): UnsafePointer | null {
    this.#ctx.own(m);
    const b = this.#ctx.boundary;
    const acc = mapUnsafe(m);
    const a = acc.slot(key);
    if (a === 0) return null;
    return makePointer(this, "slot", a, stampMap(b, m, acc, false));
  }

  /**
   * Write zeros straight into value slots — all of them, or those of the
   * given keys — with a raw memory fill: no write barrier, no tophash or
   * count change, no hook. `get` then returns the zero value (0, 0n, "" or
   * an empty Uint8Array) and `size` is unchanged.
   *
   * Numeric values: always safe. String/bytes values: the references are
   * dropped without shading. Safe when the map's slots are the only
   * references to those objects (true for everything `m.set` stored: each
   * slot owns its copy). Unsafe when a raw copy of a reference was stored
   * elsewhere without the barrier (e.g. through a view) while a collection
   * is marking: the collector may then never see the object and free it
   * while that copy still points at it (docs/unsafe.md shows it with the
   * tri-colour checker). Returns the value slots written: 8 per bucket
   * when zeroing everything, one per present key otherwise.
   */
  zeroValues(m: GoMap, keys?: ArrayLike<unknown>): number {
    this.#ctx.own(m);
    const n = mapUnsafe(m).zero(keys);
    return keys === undefined ? n * 8 : n;
  }

  /** Keep the heap object holding `x` alive (a map, a view's current array,
   *  a pointer, or any address inside an object) until `unpin()`: a raw
   *  pointer held by the host is invisible to the collector otherwise.
   *  Pinning keeps memory allocated; it does not stop the map from moving
   *  its entries to a new array. */
  pin(x: GoMap | UnsafePointer | UnsafeBuckets | number): { unpin(): void } {
    const ctx = this.#ctx;
    if (x instanceof GoMap) return ctx.pinMap(x);
    const addr = x instanceof UnsafeBuckets ? x.current.address : x instanceof UnsafePointer ? x.address : x;
    if (typeof addr !== "number" || !Number.isInteger(addr) || addr <= 0) {
      throw new InvalidArgumentError("x", "expected a GoMap, an unsafe pointer or view, or an address");
    }
    const base = ctx.boundary.objectBase(addr);
    if (base === 0) throw new InvalidArgumentError("x", `address ${addr} is not inside an allocated heap object`);
    return ctx.pinObject(base);
  }

  /** Release a pin (same as `pin.unpin()`). */
  unpin(pin: { unpin(): void }): void {
    if (pin === null || typeof pin !== "object" || typeof pin.unpin !== "function")
      throw new InvalidArgumentError("pin", "expected a pin from unsafe.pin()");
    pin.unpin();
  }

  /** Go's runtime.KeepAlive for what the host holds: `x` stays reachable
   *  for the JS engine up to this call (a GoMap cannot be finalized
   *  earlier). For a pointer or view, the debug build also checks here that
   *  it is still valid (StaleViewError) and that its address is still
   *  inside an allocated object. */
  keepAlive(x: unknown): void {
    const b = this.#ctx.boundary;
    if (b.debug && (x instanceof UnsafePointer || x instanceof UnsafeBuckets)) {
      const addr = x instanceof UnsafePointer ? x.address : x.current.address;
      const why = staleness(b, stampOf(x));
      if (why) throw new StaleViewError(x instanceof UnsafePointer ? `${x.kind} pointer` : "bucket view", why);
      if (addr !== 0 && b.objectBase(addr) === 0) throw new StaleViewError("pointer", "its object was freed");
    }
    keepAliveSink.value = x;
    keepAliveSink.value = undefined;
  }

  /** Has something invalidated this pointer or view? (every build) */
  isStale(x: UnsafePointer | UnsafeBuckets): boolean {
    if (!(x instanceof UnsafePointer || x instanceof UnsafeBuckets))
      throw new InvalidArgumentError("x", "expected an unsafe pointer or bucket view");
    return staleness(this.#ctx.boundary, stampOf(x)) !== "";
  }

  /** Call `fn(key, inserted)` on every assign to m (an i64/u64-key map).
   *  The core's mapassign reports the assign; `fn` runs once the write has
   *  returned (src/events.ts), in the order the writes happened, so it may
   *  read and write m, run the collector or close the runtime. If `fn`
   *  throws, the error is rethrown by the call that fired it (its write is
   *  done). Batches run one key at a time while a hook is installed.
   *  `null` removes the hook. */
  onAssign(m: GoMap, fn: AssignHook | null): void {
    this.#setHook(m, "assign", fn);
  }

  /** Call `fn(key)` on every delete that removes a key from m (not on
   *  clear()), under the same rules as onAssign. `null` removes the hook. */
  onDelete(m: GoMap, fn: DeleteHook | null): void {
    this.#setHook(m, "delete", fn);
  }

  #hooks = new WeakMap<GoMap, { assign: AssignHook | null; delete: DeleteHook | null }>();

  #setHook(m: GoMap, which: "assign" | "delete", fn: AssignHook | DeleteHook | null): void {
    this.#ctx.own(m);
    if (m.keyType !== "u64" && m.keyType !== "i64") {
      throw new InvalidArgumentError(
        "map",
        `hooks exist on i64/u64-key maps (Go's mapassign_fast64 paths); this map has ${m.keyType} keys`,
      );
    }
    if (fn !== null && typeof fn !== "function") throw new InvalidArgumentError("fn", "expected a function or null");
    const b = this.#ctx.boundary;
    const entry = this.#hooks.get(m) ?? { assign: null, delete: null };
    (entry as Record<string, unknown>)[which] = fn;
    const ops = b.enumOf("HookOp");
    const INSERT = ops.get("INSERT")!,
      UPDATE = ops.get("UPDATE")!,
      DELETE = ops.get("DELETE")!;
    const signed = m.keyType === "i64";
    const acc = mapUnsafe(m);
    if (!entry.assign && !entry.delete) {
      this.#hooks.delete(m);
      b.events.setHooks(mapHandle(m), null);
      b.setHooked(mapHandle(m), false);
      acc.setHooked(false);
      return;
    }
    this.#hooks.set(m, entry);
    const hooks: MapHooks = {
      fire(op: number, raw: bigint): void {
        const key = signed ? raw : BigInt.asUintN(64, raw);
        if (op === DELETE) entry.delete?.(key);
        else if (op === INSERT || op === UPDATE) entry.assign?.(key, op === INSERT);
      },
    };
    b.events.setHooks(mapHandle(m), hooks);
    b.setHooked(mapHandle(m), true);
    acc.setHooked(true);
  }

  /** "Unsafe". */
  get [Symbol.toStringTag](): string {
    return "Unsafe";
  }
}

/** @internal For Runtime only (not exported by the package): the Unsafe of
 *  a runtime that passed the trust checks. */
export function createUnsafe(ctx: UnsafeContext): Unsafe {
  const u = makeUnsafe(ctx);
  trustedInstances.add(u);
  return u;
}

const layouts = new WeakMap<Boundary, UnsafeLayout>();

/** The layout, derived from the core's exported constants: field sizes are
 *  the distance to the next field (hmap has no padding: each field is
 *  naturally aligned). */
function layoutOf(b: Boundary): UnsafeLayout {
  let l = layouts.get(b);
  if (l) return l;
  const { size, ...offsets } = b.hmap;
  const sorted = Object.entries(offsets).sort((x, y) => x[1] - y[1]);
  const fields = {} as Record<HmapField, FieldLayout>;
  sorted.forEach(([name, offset], i) => {
    fields[name as HmapField] = { offset, size: (i + 1 < sorted.length ? sorted[i + 1]![1] : size) - offset };
  });
  const ptr = b.constant("PTR_BYTES");
  const th = b.constant("TOPHASH_BYTES");
  const buckets: Record<string, BucketShape> = {};
  for (const sfx of SHAPES) {
    const bl: BucketLayout = b.bucketLayout(sfx);
    buckets[sfx] = {
      size: bl.size,
      tophash: { offset: bl.tophash, size: th },
      keys: { offset: bl.keys, size: bl.values - bl.keys },
      values: { offset: bl.values, size: bl.overflow - bl.values },
      overflow: { offset: bl.overflow, size: ptr },
      keySize: (bl.values - bl.keys) / th,
      valueSize: (bl.overflow - bl.values) / th,
    };
  }
  l = {
    pointerSize: ptr,
    hmap: { size, fields },
    buckets,
    tophash: { ...b.tophash },
  };
  layouts.set(b, l);
  return l;
}

// The gate: wrap every member of Unsafe.prototype (methods and getters)
// with one check. Done structurally so a new member cannot slip past it.
function gateFailure(name: string): UnsafeNotAllowedError {
  return new UnsafeNotAllowedError(`unsafe.${name}`, [], false);
}
for (const name of Object.getOwnPropertyNames(Unsafe.prototype)) {
  if (name === "constructor") continue;
  const d = Object.getOwnPropertyDescriptor(Unsafe.prototype, name)!;
  if (typeof d.value === "function") {
    const f = d.value as (...a: unknown[]) => unknown;
    const op = `Unsafe.${name}`; // heap-profile frames (src/profile.ts)
    d.value = {
      [name](this: Unsafe, ...args: unknown[]): unknown {
        if (!trustedInstances.has(this)) throw gateFailure(name);
        currentOp.name = op;
        return f.apply(this, args);
      },
    }[name];
  }
  if (d.get) {
    const g = d.get;
    d.get = function (this: Unsafe): unknown {
      if (!trustedInstances.has(this)) throw gateFailure(name);
      return g.call(this);
    };
  }
  Object.defineProperty(Unsafe.prototype, name, d);
}

/** The public members of `rt.unsafe` (tests enumerate them; docs list them). */
export const UNSAFE_ENTRY_POINTS: readonly string[] = Object.getOwnPropertyNames(Unsafe.prototype).filter(
  (n) => n !== "constructor",
);
