// proc.ts — bringing the runtime up: init's order, and the one seed.
//
// Mirrors Go 1.19 runtime/proc.go:schedinit (mallocinit, gcinit,
// fastrandinit, then mcommoninit seeding m.fastrand) for our one M and one
// P. It is the only file besides the entries (index.ts, debug.ts) that
// reaches mem/, gc/ and map/ together, because starting the runtime means
// starting each layer in order; nothing below imports it.
//
// init(maxWasmPages), in this order:
//   1. mcacheInit: every span class points at emptymspan (mem/mcache.ts),
//      so the first allocation of a class takes the slow path.
//   2. typesInit, then mapTypesInit: the collector's type table
//      (gc/types.ts) and the map's layouts in it (map/hmap.ts). Before any
//      allocation: a scan object's type byte must name a defined type.
//   3. heapInit: the page map, the scratch area and the arena
//      (mem/mheap.ts). Fails when the cap is too small; minMemoryBytes
//      (mheap.ts, same arithmetic) tells the host how much it needs.
//   4. rootReserve(64): the root table (gc/roots.ts), the first heap
//      object.
//
// seedRandom(lo, hi), once, right after init (src/runtime.ts): seeds the
// runtime's one fastrand (mem/fastrand.ts) with 64 bits from the host's
// crypto.getRandomValues, then draws the heap profile's first countdown
// from it (Go: allocmcache draws mcache.nextSample after fastrandinit), so
// the first sample point depends on the seed like every later one.

import { mcacheInit } from "./mem/mcache";
import { heapInit } from "./mem/mheap";
import { fastrandSeed } from "./mem/fastrand";
import { resetNextSample } from "./mem/mprof";
import { typesInit } from "./gc/types";
import { rootReserve } from "./gc/roots";
import { mapTypesInit } from "./map/hmap";

/** Result codes of init. */
export enum InitResult {
  OK = 0,
  TOO_SMALL = 1,
}

/** Lay out the heap for a memory capped at maxWasmPages 64 KiB pages. */
export function init(maxWasmPages: u32): InitResult {
  mcacheInit();
  typesInit();
  mapTypesInit();
  if (!heapInit(maxWasmPages)) return InitResult.TOO_SMALL;
  if (!rootReserve(64)) return InitResult.TOO_SMALL;
  return InitResult.OK;
}

/** Seed fastrand with hi:lo and draw the first heap-profile countdown. */
export function seedRandom(lo: u32, hi: u32): void {
  fastrandSeed((<u64>hi << 32) | <u64>lo);
  resetNextSample();
}
