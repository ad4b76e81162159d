// One adversarial stream: a seeded sequence of map operations on a few maps
// of one runtime, each checked against a JS Map oracle (./model.ts), with
// adversaries switched on by the stream's options:
//
//   gctrace    the Runtime's gctrace callback re-enters (readMemStats, get,
//              set and delete on any map — the one being written included,
//              on keys the operation does not touch) or throws;
//   hooks      rt.unsafe.onAssign / onDelete on i64/u64-key maps (trusted
//              runtime) do the same, and each single write's hook call is
//              checked (one call, the right key, the right `inserted`);
//   iterators  up to four live iterators per stream, stepped a few entries
//              at a time between other operations (writes, collections,
//              growth), checked against Go's rules; for-of and forEach
//              consumers that write and throw;
//   proxies    batch arguments that are Proxies or array-likes whose
//              `length` and elements answer differently on each read, whose
//              getters throw or re-enter, typed arrays and Uint8Arrays with
//              an own `length` that lies, `out` arrays whose writes re-enter;
//   tight      out of memory at arbitrary points: the core's growth is
//              capped at the current size plus 0–1 pages for windows of
//              operations, on top of a small maxMemory;
//   overflow   the operation is called at the bottom of a JS recursion deep
//              enough for the stack to overflow somewhere inside it — in the
//              host before the core call, inside the core, or after it; the
//              depth is found by probing and swept;
//   compact    rt.compact() (maps rebound to a fresh instance).
//
// The contract checked after every operation: it returned and the oracle
// is updated (results checked), or it threw a typed error and the oracle is
// unchanged — except a batch's OutOfMemoryError, whose `.done` entries
// stand — or an adversary's own exception came back (from an argument's
// getter: nothing done; from a callback: the write done, a batch done up
// to some entry), or the runtime is declared dead with a typed error (only
// where a trap was injected; the stream then goes on in a new runtime). A
// stack overflow may come back raw — at the stack's limit the host's catch
// has no room to build an error — and then the very next call must find
// the runtime dead with a typed error naming it, or the map done or
// untouched, never half-done.
// The keys an operation touched are read back after every failure and
// after a quarter of the successes; every map is compared in full, and the
// debug build's checkMap / checkHeap run, every few hundred operations.
// Anything else — a raw trap with the runtime still answering, a
// divergence, a checker's abort — fails the stream with its seed.
import { prng, randInt } from "../helpers.js";
import {
  CoreTrapError,
  GomapError,
  InvalidArgumentError,
  IteratorInvalidatedError,
  OutOfMemoryError,
  Runtime,
  RuntimeAbortError,
  RuntimeDeadError,
  UseAfterFreeError,
  type GoMap,
  type KindName,
} from "../../src/node.js";
import { boundaryOf } from "../../src/runtime.js";
import { mapHandle, mapOps } from "../../src/map.js";
import {
  KINDS,
  Oracle,
  canon,
  realLength,
  genKey,
  genValue,
  norm,
  same,
  show,
  typed,
  type Key,
  type Val,
} from "./model.js";

export interface StreamOptions {
  name: string;
  seed: number;
  ops: number;
  debug: boolean;
  maxMemory: number | string;
  gctrace?: boolean;
  hooks?: boolean;
  iterators?: boolean;
  proxies?: boolean;
  tight?: boolean;
  overflow?: boolean;
  compact?: boolean;
  /** The chance of a string/bytes value of a few KiB (default 0.02). */
  big?: number;
  /** Key kinds to draw from (default: all). */
  keyKinds?: KindName[];
}

export interface StreamStats {
  ops: number;
  ooms: number;
  batchOoms: number;
  callbacks: number;
  callbackThrows: number;
  argThrows: number;
  rejected: number;
  iterSteps: number;
  itersFinished: number;
  itersInvalidated: number;
  consumerThrows: number;
  compactions: number;
  hookEvents: number;
  hostOverflows: number;
  deaths: number;
  /** Raw overflows after which the next call found the runtime dead. */
  lazyDeaths: number;
  /** Reads that trapped (CoreTrapError, not fatal): nothing changed. */
  readTraps: number;
  checkpoints: number;
  runtimes: number;
}

/** An adversary's own exception: where it came from decides what the
 *  operation must have done. */
export class Injected extends Error {
  constructor(
    readonly source: "arg" | "gctrace" | "hook" | "consumer",
    what: string,
  ) {
    super(`injected by ${source}: ${what}`);
  }
}

/** A broken contract (thrown by checks, also from inside callbacks). */
export class Divergence extends Error {}

type Effect = { t: "set"; k: Key; v: Val } | { t: "del"; k: Key };
type Mode = "none" | "stats" | "read" | "write" | "throw";

interface Op<R = unknown> {
  desc: string;
  slot: Slot;
  /** Writes in order (a batch: one per entry). */
  effects: Effect[];
  batch: boolean;
  /** Keys the call reads or writes: callbacks keep off them. */
  touched: Key[];
  run(): R;
  /** Check the result against the oracle before the effects are applied. */
  check?(r: R): void;
  /** The arguments may be rejected (InvalidArgumentError, nothing done). */
  mayReject?: boolean;
  /** A lookup: it needs no memory, so it cannot run out of it. */
  read?: boolean;
  /** A single hooked write: what its hook call must say. */
  hook?: { key: Key; kind: "a" | "d"; inserted: boolean; fires: boolean };
}

class Tracker {
  start = new Set<Key>();
  deleted = new Set<Key>();
  inserted = new Set<Key>();
  produced = new Map<Key, number>();
  constructor(o: Oracle) {
    for (const k of o.m.keys()) this.start.add(k);
  }
  set(nk: Key, inserted: boolean): void {
    if (inserted) this.inserted.add(nk);
  }
  del(nk: Key): void {
    this.deleted.add(nk);
  }
  clear(): void {}
}

interface LiveIter {
  slot: Slot;
  it: Iterator<unknown>;
  side: -1 | 0 | 1; // entries, keys, values
  tr: Tracker;
  invalidated: string | null;
}

interface Slot {
  id: number;
  m: GoMap;
  o: Oracle;
  kk: KindName;
  vk: KindName;
  range: number;
  hooked: boolean;
  hookLog: ["a" | "d", bigint, boolean][];
}

/** GOMAP_ADV_TRACE=1: a full comparison after every operation (finds the
 *  first one that diverged). */
const TRACE = process.env.GOMAP_ADV_TRACE === "1";
/** GOMAP_ADV_OFF=outProxy,…: leave an adversary out while triaging
 *  another failure (never in CI). */
