// @ts-nocheck — AssemblyScript, not TypeScript (tsconfig.json includes bench/**/*.ts).
//
// The AssemblyScript-Map peer for bench/maps.mjs and bench/capacity.mjs:
// AssemblyScript's standard `Map<K,V>` (std/assembly/map.ts: a CloseTable,
// buckets of entry pointers + an insertion-ordered entries array) on
// AssemblyScript's own runtime (`--runtime incremental`: TLSF + ITCMS),
// built by bench/peer/build-peer.mjs with -O3 --noAssert.
//
// One "current" map per key shape lives in a global (a GC root); `fresh*`
// replaces it with a new empty map (the old one becomes garbage for the
// incremental collector). The host instantiates a fresh instance per
// repetition, so every repetition starts from an empty heap.
//
// Single-call exports (one JS->wasm call per operation):
//   u32 keys           set32(k, v)   get32(k) -> i32 (-1: absent)   del32(k)
//   53-bit keys as f64 set53(k, v)   get53(k) -> f64 (-1: absent)   del53(k)
//   64-bit keys as i64 set64(k, v)   get64(k) -> f64 (-1: absent)   del64(k)
//     (an i64 parameter takes a BigInt from JS; values are passed and
//      returned as f64, so no BigInt is made for them)
// AssemblyScript's Map.get throws on a missing key (it cannot return
// `undefined`), so every get is has() + get(): two probes of the table.
//
// Batch exports (one call per chunk; keys/values are u32 or u64 arrays the
// host copied into a region from `alloc`):
//   setMany32/64(keys, vals, n)  getMany32/64(keys, outVals, n) -> found
//   deleteMany32/64(keys, n) -> deleted
//
// Iteration: iter32/iter64 walk the whole map through the only public
// iteration AssemblyScript's Map has, keys() and values() (each builds an
// Array of every entry), and return the sum of the values; iterXor() is the
// XOR of the keys' low 32 bits (as JS's `x ^= Number(k)` computes it).
//
// String keys (`Map<string,u32>`; AssemblyScript strings are UTF-16): the
// host writes a key's UTF-16 code units into a region from `alloc` and
// passes (address, length in code units); every call makes a new
// AssemblyScript string from them (String.UTF16.decodeUnsafe: a managed
// allocation and a copy), which the map keeps on set and which is garbage
// after get/delete. Values are u32.
//   setS(p, len, v)   getS(p, len) -> i32 (-1: absent)   delS(p, len)
//   setManyS(tab, vals, n)  getManyS(tab, out, n) -> found  deleteManyS(tab, n)
//     tab: n pairs (address u32, length u32) of code units the host packed
//   iterS() -> sum of values; iterXor() -> sum of the keys' lengths

let m32 = new Map<u32, u32>();
let m64 = new Map<u64, u64>();
let ms = new Map<string, u32>();
let lastXor: i32 = 0;

/** Raw TLSF block (`heap.alloc`): not managed, never collected. The host
 *  allocates its batch staging region here once per instance. */
export function alloc(bytes: usize): usize {
  return heap.alloc(bytes);
}

/** A full collection of AssemblyScript's heap (ITCMS), so garbage of the
 *  previous repetition is not collected inside the next timed loop. */
export function collect(): void {
  __collect();
}

export function fresh32(): void {
  m32 = new Map<u32, u32>();
}
export function fresh64(): void {
  m64 = new Map<u64, u64>();
}
export function freshS(): void {
  ms = new Map<string, u32>();
}
export function sizeS(): i32 {
  return ms.size;
}
export function size32(): i32 {
  return m32.size;
}
export function size64(): i32 {
  return m64.size;
}
export function clear32(): void {
  m32.clear();
}
export function clear64(): void {
  m64.clear();
}

// ---------------------------------------------------------------- u32 keys

export function set32(k: u32, v: u32): void {
  m32.set(k, v);
}
export function get32(k: u32): i32 {
  return m32.has(k) ? <i32>m32.get(k) : -1;
}
export function has32(k: u32): bool {
  return m32.has(k);
}
export function del32(k: u32): bool {
  return m32.delete(k);
}

// ------------------------------------------ u64 keys, 53-bit, passed as f64

export function set53(k: f64, v: f64): void {
  m64.set(<u64>k, <u64>v);
}
export function get53(k: f64): f64 {
  const key = <u64>k;
  return m64.has(key) ? <f64>m64.get(key) : -1;
}
export function del53(k: f64): bool {
  return m64.delete(<u64>k);
}

// --------------------------------------- u64 keys, 64-bit, passed as BigInt

export function set64(k: u64, v: f64): void {
  m64.set(k, <u64>v);
}
export function get64(k: u64): f64 {
  return m64.has(k) ? <f64>m64.get(k) : -1;
}
export function del64(k: u64): bool {
  return m64.delete(k);
}

// ------------------------------------------------------------------ batches

