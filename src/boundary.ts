/**
 * The boundary: the only module that touches the core's `instance.exports`
 * and its `memory`.
 *
 * - Instantiates the core with an imported `WebAssembly.Memory` capped at the
 *   user's `maxMemory`, and the `abort`/`trace` imports.
 * - Turns an AssemblyScript `abort` into a `RuntimeAbortError` with file:line
 *   (and the structure dump the core traced just before), then swaps the
 *   exports for ones that throw `RuntimeDeadError`, so the runtime is dead
 *   for every later call.
 * - Guards every other way out of a core call: an exception unwinding
 *   through it (a trap — stack overflow, unreachable, out-of-bounds access —
 *   or an error thrown by the host's code inside an import) kills the
 *   runtime the same way with a `CoreTrapError` whose `cause` is the
 *   original exception, unless the call was a read (lookups, iteration
 *   steps: they write nothing in the core), which throws a non-fatal
 *   `CoreTrapError` and leaves the runtime usable. The map ops GoMap's hot
 *   paths call (access/assign/delete) stay raw exports: GoMap wraps those
 *   calls itself (one try/catch, no extra call per operation).
 * - Keeps typed-array views over memory and refreshes them after the core
 *   grew memory (growth detaches every old view: its length becomes 0).
 * - Reads the core's own field lists (exported enums like `MemStat.*`) so
 *   no layout or index is typed twice.
 *
 * We do not use `@assemblyscript/loader`: it has been deprecated upstream
 * since AssemblyScript 0.20, wraps every export in a JS function (a cost on
 * every call), and installs an `Object.hasOwn` polyfill. We need raw exports,
 * one memory we create ourselves, and our own error types.
 */
import { CoreTrapError, GomapError, RuntimeAbortError, RuntimeDeadError, SnapshotInProgressError } from "./errors.js";
import { KIND_NAMES } from "./maptypes.js";
import { HALF_SCRATCH } from "./batch.js";
import { EventQueue } from "./events.js";
import { readCycle } from "./records.js";
import type { instantiate as instantiateRelease } from "../build/release.js";
import type { instantiate as instantiateDebug } from "../build/debug.js";
import { DEBUG_ONLY_EXPORTS, RELEASE_EXPORTS } from "../build/core-exports.js";
import { COUNT_CONCURRENT, MAP_STATUS } from "./status.js";
import * as JS_LAYOUT from "./jsread.js";
import { SHAPES } from "./shapes.js";
import { CYCLE_FIELD_NAMES } from "./gctrace.js";
import { CONTROL_DEAD } from "./reader.js";

/** The release core's exports, typed by the build's own bindings
 *  (asc --bindings raw writes build/release.d.ts from assembly/index.ts). */
type ReleaseExports = Awaited<ReturnType<typeof instantiateRelease>>;
/** The debug core's, the same way (a superset: checkers and test hooks). */
type DebugExports = Awaited<ReturnType<typeof instantiateDebug>>;

/** The core's exports as the boundary uses them: the release build's,
 *  plus the debug build's own (present only in a debug runtime). Adding an
 *  export to the core needs no edit here. */
export type CoreExports = ReleaseExports & Partial<Omit<DebugExports, keyof ReleaseExports>>;

/** One map shape's exports (see assembly/map/api.ts), by suffix. */
export interface MapOps {
  makemap(hint: number, hash0: number, typ: number, root: number): number;
  access(h: number, key: number | bigint, len?: number): number;
  assign(h: number, key: number | bigint, len?: number): number;
  delete(h: number, key: number | bigint, len?: number): number;
  /** String/bytes-value shapes: set with the value's bytes at (vp, vl). */
  assignS?(h: number, ...args: (number | bigint)[]): number;
  assignSF?(h: number, key: number, vp: number, vl: number): number;
  clear(h: number): number;
  shrink(h: number): number;
  iternext(it: number, outK: number, outV: number, max: number): number;
  inspect(h: number, out: number): void;
  setMany(h: number, keys: number, vals: number, n: number): number;
  getMany(h: number, keys: number, outV: number, found: number, n: number): number;
  deleteMany(h: number, keys: number, n: number): number;
  /** unsafe.zeroValues: n = 0xffffffff zeroes every value slot. */
  zeroValues(h: number, keys: number, n: number): number;
  checkMap?(h: number): void;
  /** 64-bit-key shapes only: the key as a double (a safe integer). */
  accessF?(h: number, key: number): number;
  assignF?(h: number, key: number): number;
  deleteF?(h: number, key: number): number;
  /** String/bytes-key shapes only: a key longer than the scratch area,
   *  hashed by longHashBegin/longHashFeed; the value slot of its skip-th
   *  candidate (bytes at longCandidate()), 0 or SLOT_CONCURRENT. */
  accessLong?(h: number, n: number, skip: number): number;
}

const MAP_OPS: readonly (keyof MapOps)[] = [
  "makemap",
  "access",
  "assign",
  "delete",
  "clear",
  "shrink",
  "iternext",
  "inspect",
  "setMany",
  "getMany",
  "deleteMany",
  "zeroValues",
  "checkMap",
  "accessF",
  "assignF",
  "deleteF",
  "assignS",
  "assignSF",
  "accessLong",
];
const OPTIONAL_OPS = new Set<string>([
  "checkMap",
  "accessF",
  "assignF",
  "deleteF",
  "assignS",
  "assignSF",
  "accessLong",
]);
/** Map ops GoMap's hot paths call raw (GoMap catches around them). */
const RAW_OPS = new Set<string>([
  "access",
  "accessF",
  "assign",
  "assignF",
  "assignS",
  "assignSF",
  "delete",
  "deleteF",
  "accessLong",
]);
/** Map ops that only read (hmap, buckets; outputs go to the scratch area
 *  or the caller's hiter): a trap there leaves the core as it was. */
