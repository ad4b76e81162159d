/**
 * The heap profile, host half: Go 1.19's runtime/mprof.go buckets and
 * profile cycles, and runtime/pprof/protomem.go's encoding, over the
 * samples the core reports (assembly/mem/mprof.ts).
 *
 * What arrives from the core, through the boundary:
 *   - alloc(address, size, site) when mallocgc samples an object (a
 *     Poisson process with mean `rate` bytes between samples; every object
 *     at rate 1). Here the public operation that is running (`currentOp`,
 *     named by the method itself) tops the stack, and the sample joins a
 *     bucket keyed, like Go's, by its stack and object size (and by the rate it was taken at, so each
 *     sample is unbiased with its own rate).
 *   - free(address) when the sweeper frees a sampled object.
 *   - the end of each mark termination (Go: mProf_NextCycle + mProf_Flush)
 *     and the end of rt.gc()'s full sweep (Go: mProf_PostSweep).
 *
 * Cycles, as in Go: mallocs are counted in cycle C+2, sweep frees in C+1;
 * mark termination advances C and publishes (adds to `active`) the cycle
 * that became current. So the published profile is the heap as of the last
 * completed collection: every object it shows was allocated before that
 * collection's mark and is not among what its sweep freed — allocations
 * since then are not shown yet, because they have had no chance to be
 * freed (Go's reason: otherwise a profile taken between collections shows
 * garbage as in use, and allocation-heavy code looks like a leak). rt.gc()
 * publishes at once when its sweep ends. `asOf: "now"` instead counts every
 * event so far (what MemStats.HeapAlloc counts: unswept garbage included).
 *
 * Sample values are Go's unsampled estimates (scaleHeapSample): a bucket
 * of n samples of size s taken at rate r stands for n / (1 − e^(−s/r))
 * objects; at rate 1 the counts are exact.
 */
import type { Profile as PprofProfile } from "pprof-format";
import type { Boundary, ProfileSink } from "./boundary.js";

/** One frame: a function name, and where it is when known. */
export interface ProfileFrame {
  name: string;
  file: string;
  line: number;
}

interface CycleCounts {
  allocs: number;
  frees: number;
}

interface Bucket {
  /** The public operation (GoMap.set …) that was running. */
  op: ProfileFrame;
  /** The core routine's frames, outermost first (from AllocSite's name). */
  site: readonly string[];
  /** Object size (size-class bytes). */
  size: number;
  /** The rate the samples were taken at. */
  rate: number;
  active: CycleCounts;
  future: [CycleCounts, CycleCounts, CycleCounts];
}

/** One bucket of a snapshot: sampled counts, not yet scaled. */
export interface ProfileRecord {
  frames: ProfileFrame[];
  size: number;
  rate: number;
  allocs: number;
  frees: number;
}

/** What a heap profile shows (`rt.heapProfile({ asOf })`): "gc", the heap
 *  as of the last completed collection (Go's); "now", every allocation and
 *  free so far. */
export type ProfileAsOf = "gc" | "now";

/**
 * The public operation running now, for heap-profile frames. The public
 * methods that can reach the allocator, except the hot single calls, name
 * themselves here before their core call — a literal, because bundlers'
 * minifiers rename classes and functions (a name read from the JS stack
 * would say `d.set`). m.set and m.delete are named by the core (EntryOp);
 * m.get and m.has allocate only for a key longer than the scratch area,
 * which labels itself where it copies the key.
 */
export const currentOp = { name: "(no public operation)" };

/** The core's EntryOp names (assembly/mem/mprof.ts) → the public
 *  operation: the single-call writes label themselves inside the core (a
 *  wasm global), because a label store in their host hot path costs more
 *  than the call (bench/maps: +40 % on a u32 delete). */
const ENTRY_OPS: Readonly<Record<string, string>> = { SET: "GoMap.set", DELETE: "GoMap.delete" };

/** Where public-operation frames say they are (the package, not a file:
 *  bundles rewrite file names and lines). */
const HOST_FILE = "gomap-wasm";

const zero = (): CycleCounts => ({ allocs: 0, frees: 0 });

const profiles = new WeakMap<Boundary, MemProfile>();

/** Make the heap profile of instance `b` and route its records to it
 *  (right after instantiating, before init: init's allocations are sampled
 *  too). */
export function attachProfile(b: Boundary): MemProfile {
  const ops = b.enumOf("EntryOp");
  for (const name of ops.keys()) {
    if (name !== "NONE" && !(name in ENTRY_OPS))
      throw new Error(`core's EntryOp.${name} has no public operation in src/profile.ts (ENTRY_OPS)`);
  }
  const p = new MemProfile(b.enumOf("AllocSite"), b.memProfileRateNow(), b.constant("MEMPROF_MAX_MEAN"), ops);
  b.profile = p;
  profiles.set(b, p);
  return p;
}