const TRIAGE_OFF = new Set((process.env.GOMAP_ADV_OFF ?? "").split(","));
const LONG_KEYS = TRIAGE_OFF.has("longKeys") ? 0 : 0.002;
const STACK_OVERFLOW = /Maximum call stack size exceeded/;
const LONG = 10_000; // keys at least this long take the host's temporary-object path

function isLong(k: Key): boolean {
  return typeof k === "string" ? k.length >= LONG : k instanceof Uint8Array && realLength(k) >= LONG;
}

/** The bottom of a recursion `n` frames deep runs fn (no tail calls in V8). */
function atDepth<R>(n: number, fn: () => R): R {
  if (n <= 0) return fn();
  const r = atDepth(n - 1, fn);
  return r;
}

export async function runStream(opt: StreamOptions): Promise<StreamStats> {
  const s = new Stream(opt);
  try {
    await s.run();
  } catch (e) {
    const err = e as Error;
    const where = `[stream "${opt.name}" seed ${opt.seed}; replay: GOMAP_ADV_SEED=${opt.seed} GOMAP_ADV_ONLY="${opt.name}"]`;
    const msg = `${where} op ${s.opIndex} (${s.lastDesc}): ${err.name}: ${err.message}\n  recent ops:\n    ${s.history.slice(-12).join("\n    ")}`;
    const out = new Error(msg, { cause: err });
    throw out;
  } finally {
    s.close();
  }
  return s.stats;
}

class Stream {
  readonly r: () => number;
  rt!: Runtime;
  slots: Slot[] = [];
  iters: LiveIter[] = [];
  mode: Mode = "none";
  depth = 0;
  cur: { slot: Slot; keys: Set<Key>; all?: boolean } | null = null;
  /** Keys a callback is writing (map id:key): a nested callback (hooks
   *  run synchronously when the write did not come from a delivery) keeps
   *  off them, or its write would land between the map's and the oracle's. */
  busy = new Set<string>();
  history: string[] = [];
  opIndex = 0;
  lastDesc = "";
  nextSlotId = 0;
  tightUntil = -1;
  maxDepth = 0;
  inOverflow = false;
  stats: StreamStats = {
    ops: 0,
    ooms: 0,
    batchOoms: 0,
    callbacks: 0,
    callbackThrows: 0,
    argThrows: 0,
    rejected: 0,
    iterSteps: 0,
    itersFinished: 0,
    itersInvalidated: 0,
    consumerThrows: 0,
    compactions: 0,
    hookEvents: 0,
    hostOverflows: 0,
    deaths: 0,
    lazyDeaths: 0,
    readTraps: 0,
    checkpoints: 0,
    runtimes: 0,
  };

  constructor(readonly opt: StreamOptions) {
    this.r = prng(opt.seed);
  }

  fail(msg: string): never {
    throw new Divergence(msg);
  }

  close(): void {
    try {
      this.rt?.close();
    } catch {
      // already dead
    }
  }

  // ---------------------------------------------------------------- runtime

  async newRuntime(): Promise<void> {
    this.close();
    this.iters = [];
    this.slots = [];
    this.stats.runtimes++;
    const o = this.opt;
    this.rt = await Runtime.create({
      debug: o.debug,
      maxMemory: o.maxMemory,
      memProfileRate: 0,
      trusted: o.hooks === true,
      ...(o.gctrace ? { gctrace: () => this.onCallback("gctrace") } : {}),
    });
    this.reseed();
    const n = randInt(this.r, 1, 3);
    for (let i = 0; i < n; i++) this.addSlot();
    if (this.slots.length === 0) this.fail("a fresh runtime cannot hold one map");
  }

  /** The core's fastrand (hash seeds after clear, iteration offsets) from
   *  the stream's seed, so a replay takes the same paths. */
  reseed(): void {
    boundaryOf(this.rt).exports.seedRandom(randInt(this.r, 1, 0xffffffff), randInt(this.r, 1, 0xffffffff));
  }

  addSlot(): void {
    const r = this.r;
    const keyKinds = this.opt.keyKinds ?? KINDS;
    const kk = keyKinds[randInt(r, 0, keyKinds.length - 1)]!;
    const vk = KINDS[randInt(r, 0, KINDS.length - 1)]!;
    let m: GoMap;
    try {
      m = this.rt.map({
        key: kk,
        value: vk,
        hint: r() < 0.3 ? randInt(r, 0, 2000) : 0,
        seed: randInt(r, 0, 0xffffffff),
      });
    } catch (e) {
      if (e instanceof OutOfMemoryError) return;
      throw e;
    }
    const slot: Slot = {
      id: this.nextSlotId++,
      m,
      o: new Oracle(kk, vk),
      kk,
      vk,
      range: randInt(r, 8, r() < 0.5 ? 300 : 5000),
      hooked: false,
      hookLog: [],
    };
    this.slots.push(slot);
    if (this.opt.hooks && (kk === "i64" || kk === "u64") && r() < 0.85) {
      const u = this.rt.unsafe;
      slot.hooked = true;
      u.onAssign(m, (key, inserted) => {
        slot.hookLog.push(["a", key, inserted]);
        this.stats.hookEvents++;
        this.onCallback("hook");
      });
      u.onDelete(m, (key) => {
        slot.hookLog.push(["d", key, false]);
        this.stats.hookEvents++;
        this.onCallback("hook");
      });
    }
  }

  pickSlot(): Slot {
    return this.slots[randInt(this.r, 0, this.slots.length - 1)]!;
  }

  // -------------------------------------------------------------- callbacks

  /** A key of `slot` that the current operation does not touch (null if
   *  none was found quickly). */
  freeKey(slot: Slot): Key | null {
    for (let i = 0; i < 20; i++) {
      const k = genKey(slot.kk, this.r, slot.range, 0);
      const nk = norm(k);
      if (this.busy.has(`${slot.id}:${String(nk)}`)) continue;
      if (!this.cur || this.cur.slot !== slot || (!this.cur.all && !this.cur.keys.has(nk))) return k;
    }
    return null;
  }

