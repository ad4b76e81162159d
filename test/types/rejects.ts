// What a strict consumer must NOT be able to write. Each `@ts-expect-error`
// fails the type test if the line below it compiles (an "unused directive"
// error), so every line here is one thing the public types must reject.
// Keep each rejected line minimal: one possible error, the intended one.
import * as api from "gomap-wasm";
import { Runtime, GoMap, MapPool, Pin, Unsafe, UnsafePointer, UnsafeBuckets, type OutOfMemoryError } from "gomap-wasm";
import { expectTrue, type Equals } from "./assert.js";

const rt = await Runtime.create();
const m32 = rt.map({ key: "u32", value: "u32" });
const mi32 = rt.map({ key: "i32", value: "f64" });
const m64 = rt.map({ key: "u64", value: "f64" });
const mstr = rt.map({ key: "string", value: "string" });
const mbytes = rt.map({ key: "bytes", value: "i64" });
const mf64 = rt.map({ key: "f64", value: "bytes" });

// ------------------------------------------------------------ keys of the wrong kind

// @ts-expect-error a string key on a u32 map
m32.set("1", 1);
// @ts-expect-error a bigint key on a u32 map
m32.set(1n, 1);
// @ts-expect-error a bigint key on a u32 map
m32.get(1n);
// @ts-expect-error a string key on a u32 map
m32.has("1");
// @ts-expect-error a bigint key on a u32 map
m32.delete(1n);
// @ts-expect-error a bigint key on an i32 map
mi32.set(1n, 1);
// @ts-expect-error a string key on a u64 map
m64.set("7", 2.5);
// @ts-expect-error a string key on a u64 map
m64.has("7");
// @ts-expect-error a number key on a string map
mstr.set(1, "x");
// @ts-expect-error a number key on a string map
mstr.get(1);
// @ts-expect-error a string key on a bytes map
mbytes.set("a", 1n);
// @ts-expect-error a bigint key on an f64 map
mf64.set(1n, new Uint8Array(0));
// @ts-expect-error an array of strings as a u32 map's batch keys
m32.setMany(["1"], [1]);
// @ts-expect-error a BigUint64Array as a u32 map's batch keys
m32.getMany(new BigUint64Array(1));
// @ts-expect-error a Float64Array as a string map's batch keys
mstr.deleteMany(new Float64Array(1));

// ------------------------------------------------------------ values of the wrong kind

// @ts-expect-error a string value on a u32 map
m32.set(1, "2");
// @ts-expect-error a bigint value on a u32 map
m32.set(1, 2n);
// @ts-expect-error a bigint value on an f64-valued map
m64.set(7, 2n);
// @ts-expect-error a number value on a string-valued map
mstr.set("a", 1);
// @ts-expect-error a string value on an i64-valued map
mbytes.set(new Uint8Array(0), "1");
// @ts-expect-error a string value on a bytes-valued map
mf64.set(1, "x");
// @ts-expect-error batch values of the wrong kind
m32.setMany([1], ["1"]);
// @ts-expect-error a u32 map's get gives numbers, not bigints
const notBigint: bigint | undefined = m32.get(1);
// @ts-expect-error a u64 map's keys come back as bigints, never numbers
const notNumberKey: number = [...m64.keys()][0]!;
// @ts-expect-error an f64 map's getMany gives a Float64Array, not a Uint32Array
const notU32: Uint32Array = m64.getMany([1]);
// @ts-expect-error a string map's getMany gives an array, not a typed array
const notTyped: Float64Array = mstr.getMany(["a"]);
// @ts-expect-error a bytes-valued map gives Uint8Array | undefined, not strings
const notStrings: (string | undefined)[] = mf64.getMany([1]);
// @ts-expect-error an Int32Array out for a u32-valued map
m32.getMany([1], new Int32Array(1));

// ------------------------------------------------------------ options

