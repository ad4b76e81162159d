// A strict consumer of the package's public types: everything here must
// type-check in a Node project (tsconfig.node.json) and in a browser project
// (tsconfig.browser.json), with TypeScript 7 and 5.9. What must be rejected
// is in rejects.ts; what only Node or only a page writes, in node.ts and
// browser.ts. test/types.test.ts runs the compilers.
import {
  Runtime,
  type GoMap,
  type MapPool,
  type Pin,
  GENERATIONS,
  TRUST_ENV_VAR,
  UNSAFE_ENTRY_POINTS,
  setWasmSource,
  type Unsafe,
  type UnsafePointer,
  type UnsafeBuckets,
  GomapError,
  InvalidOptionError,
  OutOfMemoryError,
  CompactionMemoryError,
  RuntimeAbortError,
  RuntimeDeadError,
  CoreTrapError,
  InvalidArgumentError,
  UseAfterFreeError,
  WrongRuntimeError,
  ConcurrentMapWriteError,
  IteratorInvalidatedError,
  UnsafeNotAllowedError,
  StaleViewError,
  ReentrantCallError,
  WasmLoadError,
  RuntimeClosedError,
} from "gomap-wasm";
import type {
  MemStats,
  MapOptions,
  MapInspection,
  HeapInspection,
  HeapSpan,
  HeapClassSummary,
  BucketsInspection,
  BucketArrayTophash,
  CompactionReport,
  CompactOptions,
  Generation,
  PoolOptions,
  PoolStats,
  KindName,
  KindValue,
  RuntimeOptions,
  HeapProfileOptions,
  ProfileAsOf,
  BySizeEntry,
  SpanClassRow,
  BucketLayout,
  UnsafeLayout,
  MapLayout,
  BucketShape,
  FieldLayout,
  UnsafeArray,
  AssignHook,
  DeleteHook,
  WasmSource,
  BuildName,
  WasmInput,
  WasmResponse,
  WasmModule,
  KindInput,
  KindArray,
  TophashValues,
  HmapField,
} from "gomap-wasm";
import { expectTrue, type Equals, type Same } from "./assert.js";

// ------------------------------------------------------------ Runtime.create

const rt: Runtime = await Runtime.create();
await Runtime.create({});
await Runtime.create({ maxMemory: 256 * 1024 * 1024 });
await Runtime.create({ maxMemory: "256MiB" });
await Runtime.create({ maxMemory: 1n << 30n });
await Runtime.create({ debug: true, gcPercent: 50, gctrace: true, trusted: false, memProfileRate: 1 });
await Runtime.create({ gcPercent: "off", gctrace: (line) => expectTrue<Equals<typeof line, string>>() });
const options: RuntimeOptions = { maxMemory: "1GiB", debug: false };
await Runtime.create(options);
expectTrue<Equals<ReturnType<typeof Runtime.create>, Promise<Runtime>>>();

// The core, supplied by the caller: bytes, a Response-like, a compiled
// module, a URL string (Node: a path; browsers: relative to the page).
declare const bytes: Uint8Array;
declare const buffer: ArrayBuffer;
declare const compiled: object;
await Runtime.create({ wasm: bytes });
await Runtime.create({ wasm: buffer });
await Runtime.create({ wasm: compiled });
await Runtime.create({ wasm: "./node_modules/gomap-wasm/build/release.wasm" });
await Runtime.create({ wasm: Promise.resolve(bytes) });
await Runtime.create({
  debug: true,
  wasm: {
    ok: true,
    status: 200,
    url: "https://example.com/debug.wasm",
    headers: { get: (name: string) => (name === "content-type" ? "application/wasm" : null) },
    arrayBuffer: async () => buffer,
  },
});
const input: WasmInput = bytes;
const response: WasmResponse = {
  ok: false,
  status: 404,
  url: "",
  headers: { get: () => null },
  arrayBuffer: () => Promise.resolve(buffer),
};
const wasmModule: WasmModule = compiled;
const inputs: WasmInput[] = [response, wasmModule, buffer, "release.wasm"];
void inputs;
const source: WasmSource = (build) => {
  expectTrue<Equals<typeof build, BuildName>>();
  return build === "release" ? input : Promise.resolve(buffer);
};
setWasmSource(source);
setWasmSource(async () => bytes);
setWasmSource(null);