  /** gctrace lines and hook calls: act as the stream's mode says. */
  onCallback(source: "gctrace" | "hook"): void {
    this.stats.callbacks++;
    if (this.mode === "none" || this.depth >= 2) return;
    this.depth++;
    try {
      const r = this.r;
      switch (this.mode) {
        case "stats":
          this.rt.readMemStats();
          if (r() < 0.3) this.rt.inspect(this.pickSlot().m);
          break;
        case "read": {
          const sl = this.pickSlot();
          const k = this.freeKey(sl);
          if (k === null) break;
          const got = sl.m.get(k as never);
          if (!same(got, sl.o.get(k)))
            this.fail(`${source} callback: get(${show(k)}) on map ${sl.id} = ${show(got)}, want ${show(sl.o.get(k))}`);
          break;
        }
        case "write": {
          const sl = this.cur && r() < 0.5 ? this.cur.slot : this.pickSlot();
          const k = this.freeKey(sl);
          if (k === null) break;
          const busy = `${sl.id}:${String(norm(k))}`;
          this.busy.add(busy);
          try {
            if (r() < 0.6) {
              const v = genValue(sl.vk, r, 0);
              sl.m.set(k as never, v as never);
              sl.o.set(k, v);
            } else {
              const want = sl.o.has(k);
              const got = sl.m.delete(k as never);
              if (got !== want) this.fail(`${source} callback: delete(${show(k)}) on map ${sl.id} = ${got}`);
              sl.o.delete(k);
            }
          } catch (e) {
            if (!(e instanceof OutOfMemoryError)) throw e;
          } finally {
            this.busy.delete(busy);
          }
          break;
        }
        case "throw":
          this.stats.callbackThrows++;
          throw new Injected(source, "a callback throws");
      }
    } finally {
      this.depth--;
    }
  }

  // ----------------------------------------------------------- executing

  /** Run one operation and check the contract (see the file's comment). */
  exec<R>(op: Op<R>, wrap?: (f: () => R) => R): void {
    const r = this.r;
    const slot = op.slot;
    this.lastDesc = op.desc;
    this.history.push(`${this.opIndex}: map ${slot.id} [${slot.kk}→${slot.vk}] ${op.desc}`);
    if (this.history.length > 40) this.history.splice(0, 20);
    // (At the bottom of an injected overflow the callbacks only record:
    // their own writes could be cut between the map and the oracle.)
    const adversaries = (this.opt.gctrace || slot.hooked) && !this.inOverflow;
    this.mode = adversaries
      ? (["none", "none", "stats", "read", "write", "write", "throw"] as Mode[])[randInt(r, 0, 6)]!
      : "none";
    this.cur = { slot, keys: new Set(op.touched.map(norm)) };
    slot.hookLog = [];
    let res: R | undefined;
    let err: unknown = null;
    try {
      res = wrap ? wrap(() => op.run()) : op.run();
    } catch (e) {
      err = e;
    }
    this.mode = "none";
    this.cur = null;
    if (err === null) {
      op.check?.(res as R);
      if (r() < 0.25) this.probe(slot, op.effects, op.effects.length, op.desc);
      this.applyEffects(slot, op.effects, op.effects.length);
      if (op.hook && slot.hooked) this.checkHook(op);
      return;
    }
    this.outcome(op, err);
  }

  /** The operation threw `err`: is that allowed, and what was done? */
  outcome(op: Op<unknown>, err: unknown): void {
    const slot = op.slot;
    const n = op.effects.length;
    if (err instanceof Divergence) throw err;
    if (err instanceof OutOfMemoryError) {
      this.stats.ooms++;
      if (op.read) this.fail(`a lookup ran out of memory (a long key's lookup allocates): ${err.message}`);
      if (op.batch && n > 0) {
        this.stats.batchOoms++;
        if (typeof err.done !== "number" || err.done < 0 || err.done > n)
          this.fail(`batch OutOfMemoryError with done = ${err.done} (${n} entries)`);
        this.probe(slot, op.effects, err.done, `${op.desc} (OOM, done ${err.done})`);
        this.applyEffects(slot, op.effects, err.done);
      } else {
        if (err.done !== undefined) this.fail(`single-op OutOfMemoryError with done = ${err.done}`);
        this.probe(slot, op.effects, 0, `${op.desc} (OOM)`);
      }
      return;
    }
    if (err instanceof Injected) {
      if (err.source === "arg") {
        this.stats.argThrows++;
        this.probe(slot, op.effects, 0, `${op.desc} (an argument threw)`);
        return;
      }
      if (err.source === "consumer") this.fail(`a consumer's exception escaped: ${err.message}`);
      // A callback's exception: the write is complete (a batch: up to the
      // entry whose delivery threw).
      if (op.batch) this.applyEffects(slot, op.effects, this.findPrefix(slot, op.effects, op.desc, 1));
      else {
        this.probe(slot, op.effects, n, `${op.desc} (a ${err.source} callback threw)`);
        this.applyEffects(slot, op.effects, n);
        if (op.hook && slot.hooked) this.checkHook(op);
      }
      return;
    }
    if (err instanceof InvalidArgumentError && op.mayReject) {
      this.stats.rejected++;
      this.probe(slot, op.effects, 0, `${op.desc} (rejected)`);
      return;
    }
    if (this.inOverflow) {
      if (err instanceof CoreTrapError && !err.fatal) {
        // A read trapped: it changed nothing, and the runtime goes on.
        this.stats.readTraps++;
        this.probe(slot, op.effects, 0, `${op.desc} (a read trapped)`);
        return;
      }
      if (err instanceof Error && STACK_OVERFLOW.test(err.message) && !(err instanceof GomapError)) {
        const stack = err.stack ?? "";
        if (/wasm:\/\/|wasm-function/.test(stack) && TRIAGE_OFF.has("rawTraps")) {
          this.pendingRestart = true; // triage only: abandon this runtime
          return;
        }
        // Raw: no stack was left to make it typed. The next call must find
        // the runtime dead, naming the overflow — or it lives on, and the
        // map is done or untouched.
        let after: unknown = null;
        try {
          this.rt.gc();
        } catch (e) {
          after = e;
        }
        if (after !== null) {
          const named = (x: unknown) =>
            x instanceof Error && (STACK_OVERFLOW.test(x.message) || /never returned/.test(x.message));
          const dead =
            (after instanceof CoreTrapError && after.fatal) ||
            after instanceof RuntimeAbortError ||
            after instanceof RuntimeDeadError;
          if (!dead || !(named(after) || named((after as Error).cause)))
            this.fail(
              `a raw ${err.name} from ${op.desc}, then the next call threw ${String(after)} ` +
                `(want the runtime dead, naming the overflow): ${stack.split("\n").slice(0, 6).join(" | ")}`,
            );
          this.declaredDead(after as GomapError);
          this.stats.lazyDeaths++;
          return;
        }
        // Alive: done or not, never half-done.
        this.stats.hostOverflows++;
        const where = stack.split("\n").slice(1, 4).join(" |");
        this.applyEffects(
          slot,
          op.effects,
          this.findPrefix(slot, op.effects, `${op.desc} (overflowed at ${where})`, 0),
        );
        if (this.opt.debug) this.checkMaps();
        return;
      }
      if (err instanceof GomapError) {
        this.declaredDead(err);
        return;
      }
    }
    if (err instanceof RuntimeAbortError || err instanceof RuntimeDeadError)
      this.fail(`the core aborted (a checker or an assert): ${err.message}`);
    const e = err as Error;
    this.fail(`unexpected ${e?.name}: ${e?.message}\n${(e?.stack ?? "").split("\n").slice(1, 8).join("\n")}`);
  }

