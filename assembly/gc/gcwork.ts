// gcwork.ts — the grey queue, kept off the heap.
//
// Mirrors Go 1.19 mgcwork.go (gcWork/workbuf): a stack of object addresses
// in 1 KiB chunks (254 entries) taken from fixalloc (metadata, never the
// object heap), with one empty chunk kept spare so a push/pop cycle at a
// chunk boundary does not churn.
//
// If no chunk can be had (out of memory), the object stays marked but is
// not queued, and `overflowed` is set: before mark termination the marker
// rescans every marked scan object (mark.ts:rescanMarked), which is
// idempotent, until no overflow happens.

import { metaAlloc, metaFree, metaEnsure, MetaKind } from "../mem/fixalloc";

// @ts-ignore: decorator
@inline export const CHUNK_BYTES: u32 = 1024;
// @ts-ignore: decorator
@inline export const CHUNK_CAP: u32 = (CHUNK_BYTES - 8) >> 2;

// chunk: [0] next chunk, [4] count, [8..] entries
export let top: usize = 0;
export let spare: usize = 0;
export let overflowed: bool = false;
/** Entries in the queue (for tests and the checker). */
export let queued: u32 = 0;

function newChunk(): usize {
  if (spare != 0) {
    let c = spare;
    spare = 0;
    return c;
  }
  let c = metaAlloc(CHUNK_BYTES, MetaKind.GCWORK);
  if (c == 0 && metaEnsure(CHUNK_BYTES)) c = metaAlloc(CHUNK_BYTES, MetaKind.GCWORK);
  return c;
}

export function push(p: usize): void {
  let c = top;
  if (c == 0 || load<u32>(c + 4) == CHUNK_CAP) {
    let n = newChunk();
    if (n == 0) {
      overflowed = true;
      return;
    }
    store<u32>(n, <u32>c);
    store<u32>(n + 4, 0);
    top = c = n;
  }
  let count = load<u32>(c + 4);
  store<u32>(c + 8 + (<usize>count << 2), <u32>p);
  store<u32>(c + 4, count + 1);
  queued++;
}

/** The most recently queued address, or 0 when the queue is empty. */
export function pop(): usize {
  let c = top;
  while (c != 0) {
    let count = load<u32>(c + 4);
    if (count != 0) {
      count--;
      store<u32>(c + 4, count);
      queued--;
      return <usize>load<u32>(c + 8 + (<usize>count << 2));
    }
    // Empty chunk: drop it (keep one spare).
    let next = <usize>load<u32>(c);
    if (spare == 0) spare = c;
    else metaFree(c, CHUNK_BYTES, MetaKind.GCWORK);
    top = c = next;
  }
  return 0;
}

export function queueEmpty(): bool {
  return queued == 0;
}

/** Is p in the queue? (debug checker; linear) */
export function inQueue(p: usize): bool {
  for (let c = top; c != 0; c = <usize>load<u32>(c)) {
    let count = load<u32>(c + 4);
    for (let i: u32 = 0; i < count; i++) if (<usize>load<u32>(c + 8 + (<usize>i << 2)) == p) return true;
  }
  return false;
}

/** The lowest queued address in [lo, hi), or hi (debug checker; linear). */
export function queuedFrom(lo: usize, hi: usize): usize {
  let best = hi;
  for (let c = top; c != 0; c = <usize>load<u32>(c)) {
    let count = load<u32>(c + 4);
    for (let i: u32 = 0; i < count; i++) {
      let q = <usize>load<u32>(c + 8 + (<usize>i << 2));
      if (q >= lo && q < best) best = q;
    }
  }
  return best;
}

export function clearOverflow(): void {
  overflowed = false;
}
