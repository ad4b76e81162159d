/**
 * Compaction (`rt.compact()`): move every live map into a fresh instance and
 * switch the runtime to it (compactInto, below), and the copy of one map
 * (copyMap).
 *
 * The copy: one map's live entries from an old instance into a
 * right-sized map of a fresh instance (`rt.compact()`, src/runtime.ts).
 *
 * The host walks the old map's buckets directly (both arrays while it
 * grows: an old bucket not evacuated yet holds its entries, an evacuated
 * one is skipped; every overflow chain), packs live keys and values into
 * the new instance's scratch area in the batch format (numbers raw;
 * strings/bytes as a table of (ptr, len) references followed by their
 * bytes) and inserts them with one `setMany` per chunk. The new map is made
 * with hint = count, so it never grows while filling: what `shrink()` would
 * pick. Nothing in the old instance is written.
 */
import { Boundary } from "./boundary.js";
import { CompactionMemoryError, InvalidOptionError } from "./errors.js";
import { parseBytes } from "./options.js";
import { readHmap, readMemStatsRecord } from "./records.js";
import { mapHandle, type GoMap } from "./map.js";
import type { CumulativeStats } from "./memstats.js";
import { coreSuffix, type KindName } from "./maptypes.js";
import { HALF_SCRATCH, writeRef } from "./batch.js";
import { cryptoRandom32 } from "./random.js";

/** Scratch layout per side (src/batch.ts's format): a reference table of
 *  at most TABLE entries, then the bytes of the strings. */
const HALF = HALF_SCRATCH;
const TABLE = 1024;
const BYTES_AT = TABLE * 8;

export interface MapToCopy {
  suffix: string;
  key: KindName;
  value: KindName;
  h: number;
  /** Root slot the new map is stored in (the same slot number as before). */
  root: number;
  /** The new map's hash seed (default: the old map's). */
  hash0?: number | undefined;
}

const isRef = (k: KindName): boolean => k === "string" || k === "bytes";