const READ_OPS = new Set<string>(["iternext", "getMany", "inspect"]);

/** An hmap's fields, read raw (src/records.ts: readHmap). */
export interface HmapState {
  count: number;
  flags: number;
  B: number;
  hash0: number;
  buckets: number;
  oldbuckets: number;
  nevacuate: number;
  /** typ's low half: key kind | value kind << 8. */
  kinds: number;
  /** typ's top byte: the map's generation (grows, evacuations, clears, shrinks). */
  gen: number;
  sameSizeGrow: boolean;
  /** log2 of the old array's bucket count while growing (B − 1, or B for a
   *  same-size grow). */
  oldB: number;
}

/** The core's tophash sentinels (Go's values, read from the core); a live
 *  slot's byte is at least minTopHash. */
export interface TophashValues {
  /** 0: the slot is empty, and so is every later slot of its bucket and
   *  overflow chain (lookups stop here). */
  emptyRest: number;
  /** 1: the slot is empty. */
  emptyOne: number;
  /** 2 (old array only): the entry was evacuated to the first half of the
   *  new array (same bucket index). */
  evacuatedX: number;
  /** 3 (old array only): the entry was evacuated to the second half of the
   *  new array (bucket index + old bucket count). */
  evacuatedY: number;
  /** 4 (old array only): the slot was empty and its bucket is evacuated. */
  evacuatedEmpty: number;
  /** 5: the smallest tophash of a live slot (a hash whose top byte is below
   *  it gets minTopHash added). */
  minTopHash: number;
}

/** A bucket shape: tophash[8] at 0, then keys, values, overflow pointer. */
export interface BucketLayout {
  /** Bytes per bucket. */
  size: number;
  /** Byte offset of the 8 tophash bytes (always 0). */
  tophash: number;
  /** Byte offset of the 8 keys (key i at keys + i × key size). */
  keys: number;
  /** Byte offset of the 8 values (value i at values + i × value size). */
  values: number;
  /** Byte offset of the overflow pointer (u32: the next bucket of the
   *  chain, 0 at its end). */
  overflow: number;
}

/** Byte offsets of hmap fields, read from the core (never typed here). */
export interface HmapLayout {
  size: number;
  count: number;
  flags: number;
  B: number;
  noverflow: number;
  hash0: number;
  buckets: number;
  oldbuckets: number;
  nevacuate: number;
  extra: number;
  typ: number;
}

/** The heap profiler's side of the boundary (src/profile.ts's MemProfile):
 *  host bookkeeping, called at once from inside core calls — no user code
 *  runs there (src/events.ts says why these are not queued). */
export interface ProfileSink {
  /** The rate the core samples at now (mirrored by setMemProfileRate). */
  rate: number;
  /** mallocgc sampled the object at p (Go: mProf_Malloc); `op` is the
   *  core's EntryOp for the single-call operation it serves (0: none). */
  alloc(p: number, size: number, site: number, op: number): void;
  /** The sweeper freed a sampled object (Go: mProf_Free). */
  free(p: number): void;
  /** Mark termination (Go: mProf_NextCycle + mProf_Flush). */
  nextCycle(): void;
  /** rt.gc()'s sweep ended (Go: mProf_PostSweep). */
  postSweep(): void;
}

const NO_PROFILE: ProfileSink = { rate: 0, alloc() {}, free() {}, nextCycle() {}, postSweep() {} };

/** Read an exported enum (`Prefix.Name` globals) into a name → value map. */
function exportedEnum(exports: WebAssembly.Exports, prefix: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const [name, value] of Object.entries(exports)) {
    if (name.startsWith(prefix + ".") && value instanceof WebAssembly.Global) {
      out.set(name.slice(prefix.length + 1), Number(value.value));
    }
  }
  return out;
}

function exportedConst(exports: WebAssembly.Exports, name: string): number {
  const g = exports[name];
  if (!(g instanceof WebAssembly.Global)) throw new Error(`core is missing the exported constant ${name}`);
  return Number(g.value);
}

/** One entry of Go's MemStats.BySize: the allocation counts of one size
 *  class (`rt.readMemStats().BySize`). */
export interface BySizeEntry {
  /** The largest object size of the class, bytes (0 for class 0). */
  Size: number;
  /** Cumulative objects allocated in this class: counted when their span
   *  leaves the mcache, plus those already taken from the cached span. */
  Mallocs: number;
  /** Cumulative objects of this class freed by the sweeper. */
  Frees: number;
}

/** In-use spans of one span class, summed (`rt.spanClasses()`). */
export interface SpanClassRow {
  /** sizeClass × 2 + (noscan ? 1 : 0), 0..135. */
  spanClass: number;
  /** The size class, 0..67; 0 is large objects (over 32 KiB), one per span. */
  sizeClass: number;
  /** Objects of these spans hold no pointers (the collector does not scan them). */
  noscan: boolean;
  /** Bytes per object slot: the class size (0 for size class 0). */
  elemSize: number;
  /** In-use spans of this class. */
  spans: number;
  /** 8 KiB pages those spans cover. */
  pages: number;
  /** Object slots in those spans. */
  slots: number;
  /** Slots allocated (including unswept garbage). */
  allocated: number;
  /** One of the spans is the mcache's current span for this class. */
  cached: boolean;
}

