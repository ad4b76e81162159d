/**
 * The read-only inspections: `rt.inspect(m)` (a map's shape),
 * `rt.inspectBuckets(m)` (every tophash byte) and `rt.inspectHeap()` (every
 * span, free run and metadata page). Each reads the core's memory and
 * records and returns plain copies: no pointer into linear memory escapes.
 */
import type { BucketLayout, Boundary, MapOps, SpanClassRow, TophashValues } from "./boundary.js";
import { gcProgress, heapWalk, readHmap, readMapInfo } from "./records.js";

/** What `rt.inspect(m)` reports about a map. */
export interface MapInspection {
  /** log2 of the bucket count. */
  B: number;
  /** Entries: Go's hmap.count (`m.size`). */
  count: number;
  /** Go's overflow-bucket counter (approximate for B ≥ 16, as in Go). */
  noverflow: number;
  /** 2^B (0 before a B = 0 map's first insert). */
  buckets: number;
  /** Overflow buckets linked from the current array, counted by walking. */
  overflowBuckets: number;
  /** Buckets of the old array while growing (0 otherwise). */
  oldBuckets: number;
  /** Overflow buckets linked from the old array, counted by walking. */
  oldOverflowBuckets: number;
  /** An old array is still being evacuated. */
  growing: boolean;
  /** The grow in progress keeps B (too many overflow buckets). */
  sameSizeGrow: boolean;
  /** Old buckets below this index are evacuated (Go's hmap.nevacuate). */
  nevacuate: number;
  /** tophash states over every slot of both arrays and their chains. */
  tophash: {
    emptyRest: number;
    emptyOne: number;
    live: number;
    evacuatedX: number;
    evacuatedY: number;
    evacuatedEmpty: number;
  };
  /** Bytes of bucket storage held: the arrays (at size-class/page
   *  granularity) plus separately allocated overflow buckets. */
  bucketBytes: number;
  /** Bytes per bucket of this map's shape. */
  bucketSize: number;
  /** Byte offsets inside a bucket of this map's shape (wasm32 layout, from the core). */
  bucketLayout: BucketLayout;
  /** The hash seed (u32): `seed` or a random one at make; a new random one
   *  after clear() or a delete that empties the map, as in Go. */
  hash0: number;
  /** hmap.flags: Go's bits 1 iterator, 2 oldIterator, 4 hashWriting,
   *  8 sameSizeGrow; ours 16 hooked (rt.unsafe hooks installed). */
  flags: number;
}
/** One bucket array's tophash bytes (`rt.inspectBuckets(m)`). */
export interface BucketArrayTophash {
  /** log2 of the array's bucket count. */
  B: number;
  /** Buckets in the array: 2^B. */
  nbuckets: number;
  /** 8 tophash bytes per bucket of the array, bucket i at [8i, 8i+8). */
  tophash: Uint8Array;
  /** Overflow buckets chained to bucket i. */
  chainLength: Uint32Array;
  /** The overflow buckets' tophash bytes, 8 each, in bucket order then
   *  chain order. */
  overflowTophash: Uint8Array;
}
/** A copy of a map's tophash bytes: what each slot holds (live ≥ 5,
 *  emptyRest 0, emptyOne 1, evacuated X/Y/empty 2/3/4). */
