// seqlock.ts — the writer side of the shared-memory readers' protocol.
//
// A runtime made with `shared: true` (src/runtime.ts) backs its memory with
// a shared WebAssembly.Memory; other threads look maps up in JS over views
// of it, with no lock (src/reader.ts). The owning thread is the only
// writer. Around every write of a map the writer bumps that map's sequence
// word: odd while the write is in progress, even when it is done. A reader
// reads the word, does its lookup, reads it again, and keeps the answer
// only when both readings are the same even number (docs/shared.md has the
// protocol and the proof sketch).
//
// The words are striped, not per map: SEQ_STRIPES words in static memory,
// map h using word (h >> 5) & (SEQ_STRIPES - 1) (hmaps are 32-byte objects,
// so consecutive maps take consecutive words). A per-map word would make
// hmap 36 bytes, size class 48: 16 bytes more for every map of every
// runtime. Two maps sharing a word only cost each other's readers a retry.
//
// Word 0 of the table is the runtime's control word: CONTROL_CLOSED once
// the host closed the runtime (readers throw). A freed map keeps its hmap
// (the host keeps it rooted) with the kinds of hmap.typ cleared
// (retireMap): readers see the kinds change and throw.
//
// Non-shared runtimes pay one predictable branch per write (sharedReaders).

import { hmap, TYP_GEN_SHIFT, setBuckets, setOldbuckets, setExtra } from "./hmap";

// @ts-ignore: decorator
@inline export const SEQ_STRIPES: u32 = 1024;
/** The control word's value once the runtime is closed. */
// @ts-ignore: decorator
@inline export const CONTROL_CLOSED: u32 = 1;

/** The table: word 0 is the control word, words 1..SEQ_STRIPES the stripes. */
const seqTable: usize = memory.data(<i32>((SEQ_STRIPES + 1) << 2), 64);

/** Are there readers in other threads (a shared runtime)? */
export let sharedReaders: bool = false;

export function setShared(on: bool): void { sharedReaders = on; }

/** The address of map h's sequence word. */
// @ts-ignore: decorator
@inline export function seqWord(h: usize): usize {
  return seqTable + 4 + (((h >>> 5) & (SEQ_STRIPES - 1)) << 2);
}

/** The control word's address (readers load it on every call). */
export function controlWord(): usize { return seqTable; }

/** Mark the runtime closed for readers. */
export function closeShared(): void { atomic.store<u32>(seqTable, CONTROL_CLOSED); }

/** Start a write of map h: the word becomes odd before anything of the map
 *  changes. An atomic read-modify-write is sequentially consistent, and on
 *  x86 (lock xadd) and ARMv8.1+ (LDADDAL) it also keeps every later plain
 *  store (this write's, and any later reuse of memory this write makes
 *  unreachable) from being seen before it. No atomic.fence: binaryen's
 *  optimiser removes it (docs/shared.md: what the protocol assumes). */
// @ts-ignore: decorator
@inline export function seqOpen(h: usize): void {
  if (sharedReaders) atomic.add<u32>(seqWord(h), 1);
}

/** End a write of map h: every store before it is visible before the word
 *  is even again (a sequentially consistent read-modify-write). */
// @ts-ignore: decorator
@inline export function seqClose(h: usize): void {
  if (sharedReaders) atomic.add<u32>(seqWord(h), 1);
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
