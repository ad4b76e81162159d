// Shared test helpers: a seeded PRNG, seed reporting, runtime creation.
import { expect } from "vitest";
import { Runtime } from "../src/node.js";
import { boundaryOf } from "../src/runtime.js";
import type { Boundary } from "../src/boundary.js";
import { mulberry32 } from "../src/random.js";
import { readMemStatsRecord } from "../src/records.js";

/** Seeded floats in [0, 1) for test streams (src/random.ts's mulberry32). */
export function prng(seed: number): () => number {
  const next = mulberry32(seed);
  return () => next() / 4294967296;
}

export function randInt(r: () => number, lo: number, hiInclusive: number): number {
  return lo + Math.floor(r() * (hiInclusive - lo + 1));
}

/** Seeds for a model test: GOMAP_SEED=<n> replays one; otherwise `count`
 *  fresh random seeds. */
export function seeds(count: number): number[] {
  const env = process.env.GOMAP_SEED;
  if (env) return [Number(env) >>> 0];
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push((Math.random() * 2 ** 32) >>> 0);
  return out;
}

/** Run fn(seed); on failure rethrow with the seed and how to replay it. */
export async function withSeed(seed: number, fn: (seed: number) => void | Promise<void>): Promise<void> {
  try {
    await fn(seed);
  } catch (e) {
    const err = e as Error;
    if (process.env.GOMAP_STACK) console.log(err.stack);
    err.message = `[seed ${seed}; replay with GOMAP_SEED=${seed}] ${err.message}`;
    throw err;
  }
}

/** expect(got).toEqual(want) for byte arrays, at memcmp speed: vitest's
 *  toEqual compares a typed array element by element, some µs each, which
 *  took a test with a few MB of values to 35 s (of a 120 s timeout) on a
 *  loaded machine. On a mismatch toEqual runs after all, for its diff. */
export function expectBytes(got: unknown, want: Uint8Array, what?: string): void {
  expect(got, what).toBeInstanceOf(Uint8Array);
  const g = got as Uint8Array;
  if (g.length !== want.length || Buffer.compare(g, want) !== 0) expect(g, what).toEqual(want);
}

export async function debugRuntime(
  maxMemory: string | number = "64MiB",
): Promise<{ rt: Runtime; b: Boundary; dbg: ReturnType<Boundary["requireDebug"]> }> {
  // Collector off: these tests mark and sweep by hand, and their raw
  // objects are not rooted.
  const rt = await Runtime.create({ debug: true, maxMemory, gcPercent: "off" });
  const b = boundaryOf(rt);
  return { rt, b, dbg: b.requireDebug("tests") };
}

/** slowMemStats fields that the heap walk recomputes, compared with
 *  readMemStats. Returns the mismatches. */
export function slowStatsMismatches(b: Boundary): string[] {
  const dbg = b.requireDebug("slowMemStats");
  const fast = readMemStatsRecord(b);
  const out = b.scratchBase;
  dbg.slowMemStats(out);
  const bad: string[] = [];
  for (const [name, i] of b.memStatFields) {
    const lo = b.readU32(out + i * 8),
      hi = b.readU32(out + i * 8 + 4);
    if (lo === 0xffffffff && hi === 0xffffffff) continue; // not recomputed
    const slow = lo + hi * 4294967296;
    if (slow !== fast[name]) bad.push(`${name}: fast ${fast[name]} slow ${slow}`);
  }
  return bad;
}

export const NOSCAN = true;

// Undoing the map hash (src/hash.ts), to aim keys at a bucket.

/** The inverse of an odd a modulo 2^32 (Newton's iteration). */
export function inverse(a: number): number {
  let x = a;
  for (let i = 0; i < 5; i++) x = Math.imul(x, 2 - Math.imul(a, x));
  return x;
}
/** Undo x ^= x >>> s. */
function unshift(x: number, s: number): number {
  let y = x;
  for (let i = s; i < 32; i += s) y = x ^ (y >>> s);
  return y >>> 0;
}
/** The inverse of mix32 (src/hash.ts). */
export function unmix32(x: number): number {
  x = unshift(x, 16);
  x = Math.imul(x, inverse(0x846ca68b));
  x = unshift(x, 15);
  x = Math.imul(x, inverse(0x7feb352d));
  return unshift(x, 16);
}
