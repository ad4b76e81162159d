/**
 * The core's records, decoded: what the core writes into the scratch area
 * or keeps in its own static records (MemStats, BySize, span classes, the
 * heap walk, the collector's progress and gctrace record, the pause rings,
 * a map's MapInfo and its hmap fields), read here into plain objects.
 * Every field list comes from the core's exported enums and constants,
 * which the boundary reads (and checks) when it loads the core.
 */
import type { Boundary, BySizeEntry, HmapState, MapOps, SpanClassRow } from "./boundary.js";

/** Every span, free run and metadata page in address order: one
 *  record per entry with the core's HeapRec fields. */
export function heapWalk(b: Boundary): { arenaStart: number; arenaEnd: number; records: Record<string, number>[] } {
  const fields = b.enumOf("HeapRec");
  const count = fields.get("COUNT")!;
  fields.delete("COUNT");
  const names = [...fields.entries()].sort((a, b) => a[1] - b[1]);
  const out = b.scratchBase;
  b.exports.heapArena(out); // in pages (a 4 GiB arena ends at 2^32: no u32 of bytes holds it)
  const arenaStart = b.readU32(out) * b.pageBytes,
    arenaEnd = b.readU32(out + 4) * b.pageBytes;
  const max = Math.floor(b.scratchBytes / (count * 4));
  const records: Record<string, number>[] = [];
  let page = 0;
  for (;;) {
    const next = b.exports.heapWalk(page, out, max) >>> 0;
    const n = b.exports.heapWalkCount() >>> 0;
    const u32 = b.u32;
    for (let i = 0; i < n; i++) {
      const r: Record<string, number> = {};
      const base = (out >>> 2) + i * count;
      for (const [name, j] of names) r[name] = u32[base + j]!;
      records.push(r);
    }
    if (n < max || next * b.pageBytes >= arenaEnd) break;
    page = next;
  }
  return { arenaStart, arenaEnd, records };
}

/** phase, heapLive, heapGoal, trigger, bytesMarked, scanWork, queued, numgc. */
export function gcProgress(b: Boundary): number[] {
  const out = b.scratchBase;
  b.exports.gcProgress(out);
  const dv = b.dv;
  return Array.from({ length: 8 }, (_, i) => dv.getFloat64(out + i * 8, true));
}

/** The fields of the hmap at h (inspection, unsafe views, compaction). */
export function readHmap(b: Boundary, h: number): HmapState {
  const L = b.hmap;
  const u8 = b.u8,
    u32 = b.u32;
  const flags = u8[h + L.flags]!;
  const B = u8[h + L.B]!;
  const typ = u32[(h + L.typ) >>> 2]!;
  const sameSizeGrow = (flags & b.sameSizeFlag) !== 0;
  return {
    count: u32[(h + L.count) >>> 2]!,
    flags,
    B,
    hash0: u32[(h + L.hash0) >>> 2]!,
    buckets: u32[(h + L.buckets) >>> 2]!,
    oldbuckets: u32[(h + L.oldbuckets) >>> 2]!,
    nevacuate: u32[(h + L.nevacuate) >>> 2]!,
    kinds: typ & 0xffff,
    gen: typ >>> b.typGenShift,
    sameSizeGrow,
    oldB: sameSizeGrow ? B : B - 1,
  };
}

/** Read the core's MapInfo record for a map. */
export function readMapInfo(b: Boundary, ops: MapOps, h: number): Record<string, number> {
  const out = b.scratchBase;
  ops.inspect(h, out);
  const r: Record<string, number> = {};
  for (const [name, i] of b.mapInfoFields) r[name] = b.readU64(out + i * 8);
  return r;
}

export function readMemStatsRecord(b: Boundary): Record<string, number> {
  const out = b.scratchBase;
  b.exports.readMemStats(out);
  const r: Record<string, number> = {};
  for (const [name, i] of b.memStatFields) r[name] = b.readU64(out + i * 8);
  return r;
}

export function readBySize(b: Boundary): BySizeEntry[] {
  const out = b.scratchBase;
  b.exports.readBySize(out);
  const r: BySizeEntry[] = [];
  for (let c = 0; c < b.bySizeEntries; c++) {
    const p = out + c * 24;
    r.push({ Size: b.readU64(p), Mallocs: b.readU64(p + 8), Frees: b.readU64(p + 16) });
  }
  return r;
}

export function readSpanClasses(b: Boundary): SpanClassRow[] {
  const out = b.scratchBase;
  b.exports.readSpanClasses(out);
  const rows: SpanClassRow[] = [];
  for (let spc = 0; spc < b.spanClasses; spc++) {
    const p = out + spc * b.spanClassRowBytes;
    const spans = b.readU32(p);
    if (spans === 0) continue;
    const sizeClass = spc >> 1;
    const pages = b.readU32(p + 4);
    rows.push({
      spanClass: spc,
      sizeClass,
      noscan: (spc & 1) === 1,
      elemSize: sizeClass === 0 ? 0 : b.exports.classBytes(sizeClass),
      spans,
      pages,
      slots: b.readU32(p + 8),
      allocated: b.readU32(p + 12),
      cached: b.readU32(p + 16) !== 0,
    });
  }
  return rows;
}

/** The core's record of the last (or current) cycle: every field of
 *  its CycleField enum (f64 each). */
export function readCycle(b: Boundary): Record<string, number> {
  const p = b.exports.gcCycleRecord() >>> 0;
  const dv = b.dv;
  const r: Record<string, number> = {};
  for (const [f, i] of b.cycleFields) r[f] = dv.getFloat64(p + i * 8, true);
  return r;
}

/** The most recent pause durations (ns), oldest first, and the count of
 *  all pauses so far. */
export function readStepLog(b: Boundary): { count: number; recent: number[] } {
  const cap = b.constant("GC_STEP_LOG");
  const count = b.exports.gcStepCount() >>> 0;
  const p = b.exports.gcStepLog() >>> 0;
  const n = Math.min(count, cap);
  const recent: number[] = [];
  const dv = b.dv;
  for (let i = count - n; i < count; i++) recent.push(dv.getFloat32(p + (i % cap) * 4, true));
  return { count, recent };
}

/** Go's PauseNs and PauseEnd rings (256 entries each). */
export function readPauseRings(b: Boundary): { pauseNs: number[]; pauseEnd: number[] } {
  const a = b.exports.gcPauseRing() >>> 0;
  const e = b.exports.gcPauseEndRing() >>> 0;
  const pauseNs: number[] = [],
    pauseEnd: number[] = [];
  for (let i = 0; i < 256; i++) {
    pauseNs.push(b.readU64(a + i * 8));
    pauseEnd.push(b.readU64(e + i * 8));
  }
  return { pauseNs, pauseEnd };
}
