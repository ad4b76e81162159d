/**
 * The batch format: how keys and values travel to the core's batch calls
 * (setMany, getMany, deleteMany: assembly/map/batch.ts) through the scratch
 * area. GoMap's batch paths and compaction's copy both write it.
 *
 *   scratch area (SCRATCH_BYTES, from the core)
 *   ┌──────────────── key half ────────────────┬─────────────── value half ───────────────┐
 *   │ numbers: n values back to back, in the   │ the same for values (getMany: the values │
 *   │   kind's memory representation           │   out, then one found byte per key)      │
 *   │ string/bytes: n (ptr u32, len u32)        │                                          │
 *   │   references, then the bytes they point at│                                          │
 *   └──────────────────────────────────────────┴──────────────────────────────────────────┘
 *   0                                     HALF_SCRATCH                          SCRATCH_BYTES
 *
 * A reference's `ptr` is an absolute address: into the scratch area here,
 * or (compaction of strings longer than the area) a heap object. Single
 * calls use the same halves: a string key in the first, a string value in
 * the second (GoMap's placeStr/placeBytes).
 */
import type { Boundary } from "./boundary.js";
import { isRefKind, viewLength, type KindSpec } from "./maptypes.js";
import { encodeInto } from "./wtf8.js";

/** Bytes of each half of the scratch area. The boundary checks at load
 *  that the core's SCRATCH_BYTES is twice this. */
export const HALF_SCRATCH = 32 * 1024;

/** Typed array that holds a numeric kind's values in memory order. */
export type NumArray = Int32Array | Uint32Array | BigInt64Array | BigUint64Array | Float64Array;

/** Most references one batch chunk carries. */
export const MAX_REFS = 2048;

/** Write reference i of a table at `table`: (ptr, len). */
export function writeRef(u32: Uint32Array, table: number, i: number, ptr: number, len: number): void {
  u32[(table >>> 2) + 2 * i] = ptr;
  u32[(table >>> 2) + 2 * i + 1] = len;
}

/** Copy elements of `xs` from `from` on into memory at `at` (at most `max`
 *  and what fits in `room` bytes); returns how many. String/bytes elements
 *  become a reference table followed by their bytes. */
export function packChunk(
  b: Boundary,
  xs: NumArray | ArrayLike<string | Uint8Array>,
  spec: KindSpec,
  from: number,
  at: number,
  max = Infinity,
  room = HALF_SCRATCH,
): number {
  const left = Math.min(xs.length - from, max);
  if (!isRefKind(spec.name)) {
    const n = Math.min(left, Math.floor(room / spec.bytes));
    copyIn(b, (xs as NumArray).subarray(from, from + n), at);
    return n;
  }
  const refs = xs as ArrayLike<string | Uint8Array>;
  const cap = Math.min(left, MAX_REFS, Math.floor(room / 16));
  let p = at + cap * 8; // bytes go after the table
  const end = at + room;
  const u8 = b.u8,
    u32 = b.u32;
  let n = 0;
  for (; n < cap; n++) {
    const x = refs[from + n]!;
    let len: number;
    if (typeof x === "string") {
      if (p + x.length * 3 > end) break;
      len = encodeInto(x, u8, p);
    } else {
      len = viewLength(x); // the real extent: what u8.set copies
      if (p + len > end) break;
      u8.set(x, p);
    }
    writeRef(u32, at, n, p, len);
    p += len;
  }
  return n;
}

/** Copy a typed array's bytes into memory at addr. */
export function copyIn(b: Boundary, src: NumArray, addr: number): void {
  b.u8.set(new Uint8Array(src.buffer, src.byteOffset, src.byteLength), addr);
}
