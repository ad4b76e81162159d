// Keys, values and the JS Map oracle of the adversarial streams
// (test/adversarial.test.ts). The same ideas as test/map-model.test.ts:
// Go's f64 key rules (±0 one key, NaN never found), bytes compared by
// contents; plus change listeners, so that a live iterator's checker hears
// about every write made while it is open — by the stream, a gctrace
// callback, a hook or an argument's getter.
import { randInt } from "../helpers.js";
import type { KindName } from "../../src/node.js";

export type Key = number | bigint | string | Uint8Array;
export type Val = Key;

export const KINDS: KindName[] = ["i32", "u32", "i64", "u64", "f64", "string", "bytes"];

/** Oracle identity of a key: bytes by contents; integral numbers as
 *  bigints (an i64/u64 map takes 5 and 5n as one key and returns 5n; in
 *  an f64 map this makes ±0 one key). */
export function norm(k: Key): Key {
  if (k instanceof Uint8Array) return "b:" + latin1(k);
  if (typeof k === "string") return "s:" + k;
  if (typeof k === "bigint") return k;
  return Number.isInteger(k) ? BigInt(k) : k;
}
function latin1(x: Uint8Array): string {
  let s = "";
  const n = realLength(x);
  for (let i = 0; i < n; i++) s += String.fromCharCode(x[i]!);
  return s;
}

/** A typed array's real length (an own `length` property may lie). */
const lengthGetter = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype), "length")!.get!;
export function realLength(x: ArrayBufferView): number {
  return lengthGetter.call(x) as number;
}

/** What the map returns for a value or key given as `x` of kind `kind`. */
export function canon(kind: KindName, x: Key): Key {
  if ((kind === "i64" || kind === "u64") && typeof x === "number") return BigInt(x);
  if (kind === "bytes" && x instanceof Uint8Array) return x.slice(); // slice copies the real extent
  return x;
}

export function same(a: unknown, b: unknown): boolean {
  if (a instanceof Uint8Array && b instanceof Uint8Array) return latin1(a) === latin1(b);
  return Object.is(a, b) || (a === 0 && b === 0);
}

export function show(x: unknown): string {
  if (x instanceof Uint8Array) {
    const n = realLength(x);
    return `bytes(${n})[${Array.from(x.subarray(0, 8)).join(",")}${n > 8 ? ",…" : ""}]`;
  }
  if (typeof x === "string") return x.length > 24 ? `"${x.slice(0, 24)}…"(${x.length})` : JSON.stringify(x);
  if (typeof x === "bigint") return `${x}n`;
  if (Object.is(x, -0)) return "-0";
  return String(x);
}

export interface OracleListener {
  set(nk: Key, inserted: boolean): void;
  del(nk: Key): void;
  clear(): void;
}

/** A map's expected contents. */
export class Oracle {
  m = new Map<Key, { k: Key; v: Val }>();
  nans = 0;
  listeners = new Set<OracleListener>();
  constructor(
    readonly keyKind: KindName,
    readonly valueKind: KindName,
  ) {}
  get size(): number {
    return this.m.size + this.nans;
  }
  set(k: Key, v: Val): void {
    if (typeof k === "number" && k !== k) {
      this.nans++;
      return;
    }
    const nk = norm(k);
    const inserted = !this.m.has(nk);
    this.m.set(nk, { k: canon(this.keyKind, k), v: canon(this.valueKind, v) });
    for (const l of this.listeners) l.set(nk, inserted);
  }
  get(k: Key): Val | undefined {
    if (typeof k === "number" && k !== k) return undefined;
    return this.m.get(norm(k))?.v;
  }
  has(k: Key): boolean {
    return !(typeof k === "number" && k !== k) && this.m.has(norm(k));
  }
  delete(k: Key): boolean {
    if (typeof k === "number" && k !== k) return false;
    const nk = norm(k);
    if (!this.m.delete(nk)) return false;
    for (const l of this.listeners) l.del(nk);
    return true;
  }
  clear(): void {
    this.m.clear();
    this.nans = 0;
    for (const l of this.listeners) l.clear();
  }
}

