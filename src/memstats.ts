/**
 * `rt.readMemStats()`: Go's runtime.MemStats from the core's counters, with
 * the cumulative ones carried across compactions.
 *
 * A compaction (src/compact.ts) moves the maps into a fresh instance whose
 * counters start at zero. Go's cumulative fields (TotalAlloc, Mallocs,
 * Frees, NumGC, NumForcedGC, PauseTotalNs, the PauseNs/PauseEnd rings,
 * GC CPU time, MaxPauseNs, LastGC, BySize's Mallocs/Frees) must carry on,
 * so `CumulativeStats` keeps what the instances left behind had counted and
 * adds it to every reading. Identities keep holding: every object of a left
 * heap counts as freed, so Mallocs − Frees = HeapObjects of the live one.
 */
import type { Boundary, BySizeEntry } from "./boundary.js";
import { readBySize, readMemStatsRecord, readPauseRings } from "./records.js";

/** Go's runtime.MemStats (`rt.readMemStats()`), for the fields that exist
 *  so far. Byte counts are at size-class granularity, as in Go (a large
 *  object counts its whole pages). The cumulative counters (TotalAlloc,
 *  Mallocs, Frees, NumGC, NumForcedGC, PauseTotalNs, the pause rings) carry
 *  on across `rt.compact()`. */
export interface MemStats {
  /** Bytes of allocated heap objects, including unswept garbage:
   *  TotalAlloc minus the bytes the sweeper freed. */
  HeapAlloc: number;
  /** Cumulative bytes allocated for heap objects (never decreases). */
  TotalAlloc: number;
  /** All linear memory, bytes: HeapSys + MSpanSys + GCSys + OtherSys (Go:
   *  memory obtained from the OS). */
  Sys: number;
  /** Cumulative heap objects allocated. */
  Mallocs: number;
  /** Cumulative heap objects freed (by the sweeper; compaction counts
   *  every object of the old heap as freed). */
  Frees: number;
  /** Bytes of heap pages obtained: HeapInuse + HeapIdle. */
  HeapSys: number;
  /** Bytes in free page runs. */
  HeapIdle: number;
  /** Bytes in in-use spans (including their free slots). */
  HeapInuse: number;
  /** Always 0: WebAssembly memory cannot be given back to the host. */
  HeapReleased: number;
  /** Allocated heap objects: Mallocs − Frees (unswept garbage included). */
  HeapObjects: number;
  /** Bytes of span records (Go's mspan structures) in use: one per span,
   *  free page runs included. */
  MSpanInuse: number;
  /** Bytes of memory held for span records (Go: obtained from the OS for
   *  mspan structures); equals MSpanInuse here: the memory of freed
   *  records counts in OtherSys. */
  MSpanSys: number;
  /** Bytes of collector metadata: allocBits/gcmarkBits, type bytes, grey queue, the page map. */
  GCSys: number;
  /** Bytes of everything else in linear memory: static data, the host
   *  scratch area, free metadata. */
  OtherSys: number;
  /** The heap goal of the next cycle, bytes (0 with GOGC off): the
   *  collector aims to keep HeapAlloc at or below it. */
  NextGC: number;
  /** End of the last collection, ns since the Unix epoch (0 if none). */
  LastGC: number;
  /** Completed GC cycles. */
  NumGC: number;
  /** GC cycles forced by the program (`rt.gc()`, Go's runtime.GC());
   *  cycles started by `rt.gcStart()` are not counted. */
  NumForcedGC: number;
  /** Sum of every cycle's pauses (start + termination), ns. */
  PauseTotalNs: number;
  /** Ring of the last 256 cycles' pauses (start + termination), ns; the
   *  latest is at (NumGC+255)%256. */
  PauseNs: number[];
  /** Same ring: end of each cycle's last pause, ns since the Unix epoch. */
  PauseEnd: number[];
  /** GC time (every mark step, assists included) / wall time since the runtime was created. */
  GCCPUFraction: number;
  /** Always true, as in Go (even with GOGC off). */
  EnableGC: boolean;
  /** Always false (unused in Go too). */
  DebugGC: boolean;
  /** Ours: the longest single GC pause (one mark step) so far, ns. */
  MaxPauseNs: number;
  /** Per size class 0..60, like Go (class 0 is all zero; classes 61..67
   *  and large objects count only in the totals). */
  BySize: BySizeEntry[];
}

/** Unix ns from a host-clock reading in ns since performance.timeOrigin. */
export function unixNs(sinceOriginNs: number): number {
  return sinceOriginNs === 0 ? 0 : Math.round(performance.timeOrigin * 1e6 + sinceOriginNs);
}

/** What the instances a runtime left behind (compactions) had counted. */
export class CumulativeStats {
  /** Cumulative MemStats of instances left behind by compaction. */
  readonly base = {
    TotalAlloc: 0,
    Mallocs: 0,
    Frees: 0,
    NumGC: 0,
    NumForcedGC: 0,
    PauseTotalNs: 0,
    GCCPUNanos: 0,
    MaxPauseNs: 0,
    LastGC: 0,
  };
  #ringBase: { pauseNs: number[]; pauseEnd: number[] } | null = null;
  /** Per size class: Mallocs and Frees of instances left behind. */
  #bySizeBase: { Mallocs: number; Frees: number }[] = [];

