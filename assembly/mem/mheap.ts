// mheap.ts — the page heap: the only caller of memory.grow.
//
// Mirrors Go 1.19 runtime/mheap.go (allocSpan, freeSpan, grow, spanOf) with
// the free-page bookkeeping of Go 1.11 (mheap.free lists + large runs),
// because a single-threaded heap needs no radix-tree page allocator.
//
// Linear memory:
//
//    0            __heap_base                             arenaStart           arenaEnd
//    ├─ static ───┼─ page map ─┼─ scratch ─┼─ (pad) ──────┼─ pages ... ────────┤── (not yet grown)
//                   u32 per 8 KiB page of the whole address space (maxMemory/8 KiB entries)
//
// The fixed areas are placed by one set of functions (pageMapAddr,
// scratchAddr, arenaStartFor) that heapInit and minMemoryBytes share:
//    pageMap    = align16(__heap_base)
//    scratch    = align16(pageMap + 4 · maxPages)
//    arenaStart = align8KiB(scratch + SCRATCH_SIZE)
//    minMemoryBytes = arenaStart + MIN_ARENA_PAGES · 8 KiB (a meta page and a heap page)
//
// Every 8 KiB page in [arenaStart, arenaEnd) belongs to exactly one of:
//   - an in-use span (state INUSE): every page maps to the span record;
//   - a free run (state FREE): its first and last page map to the record,
//     interior pages map to 0;
//   - a meta page (META_PAGE in the map): fixalloc's span records and bitmaps.
//
// Fit policy: best fit by size, lowest address inside the run.
//   Free runs of 1..127 pages sit on exact-size lists (free[n]) with a
//   bitmask of non-empty lists; runs of 128+ pages sit on one list scanned
//   for the smallest that fits (ties: lowest address). A span is carved
//   from the start of the run; the rest stays free. Freed spans coalesce
//   with both neighbours at once, so no two free runs are ever adjacent.
//
// Growth: memory.grow in whole 64 KiB wasm pages, at least half the heap
// (at least 1 MiB, at most 64 MiB at a time) so a growing heap calls grow
// rarely — each grow costs the host a JS-heap GC (V8 counts wasm memory as
// external memory) — and when the cap refuses that, exactly what is needed. New pages extend the
// free run at the end of the heap, if there is one. Fresh pages are zero
// (needzero = 0); pages that held objects carry needzero = 1.
//
// Out of memory: allocSpan returns 0 having changed nothing visible —
// metadata is reserved (metaEnsure) before any list is touched, and growth
// is the last step that can fail.

import { PAGE_SHIFT, PAGE_SIZE } from "./sizeclasses";
import { mspan, SpanState, SPAN_RECORD_SIZE, spanEndPage } from "./span";
import { listPush, listRemove, listFirst } from "./list";
import { metaAlloc, metaFree, metaEnsure, metaInstallChunk, MetaKind } from "./fixalloc";

// @ts-ignore: decorator
@external("env", "now")
declare function hostNow(): f64;

/** memory.grow, timed (growCount, growMs, growMaxMs). */
function timedGrow(wasmPages: u32): i32 {
  let t0 = hostNow();
  let r = memory.grow(<i32>wasmPages);
  let ms = hostNow() - t0;
  if (ms < 0) ms = 0;
  growCount++;
  growMs += ms;
  if (ms > growMaxMs) growMaxMs = ms;
  return r;
}

/** Page-map entry of a meta page. Span records are never at address 1. */
// @ts-ignore: decorator
@inline export const META_PAGE: u32 = 1;
/** Pages on the exact-size free lists; runs of this many or more go to free[0]. */
// @ts-ignore: decorator
@inline export const MAX_LISTED: u32 = 128;
/** Reservation made before every heap operation: two span records (the
 *  span and a split-off rest), two bitmaps and a type-byte array. */
// @ts-ignore: decorator
@inline export const META_RESERVE: u32 = 1536;
/** Bytes of the scratch region the host uses to pass arrays. */
// @ts-ignore: decorator
@inline export const SCRATCH_SIZE: u32 = 65536;

const WASM_PAGE_SHIFT: u32 = 16;
export const PAGES_PER_WASM_PAGE: u32 = 1 << (WASM_PAGE_SHIFT - PAGE_SHIFT);

