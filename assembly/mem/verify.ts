// verify.ts — verifyHeap: is a heap image sound? (both builds)
//
// A snapshot image (the host's src/snapshot.ts) is linear memory plus the
// value of every mutable global; it comes from a file, so it may be damaged
// or crafted. After restoring one, the host calls verifyHeap before any map
// is used, then map/verify.ts:verifyMap on every map of the image's table.
// Nothing in the image is trusted: every global and every word read is
// checked before it is used as an address or a loop bound, so on any memory
// contents and any global values both functions terminate and read only
// inside [0, memory) — no trap is relied on. They return a VerifyFailure
// code (no assert, no throw: the release build has none).
//
// What 0 promises: everything the debug build's checkers assert
// (check.ts:checkHeap and checkSpan, map/check.ts:checkMap) holds, plus:
//   - the image was taken at a quiet point (after a full gc()): no cycle,
//     no sweep pending, an empty grey queue, every in-use span swept
//     (sweepgen == sweepgen, or sweepgen + 3 when cached), no mark bit set;
//   - the globals agree with each other: the fixed areas follow from
//     maxPages exactly as heapInit lays them out, the arena fits in memory;
//   - the static tables the allocator and the collector read (size
//     classes, the type table, emptymspan) are well-formed;
//   - fixalloc's chunk, free lists and byte counts account for every meta
//     page, and every metadata block (span records, bitmaps, type bytes,
//     specials, grey chunks, free blocks) lies in a meta page, none
//     overlapping another (the blocks' fingerprints add up to the pages');
//   - the page heap's free lists and mask, mcentral's lists and the mcache
//     hold exactly the spans the walk found;
//   - every pointer word of every allocated scan object (as the collector
//     scans it) is 0 or points into an allocated object; the root table is
//     an allocated pointer array of rootsCap slots at least.
//
// Bounds: the arena walk advances at least one page per step; every list
// walk stops after as many elements as the walk found objects of its kind
// (a cycle or a foreign element fails instead); every table index is
// checked against its table.
//
// Layering: imports gc/ (the collector's phase, grey queue, type table and
// root table), part of the documented mem/ ↔ gc/ cycle (malloc.ts); the
// map's own checks are in map/verify.ts.

import {
  PAGE_SHIFT, PAGE_SIZE, MAX_SMALL_SIZE, NUM_SIZE_CLASSES,
  classSize, classNelems, classNpages, classDivMagic, sizeToClass,
} from "./sizeclasses";
import { mspan, SpanState, SPAN_RECORD_SIZE, bitmapBytes, isBitSet, countBits } from "./span";
import {
  META_PAGE, MAX_LISTED, MIN_ARENA_PAGES, PAGES_PER_WASM_PAGE, pageMapAt, pageMap, pageMapBytes, scratchBase,
  arenaStartPage, arenaEndPage, maxPages, heapInusePages, heapFreePages, spansInUse, freeLists, freeMask, freeHead,
  pageMapAddr, scratchAddr, arenaStartFor,
} from "./mheap";
import {
  metaPages, metaKindBytes, MetaKind, META_MAX, chunkPtr, chunkEnd, freeLists as metaFreeLists,
} from "./fixalloc";
import { NUM_SPAN_CLASSES, centralLists, partialSwept, fullSwept, typeBytesSize } from "./mcentral";
import { emptymspan, mcacheAlloc } from "./mcache";
import { findObject, isAllocated } from "./mbitmap";
import { sweepgen, sweepPending } from "./sweep";
import { special, SPECIAL_SIZE, sampledLive } from "./mprof";
import { gcphase, writeBarrierEnabled, Phase } from "../gc/phase";
import { inGC } from "../gc/gc";
import { top as greyTop, spare as greySpare, queued, overflowed, CHUNK_BYTES, CHUNK_CAP } from "../gc/gcwork";
import { ObjType, MAX_TYPES, typeStride, typePtrMask } from "../gc/types";
import { rootsObj, rootsCap } from "../gc/roots";

/** Why an image failed verification: one member per distinct check
 *  (verifyHeap's, then verifyMap's). 0 is success. */