const TRACE_KEEP = 64;

/** `Boundary.escaped` while a streamed snapshot is written (freeze). */
export const FROZEN: unique symbol = Symbol("gomap-wasm: snapshot in progress");

/** Prefix of the exports that are the core's mutable globals. */
const STATE_PREFIX = "state:";

export class Boundary {
  /** The exports as the host calls them: each function guarded (an
   *  exception through it kills the runtime); after death, the dead ones. */
  #ex: CoreExports;
  /** The instance's own exports (map ops are taken from here, constants read). */
  #raw: WebAssembly.Exports;
  readonly memory: WebAssembly.Memory;
  readonly debug: boolean;
  /** A shared memory (Runtime.create({ shared: true })): readers in other
   *  threads look maps up; the core bumps a map's sequence words (its map word,
   *  its chains' group words) around
   *  its writes (assembly/map/seqlock.ts). Growth does not detach the old
   *  views of a shared memory, so they are dropped when the core grew it
   *  (the `now` import follows every memory.grow: staleViews). */
  readonly shared: boolean;
  /** A shared runtime's control word (an Int32Array index; -1 when not
   *  shared): #die marks it, so readers in other threads stop. */
  #control = -1;
  #dead: RuntimeAbortError | CoreTrapError | null = null;
  /** A death under way (#die started): its reason, set before anything
   *  else changes, so a death the stack interrupted is finished with its
   *  own reason, never a second one. */
  #dying: RuntimeAbortError | CoreTrapError | null = null;
  #trace: string[] = [];
  #buf: ArrayBuffer;
  #u8: Uint8Array;
  #dv: DataView;
  readonly scratchBase: number;
  readonly scratchBytes: number;
  /** Bytes of a heap page (the core's PAGE_BYTES: Go's 8 KiB). */
  readonly pageBytes: number;
  readonly memStatFields: readonly (readonly [string, number])[];
  readonly memStatCount: number;
  readonly bySizeEntries: number;
  readonly spanClasses: number;
  readonly spanClassRowBytes: number;
  readonly hmap: HmapLayout;
  readonly hiterBytes: number;
  /** The tophash sentinels, from the core's TOPHASH enum. */
  readonly tophash: TophashValues;
  /** hmap.flags's sameSizeGrow bit (the core's FLAG_SAME_SIZE_GROW). */
  readonly sameSizeFlag: number;
  /** The core's kind codes (Kind.I32 …), by upper-case name. */
  readonly kindCodes: ReadonlyMap<string, number>;
  readonly mapInfoFields: readonly (readonly [string, number])[];
  readonly mapInfoCount: number;
  /** The heap profile's buckets (src/profile.ts), fed by the core. */
  #ops = new Map<string, MapOps>();
  #i32!: Int32Array;
  #u32!: Uint32Array;
  #f64!: Float64Array;
  #i64!: BigInt64Array;
  #u64!: BigUint64Array;