// free[0] = runs >= MAX_LISTED pages; free[n] = runs of exactly n pages.
export const freeLists: usize = memory.data(MAX_LISTED * 4, 4);
// Bit n set iff free[n] is non-empty (n = 1..127).
export const freeMask: usize = memory.data(MAX_LISTED / 8, 8);

export let pageMap: usize = 0;
export let pageMapBytes: u32 = 0;
export let scratchBase: usize = 0;
export let arenaStartPage: u32 = 0;
export let arenaEndPage: u32 = 0;
/** Largest page count memory may hold (maxMemory / 8 KiB). */
export let maxPages: u32 = 0;
/** A lower cap on growth than maxPages, and exact growth: set by the host
 *  while it compacts a runtime into this heap (the old and the new heap
 *  must fit under maxMemory together). */
let growLimitPages: u32 = 0xffffffff;
let growExact: bool = false;
export function setGrowthPolicy(exact: bool, limitWasmPages: u32): void {
  growExact = exact;
  growLimitPages = limitWasmPages >= 0x10000 ? 0xffffffff : limitWasmPages * PAGES_PER_WASM_PAGE;
}
export let heapInusePages: u32 = 0;
/** memory.grow calls, their total and longest time (host clock, ms): the
 *  host may run its own collector inside (V8 counts wasm memory as external
 *  memory), so bench/gc reports it apart from the collector's steps. */
export let growCount: u32 = 0;
export let growMs: f64 = 0;
export let growMaxMs: f64 = 0;
export let heapFreePages: u32 = 0;
export let spansInUse: u32 = 0;

// ---------------------------------------------------------------------------
// The page map

// @ts-ignore: decorator
@inline export function pageMapAt(page: u32): u32 {
  return load<u32>(pageMap + (<usize>page << 2));
}

// @ts-ignore: decorator
@inline function setPageMap(page: u32, v: u32): void {
  store<u32>(pageMap + (<usize>page << 2), v);
}

/** The in-use span holding address p, or null. O(1). */
// @ts-ignore: decorator
@inline export function spanOf(p: usize): mspan {
  let v = load<u32>(pageMap + ((p >>> PAGE_SHIFT) << 2));
  if (v <= META_PAGE) return changetype<mspan>(0);
  let s = changetype<mspan>(<usize>v);
  if (s.state != SpanState.INUSE) return changetype<mspan>(0);
  return s;
}

/** Walking the arena in address order: the span (in use or free) that
 *  starts at `page`, or null for a meta page; then nextPage to step on.
 *
 *    for (let p = arenaStartPage; p < arenaEndPage; p = nextPage(p)) {
 *      let s = spanStartingAt(p); if (changetype<usize>(s) == 0) continue; ...
 *    }
 */
// @ts-ignore: decorator
@inline export function spanStartingAt(page: u32): mspan {
  let v = pageMapAt(page);
  return changetype<mspan>(v <= META_PAGE ? <usize>0 : <usize>v);
}

// @ts-ignore: decorator
@inline export function nextPage(page: u32): u32 {
  let v = pageMapAt(page);
  return v <= META_PAGE ? page + 1 : page + changetype<mspan>(<usize>v).npages;
}

function mapRun(s: mspan): void {
  let first = s.startAddr >>> PAGE_SHIFT;
  let end = first + s.npages;
  let v = changetype<u32>(s);
  for (let p = first; p < end; p++) setPageMap(p, v);
}

/** A free run maps only its ends; interior entries are 0. */
function mapFreeRunEnds(s: mspan): void {
  let first = s.startAddr >>> PAGE_SHIFT;
  let v = changetype<u32>(s);
  setPageMap(first, v);
  setPageMap(first + s.npages - 1, v);
}

// ---------------------------------------------------------------------------
// Free-run lists

// @ts-ignore: decorator
@inline export function freeHead(npages: u32): usize {
  return freeLists + (<usize>(npages < MAX_LISTED ? npages : <u32>0) << 2);
}

function insertFree(s: mspan): void {
  let n = s.npages;
  listPush(freeHead(n), s);
  if (n < MAX_LISTED) {
    let w = freeMask + (<usize>(n >> 5) << 2);
    store<u32>(w, load<u32>(w) | (1 << (n & 31)));
  }
}

