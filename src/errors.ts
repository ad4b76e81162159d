/**
 * Typed errors. Every error gomap-wasm throws is a `GomapError`, so one
 * `instanceof` separates ours from the rest; each kind has its own class.
 *
 * Three kinds of failure: recoverable ones (`OutOfMemoryError`,
 * bad input such as `InvalidOptionError`) change nothing; misuse gets a
 * clear error; corruption inside the core (`RuntimeAbortError`), or a core
 * call interrupted half-way by a trap (`CoreTrapError` with `fatal`), kills
 * the runtime, and every later call on it throws `RuntimeDeadError`.
 */

/** The base class of gomap-wasm's typed errors: one `instanceof GomapError`
 *  tells them from other errors; each kind of failure is a subclass. */
export class GomapError extends Error {
  /** The error's class name, a literal (bundlers' minifiers rename classes,
   *  so it is never read from the constructor). */
  override name = "GomapError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** An option passed to `Runtime.create` (or another API) is invalid. */
export class InvalidOptionError extends GomapError {
  /** "InvalidOptionError". */
  override name = "InvalidOptionError";
  /** The option's name, e.g. "maxMemory" (also the message's prefix). */
  readonly option: string;
  constructor(option: string, message: string) {
    super(`${option}: ${message}`);
    this.option = option;
  }
}

/** The heap could not grow within `maxMemory`. Nothing was changed: the
 *  operation that hit the limit had no effect and the runtime stays usable. */
export class OutOfMemoryError extends GomapError {
  /** "OutOfMemoryError". */
  override name = "OutOfMemoryError";
  /** Bytes the failed allocation asked for (0 when not one allocation). */
  readonly requested: number;
  /** The runtime's cap on linear memory, in bytes. */
  readonly maxMemory: number;
  /** Batch calls (`setMany`, `deleteMany`): how many entries were done
   *  before memory ran out — those stay done, the rest were not touched.
   *  Undefined for single operations, which change nothing. */
  readonly done: number | undefined;
  constructor(requested: number, maxMemory: number, what = "allocation", done?: number) {
    super(
      `out of memory: ${what}${requested > 0 ? ` (${requested} bytes)` : ""} does not fit under maxMemory ` +
        `(${maxMemory} bytes); ` +
        (done === undefined ? "nothing was changed" : `the first ${done} entries were done, the rest untouched`),
    );
    this.requested = requested;
    this.maxMemory = maxMemory;
    this.done = done;
  }
}

/** `rt.compact()` could not have its transient peak: during the copy the
 *  old instance's linear memory stays allocated beside the new instance's,
 *  and the two together were refused — by `maxPeakMemory` when that was
 *  given, else by the engine (the new memory could not be allocated or
 *  grown) or by `maxMemory` (which caps the new memory alone). Nothing was
 *  changed: the runtime keeps its old instance and every map its entries.
 *  Also an `OutOfMemoryError`; `requested` is `peakBytes`. */
export class CompactionMemoryError extends OutOfMemoryError {
  /** "CompactionMemoryError". */
  override name = "CompactionMemoryError";
  /** Bytes of linear memory the compaction needs at its peak, at least: the
   *  old instance's plus what the new one had reached, or was estimated to
   *  need for the surviving maps (right-sized bucket arrays; string bytes
   *  not counted), whichever is more. */
  readonly peakBytes: number;
  /** The old instance's linear memory, bytes (part of `peakBytes`). */
  readonly oldBytes: number;
  /** The bound that refused the peak (`rt.compact({ maxPeakMemory })`), or
   *  undefined when there was none. */
  readonly maxPeakMemory: number | undefined;
  constructor(peakBytes: number, oldBytes: number, maxMemory: number, maxPeakMemory: number | undefined, why: string) {
    super(peakBytes, maxMemory, "compaction");
    this.message =
      `out of memory: compaction needs at least ${peakBytes} bytes of linear memory at its peak ` +
      `(the old instance's ${oldBytes} plus at least ${peakBytes - oldBytes} for the new one), ${why}; ` +
      "nothing was changed";
    this.peakBytes = peakBytes;
    this.oldBytes = oldBytes;
    this.maxPeakMemory = maxPeakMemory;
  }
}

/** The core hit a broken invariant (an AssemblyScript `abort`). The
 *  runtime is dead from then on. */
export class RuntimeAbortError extends GomapError {
  /** "RuntimeAbortError". */
  override name = "RuntimeAbortError";
  /** The core source file that aborted (e.g. "assembly/map/assign.ts"). */
  readonly file: string;
  /** Line of the abort in `file` (1-based). */
  readonly line: number;
  /** Column of the abort in `file` (1-based). */
  readonly column: number;
  /** Lines the core traced just before aborting (structure dumps). */
  readonly dump: readonly string[];
  constructor(message: string, file: string, line: number, column: number, dump: readonly string[]) {
    super(`${message} (at ${file}:${line}:${column})${dump.length ? "\n  " + dump.join("\n  ") : ""}`);
    this.file = file;
    this.line = line;
    this.column = column;
    this.dump = dump;
  }
}

/** An exception unwound through a core call instead of the call
 *  returning: a trap (a stack overflow — a RangeError, "Maximum call
 *  stack size exceeded" —, `RuntimeError: unreachable`, a memory access out
 *  of bounds) or an error thrown by the host's own code while the core was
 *  inside the call. `cause` is the original exception.
 *
 *  When `fatal` (a write, or anything that may have run the allocator or
 *  the collector), the core may have stopped half-way — a map with its
 *  write flag still set, a span half-updated — so the runtime is dead from
 *  then on: every later call throws `RuntimeDeadError` naming this error.
 *  When not (a lookup or an iteration step, which change nothing in the
 *  core), the map is as it was and the runtime stays usable. */
export class CoreTrapError extends GomapError {
  /** "CoreTrapError". */
  override name = "CoreTrapError";
  /** The operation that was interrupted (e.g. "GoMap.set", "gc"). */
  readonly operation: string;
  /** Did it kill the runtime? */
  readonly fatal: boolean;
  constructor(operation: string, cause: unknown, fatal: boolean) {
    super(
      `${operation} was interrupted inside the core by ${describeCause(cause)}; ` +
        (fatal
          ? "the core may have stopped half-way, so the runtime is dead (every later call throws RuntimeDeadError)"
          : "it was a read: nothing was changed and the runtime is usable"),
      { cause },
    );
    this.operation = operation;
    this.fatal = fatal;
  }
}

/** "RangeError: Maximum call stack size exceeded", or what the thrown value says. */
function describeCause(cause: unknown): string {
  if (cause instanceof Error) return `${cause.name}: ${cause.message}`;
  try {
    return String(cause);
  } catch {
    return "an exception";
  }
}

/** A call on a runtime that died earlier: the core aborted
 *  (`RuntimeAbortError`) or a core call was interrupted half-way
 *  (`CoreTrapError`). */
export class RuntimeDeadError extends GomapError {
  /** "RuntimeDeadError". */
  override name = "RuntimeDeadError";
  constructor(
    /** What killed the runtime (also the error's `cause`). */
    readonly reason: RuntimeAbortError | CoreTrapError,
  ) {
    super(
      reason instanceof CoreTrapError
        ? `this runtime is dead since ${reason.operation} was interrupted inside the core by ${describeCause(reason.cause)}`
        : `this runtime is dead since the core aborted: ${reason.message.split("\n")[0]}`,
      { cause: reason },
    );
  }
}

/** A key or value of the wrong type, or out of range for the map's kind. */
export class InvalidArgumentError extends GomapError {
  /** "InvalidArgumentError". */
  override name = "InvalidArgumentError";
  /** The argument at fault, e.g. "key", "value", "keys[3]" or an option
   *  name (also the message's prefix). */
  readonly argument: string;
  constructor(argument: string, message: string) {
    super(`${argument}: ${message}`);
    this.argument = argument;
  }
}

/** A map (or iterator) used after `free()`, or a map used after it was put
 *  back into a pool. */
export class UseAfterFreeError extends GomapError {
  /** "UseAfterFreeError". */
  override name = "UseAfterFreeError";
  constructor(what = "map", how = "was freed; create a new one with rt.map(...)") {
    super(`this ${what} ${how}`);
  }
}

/** A map given to a runtime that did not create it. */
export class WrongRuntimeError extends GomapError {
  /** "WrongRuntimeError". */
  override name = "WrongRuntimeError";
  constructor() {
    super("this map belongs to another Runtime");
  }
}

/** A write started while another write on the same map was in progress
 *  (Go: "fatal error: concurrent map writes"); a read or an iterator step
 *  meeting a write in progress says "concurrent map read and map write".
 *  The map is unchanged. No user code runs inside a write (hooks and
 *  gctrace lines are delivered after it returns), so a single JS thread
 *  only finds a write in progress after a trap left one half-done — and
 *  that kills the runtime instead (CoreTrapError); the maps of this
 *  package no longer throw this error. */
export class ConcurrentMapWriteError extends GomapError {
  /** "ConcurrentMapWriteError". */
  override name = "ConcurrentMapWriteError";
  constructor(what = "concurrent map writes") {
    super(`${what}: the map is unchanged`);
  }
}

/** An iterator stepped after the map was cleared, shrunk, freed, put back
 *  into a pool or moved by `rt.compact()`. */
export class IteratorInvalidatedError extends GomapError {
  /** "IteratorInvalidatedError". */
  override name = "IteratorInvalidatedError";
  constructor(cause: string) {
    super(`map iterator invalidated: the map was ${cause} while the iterator was live`);
  }
}

/** An `rt.unsafe` entry point on a runtime that is not trusted, or
 *  `Runtime.create({ trusted: true })` in an environment that fails the
 *  whitelist check. Nothing was touched. */
export class UnsafeNotAllowedError extends GomapError {
  /** "UnsafeNotAllowedError". */
  override name = "UnsafeNotAllowedError";
  /** The entry point that was refused (e.g. "unsafe.zeroValues"). */
  readonly entry: string;
  /** The environment checks that failed (empty when only the opt-in is missing). */
  readonly failed: readonly string[];
  constructor(entry: string, failed: readonly string[], optedIn: boolean) {
    const how =
      "create the runtime with Runtime.create({ trusted: true }) in a whitelisted environment: " +
      "Node >= 20 with GOMAP_WASM_TRUSTED=1 set in its environment, or a browser whose WebAssembly " +
      "has bulk memory and BigInt i64 integration (docs/unsafe.md)";
    const why = optedIn
      ? `the environment failed the whitelist check (${failed.join("; ")})`
      : "this runtime was created without { trusted: true }";
    super(`${entry} is not allowed: ${why}; to enable it, ${how}`);
    this.entry = entry;
    this.failed = failed;
  }
}

/** A raw view or pointer from `rt.unsafe` used after something moved or
 *  rewrote what it points at (debug builds check; release builds do not). */
export class StaleViewError extends GomapError {
  /** "StaleViewError". */
  override name = "StaleViewError";
  constructor(what: string, cause: string) {
    super(
      `stale ${what}: ${cause} since it was taken; take a new one after any write, clear, shrink, collection or memory growth`,
    );
  }
}

/** A call that cannot run now: a second `rt.compact()` while one is in
 *  progress. Nothing was done. */
export class ReentrantCallError extends GomapError {
  /** "ReentrantCallError". */
  override name = "ReentrantCallError";
  constructor(what: string, why = "cannot run now") {
    super(`${what} ${why}`);
  }
}

/** The core could not be loaded: the URL did not answer with wasm, the
 *  bytes are not a WebAssembly module, or they are not this package's
 *  core. */
export class WasmLoadError extends GomapError {
  /** "WasmLoadError". */
  override name = "WasmLoadError";
  /** Where the core was looked for ("" for bytes or a module given directly). */
  readonly url: string;
  /** The HTTP status (0 when no request was made or it failed). */
  readonly status: number;
  /** The response's Content-Type ("" when unknown). */
  readonly contentType: string;
  constructor(message: string, where: { url?: string; status?: number; contentType?: string } = {}, cause?: unknown) {
    super(
      `gomap-wasm: cannot load the core${where.url ? ` from ${where.url}` : ""}: ${message}`,
      cause === undefined ? undefined : { cause },
    );
    this.url = where.url ?? "";
    this.status = where.status ?? 0;
    this.contentType = where.contentType ?? "";
  }
}

/** A runtime (or one of its maps, iterators, pools or pins) used after
 *  `rt.close()`. */
export class RuntimeClosedError extends GomapError {
  /** "RuntimeClosedError". */
  override name = "RuntimeClosedError";
  constructor(what = "runtime") {
    super(
      `${what === "runtime" ? "this Runtime was closed" : `this ${what} belongs to a Runtime that was closed`} (rt.close()); ` +
        "create a new one with Runtime.create()",
    );
  }
}

/** What is wrong with a snapshot image (`SnapshotError.reason`). */
export type SnapshotFailure =
  | "truncated"
  | "magic"
  | "version"
  | "fingerprint"
  | "sections"
  | "too-large"
  | "checksum"
  | "state"
  | "structure"
  | "maps";

/** `Runtime.restore` refused an image: it is not a gomap-wasm snapshot, is
 *  damaged (truncated, a checksum mismatch), was made by another core
 *  build (its fingerprint), or its contents fail the structural checks
 *  (pointers that leave the heap, overflow chains that loop, counts that
 *  disagree with the buckets). Nothing was created: no runtime, and no
 *  memory is kept. `reason` says which check failed. */
export class SnapshotError extends GomapError {
  /** "SnapshotError". */
  override name = "SnapshotError";
  /** Which check refused the image. */
  readonly reason: SnapshotFailure;
  constructor(reason: SnapshotFailure, message: string, options?: { cause?: unknown }) {
    super(`snapshot image refused (${reason}): ${message}`, options);
    this.reason = reason;
  }
}

/** A write, collection, compaction, pin or iteration step was attempted
 *  on a runtime while a streamed snapshot of it (`rt.snapshotTo`,
 *  `rt.snapshotStream`) is being written: the image must stay consistent,
 *  so the runtime is read-only until the stream ends. Lookups work as
 *  usual; `rt.close()` is never refused (it ends the snapshot with
 *  RuntimeClosedError). Nothing was changed; retry after the snapshot
 *  ends. */
export class SnapshotInProgressError extends GomapError {
  /** "SnapshotInProgressError". */
  override name = "SnapshotInProgressError";
  constructor(what: string) {
    super(`${what}: a streamed snapshot of this runtime is being written; the runtime is read-only until it ends`);
  }
}

/** A write (`set`, `delete`, `clear`) on a `GoMapReader`: a reader in
 *  another thread only looks up. Writes go to the owning thread (the one
 *  that created the runtime): post them to it (docs/shared.md). */
export class ReadOnlyMapError extends GomapError {
  /** "ReadOnlyMapError". */
  override name = "ReadOnlyMapError";
  constructor(what: string) {
    super(`${what}: a GoMapReader is read-only; writes go to the owning thread: post them to it`);
  }
}

/** An operation that needs a shared runtime (`rt.share(m)`) on one that is
 *  not, or one that a shared runtime refuses (`rt.compact()`: readers in
 *  other threads hold the old memory). Nothing was changed. */
export class SharedRuntimeError extends GomapError {
  /** "SharedRuntimeError". */
  override name = "SharedRuntimeError";
  constructor(message: string) {
    super(message);
  }
}
