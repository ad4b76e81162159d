// @ts-nocheck — AssemblyScript, not TypeScript (tsconfig.json includes bench/**/*.ts).
//
// The peer allocator for bench/alloc.mjs: AssemblyScript's own runtime
// (`--runtime incremental`: TLSF + the ITCMS incremental collector), built by
// bench/peer/build-peer.mjs with -O3 --noAssert. Each loop runs inside wasm,
// as ours does (assembly/index.ts:allocMany), so no JS<->wasm call is timed.
// The host instantiates a fresh instance per repetition: every run starts
// from an empty heap.

/** TLSF's raw allocator (`heap.alloc` = `__alloc`): no object header, no
 *  zeroing, no collector. Returns how many allocations succeeded (TLSF traps
 *  rather than return 0, so this is `count` or a trap). */
export function allocMany(size: usize, count: u32): u32 {
  for (let i: u32 = 0; i < count; i++) {
    if (heap.alloc(size) == 0) return i;
  }
  return count;
}

/** Managed objects: `__new` (16-byte object header, zero-fills the payload,
 *  may run incremental GC steps) then `__pin`, so the collector cannot free
 *  them mid-loop and hand their blocks back to TLSF. Pinned objects are GC
 *  roots: every collection cycle walks all of them (itcms visitRoots). */
export function newPinnedMany(size: usize, count: u32): u32 {
  for (let i: u32 = 0; i < count; i++) {
    const p = __new(size, 0);
    if (p == 0) return i;
    __pin(p);
  }
  return count;
}

/** Managed objects left unreachable: the collector frees them as the loop
 *  runs and TLSF reuses their blocks (alloc + GC + free, not allocation). */
export function newGarbageMany(size: usize, count: u32): u32 {
  for (let i: u32 = 0; i < count; i++) {
    if (__new(size, 0) == 0) return i;
  }
  return count;
}
