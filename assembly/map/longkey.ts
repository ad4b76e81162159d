// longkey.ts — looking up a string/bytes key longer than the scratch area
// without allocating.
//
// A probe key normally sits in the scratch area (64 KiB, mem/mheap.ts). A
// longer one used to be copied into a temporary heap object, so a lookup
// could run out of memory and kept its temporary alive until the next long
// argument. Instead the host now feeds the key through the scratch area a
// piece at a time and the core only hashes it (hashStart/hashWords/
// hashFinish: pieces of whole words give the same hash as the whole key),
// then names the candidates one by one: slots whose tophash and length
// match. The host compares each candidate's bytes with its own copy of the
// key and stops at the first equal one. Nothing is allocated, nothing is
// written, and the map's write flag is honoured as in mapaccess.
//
//   longHashBegin(h, n)        start hashing an n-byte key under h's seed
//   longHashFeed(p, len)       fold len bytes at p (inside the scratch area;
//                              a multiple of 8 except for the last piece)
//   mapaccessLong(h, n, skip)  value slot of the skip-th candidate (its
//                              bytes at longCandidate()), 0, or CONCURRENT

import { hmap, Flag, keyAt, valAt, overflowOf, tophash } from "./hmap";
import { hashStart, hashWords, hashFinish, seed1 } from "./hash";
import { lookupBucket } from "./access";
import { strLen, strPtr } from "./str";
import { matchTop, matchEmptyRest, firstSlot, dropFirst } from "./group";
import { SLOT_ABSENT, SLOT_CONCURRENT } from "./status";
import { scratchBase, SCRATCH_SIZE } from "../mem/mheap";

/** The map being hashed for, the key's length, bytes folded so far, the
 *  running state and second seed word, and the finished hash (once fed == n). */
let lkMap: usize = 0;
let lkLen: u32 = 0;
let lkFed: u32 = 0;
let lkState: u32 = 0;
let lkSeed1: u32 = 0;
let lkHash: u64 = 0;
/** Bytes of the last candidate mapaccessLong named. */
let lkCandidate: usize = 0;

/** Start hashing an n-byte key for map hp. */
export function longHashBegin(hp: usize, n: u32): void {
  lkMap = hp;
  lkLen = n;
  lkFed = 0;
  let hash0 = changetype<hmap>(hp).hash0;
  lkState = hashStart(n, hash0);
  lkSeed1 = seed1(hash0);
}

/** Fold the next len bytes of the key, at p in the scratch area. Every piece
 *  but the last holds whole words. A piece outside the scratch area, a
 *  partial word before the end, or bytes beyond the key are the host's bug:
 *  abort (the runtime is then dead) rather than read elsewhere. */
export function longHashFeed(p: usize, len: u32): void {
  if (p < scratchBase || <u64>p + <u64>len > <u64>scratchBase + <u64>SCRATCH_SIZE) {
    abort("longHashFeed: piece outside the scratch area");
  }
  let fed = <u64>lkFed + <u64>len;
  if (fed > <u64>lkLen || (fed < <u64>lkLen && (len & 3) != 0)) abort("longHashFeed: misaligned piece");
  let end = p + <usize>len;
  lkState = hashWords(lkState, lkSeed1, p, end);
  lkFed = <u32>fed;
  if (lkFed == lkLen) lkHash = hashFinish(lkState, lkSeed1, p + (<usize>len & ~<usize>3), end, lkLen);
}

/** The value slot of the skip-th slot whose tophash and length match the
 *  hashed key (its bytes: longCandidate()), SLOT_ABSENT when there are no
 *  more, SLOT_CONCURRENT while a write is in progress. The search is
 *  mapaccess's: the old bucket while not evacuated, emptyRest ends it. */
export function mapaccessLong<K, V>(hp: usize, n: u32, skip: u32): usize {
  let h = changetype<hmap>(hp);
  if (h.count == 0) return SLOT_ABSENT;
  if ((h.flags & <u8>Flag.hashWriting) != 0) return SLOT_CONCURRENT;
  if (hp != lkMap || n != lkLen || lkFed != lkLen) abort("mapaccessLong: the key was not hashed for this map");
  let hash = lkHash;
  let top = tophash(hash);
  let b = lookupBucket<K, V>(h, hash);
  do {
    let m = matchTop(b, top);
    while (m != 0) {
      let i = firstSlot(m);
      let k = load<i64>(keyAt<K>(b, i));
      if (strLen(k) == n) {
        if (skip == 0) {
          lkCandidate = strPtr(k);
          return valAt<K, V>(b, i);
        }
        skip--;
      }
      m = dropFirst(m);
    }
    if (matchEmptyRest(b) != 0) return SLOT_ABSENT;
    b = overflowOf<K, V>(b);
  } while (b != 0);
  return SLOT_ABSENT;
}

/** The bytes of the candidate mapaccessLong named last. */
export function longCandidate(): usize {
  return lkCandidate;
}
