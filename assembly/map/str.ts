// str.ts — string and bytes keys and values: references, equality, copies.
//
// Mirrors Go 1.19 runtime/map_faststr.go (key comparison: length, then
// tophash, then bytes) and string.go's header (a pointer and a length).
//
// A string (or bytes) slot in a bucket holds a reference: the 32-bit
// address of a noscan heap object with the bytes, and the 32-bit length —
// Go's string header at wasm32 size. In the generic map code the reference
// travels as one i64 (`StrRef`: len << 32 | ptr); `i64` is used for nothing
// else, so `isStr<K>()` is a compile-time test and every path for numeric
// keys stays exactly as it was.
//
//    slot: ├── ptr u32 ──┼── len u32 ──┤      ptr is a pointer word (write
//                                            barrier, scanned); len is not
//
// The empty string has ptr 0 (no object). Probe keys from the host point
// into the scratch area; a key or value stored in a map is always a heap
// copy (newStr). Their bytes are hashed by hash.ts:hashBytes (Go keeps
// memhash in hash64.go too, apart from the string header).

import { mallocgc } from "../mem/malloc";
import { allocAt, AllocSite } from "../mem/mprof";
import { ObjType } from "../gc/types";
import { writePointer } from "../gc/barrier";

export type StrRef = i64;

/** Is T the string reference type? (compile-time) */
// @ts-ignore: decorator
@inline export function isStr<T>(): bool {
  return isInteger<T>() && isSigned<T>() && sizeof<T>() == 8;
}

// @ts-ignore: decorator
@inline export function strPtr(r: i64): usize { return <usize><u32>r; }
// @ts-ignore: decorator
@inline export function strLen(r: i64): u32 { return <u32>(<u64>r >>> 32); }
// @ts-ignore: decorator
@inline export function makeStr(ptr: usize, len: u32): i64 { return <i64>((<u64>len << 32) | <u64><u32>ptr); }

/** Returned by newStr when memory ran out (not a valid reference: a
 *  non-empty string never sits at address 0xffffffff). */
// @ts-ignore: decorator
@inline export const STR_OOM: i64 = -1;

export function strEq(a: i64, b: i64): bool {
  if (a == b) return true;
  let n = strLen(a);
  if (n != strLen(b)) return false;
  return memory.compare(strPtr(a), strPtr(b), n) == 0;
}

/** A heap copy of the bytes a reference points at (for a new key or value). */
export function newStr(src: i64): i64 {
  let n = strLen(src);
  if (n == 0) return 0;
  allocAt(AllocSite.newStr);
  let p = mallocgc(<usize>n, ObjType.NOSCAN);
  if (p == 0) return STR_OOM;
  memory.copy(p, strPtr(src), <usize>n);
  return makeStr(p, n);
}

/** Store a reference into a slot: the pointer word through the barrier. */
// @ts-ignore: decorator
@inline export function storeRef(slot: usize, r: i64): void {
  writePointer(slot, strPtr(r));
  store<u32>(slot + 4, strLen(r));
}