export function setMany32(keys: usize, vals: usize, n: i32): void {
  const m = m32;
  for (let i = 0; i < n; i++) {
    m.set(load<u32>(keys + (<usize>i << 2)), load<u32>(vals + (<usize>i << 2)));
  }
}
export function getMany32(keys: usize, out: usize, n: i32): i32 {
  const m = m32;
  let found = 0;
  for (let i = 0; i < n; i++) {
    const k = load<u32>(keys + (<usize>i << 2));
    let v: u32 = 0;
    if (m.has(k)) {
      v = m.get(k);
      found++;
    }
    store<u32>(out + (<usize>i << 2), v);
  }
  return found;
}
export function deleteMany32(keys: usize, n: i32): i32 {
  const m = m32;
  let deleted = 0;
  for (let i = 0; i < n; i++) {
    if (m.delete(load<u32>(keys + (<usize>i << 2)))) deleted++;
  }
  return deleted;
}

export function setMany64(keys: usize, vals: usize, n: i32): void {
  const m = m64;
  for (let i = 0; i < n; i++) {
    m.set(load<u64>(keys + (<usize>i << 3)), load<u64>(vals + (<usize>i << 3)));
  }
}
export function getMany64(keys: usize, out: usize, n: i32): i32 {
  const m = m64;
  let found = 0;
  for (let i = 0; i < n; i++) {
    const k = load<u64>(keys + (<usize>i << 3));
    let v: u64 = 0;
    if (m.has(k)) {
      v = m.get(k);
      found++;
    }
    store<u64>(out + (<usize>i << 3), v);
  }
  return found;
}
export function deleteMany64(keys: usize, n: i32): i32 {
  const m = m64;
  let deleted = 0;
  for (let i = 0; i < n; i++) {
    if (m.delete(load<u64>(keys + (<usize>i << 3)))) deleted++;
  }
  return deleted;
}

// ---------------------------------------------------------------- iteration

export function iter32(): f64 {
  const ks = m32.keys();
  const vs = m32.values();
  let sum: f64 = 0;
  let x: i32 = 0;
  for (let i = 0, n = ks.length; i < n; i++) {
    x ^= <i32>unchecked(ks[i]);
    sum += <f64>unchecked(vs[i]);
  }
  lastXor = x;
  return sum;
}

export function iter64(): f64 {
  const ks = m64.keys();
  const vs = m64.values();
  let sum: f64 = 0;
  let x: i32 = 0;
  for (let i = 0, n = ks.length; i < n; i++) {
    // JS: x ^= Number(k) -- Number() rounds to the nearest double, ToInt32
    // takes that integer mod 2^32. f64.convert_i64_u rounds the same way.
    x ^= <i32><u64><f64>unchecked(ks[i]);
    sum += <f64>unchecked(vs[i]);
  }
  lastXor = x;
  return sum;
}

export function iterXor(): i32 {
  return lastXor;
}

// ------------------------------------------------------------- string keys

// @ts-expect-error: decorator
@inline function keyAt(p: usize, len: u32): string {
  return String.UTF16.decodeUnsafe(p, <usize>len << 1);
}

export function setS(p: usize, len: u32, v: u32): void {
  ms.set(keyAt(p, len), v);
}
export function getS(p: usize, len: u32): i32 {
  const k = keyAt(p, len);
  return ms.has(k) ? <i32>ms.get(k) : -1;
}
export function delS(p: usize, len: u32): bool {
  return ms.delete(keyAt(p, len));
}

export function setManyS(tab: usize, vals: usize, n: i32): void {
  const m = ms;
  for (let i = 0; i < n; i++) {
    const e = tab + (<usize>i << 3);
    m.set(keyAt(load<u32>(e), load<u32>(e, 4)), load<u32>(vals + (<usize>i << 2)));
  }
}
export function getManyS(tab: usize, out: usize, n: i32): i32 {
  const m = ms;
  let found = 0;
  for (let i = 0; i < n; i++) {
    const e = tab + (<usize>i << 3);
    const k = keyAt(load<u32>(e), load<u32>(e, 4));
    let v: u32 = 0;
    if (m.has(k)) {
      v = m.get(k);
      found++;
    }
    store<u32>(out + (<usize>i << 2), v);
  }
  return found;
}
export function deleteManyS(tab: usize, n: i32): i32 {
  const m = ms;
  let deleted = 0;
  for (let i = 0; i < n; i++) {
    const e = tab + (<usize>i << 3);
    if (m.delete(keyAt(load<u32>(e), load<u32>(e, 4)))) deleted++;
  }
  return deleted;
}

/** Sum of the values; iterXor() then returns the sum of the keys' lengths
 *  (the string loops' checksum: `x += k.length`). */
export function iterS(): f64 {
  const ks = ms.keys();
  const vs = ms.values();
  let sum: f64 = 0;
  let x: i32 = 0;
  for (let i = 0, n = ks.length; i < n; i++) {
    x += unchecked(ks[i]).length;
    sum += <f64>unchecked(vs[i]);
  }
  lastXor = x;
  return sum;
}

// ----------------------------------------------------------------- capacity

/** Insert keys start .. start+n-1 (value = key) into the u32 map. Traps
 *  (TLSF: unreachable, or abort "allocation too large") when the table
 *  cannot grow; the map's size then says how many entries it holds. */
export function fill32(start: u32, n: u32): void {
  const m = m32;
  for (let i: u32 = 0; i < n; i++) m.set(start + i, start + i);
}