  /** A typed error after an injected trap: the runtime must now refuse
   *  every call with RuntimeDeadError; the stream goes on in a new one. */
  declaredDead(err: GomapError): void {
    let after: unknown = null;
    try {
      this.rt.gc();
    } catch (e) {
      after = e;
    }
    if (!(after instanceof RuntimeDeadError))
      this.fail(`${err.name} (${err.message}) but the runtime still answers: ${String(after)}`);
    this.stats.deaths++;
    this.pendingRestart = true;
  }
  pendingRestart = false;

  applyEffects(slot: Slot, effects: Effect[], n: number): void {
    for (let i = 0; i < n; i++) {
      const e = effects[i]!;
      if (e.t === "set") slot.o.set(e.k, e.v);
      else slot.o.delete(e.k);
    }
  }

  /** Read back the keys `effects` touch: the map must hold the oracle's
   *  state with the first `n` effects applied. */
  probe(slot: Slot, effects: Effect[], n: number, desc: string): void {
    const bad = this.mismatch(slot, effects, n);
    if (bad) this.fail(`${desc}: ${bad}; ${this.diff(slot, effects, n)}`);
  }

  /** Where the map and the oracle (with n effects applied) differ, for a
   *  failure's message. */
  diff(slot: Slot, effects: Effect[], n: number): string {
    try {
      const o = new Oracle(slot.kk, slot.vk);
      for (const [, { k, v }] of slot.o.m) o.set(k, v);
      o.nans = slot.o.nans;
      for (let i = 0; i < n; i++) {
        const e = effects[i]!;
        if (e.t === "set") o.set(e.k, e.v);
        else o.delete(e.k);
      }
      const extra: string[] = [];
      const seen = new Set<Key>();
      let nans = 0;
      for (const [k, v] of slot.m) {
        if (typeof k === "number" && k !== k) {
          nans++;
          continue;
        }
        const nk = norm(k as Key);
        seen.add(nk);
        const w = o.m.get(nk);
        if (!w || !same(w.v, v)) extra.push(`${show(k)}→${show(v)} (want ${show(w?.v)})`);
      }
      const missing = [...o.m.entries()].filter(([nk]) => !seen.has(nk)).map(([, { k }]) => show(k));
      return `map has ${extra.length} wrong/extra [${extra.slice(0, 6).join(", ")}], lacks ${missing.length} [${missing.slice(0, 6).join(", ")}], NaN keys ${nans} want ${o.nans}`;
    } catch (e) {
      return `(no diff: ${(e as Error).message})`;
    }
  }

  mismatch(slot: Slot, effects: Effect[], n: number): string | null {
    const want = new Map<Key, { k: Key; v: Val | undefined }>();
    let size = slot.o.size;
    for (const e of effects) {
      if (typeof e.k === "number" && e.k !== e.k) continue;
      const nk = norm(e.k);
      if (!want.has(nk)) want.set(nk, { k: e.k, v: slot.o.get(e.k) });
    }
    for (let i = 0; i < n; i++) {
      const e = effects[i]!;
      if (typeof e.k === "number" && e.k !== e.k) {
        if (e.t === "set") size++;
        continue;
      }
      const w = want.get(norm(e.k))!;
      if (e.t === "set") {
        if (w.v === undefined) size++;
        w.v = canon(slot.vk, e.v);
      } else if (w.v !== undefined) {
        size--;
        w.v = undefined;
      }
    }
    const m = slot.m;
    if (m.size !== size) return `size ${m.size}, want ${size} (${n} of ${effects.length} entries applied)`;
    for (const { k, v } of want.values()) {
      if (isLong(k)) continue; // may need memory to look up
      const got = m.get(k as never);
      if (!same(got, v))
        return `get(${show(k)}) = ${show(got)}, want ${show(v)} (${n} of ${effects.length} entries applied)`;
    }
    return null;
  }

  /** How many leading effects the map shows done (the most that fit). */
  findPrefix(slot: Slot, effects: Effect[], desc: string, min: number): number {
    for (let j = effects.length; j >= min; j--) if (this.mismatch(slot, effects, j) === null) return j;
    if (min > 0 && effects.length === 0) return 0;
    this.fail(`${desc}: the map matches no prefix of the call: ${this.mismatch(slot, effects, 0)}`);
  }

  checkHook(op: Op<unknown>): void {
    const h = op.hook!;
    const key = BigInt(h.key as number | bigint);
    const mine = op.slot.hookLog.filter((e) => e[1] === key);
    const want = h.fires ? 1 : 0;
    if (mine.length !== want || (want && (mine[0]![0] !== h.kind || (h.kind === "a" && mine[0]![2] !== h.inserted))))
      this.fail(
        `hook calls for key ${key}: ${JSON.stringify(mine.map((e) => [e[0], String(e[1]), e[2]]))}, want ${want ? `${h.kind} inserted=${h.inserted}` : "none"}`,
      );
  }

  // -------------------------------------------------------------- the loop

