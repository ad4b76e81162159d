// barrier.ts — the write barrier.
//
// Mirrors Go 1.19 mbarrier.go: the hybrid barrier (Yuasa deletion +
// Dijkstra insertion) of design doc 17503. Every store of a heap pointer
// into a heap object (hmap.buckets/oldbuckets/extra, mapextra fields,
// overflow lists, the root table, later string references in buckets) goes
// through writePointer:
//
//    writePointer(slot, ptr):
//        if writeBarrierEnabled: barrierSlow(slot, ptr)   // one test, inline
//        *slot = ptr
//    barrierSlow: shade(*slot); shade(ptr)                // out of line
//
// Shading the old value keeps everything reachable at the start of marking
// reachable (no object can hide by being unlinked); shading the new value
// keeps black objects from pointing at white ones (no object can hide behind
// an already scanned one). Like Go's shipped barrier it shades both
// unconditionally — we have no stacks whose colour could make one redundant.
// bulkBarrierPreWrite does the same for a copy of pointer words (Go's
// bulkBarrierPreWrite before typedmemmove/memclrHasPointers).

import { writeBarrierEnabled } from "./phase";
import { shade } from "./mark";

// @ts-ignore: decorator
@inline export function writePointer(slot: usize, ptr: usize): void {
  if (writeBarrierEnabled) barrierSlow(slot, ptr);
  store<u32>(slot, <u32>ptr);
}

function barrierSlow(slot: usize, ptr: usize): void {
  shade(<usize>load<u32>(slot));
  shade(ptr);
}

/** Before copying `words` pointer words from src to dst (src == 0: before
 *  clearing dst): shade the words about to be overwritten and the words
 *  about to be written. */
export function bulkBarrierPreWrite(dst: usize, src: usize, words: usize): void {
  if (!writeBarrierEnabled) return;
  for (let i: usize = 0; i < words; i++) {
    shade(<usize>load<u32>(dst + (i << 2)));
    if (src != 0) shade(<usize>load<u32>(src + (i << 2)));
  }
}