export enum VerifyFailure {
  OK = 0,
  /** Not taken at a quiet point: a cycle, an unfinished sweep, queued grey
   *  work, an unswept span or a mark bit left over. */
  NOT_QUIET = 1,
  /** pageMap, pageMapBytes, scratchBase or arenaStartPage do not follow
   *  from maxPages as heapInit computes them. */
  PAGE_MAP_ADDR = 2,
  /** The arena does not fit: arenaEndPage before arenaStartPage, past
   *  maxPages or past the memory. */
  ARENA_BOUNDS = 3,
  /** The size-class tables are not well-formed. */
  SIZE_CLASSES = 4,
  /** The collector's type table is not well-formed, an allocated scan
   *  object's type byte names no type, or a map's type differs from the
   *  map package's layout. */
  TYPE_TABLE = 5,
  /** The page map does not tile the arena: an unowned page, a span not
   *  starting where the walk is, a free run's interior or a page outside
   *  the arena mapped. */
  PAGE_MAP = 6,
  /** A page-map entry (or a list or mcache entry) is not the address of a
   *  span record inside a meta page. */
  SPAN_RECORD_ADDR = 7,
  /** A span record's fields are inconsistent: state, geometry, size class,
   *  freeindex, bitmap or type-byte blocks. */
  SPAN_FIELDS = 8,
  /** A span's bitmaps disagree with its counts: bits past nelems,
   *  allocCount, allocCache. */
  ALLOC_BITS = 9,
  /** The page heap's free runs: adjacent runs, wrong list, list links,
   *  the non-empty mask, or a run listed twice or not at all. */
  FREE_LIST = 10,
  /** mcentral's lists: a span on the wrong list, broken links, or a span
   *  on no list. */
  CENTRAL_LIST = 11,
  /** An mcache entry is not emptymspan or a swept in-use span of its
   *  class; or emptymspan is not empty. */
  MCACHE = 12,
  /** fixalloc: the current chunk, a free list, a grey-queue chunk, or the
   *  byte counts do not account for the meta pages. */
  META_ALLOC = 13,
  /** A counter (pages in use, free, meta pages, spans, metadata bytes)
   *  differs from the walk. */
  COUNTERS = 14,
  /** A heap-profile special is not a metadata block naming an allocated
   *  slot, or their number differs from sampledLive. */
  SPECIALS = 15,
  /** A pointer word of an allocated scan object is neither 0 nor inside an
   *  allocated object. */
  HEAP_POINTER = 16,
  /** The root table is not an allocated pointer array of rootsCap slots,
   *  or a slot points outside every allocated object. */
  ROOTS = 17,
  /** The hmap is not an allocated hmap object, or its flags are bad. */
  MAP_HEADER = 18,
  /** hmap.typ's kinds or bucket size differ from what the host expects. */
  MAP_TYPE = 19,
  /** buckets/oldbuckets are not allocated bucket arrays of the size B
   *  needs, or B is too large. */
  MAP_BUCKETS = 20,
  /** extra is not an allocated mapextra object. */
  MAP_EXTRA = 21,
  /** extra.overflow / oldoverflow: not a pointer array of cap + 1 words,
   *  len > cap, a link to a newer list, an entry not a bucket, or a chain's
   *  overflow bucket missing from it. */
  MAP_OVERFLOW_LIST = 22,
  /** An overflow pointer is not a bucket inside an allocated bucket-sized
   *  object. */
  MAP_CHAIN = 23,
  /** A chain loops, or has more overflow buckets than the lists record. */
  MAP_CYCLE = 24,
  /** count differs from the live slots. */
  MAP_COUNT = 25,
  /** A tophash byte is invalid: a mark in a live chain, a slot after
   *  emptyRest, emptyOne before the tail, or a live slot's tophash not its
   *  key's. */
  MAP_TOPHASH = 26,
  /** A key is in a bucket its hash does not select. */
  MAP_KEY_PLACE = 27,
  /** A lookup of a live key does not find its slot (a duplicate key, or a
   *  key in the new array whose old bucket is not evacuated). */
  MAP_LOOKUP = 28,
  /** noverflow differs from the new array's overflow buckets (B < 16). */
  MAP_NOVERFLOW = 29,
  /** A string/bytes key or value is not 0-length and inside an allocated
   *  object with room for its bytes. */
  MAP_STRING_REF = 30,
  /** Growth: nevacuate past the old array, a bucket below it not
   *  evacuated, an evacuated bucket with live slots, sameSizeGrow while
   *  not growing. */
  MAP_GROWTH = 31,
  /** extra.nextOverflow is not a free preallocated bucket of the array
   *  (ending at the array's sentinel), or a free one is not empty. */
  MAP_NEXT_OVERFLOW = 32,
  /** Metadata blocks (span records, bitmaps, type bytes, specials, grey
   *  chunks, fixalloc's free blocks and chunk) overlap, or leave part of a
   *  meta page unaccounted for. */
  META_OVERLAP = 33,
}