  async run(): Promise<void> {
    await this.newRuntime();
    const o = this.opt;
    const r = this.r;
    if (o.overflow) this.calibrate();
    for (this.opIndex = 0; this.opIndex < o.ops; this.opIndex++) {
      this.stats.ops++;
      if (this.pendingRestart) {
        this.pendingRestart = false;
        await this.newRuntime();
      }
      if (o.tight) this.steerGrowth();
      const x = r();
      const overflow = o.overflow && r() < 0.5;
      if (overflow) {
        this.overflowOp();
      } else if (x < 0.3) this.exec(this.setOp(this.pickSlot()));
      else if (x < 0.45) this.exec(this.getOp(this.pickSlot()));
      else if (x < 0.6) this.exec(this.deleteOp(this.pickSlot()));
      else if (x < 0.66) this.exec(this.setManyOp(this.pickSlot()));
      else if (x < 0.7) this.exec(this.getManyOp(this.pickSlot()));
      else if (x < 0.73) this.exec(this.deleteManyOp(this.pickSlot()));
      else if (x < 0.85) {
        if (o.iterators) this.iterOp();
        else this.exec(this.setOp(this.pickSlot()));
      } else if (x < 0.88) this.gcOp();
      else if (x < 0.89) this.clearOrShrink(this.pickSlot(), r() < 0.5 ? "clear" : "shrink");
      else if (x < 0.895) this.freeAndRecreate();
      else if (x < 0.897 && o.compact) await this.compactOp();
      else this.exec(this.setOp(this.pickSlot()));
      if (this.pendingRestart) continue;
      if (this.opIndex % 400 === 399 || TRACE) this.checkpoint();
    }
    if (this.pendingRestart) await this.newRuntime();
    this.checkpoint();
  }

  /** OOM at arbitrary points: for windows of operations, the core may grow
   *  its memory only by 0–1 pages beyond what it has. */
  steerGrowth(): void {
    const b = boundaryOf(this.rt);
    if (this.opIndex === this.tightUntil) b.exports.setGrowthPolicy(false, 65536);
    if (this.opIndex > this.tightUntil && this.r() < 0.05) {
      this.tightUntil = this.opIndex + randInt(this.r, 10, 150);
      b.exports.setGrowthPolicy(true, b.memory.buffer.byteLength / 65536 + randInt(this.r, 0, 1));
    }
  }

  loosen(): void {
    if (this.opt.tight && this.opIndex <= this.tightUntil) {
      boundaryOf(this.rt).exports.setGrowthPolicy(false, 65536);
      this.tightUntil = this.opIndex;
    }
  }

  // ------------------------------------------------------------ operations

  setOp(slot: Slot): Op<unknown> {
    const r = this.r;
    let k = genKey(slot.kk, r, slot.range, LONG_KEYS);
    let v = genValue(slot.vk, r, this.opt.big);
    if (this.opt.proxies && r() < 0.1) {
      // A Uint8Array whose own `length` lies: stored at its real extent.
      if (slot.kk === "bytes") k = lying(k as Uint8Array, r);
      if (slot.vk === "bytes") v = lying(v as Uint8Array, r);
    }
    const had = slot.o.has(k);
    return {
      desc: `set(${show(k)}, ${show(v)})`,
      slot,
      effects: [{ t: "set", k, v }],
      batch: false,
      touched: [k],
      run: () => slot.m.set(k as never, v as never),
      hook: { key: k, kind: "a", inserted: !had, fires: true },
    };
  }

  getOp(slot: Slot): Op<unknown> {
    const k = genKey(slot.kk, this.r, slot.range, LONG_KEYS);
    const viaHas = this.r() < 0.3;
    return {
      desc: `${viaHas ? "has" : "get"}(${show(k)})`,
      slot,
      effects: [],
      batch: false,
      touched: [k],
      read: true,
      run: () => (viaHas ? slot.m.has(k as never) : slot.m.get(k as never)),
      check: (got) => {
        const want = viaHas ? slot.o.has(k) : slot.o.get(k);
        if (!same(got, want)) this.fail(`${viaHas ? "has" : "get"}(${show(k)}) = ${show(got)}, want ${show(want)}`);
      },
    };
  }

  deleteOp(slot: Slot): Op<unknown> {
    const k = genKey(slot.kk, this.r, slot.range, LONG_KEYS);
    const want = slot.o.has(k);
    return {
      desc: `delete(${show(k)})`,
      slot,
      effects: [{ t: "del", k }],
      batch: false,
      touched: [k],
      run: () => slot.m.delete(k as never),
      check: (got) => {
        if (got !== want) this.fail(`delete(${show(k)}) = ${String(got)}, want ${want}`);
      },
      hook: { key: k, kind: "d", inserted: false, fires: want },
    };
  }

  batchKeys(slot: Slot, n: number): Key[] {
    const ks: Key[] = [];
    for (let i = 0; i < n; i++) ks.push(genKey(slot.kk, this.r, slot.range, LONG_KEYS));
    return ks;
  }

  setManyOp(slot: Slot): Op<unknown> {
    const r = this.r;
    const n = r() < 0.1 ? randInt(r, 0, 2) : randInt(r, 1, 200);
    const ks = this.batchKeys(slot, n);
    const vs: Val[] = ks.map(() => genValue(slot.vk, r, this.opt.big));
    const effects: Effect[] = ks.map((k, i) => ({ t: "set", k, v: vs[i]! }));
    const ka = this.arg(slot, slot.kk, ks, "keys");
    const va = this.arg(slot, slot.vk, vs, "values");
    return {
      desc: `setMany(${n} entries; keys ${ka.how}, values ${va.how})`,
      slot,
      effects,
      batch: true,
      touched: ks,
      run: () => slot.m.setMany(ka.x as never, va.x as never),
      mayReject: ka.bad || va.bad,
    };
  }

  getManyOp(slot: Slot): Op<unknown> {
    const r = this.r;
    const n = randInt(r, 0, 200);
    const ks = this.batchKeys(slot, n);
    const ka = this.arg(slot, slot.kk, ks, "keys");
    const ref = slot.vk === "string" || slot.vk === "bytes";
    let out: unknown;
    let target: unknown[] | null = null;
    if (ref && this.opt.proxies && r() < 0.3 && !TRIAGE_OFF.has("outProxy")) {
      // An `out` array whose element writes run user code that re-enters.
      target = new Array(n);
      out = new Proxy(target, {
        set: (t, p, v) => {
          (t as unknown as Record<string | symbol, unknown>)[p] = v;
          if (r() < 0.05) this.reenter(slot, "out[i] =");
          return true;
        },
      });
    }
    const found = new Uint8Array(n);
    if (this.opt.proxies && r() < 0.2) Object.defineProperty(found, "length", { value: n + randInt(r, 1, 9) });
    return {
      desc: `getMany(${n} keys; ${ka.how}${target ? ", out a Proxy" : ""})`,
      slot,
      effects: [],
      batch: true,
      touched: ks,
      mayReject: ka.bad,
      read: true,
      run: () => slot.m.getMany(ka.x as never, out as never, found),
      check: (res) => {
        const got = (target ?? res) as ArrayLike<unknown>;
        for (let i = 0; i < n; i++) {
          const want = slot.o.get(ks[i]!);
          if (found[i] !== (want === undefined ? 0 : 1))
            this.fail(`getMany: found[${i}] = ${found[i]} for ${show(ks[i]!)}, want ${want !== undefined}`);
          if (want !== undefined && !same(got[i], want))
            this.fail(`getMany: [${i}] = ${show(got[i])} for ${show(ks[i]!)}, want ${show(want)}`);
        }
      },
    };
  }

