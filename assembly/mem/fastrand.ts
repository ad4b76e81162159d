// fastrand.ts — the runtime's one pseudo-random generator.
//
// Mirrors Go 1.19 runtime/stubs.go:fastrand (and its seeding in
// proc.go:mcommoninit). Go keeps one generator state per M (m.fastrand)
// and every part of the runtime draws from it: the map (hash0 on clear and
// on the last delete, incrnoverflow's coin, f64hash of NaN), the heap
// profiler (malloc.go:fastexprand), the scheduler. We have one M, so one
// state, here, drawn by:
//
//    map/hash.ts    hashKey of a NaN key (Go's f64hash: a fresh random hash)
//    map/make.ts    incrnoverflow (a 1/2^(B−15) coin for B >= 16)
//    map/clear.ts   mapclear's new hash0
//    map/delete.ts  the new hash0 when a delete empties the map
//    mem/mprof.ts   fastexprand (the gap to the next heap-profile sample)
//
// Their draws interleave, as in Go: a heap-profile sample changes which
// value the next mapclear takes as hash0. Nothing depends on one user's
// sequence; every use only needs values the host cannot predict without
// the seed. The file imports nothing, so it sits below every user in the
// import graph (mem/ → gc/ → map/): the allocator and the map share it
// without mem/ importing map/.
//
// The generator. Go 1.19 uses wyrand where math.Mul64 is one instruction
// (amd64, arm64, …) and, everywhere else — GOARCH=wasm included — a
// xorshift64+ over two 32-bit halves. WebAssembly has a 64×64→64-bit
// multiply but no 128-bit product, so we use xorshift64* (Marsaglia's
// xorshift, Vigna's multiplicative output): three shift-xors and one
// i64.mul per draw, 64 bits out, period 2^64 − 1.
//
//    x ^= x >> 12;  x ^= x << 25;  x ^= x >> 27;  out = x · 0x2545F4914F6CDD1D
//
// The high bits of `out` are the strongest, so fastrand() returns the top
// 32 and fastexprand takes its 26 bits from the top as well.
//
// Seeding. The host seeds the state once per instance, right after init,
// with 64 bits from crypto.getRandomValues (proc.ts:seedRandom, exported by
// index.ts). Before that the state is a fixed constant: what init's own
// draws (heap-profile samples of its allocations) see. Invariant: the
// state is never 0 (xorshift's one fixed point); a zero seed is replaced,
// as Go's mcommoninit replaces lo|hi == 0.

/** The state before seeding, and the stand-in for a zero seed. */
// @ts-ignore: decorator
@inline const DEFAULT_STATE: u64 = 0x853c49e6748fea9b;

let fastrandState: u64 = DEFAULT_STATE;

/** Seed the generator (Go: mcommoninit's m.fastrand). */
export function fastrandSeed(s: u64): void {
  fastrandState = s != 0 ? s : DEFAULT_STATE;
}

/** 64 random bits (Go: fastrand64). */
// @ts-ignore: decorator
@inline export function fastrand64(): u64 {
  let x = fastrandState;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  fastrandState = x;
  return x * 0x2545f4914f6cdd1d;
}

/** 32 random bits (Go: fastrand): the high half of fastrand64. */
// @ts-ignore: decorator
@inline export function fastrand(): u32 {
  return <u32>(fastrand64() >> 32);
}