// ---------------------------------------------------------------------------
// Helpers (safe once the layout globals and the page map are checked)

/** Is [p, p+size) a metadata block: 8-aligned, inside one meta page of
 *  the arena? */
function metaBlock(p: usize, size: u32): bool {
  if ((p & 7) != 0) return false;
  let page = <u32>(p >>> PAGE_SHIFT);
  if (page < arenaStartPage || page >= arenaEndPage) return false;
  if (pageMapAt(page) != META_PAGE) return false;
  return <u32>(p & (PAGE_SIZE - 1)) + size <= PAGE_SIZE;
}

/** A fingerprint of the 8-byte units of [p, p+size): the sum of a 64-bit
 *  mix (splitmix64's finaliser) of each unit's index. The blocks of the
 *  meta pages tile them exactly iff their fingerprints add up to the meta
 *  pages' own — short of a crafted sum of 64-bit mixes, which no single
 *  wrong pointer is: one block counted twice or missed changes the sum. */
function unitsMix(p: usize, size: u32): u64 {
  let sum: u64 = 0;
  let u = <u64>(p >>> 3);
  let end = u + <u64>(size >> 3);
  for (; u < end; u++) sum += mix64(u);
  return sum;
}

/** splitmix64's finaliser (a bijection with full avalanche). */
// @ts-ignore: decorator
@inline export function mix64(u: u64): u64 {
  let x = u * 0x9e3779b97f4a7c15;
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9;
  x ^= x >> 27;
  x *= 0x94d049bb133111eb;
  x ^= x >> 31;
  return x;
}

/** Is v the address of a span record (a metadata block)? */
// @ts-ignore: decorator
@inline function recordAddr(v: u32): bool {
  return v > META_PAGE && metaBlock(<usize>v, <u32>SPAN_RECORD_SIZE);
}

/** Is v a span record the arena walk visited (its start page maps to it)? */
function walkedSpan(v: u32, state: SpanState): bool {
  if (!recordAddr(v)) return false;
  let s = changetype<mspan>(<usize>v);
  if (s.state != <u8>state || (s.startAddr & (PAGE_SIZE - 1)) != 0) return false;
  let page = s.startAddr >>> PAGE_SHIFT;
  return page >= arenaStartPage && page < arenaEndPage && pageMapAt(page) == v;
}

/** Base of the allocated object holding p, or 0. Safe for any p once
 *  verifyHeap has walked the arena (map/verify.ts uses it). */
export function objectAt(p: usize): usize {
  let page = <u32>(p >>> PAGE_SHIFT);
  if (page < arenaStartPage || page >= arenaEndPage) return 0;
  return findObject(p);
}

/** Bytes of the slot of the allocated object at base (objectAt's result). */
export function objectSize(base: usize): u32 {
  return changetype<mspan>(<usize>pageMapAt(<u32>(base >>> PAGE_SHIFT))).elemsize;
}

/** The type byte of the allocated object at base; 0 for a noscan object. */
export function objectType(base: usize): u32 {
  let s = changetype<mspan>(<usize>pageMapAt(<u32>(base >>> PAGE_SHIFT)));
  if ((s.spanclass & 1) != 0) return ObjType.NOSCAN;
  let idx = <u32>((base - <usize>s.startAddr) / <usize>s.elemsize);
  return <u32>load<u8>(<usize>s.typeBytes + <usize>idx);
}

/** The allocated object at base lives in a scan span. */
export function objectScanned(base: usize): bool {
  return (changetype<mspan>(<usize>pageMapAt(<u32>(base >>> PAGE_SHIFT))).spanclass & 1) == 0;
}

