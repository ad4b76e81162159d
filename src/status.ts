/**
 * The result codes of the core's map operations (assembly/map/status.ts,
 * where each is defined and documented), as constants for the host's hot
 * paths. The boundary checks every one against the core's exported
 * `MapStatus` enum when it loads a core, and refuses a core that disagrees.
 */

/** mapaccess: absent (addresses are > 1). */
export const SLOT_ABSENT = 0;
/** mapassign: out of memory, nothing changed. */
export const SLOT_OOM = 0;
/** mapaccess / mapassign: a write is in progress. */
export const SLOT_CONCURRENT = 1;
export const DELETE_ABSENT = 0;
export const DELETE_DELETED = 1;
/** The evacuation a delete does first could not get memory: nothing deleted. */
export const DELETE_OOM = 2;
export const DELETE_CONCURRENT = 3;
export const SHRINK_OK = 0;
export const SHRINK_OOM = 1;
export const SHRINK_CONCURRENT = 2;
export const BATCH_OK = 0;
export const BATCH_OOM = 1;
export const BATCH_CONCURRENT = 2;
/** Calls that return a count (mapiternext, zeroValues): a write is in progress. */
export const COUNT_CONCURRENT = 0xffffffff;

/** Every code above by the name the core exports it under (MapStatus.*). */
export const MAP_STATUS: Readonly<Record<string, number>> = {
  SLOT_ABSENT,
  SLOT_OOM,
  SLOT_CONCURRENT,
  DELETE_ABSENT,
  DELETE_DELETED,
  DELETE_OOM,
  DELETE_CONCURRENT,
  SHRINK_OK,
  SHRINK_OOM,
  SHRINK_CONCURRENT,
  BATCH_OK,
  BATCH_OOM,
  BATCH_CONCURRENT,
  COUNT_CONCURRENT,
};
