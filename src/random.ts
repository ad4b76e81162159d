/**
 * Random numbers for the host.
 *
 * - cryptoRandom32: hash seeds and iteration starts from
 *   crypto.getRandomValues, 256 at a time (one call costs ~2.5 µs here,
 *   which per map or per iterator would dominate).
 * - mulberry32: a small seeded generator, for seeded maps' iteration order
 *   (and for tests and benchmarks that need reproducible streams).
 */

const pool = new Uint32Array(256);
let left = 0;

export function cryptoRandom32(): number {
  if (left === 0) {
    crypto.getRandomValues(pool);
    left = pool.length;
  }
  return pool[--left]!;
}

/** mulberry32 (Tommy Ettinger's public-domain generator): u32s from a seed. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}