// ------------------------------------------------------------ the runtime's own members

expectTrue<Equals<typeof rt.maxMemory, number>>();
expectTrue<Equals<typeof rt.debug, boolean>>();
expectTrue<Equals<typeof rt.trusted, boolean>>();
expectTrue<Equals<typeof rt.closed, boolean>>();
expectTrue<Equals<typeof rt.memoryBytes, number>>();
expectTrue<Equals<typeof rt.compactions, number>>();
expectTrue<Equals<typeof rt.liveMaps, number>>();
expectTrue<Equals<typeof rt.memProfileRate, number>>();
const phase: "off" | "mark" = rt.gcPhase;
rt.gc();
const stepped: number = rt.gcStep();
rt.gcStep(1024);
rt.gcStart();
const previous: number = rt.setGCPercent(200);
rt.setGCPercent("off");
const previousRate: number = rt.setMemProfileRate(512 * 1024);
void [phase, stepped, previous, previousRate];

// ------------------------------------------------------------ maps: every key kind

// u64 keys: bigint, or a safe-integer number (the README's own example).
const m = rt.map({ key: "u64", value: "f64", hint: 1000 });
expectTrue<Equals<typeof m, GoMap<"u64", "f64">>>();
m.set(42n, 1.5).set(7, 2.5);
expectTrue<Equals<ReturnType<typeof m.set>, GoMap<"u64", "f64">>>();
expectTrue<Equals<typeof m.keyType, "u64">>();
expectTrue<Equals<typeof m.valueType, "f64">>();
const got = m.get(42n);
expectTrue<Equals<typeof got, number | undefined>>();
expectTrue<Equals<ReturnType<typeof m.get>, number | undefined>>();
const has7: boolean = m.has(7);
const has42: boolean = m.has(42n);
const deleted: boolean = m.delete(7);
m.delete(7n);
m.get(7);
expectTrue<Equals<typeof m.size, number>>();
void [has7, has42, deleted];

// i64 keys and values: negative numbers and bigints in, bigints out.
const mi64 = rt.map({ key: "i64", value: "i64" });
mi64.set(-1, -2).set(-1n, 2n).set(3, 4n).set(5n, 6);
expectTrue<Equals<ReturnType<typeof mi64.get>, bigint | undefined>>();
const i64v = mi64.get(-1);
expectTrue<Equals<typeof i64v, bigint | undefined>>();
mi64.has(-1n);
mi64.delete(-1);

// u64 values: numbers or bigints in, bigints out.
const mu64 = rt.map({ key: "u32", value: "u64" });
mu64.set(1, 2).set(3, 4n);
expectTrue<Equals<ReturnType<typeof mu64.get>, bigint | undefined>>();

const mu32 = rt.map({ key: "u32", value: "u32" });
mu32.set(1, 2);
expectTrue<Equals<ReturnType<typeof mu32.get>, number | undefined>>();
mu32.has(1);
mu32.delete(1);

const mi32 = rt.map({ key: "i32", value: "i32" });
mi32.set(-1, -1);
expectTrue<Equals<ReturnType<typeof mi32.get>, number | undefined>>();

const mf64 = rt.map({ key: "f64", value: "string" });
mf64.set(Number.NaN, "nan").set(-0, "zero");
expectTrue<Equals<ReturnType<typeof mf64.get>, string | undefined>>();

const mstr = rt.map({ key: "string", value: "i64" });
mstr.set("key-1", 1n).set("key-2", 2);
expectTrue<Equals<ReturnType<typeof mstr.get>, bigint | undefined>>();
mstr.has("key-1");
mstr.delete("key-2");

