// check.ts — checkTriColor (debug build).
//
// While marking, the hybrid barrier keeps the strong tri-colour invariant:
// no black object points to a white one. checkTriColor walks every marked
// scan object; a marked object still in the grey queue is grey (as is the
// unscanned rest of an object whose scan was cut, from its queued
// continuation on: mark.ts); every other marked object is black,
// and each pointer it holds must lead to a marked object. A violation dumps
// the edge and aborts.

import { mspan, SpanState, isBitSet, objIndex } from "../mem/span";
import { spanOf, arenaStartPage, arenaEndPage, spanStartingAt, nextPage } from "../mem/mheap";
import { isAllocated } from "../mem/mbitmap";
import { typeStride, typePtrMask } from "./types";
import { queuedFrom } from "./gcwork";
import { gcphase, Phase } from "./phase";

function isWhite(p: usize): bool {
  let s = spanOf(p);
  if (changetype<usize>(s) == 0) return false;
  let idx = objIndex(s, p);
  if (idx >= s.nelems || !isAllocated(s, idx)) return false;
  return !isBitSet(<usize>s.gcmarkBits, idx);
}

/** The number of black → white edges (each traced); 0 when the invariant
 *  holds or no cycle is marking. */
export function triColorViolations(): u32 {
  if (gcphase != Phase.MARK) return 0;
  let bad: u32 = 0;
  for (let page = arenaStartPage; page < arenaEndPage; page = nextPage(page)) {
    let s = spanStartingAt(page);
    if (changetype<usize>(s) != 0 && s.state == SpanState.INUSE && (s.spanclass & 1) == 0) {
      for (let i: u32 = 0; i < s.nelems; i++) {
        if (!isBitSet(<usize>s.gcmarkBits, i) || !isAllocated(s, i)) continue;
        let base = <usize>s.startAddr + <usize>i * <usize>s.elemsize;
        let end = base + <usize>s.elemsize;
        // Queued at base: all grey; queued inside (a continuation, mark.ts):
        // grey from there on; black before it.
        let greyFrom = queuedFrom(base, end);
        let typ = <u32>load<u8>(<usize>s.typeBytes + <usize>i);
        let stride = typeStride(typ);
        let mask = typePtrMask(typ);
        for (let e = base; e + stride <= end; e += stride) {
          if (e >= greyFrom) break;
          let m = mask;
          while (m != 0) {
            let w = <usize>ctz(m);
            let q = <usize>load<u32>(e + (w << 2));
            if (q != 0 && isWhite(q)) {
              trace("black → white: object, word address, target", 3, <f64>base, <f64>(e + (w << 2)), <f64>q);
              bad++;
            }
            m &= m - 1;
          }
        }
      }
    }
  }
  return bad;
}

/** Abort (with the edges traced) if a black object points to a white one. */
export function checkTriColor(): void {
  if (triColorViolations() != 0) throw new Error("checkTriColor: a black object points to a white one");
}