export interface BucketsInspection {
  /** The current array; null while the map has none (a B = 0 map gets its
   *  first array at its first insert, as in Go). */
  current: BucketArrayTophash | null;
  /** The old array while growing. */
  old: BucketArrayTophash | null;
  /** Old buckets below this index are evacuated (Go's hmap.nevacuate). */
  nevacuate: number;
  /** The map is growing without changing B (too many overflow buckets). */
  sameSizeGrow: boolean;
  /** The tophash sentinels (from the core): a live slot's byte is at least minTopHash. */
  tophashValues: TophashValues;
}
/** One entry of the page heap, in address order (`rt.inspectHeap()`). */
export interface HeapSpan {
  /** Address of the first page (bytes into linear memory). */
  address: number;
  /** 8 KiB pages covered. */
  pages: number;
  /** pages × 8192. */
  bytes: number;
  /** "inuse": a span of objects; "free": a free page run; "meta": a page of
   *  span records / bitmaps / type bytes (fixalloc). */
  state: "inuse" | "free" | "meta";
  /** Span class = `sizeClass << 1 | noscan` (in-use spans; 0 otherwise). */
  spanClass: number;
  /** Size class (in-use spans); 0 for a large object's span. */
  sizeClass: number;
  /** The span's objects hold no pointers (not scanned by the collector). */
  noscan: boolean;
  /** Bytes per object slot (a large object's span: its whole size; 0 for
   *  free runs and metadata pages). */
  elemSize: number;
  /** Object slots in the span (Go's nelems). */
  slots: number;
  /** Slots allocated (Go's allocCount; unswept garbage included). */
  allocated: number;
  /** Go's freeindex: every slot below it is allocated; the next
   *  allocation searches from it. */
  freeindex: number;
  /** Slots with the mark bit set (meaningful while marking). */
  marked: number;
  /** Swept for the current cycle. */
  swept: boolean;
  /** Some mcache's current span for its class. */
  cached: boolean;
}
/** Spans of one span class, summed (`rt.inspectHeap().classes`): a
 *  spanClasses() row plus the free slots. (For size class 0, elemSize is
 *  the size of the first large-object span in address order, not 0.) */
export interface HeapClassSummary extends Omit<SpanClassRow, "cached"> {
  /** Slots not allocated: slots − allocated. */
  free: number;
}
/** The whole heap at a glance: what the explorer draws. */
export interface HeapInspection {
  /** The heap's pages: addresses [start, end) in linear memory, and end − start bytes. */
  arena: { start: number; end: number; bytes: number };
  /** Every span, free run and metadata page, in address order. */
  spans: HeapSpan[];
  /** The in-use spans summed per span class, in span-class order. */
  classes: HeapClassSummary[];
  /** The free page runs, in address order. */
  freeRuns: { address: number; pages: number; bytes: number }[];
  /** Metadata pages (state "meta": fixalloc's span records, bitmaps, type bytes …). */
  metaPages: number;
  /** The collector's state now. */
  gc: {
    /** "mark" while a cycle is marking. */
    phase: "off" | "mark";
    /** Bytes the collector counts as live (Go's heapLive): the last mark's
     *  total, plus each span's free space when the mcache takes it and each
     *  large object since. */
    heapLive: number;
    /** The heap goal, bytes (MemStats.NextGC; 2^64 when GOGC is off). */
    heapGoal: number;
    /** The heapLive at which the next cycle starts, bytes (2^64 when GOGC is off). */
    trigger: number;
    /** Bytes marked so far in this cycle (the last cycle's total when off). */
    bytesMarked: number;
    /** Bytes scanned so far in this cycle (the last cycle's total when off). */
    scanWork: number;
    /** Grey objects queued. */
    greyObjects: number;
    /** Cycles completed by the current instance (unlike MemStats.NumGC,
     *  not counting those before a compaction). */
    numGC: number;
    /** bytesMarked / heapLive while marking (an estimate of progress: the
     *  live heap is not known until marking ends); 1 when off. */
    markProgress: number;
  };
}

/** The shape of a map: B, counts, tophash states, growth progress, bytes. */
export function inspectMap(b: Boundary, ops: MapOps, h: number, suffix: string): MapInspection {
  const r = readMapInfo(b, ops, h);
  return {
    B: r.B!,
    count: r.count!,
    noverflow: r.noverflow!,
    buckets: r.buckets!,
    overflowBuckets: r.overflowBuckets!,
    oldBuckets: r.oldBuckets!,
    oldOverflowBuckets: r.oldOverflowBuckets!,
    growing: r.growing === 1,
    sameSizeGrow: r.sameSizeGrow === 1,
    nevacuate: r.nevacuate!,
    tophash: {
      emptyRest: r.emptyRest!,
      emptyOne: r.emptyOne!,
      live: r.live!,
      evacuatedX: r.evacuatedX!,
      evacuatedY: r.evacuatedY!,
      evacuatedEmpty: r.evacuatedEmpty!,
    },
    bucketBytes: r.bucketBytes!,
    bucketSize: r.bucketSize!,
    bucketLayout: b.bucketLayout(suffix),
    hash0: r.hash0!,
    flags: r.flags!,
  };
}