  deleteManyOp(slot: Slot): Op<unknown> {
    const r = this.r;
    const n = randInt(r, 0, 150);
    const ks = this.batchKeys(slot, n);
    const ka = this.arg(slot, slot.kk, ks, "keys");
    const distinct = new Set<Key>();
    for (const k of ks) if (slot.o.has(k)) distinct.add(norm(k));
    return {
      desc: `deleteMany(${n} keys; ${ka.how})`,
      slot,
      effects: ks.map((k) => ({ t: "del", k })),
      batch: true,
      touched: ks,
      mayReject: ka.bad,
      run: () => slot.m.deleteMany(ka.x as never),
      check: (got) => {
        if (got !== distinct.size) this.fail(`deleteMany returned ${String(got)}, want ${distinct.size}`);
      },
    };
  }

  /** Re-entry from an argument's getter or an out array's setter: the
   *  same actions as a callback's, on keys the call does not touch. */
  reenter(slot: Slot, where: string): void {
    const saved = this.mode;
    this.mode = (["stats", "read", "write", "write"] as Mode[])[randInt(this.r, 0, 3)]!;
    try {
      const prev = this.cur;
      this.cur ??= { slot, keys: new Set() };
      this.onCallback("gctrace");
      this.cur = prev;
      if (this.r() < 0.1) this.rt.gc();
    } catch (e) {
      if (e instanceof Divergence) throw e;
      throw new Divergence(`re-entry from ${where} failed: ${(e as Error).message}`);
    } finally {
      this.mode = saved;
    }
  }

  /** A batch argument holding `xs` (kind `kind`): plain or typed usually;
   *  with the proxies adversary, one that lies, changes, throws or
   *  re-enters. `bad`: the call may reject it. */
  arg(slot: Slot, kind: KindName, xs: Key[], what: string): { x: unknown; how: string; bad: boolean } {
    const r = this.r;
    if (!this.opt.proxies || this.inOverflow || r() < 0.5) {
      return r() < 0.5 ? { x: typed(kind, xs), how: "typed", bad: false } : { x: xs.slice(), how: "array", bad: false };
    }
    const n = xs.length;
    const v = randInt(r, 0, 7);
    const junk = () => genKey(kind, r, 1 << 20, 0);
    switch (v) {
      case 0:
      case 1: {
        // A Proxy whose length and elements answer differently after the
        // first read: the first answers count.
        const reads = new Map<PropertyKey, number>();
        const p = new Proxy(xs.slice(), {
          get: (t, prop, recv) => {
            const c = reads.get(prop) ?? 0;
            reads.set(prop, c + 1);
            if (prop === "length") return c === 0 ? n : n + randInt(r, -n, 50);
            if (typeof prop === "string" && /^\d+$/.test(prop)) return c === 0 ? t[Number(prop)] : junk();
            return Reflect.get(t, prop, recv);
          },
        });
        return { x: p, how: "Proxy (changing answers)", bad: false };
      }
      case 2: {
        // An array-like whose getters change, and re-enter on the first read.
        const o: Record<string, unknown> = {};
        let lr = 0;
        Object.defineProperty(o, "length", { get: () => (lr++ === 0 ? n : lr * 7) });
        const at = n > 0 ? randInt(r, 0, n - 1) : -1;
        for (let i = 0; i < n; i++) {
          let c = 0;
          Object.defineProperty(o, i, {
            get: () => {
              if (c++ > 0) return junk();
              if (i === at) this.reenter(slot, `${what}[${i}] getter`);
              return xs[i];
            },
          });
        }
        return { x: o, how: "array-like (re-entrant getters)", bad: false };
      }
      case 3: {
        // A getter that throws part-way: nothing may be written.
        if (n === 0) return { x: [], how: "array", bad: false };
        const at = randInt(r, 0, n - 1);
        const p = new Proxy(xs.slice(), {
          get: (t, prop, recv) => {
            if (prop === String(at)) throw new Injected("arg", `${what}[${at}] throws`);
            return Reflect.get(t, prop, recv);
          },
        });
        return { x: p, how: `Proxy (throws at ${at})`, bad: false };
      }
      case 4: {
        // A typed array with an own `length` that lies.
        const t = typed(kind, xs);
        if (!ArrayBuffer.isView(t)) return { x: t, how: "array", bad: false };
        Object.defineProperty(t, "length", { value: r() < 0.5 ? n + randInt(r, 1, 1000) : randInt(r, 0, n) });
        return { x: t, how: "typed (lying length)", bad: false };
      }
      case 5: {
        // An impossible length, or an element of the wrong type.
        if (r() < 0.5) {
          const bogus = [-1, 2 ** 40, 1.5, Number.NaN, "3", undefined][randInt(r, 0, 5)];
          return { x: { length: bogus }, how: `length ${String(bogus)}`, bad: true };
        }
        if (n === 0) return { x: [], how: "array", bad: false };
        const ys: unknown[] = xs.slice();
        ys[randInt(r, 0, n - 1)] = kind === "string" ? 12 : kind === "bytes" ? [1, 2] : "7";
        return { x: ys, how: "array (one bad element)", bad: true };
      }
      default: {
        // Uint8Array elements (bytes kind) whose own lengths lie.
        const ys = xs.map((x) => (x instanceof Uint8Array && r() < 0.5 ? lying(x, r) : x));
        return { x: ys, how: "array (lying Uint8Array lengths)", bad: false };
      }
    }
  }

  // ------------------------------------------------------------- iteration

  iterOp(): void {
    const r = this.r;
    const x = r();
    if (x < 0.25 && this.iters.length < 4) this.openIter(this.pickSlot());
    else if (x < 0.85 && this.iters.length > 0) {
      const li = this.iters[randInt(r, 0, this.iters.length - 1)]!;
      this.stepIter(li, randInt(r, 1, r() < 0.2 ? 600 : 40));
    } else this.consumeWithThrow(this.pickSlot());
  }

