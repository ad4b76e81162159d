/// <reference lib="esnext.disposable" preserve="true" />
/**
 * gomap-wasm: a Go-style hash map in WebAssembly linear memory, on its own
 * span/size-class allocator and mark-sweep collector.
 *
 * Import the package (`import { Runtime } from "gomap-wasm"`): the `node`
 * and `browser` export conditions pick an entry that knows how to load the
 * core; both re-export this module.
 *
 * @packageDocumentation
 */
export {
  Runtime,
  Pin,
  type MapOptions,
  type SnapshotOptions,
  type RestoreOptions,
  type RestoreResult,
} from "./runtime.js";
export type {
  SnapshotBlob,
  SnapshotReadableStream,
  SnapshotSource,
  SnapshotTarget,
  SnapshotWritable,
  SnapshotWritableStream,
} from "./snapstream.js";
export type { MemStats } from "./memstats.js";
export type {
  MapInspection,
  HeapInspection,
  HeapSpan,
  HeapClassSummary,
  BucketsInspection,
  BucketArrayTophash,
} from "./inspect.js";
export type { CompactionReport, CompactOptions } from "./compact.js";
export { GoMap } from "./map.js";
export { attach, GoMapReader, type SharedMapDescriptor, type SharedMemory } from "./reader.js";
export { MapPool, GENERATIONS, type Generation, type PoolOptions, type PoolStats } from "./pool.js";
export type { KindName, KindValue, KindInput, KindArray } from "./maptypes.js";
export type { RuntimeOptions } from "./options.js";
export type { HeapProfileOptions, ProfileAsOf } from "./profile.js";
export type { BySizeEntry, SpanClassRow, BucketLayout, TophashValues } from "./boundary.js";
export {
  GomapError,
  InvalidOptionError,
  OutOfMemoryError,
  CompactionMemoryError,
  RuntimeAbortError,
  CoreTrapError,
  RuntimeDeadError,
  InvalidArgumentError,
  UseAfterFreeError,
  WrongRuntimeError,
  ConcurrentMapWriteError,
  IteratorInvalidatedError,
  UnsafeNotAllowedError,
  StaleViewError,
  ReentrantCallError,
  RuntimeClosedError,
  WasmLoadError,
  SnapshotError,
  SnapshotInProgressError,
  ReadOnlyMapError,
  SharedRuntimeError,
  type SnapshotFailure,
} from "./errors.js";
export {
  Unsafe,
  UnsafePointer,
  UnsafeBuckets,
  UNSAFE_ENTRY_POINTS,
  type UnsafeLayout,
  type MapLayout,
  type BucketShape,
  type FieldLayout,
  type UnsafeArray,
  type AssignHook,
  type DeleteHook,
  type HmapField,
  type WasmMemory,
} from "./unsafe.js";
export { TRUST_ENV_VAR } from "./trust.js";
export {
  setWasmSource,
  type WasmSource,
  type BuildName,
  type WasmInput,
  type WasmResponse,
  type WasmModule,
} from "./loader.js";