const mbytes = rt.map({ key: "bytes", value: "bytes" });
mbytes.set(new Uint8Array([1, 2]), new Uint8Array(0));
const bv = mbytes.get(new Uint8Array([1, 2]));
expectTrue<Same<typeof bv, Uint8Array | undefined>>();

const mstrstr = rt.map({ key: "string", value: "string", seed: 42 });
mstrstr.set("a", "b");
expectTrue<Equals<ReturnType<typeof mstrstr.get>, string | undefined>>();

// Options typed up front, and the generic kinds.
const mapOptions: MapOptions<"u32", "f64"> = { key: "u32", value: "f64", hint: 16 };
const fromOptions = rt.map(mapOptions);
expectTrue<Equals<typeof fromOptions, GoMap<"u32", "f64">>>();
const kind: KindName = "bytes";
expectTrue<Equals<KindValue<"u64">, bigint>>();
expectTrue<Equals<KindValue<"u32">, number>>();
expectTrue<Equals<KindValue<"string">, string>>();
// What the 64-bit kinds take (numbers too) against what they give (bigints).
expectTrue<Equals<KindInput<"u64">, number | bigint>>();
expectTrue<Equals<KindInput<"i64">, number | bigint>>();
expectTrue<Equals<KindInput<"u32">, number>>();
expectTrue<Same<KindArray<"u32">, Uint32Array>>();
expectTrue<Same<KindArray<"i32">, Int32Array>>();
expectTrue<Same<KindArray<"u64">, BigUint64Array>>();
expectTrue<Same<KindArray<"i64">, BigInt64Array>>();
expectTrue<Same<KindArray<"f64">, Float64Array>>();
expectTrue<Equals<KindArray<"string">, (string | undefined)[]>>();
expectTrue<Same<KindArray<"bytes">, (Uint8Array | undefined)[]>>();
function anyMap(x: GoMap): number {
  return x.size;
}
anyMap(m);
anyMap(mbytes);
void kind;

// ------------------------------------------------------------ iteration

for (const [k, v] of m) {
  expectTrue<Equals<typeof k, bigint>>();
  expectTrue<Equals<typeof v, number>>();
}
for (const k of m.keys()) expectTrue<Equals<typeof k, bigint>>();
for (const v of m.values()) expectTrue<Equals<typeof v, number>>();
for (const [k, v] of mstr.entries()) {
  expectTrue<Equals<typeof k, string>>();
  expectTrue<Equals<typeof v, bigint>>();
}
for (const [k, v] of mbytes) {
  expectTrue<Same<typeof k, Uint8Array>>();
  expectTrue<Same<typeof v, Uint8Array>>();
}
m.forEach((value, key, map) => {
  expectTrue<Equals<typeof value, number>>();
  expectTrue<Equals<typeof key, bigint>>();
  expectTrue<Equals<typeof map, GoMap<"u64", "f64">>>();
});
const it = m.entries();
const step = it.next();
if (!step.done) expectTrue<Equals<typeof step.value, [bigint, number]>>();
const pairs: [bigint, number][] = [...m];
const keyList: bigint[] = Array.from(m.keys());
const entryIterable: Iterable<[bigint, number]> = m;
void [pairs, keyList, entryIterable];

// ------------------------------------------------------------ batches

const keys = BigUint64Array.from({ length: 10_000 }, (_, i) => BigInt(i) * 0x9e3779b9n);
m.setMany(keys, new Float64Array(keys.length).fill(1));
m.setMany([1, 2n, 3], [1.5, 2.5, 3.5]);
const found = new Uint8Array(keys.length);
const values = m.getMany(keys, undefined, found);
expectTrue<Same<typeof values, Float64Array>>();
const values2 = m.getMany([1, 2n]);
expectTrue<Same<typeof values2, Float64Array>>();
const intoOut = m.getMany(keys, new Float64Array(keys.length));
expectTrue<Same<typeof intoOut, Float64Array>>();
const removed: number = m.deleteMany(keys);
m.deleteMany([1, 2n]);
void removed;

