/**
 * reader.ts — maps read from other threads: `rt.share(m)` and `attach`.
 *
 * A runtime created with `{ shared: true }` lives in a shared
 * `WebAssembly.Memory`. `rt.share(m)` describes map m (a plain object that
 * `postMessage` carries: the memory, the hmap's address, the addresses of
 * the map's sequence word and of the runtime's control word, the bucket
 * layout); `attach(descriptor)` in any thread gives a read-only
 * `GoMapReader` that looks keys up in JS over views of that memory — no
 * wasm instance, no lock.
 *
 * The protocol (a seqlock with striped words; docs/shared.md has the proof
 * sketch): the owning thread, the only writer, makes a sequence word odd
 * before a write changes anything and even again after it
 * (assembly/map/seqlock.ts; an assign's value store in src/map.ts is
 * inside) — the map's map word for structural changes (the arrays, B,
 * hash0, clear, free), the group word of the buckets it touches for chain
 * writes (insert, update, delete, evacuation). A key of hash x is in group
 * x & groupMask(B). A reader:
 *   1. m1 = Atomics.load(map word); odd → retry.
 *   2. Uses the hmap fields (hash0, B, flags, buckets, oldbuckets) it read
 *      when the map word was last m1 (reads them again, then the map word,
 *      when it has not seen m1: the writer changes them only inside map
 *      brackets, and the map word only grows), hashes the key,
 *      g1 = Atomics.load(its group word); odd → retry.
 *   3. Walks the chain with every load that decides the answer (tophash
 *      bytes, key words, overflow pointers, value words) an Atomics.load,
 *      so none can be performed after step 4 on any CPU.
 *   4. g2 = Atomics.load(group word), m2 = Atomics.load(map word); the
 *      answer stands when g1 === g2 and m1 === m2, else retry.
 * A read racing a write may see garbage (a bucket reused after a grow, a
 * string reference whose object was freed and reused); every address and
 * length is checked against the view and every chain walk is bounded, so
 * garbage costs a retry, never a wrong answer, a hang or a huge
 * allocation.
 *
 * Every kind is supported. A string or bytes key or value is a reference
 * in its slot (ptr u32 | len u32: assembly/map/str.ts) to a heap object
 * with its bytes (a string's WTF-8: src/wtf8.ts). A key is hashed over
 * those bytes (src/hash.ts, the core's hash) and matches a slot whose
 * tophash and length match and whose bytes are equal; every byte of the
 * object is read with Atomics.load, and the object's address and length
 * are checked against the view first. The object may have been freed and
 * reused since the slot was read: it became unreachable only by a store
 * inside a bracket of the key's group word (delete, overwrite) or of the
 * map word (clear, shrink, the end of growth, free), opened before that
 * store, so before the collector could free it; a reader that read any
 * byte of the reuse sees the word moved in step 4 and retries. A value's
 * bytes are copied (into a scratch buffer) only after the group and map
 * words were found unchanged since step 1–2 — so the length is one the
 * owner really stored — and decoded only after step 4.
 */

import {
  RuntimeClosedError,
  SharedRuntimeError,
  ReadOnlyMapError,
  UseAfterFreeError,
  InvalidArgumentError,
} from "./errors.js";
import type { Boundary } from "./boundary.js";
import { hashBytesAtX, hashWordsX, seed1, tophashOf } from "./hash.js";
import type { KindArray, KindInput, KindName, KindValue } from "./maptypes.js";
import { KINDS as KIND_SPECS, coreSuffix, isBytes, isTypedArrayOf, realBytes, viewLength } from "./maptypes.js";
import { decode, encodeInto } from "./wtf8.js";

/** A shared `WebAssembly.Memory`, as the descriptor carries it. */
export interface SharedMemory {
  /** The memory's bytes now (a `SharedArrayBuffer`; a new one after growth). */
  readonly buffer: ArrayBufferLike;
}

/** What `rt.share(m)` returns and `attach` takes: plain data and the
 *  runtime's shared memory (structured-clonable). */
export interface SharedMapDescriptor<K extends KindName = KindName, V extends KindName = KindName> {
  /** "gomap-wasm/shared-map/3". */
  readonly format: string;
  /** The runtime's shared `WebAssembly.Memory` (typed structurally: the
   *  published types name no DOM or Node type). */
  readonly memory: SharedMemory;
  /** The map's hmap address. */
  readonly h: number;
  /** The address of the map's map word (structural changes). */
  readonly seq: number;
  /** The address of the group words' table (chain writes). */
  readonly groups: number;
  /** The index in that table of the map's group 0; group g's word is
   *  g * groupStride + groupBase. */
  readonly groupBase: number;
  /** Words between the map's consecutive group words (the maps' words are
   *  interleaved so each group word of a map has a cache line of its own). */
  readonly groupStride: number;
  /** The words in the group table (a power of 2). */
  readonly groupWords: number;
  /** Groups per map (a power of 2): key hash x is in group
   *  x & (groupCount - 1) & `((2^B - 1) >>> 1)`. */
  readonly groupCount: number;
  /** The address of the runtime's control word (0 while it lives; closed: 1; dead: 2). */
  readonly control: number;
  /** The key kind. */
  readonly keyType: K;
  /** The value kind. */
  readonly valueType: V;
  /** The bucket shape and hmap offsets the reader needs. */
  readonly layout: {
    readonly bucketSize: number;
    readonly keys: number;
    readonly values: number;
    readonly overflow: number;
    readonly hmapCount: number;
    readonly hmapFlags: number;
    readonly hmapB: number;
    readonly hmapHash0: number;
    readonly hmapBuckets: number;
    readonly hmapOldbuckets: number;
    readonly hmapTyp: number;
    readonly sameSizeGrow: number;
    readonly emptyRest: number;
    readonly evacuatedX: number;
    readonly evacuatedEmpty: number;
    /** hmap.typ low 16 bits (the key kind, and the value kind shifted left by 8); 0 once freed. */
    readonly kinds: number;
  };
}

