// mark.ts — marking: shade, scanobject, gcDrain.
//
// Mirrors Go 1.19 mgcmark.go (greyobject, scanobject with oblets, gcDrain,
// gcmarknewobject) and mbitmap.go (findObject).
//
// Colours (Go's, no colour field): white = mark bit clear; grey = mark bit
// set and the address queued (gcwork.ts); black = marked and scanned.
// Noscan objects go straight to black: numeric maps' buckets cost one bit.
//
// shade(p): resolve p (possibly interior) to its object; if white, set the
// mark bit, count its bytes as marked, and queue it if it can hold
// pointers.
// scanobject(p): read the object's type byte (span.typeBytes), walk its
// pointer words (gc/types.ts) and shade each non-nil one. Objects larger
// than 128 KiB are scanned in oblets (Go's maxObletBytes): scanning the base
// queues the start of every further oblet, and each oblet is scanned on its
// own, so one step never scans more than 32 KiB of one object (Go uses
// 128 KiB; our pointer arrays are all pointers, so we cut finer).
// Work is counted as bytes scanned plus POINTER_WORK per pointer followed,
// which is what bounds a step's time.
// gcDrain(budget): pop and scan until `budget` bytes were scanned or the
// queue is empty; returns the work done.

import { mspan, objIndex, isBitSet, setBit } from "../mem/span";
import { spanOf, arenaStartPage, arenaEndPage, spanStartingAt, nextPage } from "../mem/mheap";
import { SpanState } from "../mem/span";
import { isAllocated } from "../mem/mbitmap";
import { typeStride, typePtrMask } from "./types";
import { push, pop, overflowed, clearOverflow } from "./gcwork";
import { gcphase, Phase } from "./phase";

// @ts-ignore: decorator
@inline export const OBLET_BYTES: usize = 32 << 10;
/** Work charged per pointer followed, on top of the bytes scanned: shading
 *  costs a span lookup and a mark-bit test, often two cache misses, so a
 *  pointer-dense object is more work than its size says. */
// @ts-ignore: decorator
@inline const POINTER_WORK: u64 = 32;

/** Bytes marked this cycle (Go: work.bytesMarked); heapMarked at the end. */
export let bytesMarked: u64 = 0;
/** Bytes scanned this cycle. */
export let scanWork: u64 = 0;

export function resetMarkCounters(): void {
  bytesMarked = 0;
  scanWork = 0;
}

/** Allocate-black: mark slot idx of s (Go: gcmarknewobject). */
// @ts-ignore: decorator
@inline export function gcmarknewobject(s: mspan, idx: u32): void {
  setBit(<usize>s.gcmarkBits, idx);
  bytesMarked += s.elemsize;
}

/** Grey the object holding p if it is white (Go: shade/greyobject). */
export function shade(p: usize): void {
  if (p == 0) return;
  if (!ASC_NO_ASSERT) assert(gcphase != Phase.OFF, "shade outside a cycle");
  let s = spanOf(p);
  if (changetype<usize>(s) == 0) return; // not a heap address (zerobase, static data)
  let idx = objIndex(s, p);
  if (idx >= s.nelems) return;
  if (!ASC_NO_ASSERT && !isAllocated(s, idx)) {
    trace("shade: pointer to a free slot: p idx span", 3, <f64>p, <f64>idx, <f64>s.startAddr);
    throw new Error("shade: a heap pointer leads to a free slot (dangling pointer)");
  }
  let bits = <usize>s.gcmarkBits;
  if (isBitSet(bits, idx)) return;
  setBit(bits, idx);
  bytesMarked += s.elemsize;
  if ((s.spanclass & 1) != 0) return; // noscan: black at once
  push(<usize>s.startAddr + <usize>idx * <usize>s.elemsize);
}

/** Scan the object (or oblet) at p; returns the work done (bytes scanned
 *  plus POINTER_WORK per pointer followed). */
export function scanobject(p: usize): u64 {
  let s = spanOf(p);
  let idx = objIndex(s, p);
  let base = <usize>s.startAddr + <usize>idx * <usize>s.elemsize;
  let objEnd = base + <usize>s.elemsize;
  let end = objEnd;
  let start = p;
  if (p == base && <usize>s.elemsize > OBLET_BYTES) {
    // A large object: queue its other oblets, scan the first here.
    for (let o = base + OBLET_BYTES; o < end; o += OBLET_BYTES) push(o);
  }
  if (end - start > OBLET_BYTES) end = start + OBLET_BYTES;
  let typ = <u32>load<u8>(<usize>s.typeBytes + <usize>idx);
  let stride = typeStride(typ);
  if (!ASC_NO_ASSERT) assert(stride != 0, "scanobject: type byte names an undefined type (gc/types.ts)");
  let mask = typePtrMask(typ);
  // Whole elements whose start lies in [start, end) (a 28-byte struct in a
  // 32-byte slot is one element, not one and a bit).
  let first = base + ((start - base + stride - 1) / stride) * stride;
  let ptrs: u64 = 0;
  for (let e = first; e < end && e + stride <= objEnd; e += stride) {
    let m = mask;
    while (m != 0) {
      let w = <usize>ctz(m);
      let q = <usize>load<u32>(e + (w << 2));
      if (!ASC_NO_ASSERT && q != 0 && <u32>(q >>> 13) >= arenaEndPage) {
        trace("scanobject: object base, span class, type, word address, bad value", 5,
          <f64>base, <f64>s.spanclass, <f64>typ, <f64>(e + (w << 2)), <f64>q);
        throw new Error("scanobject: a pointer word holds a value outside the heap");
      }
      if (q != 0) {
        shade(q);
        ptrs++;
      }
      m &= m - 1;
    }
  }
  let n = <u64>(end - start);
  scanWork += n;
  return n + ptrs * POINTER_WORK;
}

/** Mark until `budget` bytes are scanned or no grey object is left. */
export function gcDrain(budget: u64): u64 {
  let done: u64 = 0;
  while (done < budget) {
    let p = pop();
    if (p == 0) {
      if (!overflowed) break;
      rescanMarked();
      continue;
    }
    done += scanobject(p);
  }
  return done;
}

/** After the grey queue overflowed: every marked scan object is grey again
 *  (scanning a black object twice is harmless). */
function rescanMarked(): void {
  clearOverflow();
  for (let page = arenaStartPage; page < arenaEndPage; page = nextPage(page)) {
    let s = spanStartingAt(page);
    if (changetype<usize>(s) == 0 || s.state != SpanState.INUSE || (s.spanclass & 1) != 0) continue;
    for (let i: u32 = 0; i < s.nelems; i++) {
      if (isBitSet(<usize>s.gcmarkBits, i)) push(<usize>s.startAddr + <usize>i * <usize>s.elemsize);
    }
  }
}