// ---------------------------------------------------------------------------
// Static tables

function verifySizeClasses(): VerifyFailure {
  let prev: u32 = 0;
  if (classSize(0) != 0 || classNpages(0) != 0 || classNelems(0) != 0) return VerifyFailure.SIZE_CLASSES;
  for (let c: u32 = 1; c < <u32>NUM_SIZE_CLASSES; c++) {
    let size = classSize(c), npages = classNpages(c), nelems = classNelems(c);
    if (size <= prev || (size & 7) != 0 || size > MAX_SMALL_SIZE) return VerifyFailure.SIZE_CLASSES;
    if (npages == 0 || nelems == 0 || nelems > 1024 || nelems != (npages << PAGE_SHIFT) / size) return VerifyFailure.SIZE_CLASSES;
    if (classDivMagic(c) != 0xffffffff / size + 1) return VerifyFailure.SIZE_CLASSES;
    prev = size;
  }
  if (prev != MAX_SMALL_SIZE) return VerifyFailure.SIZE_CLASSES;
  // sizeToClass: the smallest class that holds the size, for every size.
  for (let size: u32 = 1; size <= MAX_SMALL_SIZE; size++) {
    let c = sizeToClass(<usize>size);
    if (c == 0 || c >= <u32>NUM_SIZE_CLASSES || classSize(c) < size || classSize(c - 1) >= size) return VerifyFailure.SIZE_CLASSES;
  }
  return VerifyFailure.OK;
}

function verifyTypeTable(): VerifyFailure {
  for (let t: u32 = 0; t < MAX_TYPES; t++) {
    let stride = <u32>typeStride(t);
    let mask = typePtrMask(t);
    if (stride == 0) {
      if (mask != 0) return VerifyFailure.TYPE_TABLE;
      continue;
    }
    if (t == ObjType.NOSCAN || stride > 256 || (stride & 3) != 0) return VerifyFailure.TYPE_TABLE;
    let words = stride >> 2;
    if (words < 64 && (mask >> <u64>words) != 0) return VerifyFailure.TYPE_TABLE;
  }
  if (typeStride(ObjType.PTRARRAY) != 4 || typePtrMask(ObjType.PTRARRAY) != 1) return VerifyFailure.TYPE_TABLE;
  return VerifyFailure.OK;
}

// ---------------------------------------------------------------------------
// One in-use span (check.ts:checkSpan, as return codes)