const FORMAT = "gomap-wasm/shared-map/3";
const KINDS = new Set<string>(["u32", "i32", "u64", "i64", "f64", "string", "bytes"]);
/** Bytes of a kind's slot in a bucket (a string/bytes slot is a reference). */
const SLOT_BYTES: Readonly<Record<string, number>> = { u32: 4, i32: 4, u64: 8, i64: 8, f64: 8, string: 8, bytes: 8 };
/** getMany's output array of each numeric value kind. */
const ARRAY_CTOR = {
  u32: Uint32Array,
  i32: Int32Array,
  u64: BigUint64Array,
  i64: BigInt64Array,
  f64: Float64Array,
} as const;
const CONTROL_CLOSED = 1;
/** @internal The control word's value once the runtime died (the host
 *  writes it: src/boundary.ts; any value but 0 stops the readers). */
export const CONTROL_DEAD = 2;
/** Can this thread block in Atomics.wait (not a browser's main thread)? */
const CAN_WAIT = ((): boolean => {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0); // "not-equal" at once where allowed
    return true;
  } catch {
    return false;
  }
})();

/** @internal The descriptor of map h (rt.share). */
export function shareDescriptor<K extends KindName, V extends KindName>(
  b: Boundary,
  h: number,
  keyType: K,
  valueType: V,
): SharedMapDescriptor<K, V> {
  const l = b.bucketLayout(coreSuffix(keyType, valueType));
  const ex = b.exports;
  return {
    format: FORMAT,
    memory: b.memory,
    h,
    seq: ex.seqAddress(h) >>> 0,
    groups: ex.groupTable() >>> 0,
    groupBase: ex.seqGroupBase(h) >>> 0,
    groupStride: ex.seqGroupStride() >>> 0,
    groupWords: ex.seqGroupWords() >>> 0,
    groupCount: ex.seqGroupCount() >>> 0,
    control: ex.controlWord() >>> 0,
    keyType,
    valueType,
    layout: {
      bucketSize: l.size,
      keys: l.keys,
      values: l.values,
      overflow: l.overflow,
      hmapCount: b.hmap.count,
      hmapFlags: b.hmap.flags,
      hmapB: b.hmap.B,
      hmapHash0: b.hmap.hash0,
      hmapBuckets: b.hmap.buckets,
      hmapOldbuckets: b.hmap.oldbuckets,
      hmapTyp: b.hmap.typ,
      sameSizeGrow: b.sameSizeFlag,
      emptyRest: b.tophash.emptyRest,
      evacuatedX: b.tophash.evacuatedX,
      evacuatedEmpty: b.tophash.evacuatedEmpty,
      kinds: (b.kindCodes.get(keyType.toUpperCase())! | (b.kindCodes.get(valueType.toUpperCase())! << 8)) >>> 0,
    },
  };
}

/** Retries before a reader gives up on one call (the writer kept the map
 *  changing the whole time): ConcurrentChangeError… is not a thing: the
 *  reader keeps trying; a call only ends with an answer or a typed error. */
const ITER_RETRIES = 64;

/** The hmap fields a reader loads, with their widths in bytes. */
const HMAP_FIELDS = [
  ["hmapCount", 4],
  ["hmapFlags", 1],
  ["hmapB", 1],
  ["hmapHash0", 4],
  ["hmapBuckets", 4],
  ["hmapOldbuckets", 4],
  ["hmapTyp", 4],
] as const;

function bad(what: string): never {
  throw new InvalidArgumentError("descriptor", what);
}

function u32Field(o: Record<string, unknown>, name: string, max: number): number {
  const v = o[name];
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > max)
    bad(`${name} must be an integer in [0, ${max}]`);
  return v;
}

/** A numeric key or value of `kind` from its slot's words (lo, hi): f64
 *  through the scratch f64/f64w (one Float64Array and a Uint32Array over it). */
function numberOf(kind: KindName, lo: number, hi: number, f64: Float64Array, f64w: Uint32Array): number | bigint {
  switch (kind) {
    case "u32":
      return lo >>> 0;
    case "i32":
      return lo | 0;
    case "f64":
      f64w[0] = lo;
      f64w[1] = hi;
      return f64[0]!;
    case "u64":
      return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
    default:
      return BigInt.asIntN(64, (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0));
  }
}

/**
 * A read-only view, in any thread, of a map of a shared runtime: made by
 * `attach(rt.share(m))`. Lookups run in JS with no lock (a seqlock:
 * docs/shared.md); they never return a torn or mixed answer and never
 * block the owning thread. `set`, `delete` and `clear` throw
 * `ReadOnlyMapError`: post writes to the owning thread.
 */
export class GoMapReader<K extends KindName = KindName, V extends KindName = KindName> {
  /** The key kind. */
  readonly keyType: K;
  /** The value kind. */
  readonly valueType: V;
  #memory: WebAssembly.Memory;
  #i32: Int32Array;
  #u8: Uint8Array;
  #h: number;
  #seq: number;
  #control: number;
  /** Int32Array index of the map's group 0, the stride between its group words, groups - 1. */
  #g0: number;
  #gs: number;
  #gcm: number;
  #ks: number;
  #vs: number;
  #bs: number;
  #ko: number;
  #vo: number;
  #oo: number;
  #L: SharedMapDescriptor["layout"];
  /** String/bytes keys, values (references in their slots); strings. */
  #kref: boolean;
  #kstr: boolean;
  #vref: boolean;
  #vstr: boolean;
  #retries = 0;
  #lookups = 0;
  #f64 = new Float64Array(1);
  #f64w = new Uint32Array(this.#f64.buffer);