/** Copy; returns the new hmap, or 0 when the new instance ran out of memory. */
export function copyMap(ob: Boundary, nb: Boundary, m: MapToCopy): number {
  const { count, hash0, kinds, B, oldB, buckets, oldbuckets } = readHmap(ob, m.h);
  const ops = nb.mapOps(m.suffix);
  const nh = ops.makemap(count, m.hash0 ?? hash0, kinds, m.root) >>> 0;
  if (nh === 0) return 0;
  if (count === 0) return nh;

  const shape = ob.bucketLayout(m.suffix);
  const ks = (shape.values - shape.keys) / 8;
  const vs = (shape.overflow - shape.values) / 8;
  const keyRef = isRef(m.key),
    valRef = isRef(m.value);
  const kBase = nb.scratchBase,
    vBase = kBase + HALF;
  const cap = Math.min(keyRef || valRef ? TABLE : Infinity, Math.floor(HALF / ks), Math.floor(HALF / vs));
  let n = 0;
  let kBytes = kBase + BYTES_AT,
    vBytes = vBase + BYTES_AT;
  let failed = false;

  // Views: the old instance does not grow during the copy; the new one may
  // (in setMany), so its view is taken again after every flush.
  const ou8 = ob.u8,
    ou32 = ob.u32;
  const { minTopHash, evacuatedX, evacuatedEmpty } = ob.tophash;
  let nu32 = nb.u32;
  const flush = (): void => {
    if (n === 0 || failed) return;
    const done = ops.setMany(nh, kBase, vBase, n) >>> 0;
    if (done < n) failed = true;
    n = 0;
    kBytes = kBase + BYTES_AT;
    vBytes = vBase + BYTES_AT;
    nu32 = nb.u32;
  };
  /** Copy a 4- or 8-byte number (addresses are 4-aligned). */
  const copyWords = (src: number, dst: number, size: number): void => {
    nu32[dst >>> 2] = ou32[src >>> 2]!;
    if (size === 8) nu32[(dst >>> 2) + 1] = ou32[(src >>> 2) + 1]!;
  };

  const area = HALF - BYTES_AT;
  /** Bytes a reference needs in the byte area (numeric sides: 0). */
  const refLen = (src: number): number => ou32[(src >>> 2) + 1]!;

  /** Copy a reference's bytes to dst and write the (ptr, len) entry at `at`. */
  const placeRef = (src: number, dst: number, at: number): void => {
    const p = ou32[src >>> 2]!,
      len = ou32[(src >>> 2) + 1]!;
    nb.u8.set(ou8.subarray(p, p + len), dst);
    writeRef(nu32, at, 0, dst, len);
  };

  /** An entry with a string longer than the scratch area: its references
   *  become heap objects of the new instance right away, and a batch of
   *  one adopts them (no second copy: the heap does not hold it twice). */
  const emitLong = (kp: number, vp: number): void => {
    flush();
    if (failed) return;
    const obj = (src: number, at: number): boolean => {
      const len = refLen(src);
      let dst = 0;
      if (len > 0) {
        dst = nb.alloc(len, true);
        if (dst === 0) return false;
        nu32 = nb.u32;
      }
      placeRef(src, dst, at);
      return true;
    };
    if (keyRef) {
      if (!obj(kp, kBase)) {
        failed = true;
        return;
      }
    } else copyWords(kp, kBase, ks);
    if (valRef) {
      if (!obj(vp, vBase)) {
        failed = true;
        return;
      }
    } else copyWords(vp, vBase, vs);
    nb.exports.setAdoptRefs(keyRef, valRef);
    n = 1;
    flush();
    nb.exports.setAdoptRefs(false, false);
  };

  const emit = (kp: number, vp: number): void => {
    const kn = keyRef ? refLen(kp) : 0,
      vn = valRef ? refLen(vp) : 0;
    if (kn > area || vn > area) {
      emitLong(kp, vp);
      return;
    }
    if (n === cap || kBytes + kn > kBase + HALF || vBytes + vn > vBase + HALF) flush();
    if (failed) return;
    if (keyRef) {
      placeRef(kp, kBytes, kBase + n * 8);
      kBytes += kn;
    } else {
      copyWords(kp, kBase + n * ks, ks);
    }
    if (valRef) {
      placeRef(vp, vBytes, vBase + n * 8);
      vBytes += vn;
    } else {
      copyWords(vp, vBase + n * vs, vs);
    }
    n++;
  };

  const chain = (b: number): void => {
    for (let p = b; p !== 0 && !failed; p = ou32[(p + shape.overflow) >>> 2]!) {
      for (let i = 0; i < 8; i++) {
        if (ou8[p + i]! >= minTopHash) emit(p + shape.keys + i * ks, p + shape.values + i * vs);
      }
    }
  };

  if (oldbuckets !== 0) {
    const nold = 2 ** oldB;
    for (let j = 0; j < nold && !failed; j++) {
      const b = oldbuckets + j * shape.size;
      const t0 = ou8[b]!;
      if (t0 >= evacuatedX && t0 <= evacuatedEmpty) continue; // evacuated: its entries are in the new array
      chain(b);
    }
  }
  if (buckets !== 0) {
    const nb2 = 2 ** B;
    for (let j = 0; j < nb2 && !failed; j++) chain(buckets + j * shape.size);
  }
  flush();
  if (failed) return 0;
  const got = readHmap(nb, nh).count;
  if (got !== count) throw new Error(`compaction copied ${got} of ${count} entries (a bug: please report)`);
  return nh;
}

/** Options of `rt.compact()`, all optional. An unknown option, or a value
 *  of the wrong type, throws InvalidOptionError. */
export interface CompactOptions {
  /** A bound on the compaction's transient peak: the old instance's linear
   *  memory, which stays allocated during the copy, plus the new instance's
   *  (bytes, or a string like "512MiB"). Without it the new memory is capped
   *  by `maxMemory` alone, so the peak is at most twice `maxMemory`. A peak
   *  over the bound throws CompactionMemoryError and changes nothing. */
  maxPeakMemory?: number | bigint | string;
}

/** The limits of one compaction. */
export interface CompactionLimits {
  /** The runtime's cap on linear memory: it caps the new memory too. */
  readonly maxMemory: number;
  /** `CompactOptions.maxPeakMemory` in bytes, or undefined (no bound). */
  readonly maxPeakMemory: number | undefined;
}