  openIter(slot: Slot): void {
    this.lastDesc = `open an iterator on map ${slot.id}`;
    this.history.push(`${this.opIndex}: ${this.lastDesc}`);
    const side = ([-1, -1, 0, 1] as const)[randInt(this.r, 0, 3)]!;
    let it: Iterator<unknown>;
    try {
      it = side === -1 ? slot.m.entries() : side === 0 ? slot.m.keys() : slot.m.values();
    } catch (e) {
      if (e instanceof OutOfMemoryError) return;
      throw e;
    }
    const tr = new Tracker(slot.o);
    slot.o.listeners.add(tr);
    this.iters.push({ slot, it, side, tr, invalidated: null });
  }

  dropIter(li: LiveIter): void {
    li.slot.o.listeners.delete(li.tr);
    this.iters.splice(this.iters.indexOf(li), 1);
  }

  stepIter(li: LiveIter, steps: number): void {
    const o = li.slot.o;
    const sides = ["entries()", "keys()", "values()"];
    this.lastDesc = `step an ${sides[li.side + 1]} iterator on map ${li.slot.id} ${steps} times${li.invalidated ? ` (${li.invalidated})` : ""}`;
    this.history.push(`${this.opIndex}: ${this.lastDesc}`);
    for (let i = 0; i < steps; i++) {
      let res: IteratorResult<unknown>;
      try {
        res = li.it.next();
      } catch (e) {
        if (li.invalidated && e instanceof IteratorInvalidatedError) {
          this.stats.itersInvalidated++;
          this.dropIter(li);
          return;
        }
        if (e instanceof OutOfMemoryError)
          this.fail(
            `an iterator step ran out of memory (a long key's lookup allocates; the entry is lost): ${e.message}`,
          );
        throw e;
      }
      this.stats.iterSteps++;
      if (li.invalidated) this.fail(`an iterator stepped after its map was ${li.invalidated}`);
      if (res.done) {
        if (li.side !== 1)
          for (const k of li.tr.start)
            if (!li.tr.deleted.has(k) && !li.tr.produced.has(k))
              this.fail(`iteration ended without ${show(k)}, present from its start to its end`);
        this.stats.itersFinished++;
        this.dropIter(li);
        return;
      }
      if (li.side === 1) continue; // values(): nothing to identify them by
      const [k, v] = li.side === -1 ? (res.value as [Key, Val]) : [res.value as Key, undefined];
      if (typeof k === "number" && k !== k) continue;
      const nk = norm(k);
      const cur = o.m.get(nk);
      if (!cur) {
        let has: unknown;
        try {
          has = li.slot.m.has(k as never);
        } catch (e) {
          has = e;
        }
        const st = this.rt.inspect(li.slot.m);
        this.fail(
          `iteration produced ${show(k)}, which is not in the map (m.has: ${String(has)}; B ${st.B}, growing ${st.growing}, ` +
            `sameSize ${st.sameSizeGrow}, nevacuate ${st.nevacuate}, count ${st.count})`,
        );
      }
      if (li.side === -1 && !same(v, cur.v))
        this.fail(`iteration produced ${show(k)} → ${show(v)}, current value ${show(cur.v)}`);
      const c = (li.tr.produced.get(nk) ?? 0) + 1;
      li.tr.produced.set(nk, c);
      if (c > 1 && !(li.tr.deleted.has(nk) && li.tr.inserted.has(nk))) this.fail(`iteration produced ${show(k)} twice`);
    }
  }

  /** for-of / forEach over a map whose consumer writes and may throw. */
  consumeWithThrow(slot: Slot): void {
    const r = this.r;
    const throwAt = randInt(r, 0, Math.max(1, slot.o.size));
    this.lastDesc = `consume map ${slot.id} (write while iterating, throw at ${throwAt})`;
    this.history.push(`${this.opIndex}: ${this.lastDesc}`);
    let n = 0;
    const body = (k: unknown, v: unknown) => {
      if (!(typeof k === "number" && k !== k)) {
        const cur = slot.o.m.get(norm(k as Key));
        if (!cur || !same(cur.v, v)) this.fail(`consumer got ${show(k)} → ${show(v)}, the map has ${show(cur?.v)}`);
      }
      if (n++ === throwAt) {
        this.stats.consumerThrows++;
        throw new Injected("consumer", "the consumer throws");
      }
      if (r() < 0.2) {
        const op = r() < 0.5 ? this.setOp(slot) : this.deleteOp(slot);
        this.exec(op);
      }
    };
    try {
      if (r() < 0.5) for (const [k, v] of slot.m) body(k, v);
      else slot.m.forEach((v, k) => body(k, v));
    } catch (e) {
      if (!(e instanceof Injected && e.source === "consumer")) {
        if (e instanceof OutOfMemoryError && n === 0) return; // the iterator's roots
        if (e instanceof OutOfMemoryError)
          this.fail(
            `an iterator step ran out of memory (a long key's lookup allocates; the entry is lost): ${e.message}`,
          );
        throw e;
      }
    }
  }

  invalidate(slot: Slot | null, how: string): void {
    for (const li of this.iters) if (slot === null || li.slot === slot) li.invalidated ??= how;
  }

  // ------------------------------------------------------- whole-map ops

  gcOp(): void {
    const r = this.r;
    const x = r();
    const slot = this.pickSlot();
    const what = x < 0.4 ? "rt.gc()" : x < 0.7 ? "rt.gcStart()" : "rt.gcStep()";
    this.exec({
      desc: what,
      slot,
      effects: [],
      batch: false,
      touched: [],
      run: () => {
        if (x < 0.4) this.rt.gc();
        else if (x < 0.7) this.rt.gcStart();
        else this.rt.gcStep(randInt(r, 1, 1 << 18));
      },
    });
  }

  /** clear() / shrink(): callbacks may read or throw, not write (a write
   *  to the map after its clear would be ordered by delivery). */
  clearOrShrink(slot: Slot, what: "clear" | "shrink"): void {
    this.lastDesc = `${what}() map ${slot.id}`;
    this.history.push(`${this.opIndex}: ${this.lastDesc}`);
    const adversaries = this.opt.gctrace || slot.hooked;
    this.mode = adversaries ? (["none", "stats", "read", "throw"] as Mode[])[randInt(this.r, 0, 3)]! : "none";
    this.cur = { slot, keys: new Set(), all: true };
    let err: unknown = null;
    try {
      slot.m[what]();
    } catch (e) {
      err = e;
    }
    this.mode = "none";
    this.cur = null;
    if (err === null || (err instanceof Injected && err.source === "gctrace")) {
      // Done (a callback's exception comes after the work).
      if (what === "clear") slot.o.clear();
      this.invalidate(slot, what === "clear" ? "cleared" : "shrunk");
    } else if (err instanceof OutOfMemoryError && what === "shrink") {
      this.stats.ooms++;
    } else this.outcome({ desc: `${what}()`, slot, effects: [], batch: false, touched: [], run: () => 0 }, err);
    if (slot.m.size !== slot.o.size) this.fail(`${what}(): size ${slot.m.size}, want ${slot.o.size}`);
  }

