// status.ts — every result code a map operation hands back to the host,
// defined once. The host (src/status.ts) keeps the same numbers for its hot
// paths and checks them against the exported MapStatus enum when it loads
// the core, so the two can never drift apart.
//
//   operation                     returns
//   mapaccess (get/has)           value slot address, or SLOT_ABSENT (0), or SLOT_CONCURRENT (1)
//   mapassign (set)               value slot address, or SLOT_OOM (0), or SLOT_CONCURRENT (1)
//   mapdelete                     Delete.*
//   mapshrink                     Shrink.*
//   setMany/getMany/deleteMany    entries done; Batch.* in lastBatchStatus when short
//   mapiternext, zeroValues       a count, or COUNT_CONCURRENT
//
// "CONCURRENT" is Go's "concurrent map writes" / "concurrent map read and
// map write": the map's hashWriting flag was set when the call began; the
// call changed nothing.

// mapaccess / mapassign return an address (> 1), so 0 and 1 are free for these.
/** mapaccess: the key is absent. */
// @ts-ignore: decorator
@inline export const SLOT_ABSENT: usize = 0;
/** mapassign: out of memory (nothing changed). */
// @ts-ignore: decorator
@inline export const SLOT_OOM: usize = 0;
// @ts-ignore: decorator
@inline export const SLOT_CONCURRENT: usize = 1;

export const enum Delete {
  ABSENT = 0,
  DELETED = 1,
  /** The evacuation a delete does first could not get memory: nothing deleted. */
  OOM = 2,
  CONCURRENT = 3,
}

export const enum Shrink {
  OK = 0,
  OOM = 1,
  CONCURRENT = 2,
}

export const enum Batch {
  OK = 0,
  OOM = 1,
  CONCURRENT = 2,
}

/** Calls that return a count (mapiternext, zeroValues): a write is in progress. */
// @ts-ignore: decorator
@inline export const COUNT_CONCURRENT: u32 = 0xffffffff;

/** The codes above, exported for the host's check at load. */
export enum MapStatus {
  SLOT_ABSENT = <i32>SLOT_ABSENT,
  SLOT_OOM = <i32>SLOT_OOM,
  SLOT_CONCURRENT = <i32>SLOT_CONCURRENT,
  DELETE_ABSENT = Delete.ABSENT,
  DELETE_DELETED = Delete.DELETED,
  DELETE_OOM = Delete.OOM,
  DELETE_CONCURRENT = Delete.CONCURRENT,
  SHRINK_OK = Shrink.OK,
  SHRINK_OOM = Shrink.OOM,
  SHRINK_CONCURRENT = Shrink.CONCURRENT,
  BATCH_OK = Batch.OK,
  BATCH_OOM = Batch.OOM,
  BATCH_CONCURRENT = Batch.CONCURRENT,
  /** COUNT_CONCURRENT as an i32 (the host reads it >>> 0). */
  COUNT_CONCURRENT = -1,
}