function removeFree(s: mspan): void {
  let n = s.npages;
  listRemove(s);
  if (n < MAX_LISTED && load<u32>(freeHead(n)) == 0) {
    let w = freeMask + (<usize>(n >> 5) << 2);
    store<u32>(w, load<u32>(w) & ~(1 << (n & 31)));
  }
}

/** Smallest free run with at least npages pages (best fit), or null. */
function findRun(npages: u32): mspan {
  if (npages < MAX_LISTED) {
    // First non-empty exact list at or above npages.
    let n = npages;
    while (n < MAX_LISTED) {
      let word = load<u32>(freeMask + (<usize>(n >> 5) << 2)) >> (n & 31);
      if (word != 0) {
        n += <u32>ctz(word);
        return listFirst(freeHead(n));
      }
      n = (n | 31) + 1;
    }
  }
  let best = changetype<mspan>(0);
  let p = load<u32>(freeLists);
  while (p != 0) {
    let s = changetype<mspan>(<usize>p);
    if (s.npages >= npages) {
      if (
        changetype<usize>(best) == 0 ||
        s.npages < best.npages ||
        (s.npages == best.npages && s.startAddr < best.startAddr)
      ) best = s;
    }
    p = s.next;
  }
  return best;
}

/** The free run that ends right at arenaEnd, or null. */
function tailRun(): mspan {
  if (arenaEndPage == arenaStartPage) return changetype<mspan>(0);
  let v = pageMapAt(arenaEndPage - 1);
  if (v <= META_PAGE) return changetype<mspan>(0);
  let s = changetype<mspan>(<usize>v);
  return s.state == SpanState.FREE ? s : changetype<mspan>(0);
}

// ---------------------------------------------------------------------------
// Growth

/** Grow linear memory by at least `pages` 8 KiB pages. Returns the number
 *  of pages added (0 when the cap refuses). */
function growRaw(pages: u32): u32 {
  let need = (pages + PAGES_PER_WASM_PAGE - 1) / PAGES_PER_WASM_PAGE;
  let heapWasmPages = (arenaEndPage - arenaStartPage) / PAGES_PER_WASM_PAGE;
  // Half the heap, at least 1 MiB, at most 64 MiB at a time (exact while
  // the host compacts into this heap: it should end up right-sized).
  let want = growExact ? need : max<u32>(need, min<u32>(max<u32>(heapWasmPages >> 1, 16), 1024));
  let cap = min<u32>(maxPages, growLimitPages);
  let room = cap > arenaEndPage ? (cap - arenaEndPage) / PAGES_PER_WASM_PAGE : 0;
  if (want > room) want = need;
  if (want > room) return 0;
  if (timedGrow(want) < 0) {
    if (want == need || timedGrow(need) < 0) return 0;
    want = need;
  }
  let added = want * PAGES_PER_WASM_PAGE;
  return added;
}

/** Turn pages [first, first+count) into free heap (merging with the tail
 *  run). Needs one span record (reserved by the caller). */
function addFreePages(first: u32, count: u32): void {
  if (count == 0) return;
  let tail = tailRun();
  arenaEndPage = first + count;
  heapFreePages += count;
  if (changetype<usize>(tail) != 0 && spanEndPage(tail) == first) {
    removeFree(tail);
    setPageMap(spanEndPage(tail) - 1, 0);
    tail.npages += count;
    mapFreeRunEnds(tail);
    insertFree(tail);
    return;
  }
  newFreeRun(first, count, 0);
}

/** A record for the free run [first, first+n), mapped and listed. Needs one
 *  span record (reserved by the caller's metaEnsure). */
function newFreeRun(first: u32, n: u32, needzero: u8): void {
  let s = changetype<mspan>(metaAlloc(<u32>SPAN_RECORD_SIZE, MetaKind.SPAN));
  if (!ASC_NO_ASSERT) assert(changetype<usize>(s) != 0, "newFreeRun: metadata not reserved");
  s.startAddr = first << PAGE_SHIFT;
  s.npages = n;
  s.state = <u8>SpanState.FREE;
  s.needzero = needzero;
  mapFreeRunEnds(s);
  insertFree(s);
}

/** Give fixalloc one page, without needing a span record: the first page of
 *  the smallest free run, else the last page of freshly grown memory.
 *  Returns 0 when out of memory. */