function verifySpan(s: mspan, v: u32, page: u32): VerifyFailure {
  let n = s.npages;
  let spc = <u32>s.spanclass;
  if (spc >= NUM_SPAN_CLASSES) return VerifyFailure.SPAN_FIELDS;
  let c = spc >> 1;
  if (c != 0) {
    if (s.elemsize != classSize(c) || s.nelems != classNelems(c) || n != classNpages(c) || s.divMul != classDivMagic(c)) {
      return VerifyFailure.SPAN_FIELDS;
    }
  } else if (s.nelems != 1 || <u64>s.elemsize != <u64>n << PAGE_SHIFT || s.divMul != 0) {
    return VerifyFailure.SPAN_FIELDS;
  }
  for (let p = page; p < page + n; p++) if (pageMapAt(p) != v) return VerifyFailure.PAGE_MAP;
  let nelems = s.nelems;
  if (s.freeindex > nelems) return VerifyFailure.SPAN_FIELDS;
  let alloc = <usize>s.allocBits;
  let mark = <usize>s.gcmarkBits;
  let nb = bitmapBytes(nelems);
  if (alloc == mark || !metaBlock(alloc, nb) || !metaBlock(mark, nb)) return VerifyFailure.SPAN_FIELDS;
  if ((spc & 1) == 0) {
    if (!metaBlock(<usize>s.typeBytes, typeBytesSize(nelems))) return VerifyFailure.SPAN_FIELDS;
  } else if (s.typeBytes != 0) {
    return VerifyFailure.SPAN_FIELDS;
  }
  // Bits past nelems are zero.
  let words = (nelems + 63) >> 6;
  let tailBits = nelems & 63;
  if (tailBits != 0) {
    let keep = (<u64>1 << tailBits) - 1;
    let last = <usize>(words - 1) << 3;
    if ((load<u64>(alloc + last) & ~keep) != 0) return VerifyFailure.ALLOC_BITS;
  }
  // Invariant 1: allocCount.
  let counted = countBits(alloc, nelems);
  for (let i: u32 = 0; i < s.freeindex; i++) if (!isBitSet(alloc, i)) counted++;
  if (counted != <u32>s.allocCount) return VerifyFailure.ALLOC_BITS;
  // Quiet point: the sweep left every mark bit clear.
  for (let w: u32 = 0; w < words; w++) if (load<u64>(mark + (<usize>w << 3)) != 0) return VerifyFailure.NOT_QUIET;
  // Invariant 2: allocCache mirrors allocBits from freeindex to the word end.
  let cached = load<u32>(mcacheAlloc + (<usize>spc << 2)) == v;
  if (s.freeindex < nelems && (cached || (s.freeindex & 63) != 0)) {
    let fi = s.freeindex;
    let end = min<u32>((fi | 63) + 1, nelems);
    for (let i = fi; i < end; i++) {
      let cacheBit = ((s.allocCache >> <u64>(i - fi)) & 1) != 0;
      if (cacheBit == isBitSet(alloc, i)) return VerifyFailure.ALLOC_BITS;
    }
  }
  // Type bytes of allocated objects name defined types.
  if ((spc & 1) == 0) {
    for (let i: u32 = 0; i < nelems; i++) {
      if (!isAllocated(s, i)) continue;
      let t = <u32>load<u8>(<usize>s.typeBytes + <usize>i);
      if (t == ObjType.NOSCAN || t >= MAX_TYPES || typeStride(t) == 0) return VerifyFailure.TYPE_TABLE;
    }
  }
  // Sweep state and list membership (swept: the image is quiet).
  let head = <usize>s.listHead;
  if (cached) {
    if (s.sweepgen != sweepgen + 3) return VerifyFailure.NOT_QUIET;
    if (head != 0) return VerifyFailure.CENTRAL_LIST;
    if (s.allocCountBeforeCache > s.allocCount) return VerifyFailure.MCACHE;
  } else {
    if (s.sweepgen != sweepgen) return VerifyFailure.NOT_QUIET;
    let full = <u32>s.allocCount == nelems;
    if (head != (full ? fullSwept(spc) : partialSwept(spc))) return VerifyFailure.CENTRAL_LIST;
  }
  return VerifyFailure.OK;
}

// ---------------------------------------------------------------------------
// Lists

/** Walk one span list: at most `bound` elements, each a walked span of
 *  `state` whose listHead is this head, with consistent prev links.
 *  Returns the length, or u32.MAX_VALUE when the list is bad. */
function listOk(head: usize, state: SpanState, bound: u32): u32 {
  let n: u32 = 0;
  let prev: u32 = 0;
  let p = load<u32>(head);
  while (p != 0) {
    if (n >= bound || !walkedSpan(p, state)) return u32.MAX_VALUE;
    let s = changetype<mspan>(<usize>p);
    if (<usize>s.listHead != head || s.prev != prev) return u32.MAX_VALUE;
    n++;
    prev = p;
    p = s.next;
  }
  return n;
}

/** fixalloc's free list for blocks of `size` bytes: at most `bound` blocks,
 *  each a metadata block. Returns the count, or u32.MAX_VALUE. */
function metaListOk(size: u32, bound: u32): u32 {
  let n: u32 = 0;
  let p = <usize>load<u32>(metaFreeLists + (<usize>(size >> 3) << 2));
  while (p != 0) {
    if (n >= bound || !metaBlock(p, size)) return u32.MAX_VALUE;
    n++;
    p = <usize>load<u32>(p);
  }
  return n;
}

// ---------------------------------------------------------------------------

/** 0 when the heap (and the runtime's globals) are sound; otherwise the
 *  first check that failed. memPages64k: linear memory in 64 KiB pages. */