  freeAndRecreate(): void {
    const slot = this.pickSlot();
    this.lastDesc = `free map ${slot.id} and make another`;
    this.history.push(`${this.opIndex}: ${this.lastDesc}`);
    slot.m.free();
    this.invalidate(slot, "freed");
    let threw: unknown = null;
    try {
      slot.m.get(genKey(slot.kk, this.r, 10, 0) as never);
    } catch (e) {
      threw = e;
    }
    if (!(threw instanceof UseAfterFreeError)) this.fail(`get after free(): ${String(threw)}`);
    for (const li of this.iters.filter((l) => l.slot === slot)) this.stepIter(li, 1);
    this.slots.splice(this.slots.indexOf(slot), 1);
    this.addSlot();
    if (this.slots.length === 0) {
      this.loosen();
      this.rt.gc();
      this.addSlot();
      if (this.slots.length === 0) this.fail("no room for one map after a full collection");
    }
  }

  async compactOp(): Promise<void> {
    const before = this.rt.compactions;
    this.lastDesc = "rt.compact()";
    this.history.push(`${this.opIndex}: rt.compact()`);
    this.mode = this.opt.gctrace ? (["none", "stats", "read", "throw"] as Mode[])[randInt(this.r, 0, 3)]! : "none";
    try {
      await this.rt.compact();
    } catch (e) {
      if (!(e instanceof OutOfMemoryError || e instanceof Injected)) {
        this.mode = "none";
        throw e;
      }
      if (e instanceof OutOfMemoryError) this.stats.ooms++;
    }
    this.mode = "none";
    if (this.rt.compactions !== before) {
      this.stats.compactions++;
      this.invalidate(null, "compacted");
      this.tightUntil = -1;
      this.reseed();
    }
    for (const sl of this.slots)
      if (sl.m.size !== sl.o.size) this.fail(`after compact: map ${sl.id} size ${sl.m.size}, want ${sl.o.size}`);
  }

  // ------------------------------------------------------- stack overflow

  /** The deepest recursion at whose bottom a no-op still runs. */
  calibrate(): void {
    let lo = 0,
      hi = 1 << 20;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      try {
        atDepth(mid, () => 0);
        lo = mid;
      } catch {
        hi = mid - 1;
      }
    }
    this.maxDepth = lo;
  }

  /** A single or batch operation at the bottom of a recursion swept around
   *  the depth where the stack runs out inside it. */
  overflowOp(): void {
    const r = this.r;
    if (this.opIndex % 256 === 0) this.calibrate();
    this.inOverflow = true;
    const slot = this.pickSlot();
    const x = r();
    const op =
      x < 0.45
        ? this.setOp(slot)
        : x < 0.6
          ? this.deleteOp(slot)
          : x < 0.7
            ? this.getOp(slot)
            : x < 0.85
              ? this.setManyOp(slot)
              : x < 0.9
                ? this.deleteManyOp(slot)
                : this.getManyOp(slot);
    // Most of the depths land inside the call: within a few hundred frames
    // of the limit (one frame of atDepth is about as deep as a small core
    // frame).
    const back = r() < 0.7 ? randInt(r, 0, 120) : randInt(r, 0, 1500);
    const depth = Math.max(0, this.maxDepth - back);
    op.desc = `${op.desc} at depth ${depth} (limit ${this.maxDepth})`;
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 50;
    try {
      this.exec(op, (f) => atDepth(depth, f));
    } finally {
      this.inOverflow = false;
      Error.stackTraceLimit = limit;
    }
  }

  // ------------------------------------------------------------ checking

  checkMaps(): void {
    if (!this.opt.debug) return;
    const dbg = boundaryOf(this.rt).requireDebug("adversarial");
    for (const sl of this.slots) mapOps(sl.m).checkMap!(mapHandle(sl.m));
    dbg.checkHeap();
  }

  /** Every map in full against its oracle; the debug build's checkers. */
  checkpoint(): void {
    this.stats.checkpoints++;
    this.lastDesc = "checkpoint";
    this.loosen();
    this.checkMaps();
    for (const sl of this.slots) {
      if (sl.m.size !== sl.o.size) this.fail(`checkpoint: map ${sl.id} size ${sl.m.size}, want ${sl.o.size}`);
      const seen = new Map<Key, Val>();
      let nans = 0;
      let entries: Iterable<[unknown, unknown]>;
      try {
        entries = [...sl.m];
      } catch (e) {
        if (!(e instanceof OutOfMemoryError)) throw e;
        entries = [];
        for (const { k, v } of sl.o.m.values()) {
          if (isLong(k)) continue;
          const got = sl.m.get(k as never);
          if (!same(got, v)) this.fail(`checkpoint: map ${sl.id} get(${show(k)}) = ${show(got)}, want ${show(v)}`);
        }
        continue;
      }
      for (const [k, v] of entries) {
        if (typeof k === "number" && k !== k) {
          nans++;
          continue;
        }
        const nk = norm(k as Key);
        if (seen.has(nk)) this.fail(`checkpoint: map ${sl.id} iteration produced ${show(k)} twice`);
        seen.set(nk, v as Val);
      }
      if (nans !== sl.o.nans) this.fail(`checkpoint: map ${sl.id} has ${nans} NaN keys, want ${sl.o.nans}`);
      for (const [nk, { k, v }] of sl.o.m)
        if (!seen.has(nk) || !same(seen.get(nk), v))
          this.fail(`checkpoint: map ${sl.id} ${show(k)} → ${show(seen.get(nk))}, want ${show(v)}`);
    }
  }
}

/** A copy of x whose own `length` property lies (its real extent is x's). */
function lying(x: Uint8Array, r: () => number): Uint8Array {
  const y = x.slice();
  Object.defineProperty(y, "length", { value: r() < 0.5 ? 0 : x.length + randInt(r, 1, 100_000) });
  return y;
}