/** Validate `rt.compact()`'s options; the peak bound in bytes, if any. */
export function resolveCompactOptions(options: unknown): number | undefined {
  if (options === undefined) return undefined;
  if (options === null || typeof options !== "object" || Array.isArray(options))
    throw new InvalidOptionError("options", "must be an object");
  const o = options as Record<string, unknown>;
  for (const key of Object.keys(o))
    if (key !== "maxPeakMemory") throw new InvalidOptionError(key, "unknown option; the known option is maxPeakMemory");
  return o.maxPeakMemory === undefined ? undefined : parseBytes("maxPeakMemory", o.maxPeakMemory);
}

/** Instantiate the core for a compaction. The engine's refusal to allocate
 *  the new memory (a RangeError) becomes CompactionMemoryError. */
export async function freshCore(
  module: WebAssembly.Module,
  maxPages: number,
  debug: boolean,
  ob: Boundary,
  limits: CompactionLimits,
): Promise<Boundary> {
  try {
    return await Boundary.instantiate(module, maxPages, debug);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    const oldBytes = ob.memory.buffer.byteLength;
    throw new CompactionMemoryError(
      oldBytes + 65536,
      oldBytes,
      limits.maxMemory,
      limits.maxPeakMemory,
      `but the engine could not allocate a new memory (${e.message})`,
    );
  }
}

/** Go's bucket count for a map made with hint = count (makemap's B:
 *  the smallest B with count ≤ 8 or count ≤ 6.5 · 2^B), plus the overflow
 *  buckets makeBucketArray preallocates from B = 4 on. */
function bucketsForHint(count: number): number {
  let B = 0;
  while (count > 8 && count > 13 * Math.floor(2 ** B / 2)) B++;
  return B === 0 ? (count > 0 ? 1 : 0) : 2 ** B + (B >= 4 ? 2 ** (B - 4) : 0);
}

/** What `rt.compact()` did. */
export interface CompactionReport {
  /** Maps moved (pooled maps are dropped instead: the pools are emptied). */
  maps: number;
  /** Entries copied, over every moved map. */
  entries: number;
  /** The old instance: linear memory, MemStats.HeapInuse and HeapSys, bytes. */
  before: { linearBytes: number; heapInuse: number; heapSys: number };
  /** The same of the new instance right after the copy. */
  after: { linearBytes: number; heapInuse: number; heapSys: number };
  /** Wall time of the copy, ms (instantiating the new core excluded). */
  copyMs: number;
}

/** A map to move, with its wrapper. */
export interface Move {
  h: number;
  root: number;
  key: KindName;
  value: KindName;
  map: GoMap;
}

/** What compaction needs from its runtime (src/runtime.ts). */
export interface CompactionHost extends CompactionLimits {
  /** Root-table slots to reserve in the new instance. */
  readonly rootsCapacity: number;
  /** Give every copy a fresh random hash seed (Runtime.restore's reseed). */
  readonly reseed?: boolean;
  /** Every map with a live wrapper, by root slot. */
  maps(): Iterable<[number, GoMap]>;
  readonly stats: CumulativeStats;
  /** The switch to the new instance (cannot fail): rebind roots, maps and
   *  hooks to `nb`; `moved` maps old hmap addresses to new ones. */
  switchTo(nb: Boundary, moved: Map<number, number>, moves: readonly Move[]): void;
}

/** The copy and the switch of `rt.compact()` (src/runtime.ts documents
 *  the contract): every live map of `ob` into the fresh, initialised-here
 *  instance `nb`, then the runtime switches. The new memory may grow to
 *  maxMemory (its own cap afterwards) whatever the old one holds, or to
 *  what maxPeakMemory leaves beside the old memory when that is less.
 *  Throws CompactionMemoryError (and changes nothing) when the new memory
 *  cannot have what the survivors need. */
