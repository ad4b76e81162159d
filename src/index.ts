/**
 * gomap-wasm: a Go-style hash map in WebAssembly linear memory, on its own
 * span/size-class allocator and mark-sweep collector.
 *
 * Import the package (`import { Runtime } from "gomap-wasm"`): the `node`
 * and `browser` export conditions pick an entry that knows how to load the
 * core; both re-export this module.
 */
export { Runtime, type MemStats } from "./runtime.js";
export type { RuntimeOptions } from "./options.js";
export type { BySizeEntry, SpanClassRow } from "./boundary.js";
export {
  GomapError,
  InvalidOptionError,
  OutOfMemoryError,
  RuntimeAbortError,
  RuntimeDeadError,
} from "./errors.js";
export { setWasmSource, type WasmSource, type BuildName } from "./loader.js";