export function takeMetaPage(): usize {
  let s = findRun(1);
  if (changetype<usize>(s) != 0) {
    removeFree(s);
    let page = s.startAddr >>> PAGE_SHIFT;
    let needzero = s.needzero;
    heapFreePages--;
    if (s.npages == 1) {
      setPageMap(page, META_PAGE);
      metaInstallChunk(<usize>page << PAGE_SHIFT);
      s.state = <u8>SpanState.DEAD;
      metaFree(changetype<usize>(s), <u32>SPAN_RECORD_SIZE, MetaKind.SPAN);
    } else {
      setPageMap(page, META_PAGE);
      s.startAddr += PAGE_SIZE;
      s.npages--;
      mapFreeRunEnds(s);
      insertFree(s);
      metaInstallChunk(<usize>page << PAGE_SHIFT);
    }
    if (needzero) memory.fill(<usize>page << PAGE_SHIFT, 0, PAGE_SIZE);
    return <usize>page << PAGE_SHIFT;
  }
  let first = arenaEndPage;
  let added = growRaw(1);
  if (added == 0) return 0;
  let metaPage = first + added - 1;
  setPageMap(metaPage, META_PAGE);
  metaInstallChunk(<usize>metaPage << PAGE_SHIFT);
  addFreePages(first, added - 1);
  arenaEndPage = first + added;
  return <usize>metaPage << PAGE_SHIFT;
}

// ---------------------------------------------------------------------------
// Initialisation

/** Pages a heap needs at least after the fixed areas: the first meta page
 *  and one heap page. */
// @ts-ignore: decorator
@inline export const MIN_ARENA_PAGES: u32 = 2;

// The layout of the fixed areas (see the essay), for `pages` 8 KiB pages of
// address space. heapInit and minMemoryBytes both use these.
// @ts-ignore: decorator
@inline export function pageMapAddr(): usize { return (__heap_base + 15) & ~15; }
// @ts-ignore: decorator
@inline export function scratchAddr(pages: u32): usize { return (pageMapAddr() + (<usize>pages << 2) + 15) & ~15; }
// @ts-ignore: decorator
@inline export function arenaStartFor(pages: u32): u32 {
  return <u32>((scratchAddr(pages) + SCRATCH_SIZE + PAGE_SIZE - 1) >>> PAGE_SHIFT);
}

/** Bytes of linear memory a cap of maxWasmPages 64 KiB pages must allow
 *  for heapInit to succeed: the fixed areas plus MIN_ARENA_PAGES (so the
 *  host can explain a too-small maxMemory). */
export function minMemoryBytes(maxWasmPages: u32): u32 {
  return (arenaStartFor(maxWasmPages * PAGES_PER_WASM_PAGE) + MIN_ARENA_PAGES) << PAGE_SHIFT;
}

/** Lay out the page map and scratch area for a memory capped at
 *  `maxWasmPages` 64 KiB pages. Returns false when the cap is too small to
 *  hold them plus one meta page and one heap page (minMemoryBytes). */
export function heapInit(maxWasmPages: u32): bool {
  maxPages = maxWasmPages * PAGES_PER_WASM_PAGE;
  pageMap = pageMapAddr();
  pageMapBytes = maxPages << 2;
  scratchBase = scratchAddr(maxPages);
  arenaStartPage = arenaStartFor(maxPages);
  if (arenaStartPage + MIN_ARENA_PAGES > maxPages) return false;
  let have = <u32>memory.size() * PAGES_PER_WASM_PAGE;
  if (have < arenaStartPage) {
    let needWasm = (arenaStartPage - have + PAGES_PER_WASM_PAGE - 1) / PAGES_PER_WASM_PAGE;
    if (memory.grow(<i32>needWasm) < 0) return false;
    have += needWasm * PAGES_PER_WASM_PAGE;
  }
  arenaEndPage = arenaStartPage;
  // Slack pages already in memory: the last becomes the first meta page.
  if (have > arenaStartPage) {
    setPageMap(have - 1, META_PAGE);
    metaInstallChunk(<usize>(have - 1) << PAGE_SHIFT);
    addFreePages(arenaStartPage, have - 1 - arenaStartPage);
    arenaEndPage = have;
  }
  return true;
}