/** A copy of every tophash byte of the map (both arrays while it grows,
 *  overflow chains included): the slot states the explorer draws. Safe:
 *  read-only, no raw pointers escape. */
export function inspectBuckets(b: Boundary, h: number, suffix: string): BucketsInspection {
  const x = readHmap(b, h);
  const u8 = b.u8,
    u32 = b.u32;
  const shape = b.bucketLayout(suffix);
  const read = (addr: number, arrB: number): BucketArrayTophash | null => {
    if (addr === 0) return null;
    const n = 2 ** arrB;
    const th = new Uint8Array(n * 8);
    const chainLength = new Uint32Array(n);
    const over: number[] = [];
    for (let i = 0; i < n; i++) {
      const p0 = addr + i * shape.size;
      th.set(u8.subarray(p0, p0 + 8), i * 8);
      let c = 0;
      for (let p = u32[(p0 + shape.overflow) >>> 2]!; p !== 0; p = u32[(p + shape.overflow) >>> 2]!) {
        for (let j = 0; j < 8; j++) over.push(u8[p + j]!);
        c++;
      }
      chainLength[i] = c;
    }
    return { B: arrB, nbuckets: n, tophash: th, chainLength, overflowTophash: Uint8Array.from(over) };
  };
  return {
    current: read(x.buckets, x.B),
    old: read(x.oldbuckets, x.oldB),
    nevacuate: x.nevacuate,
    sameSizeGrow: x.oldbuckets !== 0 && x.sameSizeGrow,
    tophashValues: { ...b.tophash },
  };
}

/** Every span, free run and metadata page of the heap, span classes
 *  summed, and the collector's progress. Reads only (no allocation). */
export function inspectHeap(b: Boundary): HeapInspection {
  const { arenaStart, arenaEnd, records } = heapWalk(b);
  const PAGE = b.pageBytes;
  const spans: HeapSpan[] = [];
  const classes = new Map<number, HeapClassSummary>();
  const freeRuns: HeapInspection["freeRuns"] = [];
  let metaPages = 0;
  for (const r of records) {
    const state = r.state === 1 ? "inuse" : r.state === 2 ? "free" : "meta";
    const sc = r.spanclass!;
    const span: HeapSpan = {
      address: r.startAddr!,
      pages: r.npages!,
      bytes: r.npages! * PAGE,
      state,
      spanClass: sc,
      sizeClass: sc >> 1,
      noscan: (sc & 1) === 1,
      elemSize: r.elemsize!,
      slots: r.nelems!,
      allocated: r.allocCount!,
      freeindex: r.freeindex!,
      marked: r.marked!,
      swept: r.swept === 1,
      cached: r.cached === 1,
    };
    spans.push(span);
    if (state === "meta") metaPages++;
    else if (state === "free") freeRuns.push({ address: span.address, pages: span.pages, bytes: span.bytes });
    else {
      let c = classes.get(sc);
      if (!c) {
        c = {
          spanClass: sc,
          sizeClass: sc >> 1,
          noscan: (sc & 1) === 1,
          elemSize: span.elemSize,
          spans: 0,
          pages: 0,
          slots: 0,
          allocated: 0,
          free: 0,
        };
        classes.set(sc, c);
      }
      c.spans++;
      c.pages += span.pages;
      c.slots += span.slots;
      c.allocated += span.allocated;
      c.free += span.slots - span.allocated;
    }
  }
  const [phase, heapLive, heapGoal, trigger, bytesMarked, scanWork, queued, numGC] = gcProgress(b) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const marking = phase !== 0;
  return {
    arena: { start: arenaStart, end: arenaEnd, bytes: arenaEnd - arenaStart },
    spans,
    classes: [...classes.values()].sort((x, y) => x.spanClass - y.spanClass),
    freeRuns,
    metaPages,
    gc: {
      phase: marking ? "mark" : "off",
      heapLive,
      heapGoal,
      trigger,
      bytesMarked,
      scanWork,
      greyObjects: queued,
      numGC,
      markProgress: marking ? (heapLive > 0 ? Math.min(1, bytesMarked / heapLive) : 0) : 1,
    },
  };
}
