// mbitmap.ts — from an address to its object and its mark bit.
//
// Mirrors Go 1.19 runtime/mbitmap.go (findObject, markBits) and
// mgcmark.go:greyobject's mark-bit half. Go's heap bitmap of pointer words
// lives with the collector (assembly/gc/); here is only what the sweeper's
// tests and the collector both need.

import { mspan, objIndex, isBitSet, setBit } from "./span";
import { spanOf } from "./mheap";

/** Base address of the allocated object holding p, or 0 if p is not inside
 *  an allocated object of the heap (Go: findObject). */
export function findObject(p: usize): usize {
  let s = spanOf(p);
  if (changetype<usize>(s) == 0) return 0;
  let idx = objIndex(s, p);
  if (idx >= s.nelems) return 0; // tail waste
  if (!isAllocated(s, idx)) return 0;
  return <usize>s.startAddr + <usize>idx * <usize>s.elemsize;
}

/** Go's free-slot rule, negated: n < freeindex or allocBits[n]. */
// @ts-ignore: decorator
@inline export function isAllocated(s: mspan, idx: u32): bool {
  return idx < s.freeindex || isBitSet(<usize>s.allocBits, idx);
}

/** Set the mark bit of the object holding p. Returns false if p is not an
 *  allocated object, or if it was already marked. */
export function markObject(p: usize): bool {
  let s = spanOf(p);
  if (changetype<usize>(s) == 0) return false;
  let idx = objIndex(s, p);
  if (idx >= s.nelems || !isAllocated(s, idx)) return false;
  let bits = <usize>s.gcmarkBits;
  if (isBitSet(bits, idx)) return false;
  setBit(bits, idx);
  return true;
}

export function isMarked(p: usize): bool {
  let s = spanOf(p);
  if (changetype<usize>(s) == 0) return false;
  let idx = objIndex(s, p);
  return idx < s.nelems && isBitSet(<usize>s.gcmarkBits, idx);
}