/** The heap profile of instance `b` (attachProfile made it). */
export function profileOf(b: Boundary): MemProfile {
  const p = profiles.get(b);
  if (!p) throw new Error("this instance has no heap profile attached");
  return p;
}

export class MemProfile implements ProfileSink {
  /** Site code → frames, outermost first. */
  readonly #sites: string[][] = [];
  /** The core's EntryOp code → the public operation it serves. */
  readonly #ops: string[] = [];
  readonly #buckets = new Map<string, Bucket>();
  /** Address → bucket, for sampled objects not freed yet. */
  readonly #live = new Map<number, Bucket>();
  #cycle = 0;
  /** The rate the core samples at now (mirrored by the boundary). */
  rate: number;
  /** The first error a profile callback hit (callbacks run inside the
   *  core and must not throw through it); profiling stops recording. */
  error: unknown = null;

  /** The largest mean gap the core draws (its MEMPROF_MAX_MEAN, Go's
   *  fastexprand cap): a larger rate samples as if it were this one. */
  readonly maxMean: number;

  /** `sites`: the core's AllocSite enum, name → code. */
  constructor(
    sites: ReadonlyMap<string, number>,
    rate: number,
    maxMean: number,
    ops: ReadonlyMap<string, number> = new Map(),
  ) {
    for (const [name, code] of sites) this.#sites[code] = name.split("_");
    for (const [name, code] of ops) if (name in ENTRY_OPS) this.#ops[code] = ENTRY_OPS[name]!;
    this.rate = rate;
    this.maxMean = maxMean;
  }

  /** Sampled objects not freed yet. */
  get liveSamples(): number {
    return this.#live.size;
  }

