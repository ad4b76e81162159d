// fixalloc.ts — the allocator for heap metadata: span records and bitmaps.
//
// Mirrors the role of Go 1.19 runtime/mfixalloc.go (span records come from
// mheap_.spanalloc) and of the gcBits arenas in mheap.go (allocBits and
// gcmarkBits). Go keeps both off the object heap; so do we: metadata lives in
// whole 8 KiB "meta pages" taken from the page heap and never returned to it.
// The page map marks them META_PAGE so the heap walk can skip them, and
// MemStats counts them as MSpanSys/GCSys/OtherSys, never as HeapSys.
//
// Blocks are multiples of 8 bytes up to 1024: a span record is 72, a bitmap
// is 8..128 (1..16 words: 1024 slots at most), a scan span's type bytes are
// 8..1024 (one per slot), a grey-queue chunk is 1024. Each size has a free
// list threaded through the first word of the free blocks; new blocks are
// bumped from the current chunk.
//
// Steps of metaAlloc(size):
//   1. pop the free list for `size`, else
//   2. bump from the current chunk, else
//   3. return 0 — callers never see this, because every heap operation
//      first calls metaEnsure(bytes) for everything it may need, before it
//      changes anything. That is how out-of-memory leaves nothing half-done.
//
// metaEnsure gets a new chunk from the page heap without allocating a span
// record for it (mheap.takeMetaPage), which breaks the record → page →
// record recursion. So this file and mheap.ts import each other (mheap.ts
// takes its span records from here): Go's mheap owns its fixallocs the
// same way, though Go's chunks come from persistentalloc rather than from
// the page heap. The cycle stays inside mem/.

import { PAGE_SIZE } from "./sizeclasses";
import { takeMetaPage } from "./mheap";

/** Largest metadata block. */
// @ts-ignore: decorator
@inline export const META_MAX: u32 = 1024;

/** What a metadata block is, for MemStats. */
export const enum MetaKind {
  SPAN = 0,
  BITMAP = 1,
  TYPES = 2,
  GCWORK = 3,
  /** Heap-profile specials (mprof.ts); OtherSys, as Go's specialprofilealloc. */
  PROFILE = 4,
}

// Free list heads, indexed by size >> 3 (1..16).
export const freeLists: usize = memory.data(((META_MAX >> 3) + 1) * 4, 4);
// Bytes in use by kind.
const kindBytes: usize = memory.data(5 * 8, 8);

export let chunkPtr: usize = 0;
export let chunkEnd: usize = 0;

/** Meta pages taken from the page heap so far. */
export let metaPages: u32 = 0;

// @ts-ignore: decorator
@inline export function metaKindBytes(kind: MetaKind): u64 {
  return load<u64>(kindBytes + (<usize>kind << 3));
}

/** A zeroed block of `size` bytes (multiple of 8, <= META_MAX), or 0. */
export function metaAlloc(size: u32, kind: MetaKind): usize {
  let head = freeLists + (<usize>(size >> 3) << 2);
  let p = <usize>load<u32>(head);
  if (p != 0) {
    store<u32>(head, load<u32>(p));
  } else if (chunkEnd - chunkPtr >= <usize>size) {
    p = chunkPtr;
    chunkPtr += size;
  } else {
    return 0;
  }
  memory.fill(p, 0, size);
  let kb = kindBytes + (<usize>kind << 3);
  store<u64>(kb, load<u64>(kb) + size);
  return p;
}

export function metaFree(p: usize, size: u32, kind: MetaKind): void {
  let head = freeLists + (<usize>(size >> 3) << 2);
  store<u32>(p, load<u32>(head));
  store<u32>(head, <u32>p);
  let kb = kindBytes + (<usize>kind << 3);
  store<u64>(kb, load<u64>(kb) - size);
}

/** Make sure the next allocations totalling `bytes` (<= PAGE_SIZE/2) cannot
 *  fail. Returns false when no page can be had (out of memory). */
export function metaEnsure(bytes: u32): bool {
  if (chunkEnd - chunkPtr >= <usize>bytes) return true;
  let page = takeMetaPage();
  if (page == 0) return false;
  return true; // takeMetaPage called metaInstallChunk
}

/** Called by the page heap with a fresh meta page. The old chunk's tail is
 *  cut into free blocks so nothing is lost. */
export function metaInstallChunk(page: usize): void {
  retireTail();
  chunkPtr = page;
  chunkEnd = page + PAGE_SIZE;
  metaPages++;
}

function retireTail(): void {
  // The tail is a multiple of 8 below the request that did not fit.
  let size = <u32>(chunkEnd - chunkPtr);
  if (size > META_MAX) size = META_MAX;
  while (chunkEnd - chunkPtr >= 8) {
    let left = <u32>(chunkEnd - chunkPtr);
    if (size > left) size = left;
    let head = freeLists + (<usize>(size >> 3) << 2);
    store<u32>(chunkPtr, load<u32>(head));
    store<u32>(head, <u32>chunkPtr);
    chunkPtr += size;
  }
}