const ALPHABET = ["a", "b", "k", "-", "0", "\0", "é", "ß", "中", "🎉", "\uD800", "\uDFFF"];

/** Random keys of a kind over `range` distinct small values, with the
 *  kind's edge cases; `long` is the chance of a key longer than the
 *  scratch area's half (the host's temporary-object path). */
export function genKey(kind: KindName, r: () => number, range: number, long = 0.002): Key {
  const n = randInt(r, 0, range);
  switch (kind) {
    case "i32":
      return r() < 0.02 ? (r() < 0.5 ? -2147483648 : 2147483647) : n - (range >> 1);
    case "u32":
      return r() < 0.05 ? 4294967295 - n : n;
    case "i64": {
      const x = r();
      if (x < 0.3) return n - (range >> 1); // a safe-integer number
      if (x < 0.33) return r() < 0.5 ? -(1n << 63n) : (1n << 63n) - 1n;
      return (r() < 0.5 ? -1n : 1n) * (BigInt(n) * 0x1_0000_0001n);
    }
    case "u64": {
      const x = r();
      if (x < 0.3) return n;
      if (x < 0.35) return (1n << 64n) - 1n - BigInt(n);
      return BigInt(n) * 0x9e37_79b9n;
    }
    case "f64": {
      const x = r();
      if (x < 0.01) return NaN;
      if (x < 0.03) return -0;
      if (x < 0.05) return 0;
      if (x < 0.06) return r() < 0.5 ? Infinity : -Infinity;
      return (n - range / 2) / 4;
    }
    case "string":
      if (r() < long) return "L".repeat(33_000) + n;
      if (r() < 0.85) return `key-${n}`;
      return randStr(r, randInt(r, 0, 40));
    case "bytes":
      if (r() < long) return new Uint8Array(33_000).fill(n & 255);
      if (r() < 0.85) return new TextEncoder().encode(`k${n}`);
      return Uint8Array.from({ length: randInt(r, 0, 40) }, () => randInt(r, 0, 3));
  }
}

function randStr(r: () => number, len: number): string {
  let s = "";
  for (let i = 0; i < len; i++) s += ALPHABET[randInt(r, 0, ALPHABET.length - 1)];
  return s;
}

/** Random values; `big` is the chance of a value of a few KiB (string and
 *  bytes kinds), which brings a small heap to its cap sooner. */
export function genValue(kind: KindName, r: () => number, big = 0.02): Val {
  switch (kind) {
    case "i32":
      return randInt(r, -2147483648, 2147483647);
    case "u32":
      return randInt(r, 0, 4294967295);
    case "i64":
      return r() < 0.5 ? randInt(r, -1e15, 1e15) : BigInt(randInt(r, -1e15, 1e15)) * 7919n;
    case "u64":
      return r() < 0.5 ? randInt(r, 0, 1e15) : BigInt(randInt(r, 0, 1e15)) * 18446n;
    case "f64":
      return r() < 0.03 ? NaN : (r() - 0.5) * 1e6;
    case "string":
      if (r() < big) return "v".repeat(randInt(r, 1000, 40_000));
      return randStr(r, randInt(r, 0, 20));
    case "bytes":
      if (r() < big) return new Uint8Array(randInt(r, 1000, 40_000)).fill(7);
      return Uint8Array.from({ length: randInt(r, 0, 24) }, () => randInt(r, 0, 255));
  }
}

/** keys as the kind's typed array (numeric kinds), or the array itself. */
export function typed(kind: KindName, xs: Key[]): ArrayLike<unknown> {
  switch (kind) {
    case "i32":
      return Int32Array.from(xs as number[]);
    case "u32":
      return Uint32Array.from(xs as number[]);
    case "i64":
      return BigInt64Array.from(xs, (x) => BigInt(x as number | bigint));
    case "u64":
      return BigUint64Array.from(xs, (x) => BigInt(x as number | bigint));
    case "f64":
      return Float64Array.from(xs as number[]);
    default:
      return xs;
  }
}
