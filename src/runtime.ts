/**
 * `Runtime`: one wasm instance, one heap, one collector.
 *
 * Several runtimes may live in one process; each has its own
 * `WebAssembly.Memory` capped at its `maxMemory` (that is how a user goes
 * past one 4 GiB heap: shard across runtimes).
 */
import { Boundary, type BySizeEntry, type SpanClassRow } from "./boundary.js";
import { InvalidOptionError, OutOfMemoryError } from "./errors.js";
import { loadCore } from "./loader.js";
import { resolveOptions, type RuntimeOptions } from "./options.js";

/** Go's runtime.MemStats, for the fields that exist so far. Byte counts
 *  are at size-class granularity, as in Go. */
export interface MemStats {
  /** Bytes of allocated heap objects, including unswept garbage. */
  HeapAlloc: number;
  /** Cumulative bytes allocated. */
  TotalAlloc: number;
  /** All linear memory: HeapSys + MSpanSys + GCSys + OtherSys. */
  Sys: number;
  /** Cumulative objects allocated. */
  Mallocs: number;
  /** Cumulative objects freed. */
  Frees: number;
  /** Heap pages obtained: HeapInuse + HeapIdle. */
  HeapSys: number;
  /** Bytes in free page runs. */
  HeapIdle: number;
  /** Bytes in in-use spans (including their free slots). */
  HeapInuse: number;
  /** Always 0: WebAssembly memory cannot be given back to the host. */
  HeapReleased: number;
  /** Mallocs − Frees. */
  HeapObjects: number;
  /** Span records in use. */
  MSpanInuse: number;
  MSpanSys: number;
  /** Collector metadata: allocBits/gcmarkBits and the page map. */
  GCSys: number;
  /** Static data, the host scratch area, free metadata. */
  OtherSys: number;
  /** Per size class 0..60, like Go (class 0 is all zero). */
  BySize: BySizeEntry[];
}

const boundaries = new WeakMap<Runtime, Boundary>();

/** Internal: the boundary of a runtime (tests, lab, benchmarks). Not part of
 *  the public API. */
export function boundaryOf(rt: Runtime): Boundary {
  const b = boundaries.get(rt);
  if (!b) throw new TypeError("not a gomap-wasm Runtime");
  return b;
}

export class Runtime {
  /** The effective cap on linear memory, in bytes (a whole number of 64 KiB pages). */
  readonly maxMemory: number;
  /** Whether this runtime runs the debug build. */
  readonly debug: boolean;

  private constructor(boundary: Boundary, maxMemory: number) {
    boundaries.set(this, boundary);
    this.maxMemory = maxMemory;
    this.debug = boundary.debug;
  }

  /** Create a runtime. Works in Node and browsers. */
  static async create(options?: RuntimeOptions): Promise<Runtime> {
    const o = resolveOptions(options);
    const module = await loadCore(o.debug ? "debug" : "release");
    const b = await Boundary.instantiate(module, o.maxWasmPages, o.debug);
    if (!b.init(o.maxWasmPages)) {
      const min = b.minMemoryBytes(o.maxWasmPages);
      throw new InvalidOptionError(
        "maxMemory",
        `${o.maxMemory} bytes cannot hold the core's static data, page map and a first heap page; ` +
          `use at least ${Math.ceil(min / 65536) * 65536} bytes`,
      );
    }
    return new Runtime(b, o.maxMemory);
  }

  /** Go's runtime.ReadMemStats. */
  readMemStats(): MemStats {
    const b = boundaryOf(this);
    const s = b.readMemStats() as unknown as MemStats;
    s.BySize = b.readBySize();
    return s;
  }

  /** Spans in use, grouped by span class (size class × noscan). */
  spanClasses(): SpanClassRow[] {
    return boundaryOf(this).readSpanClasses();
  }

  /** Bytes of linear memory right now. */
  get memoryBytes(): number {
    return boundaryOf(this).memory.buffer.byteLength;
  }

  get [Symbol.toStringTag](): string {
    return "Runtime";
  }
}

/** Internal: allocate raw bytes or throw OutOfMemoryError (lab, tests). */
export function allocOrThrow(rt: Runtime, size: number, noscan: boolean): number {
  const p = boundaryOf(rt).alloc(size, noscan);
  if (p === 0) throw new OutOfMemoryError(size, rt.maxMemory);
  return p;
}