// @ts-expect-error an unknown key kind
rt.map({ key: "u128", value: "u32" });
// @ts-expect-error an unknown value kind
rt.map({ key: "u32", value: "number" });
// @ts-expect-error the value kind is required
rt.map({ key: "u32" });
// @ts-expect-error an unknown map option
rt.map({ key: "u32", value: "u32", capacity: 8 });
// @ts-expect-error hint is a number
rt.map({ key: "u32", value: "u32", hint: "8" });
// @ts-expect-error an unknown runtime option
await Runtime.create({ maxMem: "1GiB" });
// @ts-expect-error gcPercent is a number or "off"
await Runtime.create({ gcPercent: "on" });
// @ts-expect-error maxMemory is bytes or a size string
await Runtime.create({ maxMemory: true });
// @ts-expect-error the core is not a number
await Runtime.create({ wasm: 42 });
// @ts-expect-error an unknown pool generation
rt.pool({ key: "u32", value: "u32", generation: "forever" });
// @ts-expect-error a pool needs a generation
rt.pool({ key: "u32", value: "u32" });
const pool = rt.pool({ key: "u32", value: "u32", generation: "transient" });
// @ts-expect-error a pool of u32→u32 maps takes back only u32→u32 maps
pool.put(mstr);
// @ts-expect-error an unknown heap profile option
await rt.heapProfile({ asOf: "later" });
// @ts-expect-error setGCPercent takes a number or "off"
rt.setGCPercent("on");

// ------------------------------------------------------------ constructors: use rt.map / rt.pool / rt.pin / rt.unsafe

// A `new` with no arguments would fail against a public constructor that
// takes some too; so also: none of these classes is newable from outside
// (a private constructor type is not assignable to a public one).
type Newable<C> = C extends new (...args: never[]) => unknown ? true : false;
expectTrue<Equals<Newable<typeof Runtime>, false>>();
expectTrue<Equals<Newable<typeof GoMap>, false>>();
expectTrue<Equals<Newable<typeof MapPool>, false>>();
expectTrue<Equals<Newable<typeof Pin>, false>>();
expectTrue<Equals<Newable<typeof Unsafe>, false>>();
expectTrue<Equals<Newable<typeof UnsafePointer>, false>>();
expectTrue<Equals<Newable<typeof UnsafeBuckets>, false>>();
// (the check itself: an ordinary class is newable)
expectTrue<Equals<Newable<typeof OutOfMemoryError>, true>>();

// @ts-expect-error private: Runtime.create()
new Runtime();
// @ts-expect-error private: rt.map(...)
new GoMap();
// @ts-expect-error private: rt.pool(...)
new MapPool();
// @ts-expect-error private: rt.pin(m)
new Pin();
// @ts-expect-error private: rt.unsafe
new Unsafe();
// @ts-expect-error private: rt.unsafe.pointer(m)
new UnsafePointer();
// @ts-expect-error private: rt.unsafe.buckets(m)
new UnsafeBuckets();

// ------------------------------------------------------------ internals are not published

// @ts-expect-error the hmap address is internal
m32.handle;
// @ts-expect-error the runtime side of a map is internal
m32.owner;
// @ts-expect-error the core's exports are internal
m32.ops;
// @ts-expect-error the victim-cache step is internal
pool.onCycleStart();
// @ts-expect-error parked maps are internal
pool.parked();
// @ts-expect-error no boundary is published
api.Boundary;
// @ts-expect-error no boundary accessor is published
api.boundaryOf;
// @ts-expect-error the map-internals symbol is not published
api.INTERNAL;
// @ts-expect-error the unsafe-access symbol is not published
api.UNSAFE;
// @ts-expect-error the kind table is internal
api.KINDS;
// @ts-expect-error the Unsafe factory is internal
api.createUnsafe;
// @ts-expect-error the core loader is internal
api.loadCore;
// @ts-expect-error the platform hook is internal
api.setPlatform;

// ------------------------------------------------------------ read-only members

// @ts-expect-error size is read-only
m32.size = 0;
// @ts-expect-error keyType is read-only
m32.keyType = "u32";
// @ts-expect-error maxMemory is read-only
rt.maxMemory = 1;
// @ts-expect-error closed is read-only
rt.closed = true;
declare const oom: OutOfMemoryError;
// @ts-expect-error done is read-only
oom.done = 1;
// @ts-expect-error requested is read-only
oom.requested = 1;

void [notBigint, notNumberKey, notU32, notTyped, notStrings];