export function compactInto(ob: Boundary, nb: Boundary, maxPages: number, host: CompactionHost): CompactionReport {
  const t0 = performance.now();
  const before = readMemStatsRecord(ob);
  const oldBytes = ob.memory.buffer.byteLength;
  const bound = host.maxPeakMemory;
  // Wasm pages the new memory may take.
  const room = bound === undefined ? maxPages : Math.max(0, Math.min(maxPages, Math.floor((bound - oldBytes) / 65536)));

  // Every live map with a wrapper (freed ones are garbage already), and a
  // lower bound on what they need in the new heap: their right-sized
  // bucket arrays (what makemap(hint = count) allocates).
  const moves: Move[] = [];
  let mapsNeed = 0;
  for (const [slot, m] of host.maps()) {
    if (m.freed) continue;
    const mv: Move = { h: mapHandle(m), root: slot, key: m.keyType, value: m.valueType, map: m };
    moves.push(mv);
    const size = ob.bucketLayout(coreSuffix(mv.key, mv.value)).size;
    const count = ob.readU32(mv.h + ob.hmap.count);
    if (size * count <= 0xffff0000) mapsNeed += size * bucketsForHint(count);
  }
  let need = mapsNeed; // new linear memory needed, at least (fixed areas added after init)

  /** The typed failure: `newBytes` is what the new memory had when it was
   *  refused more (one wasm page at least). */
  const fail = (newBytes: number): CompactionMemoryError => {
    const newNeed = Math.max(need, newBytes + 65536);
    // Which limit: the bound or maxMemory if the engine could have given
    // the new memory everything up to it (probed on the memory about to be
    // dropped), else the engine.
    let limited = newNeed > room * 65536;
    if (!limited && room * 65536 > nb.memory.buffer.byteLength) {
      try {
        nb.memory.grow(room - nb.memory.buffer.byteLength / 65536);
        limited = true;
      } catch {
        limited = false;
      }
    }
    const why = !limited
      ? "but the engine could not grow the new memory"
      : bound !== undefined && room < maxPages
        ? `over maxPeakMemory (${bound} bytes)`
        : `but maxMemory (${host.maxMemory} bytes) caps the new memory too`;
    return new CompactionMemoryError(oldBytes + newNeed, oldBytes, host.maxMemory, bound, why);
  };

  nb.setMemProfileRate(ob.profile.rate); // the heap profile's rate is a runtime setting: it carries over
  if (!nb.init(maxPages)) throw fail(nb.memory.buffer.byteLength);
  need += nb.memory.buffer.byteLength; // the core's fixed areas
  if (need > room * 65536) throw fail(nb.memory.buffer.byteLength);
  nb.exports.setGrowthPolicy(true, room);
  const seed = crypto.getRandomValues(new Uint32Array(2));
  nb.exports.seedRandom(seed[0]!, seed[1]!);
  const percent = ob.exports.setGCPercent(-1);
  ob.exports.setGCPercent(percent);
  nb.exports.setGCPercent(-1);
  if (!nb.rootsReserve(host.rootsCapacity)) throw fail(nb.memory.buffer.byteLength);

  // Pooled maps are not moved: compaction empties the pools (as a
  // collection's victim step would, twice) — their point is warm bucket
  // arrays, and compaction is about giving memory back.
  const moved = new Map<number, number>();
  let entries = 0;
  for (const mv of moves) {
    const nh = copyMap(ob, nb, {
      suffix: coreSuffix(mv.key, mv.value),
      key: mv.key,
      value: mv.value,
      h: mv.h,
      root: mv.root,
      hash0: host.reseed ? cryptoRandom32() : undefined,
    });
    if (nh === 0) throw fail(nb.memory.buffer.byteLength);
    moved.set(mv.h, nh);
    entries += ob.readU32(mv.h + ob.hmap.count);
  }

  // The switch: nothing below can fail.
  host.stats.leave(ob, before);
  for (const [h, hooks] of ob.events.hookEntries()) {
    const nh = moved.get(h);
    if (nh === undefined) continue;
    nb.events.setHooks(nh, hooks);
    nb.setHooked(nh, true);
  }
  host.switchTo(nb, moved, moves);
  nb.exports.setGrowthPolicy(false, 65536);
  nb.exports.setGCPercent(percent);
  const after = readMemStatsRecord(nb);
  return {
    maps: moves.length,
    entries,
    before: { linearBytes: oldBytes, heapInuse: before.HeapInuse!, heapSys: before.HeapSys! },
    after: { linearBytes: nb.memory.buffer.byteLength, heapInuse: after.HeapInuse!, heapSys: after.HeapSys! },
    copyMs: performance.now() - t0,
  };
}