// Exact getMany results by value kind.
const r32 = mu32.getMany(new Uint32Array([1, 2]));
expectTrue<Same<typeof r32, Uint32Array>>();
const ri32 = mi32.getMany([-1, 1]);
expectTrue<Same<typeof ri32, Int32Array>>();
const ru64 = mu64.getMany([1, 3]);
expectTrue<Same<typeof ru64, BigUint64Array>>();
const ri64 = mi64.getMany(new BigInt64Array([-1n]));
expectTrue<Same<typeof ri64, BigInt64Array>>();
const rstr = mf64.getMany(new Float64Array([0, 1]));
expectTrue<Equals<typeof rstr, (string | undefined)[]>>();
const rstr2 = mstrstr.getMany(["a", "b"], undefined, new Uint8Array(2));
expectTrue<Equals<typeof rstr2, (string | undefined)[]>>();
const rbytes = mbytes.getMany([new Uint8Array([1])]);
expectTrue<Same<typeof rbytes, (Uint8Array | undefined)[]>>();
const rstrOut = mstrstr.getMany(["a"], new Array<string | undefined>(1));
expectTrue<Equals<typeof rstrOut, (string | undefined)[]>>();
mu32.setMany(new Uint32Array([1, 2]), [3, 4]);
mi64.setMany(new BigInt64Array([-1n]), new BigInt64Array([1n]));
mi64.setMany([-1, -2n], [1, 2n]);
mu64.setMany([1], new BigUint64Array([1n]));
mstrstr.setMany(["a", "b"], ["c", "d"]);
mbytes.setMany([new Uint8Array(1)], [new Uint8Array(2)]);
mstr.deleteMany(["key-1"]);

// ------------------------------------------------------------ lifetime

m.clear();
m.shrink();
const freed: boolean = m.freed;
void freed;
m.free();
const pin: Pin = rt.pin(mu32);
pin.unpin();
rt.keepAlive(mu32);
const report: CompactionReport = await rt.compact();
const moved: number = report.maps + report.entries + report.before.linearBytes + report.after.heapInuse + report.copyMs;
void moved;
const bounded: CompactOptions = { maxPeakMemory: "512MiB" };
const bytesBound: CompactOptions = { maxPeakMemory: 1 << 29 };
await rt.compact(bounded);
await rt.compact(bytesBound);
// @ts-expect-error an unknown option
await rt.compact({ maxPeak: 1 });

// ------------------------------------------------------------ pools

const requests = rt.pool({ key: "u32", value: "u32", generation: "transient" });
expectTrue<Equals<typeof requests, MapPool<"u32", "u32">>>();
const pooled = requests.get();
expectTrue<Equals<typeof pooled, GoMap<"u32", "u32">>>();
pooled.set(1, 2);
requests.put(pooled);
const stats: PoolStats = requests.stats();
const { hits, misses } = requests.stats();
const counters: number =
  hits + misses + stats.gets + stats.puts + stats.dropped + stats.idle + stats.victims + stats.hint;
const statsGen: Generation = stats.generation;
const statsKind: KindName = stats.key;
requests.drain();
requests.close();
expectTrue<Equals<typeof requests.key, "u32">>();
expectTrue<Equals<typeof requests.generation, Generation>>();
const poolNumbers: number = requests.hint + requests.maxIdle;
const poolOptions: PoolOptions<"string", "bytes"> = {
  key: "string",
  value: "bytes",
  generation: "stable",
  hint: 4,
  maxIdle: 2,
};
const blobs = rt.pool(poolOptions);
expectTrue<Equals<ReturnType<typeof blobs.get>, GoMap<"string", "bytes">>>();
const generations: Generation[] = ["transient", "transaction", "stable"];
const defaults: number = GENERATIONS.transaction.hint + GENERATIONS.stable.maxIdle;
void [counters, statsGen, statsKind, poolNumbers, generations, defaults];

// ------------------------------------------------------------ inspection