  private constructor(
    instance: WebAssembly.Instance,
    memory: WebAssembly.Memory,
    debug: boolean,
    holder: { b?: Boundary },
    shared: boolean,
  ) {
    holder.b = this;
    const raw = instance.exports;
    const missing = [...RELEASE_EXPORTS, ...(debug ? DEBUG_ONLY_EXPORTS : [])].filter((name) => !(name in raw));
    if (missing.length > 0) {
      throw new Error(
        `core is missing the export${missing.length > 1 ? "s" : ""} ${missing.slice(0, 8).join(", ")}${missing.length > 8 ? ", …" : ""}; rebuild with npm run build`,
      );
    }
    this.#raw = raw;
    this.#ex = guardExports(this, raw);
    this.memory = memory;
    this.debug = debug;
    this.shared = shared;
    if (shared) this.#control = (this.#ex.controlWord() >>> 0) >>> 2;
    this.#buf = memory.buffer as ArrayBuffer;
    this.#u8 = new Uint8Array(this.#buf);
    this.#dv = new DataView(this.#buf);
    this.#refresh();
    this.hmap = {
      size: exportedConst(raw, "HMAP_BYTES"),
      count: exportedConst(raw, "HMAP_count"),
      flags: exportedConst(raw, "HMAP_flags"),
      B: exportedConst(raw, "HMAP_B"),
      noverflow: exportedConst(raw, "HMAP_noverflow"),
      hash0: exportedConst(raw, "HMAP_hash0"),
      buckets: exportedConst(raw, "HMAP_buckets"),
      oldbuckets: exportedConst(raw, "HMAP_oldbuckets"),
      nevacuate: exportedConst(raw, "HMAP_nevacuate"),
      extra: exportedConst(raw, "HMAP_extra"),
      typ: exportedConst(raw, "HMAP_typ"),
    };
    this.hiterBytes = exportedConst(raw, "HITER_BYTES");
    const t = exportedEnum(raw, "TOPHASH");
    this.tophash = {
      emptyRest: t.get("EMPTY_REST")!,
      emptyOne: t.get("EMPTY_ONE")!,
      evacuatedX: t.get("EVACUATED_X")!,
      evacuatedY: t.get("EVACUATED_Y")!,
      evacuatedEmpty: t.get("EVACUATED_EMPTY")!,
      minTopHash: t.get("MIN_TOPHASH")!,
    };
    {
      // Compaction and the inspections read "evacuated" as one range.
      const h = this.tophash;
      if (
        !(
          h.evacuatedX < h.evacuatedY &&
          h.evacuatedY < h.evacuatedEmpty &&
          h.evacuatedEmpty < h.minTopHash &&
          h.evacuatedEmpty - h.evacuatedX === 2
        )
      ) {
        throw new Error(
          `core's tophash sentinels ${JSON.stringify(h)} are not the ordered evacuated range the host reads; rebuild with npm run build`,
        );
      }
    }
    this.sameSizeFlag = exportedConst(raw, "FLAG_SAME_SIZE_GROW");
    this.kindCodes = exportedEnum(raw, "Kind");
    for (const k of KIND_NAMES) {
      if (!this.kindCodes.has(k.toUpperCase()))
        throw new Error(`core does not export Kind.${k.toUpperCase()}; rebuild with npm run build`);
    }
    for (const sfx of SHAPES) {
      if (!(`BUCKET_${sfx}_size` in raw) || !(`makemap_${sfx}` in raw)) {
        throw new Error(
          `core does not export the map shape ${sfx} that src/shapes.ts lists; rebuild with npm run build`,
        );
      }
    }
    const coreShapes = Object.keys(raw).filter((n) => /^BUCKET_.*_size$/.test(n)).length;
    if (coreShapes !== SHAPES.length)
      throw new Error(
        `core exports ${coreShapes} map shapes, src/shapes.ts lists ${SHAPES.length}; rebuild with npm run build`,
      );
    const cycle = exportedEnum(raw, "CycleField");
    const cycleCount = cycle.get("COUNT");
    cycle.delete("COUNT");
    this.cycleFields = [...cycle.entries()].sort((a, b) => a[1] - b[1]);
    const want = Object.keys(CYCLE_FIELD_NAMES).sort().join();
    if (cycleCount !== cycle.size || [...cycle.keys()].sort().join() !== want) {
      throw new Error(
        `core's CycleField (${[...cycle.keys()].join()}; COUNT ${cycleCount}) is not the gctrace record the host reads (${want}); rebuild with npm run build`,
      );
    }
    this.typGenShift = exportedConst(raw, "TYP_GEN_SHIFT");
    const types = exportedEnum(raw, "ObjType");
    this.#objNoscan = types.get("NOSCAN")!;
    this.#objPtrArray = types.get("PTRARRAY")!;
    const status = exportedEnum(raw, "MapStatus");
    for (const [name, value] of Object.entries(MAP_STATUS)) {
      const core = status.get(name);
      if (core === undefined || core >>> 0 !== value) {
        throw new Error(
          `core's MapStatus.${name} is ${core}, the host's (src/status.ts) is ${value}; rebuild with npm run build`,
        );
      }
    }
    if (status.size !== Object.keys(MAP_STATUS).length)
      throw new Error("core's MapStatus has codes the host does not know (src/status.ts)");
    // The JS read path's layout numbers (src/jsread.ts), written there as
    // constants so its hot loop loads none of them.
    const jsread: [string, number, number][] = [
      ["HMAP_count", JS_LAYOUT.HMAP_COUNT, exportedConst(raw, "HMAP_count")],
      ["HMAP_flags", JS_LAYOUT.HMAP_FLAGS, exportedConst(raw, "HMAP_flags")],
      ["HMAP_B", JS_LAYOUT.HMAP_B, exportedConst(raw, "HMAP_B")],
      ["HMAP_hash0", JS_LAYOUT.HMAP_HASH0, exportedConst(raw, "HMAP_hash0")],
      ["HMAP_buckets", JS_LAYOUT.HMAP_BUCKETS, exportedConst(raw, "HMAP_buckets")],
      ["HMAP_oldbuckets", JS_LAYOUT.HMAP_OLDBUCKETS, exportedConst(raw, "HMAP_oldbuckets")],
      ["FLAG_HASH_WRITING", JS_LAYOUT.FLAG_HASH_WRITING, exportedConst(raw, "FLAG_HASH_WRITING")],
      ["FLAG_SAME_SIZE_GROW", JS_LAYOUT.FLAG_SAME_SIZE_GROW, exportedConst(raw, "FLAG_SAME_SIZE_GROW")],
      ["TOPHASH.EMPTY_REST", JS_LAYOUT.EMPTY_REST, t.get("EMPTY_REST")!],
      ["TOPHASH.EVACUATED_X", JS_LAYOUT.EVACUATED_X, t.get("EVACUATED_X")!],
      ["TOPHASH.EVACUATED_EMPTY", JS_LAYOUT.EVACUATED_EMPTY, t.get("EVACUATED_EMPTY")!],
      ["TOPHASH.MIN_TOPHASH", JS_LAYOUT.MIN_TOPHASH, t.get("MIN_TOPHASH")!],
      ["TOPHASH_BYTES", JS_LAYOUT.KEYS_OFFSET, exportedConst(raw, "TOPHASH_BYTES")],
    ];
    for (const [name, host, core] of jsread) {
      if (host !== core) {
        throw new Error(
          `core's ${name} is ${core}, the host's JS read path (src/jsread.ts) has ${host}; rebuild with npm run build`,
        );
      }
    }
    const info = exportedEnum(raw, "MapInfo");
    this.mapInfoCount = info.get("COUNT")!;
    info.delete("COUNT");
    this.mapInfoFields = [...info.entries()].sort((a, b) => a[1] - b[1]);
    this.scratchBytes = exportedConst(raw, "SCRATCH_BYTES");
    this.pageBytes = exportedConst(raw, "PAGE_BYTES");
    if (this.scratchBytes !== 2 * HALF_SCRATCH) {
      throw new Error(
        `core's SCRATCH_BYTES is ${this.scratchBytes}, the host's batch format (src/batch.ts) expects ${2 * HALF_SCRATCH}; rebuild with npm run build`,
      );
    }
    this.bySizeEntries = exportedConst(raw, "BYSIZE_ENTRIES");
    this.spanClasses = exportedConst(raw, "SPAN_CLASSES");
    this.spanClassRowBytes = exportedConst(raw, "SPAN_CLASS_ROW_BYTES");
    const fields = exportedEnum(raw, "MemStat");
    const count = fields.get("COUNT");
    if (count === undefined) throw new Error("core does not export MemStat.COUNT");
    fields.delete("COUNT");
    this.memStatFields = [...fields.entries()].sort((a, b) => a[1] - b[1]);
    this.memStatCount = count;
    this.scratchBase = 0; // set after init
    if (typeof this.#ex.setMemProfileRate !== "function")
      throw new Error("core is missing the export setMemProfileRate; rebuild with npm run build");
  }

  /** Where the heap profiler's records go (src/profile.ts attaches its
   *  MemProfile right after instantiating; until then they are dropped). */
  profile: ProfileSink = NO_PROFILE;

  /** Instantiate a compiled core module with a memory capped at
   *  `maxWasmPages`. Returns the boundary and the core's init result. */
  static async instantiate(
    module: WebAssembly.Module,
    maxWasmPages: number,
    debug: boolean,
    initialWasmPages = 1,
    shared = false,
  ): Promise<Boundary> {
    const { memory, holder, imports } = Boundary.#imports(maxWasmPages, initialWasmPages, shared);
    const instance = await WebAssembly.instantiate(module, imports);
    return Boundary.#make(instance, memory, debug, holder, shared);
  }

  static #make(
    instance: WebAssembly.Instance,
    memory: WebAssembly.Memory,
    debug: boolean,
    holder: { b?: Boundary },
    shared: boolean,
  ): Boundary {
    const b = new Boundary(instance, memory, debug, holder, shared);
    if (shared) b.#ex.setShared(true);
    return b;
  }