  /** @internal Use `attach(descriptor)`. */
  constructor(d: SharedMapDescriptor<K, V>) {
    this.keyType = d.keyType;
    this.valueType = d.valueType;
    this.#memory = d.memory as WebAssembly.Memory; // attach() checked it is one
    this.#L = d.layout;
    this.#h = d.h;
    this.#seq = d.seq >>> 2;
    this.#control = d.control >>> 2;
    this.#g0 = (d.groups >>> 2) + d.groupBase;
    this.#gs = d.groupStride;
    this.#gcm = d.groupCount - 1;
    this.#ks = SLOT_BYTES[d.keyType]!;
    this.#vs = SLOT_BYTES[d.valueType]!;
    this.#kstr = d.keyType === "string";
    this.#kref = this.#kstr || d.keyType === "bytes";
    this.#vstr = d.valueType === "string";
    this.#vref = this.#vstr || d.valueType === "bytes";
    this.#bs = d.layout.bucketSize;
    this.#ko = d.layout.keys;
    this.#vo = d.layout.values;
    this.#oo = d.layout.overflow;
    const buf = d.memory.buffer;
    this.#i32 = new Int32Array(buf);
    this.#u8 = new Uint8Array(buf);
  }

  /** Lookups and retries so far (a retry: the map changed under a lookup). */
  get stats(): { lookups: number; retries: number } {
    return { lookups: this.#lookups, retries: this.#retries };
  }

  /** New views if the memory grew (a shared memory's views keep their length). */
  #refresh(): boolean {
    const buf = this.#memory.buffer;
    if (buf.byteLength === this.#u8.length) return false;
    this.#i32 = new Int32Array(buf);
    this.#u8 = new Uint8Array(buf);
    return true;
  }

  /** The map word the header fields below were read under (-1: none).
   *  The hmap's cache line is written by every insert (count, flags); a
   *  reader that loaded it on every lookup made each insert of the owner
   *  and each lookup miss the cache (docs/shared.md: what the words cost). */
  #hs = -1;
  #hash0 = 0;
  #seed1 = 0;
  #mask = 0;
  /** The group mask: groupCount - 1 & (mask >>> 1). */
  #gmask = 0;
  #buckets = 0;
  #old = 0;
  /** The old array's bucket mask (mask for a same-size grow, mask >>> 1 when doubling). */
  #om = 0;

  /** Start of a try: the map word (as an unsigned number: it wraps past
   *  2^31), after the closed and freed checks, with the header fields read
   *  under it; -1 when a structural write is in progress (or garbage). */
  #begin(): number {
    const i32 = this.#i32;
    const c = Atomics.load(i32, this.#control);
    if (c !== 0) this.#stopped(c);
    const s = Atomics.load(i32, this.#seq) >>> 0;
    if ((s & 1) !== 0) return -1;
    if (s === this.#hs) return s;
    // The map word moved since the fields were read: read them again, under
    // the map word (a header read that a structural write overlapped is
    // dropped: the word is no longer s).
    const h = this.#h,
      L = this.#L,
      u8 = this.#u8;
    const typ = Atomics.load(i32, (h + L.hmapTyp) >>> 2);
    if ((typ & 0xffff) !== L.kinds) {
      if (Atomics.load(i32, this.#seq) >>> 0 === s) throw new UseAfterFreeError("map", "was freed by its owner");
      return -1;
    }
    const hash0 = Atomics.load(i32, (h + L.hmapHash0) >>> 2) >>> 0;
    const flags = Atomics.load(u8, h + L.hmapFlags);
    const B = Atomics.load(u8, h + L.hmapB);
    const buckets = Atomics.load(i32, (h + L.hmapBuckets) >>> 2) >>> 0;
    const old = Atomics.load(i32, (h + L.hmapOldbuckets) >>> 2) >>> 0;
    if (B > 31 || Atomics.load(i32, this.#seq) >>> 0 !== s) return -1;
    const mask = B === 31 ? 0x7fffffff : (1 << B) - 1;
    const s1 = seed1(hash0);
    // No field is half-updated under an old #hs: nothing below can throw
    // (a stack overflow in seed1 above leaves the previous fields whole).
    this.#hash0 = hash0;
    this.#seed1 = s1;
    this.#mask = mask;
    this.#gmask = this.#gcm & (mask >>> 1);
    this.#buckets = buckets;
    this.#old = old;
    this.#om = (flags & L.sameSizeGrow) !== 0 ? mask : mask >>> 1;
    this.#hs = s;
    return s;
  }

  /** The control word is not 0: the runtime was closed, or it died (the
   *  core may have stopped inside a write, leaving a word odd for good). */
  #stopped(c: number): never {
    if (c === CONTROL_CLOSED) throw new RuntimeClosedError("map reader");
    throw new SharedRuntimeError(
      "this map reader's runtime died (its owner's maps throw RuntimeDeadError; a write may have stopped half-way): create a new runtime and share its maps again",
    );
  }

  #spin(n: number): void {
    this.#retries++;
    // A write is short (one entry; growth evacuates two buckets): spin.
    // After many tries, check the views (the memory may have grown).
    if ((n & 15) === 15) {
      this.#refresh();
      // Still busy after 64 tries: the writer was most likely descheduled
      // inside a write (more threads than cores). Where this thread may
      // block (workers; not a browser's main thread), sleep 20 µs: that
      // gives a core back to the writer instead of spinning it away.
      if (n >= 63 && CAN_WAIT) Atomics.wait(this.#i32, this.#control, 0, 0.02);
    }
  }

  /** The Int32Array index of the group word #probe read, and its value. */
  #gw = 0;
  #g1 = 0;

  /**
   * The first bucket a lookup of hash x walks, or 0 when the map has no
   * bucket array (none yet, or freed: empty), -1 to retry (the key's group
   * is being written, or garbage). Loads the key's group word first (#gw,
   * #g1): its group (assembly/map/seqlock.ts) is the low bits common to its
   * bucket index in the old and the new array. While the map grows, the
   * old bucket when it is not evacuated yet.
   */
  #head(x: number): number {
    const gw = this.#g0 + (x & this.#gmask) * this.#gs;
    const g1 = Atomics.load(this.#i32, gw);
    if ((g1 & 1) !== 0) return -1;
    this.#gw = gw;
    this.#g1 = g1;
    const buckets = this.#buckets,
      old = this.#old,
      bs = this.#bs;
    if (buckets === 0) return 0;
    if (old !== 0) {
      const ob = old + ((x & this.#om) >>> 0) * bs;
      if (ob + bs > this.#u8.length) return -1;
      const t0 = Atomics.load(this.#u8, ob);
      if (t0 < this.#L.evacuatedX || t0 > this.#L.evacuatedEmpty) return ob;
    }
    return buckets + ((x & this.#mask) >>> 0) * bs;
  }

  /**
   * The value slot of key words (lo, hi/hi2) in the map, or 0; -1 when the
   * try must be retried (garbage: an address outside memory, a chain longer
   * than memory can hold; or the key's group is being written). Reads the
   * hmap, then the key's group word (#gw, #g1), then the chain. Every load
   * is an Atomics.load.
   */
  #probe(lo: number, hi: number, hi2: number): number {
    const i32 = this.#i32;
    const u8 = this.#u8;
    const L = this.#L;
    const size = u8.length;
    const x = hashWordsX(lo, hi, this.#hash0, this.#seed1);
    let b = this.#head(x);
    if (b <= 0) return b;
    const bs = this.#bs;
    const top = tophashOf(x);
    const ko = this.#ko,
      ks = this.#ks,
      er = L.emptyRest;
    // A chain cannot hold more buckets than memory: more is garbage.
    let steps = Math.floor(size / bs) + 1;
    while (b !== 0) {
      if (b + bs > size || (b & 3) !== 0 || --steps < 0) return -1;
      for (let i = 0; i < 8; i++) {
        const t = Atomics.load(u8, b + i);
        if (t === top) {
          const k = (b + ko + ks * i) >>> 2;
          if (Atomics.load(i32, k) === (lo | 0)) {
            if (ks === 4) return b + this.#vo + i * this.#vs;
            const kh = Atomics.load(i32, k + 1);
            if (kh === (hi | 0) || kh === (hi2 | 0)) return b + this.#vo + i * this.#vs;
          }
        } else if (t === er) return 0;
      }
      b = Atomics.load(i32, (b + this.#oo) >>> 2) >>> 0;
    }
    return 0;
  }

  /**
   * #probe for a string/bytes key: its bytes are #kb[0..#kn). A slot
   * matches when its tophash and length match and the bytes of the object
   * its reference points at are the key's (Go's map_faststr: length, then
   * bytes). The reference and every byte are Atomics.loads (a word at a
   * time where the object is aligned, as heap objects are: an
   * Atomics.load costs ~8 ns here, a plain load ~0.5); an address or
   * length outside the view is garbage (-1: retry), checked before a byte
   * is read, so a compare never runs past the view or the key.
   */
  #probeRef(): number {
    const i32 = this.#i32;
    const u8 = this.#u8;
    const L = this.#L;
    const size = u8.length;
    const kb = this.#kb,
      kb32 = this.#kb32,
      kn = this.#kn;
    const x = hashBytesAtX(kb, 0, kn, this.#hash0, this.#seed1);
    let b = this.#head(x);
    if (b <= 0) return b;
    const bs = this.#bs;
    const top = tophashOf(x);
    const ko = this.#ko,
      er = L.emptyRest;
    let steps = Math.floor(size / bs) + 1;
    while (b !== 0) {
      if (b + bs > size || (b & 3) !== 0 || --steps < 0) return -1;
      for (let i = 0; i < 8; i++) {
        const t = Atomics.load(u8, b + i);
        if (t === top) {
          const k = (b + ko + 8 * i) >>> 2;
          if (Atomics.load(i32, k + 1) >>> 0 === kn) {
            if (kn === 0) return b + this.#vo + i * this.#vs;
            const p = Atomics.load(i32, k) >>> 0;
            if (p === 0 || p + kn > size) return -1; // no real key is there
            let j = 0;
            if ((p & 3) === 0) {
              const w = p >>> 2,
                words = kn >>> 2;
              while (j < words && Atomics.load(i32, w + j) === kb32[j]) j++;
              j = j === words ? j << 2 : -1;
            }
            if (j >= 0) {
              while (j < kn && Atomics.load(u8, p + j) === kb[j]) j++;
              if (j === kn) return b + this.#vo + i * this.#vs;
            }
          }
        } else if (t === er) return 0;
      }
      b = Atomics.load(i32, (b + this.#oo) >>> 2) >>> 0;
    }
    return 0;
  }

  /** The bytes of the last string/bytes value #lookup found: #vb[0..#vn). */
  #vb = new Uint8Array(64);
  #vb32 = new Int32Array(this.#vb.buffer);
  #vn = 0;

  /**
   * Copy the n bytes of a value object at p into #vb (a string/bytes
   * value, whose reference (p, n) the try read from its slot). False when
   * the try must be retried: (p, n) outside the view (garbage), or the
   * group or map word moved since the try began (then (p, n) may be torn
   * or stale: copying could allocate for a length nobody stored). So #vb
   * only ever grows to a length a value of the map really had. Every byte
   * is an Atomics.load (a word at a time where p is aligned); the try's
   * final check decides whether the copy stands.
   */
  #copyValue(p: number, n: number, m1: number): boolean {
    if (n === 0) {
      this.#vn = 0;
      return true;
    }
    const i32 = this.#i32,
      u8 = this.#u8;
    if (p === 0 || n > u8.length || p + n > u8.length) return false;
    if (Atomics.load(i32, this.#gw) !== this.#g1 || Atomics.load(i32, this.#seq) >>> 0 !== m1) return false;
    if (this.#vb.length < n) {
      let c = this.#vb.length;
      while (c < n) c *= 2;
      this.#vb = new Uint8Array(c);
      this.#vb32 = new Int32Array(this.#vb.buffer);
    }
    const vb = this.#vb;
    let j = 0;
    if ((p & 3) === 0) {
      const vb32 = this.#vb32,
        w = p >>> 2,
        words = n >>> 2;
      for (; j < words; j++) vb32[j] = Atomics.load(i32, w + j);
      j <<= 2;
    }
    for (; j < n; j++) vb[j] = Atomics.load(u8, p + j);
    this.#vn = n;
    return true;
  }

  /** Look the key up under the seqlock (its words, or for a string/bytes
   *  key its bytes #kb[0..#kn)): found, value words in out — and with
   *  `copy`, a string/bytes value's bytes in #vb[0..#vn). */
  #lookup(lo: number, hi: number, hi2: number, out: Int32Array, copy: boolean): boolean {
    this.#lookups++;
    for (let n = 0; ; n++) {
      const m1 = this.#begin();
      if (m1 < 0) {
        this.#spin(n);
        continue;
      }
      let slot = this.#kref ? this.#probeRef() : this.#probe(lo, hi, hi2);
      const i32 = this.#i32;
      if (slot > 0) {
        out[0] = Atomics.load(i32, slot >>> 2);
        if (this.#vs === 8) out[1] = Atomics.load(i32, (slot >>> 2) + 1);
        if (copy && this.#vref && !this.#copyValue(out[0]! >>> 0, out[1]! >>> 0, m1)) slot = -1;
      }
      // The group word, then the map word: both unchanged → the answer stands.
      if (slot >= 0 && Atomics.load(i32, this.#gw) === this.#g1 && Atomics.load(i32, this.#seq) >>> 0 === m1)
        return slot > 0;
      if (slot < 0 && this.#refresh()) continue;
      this.#spin(n);
    }
  }

  #out = new Int32Array(2);

  /** The value #lookup found (with copy): its words in #out, or its bytes in #vb. */
  #value(): KindValue<V> {
    if (!this.#vref) return this.#decode(this.#out[0]!, this.#out[1]!);
    return (this.#vstr ? decode(this.#vb, 0, this.#vn) : this.#vb.slice(0, this.#vn)) as KindValue<V>;
  }

  #decode(lo: number, hi: number): KindValue<V> {
    return numberOf(this.valueType, lo, hi, this.#f64, this.#f64w) as KindValue<V>;
  }

  /** The key's words (#klo, #khi, and #khi2: the high word -0 also
   *  matches), set by #words. */
  #klo = 0;
  #khi = 0;
  #khi2 = 0;

  /** A string/bytes key's bytes: #kb[0..#kn) (a string key's WTF-8, a
   *  copy of a bytes key), and the same buffer as words. */
  #kb = new Uint8Array(64);
  #kb32 = new Int32Array(this.#kb.buffer);
  #kn = 0;

  /** Make #kb hold at least n bytes. */
  #keyRoom(n: number): void {
    let c = this.#kb.length;
    while (c < n) c *= 2;
    this.#kb = new Uint8Array(c);
    this.#kb32 = new Int32Array(this.#kb.buffer);
  }

  /** A key of the wrong type: InvalidArgumentError, with GoMap's message
   *  (a Proxy or a String object is not a string, a Proxy of a Uint8Array
   *  not bytes; the key is not read through). */
  #badKey(key: unknown): never {
    KIND_SPECS[this.keyType].toCore(key, "key");
    throw new InvalidArgumentError("key", `expected a ${this.keyType}`);
  }

  /** The key as words (#klo, #khi, #khi2), or a string/bytes key as bytes
   *  (#kb, #kn); false when no stored key can match (NaN, a key longer than
   *  memory). A key of the wrong type or out of the kind's range throws
   *  InvalidArgumentError, as for GoMap. No allocation for 32-bit and f64
   *  keys. */
  #words(key: unknown): boolean {
    switch (this.keyType) {
      case "string": {
        if (typeof key !== "string") this.#badKey(key);
        // Each UTF-16 unit is at least one byte: a longer key is in no map here.
        const n = key.length;
        if (n > this.#u8.length) {
          this.#refresh();
          if (n > this.#u8.length) return false;
        }
        if (this.#kb.length < n * 3) this.#keyRoom(n * 3);
        const kb = this.#kb;
        let i = 0;
        for (; i < n; i++) {
          const c = key.charCodeAt(i);
          if (c >= 0x80) break;
          kb[i] = c;
        }
        this.#kn = i === n ? n : encodeInto(key, kb, 0); // ASCII: its code units
        return true;
      }
      case "bytes": {
        if (!isBytes(key)) this.#badKey(key);
        // The real extent (the intrinsic getter: an own `length` cannot lie).
        const n = viewLength(key);
        if (n > this.#u8.length) {
          this.#refresh();
          if (n > this.#u8.length) return false; // no stored key is that long
        }
        if (this.#kb.length < n) this.#keyRoom(n);
        if (n > 0) this.#kb.set(key); // copied: compared a word at a time
        this.#kn = n;
        return true;
      }
      case "u32":
        if (typeof key !== "number" || !Number.isInteger(key) || key < 0 || key > 0xffffffff) this.#badKey(key);
        this.#klo = key | 0;
        this.#khi = this.#khi2 = 0;
        return true;
      case "i32":
        if (typeof key !== "number" || !Number.isInteger(key) || key < -0x80000000 || key > 0x7fffffff)
          this.#badKey(key);
        this.#klo = key;
        this.#khi = this.#khi2 = 0;
        return true;
      case "f64": {
        if (typeof key !== "number") this.#badKey(key);
        if (Number.isNaN(key)) return false; // NaN != NaN: never found
        this.#f64[0] = key === 0 ? 0 : key;
        this.#klo = this.#f64w[0]! | 0;
        this.#khi = this.#f64w[1]! | 0;
        this.#khi2 = key === 0 ? 0x80000000 | 0 : this.#khi;
        return true;
      }
      default: {
        let v: bigint;
        if (typeof key === "bigint") v = key;
        else if (typeof key === "number" && Number.isSafeInteger(key)) v = BigInt(key);
        else this.#badKey(key);
        if (this.keyType === "u64" ? v < 0n || v >= 1n << 64n : v < -(1n << 63n) || v >= 1n << 63n) this.#badKey(key);
        const u = BigInt.asUintN(64, v);
        this.#klo = Number(u & 0xffffffffn) | 0;
        this.#khi = this.#khi2 = Number(u >> 32n) | 0;
        return true;
      }
    }
  }

  /** The value of key, or undefined. */
  get(key: KindInput<K>): KindValue<V> | undefined {
    if (!this.#words(key)) {
      this.#begin(); // closed or freed still throw
      return undefined;
    }
    if (!this.#lookup(this.#klo, this.#khi, this.#khi2, this.#out, true)) return undefined;
    return this.#value();
  }

  /** Whether key is in the map. */
  has(key: KindInput<K>): boolean {
    if (!this.#words(key)) {
      this.#begin();
      return false;
    }
    return this.#lookup(this.#klo, this.#khi, this.#khi2, this.#out, false);
  }

  /**
   * Look many keys up, as `GoMap.getMany`: numeric values go to `out` (a
   * typed array of the value kind, new if omitted; 0 for absent keys);
   * string/bytes values to an array (undefined for absent keys).
   * `found[i]` says whether key i was present. Returns `out`. Each key is
   * looked up on its own (the answers are each linearizable, not one
   * snapshot). `keys` that is not an array or typed array, a key of the
   * wrong type (every key is checked before `out` or `found` is written),
   * or an `out` or `found` of the wrong type or too short:
   * InvalidArgumentError.
   */
  getMany(keys: ArrayLike<KindInput<K>>, out?: KindArray<V>, found?: Uint8Array): KindArray<V> {
    if (keys === null || typeof keys !== "object")
      throw new InvalidArgumentError("keys", "expected an array or typed array");
    const n =
      ArrayBuffer.isView(keys) && !(keys instanceof DataView) ? viewLength(keys) : (keys as ArrayLike<unknown>).length;
    if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0 || n > 0xffffffff)
      throw new InvalidArgumentError(
        "keys",
        `expected an array or typed array with a length from 0 to 2^32 − 1, got length ${String(n)}`,
      );
    const given = out as unknown;
    let refs: (KindValue<V> | undefined)[] | null = null;
    let words: Int32Array | null = null;
    let result: unknown;
    if (this.#vref) {
      result = given ?? new Array<KindValue<V> | undefined>(n);
      if (!Array.isArray(result) || result.length < n)
        throw new InvalidArgumentError("out", `must be an array of at least ${n} elements`);
      refs = result as (KindValue<V> | undefined)[];
    } else {
      const Ctor = ARRAY_CTOR[this.valueType as keyof typeof ARRAY_CTOR];
      result = given ?? new Ctor(n);
      if (!isTypedArrayOf(result, Ctor) || viewLength(result as ArrayBufferView) < n)
        throw new InvalidArgumentError("out", `must be a ${Ctor.name} of at least ${n} elements`);
      // Written as 32-bit words through a view of its real bytes (the
      // intrinsic getters): no BigInt per value, no user code on a write.
      const bytes = realBytes(result as ArrayBufferView, this.#vs);
      words = new Int32Array(bytes.buffer, bytes.byteOffset, bytes.length >>> 2);
    }
    if (found !== undefined && (!isBytes(found) || viewLength(found) < n))
      throw new InvalidArgumentError("found", `must be a Uint8Array of at least ${n} elements`);
    const fb = found === undefined ? null : realBytes(found, 1);
    this.#begin(); // closed or freed throw, even for no keys
    // Every key's type first: a bad key throws before out or found change.
    // A typed array's elements run no code; any other array-like's are read
    // once (a getter could answer differently the second time), into a list
    // that grows only by keys already checked.
    const spec = KIND_SPECS[this.keyType];
    let list: ArrayLike<unknown> = keys as ArrayLike<unknown>;
    if (!ArrayBuffer.isView(keys)) {
      const once: unknown[] = [];
      for (let i = 0; i < n; i++) {
        const k = (keys as ArrayLike<unknown>)[i];
        spec.toCore(k, `keys[${i}]`);
        once.push(k);
      }
      list = once;
    } else for (let i = 0; i < n; i++) spec.toCore(list[i], `keys[${i}]`);
    const o = this.#out;
    const wide = this.#vs === 8;
    for (let i = 0; i < n; i++) {
      const hit = this.#words(list[i]) && this.#lookup(this.#klo, this.#khi, this.#khi2, o, true);
      if (fb !== null) fb[i] = hit ? 1 : 0;
      if (refs !== null) refs[i] = hit ? this.#value() : undefined;
      else if (wide) {
        words![2 * i] = hit ? o[0]! : 0;
        words![2 * i + 1] = hit ? o[1]! : 0;
      } else words![i] = hit ? o[0]! : 0;
    }
    return result as KindArray<V>;
  }

  /** The number of entries. */
  get size(): number {
    for (let n = 0; ; n++) {
      const s1 = this.#begin();
      if (s1 >= 0) {
        // count is one aligned word: any value a load sees is the size at
        // some moment (a chain write changes it inside its group bracket).
        const c = Atomics.load(this.#i32, (this.#h + this.#L.hmapCount) >>> 2) >>> 0;
        if (Atomics.load(this.#i32, this.#seq) >>> 0 === s1) return c;
      }
      this.#spin(n);
    }
  }

  /** The map's group words, read into g; false if one is odd. */
  #groupWords(g: Int32Array): boolean {
    const i32 = this.#i32;
    for (let j = 0; j < g.length; j++) {
      const w = Atomics.load(i32, this.#g0 + j * this.#gs);
      if ((w & 1) !== 0) return false;
      g[j] = w;
    }
    return true;
  }

  /** Every entry, read in one pass that no write overlapped: the map word
   *  and every group word of the map unchanged (retried when one changed;
   *  after 1024 tries, SharedRuntimeError). */
  #snapshot(): [KindValue<K>, KindValue<V>][] {
    const g1 = new Int32Array(this.#gcm + 1),
      g2 = new Int32Array(this.#gcm + 1);
    for (let n = 0; n < ITER_RETRIES * 16; n++) {
      const s1 = this.#begin();
      if (s1 >= 0 && this.#groupWords(g1)) {
        const r = this.#collect(s1, g1);
        if (r !== null && this.#groupWords(g2) && Atomics.load(this.#i32, this.#seq) >>> 0 === s1) {
          let same = true;
          for (let j = 0; j < g1.length; j++) if (g1[j] !== g2[j]) same = false;
          if (same) return this.#entriesOf(r);
        }
        if (r === null) this.#refresh();
      }
      this.#spin(n);
    }
    throw new SharedRuntimeError(
      "GoMapReader iteration: the map changed during every one of 1024 passes; iterate when the owner writes less, or ask the owner for a copy",
    );
  }

  /** The bytes of the string/bytes keys and values the last #collect read. */
  #arena = new Uint8Array(256);
  #arenaUsed = 0;

  /** Copy the n bytes at p (a reference read from a slot) to the arena:
   *  their offset there, or -1 when (p, n) is outside the view or the
   *  pass copied more bytes than memory holds (garbage: a consistent pass
   *  reads distinct objects, so no more than the view). */
  #toArena(p: number, n: number, size: number): number {
    const at = this.#arenaUsed;
    if (n === 0) return at;
    if (p === 0 || n > size || p + n > size || at + n > size) return -1;
    if (this.#arena.length < at + n) {
      let c = this.#arena.length;
      while (c < at + n) c *= 2;
      const a = new Uint8Array(c);
      a.set(this.#arena.subarray(0, at));
      this.#arena = a;
    }
    const arena = this.#arena,
      u8 = this.#u8;
    for (let j = 0; j < n; j++) arena[at + j] = Atomics.load(u8, p + j);
    this.#arenaUsed = at + n;
    return at;
  }

  /** One pass over the map: per entry its key words and value words (for
   *  a string/bytes kind: its bytes' offset in the arena and its length),
   *  four numbers each; null for garbage (an address outside the view, a
   *  chain longer than memory, more entries than the count) or a write
   *  seen. Decoded by #entriesOf once the pass is known to be consistent.
   *  A reference's bytes are copied only after its bucket's group word and
   *  the map word are found still at the pass's start values (s1, g1), as
   *  a lookup does: a reference is then one a consistent map held, so the
   *  arena never grows past the bytes the map really holds, whatever
   *  garbage a racing write shows. */
  #collect(s1: number, g1: Int32Array): number[] | null {
    const i32 = this.#i32,
      u8 = this.#u8,
      L = this.#L,
      h = this.#h,
      bs = this.#bs,
      size = u8.length;
    const out: number[] = [];
    this.#arenaUsed = 0;
    const kref = this.#kref,
      vref = this.#vref;
    const B = Atomics.load(u8, h + L.hmapB);
    if (B > 31) return null;
    const arrays = [Atomics.load(i32, (h + L.hmapBuckets) >>> 2) >>> 0];
    const old = Atomics.load(i32, (h + L.hmapOldbuckets) >>> 2) >>> 0;
    const flags = Atomics.load(u8, h + L.hmapFlags);
    const nb = 2 ** B;
    const nold = old === 0 ? 0 : (flags & L.sameSizeGrow) !== 0 ? nb : nb / 2;
    let steps = Math.floor(size / bs) + 1;
    const count = Atomics.load(i32, (h + L.hmapCount) >>> 2) >>> 0;
    // Bucket j (of either array) is in group j & gmask (assembly/map/seqlock.ts).
    const gmask = this.#gcm & ((nb - 1) >>> 1);
    const seq = this.#seq,
      g0 = this.#g0,
      gs = this.#gs;
    const visit = (b0: number, skipEvacuated: boolean, g: number): boolean => {
      const gw = g0 + g * gs,
        gv = g1[g]!;
      if (skipEvacuated) {
        if (b0 + bs > size) return false;
        const t0 = Atomics.load(u8, b0);
        if (t0 >= L.evacuatedX && t0 <= L.evacuatedEmpty) return true;
      }
      for (let b = b0; b !== 0; b = Atomics.load(i32, (b + this.#oo) >>> 2) >>> 0) {
        if (b + bs > size || (b & 3) !== 0 || --steps < 0) return false;
        for (let i = 0; i < 8; i++) {
          const t = Atomics.load(u8, b + i);
          if (t < 5) continue; // empty or evacuated slot
          if (out.length >= 4 * count) return false;
          const k = (b + this.#ko + this.#ks * i) >>> 2;
          const v = (b + this.#vo + this.#vs * i) >>> 2;
          let klo = Atomics.load(i32, k),
            khi = this.#ks === 8 ? Atomics.load(i32, k + 1) : 0;
          let vlo = Atomics.load(i32, v),
            vhi = this.#vs === 8 ? Atomics.load(i32, v + 1) : 0;
          if ((kref || vref) && (Atomics.load(i32, gw) !== gv || Atomics.load(i32, seq) >>> 0 !== s1)) return false;
          if (kref) {
            khi >>>= 0;
            klo = this.#toArena(klo >>> 0, khi, size);
            if (klo < 0) return false;
          }
          if (vref) {
            vhi >>>= 0;
            vlo = this.#toArena(vlo >>> 0, vhi, size);
            if (vlo < 0) return false;
          }
          out.push(klo, khi, vlo, vhi);
        }
      }
      return true;
    };
    if (old !== 0) for (let j = 0; j < nold; j++) if (!visit(old + j * bs, true, j & gmask)) return null;
    if (arrays[0] !== 0) for (let j = 0; j < nb; j++) if (!visit(arrays[0]! + j * bs, false, j & gmask)) return null;
    return out;
  }

  /** The entries of a consistent pass #collect read. */
  #entriesOf(r: number[]): [KindValue<K>, KindValue<V>][] {
    const out = new Array<[KindValue<K>, KindValue<V>]>(r.length >>> 2);
    const arena = this.#arena;
    const ref = (str: boolean, at: number, n: number) => (str ? decode(arena, at, n) : arena.slice(at, at + n));
    for (let e = 0; e < out.length; e++) {
      const klo = r[4 * e]!,
        khi = r[4 * e + 1]!,
        vlo = r[4 * e + 2]!,
        vhi = r[4 * e + 3]!;
      out[e] = [
        (this.#kref
          ? ref(this.#kstr, klo, khi)
          : numberOf(this.keyType, klo, khi, this.#f64, this.#f64w)) as KindValue<K>,
        this.#vref ? (ref(this.#vstr, vlo, vhi) as KindValue<V>) : this.#decode(vlo, vhi),
      ];
    }
    return out;
  }

  /** [key, value] pairs of one consistent pass over the map. */
  *entries(): IterableIterator<[KindValue<K>, KindValue<V>]> {
    yield* this.#snapshot();
  }
  /** The keys of one consistent pass over the map. */
  *keys(): IterableIterator<KindValue<K>> {
    for (const [k] of this.#snapshot()) yield k;
  }
  /** The values of one consistent pass over the map. */
  *values(): IterableIterator<KindValue<V>> {
    for (const [, v] of this.#snapshot()) yield v;
  }
  /** Calls fn for each entry of one consistent pass over the map. */
  forEach(fn: (value: KindValue<V>, key: KindValue<K>, reader: this) => void): void {
    for (const [k, v] of this.#snapshot()) fn(v, k, this);
  }
  /** The same as entries(). */
  [Symbol.iterator](): IterableIterator<[KindValue<K>, KindValue<V>]> {
    return this.entries();
  }

  /** Throws ReadOnlyMapError: writes go to the owning thread. */
  set(_key: KindInput<K>, _value: KindInput<V>): never {
    throw new ReadOnlyMapError("GoMapReader.set");
  }
  /** Throws ReadOnlyMapError: writes go to the owning thread. */
  delete(_key: KindInput<K>): never {
    throw new ReadOnlyMapError("GoMapReader.delete");
  }
  /** Throws ReadOnlyMapError: writes go to the owning thread. */
  clear(): never {
    throw new ReadOnlyMapError("GoMapReader.clear");
  }
}

/**
 * A read-only `GoMapReader` for a map another thread shared
 * (`rt.share(m)`, posted here). Usable in a worker with no Runtime. The
 * descriptor is checked: anything that is not one (wrong types, a memory
 * that is not shared, addresses outside it) is an InvalidArgumentError.
 */
export function attach<K extends KindName, V extends KindName>(
  descriptor: SharedMapDescriptor<K, V>,
): GoMapReader<K, V> {
  const d = descriptor as unknown as Record<string, unknown>;
  if (d === null || typeof d !== "object") bad("expected the object rt.share(m) returned");
  if (d.format !== FORMAT) bad(`format must be ${JSON.stringify(FORMAT)}`);
  const memory = d.memory;
  if (!(memory instanceof WebAssembly.Memory)) bad("memory must be a WebAssembly.Memory");
  const buf: ArrayBufferLike = (memory as WebAssembly.Memory).buffer;
  if (typeof SharedArrayBuffer !== "function" || !(buf instanceof SharedArrayBuffer))
    bad("memory is not shared (the runtime must be created with { shared: true })");
  const size = (buf as { byteLength: number }).byteLength;
  const h = u32Field(d, "h", size - 64);
  const seq = u32Field(d, "seq", size - 4);
  const control = u32Field(d, "control", size - 4);
  if ((h & 3) !== 0 || (seq & 3) !== 0 || (control & 3) !== 0 || h === 0) bad("h, seq and control must be aligned");
  const groupWords = u32Field(d, "groupWords", 1 << 20);
  const groupCount = u32Field(d, "groupCount", groupWords);
  if (
    groupWords === 0 ||
    (groupWords & (groupWords - 1)) !== 0 ||
    groupCount === 0 ||
    (groupCount & (groupCount - 1)) !== 0
  )
    bad("groupWords and groupCount must be powers of 2");
  const groups = u32Field(d, "groups", size - groupWords * 4);
  if ((groups & 3) !== 0) bad("groups must be aligned");
  const groupStride = u32Field(d, "groupStride", groupWords);
  u32Field(d, "groupBase", groupStride - 1);
  if (groupStride * groupCount > groupWords) bad("groupStride × groupCount must fit the group table");
  for (const k of ["keyType", "valueType"] as const)
    if (typeof d[k] !== "string" || !KINDS.has(d[k] as string)) bad(`${k} must be a kind name`);
  const l = d.layout as Record<string, unknown>;
  if (l === null || typeof l !== "object") bad("layout must be an object");
  const fields = [
    "bucketSize",
    "keys",
    "values",
    "overflow",
    "hmapCount",
    "hmapFlags",
    "hmapB",
    "hmapHash0",
    "hmapBuckets",
    "hmapOldbuckets",
    "hmapTyp",
    "sameSizeGrow",
    "emptyRest",
    "evacuatedX",
    "evacuatedEmpty",
  ];
  for (const f of fields) u32Field(l, f, 255);
  u32Field(l, "kinds", 0xffff);
  // The hmap's fields, each within the 64 bytes past h that memory holds
  // (else a lookup's Atomics.load would throw RangeError), aligned.
  for (const [f, width] of HMAP_FIELDS) {
    const at = l[f] as number;
    if (at + width > 64 || (at & (width - 1)) !== 0) bad(`layout.${f} is not a field of the hmap`);
  }
  if ((l.bucketSize as number) < 8 || ((l.overflow as number) & 3) !== 0 || ((l.hmapTyp as number) & 3) !== 0)
    bad("layout is not a bucket shape");
  // The slots must be the kinds' (8 keys, then 8 values, then the overflow
  // pointer): a descriptor whose kinds do not match its map's layout (a
  // u32 map's descriptor claiming string keys) would read keys as references.
  const ks = SLOT_BYTES[d.keyType as string]!,
    vs = SLOT_BYTES[d.valueType as string]!;
  if (
    (l.keys as number) < 8 ||
    (l.values as number) !== (l.keys as number) + 8 * ks ||
    (l.overflow as number) !== (l.values as number) + 8 * vs ||
    (l.bucketSize as number) < (l.overflow as number) + 4
  )
    bad(`layout does not hold ${d.keyType as string} keys and ${d.valueType as string} values`);
  const clean = Object.freeze({ ...(d as object), layout: Object.freeze({ ...l }) }) as SharedMapDescriptor<K, V>;
  return new GoMapReader<K, V>(clean);
}
