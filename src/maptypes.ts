/**
 * Key and value kinds: how a JS value is checked, passed to the core, and
 * read back from memory.
 *
 *   kind   JS type   stored as      core suffix part
 *   i32    number    4-byte int     k32 / v32
 *   u32    number    4-byte int     k32 / v32
 *   i64    bigint    8-byte int     k64 / v64   (numbers that are safe integers are accepted too)
 *   u64    bigint    8-byte int     k64 / v64
 *   f64    number    8-byte float   kf  / v64   (values: stored as their bits)
 *   string string    reference      ks  / vs    (WTF-8 bytes in a heap object, src/wtf8.ts)
 *   bytes  Uint8Array reference     ks  / vs    (a copy of the bytes in a heap object)
 *
 * f64 keys follow Go: +0 and −0 are one key (the stored key becomes the
 * last one assigned), NaN is never equal to anything (each set(NaN) adds an
 * entry that get/has/delete never find; iteration sees it).
 */
import { InvalidArgumentError } from "./errors.js";
import { KEY_STORAGE, VALUE_STORAGE, type Shape } from "./shapes.js";

/** A key or value kind (`rt.map({ key, value })`): i32, u32 (numbers,
 *  4 bytes), i64, u64 (bigint, or a safe-integer number; 8 bytes), f64 (a
 *  number; as a key, +0 and −0 are one key and NaN never matches), string
 *  and bytes (a Uint8Array), stored by reference as a copy in the heap. */
export type KindName = "i32" | "u32" | "i64" | "u64" | "f64" | "string" | "bytes";
/** What a map returns for a kind (`get`, iteration): i64/u64 as bigint,
 *  string, bytes as a Uint8Array (a copy), the other kinds as number. */
export type KindValue<T extends KindName> = T extends "i64" | "u64"
  ? bigint
  : T extends "string"
    ? string
    : T extends "bytes"
      ? Uint8Array
      : number;

/** What `set`, `get`, `has`, `delete` and the batch calls accept for a
 *  kind: the kind's value, and for 64-bit integer kinds also a number that
 *  is a safe integer (no BigInt needed for ids below 2^53). */
export type KindInput<T extends KindName> = T extends "i64" | "u64" ? bigint | number : KindValue<T>;

/** What `getMany` fills and returns for a value kind: the typed array that
 *  holds the kind's values (absent keys read as 0), or for string/bytes an
 *  array with `undefined` for absent keys. */
export type KindArray<T extends KindName> = T extends "u32"
  ? Uint32Array
  : T extends "i32"
    ? Int32Array
    : T extends "u64"
      ? BigUint64Array
      : T extends "i64"
        ? BigInt64Array
        : T extends "f64"
          ? Float64Array
          : (KindValue<T> | undefined)[];

export const KIND_NAMES: readonly KindName[] = ["i32", "u32", "i64", "u64", "f64", "string", "bytes"];

const MAX_U64 = (1n << 64n) - 1n;
const MAX_I64 = (1n << 63n) - 1n;
const MIN_I64 = -(1n << 63n);

// One check per kind: GoMap's hot paths (inline switches, kept monomorphic
// for V8, which inlines these) and KINDS[kind].toCore below both use them,
// so a key or value is accepted by exactly the same rule on every path.

/** The real length of a typed array: the intrinsic getter, not a `length`
 *  property an object may define on itself (a view whose own `length`
 *  lies would otherwise be checked at one size and copied at another). */
const typedArrayLength = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype), "length")!
  .get as (this: ArrayBufferView) => number;
export function viewLength(x: ArrayBufferView): number {
  return typedArrayLength.call(x);
}
const typedArrayGetter = (name: string) =>
  Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype), name)!.get as (
    this: ArrayBufferView,
  ) => number | ArrayBufferLike;
const typedArrayBuffer = typedArrayGetter("buffer") as (this: ArrayBufferView) => ArrayBufferLike;
const typedArrayByteOffset = typedArrayGetter("byteOffset") as (this: ArrayBufferView) => number;
/** The bytes of typed array x as a fresh Uint8Array over its real buffer
 *  and extent (the intrinsic getters: a subclass's `buffer`, `byteOffset`
 *  or `length` getters run no code here and cannot lie); `bytesPer`: its
 *  element size, from its kind. */
export function realBytes(x: ArrayBufferView, bytesPer: number): Uint8Array {
  return new Uint8Array(typedArrayBuffer.call(x), typedArrayByteOffset.call(x), typedArrayLength.call(x) * bytesPer);
}

const typedArrayTag = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype), Symbol.toStringTag)!
  .get as (this: unknown) => string | undefined;
/** Is x really a typed array of this constructor's element type? The
 *  intrinsic toStringTag getter reads the internal type: an Int8Array
 *  re-prototyped to Float64Array is not a Float64Array (its length would be
 *  counted in the wrong element size). */