// ---------------------------------------------------------------------------
// Spans

/** Allocate a span of npages pages, mapped and INUSE, other fields zero
 *  except startAddr/npages/needzero. Returns null when out of memory;
 *  nothing changes in that case. */
export function allocSpan(npages: u32): mspan {
  if (!metaEnsure(META_RESERVE)) return changetype<mspan>(0);
  if (npages >= hugePages()) {
    let first = choosePlacement(npages);
    if (first == u32.MAX_VALUE) return changetype<mspan>(0);
    return allocSpanAt(first, npages);
  }
  let s = findRun(npages);
  if (changetype<usize>(s) == 0) {
    let tail = tailRun();
    let have = changetype<usize>(tail) != 0 ? tail.npages : 0;
    let first = arenaEndPage;
    let added = growRaw(npages - have);
    if (added == 0) return changetype<mspan>(0);
    addFreePages(first, added);
    s = findRun(npages);
    if (!ASC_NO_ASSERT) assert(changetype<usize>(s) != 0, "allocSpan: no run after growth");
  }
  return takeRun(s, s.startAddr >>> PAGE_SHIFT, npages);
}

/** Carve [first, first+npages) out of free run r: what is left before and
 *  after stays free (new records, reserved by the caller's metaEnsure); r's
 *  record becomes the in-use span. */
function takeRun(r: mspan, first: u32, npages: u32): mspan {
  let a = r.startAddr >>> PAGE_SHIFT;
  let rEnd = a + r.npages;
  let end = first + npages;
  removeFree(r);
  setPageMap(a, 0);
  setPageMap(rEnd - 1, 0);
  if (first > a) newFreeRun(a, first - a, r.needzero);
  if (end < rEnd) newFreeRun(end, rEnd - end, r.needzero);
  r.startAddr = first << PAGE_SHIFT;
  r.npages = npages;
  r.state = <u8>SpanState.INUSE;
  mapRun(r);
  heapFreePages -= npages;
  heapInusePages += npages;
  spansInUse++;
  return r;
}

// ---------------------------------------------------------------------------
// Huge spans: placement that keeps room for the next doubling
//
// A map that doubles needs its old and new bucket arrays at once: at 4 GiB,
// B = 24 (1.35 GB) and B = 25 (2.71 GB) fit only if the new array finds one
// contiguous run, so the old array must sit at one end of the address space.
// For spans of at least HUGE pages, allocSpan takes the lowest address that
// fits, as usual, if that still leaves a free run twice the span's size (the
// next doubling). Otherwise it considers the start and the end of every
// large free run (the not-yet-grown space up to maxMemory counts as free)
// and picks the place that leaves the largest contiguous free run —
// counting as free the span the caller says it is about to drop (the
// placement hint: hashGrow passes the old bucket array, which the collector
// frees once evacuation is done). Ties go to the lowest address.

/** Up to this many free intervals are considered. */
// @ts-ignore: decorator
@inline const MAX_INTERVALS: u32 = 64;
const intervals: usize = memory.data(MAX_INTERVALS * 8 + 8, 4);
let nIntervals: u32 = 0;
let hintFirst: u32 = 0;
let hintPages: u32 = 0;

/** Spans this big (pages) get placed with care. */
// @ts-ignore: decorator
@inline function hugePages(): u32 {
  return max<u32>(maxPages >> 5, 1024);
}

/** The span holding p will be freed soon (0: no hint). */
export function setPlacementHint(p: usize): void {
  hintFirst = 0;
  hintPages = 0;
  if (p == 0) return;
  let s = spanOf(p);
  if (changetype<usize>(s) == 0) return;
  hintFirst = s.startAddr >>> PAGE_SHIFT;
  hintPages = s.npages;
}

function addInterval(first: u32, n: u32): void {
  if (n == 0 || nIntervals >= MAX_INTERVALS) return;
  // Keep sorted by start (insertion sort; few intervals).
  let i = nIntervals++;
  while (i > 0 && load<u32>(intervals + (<usize>(i - 1) << 3)) > first) {
    store<u64>(intervals + (<usize>i << 3), load<u64>(intervals + (<usize>(i - 1) << 3)));
    i--;
  }
  store<u32>(intervals + (<usize>i << 3), first);
  store<u32>(intervals + (<usize>i << 3) + 4, n);
}