const info: MapInspection = rt.inspect(m);
const layout: BucketLayout = info.bucketLayout;
const infoNumbers: number =
  info.B +
  info.count +
  info.noverflow +
  info.buckets +
  info.overflowBuckets +
  info.nevacuate +
  info.bucketBytes +
  layout.size +
  layout.tophash +
  layout.keys +
  layout.values +
  layout.overflow +
  info.tophash.emptyRest +
  info.tophash.emptyOne +
  info.tophash.live +
  info.tophash.evacuatedX +
  info.tophash.evacuatedY +
  info.tophash.evacuatedEmpty;
const infoFlags: boolean = info.growing || info.sameSizeGrow;
const bucketsInfo: BucketsInspection = rt.inspectBuckets(m);
const sentinels: TophashValues = bucketsInfo.tophashValues;
const sentinelNumbers: number = sentinels.emptyRest + sentinels.emptyOne + sentinels.evacuatedX + sentinels.minTopHash;
const current: BucketArrayTophash | null = bucketsInfo.current;
if (current) {
  const tophash: Uint8Array = current.tophash;
  const chains: Uint32Array = current.chainLength;
  const n: number = current.B + current.nbuckets;
  void [tophash, chains, n];
}
const old: BucketArrayTophash | null = bucketsInfo.old;
const heap: HeapInspection = rt.inspectHeap();
const span: HeapSpan | undefined = heap.spans[0];
if (span) {
  const state: "inuse" | "free" | "meta" = span.state;
  const spanNumbers: number = span.address + span.pages + span.bytes + span.sizeClass + span.slots + span.allocated;
  void [state, spanNumbers];
}
const classSummary: HeapClassSummary | undefined = heap.classes[0];
const arena: number = heap.arena.start + heap.arena.end + heap.arena.bytes;
const classes: SpanClassRow[] = rt.spanClasses();
void [infoNumbers, infoFlags, old, classSummary, arena, classes, sentinelNumbers];

// ------------------------------------------------------------ MemStats and profiles

const s: MemStats = rt.readMemStats();
const identities: boolean = s.HeapSys === s.HeapInuse + s.HeapIdle && s.Mallocs - s.Frees === s.HeapObjects;
const gcNumbers: number =
  s.NumGC + s.NumForcedGC + s.PauseTotalNs + s.NextGC + s.LastGC + s.GCCPUFraction + s.Sys + s.HeapAlloc + s.TotalAlloc;
const pauses: number[] = s.PauseNs;
const enabled: boolean = s.EnableGC && !s.DebugGC;
const bySize: BySizeEntry | undefined = s.BySize[11];
const sizeOf11: number | undefined = s.BySize[11]?.Size;
void [identities, gcNumbers, pauses, enabled, bySize, sizeOf11];

const gz = await rt.heapProfile();
expectTrue<Same<typeof gz, Uint8Array>>();
const asOf: ProfileAsOf = "now";
const profileOptions: HeapProfileOptions = { asOf, rate: 1 };
await rt.heapProfile(profileOptions);
await rt.heapProfile({ asOf: "gc" });

// ------------------------------------------------------------ unsafe (trusted runtimes)