export function isTypedArrayOf(x: unknown, ctor: { readonly name: string }): boolean {
  return ArrayBuffer.isView(x) && typedArrayTag.call(x) === ctor.name;
}

/** A real Uint8Array (ArrayBuffer.isView reads an internal slot: an object
 *  that only has Uint8Array.prototype on its chain is not one). */
export function isBytes(x: unknown): x is Uint8Array {
  return x instanceof Uint8Array && typedArrayTag.call(x) === "Uint8Array";
}

/** A u32: an integer from 0 to 2^32 − 1 (−0 is 0). */
export function isU32(x: unknown): x is number {
  return typeof x === "number" && x >>> 0 === x;
}
/** An i32: an integer from −2^31 to 2^31 − 1. */
export function isI32(x: unknown): x is number {
  return typeof x === "number" && (x | 0) === x;
}
/** A u64 given as a number: a non-negative safe integer. */
export function isU64Number(x: unknown): x is number {
  return typeof x === "number" && Number.isSafeInteger(x) && x >= 0;
}
/** An i64 given as a number: a safe integer. */
export function isI64Number(x: unknown): x is number {
  return typeof x === "number" && Number.isSafeInteger(x);
}
/** A u64 given as a bigint: 0 to 2^64 − 1. */
export function isU64Bigint(x: unknown): x is bigint {
  return typeof x === "bigint" && x >= 0n && x <= MAX_U64;
}
/** An i64 given as a bigint: −2^63 to 2^63 − 1. */
export function isI64Bigint(x: unknown): x is bigint {
  return typeof x === "bigint" && x >= MIN_I64 && x <= MAX_I64;
}

function describe(x: unknown): string {
  if (typeof x === "bigint") return `${x}n`;
  if (typeof x === "string") return JSON.stringify(x.length > 40 ? x.slice(0, 40) + "…" : x);
  if (typeof x === "number") return String(x);
  return x === null ? "null" : typeof x;
}

export interface KindSpec {
  readonly name: KindName;
  /** Bytes of a slot in a bucket (a string/bytes slot is a reference). */
  readonly bytes: 4 | 8;
  /** Check a JS value and return what the core's parameter takes. */
  toCore(x: unknown, what: string): number | bigint;
}

export const KINDS: Record<KindName, KindSpec> = {
  i32: {
    name: "i32",
    bytes: 4,
    toCore(x, what) {
      if (isI32(x)) return x;
      throw new InvalidArgumentError(
        what,
        `expected an i32 (an integer from -2147483648 to 2147483647), got ${describe(x)}`,
      );
    },
  },
  u32: {
    name: "u32",
    bytes: 4,
    toCore(x, what) {
      if (isU32(x)) return x;
      throw new InvalidArgumentError(what, `expected a u32 (an integer from 0 to 4294967295), got ${describe(x)}`);
    },
  },
  i64: {
    name: "i64",
    bytes: 8,
    toCore(x, what) {
      if (isI64Bigint(x)) return x;
      if (isI64Number(x)) return BigInt(x);
      throw new InvalidArgumentError(
        what,
        `expected an i64 (a bigint from -2^63 to 2^63-1, or a safe integer), got ${describe(x)}`,
      );
    },
  },
  u64: {
    name: "u64",
    bytes: 8,
    toCore(x, what) {
      if (isU64Bigint(x)) return x;
      if (isU64Number(x)) return BigInt(x);
      throw new InvalidArgumentError(
        what,
        `expected a u64 (a bigint from 0 to 2^64-1, or a non-negative safe integer), got ${describe(x)}`,
      );
    },
  },
  f64: {
    name: "f64",
    bytes: 8,
    toCore(x, what) {
      if (typeof x === "number") return x;
      throw new InvalidArgumentError(what, `expected an f64 (a number), got ${describe(x)}`);
    },
  },
  string: {
    name: "string",
    bytes: 8,
    toCore(x, what) {
      if (typeof x === "string") return 0;
      throw new InvalidArgumentError(what, `expected a string, got ${describe(x)}`);
    },
  },
  bytes: {
    name: "bytes",
    bytes: 8,
    toCore(x, what) {
      if (isBytes(x)) return 0;
      throw new InvalidArgumentError(what, `expected a Uint8Array, got ${describe(x)}`);
    },
  },
};

/** Is the kind stored by reference (string, bytes)? */
export function isRefKind(k: KindName): k is "string" | "bytes" {
  return k === "string" || k === "bytes";
}

/** The core export suffix for a key kind × value kind (src/shapes.ts,
 *  generated with the core's exports). */
export function coreSuffix(key: KindName, value: KindName): Shape {
  return `${KEY_STORAGE[key]}_${VALUE_STORAGE[value]}`;
}

export function parseKind(option: string, x: unknown): KindName {
  if (typeof x === "string" && (KIND_NAMES as string[]).includes(x)) return x as KindName;
  throw new InvalidArgumentError(option, `expected one of ${KIND_NAMES.join(", ")}, got ${describe(x)}`);
}
