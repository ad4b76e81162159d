/**
 * Typed errors. Every error gomap-wasm throws is a `GomapError`, so one
 * `instanceof` separates ours from the rest; each kind has its own class.
 *
 * Three kinds of failure (STYLE.md): recoverable ones (`OutOfMemoryError`,
 * bad input such as `InvalidOptionError`) change nothing; misuse gets a
 * clear error; corruption inside the core (`RuntimeAbortError`) kills the
 * runtime, and every later call on it throws `RuntimeDeadError`.
 */

export class GomapError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** An option passed to `Runtime.create` (or another API) is invalid. */
export class InvalidOptionError extends GomapError {
  readonly option: string;
  constructor(option: string, message: string) {
    super(`${option}: ${message}`);
    this.option = option;
  }
}

/** The heap could not grow within `maxMemory`. Nothing was changed: the
 *  operation that hit the limit had no effect and the runtime stays usable. */
export class OutOfMemoryError extends GomapError {
  readonly requested: number;
  readonly maxMemory: number;
  constructor(requested: number, maxMemory: number, what = "allocation") {
    super(
      `out of memory: ${what}${requested > 0 ? ` (${requested} bytes)` : ""} does not fit under maxMemory ` +
        `(${maxMemory} bytes); nothing was changed`,
    );
    this.requested = requested;
    this.maxMemory = maxMemory;
  }
}

/** The core hit a broken invariant (an AssemblyScript `abort`). The
 *  runtime is dead from then on. */
export class RuntimeAbortError extends GomapError {
  readonly file: string;
  readonly line: number;
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

/** A call on a runtime that aborted earlier. */
export class RuntimeDeadError extends GomapError {
  constructor(readonly reason: RuntimeAbortError) {
    super(`this runtime is dead since the core aborted: ${reason.message.split("\n")[0]}`, { cause: reason });
  }
}

/** A key or value of the wrong type, or out of range for the map's kind. */
export class InvalidArgumentError extends GomapError {
  readonly argument: string;
  constructor(argument: string, message: string) {
    super(`${argument}: ${message}`);
    this.argument = argument;
  }
}

/** A map (or iterator) used after `free()`, or a map used after it was put
 *  back into a pool. */
export class UseAfterFreeError extends GomapError {
  constructor(what = "map", how = "was freed; create a new one with rt.map(...)") {
    super(`this ${what} ${how}`);
  }
}

/** A map given to a runtime that did not create it. */
export class WrongRuntimeError extends GomapError {
  constructor() {
    super("this map belongs to another Runtime");
  }
}

/** A write started while another write on the same map was in progress
 *  (Go: "fatal error: concurrent map writes"). The map is unchanged. */
export class ConcurrentMapWriteError extends GomapError {
  constructor(what = "concurrent map writes") {
    super(`${what}: the map is unchanged`);
  }
}

/** An iterator stepped after the map was cleared, shrunk or freed. */
export class IteratorInvalidatedError extends GomapError {
  constructor(cause: string) {
    super(`map iterator invalidated: the map was ${cause} while the iterator was live`);
  }
}

/** An `rt.unsafe` entry point on a runtime that is not trusted, or
 *  `Runtime.create({ trusted: true })` in an environment that fails the
 *  whitelist check. Nothing was touched. */
export class UnsafeNotAllowedError extends GomapError {
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
  constructor(what: string, cause: string) {
    super(`stale ${what}: ${cause} since it was taken; take a new one after any write, clear, shrink, collection or memory growth`);
  }
}

/** A call that cannot run now: one that would run the collector (rt.gc(),
 *  gcStep, gcStart, compact) made from inside a map hook, while that map is
 *  mid-write, or a second compaction while one is in progress. Nothing was
 *  done. */
export class ReentrantCallError extends GomapError {
  constructor(what: string, why = "called from inside a map hook: the map is mid-write, so the collector cannot run; call it after the write returns") {
    super(`${what} ${why}`);
  }
}
