/**
 * The core's notifications, queued: no user code runs inside a core call.
 *
 * The core tells the host things from inside its calls, through env
 * imports. Those that reach user code — a collection ended (the gctrace
 * callback), a hooked map was written (rt.unsafe's hooks) — only record
 * the event here, as plain data, and the host delivers
 * the queue after the core call has returned, with the core at rest: no
 * write in progress (hashWriting clear), the collector's flags settled, the
 * scratch area no longer needed by the call. So a callback that throws, or
 * calls back into the runtime (readMemStats, a map method, rt.close()),
 * cannot leave core state half-set or overwrite an argument in flight.
 *
 *   core call ─┬─ import pushes event ──┐
 *              ├─ import pushes event ──┤  (no user code)
 *              └─ returns               │
 *   host: reads the call's results, then deliver(): events in order ─→ callbacks
 *
 * Delivery order is the order the core reported. A callback's exception
 * does not stop delivery of the rest; the first one is rethrown when the
 * queue is empty, to the caller whose core call produced the events (its
 * operation has completed). Events pushed while delivering (a callback's
 * own calls) are delivered by the same loop, after the current one.
 *
 * Two kinds of notification are handled at once instead, because they run
 * only the host's own bookkeeping — no user code, nothing that can throw
 * or re-enter the map being written — and because their timing is part of
 * what they mean:
 *   - the heap profiler's sample and free records (src/profile.ts), which
 *     must be in place for the next rt.heapProfile() whatever the caller
 *     does in between;
 *   - the pools' victim step at the start of a cycle (Runtime's onGCStart).
 *     Go runs it (clearpools) with the world stopped before marking, so that
 *     pooled maps unused for a whole cycle are freed by that very cycle;
 *     delivered later, they would be marked first and survive it. It only
 *     clears root slots.
 */

/** A cycle ended: [GC_DONE, the core's cycle record, end time (ms)]. */
const GC_DONE = 1;
/** A hooked map was written: [HOOK, hmap, op, key]. */
const HOOK = 2;

/** Who receives a finished cycle's gctrace inputs (the record as the
 *  core left it) and the cycle's end time (the Runtime, through the
 *  Boundary's onGCDone). */
export type GCDoneSink = (record: Record<string, number>, endMs: number) => void;

/** One hooked map's hooks (rt.unsafe.onAssign / onDelete). */
export interface MapHooks {
  /** op: HookOp.INSERT / UPDATE / DELETE; key: the raw i64 from the core. */
  fire(op: number, key: bigint): void;
}

export class EventQueue {
  /** Something is queued (one field load after a core call). */
  pending = false;
  #q: unknown[] = [];
  #delivering = false;
  #gcDone: GCDoneSink;
  /** Hooked maps' hooks, by hmap address. */
  #hooks = new Map<number, MapHooks>();

  constructor(gcDone: GCDoneSink) {
    this.#gcDone = gcDone;
  }

  /** Install (or with null remove) a map's hooks here; the caller sets the
   *  hmap's hooked flag in the core (Boundary.setHooked). */
  setHooks(h: number, hooks: MapHooks | null): void {
    if (hooks) this.#hooks.set(h, hooks);
    else this.#hooks.delete(h);
  }

  /** Every map's hooks (compaction moves them to the new instance). */
  hookEntries(): [number, MapHooks][] {
    return [...this.#hooks.entries()];
  }

  /** The core finished a cycle (record: its gctrace inputs, read now). */
  gcDone(record: Record<string, number>, endMs: number): void {
    this.#q.push([GC_DONE, record, endMs]);
    this.pending = true;
  }

  /** The core wrote hooked map h. */
  hook(h: number, op: number, key: bigint): void {
    this.#q.push([HOOK, h, op, key]);
    this.pending = true;
  }

  /** The runtime closed: forget everything queued, deliver nothing more
   *  (not even the rest of a batch being delivered), drop the hooks. */
  close(): void {
    this.#closed = true;
    this.#q = [];
    this.#hooks.clear();
    this.pending = false;
  }
  #closed = false;

  /** Deliver every queued event, in order. Rethrows the first error a
   *  callback threw once the queue is empty. */
  deliver(): void {
    if (this.#delivering) return; // the outer loop delivers what we push
    this.#delivering = true;
    let failed: { error: unknown } | null = null;
    try {
      while (this.#q.length > 0) {
        const batch = this.#q;
        this.#q = [];
        this.pending = false;
        for (const e of batch as unknown[][]) {
          if (this.#closed) break;
          try {
            this.#one(e);
          } catch (error) {
            failed ??= { error };
          }
        }
      }
    } finally {
      this.#delivering = false;
      this.pending = this.#q.length > 0;
    }
    if (failed) throw failed.error;
  }

  #one(e: unknown[]): void {
    if (e[0] === GC_DONE) this.#gcDone(e[1] as Record<string, number>, e[2] as number);
    else this.#hooks.get(e[1] as number)?.fire(e[2] as number, e[3] as bigint);
  }
}