/** Free intervals (large runs, the tail up to maxPages) plus the hint. */
function collectIntervals(): void {
  nIntervals = 0;
  let p = load<u32>(freeLists); // runs of MAX_LISTED+ pages
  while (p != 0) {
    let s = changetype<mspan>(<usize>p);
    addInterval(s.startAddr >>> PAGE_SHIFT, s.npages);
    p = s.next;
  }
  let tail = tailRun();
  if (changetype<usize>(tail) != 0 && tail.npages < MAX_LISTED) addInterval(tail.startAddr >>> PAGE_SHIFT, tail.npages);
  addInterval(arenaEndPage, maxPages - arenaEndPage);
  if (hintPages != 0) addInterval(hintFirst, hintPages);
}

/** Largest contiguous free length if [c, c+n) were taken. */
function largestAfter(c: u32, n: u32): u32 {
  let best: u32 = 0;
  let runStart: u32 = 0, runEnd: u32 = 0;
  let open = false;
  for (let i: u32 = 0; i < nIntervals; i++) {
    let a = load<u32>(intervals + (<usize>i << 3));
    let b = a + load<u32>(intervals + (<usize>i << 3) + 4);
    // Split around the candidate.
    let pieces: u32 = 1;
    let a2: u32 = 0, b2: u32 = 0;
    if (c < b && c + n > a) {
      a2 = c + n; b2 = b; b = c; pieces = 2;
    }
    for (let k: u32 = 0; k < pieces; k++) {
      let x = k == 0 ? a : a2, y = k == 0 ? b : b2;
      if (y <= x) continue;
      if (open && x <= runEnd) {
        if (y > runEnd) runEnd = y;
      } else {
        if (open && runEnd - runStart > best) best = runEnd - runStart;
        runStart = x; runEnd = y; open = true;
      }
    }
  }
  if (open && runEnd - runStart > best) best = runEnd - runStart;
  return best;
}

/** The first page for a huge span, or u32.MAX_VALUE when none fits. Only
 *  truly free pages (not the hint) may be used. */
function choosePlacement(npages: u32): u32 {
  let savedHint = hintPages;
  hintPages = 0;
  collectIntervals();
  hintPages = savedHint;
  // Candidates from the truly free intervals; score with the hint counted.
  let cands = memory.data(MAX_INTERVALS * 8, 4);
  let nc: u32 = 0;
  for (let i: u32 = 0; i < nIntervals; i++) {
    let a = load<u32>(intervals + (<usize>i << 3));
    let n = load<u32>(intervals + (<usize>i << 3) + 4);
    if (n < npages) continue;
    store<u32>(cands + (<usize>nc << 2), a); nc++;
    if (nc < MAX_INTERVALS * 2 && n > npages) { store<u32>(cands + (<usize>nc << 2), a + n - npages); nc++; }
    if (nc >= MAX_INTERVALS * 2) break;
  }
  if (nc == 0) return u32.MAX_VALUE;
  if (hintPages != 0) addInterval(hintFirst, hintPages);
  // The ordinary place — the lowest address that fits — is kept unless it
  // would leave no run for the next doubling (twice this span): then memory
  // does not grow further than it has to.
  let lowest = u32.MAX_VALUE;
  for (let j: u32 = 0; j < nc; j++) lowest = min<u32>(lowest, load<u32>(cands + (<usize>j << 2)));
  if (largestAfter(lowest, npages) >= npages << 1) return lowest;
  let bestC = u32.MAX_VALUE;
  let bestScore: u32 = 0;
  for (let j: u32 = 0; j < nc; j++) {
    let c = load<u32>(cands + (<usize>j << 2));
    let score = largestAfter(c, npages);
    if (bestC == u32.MAX_VALUE || score > bestScore || (score == bestScore && c < bestC)) {
      bestC = c;
      bestScore = score;
    }
  }
  return bestC;
}

/** The free run holding page p, or null. */
function runHolding(p: u32): mspan {
  let q = load<u32>(freeLists);
  while (q != 0) {
    let s = changetype<mspan>(<usize>q);
    let a = s.startAddr >>> PAGE_SHIFT;
    if (p >= a && p < a + s.npages) return s;
    q = s.next;
  }
  let t = tailRun();
  if (changetype<usize>(t) != 0) {
    let a = t.startAddr >>> PAGE_SHIFT;
    if (p >= a && p < a + t.npages) return t;
  }
  return changetype<mspan>(0);
}

