// seqlock.ts — the writer side of the shared-memory readers' protocol.
//
// A runtime made with `shared: true` (src/runtime.ts) backs its memory with
// a shared WebAssembly.Memory; other threads look maps up in JS over views
// of it, with no lock (src/reader.ts). The owning thread is the only
// writer. Two kinds of sequence words, each odd while a write it covers is
// in progress and even otherwise (docs/shared.md has the protocol and the
// proof sketch):
//
//   - the map word: bumped around every structural change — the bucket
//     array allocated or replaced (lazy first array, hashGrow, the end of
//     growth when oldbuckets is dropped, shrink), clear, hash0 reseeded,
//     free (retireMap), and whole-map writes (unsafe zeroing). Every field
//     of the hmap a reader uses to find a chain (hash0, B, flags'
//     sameSizeGrow, buckets, oldbuckets, the kinds of typ) changes only
//     inside a map bracket, and memory a reader could reach through the
//     map is unlinked only inside one.
//   - the group words: SEQ_GROUPS per map. A key of hash x is in group
//     x & groupMask(B), where groupMask(B) = (SEQ_GROUPS - 1) & (bucket
//     mask >> 1): the low bits shared by the bucket index of x in the new
//     array (mask 2^B - 1) and in the old one (2^(B-1) - 1 when doubling,
//     2^B - 1 for a same-size grow). So every bucket a lookup of x reads
//     (its old bucket, its new bucket, their overflow chains) is in x's
//     group, and an evacuation of old bucket i, which writes old i and new
//     i and i + 2^(B-1), stays in group i & groupMask(B). Chain writes —
//     insert, update, delete, evacuate — bump the group word of every
//     bucket they touch and nothing else.
//
// Readers check both: the map word, then (after reading the hmap) the
// group word of their key, the chain, the group word again, the map word
// again.
//
// The words are striped, not per map: SEQ_STRIPES map words, map h using
// (h >> 5) & (SEQ_STRIPES - 1) (hmaps are 32-byte objects, so consecutive
// maps take consecutive words), and GROUP_WORDS group words in
// GROUP_SLOTS = GROUP_WORDS / SEQ_GROUPS slots, map h's group g using word
// g * GROUP_SLOTS + ((h >> 5) & (GROUP_SLOTS - 1)). The words of one map
// are interleaved with other maps' (a 64-byte line holds group g of 16
// slots), so each of a map's groups has a cache line of its own: a reader
// of group g and the writer of group g' != g share no line (docs/shared.md:
// what the words cost; with the 64 words of a map side by side, every
// write made the next lookup miss). Per-map words
// would grow every hmap of every runtime; two maps sharing a word only
// cost each other's readers retries. No bracket ever nests inside another
// on the same word: the writer is one thread and a bracket covers one
// map's change (shrink's scratch map, filled inside the shrunk map's map
// bracket, bumps no word at all: mapshrink turns sharedReaders off while it
// fills it).
//
// Word 0 of the table is the runtime's control word: CONTROL_CLOSED once
// the host closed the runtime, 2 once the host saw it die (src/boundary.ts:
// it may have died inside a bracket, leaving a word odd); readers throw on
// any value but 0. A restore zeroes the whole table (src/runtime.ts). A
// freed map keeps its hmap
// (the host keeps it rooted) with the kinds of hmap.typ cleared
// (retireMap): readers see the kinds change and throw.
//
// An assign leaves its key's group word open: the host stores the value in
// the slot the core returns, then closes the word whose index the core left
// in the pending slot (src/map.ts; core callers use closePending).
//
// Non-shared runtimes pay one predictable branch per bracket, as many as
// before the words were striped: one per assign, two per delete, plus two
// per evacuated bucket and per structural change.

import { hmap, TYP_GEN_SHIFT, setBuckets, setOldbuckets, setExtra, bucketMask } from "./hmap";

// @ts-ignore: decorator
@inline export const SEQ_STRIPES: u32 = 256;
/** Group words per map (a power of 2). */
// @ts-ignore: decorator
@inline export const SEQ_GROUPS: u32 = 64;
/** Group words in all (a power of 2, a multiple of SEQ_GROUPS). */
// @ts-ignore: decorator
@inline export const GROUP_WORDS: u32 = 2048;
/** The control word's value once the runtime is closed. */
// @ts-ignore: decorator
@inline export const CONTROL_CLOSED: u32 = 1;

// The table (bytes): 0 the control word, 64 the pending slot (each on its
// own cache line: readers load the control word on every call, the writer
// stores the pending slot on every assign), 128 the map words, then the
// group words.
// @ts-ignore: decorator
@inline const PENDING_OFF: usize = 128;
// @ts-ignore: decorator
@inline const MAP_OFF: usize = 256;
// @ts-ignore: decorator
@inline const GROUP_OFF: usize = MAP_OFF + (<usize>SEQ_STRIPES << 2);

const seqTable: usize = memory.data(<i32>(GROUP_OFF + (<usize>GROUP_WORDS << 2)), 128);

/** Are there readers in other threads (a shared runtime)? */
export let sharedReaders: bool = false;

