/**
 * Parsing and validating `Runtime.create` options.
 */
import { InvalidOptionError } from "./errors.js";
import type { WasmInput } from "./loader.js";

/** WebAssembly memory pages are 64 KiB; wasm32 memory holds at most 65536. */
export const WASM_PAGE_BYTES = 65536;
export const MAX_MEMORY_BYTES = 4 * 1024 * 1024 * 1024;
export const DEFAULT_MAX_MEMORY = MAX_MEMORY_BYTES;

/** Options of `Runtime.create`, all optional. An unknown option, or a
 *  value of the wrong type or out of range, throws InvalidOptionError. */
export interface RuntimeOptions {
  /** Cap on the runtime's linear memory: bytes, or a string like "512MiB",
   *  "1GiB", "64MB". Default and maximum: 4 GiB (wasm32's limit). Rounded
   *  down to a whole 64 KiB WebAssembly page. */
  maxMemory?: number | bigint | string;
  /** Load the debug build: asserts on, whole-heap checkers exported. Slower. */
  debug?: boolean;
  /** GOGC: the heap may grow by this percentage of the live heap before
   *  the next collection (default 100); "off" or a negative number
   *  disables automatic collection (rt.gc() still works). */
  gcPercent?: number | "off";
  /** GODEBUG=gctrace=1: `true` prints one line per collection to stderr, a
   *  function receives the lines. */
  gctrace?: boolean | ((line: string) => void);
  /** Allow `rt.unsafe` (raw pointers, barrier-free zeroing, hooks). Also
   *  needs a whitelisted environment (src/trust.ts; in Node,
   *  GOMAP_WASM_TRUSTED=1); fixed at creation. */
  trusted?: boolean;
  /** Go's runtime.MemProfileRate for the heap profile (rt.heapProfile()):
   *  on average one sample per this many allocated bytes (default 524288,
   *  Go's 512 KiB); 1 records every allocation; 0 turns sampling off.
   *  Set here, it covers every allocation from the start; change it later
   *  with rt.setMemProfileRate(). */
  memProfileRate?: number;
  /** The core to run, if not the package's own copy: a URL or URL string,
   *  bytes, a `Response`, or a compiled `WebAssembly.Module` (or a promise
   *  of one). It must be the build that `debug` selects (release by
   *  default). Needed only where the package's files are not beside it,
   *  e.g. `{ debug: true }` in a bundled app. A failure to load throws
   *  `WasmLoadError`. */
  wasm?: WasmInput | PromiseLike<WasmInput>;
  /** Back the runtime with a shared `WebAssembly.Memory`, so that other
   *  threads can look its maps up (`rt.share(m)`, `attach`; docs/shared.md).
   *  Loads the shared build of the core (`wasm`, if given, must be it);
   *  needs `SharedArrayBuffer` (in browsers: a cross-origin isolated page).
   *  This thread stays the only writer. Default false. */
  shared?: boolean;
}

const KNOWN = new Set(["maxMemory", "debug", "gcPercent", "gctrace", "trusted", "memProfileRate", "wasm", "shared"]);

/** Go's default MemProfileRate: 512 KiB. */
export const DEFAULT_MEM_PROFILE_RATE = 512 * 1024;

/** A MemProfileRate: an integer from 0 to 2^31 − 1 (Go's is an int). */
export function isMemProfileRate(x: unknown): x is number {
  return typeof x === "number" && Number.isInteger(x) && x >= 0 && x <= 0x7fffffff;
}

const UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  k: 1024,
  kb: 1000,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1000 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1000 ** 3,
  gib: 1024 ** 3,
};

/** Bytes from a number, bigint or "<n><unit>" string. */
export function parseBytes(option: string, value: unknown): number {
  let bytes: number;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new InvalidOptionError(option, `must be a finite number of bytes, got ${value}`);
    bytes = value;
  } else if (typeof value === "bigint") {
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < 0n)
      throw new InvalidOptionError(option, `out of range: ${value}`);
    bytes = Number(value);
  } else if (typeof value === "string") {
    const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(value);
    const unit = m ? UNITS[m[2]!.toLowerCase()] : undefined;
    if (!m || unit === undefined) {
      throw new InvalidOptionError(
        option,
        `cannot read ${JSON.stringify(value)} as a size; use bytes or e.g. "512MiB", "1GiB", "64MB"`,
      );
    }
    bytes = Math.floor(Number(m[1]) * unit);
  } else {
    throw new InvalidOptionError(option, `must be a number of bytes or a string like "1GiB", got ${typeof value}`);
  }
  if (!Number.isInteger(bytes)) throw new InvalidOptionError(option, `must be a whole number of bytes, got ${bytes}`);
  if (bytes <= 0) throw new InvalidOptionError(option, `must be positive, got ${bytes}`);
  return bytes;
}

