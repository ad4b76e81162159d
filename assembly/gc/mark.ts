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
// scanobject(p, limit): read the object's type byte (span.typeBytes), walk
// its pointer words (gc/types.ts) and shade each non-nil one. Work is
// counted as bytes scanned plus POINTER_WORK per pointer followed, which is
// what bounds a step's time. A scan stops once it has done `limit` work
// (and at least MIN_CUT_WORK, 16 KiB) and queues the address of the next
// element: the rest of the object stays grey and is scanned from there by a
// later pop (a continuation). Go cuts objects over 128 KiB into oblets
// (maxObletBytes) and queues all of them when it scans the first; we cut
// any object wherever the step's budget runs out and queue one
// continuation at a time, so a step's work is its budget plus at most
// MIN_CUT_WORK and one element (MAX_ELEMENT_WORK) whatever the object's
// size or pointer density (a 32 KiB oblet of a pointer array was 288 KiB of
// work), and scanning a 1 GiB bucket array's base queues one address, not
// 32768.
// gcDrain(budget): pop and scan until `budget` work is done or the queue is
// empty; returns the work done.

import { mspan, objIndex, isBitSet, setBit } from "../mem/span";
import { spanOf, arenaStartPage, arenaEndPage, spanStartingAt, nextPage } from "../mem/mheap";
import { SpanState } from "../mem/span";
import { isAllocated } from "../mem/mbitmap";
import { typeStride, typePtrMask } from "./types";
import { push, pop, overflowed, clearOverflow } from "./gcwork";
import { gcphase, Phase } from "./phase";

/** Work charged per pointer followed, on top of the bytes scanned: shading
 *  costs a span lookup and a mark-bit test, often two cache misses, so a
 *  pointer-dense object is more work than its size says. */
// @ts-ignore: decorator
@inline export const POINTER_WORK: u64 = 32;
/** A scan is cut no sooner than this much work: an object worth less is
 *  scanned whole, as Go scans every object below its oblet size whole (and a
 *  one-byte rt.gcStep still scans a small object, as tests rely on). */
// @ts-ignore: decorator
@inline export const MIN_CUT_WORK: u64 = 16 << 10;
/** The most work one element can cost: a 256-byte stride (types.ts's
 *  largest) whose 64 words are all pointers. */
// @ts-ignore: decorator
@inline export const MAX_ELEMENT_WORK: u64 = 256 + 64 * POINTER_WORK;

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

/** Scan the object at p, or its rest from p on (p inside it: a
 *  continuation); returns the work done (bytes scanned plus POINTER_WORK per
 *  pointer followed). Stops after the element that brings the work to
 *  max(`limit`, MIN_CUT_WORK) and queues the next element's address, so no
 *  call does more than that plus one element's work (MAX_ELEMENT_WORK),
 *  however large the object. */
export function scanobject(p: usize, limit: u64): u64 {
  let s = spanOf(p);
  let idx = objIndex(s, p);
  let base = <usize>s.startAddr + <usize>idx * <usize>s.elemsize;
  let objEnd = base + <usize>s.elemsize;
  let typ = <u32>load<u8>(<usize>s.typeBytes + <usize>idx);
  let stride = typeStride(typ);
  if (!ASC_NO_ASSERT) assert(stride != 0, "scanobject: type byte names an undefined type (gc/types.ts)");
  let mask = typePtrMask(typ);
  // Whole elements whose start lies at or after p (a 28-byte struct in a
  // 32-byte slot is one element, not one and a bit).
  let first = base + ((p - base + stride - 1) / stride) * stride;
  let ptrs: u64 = 0;
  let e = first;
  let stop = objEnd; // where the bytes scanned end
  while (e < objEnd && e + stride <= objEnd) {
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
    e += stride;
    let w = <u64>(e - p) + ptrs * POINTER_WORK;
    if (w >= limit && w >= MIN_CUT_WORK && e + stride <= objEnd) {
      // Budget reached with elements left: the rest stays grey.
      push(e);
      stop = e;
      break;
    }
  }
  let n = <u64>(stop - p);
  scanWork += n;
  return n + ptrs * POINTER_WORK;
}

/** Mark until `budget` work is done or no grey object is left; the work
 *  done is at most budget + MIN_CUT_WORK + MAX_ELEMENT_WORK. */
export function gcDrain(budget: u64): u64 {
  let done: u64 = 0;
  while (done < budget) {
    let p = pop();
    if (p == 0) {
      if (!overflowed) break;
      rescanMarked();
      continue;
    }
    done += scanobject(p, budget - done);
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