  /** Go's runtime.ReadMemStats over instance `b`, for a runtime created at
   *  `createdMs` (performance.now()). */
  read(b: Boundary, createdMs: number): MemStats {
    const raw = readMemStatsRecord(b);
    const s = raw as unknown as MemStats;
    const base = this.base;
    const rings = readPauseRings(b);
    const n = raw.NumGC!; // this instance's cycles (before the base is added)
    s.PauseNs = this.#ringBase ? this.#mergedRing(rings.pauseNs, "pauseNs", n) : rings.pauseNs;
    s.PauseEnd = (this.#ringBase ? this.#mergedRing(rings.pauseEnd, "pauseEnd", n) : rings.pauseEnd).map(unixNs);
    s.LastGC = unixNs(raw.LastGC! || base.LastGC);
    s.TotalAlloc += base.TotalAlloc;
    s.Mallocs += base.Mallocs;
    s.Frees += base.Frees;
    s.NumGC += base.NumGC;
    s.NumForcedGC += base.NumForcedGC;
    s.PauseTotalNs += base.PauseTotalNs;
    s.MaxPauseNs = Math.max(s.MaxPauseNs, base.MaxPauseNs);
    raw.GCCPUNanos! += base.GCCPUNanos;
    const elapsedNs = Math.max(1, (performance.now() - createdMs) * 1e6);
    s.GCCPUFraction = raw.GCCPUNanos! / elapsedNs;
    delete (raw as Record<string, number>).GCCPUNanos;
    s.EnableGC = true;
    s.DebugGC = false;
    s.BySize = readBySize(b);
    this.#bySizeBase.forEach((x, i) => {
      const c = s.BySize[i];
      if (c) {
        c.Mallocs += x.Mallocs;
        c.Frees += x.Frees;
      }
    });
    return s;
  }

  /** What a snapshot carries (src/snapshot.ts): the counts of instances
   *  left behind, as plain JSON. */
  toJSON(): unknown {
    return { base: this.base, ringBase: this.#ringBase, bySizeBase: this.#bySizeBase };
  }

  /** Take the counts a snapshot carried (toJSON); false when `x` is not of
   *  that shape (nothing is changed then). */
  load(x: unknown): boolean {
    const o = x as { base?: unknown; ringBase?: unknown; bySizeBase?: unknown } | null;
    const num = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v) && v >= 0;
    if (typeof o !== "object" || o === null || typeof o.base !== "object" || o.base === null) return false;
    const base = o.base as Record<string, unknown>;
    if (!Object.keys(this.base).every((k) => num(base[k]))) return false;
    const ring = o.ringBase as { pauseNs?: unknown; pauseEnd?: unknown } | null;
    const ringOk = (a: unknown): a is number[] => Array.isArray(a) && a.length === 256 && a.every(num);
    if (ring !== null && (typeof ring !== "object" || !ringOk(ring.pauseNs) || !ringOk(ring.pauseEnd))) return false;
    const by = o.bySizeBase;
    if (!Array.isArray(by) || !by.every((e) => e && num(e.Mallocs) && num(e.Frees))) return false;
    for (const k of Object.keys(this.base) as (keyof typeof this.base)[]) this.base[k] = base[k] as number;
    this.#ringBase = ring
      ? { pauseNs: [...(ring.pauseNs as number[])], pauseEnd: [...(ring.pauseEnd as number[])] }
      : null;
    this.#bySizeBase = by.map((e: { Mallocs: number; Frees: number }) => ({ Mallocs: e.Mallocs, Frees: e.Frees }));
    return true;
  }

  /** The runtime is leaving instance `ob` (a compaction's switch); `before`
   *  is its raw reading (Boundary.readMemStats) taken before the copy. */
  leave(ob: Boundary, before: Record<string, number>): void {
    const rings = readPauseRings(ob);
    const base = this.base;
    this.#ringBase = {
      pauseNs: this.#mergedRing(rings.pauseNs, "pauseNs", before.NumGC!),
      pauseEnd: this.#mergedRing(rings.pauseEnd, "pauseEnd", before.NumGC!),
    };
    base.TotalAlloc += before.TotalAlloc!;
    base.Mallocs += before.Mallocs!;
    base.Frees += before.Mallocs!; // every object of the old heap counts as freed
    readBySize(ob).forEach((c: BySizeEntry, i) => {
      this.#bySizeBase[i] ??= { Mallocs: 0, Frees: 0 };
      const x = this.#bySizeBase[i];
      x.Mallocs += c.Mallocs;
      x.Frees += c.Mallocs; // every object of the old heap counts as freed
    });
    base.NumGC += before.NumGC!;
    base.NumForcedGC += before.NumForcedGC!;
    base.PauseTotalNs += before.PauseTotalNs!;
    base.GCCPUNanos += before.GCCPUNanos!;
    base.MaxPauseNs = Math.max(base.MaxPauseNs, before.MaxPauseNs!);
    if (before.LastGC! > 0) base.LastGC = before.LastGC!;
  }

  /** The pause ring as Go indexes it, across compactions: the old
   *  instance's entries, then this one's at NumGC-based positions. */
  #mergedRing(core: number[], which: "pauseNs" | "pauseEnd", n: number): number[] {
    const base = this.base.NumGC;
    const out = this.#ringBase ? [...this.#ringBase[which]] : new Array<number>(256).fill(0);
    for (let j = Math.max(0, n - 256); j < n; j++) out[(base + j) % 256] = core[j % 256]!;
    return out;
  }
}