export interface ResolvedOptions {
  maxMemory: number;
  maxWasmPages: number;
  debug: boolean;
  gcPercent: number;
  gctrace: boolean | ((line: string) => void);
  trusted: boolean;
  memProfileRate: number;
  wasm: WasmInput | PromiseLike<WasmInput> | undefined;
  shared: boolean;
}

export function resolveOptions(options: unknown): ResolvedOptions {
  if (options === undefined) options = {};
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw new InvalidOptionError("options", "must be an object");
  }
  const o = options as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!KNOWN.has(key)) {
      throw new InvalidOptionError(key, `unknown option; known options are ${[...KNOWN].join(", ")}`);
    }
  }
  let maxMemory = DEFAULT_MAX_MEMORY;
  if (o.maxMemory !== undefined) {
    maxMemory = parseBytes("maxMemory", o.maxMemory);
    if (maxMemory > MAX_MEMORY_BYTES) {
      throw new InvalidOptionError("maxMemory", `${maxMemory} bytes is over 4 GiB, the most a wasm32 memory can hold`);
    }
    if (maxMemory < WASM_PAGE_BYTES) {
      throw new InvalidOptionError("maxMemory", `${maxMemory} bytes is below one WebAssembly page (65536 bytes)`);
    }
  }
  const maxWasmPages = Math.floor(maxMemory / WASM_PAGE_BYTES);
  if (o.debug !== undefined && typeof o.debug !== "boolean") {
    throw new InvalidOptionError("debug", `must be a boolean, got ${typeof o.debug}`);
  }
  let gcPercent = 100;
  if (o.gcPercent !== undefined) {
    if (o.gcPercent === "off") gcPercent = -1;
    else if (
      typeof o.gcPercent === "number" &&
      Number.isInteger(o.gcPercent) &&
      o.gcPercent <= 0x7fffffff &&
      o.gcPercent >= -0x80000000
    ) {
      gcPercent = o.gcPercent < 0 ? -1 : o.gcPercent;
    } else {
      throw new InvalidOptionError(
        "gcPercent",
        `must be an integer (GOGC) or "off", got ${JSON.stringify(o.gcPercent)}`,
      );
    }
  }
  const gctrace = o.gctrace ?? false;
  if (typeof gctrace !== "boolean" && typeof gctrace !== "function") {
    throw new InvalidOptionError("gctrace", `must be true, false or a function receiving lines, got ${typeof gctrace}`);
  }
  if (o.wasm !== undefined && (o.wasm === null || (typeof o.wasm !== "object" && typeof o.wasm !== "string"))) {
    throw new InvalidOptionError(
      "wasm",
      `must be a URL, bytes, a Response or a WebAssembly.Module, got ${o.wasm === null ? "null" : typeof o.wasm}`,
    );
  }
  if (o.trusted !== undefined && typeof o.trusted !== "boolean") {
    throw new InvalidOptionError("trusted", `must be a boolean, got ${typeof o.trusted}`);
  }
  if (o.shared !== undefined && typeof o.shared !== "boolean") {
    throw new InvalidOptionError("shared", `must be a boolean, got ${typeof o.shared}`);
  }
  if (o.shared === true && typeof SharedArrayBuffer !== "function") {
    throw new InvalidOptionError(
      "shared",
      "this environment has no SharedArrayBuffer (browsers: the page must be cross-origin isolated, COOP same-origin and COEP require-corp)",
    );
  }
  const memProfileRate = o.memProfileRate ?? DEFAULT_MEM_PROFILE_RATE;
  if (!isMemProfileRate(memProfileRate)) {
    throw new InvalidOptionError(
      "memProfileRate",
      `must be an integer from 0 (off) to 2147483647 bytes, got ${String(o.memProfileRate)}`,
    );
  }
  return {
    maxMemory: maxWasmPages * WASM_PAGE_BYTES,
    maxWasmPages,
    debug: o.debug === true,
    gcPercent,
    gctrace: gctrace as ResolvedOptions["gctrace"],
    trusted: o.trusted === true,
    memProfileRate,
    wasm: o.wasm as ResolvedOptions["wasm"],
    shared: o.shared === true,
  };
}