export function setShared(on: bool): void { sharedReaders = on; }

/** The address of map h's map word. */
// @ts-ignore: decorator
@inline export function seqWord(h: usize): usize {
  return seqTable + MAP_OFF + (((h >>> 5) & (SEQ_STRIPES - 1)) << 2);
}

/** The group mask of a map with B: the low hash bits that pick a group. */
// @ts-ignore: decorator
@inline export function groupMask(B: u32): usize {
  return (<usize>SEQ_GROUPS - 1) & (bucketMask(B) >>> 1);
}

/** Slots in the group table: group g of map h is word g * GROUP_SLOTS + slot(h). */
// @ts-ignore: decorator
@inline export const GROUP_SLOTS: u32 = GROUP_WORDS / SEQ_GROUPS;

/** The index (in group words) of map h's group 0: its slot. */
// @ts-ignore: decorator
@inline export function groupBase(h: usize): usize {
  return (h >>> 5) & (GROUP_SLOTS - 1);
}

/** The address of the group word of bucket index (or hash) x of map h with B. */
// @ts-ignore: decorator
@inline export function groupWord(h: usize, x: usize, B: u32): usize {
  return seqTable + GROUP_OFF + ((((x & groupMask(B)) * GROUP_SLOTS) + groupBase(h)) << 2);
}

/** The group table's address (readers index it). */
export function groupTable(): usize { return seqTable + GROUP_OFF; }

/** The pending slot's address: the index (in 32-bit words) of the group
 *  word the last assign left open. */
export function pendingSlot(): usize { return seqTable + PENDING_OFF; }

/** The control word's address (readers load it on every call). */
export function controlWord(): usize { return seqTable; }

/** Mark the runtime closed for readers. */
export function closeShared(): void { atomic.store<u32>(seqTable, CONTROL_CLOSED); }

/** Start a structural write of map h: the map word becomes odd before
 *  anything of the map changes. An atomic read-modify-write is
 *  sequentially consistent, and on x86 (lock xadd) and ARMv8.1+ (LDADDAL)
 *  it also keeps every later plain store (this write's, and any later
 *  reuse of memory this write makes unreachable) from being seen before
 *  it. No atomic.fence: binaryen's optimiser removes it (docs/shared.md:
 *  what the protocol assumes). */
// @ts-ignore: decorator
@inline export function seqOpen(h: usize): void {
  if (sharedReaders) atomic.add<u32>(seqWord(h), 1);
}

/** Start fetching the line of the group word of bucket index or hash x
 *  for writing, long before the bracket opens: a plain store of the value
 *  the word holds (the writer is the only one: readers can see no other
 *  value). The locked add that opens the bracket then finds the line
 *  already this core's instead of waiting for it. */
// @ts-ignore: decorator
@inline export function groupWarm(h: usize, x: usize, B: u32): void {
  if (sharedReaders) {
    let w = groupWord(h, x, B);
    store<u32>(w, load<u32>(w));
  }
}

/** End a structural write of map h: every store before it is visible
 *  before the word is even again (a sequentially consistent RMW). */
// @ts-ignore: decorator
@inline export function seqClose(h: usize): void {
  if (sharedReaders) atomic.add<u32>(seqWord(h), 1);
}

/** Start a chain write of map h (with B) in the group of bucket index or
 *  hash x. */
// @ts-ignore: decorator
@inline export function groupOpen(h: usize, x: usize, B: u32): void {
  if (sharedReaders) atomic.add<u32>(groupWord(h, x, B), 1);
}

/** End the chain write groupOpen(h, x, B) started. */
// @ts-ignore: decorator
@inline export function groupClose(h: usize, x: usize, B: u32): void {
  if (sharedReaders) atomic.add<u32>(groupWord(h, x, B), 1);
}

/** Start an assign's chain write, left open for the value's store: the
 *  word's index goes to the pending slot (closePending, or the host). */
// @ts-ignore: decorator
@inline export function groupOpenPending(h: usize, x: usize, B: u32): void {
  if (sharedReaders) {
    let w = groupWord(h, x, B);
    store<u32>(seqTable + PENDING_OFF, <u32>(w >>> 2));
    atomic.add<u32>(w, 1);
  }
}

/** End the write the last assign left open (after the value's store). */
export function closePending(): void {
  if (sharedReaders) atomic.add<u32>(<usize>load<u32>(seqTable + PENDING_OFF) << 2, 1);
}

/** Free a shared map for good: its arrays are dropped (the collector frees
 *  them), and the key and value kinds of hmap.typ become 0 so readers see
 *  the map is gone. The host keeps the hmap itself rooted: its 32 bytes are
 *  never reused while a reader may look at it. */
export function retireMap(hp: usize): void {
  let h = changetype<hmap>(hp);
  seqOpen(hp);
  h.count = 0;
  h.B = 0;
  h.noverflow = 0;
  h.nevacuate = 0;
  setBuckets(h, 0);
  setOldbuckets(h, 0);
  setExtra(h, 0);
  h.typ = (h.typ & ~0xffff) + (<u32>1 << TYP_GEN_SHIFT);
  seqClose(hp);
}