/** A huge span at page `first` (inside a free run, or in space not grown
 *  yet). Null when memory cannot grow that far. */
function allocSpanAt(first: u32, npages: u32): mspan {
  let end = first + npages;
  if (end > arenaEndPage) {
    let tail = tailRun();
    let from = changetype<usize>(tail) != 0 ? tail.startAddr >>> PAGE_SHIFT : arenaEndPage;
    if (first < from) return changetype<mspan>(0);
    let grownFrom = arenaEndPage;
    let added = growRaw(end - arenaEndPage);
    if (added == 0) return changetype<mspan>(0);
    addFreePages(grownFrom, added);
  }
  let r = runHolding(first);
  if (changetype<usize>(r) == 0) return r;
  let a = r.startAddr >>> PAGE_SHIFT;
  let rEnd = a + r.npages;
  if (end > rEnd) return changetype<mspan>(0);
  return takeRun(r, first, npages);
}

/** Return an in-use span's pages to the free runs, coalescing with its
 *  neighbours. The caller has released the span's bitmaps and lists. */
export function freeSpan(s: mspan): void {
  if (!ASC_NO_ASSERT) assert(s.state == SpanState.INUSE && s.listHead == 0, "freeSpan: bad span");
  let n = s.npages;
  heapInusePages -= n;
  heapFreePages += n;
  spansInUse--;
  // Clear the whole run; ends are re-set below.
  let first = s.startAddr >>> PAGE_SHIFT;
  for (let p = first; p < first + n; p++) setPageMap(p, 0);
  s.state = <u8>SpanState.FREE;
  s.needzero = 1;
  s.allocCache = 0;
  s.freeindex = 0;
  s.nelems = 0;
  s.elemsize = 0;
  s.allocCount = 0;
  s.allocCountBeforeCache = 0;
  s.allocBits = 0;
  s.gcmarkBits = 0;
  s.typeBytes = 0;
  s.spanclass = 0;
  s.divMul = 0;
  s.sweepgen = 0;
  // Coalesce with the run before.
  if (first > arenaStartPage) {
    let v = pageMapAt(first - 1);
    if (v > META_PAGE) {
      let b = changetype<mspan>(<usize>v);
      if (b.state == SpanState.FREE) {
        removeFree(b);
        setPageMap(first - 1, 0);
        setPageMap(b.startAddr >>> PAGE_SHIFT, 0);
        s.startAddr = b.startAddr;
        s.npages += b.npages;
        b.state = <u8>SpanState.DEAD;
        metaFree(changetype<usize>(b), <u32>SPAN_RECORD_SIZE, MetaKind.SPAN);
      }
    }
  }
  // Coalesce with the run after.
  let end = spanEndPage(s);
  if (end < arenaEndPage) {
    let v = pageMapAt(end);
    if (v > META_PAGE) {
      let a = changetype<mspan>(<usize>v);
      if (a.state == SpanState.FREE) {
        removeFree(a);
        setPageMap(end, 0);
        setPageMap(spanEndPage(a) - 1, 0);
        s.npages += a.npages;
        a.state = <u8>SpanState.DEAD;
        metaFree(changetype<usize>(a), <u32>SPAN_RECORD_SIZE, MetaKind.SPAN);
      }
    }
  }
  mapFreeRunEnds(s);
  insertFree(s);
}

/** Bytes of linear memory in use right now. */
// @ts-ignore: decorator
@inline export function linearMemoryBytes(): u64 {
  return <u64>memory.size() << WASM_PAGE_SHIFT;
}

/** Number of free runs (for the heap checker). */
export function freeRunCount(): u32 {
  let n: u32 = 0;
  for (let i: u32 = 0; i < MAX_LISTED; i++) {
    let p = load<u32>(freeLists + (<usize>i << 2));
    while (p != 0) {
      n++;
      p = changetype<mspan>(<usize>p).next;
    }
  }
  return n;
}

/** Is s on the free list its size says? (heap checker) */
export function onRightFreeList(s: mspan): bool {
  return <usize>s.listHead == freeHead(s.npages);
}