export function verifyHeap(memPages64k: u32): VerifyFailure {
  let memBytes = <u64>min<u32>(memPages64k, <u32>memory.size()) << 16;

  // The quiet point.
  if (gcphase != Phase.OFF || writeBarrierEnabled || inGC || sweepPending) return VerifyFailure.NOT_QUIET;
  if (queued != 0 || overflowed || (sweepgen & 1) != 0) return VerifyFailure.NOT_QUIET;

  // The fixed areas follow from maxPages (heapInit).
  if ((maxPages % PAGES_PER_WASM_PAGE) != 0 || maxPages == 0 || maxPages > (<u32>1 << (32 - PAGE_SHIFT))) return VerifyFailure.PAGE_MAP_ADDR;
  if (pageMap != pageMapAddr() || pageMapBytes != maxPages << 2 || scratchBase != scratchAddr(maxPages)) return VerifyFailure.PAGE_MAP_ADDR;
  if (arenaStartPage != arenaStartFor(maxPages)) return VerifyFailure.PAGE_MAP_ADDR;
  if (arenaStartPage + MIN_ARENA_PAGES > maxPages || arenaEndPage < arenaStartPage || arenaEndPage > maxPages) return VerifyFailure.ARENA_BOUNDS;
  if (<u64>arenaEndPage << PAGE_SHIFT > memBytes) return VerifyFailure.ARENA_BOUNDS;
  // From here the page map (below scratchBase) and the arena are readable.

  let r = verifySizeClasses();
  if (r != VerifyFailure.OK) return r;
  r = verifyTypeTable();
  if (r != VerifyFailure.OK) return r;
  for (let off: usize = 0; off < offsetof<mspan>(); off += 8) {
    if (load<u64>(emptymspan + off) != 0) return VerifyFailure.MCACHE;
  }

  // Page map entries outside the arena are 0.
  for (let q: u32 = 0; q < arenaStartPage; q++) if (pageMapAt(q) != 0) return VerifyFailure.PAGE_MAP;
  for (let q = arenaEndPage; q < maxPages; q++) if (pageMapAt(q) != 0) return VerifyFailure.PAGE_MAP;

  // The arena walk (check.ts:checkHeap).
  let p = arenaStartPage;
  let inuse: u32 = 0, free: u32 = 0, meta: u32 = 0, nspans: u32 = 0, nfree: u32 = 0, nspecials: u32 = 0;
  let bitmapTotal: u64 = 0, typesTotal: u64 = 0;
  // Fingerprints of the meta pages and of the blocks found in them.
  let metaMix: u64 = 0, blockMix: u64 = 0;
  let prevFree = false;
  while (p < arenaEndPage) {
    let v = pageMapAt(p);
    if (v == META_PAGE) {
      metaMix += unitsMix(<usize>p << PAGE_SHIFT, PAGE_SIZE);
      meta++;
      p++;
      prevFree = false;
      continue;
    }
    if (v == 0) return VerifyFailure.PAGE_MAP;
    if (!recordAddr(v)) return VerifyFailure.SPAN_RECORD_ADDR;
    let s = changetype<mspan>(<usize>v);
    if (s.startAddr != p << PAGE_SHIFT) return VerifyFailure.PAGE_MAP;
    let n = s.npages;
    if (n == 0 || <u64>p + <u64>n > <u64>arenaEndPage) return VerifyFailure.SPAN_FIELDS;
    blockMix += unitsMix(<usize>v, <u32>SPAN_RECORD_SIZE);
    if (s.state == <u8>SpanState.INUSE) {
      r = verifySpan(s, v, p);
      if (r != VerifyFailure.OK) return r;
      inuse += n;
      nspans++;
      let nb = bitmapBytes(s.nelems);
      bitmapTotal += 2 * <u64>nb;
      blockMix += unitsMix(<usize>s.allocBits, nb) + unitsMix(<usize>s.gcmarkBits, nb);
      if (s.typeBytes != 0) {
        typesTotal += <u64>typeBytesSize(s.nelems);
        blockMix += unitsMix(<usize>s.typeBytes, typeBytesSize(s.nelems));
      }
      // Specials: at most one per slot, sampledLive in all.
      let here: u32 = 0;
      for (let q = <usize>s.specials; q != 0; q = <usize>changetype<special>(q).next) {
        if (here++ >= s.nelems || nspecials >= sampledLive || !metaBlock(q, SPECIAL_SIZE)) return VerifyFailure.SPECIALS;
        let idx = changetype<special>(q).index;
        if (idx >= s.nelems || !isAllocated(s, idx)) return VerifyFailure.SPECIALS;
        blockMix += unitsMix(q, SPECIAL_SIZE);
        nspecials++;
      }
      prevFree = false;
    } else if (s.state == <u8>SpanState.FREE) {
      if (prevFree) return VerifyFailure.FREE_LIST;
      let last = p + n - 1;
      if (pageMapAt(last) != v) return VerifyFailure.PAGE_MAP;
      for (let q = p + 1; q < last; q++) if (pageMapAt(q) != 0) return VerifyFailure.PAGE_MAP;
      if (<usize>s.listHead != freeHead(n)) return VerifyFailure.FREE_LIST;
      if (s.specials != 0) return VerifyFailure.SPECIALS;
      free += n;
      nfree++;
      prevFree = true;
    } else {
      return VerifyFailure.SPAN_FIELDS;
    }
    p += n;
  }

  // The page heap's free lists hold exactly the free runs; the mask says
  // which exact-size lists are non-empty.
  let listed: u32 = 0;
  for (let i: u32 = 0; i < MAX_LISTED; i++) {
    let len = listOk(freeLists + (<usize>i << 2), SpanState.FREE, nfree - listed);
    if (len == u32.MAX_VALUE) return VerifyFailure.FREE_LIST;
    listed += len;
    let bit = (load<u32>(freeMask + (<usize>(i >> 5) << 2)) >> (i & 31)) & 1;
    if (i == 0 ? bit != 0 : (bit != 0) != (len != 0)) return VerifyFailure.FREE_LIST;
  }
  if (listed != nfree) return VerifyFailure.FREE_LIST;

  // mcache: emptymspan or an in-use span of the slot's class.
  let cachedCount: u32 = 0;
  for (let spc: u32 = 0; spc < NUM_SPAN_CLASSES; spc++) {
    let e = load<u32>(mcacheAlloc + (<usize>spc << 2));
    if (<usize>e == emptymspan) continue;
    if (!walkedSpan(e, SpanState.INUSE) || <u32>changetype<mspan>(<usize>e).spanclass != spc) return VerifyFailure.MCACHE;
    cachedCount++;
  }
  // mcentral: every in-use span not cached is on exactly one list (the
  // walk checked which); nothing else is.
  let central: u32 = 0;
  for (let spc: u32 = 0; spc < NUM_SPAN_CLASSES; spc++) {
    for (let i: u32 = 0; i < 4; i++) {
      let len = listOk(centralLists + (<usize>spc << 4) + (<usize>i << 2), SpanState.INUSE, nspans - central);
      if (len == u32.MAX_VALUE) return VerifyFailure.CENTRAL_LIST;
      central += len;
    }
  }
  if (central + cachedCount != nspans) return VerifyFailure.CENTRAL_LIST;

  // Counters.
  if (meta != metaPages || inuse != heapInusePages || free != heapFreePages || nspans != spansInUse) return VerifyFailure.COUNTERS;
  if (metaKindBytes(MetaKind.SPAN) != <u64>(nspans + nfree) * <u64>SPAN_RECORD_SIZE) return VerifyFailure.COUNTERS;
  if (metaKindBytes(MetaKind.BITMAP) != bitmapTotal) return VerifyFailure.COUNTERS;
  if (metaKindBytes(MetaKind.TYPES) != typesTotal) return VerifyFailure.COUNTERS;
  if (nspecials != sampledLive) return VerifyFailure.SPECIALS;
  if (metaKindBytes(MetaKind.PROFILE) != <u64>nspecials * <u64>SPECIAL_SIZE) return VerifyFailure.COUNTERS;

  // The grey queue's chunks (empty at a quiet point) and its spare.
  let metaBlocksMax = meta * (PAGE_SIZE >> 3);
  let chunks: u32 = 0;
  for (let c = greyTop; c != 0; c = <usize>load<u32>(c)) {
    if (chunks >= metaBlocksMax || !metaBlock(c, CHUNK_BYTES)) return VerifyFailure.META_ALLOC;
    let count = load<u32>(c + 4);
    if (count > CHUNK_CAP) return VerifyFailure.META_ALLOC;
    if (count != 0) return VerifyFailure.NOT_QUIET;
    if (c == greySpare) return VerifyFailure.META_ALLOC;
    blockMix += unitsMix(c, CHUNK_BYTES);
    chunks++;
  }
  if (greySpare != 0) {
    if (!metaBlock(greySpare, CHUNK_BYTES)) return VerifyFailure.META_ALLOC;
    blockMix += unitsMix(greySpare, CHUNK_BYTES);
    chunks++;
  }
  if (metaKindBytes(MetaKind.GCWORK) != <u64>chunks * <u64>CHUNK_BYTES) return VerifyFailure.COUNTERS;

  // fixalloc: the current chunk is the rest of a meta page; the free lists
  // hold metadata blocks; in use + free + the chunk's rest = the meta pages.
  if (chunkEnd == 0 || (chunkEnd & (PAGE_SIZE - 1)) != 0 || chunkPtr > chunkEnd || chunkEnd - chunkPtr > PAGE_SIZE) return VerifyFailure.META_ALLOC;
  if ((chunkPtr & 7) != 0 || !metaBlock(chunkEnd - PAGE_SIZE, PAGE_SIZE)) return VerifyFailure.META_ALLOC;
  let metaBytes: u64 = <u64>(chunkEnd - chunkPtr);
  blockMix += unitsMix(chunkPtr, <u32>(chunkEnd - chunkPtr));
  for (let size: u32 = 8; size <= META_MAX; size += 8) {
    let n = metaListOk(size, (meta << PAGE_SHIFT) / size);
    if (n == u32.MAX_VALUE) return VerifyFailure.META_ALLOC;
    metaBytes += <u64>n * <u64>size;
    for (let q = <usize>load<u32>(metaFreeLists + (<usize>(size >> 3) << 2)); q != 0; q = <usize>load<u32>(q)) {
      blockMix += unitsMix(q, size);
    }
  }
  if (load<u32>(metaFreeLists) != 0) return VerifyFailure.META_ALLOC;
  for (let k = <i32>MetaKind.SPAN; k <= <i32>MetaKind.PROFILE; k++) metaBytes += metaKindBytes(<MetaKind>k);
  if (metaBytes != <u64>meta << PAGE_SHIFT) return VerifyFailure.META_ALLOC;
  if (blockMix != metaMix) return VerifyFailure.META_OVERLAP;

  // The root table: an allocated pointer array of rootsCap slots at least,
  // each slot 0 or inside an allocated object.
  if (rootsCap == 0 || rootsObj == 0 || objectAt(rootsObj) != rootsObj) return VerifyFailure.ROOTS;
  if (objectType(rootsObj) != ObjType.PTRARRAY || <u64>rootsCap << 2 > <u64>objectSize(rootsObj)) return VerifyFailure.ROOTS;
  for (let i: u32 = 0; i < rootsCap; i++) {
    let q = <usize>load<u32>(rootsObj + (<usize>i << 2));
    if (q != 0 && objectAt(q) == 0) return VerifyFailure.ROOTS;
  }

  // Every pointer word the collector would scan leads into an object.
  for (let pg = arenaStartPage; pg < arenaEndPage;) {
    let v = pageMapAt(pg);
    if (v == META_PAGE) { pg++; continue; }
    let s = changetype<mspan>(<usize>v);
    pg += s.npages;
    if (s.state != <u8>SpanState.INUSE || (s.spanclass & 1) != 0) continue;
    let size = <usize>s.elemsize;
    for (let i: u32 = 0; i < s.nelems; i++) {
      if (!isAllocated(s, i)) continue;
      let typ = <u32>load<u8>(<usize>s.typeBytes + <usize>i);
      let stride = typeStride(typ);
      let mask = typePtrMask(typ);
      let base = <usize>s.startAddr + <usize>i * size;
      let objEnd = <u64>base + <u64>size;
      for (let e = base; <u64>e + <u64>stride <= objEnd; e += stride) {
        let m = mask;
        while (m != 0) {
          let w = <usize>ctz(m);
          let q = <usize>load<u32>(e + (w << 2));
          if (q != 0 && objectAt(q) == 0) return VerifyFailure.HEAP_POINTER;
          m &= m - 1;
        }
      }
    }
  }
  return VerifyFailure.OK;
}
