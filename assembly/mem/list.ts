// list.ts — doubly-linked lists of span records.
//
// Mirrors Go's mSpanList (mheap.go, the list type Go used for mcentral
// before 1.15 replaced it with lock-free spanSets; a single-threaded heap
// keeps the simpler list). A list is a u32 head slot somewhere in memory;
// a span on a list remembers that slot's address in `listHead`, so it can be
// removed in O(1) without knowing which list it is on.
//
// Invariants: s.listHead != 0 iff s is on a list; head.prev == 0;
// x.next.prev == x for every x on a list.

import { mspan } from "./span";

// @ts-ignore: decorator
@inline export function listFirst(head: usize): mspan {
  return changetype<mspan>(<usize>load<u32>(head));
}

export function listPush(head: usize, s: mspan): void {
  if (!ASC_NO_ASSERT) assert(s.listHead == 0, "listPush: span already on a list");
  let first = load<u32>(head);
  s.next = first;
  s.prev = 0;
  if (first != 0) changetype<mspan>(<usize>first).prev = changetype<u32>(s);
  store<u32>(head, changetype<u32>(s));
  s.listHead = <u32>head;
}

export function listRemove(s: mspan): void {
  let head = <usize>s.listHead;
  if (!ASC_NO_ASSERT) assert(head != 0, "listRemove: span on no list");
  let next = s.next;
  let prev = s.prev;
  if (prev != 0) changetype<mspan>(<usize>prev).next = next;
  else store<u32>(head, next);
  if (next != 0) changetype<mspan>(<usize>next).prev = prev;
  s.next = 0;
  s.prev = 0;
  s.listHead = 0;
}

/** Remove and return the first span, or 0 (as a null mspan) when empty. */
export function listPop(head: usize): mspan {
  let first = load<u32>(head);
  if (first != 0) listRemove(changetype<mspan>(<usize>first));
  return changetype<mspan>(<usize>first);
}

export function listLength(head: usize): u32 {
  let n: u32 = 0;
  let p = load<u32>(head);
  while (p != 0) {
    n++;
    p = changetype<mspan>(<usize>p).next;
  }
  return n;
}