const trusted = await Runtime.create({ trusted: true });
const u: Unsafe = trusted.unsafe;
const um = trusted.map({ key: "u64", value: "u64" });
const seen: string[] = [];
const onAssign: AssignHook = (key, inserted) => {
  expectTrue<Equals<typeof key, bigint>>();
  seen.push(`${inserted ? "+" : "="}${key}`);
};
const onDelete: DeleteHook = (key) => void seen.push(`-${key}`);
u.onAssign(um, onAssign);
u.onDelete(um, onDelete);
u.onAssign(um, null);
u.onDelete(um, null);
const L: MapLayout = u.layout(um);
const field: FieldLayout = L.hmap.fields.buckets;
const fieldName: HmapField = "buckets";
const sameField: FieldLayout = L.hmap.fields[fieldName];
void sameField;
const shape: BucketShape = L.bucket;
const whole: UnsafeLayout = u.layout();
const layoutNumbers: number = field.offset + field.size + shape.size + shape.keySize + L.keySize + whole.pointerSize;
const ptr: UnsafePointer = u.pointer(um);
const address: number = ptr.address + +ptr;
const slot: UnsafePointer | null = u.slot(um, 7n);
slot?.store(1n);
const loaded: number | bigint | string | Uint8Array | undefined = slot?.load();
const views: UnsafeBuckets = u.buckets(um);
const arr: UnsafeArray = views.current;
const viewNumbers: number =
  views.B +
  views.nbuckets +
  views.bucketSize +
  views.nevacuate +
  views.bucket(0) +
  views.tophash(0, 0) +
  views.overflow(0) +
  views.keyAddress(0, 0) +
  views.valueAddress(0, 0) +
  arr.address +
  arr.bytes.length;
views.key(0, 0);
views.value(0, 0);
const stale: boolean = u.isStale(views) || u.isStale(ptr);
const zeroed: number = u.zeroValues(um) + u.zeroValues(um, [1n, 2]);
const unsafePin = u.pin(um);
u.unpin(unsafePin);
u.keepAlive(ptr);
const view = new DataView(u.memory.buffer);
const entryPoints: readonly string[] = UNSAFE_ENTRY_POINTS;
const envVar: string = TRUST_ENV_VAR;
void [layoutNumbers, address, loaded, viewNumbers, stale, zeroed, view, entryPoints, envVar];

// ------------------------------------------------------------ errors

declare const e: unknown;
if (e instanceof GomapError) {
  const message: string = e.message;
  const name: string = e.name;
  const asError: Error = e;
  void [message, name, asError];
}
if (e instanceof InvalidOptionError) expectTrue<Equals<typeof e.option, string>>();
if (e instanceof InvalidArgumentError) expectTrue<Equals<typeof e.argument, string>>();
if (e instanceof OutOfMemoryError) {
  expectTrue<Equals<typeof e.requested, number>>();
  expectTrue<Equals<typeof e.maxMemory, number>>();
  // Batch calls: how many entries were done before memory ran out.
  expectTrue<Equals<typeof e.done, number | undefined>>();
  const gomap: GomapError = e;
  void gomap;
}
if (e instanceof RuntimeAbortError) {
  const where: string = `${e.file}:${e.line}:${e.column}`;
  const dump: readonly string[] = e.dump;
  void [where, dump];
}
if (e instanceof RuntimeDeadError) {
  const reason: RuntimeAbortError | CoreTrapError = e.reason;
  void reason;
}
if (e instanceof CompactionMemoryError) {
  const peak: number = e.peakBytes + e.oldBytes;
  const bound: number | undefined = e.maxPeakMemory;
  const oom: OutOfMemoryError = e;
  void [peak, bound, oom];
}
if (e instanceof CoreTrapError) {
  const what: string = e.operation;
  const fatal: boolean = e.fatal;
  void [what, fatal];
}
if (e instanceof UnsafeNotAllowedError) {
  const entry: string = e.entry;
  const failed: readonly string[] = e.failed;
  void [entry, failed];
}
if (e instanceof WasmLoadError) {
  const url: string = e.url;
  const status: number = e.status;
  const contentType: string = e.contentType;
  void [url, status, contentType];
}
const errorClasses: (new (...args: never[]) => GomapError)[] = [
  InvalidOptionError,
  OutOfMemoryError,
  RuntimeAbortError,
  RuntimeDeadError,
  InvalidArgumentError,
  UseAfterFreeError,
  WrongRuntimeError,
  ConcurrentMapWriteError,
  IteratorInvalidatedError,
  UnsafeNotAllowedError,
  StaleViewError,
  ReentrantCallError,
  WasmLoadError,
  RuntimeClosedError,
];
void errorClasses;

// ------------------------------------------------------------ close

rt.close();
trusted.close();
