// roots.ts — the root table: what the host holds.
//
// The host keeps every live GoMap, every pin and every live iterator's
// snapshot in a table of slots (src/roots.ts chooses the slot numbers); the
// core keeps the table itself as one heap object (a PTRARRAY) referenced by
// the global `rootsObj`. Marking starts by shading that one object, so root
// scanning is ordinary scanning, bounded like the rest.
//
// The core never holds a heap pointer across a return to the host, so there
// is no stack to scan: between calls, everything live is reachable from this
// table. Within a call, the collector may start a cycle or mark (inside an
// allocation), but mark termination — the only step after which unmarked
// objects are freed — happens only at safe points, the entry of an
// exported operation, when no core code holds a pointer (gc.ts:safePoint).

import { mallocgc } from "../mem/malloc";
import { allocAt, AllocSite } from "../mem/mprof";
import { ObjType } from "./types";
import { writePointer, bulkBarrierPreWrite } from "./barrier";
import { shade } from "./mark";
import { writeBarrierEnabled } from "./phase";

export let rootsObj: usize = 0;
export let rootsCap: u32 = 0;

/** Make the table hold at least n slots. False when out of memory. */
export function rootReserve(n: u32): bool {
  if (n <= rootsCap) return true;
  let cap = max<u32>(max<u32>(rootsCap << 1, n), 64);
  allocAt(AllocSite.rootReserve);
  let arr = mallocgc(<usize>cap << 2, ObjType.PTRARRAY);
  if (arr == 0) return false;
  if (rootsCap != 0) {
    bulkBarrierPreWrite(arr, rootsObj, <usize>rootsCap);
    memory.copy(arr, rootsObj, <usize>rootsCap << 2);
    if (writeBarrierEnabled) shade(rootsObj); // the old table: Yuasa, as for any overwritten pointer
  }
  rootsObj = arr;
  rootsCap = cap;
  return true;
}

/** Store p (0 to clear) in slot i; i < rootsCap. */
export function rootSet(i: u32, p: usize): void {
  writePointer(rootsObj + (<usize>i << 2), p);
}

export function rootGet(i: u32): usize {
  return <usize>load<u32>(rootsObj + (<usize>i << 2));
}

/** Grey the roots (Go: markroot), at the start of a cycle. */
export function markroots(): void {
  shade(rootsObj);
}