  /** The same, synchronously (a compiled core of ~150 KB instantiates in
   *  well under a millisecond; engines allow it on every thread). */
  static instantiateSync(
    module: WebAssembly.Module,
    maxWasmPages: number,
    debug: boolean,
    initialWasmPages = 1,
    shared = false,
  ): Boundary {
    const { memory, holder, imports } = Boundary.#imports(maxWasmPages, initialWasmPages, shared);
    const instance = new WebAssembly.Instance(module, imports);
    return Boundary.#make(instance, memory, debug, holder, shared);
  }

  static #imports(
    maxWasmPages: number,
    initialWasmPages: number,
    shared: boolean,
  ): { memory: WebAssembly.Memory; holder: { b?: Boundary }; imports: WebAssembly.Imports } {
    const memory = new WebAssembly.Memory({ initial: initialWasmPages, maximum: maxWasmPages, shared });
    const holder: { b?: Boundary } = {};
    const imports = {
      env: {
        memory,
        // The core calls it right after every memory.grow (mem/mheap.ts:
        // timedGrow): a shared memory's old views keep their old length.
        now: shared
          ? (): number => {
              holder.b?.staleViews();
              return performance.now();
            }
          : (): number => performance.now(),
        // Notifications that reach user code are queued (src/events.ts).
        // The host's code inside a core call: an exception there unwinds
        // through the core and may leave it half-way, so it kills the
        // runtime (Boundary.trapped) before it goes on unwinding.
        mapHook(h: number, op: number, key: bigint): void {
          try {
            holder.b!.events.hook(h >>> 0, op, key);
          } catch (e) {
            throw holder.b!.trapped(e, "a write hook's report", true);
          }
        },
        gcDone(): void {
          const b = holder.b!;
          try {
            b.profile.nextCycle();
            b.events.gcDone(readCycle(b), performance.now());
          } catch (e) {
            throw b.trapped(e, "the end of a collection", true);
          }
        },
        gcStart(): void {
          try {
            holder.b!.onGCStart?.();
          } catch (e) {
            throw holder.b!.trapped(e, "the start of a collection", true);
          }
        },
        memProfAlloc(p: number, size: number, site: number, op: number): void {
          try {
            holder.b!.profile.alloc(p >>> 0, size >>> 0, site, op);
          } catch (e) {
            throw holder.b!.trapped(e, "a heap-profile sample", true);
          }
        },
        memProfFree(p: number): void {
          try {
            holder.b!.profile.free(p >>> 0);
          } catch (e) {
            throw holder.b!.trapped(e, "a heap-profile free", true);
          }
        },
        abort(msg: number, file: number, line: number, column: number): never {
          throw holder.b!.onAbort(msg, file, line, column);
        },
        trace(msg: number, n: number, a0: number, a1: number, a2: number, a3: number, a4: number): void {
          try {
            holder.b!.onTrace(msg, n, [a0, a1, a2, a3, a4]);
          } catch (e) {
            throw holder.b!.trapped(e, "a core trace line", true);
          }
        },
      },
    };
    return { memory, holder, imports };
  }

  /** Run the core's init. Returns false when maxMemory is too small. */
  init(maxWasmPages: number): boolean {
    const ok = this.#ex.init(maxWasmPages) === 0;
    if (ok) (this as { scratchBase: number }).scratchBase = this.#ex.scratch() >>> 0;
    return ok;
  }

  /** A restored image's state is in place (src/snapshot.ts): take the
   *  scratch area's address from it, as init does. */
  adoptImage(): void {
    (this as { scratchBase: number }).scratchBase = this.#ex.scratch() >>> 0;
  }

  /** The core's mutable globals ("state:" exports, made by the build's
   *  scripts/state-globals.mjs), by name without the prefix, in export
   *  order: what a snapshot carries besides memory. */
  stateGlobals(): [string, WebAssembly.Global][] {
    const out: [string, WebAssembly.Global][] = [];
    for (const [name, v] of Object.entries(this.#raw)) {
      if (name.startsWith(STATE_PREFIX) && v instanceof WebAssembly.Global)
        out.push([name.slice(STATE_PREFIX.length), v]);
    }
    return out;
  }

  /** One of the core's mutable globals by name (stateGlobals). */
  stateGlobal(name: string): WebAssembly.Global {
    const g = this.#raw[STATE_PREFIX + name];
    if (!(g instanceof WebAssembly.Global)) throw new Error(`core has no global ${name}`);
    return g;
  }

  minMemoryBytes(maxWasmPages: number): number {
    return this.#ex.minMemoryBytes(maxWasmPages) >>> 0;
  }

  // ---------------------------------------------------------------- hooks

  /** The core's notifications for user code, queued until the call that
   *  produced them returned (src/events.ts): gctrace lines and map hooks.
   *  The event queue owns the hooks registry. */
  readonly events = new EventQueue((record, endMs) => this.onGCDone?.(record, endMs));

  /** Set or clear hmap h's hooked flag (the core then reports its writes). */
  setHooked(h: number, on: boolean): void {
    this.#ex.mapSetHooked(h, on);
  }

  /** Base of the heap object holding address p, or 0. */
  objectBase(p: number): number {
    return this.#ex.objectBase(p) >>> 0;
  }

  /** Goes up every time a sweep starts (once per collection). */
  heapEpoch(): number {
    return this.#ex.heapEpoch() >>> 0;
  }

  /** Exported constants and enums of the core, by name (unsafe.layout). */
  constant(name: string): number {
    return exportedConst(this.#raw, name);
  }
  enumOf(prefix: string): Map<string, number> {
    return exportedEnum(this.#raw, prefix);
  }

  /** Called by the core when a cycle starts, before marking and before the
   *  write barrier is on (Go's clearpools point; set by the Runtime). May
   *  only clear root slots. */
  onGCStart: (() => void) | null = null;

  /** A collection finished (set by the Runtime): its gctrace inputs and
   *  end time; delivered after the core call that ended it returned. */
  onGCDone: ((record: Record<string, number>, endMs: number) => void) | null = null;

  /** What killed the runtime (an abort or a fatal trap), or null. */
  get dead(): RuntimeAbortError | CoreTrapError | null {
    return this.#dead;
  }

  /** The error to throw for exception `e`, which unwound through a core
   *  call made for `operation` (or through the host's code around one).
   *  A dead runtime: `e` if it is ours, else RuntimeDeadError. A read
   *  (`fatal` false): `e` if ours, else a non-fatal CoreTrapError — the
   *  core wrote nothing. Otherwise the core may be half-way: the runtime
   *  dies, and the fatal CoreTrapError (cause: `e`) is returned. */
  trapped(e: unknown, operation: string, fatal: boolean): unknown {
    if (this.#dead) return e instanceof GomapError ? e : new RuntimeDeadError(this.#dead);
    if (this.#dying) {
      // A death the stack interrupted (the maps may already answer
      // RuntimeDeadError with its reason): finish it, with that reason.
      const reason = this.#dying;
      this.#die(reason);
      return e instanceof GomapError ? e : new RuntimeDeadError(reason);
    }
    if (!fatal) return e instanceof GomapError ? e : new CoreTrapError(operation, e, false);
    const err = new CoreTrapError(operation, e, true);
    this.#die(err);
    return err;
  }

  /** The runtime died (set by the Runtime): its maps stop answering too —
   *  their ASCII-string lookups run in JS (src/jsread.ts) and call no
   *  export that death could replace. */
  onDeath: ((reason: RuntimeAbortError | CoreTrapError) => void) | null = null;

  /** An exception caught around a write, stored by the catch before it
   *  calls anything: at the stack's limit the catch itself may have no
   *  room left to call trapped(), and the exception then goes on
   *  unwinding raw. The next guarded call (or a map found with its write
   *  flag still set: halfWay) kills the runtime with it as the cause. */
  escaped: unknown = undefined;

  /** A streamed snapshot is being written (src/snapshot.ts): `escaped`
   *  holds FROZEN, so every path that checks it for a write refuses with
   *  SnapshotInProgressError (the hot paths pay nothing more: they test
   *  `escaped` already), while map lookups go on. Returns false when the
   *  runtime cannot be frozen (an escaped exception is pending). */
  freeze(): boolean {
    if (this.escaped !== undefined) return false;
    this.escaped = FROZEN;
    return true;
  }

  /** The streamed snapshot ended: writes are allowed again (unless an
   *  exception escaped meanwhile: that one stays, for the next call). */
  thaw(): void {
    if (this.escaped === FROZEN) this.escaped = undefined;
  }

  /** Is a streamed snapshot being written? */
  get frozen(): boolean {
    return this.escaped === FROZEN;
  }

  /** A map was found with its write flag (hashWriting) set. No user code
   *  runs inside a core call, so only an interrupted write leaves it so:
   *  the runtime dies (cause: the exception that interrupted it, when the
   *  host saw it). Returns the error to throw. */
  halfWay(operation: string): Error {
    const cause =
      this.escaped ??
      new Error(`${operation} found the map's write flag set: an earlier write was interrupted inside the core`);
    return this.trapped(cause, `an earlier write (found by ${operation})`, true) as Error;
  }

  /** Every later call into the core throws RuntimeDeadError(reason). */
  #die(why: RuntimeAbortError | CoreTrapError): void {
    // The reason first (a death already under way keeps its own), `dead`
    // last: if the stack runs out in here, the runtime is not yet marked
    // and the next guarded call (escaped, trapped) finishes the death,
    // whole, with the same reason.
    const reason = this.#dying ?? why;
    this.#dying = reason;
    // Readers in other threads (a shared runtime) throw from now on: the
    // core may have died inside a write with a sequence word left odd, which
    // no one would ever close (docs/shared.md).
    if (this.#control >= 0) Atomics.store(new Int32Array(this.memory.buffer), this.#control, CONTROL_DEAD);
    for (const ops of this.#ops.values()) killOps(ops, reason);
    this.onDeath?.(reason);
    this.#ex = deadExports(reason);
    this.#dead = reason;
  }

  /** The core's exports, typed by its bindings: callers use them directly
   *  where the boundary would add nothing (after an abort they are the
   *  dead exports, which throw RuntimeDeadError). */
  get exports(): CoreExports {
    return this.#ex;
  }

  // ---------------------------------------------------------------- views

  /** Bytes of memory, refreshed if the core grew memory since last time. */
  get u8(): Uint8Array {
    if (this.#u8.length === 0) this.#refresh();
    return this.#u8;
  }

  get dv(): DataView {
    if (this.#u8.length === 0) this.#refresh();
    return this.#dv;
  }

  /** Drop the views if memory grew (a shared memory's old views are not
   *  detached by growth): the next view getter makes new ones. */
  staleViews(): void {
    if (this.#u8.length !== this.memory.buffer.byteLength) this.#u8 = new Uint8Array(0);
  }

  #refresh(): void {
    const buf = this.memory.buffer as ArrayBuffer;
    this.#buf = buf;
    this.#u8 = new Uint8Array(buf);
    this.#dv = new DataView(buf);
    this.#i32 = new Int32Array(buf);
    this.#u32 = new Uint32Array(buf);
    this.#f64 = new Float64Array(buf);
    this.#i64 = new BigInt64Array(buf);
    this.#u64 = new BigUint64Array(buf);
  }

  get i32(): Int32Array {
    if (this.#u8.length === 0) this.#refresh();
    return this.#i32;
  }
  get u32(): Uint32Array {
    if (this.#u8.length === 0) this.#refresh();
    return this.#u32;
  }
  get f64(): Float64Array {
    if (this.#u8.length === 0) this.#refresh();
    return this.#f64;
  }
  get i64(): BigInt64Array {
    if (this.#u8.length === 0) this.#refresh();
    return this.#i64;
  }
  get u64(): BigUint64Array {
    if (this.#u8.length === 0) this.#refresh();
    return this.#u64;
  }

  /** The exports of one map shape (suffix like "k64_v64"). After an abort
   *  every function throws RuntimeDeadError. */
  mapOps(suffix: string): MapOps {
    let ops = this.#ops.get(suffix);
    if (!ops) {
      const ex = this.#raw as unknown as Record<string, (...a: unknown[]) => unknown>;
      const o: Record<string, unknown> = {};
      for (const name of MAP_OPS) {
        const f = ex[`${name}_${suffix}`];
        if (typeof f !== "function") {
          if (!OPTIONAL_OPS.has(name)) throw new Error(`core is missing ${name}_${suffix}`);
          continue;
        }
        o[name] = RAW_OPS.has(name) ? f : guard(this, `${name}_${suffix}`, f, !READ_OPS.has(name));
        if (name === "iternext") {
          // An iteration step finding the map's write flag set (the
          // iterator would say ConcurrentMapWriteError forever): halfWay.
          const step = o[name] as (...a: unknown[]) => number;
          o[name] = (...a: unknown[]): number => {
            const n = step(...a);
            if (n >>> 0 === COUNT_CONCURRENT) throw this.halfWay("a map iteration step");
            return n;
          };
        }
      }
      ops = o as unknown as MapOps;
      if (this.#dead) killOps(ops, this.#dead);
      this.#ops.set(suffix, ops);
    }
    return ops;
  }

  /** Keys the last batch call found (getMany) or deleted (deleteMany). */
  batchCount(): number {
    return this.#ex.batchCount() >>> 0;
  }

  /** A map shape's bucket layout, read from the core's exported constants. */
  bucketLayout(suffix: string): BucketLayout {
    let layout = this.#layouts.get(suffix);
    if (layout === undefined) {
      const c = (f: string) => exportedConst(this.#raw, `BUCKET_${suffix}_${f}`);
      layout = Object.freeze({
        size: c("size"),
        tophash: 0,
        keys: c("keys"),
        values: c("values"),
        overflow: c("overflow"),
      });
      this.#layouts.set(suffix, layout);
    }
    return layout;
  }
  #layouts = new Map<string, BucketLayout>();

  readU64(addr: number): number {
    const dv = this.dv;
    return dv.getUint32(addr, true) + dv.getUint32(addr + 4, true) * 4294967296;
  }

  readU32(addr: number): number {
    return this.dv.getUint32(addr, true);
  }

  // ------------------------------------------------------------ the calls

  /** Allocate raw heap bytes: noscan, or an array of pointer words
   *  (which the collector scans). 0 when out of memory. */
  alloc(size: number, noscan: boolean): number {
    return this.#ex.alloc(size, noscan ? this.#objNoscan : this.#objPtrArray) >>> 0;
  }

  allocMany(size: number, count: number, noscan: boolean): number {
    return this.#ex.allocMany(size, count, noscan ? this.#objNoscan : this.#objPtrArray) >>> 0;
  }

  rootsReserve(n: number): boolean {
    return Boolean(this.#ex.rootsReserve(n)); // raw i32 0/1 (the bindings type it bool)
  }

  gc(): void {
    this.#ex.gc();
    try {
      this.profile.postSweep(); // runtime.GC publishes the heap profile after its sweep
    } catch (e) {
      throw this.trapped(e, "gc", true);
    }
  }

  /** Go's runtime.MemProfileRate = rate (0 off, 1 every object); returns
   *  the previous rate. The countdown to the next sample restarts. */
  setMemProfileRate(rate: number): number {
    const old = this.#ex.setMemProfileRate(rate) >>> 0;
    this.profile.rate = rate;
    return old;
  }

  /** runtime.MemProfileRate as the core has it now. */
  memProfileRateNow(): number {
    return this.#ex.memProfileRateNow() >>> 0;
  }

  /** Sampled objects the core still records (not freed), and samples it
   *  dropped for want of metadata memory. */
  memProfCounts(): { live: number; dropped: number } {
    return { live: this.#ex.memProfSampledLive() >>> 0, dropped: this.#ex.memProfDropped() >>> 0 };
  }

  /** The gctrace record's fields by index (the core's CycleField enum). */
  readonly cycleFields: readonly (readonly [string, number])[];
  /** hmap.typ's generation byte starts at this bit (the core's TYP_GEN_SHIFT). */
  readonly typGenShift: number;
  /** The object types raw host allocations use (the core's ObjType). */
  #objNoscan: number;
  #objPtrArray: number;

  /** The debug build's hooks, or an error saying the runtime needs debug. */
  requireDebug(what: string): Required<CoreExports> {
    if (!this.debug) throw new Error(`${what} needs a runtime created with { debug: true }`);
    return this.#ex as Required<CoreExports>;
  }

  // ------------------------------------------------------- abort and trace

  private readString(ptr: number): string {
    if (ptr === 0) return "";
    const p = ptr >>> 0;
    const bytes = this.readU32(p - 4); // AssemblyScript object header: rtSize
    let s = "";
    const dv = this.dv;
    for (let i = 0; i < bytes; i += 2) s += String.fromCharCode(dv.getUint16(p + i, true));
    return s;
  }

  private onAbort(msg: number, file: number, line: number, column: number): RuntimeAbortError {
    const err = new RuntimeAbortError(this.readString(msg), this.readString(file), line >>> 0, column >>> 0, [
      ...this.#trace,
    ]);
    this.#trace = [];
    this.#die(err);
    return err;
  }

  private onTrace(msg: number, n: number, args: number[]): void {
    const line = `${this.readString(msg)} ${args.slice(0, Math.max(0, n)).join(" ")}`.trim();
    this.#trace.push(line);
    if (this.#trace.length > TRACE_KEEP) this.#trace.shift();
  }
}

function killOps(ops: MapOps, reason: RuntimeAbortError | CoreTrapError): void {
  const o = ops as unknown as Record<string, unknown>;
  for (const name of Object.keys(o)) {
    o[name] = () => {
      throw new RuntimeDeadError(reason);
    };
  }
}

/** Exports of a dead runtime: every call throws RuntimeDeadError. */
function deadExports(reason: RuntimeAbortError | CoreTrapError): CoreExports {
  return new Proxy({} as CoreExports, {
    get(_t, name) {
      if (name === "then") return undefined;
      return () => {
        throw new RuntimeDeadError(reason);
      };
    },
  });
}

/** `f` (the core's export `name`) called through a try/catch: an exception
 *  unwinding through it goes to Boundary.trapped (fatal unless the export
 *  only reads). */
function guard(
  b: Boundary,
  name: string,
  f: (...a: unknown[]) => unknown,
  fatal: boolean,
): (...a: unknown[]) => unknown {
  return {
    [name](...args: unknown[]): unknown {
      // An earlier write's exception that the host could not handle (no
      // stack left in its catch): the runtime dies before going on.
      if (b.escaped !== undefined && !b.dead) {
        if (b.escaped !== FROZEN) throw b.trapped(b.escaped, "an earlier write", true);
        if (fatal) throw new SnapshotInProgressError(name);
      }
      try {
        return f(...args);
      } catch (e) {
        if (fatal) b.escaped = e; // no call: kept if the next line has no stack left
        throw b.trapped(e, name, fatal);
      }
    },
  }[name]!;
}

/** Exports outside the map shapes that write nothing but their own
 *  transient state (a long key's running hash, restarted by every lookup):
 *  a trap in them leaves the runtime usable. */
const READ_EXPORTS = new Set<string>(["longHashBegin", "longHashFeed", "longCandidate", "imageHash"]);

/** The exports with every function guarded (fatal: the host calls them
 *  for writes, collection, allocation and roots, and for reads of records
 *  too rare to be worth sorting out); constants and globals as they are. */
function guardExports(b: Boundary, raw: WebAssembly.Exports): CoreExports {
  const out: Record<string, unknown> = {};
  for (const [name, v] of Object.entries(raw)) {
    out[name] =
      typeof v === "function" ? guard(b, name, v as (...a: unknown[]) => unknown, !READ_EXPORTS.has(name)) : v;
  }
  return out as unknown as CoreExports;
}
