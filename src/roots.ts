/**
 * The host's handle table: the collector's roots.
 *
 * Every live GoMap holds one slot, every pin one, every live iterator four
 * (what it will read next: its bucket-array snapshot, the bucket it stopped
 * in, and the overflow lists that keep a noscan map's overflow buckets
 * alive, as Go's hiter does; assembly/map/iter.ts).
 * Slot numbers are chosen here (a free list); the table itself lives in the
 * core's heap and every store to it goes through the write barrier.
 */
import type { Boundary } from "./boundary.js";
import { OutOfMemoryError, RuntimeClosedError, SnapshotInProgressError } from "./errors.js";

export class RootTable {
  #b: Boundary;
  #free: number[] = [];
  #next = 0;
  #cap: number;
  #maxMemory: number;
  #live = 0;
  /** What each slot holds (compaction maps the addresses to the new heap). */
  #values: number[] = [];

  constructor(b: Boundary, initialCap: number, maxMemory: number) {
    this.#b = b;
    this.#cap = initialCap;
    this.#maxMemory = maxMemory;
  }

  /** The runtime was closed: the table lets go of the instance; releasing
   *  a slot is a no-op from then on (pins and iterators may still end), and
   *  taking one throws RuntimeClosedError. */
  close(): void {
    this.#b = null as unknown as Boundary;
    this.#closed = true;
    this.#values = [];
    this.#free = [];
  }
  #closed = false;

  /** A free slot (empty), growing the core's table if needed. */
  acquire(): number {
    if (this.#closed) throw new RuntimeClosedError();
    // Every slot taken is about to be written (makemap, rootsSet,
    // mapiterinit): refused up front while a streamed snapshot reads the
    // heap, so that a refused rt.map() or rt.pin() holds no slot.
    if (this.#b.frozen) throw new SnapshotInProgressError("taking a root slot");
    let slot = this.#free.pop();
    if (slot === undefined) {
      slot = this.#next;
      if (slot >= this.#cap) {
        const cap = Math.max(this.#cap * 2, 64);
        if (!this.#b.rootsReserve(cap)) throw new OutOfMemoryError(cap * 4, this.#maxMemory, "growing the root table");
        this.#cap = cap;
      }
      this.#next++;
    }
    this.#live++;
    return slot;
  }

  set(slot: number, p: number): void {
    if (this.#closed) throw new RuntimeClosedError();
    this.#b.exports.rootsSet(slot, p);
    this.#values[slot] = p;
  }

  /** Record a value the core stored in a slot itself (makemap). */
  noteSet(slot: number, p: number): void {
    this.#values[slot] = p;
  }

  /** What a slot holds now (compaction keeps it current). */
  valueAt(slot: number): number {
    return this.#values[slot] ?? 0;
  }

  /** Clear a slot and make it reusable. */
  release(slot: number): void {
    if (this.#closed) return;
    this.#b.exports.rootsSet(slot, 0);
    this.#values[slot] = 0;
    this.#free.push(slot);
    this.#live--;
  }

  get live(): number {
    return this.#live;
  }

  /** Slots the core's table has room for. */
  get capacity(): number {
    return this.#cap;
  }

  /** Compaction: the table now lives in boundary `b` (whose table has
   *  `capacity` slots reserved); every slot keeps its number and holds
   *  move(old value) — 0 for what did not move. */
  rebind(b: Boundary, move: (p: number) => number): void {
    this.#b = b;
    for (let slot = 0; slot < this.#next; slot++) {
      const v = this.#values[slot] ?? 0;
      const nv = v === 0 ? 0 : move(v);
      this.#values[slot] = nv;
      if (nv !== 0) b.exports.rootsSet(slot, nv);
    }
  }
}
