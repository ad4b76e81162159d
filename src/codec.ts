/**
 * How a value of each kind is read out of linear memory — the one decoder
 * per kind that maps (get, iteration, batches), rt.unsafe's views and
 * compaction share, so a value reads the same whichever way it is reached.
 *
 *   kind           in a bucket slot                  read as
 *   i32 u32        4-byte integer                    number
 *   i64 u64        8-byte integer                    bigint
 *   f64            8-byte float                      number
 *   string         reference: ptr u32 | len u32      WTF-8 bytes decoded (src/wtf8.ts),
 *                  (assembly/map/str.ts)             so lone surrogates round-trip
 *   bytes          reference: ptr u32 | len u32      a copy of the bytes
 *
 * The hot paths of src/map.ts switch on the kind inline (monomorphic for
 * V8) and call readString/readBytes from here; everything else calls READ.
 */
import type { Boundary } from "./boundary.js";
import type { KindName } from "./maptypes.js";
import { decode } from "./wtf8.js";

/** Reads one value of a kind at an address. */
export type ValueReader = (b: Boundary, addr: number) => number | bigint | string | Uint8Array;

/** A string reference at address a, decoded from WTF-8. */
export function readString(b: Boundary, a: number): string {
  const u32 = b.u32;
  return decode(b.u8, u32[a >>> 2]!, u32[(a >>> 2) + 1]!);
}

/** A bytes reference at address a, copied out. */
export function readBytes(b: Boundary, a: number): Uint8Array {
  const u32 = b.u32;
  const p = u32[a >>> 2]!,
    n = u32[(a >>> 2) + 1]!;
  return b.u8.slice(p, p + n);
}

/** The reader of each kind. */
export const READ: Readonly<Record<KindName, ValueReader>> = {
  i32: (b, a) => b.i32[a >>> 2]!,
  u32: (b, a) => b.u32[a >>> 2]!,
  i64: (b, a) => b.i64[a >>> 3]!,
  u64: (b, a) => b.u64[a >>> 3]!,
  f64: (b, a) => b.f64[a >>> 3]!,
  string: readString,
  bytes: readBytes,
};

/** n consecutive values of a kind at addr (a batch the core wrote), read
 *  with one typed-array copy for numbers, no call per element. */
export function readBatch(
  b: Boundary,
  kind: KindName,
  addr: number,
  n: number,
): ArrayLike<number | bigint | string | Uint8Array> {
  switch (kind) {
    case "u32":
      return b.u32.slice(addr >>> 2, (addr >>> 2) + n);
    case "i32":
      return b.i32.slice(addr >>> 2, (addr >>> 2) + n);
    case "u64":
      return b.u64.slice(addr >>> 3, (addr >>> 3) + n);
    case "i64":
      return b.i64.slice(addr >>> 3, (addr >>> 3) + n);
    case "f64":
      return b.f64.slice(addr >>> 3, (addr >>> 3) + n);
    default: {
      const read = READ[kind];
      const out = new Array<string | Uint8Array>(n);
      for (let i = 0; i < n; i++) out[i] = read(b, addr + i * 8) as string | Uint8Array;
      return out;
    }
  }
}