  /** The core sampled the object at p (Go: mProf_Malloc). */
  alloc(p: number, size: number, site: number, entry = 0): void {
    if (this.error) return;
    try {
      const op: ProfileFrame = { name: this.#ops[entry] ?? currentOp.name, file: HOST_FILE, line: 0 };
      const frames = this.#sites[site] ?? [`site${site}`];
      // The core caps the mean gap (Go's fastexprand): unbias with the mean
      // it really used.
      const rate = Math.min(this.rate, this.maxMean);
      const key = `${op.name}\0${op.file}\0${op.line}\0${site}\0${size}\0${rate}`;
      let b = this.#buckets.get(key);
      if (!b) {
        b = { op, site: frames, size, rate, active: zero(), future: [zero(), zero(), zero()] };
        this.#buckets.set(key, b);
      }
      b.future[(this.#cycle + 2) % 3]!.allocs++;
      this.#live.set(p, b);
    } catch (e) {
      this.error = e;
    }
  }

  /** The sweeper freed the sampled object at p (Go: mProf_Free). */
  free(p: number): void {
    if (this.error) return;
    const b = this.#live.get(p);
    if (!b) return;
    this.#live.delete(p);
    b.future[(this.#cycle + 1) % 3]!.frees++;
  }

  /** Mark termination (Go: mProf_NextCycle, then mProf_Flush). */
  nextCycle(): void {
    this.#cycle = (this.#cycle + 1) % 3;
    this.#flush(this.#cycle);
  }

  /** rt.gc() finished its sweep (Go: mProf_PostSweep): publish the heap
   *  as of that collection. */
  postSweep(): void {
    this.#flush((this.#cycle + 1) % 3);
  }

  #flush(i: number): void {
    for (const b of this.#buckets.values()) {
      const f = b.future[i]!;
      b.active.allocs += f.allocs;
      b.active.frees += f.frees;
      b.future[i] = zero();
    }
  }

  /** The buckets as of the last completed collection ("gc", Go's), or
   *  with every event so far ("now"). */
  snapshot(asOf: ProfileAsOf): ProfileRecord[] {
    const buckets = [...this.#buckets.values()];
    if (asOf === "gc" && buckets.every((b) => b.active.allocs === 0 && b.active.frees === 0)) {
      // Go's MemProfile: nothing published yet (no collection so far), so
      // publish everything rather than show an empty profile.
      for (let i = 0; i < 3; i++) this.#flush(i);
    }
    return buckets
      .map((b) => {
        let { allocs, frees } = b.active;
        if (asOf === "now") {
          for (const f of b.future) {
            allocs += f.allocs;
            frees += f.frees;
          }
        }
        const frames = [b.op, ...b.site.map((name) => ({ name, file: "", line: 0 }))];
        return { frames, size: b.size, rate: b.rate, allocs, frees };
      })
      .filter((r) => r.allocs > 0);
  }
}

/** Go's scaleHeapSample: the unsampled estimate of `count` samples
 *  totalling `bytes`, taken at `rate`. */
export function scaleHeapSample(count: number, bytes: number, rate: number): [number, number] {
  if (count === 0 || bytes === 0) return [0, 0];
  if (rate <= 1) return [count, bytes];
  const scale = 1 / (1 - Math.exp(-(bytes / count) / rate));
  return [Math.trunc(count * scale), Math.trunc(bytes * scale)];
}

/** Where core frames say they come from (the wasm core has no JS file). */
const CORE_FILE = "gomap-wasm core (wasm)";

/** A pprof profile.proto of the records, Go's heap-profile shape: sample
 *  types alloc_objects/count, alloc_space/bytes, inuse_objects/count,
 *  inuse_space/bytes; period type space/bytes; a `bytes` label per sample;
 *  stacks leaf first: mallocgc, the core routine(s), the public operation.
 *  Not compressed (see heapProfileBytes). */
export async function encodeHeapProfile(
  records: readonly ProfileRecord[],
  period: number,
  comments: readonly string[],
): Promise<Uint8Array> {
  const {
    Profile,
    StringTable,
    ValueType,
    Function: PFunction,
    Location,
    Line,
    Sample,
    Label,
  } = await import("pprof-format");
  const st = new StringTable();
  const s = (x: string) => st.dedup(x);
  const functions: InstanceType<typeof PFunction>[] = [];
  const locations: InstanceType<typeof Location>[] = [];
  const fnIds = new Map<string, number>();
  const locIds = new Map<string, number>();
  const locationOf = (f: ProfileFrame): number => {
    const file = f.file || CORE_FILE;
    const fkey = `${f.name}\0${file}`;
    let fid = fnIds.get(fkey);
    if (fid === undefined) {
      fid = functions.length + 1;
      fnIds.set(fkey, fid);
      functions.push(new PFunction({ id: fid, name: s(f.name), systemName: s(f.name), filename: s(file) }));
    }
    const lkey = `${fid}:${f.line}`;
    let lid = locIds.get(lkey);
    if (lid === undefined) {
      lid = locations.length + 1;
      locIds.set(lkey, lid);
      locations.push(new Location({ id: lid, line: [new Line({ functionId: fid, line: f.line })] }));
    }
    return lid;
  };
  const mallocgc: ProfileFrame = { name: "mallocgc", file: "", line: 0 };
  const samples = records.map((r) => {
    const [allocObjects, allocSpace] = scaleHeapSample(r.allocs, r.allocs * r.size, r.rate);
    const [inuseObjects, inuseSpace] = scaleHeapSample(r.allocs - r.frees, (r.allocs - r.frees) * r.size, r.rate);
    const leafFirst = [mallocgc, ...[...r.frames].reverse()];
    return new Sample({
      locationId: leafFirst.map(locationOf),
      value: [allocObjects, allocSpace, inuseObjects, inuseSpace],
      label: [new Label({ key: s("bytes"), num: r.size })],
    });
  });
  const vt = (type: string, unit: string) => new ValueType({ type: s(type), unit: s(unit) });
  const profile: PprofProfile = new Profile({
    sampleType: [
      vt("alloc_objects", "count"),
      vt("alloc_space", "bytes"),
      vt("inuse_objects", "count"),
      vt("inuse_space", "bytes"),
    ],
    sample: samples,
    location: locations,
    function: functions,
    stringTable: st,
    timeNanos: BigInt(Date.now()) * 1_000_000n,
    periodType: vt("space", "bytes"),
    period,
    comment: comments.map(s),
  });
  return profile.encode();
}

/** gzip with the platform: the Node entry installs node:zlib; elsewhere
 *  CompressionStream (every current browser, and Node too). */
export type Gzip = (data: Uint8Array) => Promise<Uint8Array<ArrayBuffer>>;

let platformGzip: Gzip | null = null;

export function setGzip(fn: Gzip): void {
  platformGzip = fn;
}

export function gzip(data: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  return (platformGzip ?? gzipWeb)(data);
}

/** gzip through CompressionStream (the browsers' way; Node has it too). */
export async function gzipWeb(data: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  const stream = new Blob([data as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Options of `rt.heapProfile()`. */
export interface HeapProfileOptions {
  /** Sampling rate (bytes) for allocations from now on, like
   *  rt.setMemProfileRate(rate); the samples already taken keep theirs. */
  rate?: number;
  /** "gc" (default, Go's): the heap as of the last completed collection;
   *  "now": every allocation and free so far (unswept garbage counts as in
   *  use, as in MemStats.HeapAlloc). */
  asOf?: ProfileAsOf;
}
