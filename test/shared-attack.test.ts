// Shared readers against owner-side paths that broke the protocol's
// assumptions (docs/shared.md), each found by reading the writers against
// the reader:
//
// - a runtime that died inside a write (an exception between the core's
//   assign and the host's close of its group word) left the word odd for
//   good: readers spun forever, and rt.close() on the dead runtime never
//   told them;
// - Runtime.restore into a shared runtime took the image's sequence words
//   (control word, map words, group words) as they were: a crafted image
//   made a live runtime's readers throw RuntimeClosedError, or spin on an
//   odd word (and, odd at rest, a word is even during a write: a reader
//   would accept a torn read);
// - a descriptor whose hmap offsets put a field past the end of memory
//   passed attach, and every lookup threw a raw RangeError;
// - pool.put(m) of a shared map let the pool drop it (its hmap released,
//   not retired): the hmap's 32 bytes went to the next map made, and the
//   reader answered with that map's entries.
//
// A reader that would spin forever in this thread is caught by its memory's
// `buffer` getter (read every 16 retries), which throws after many reads.
import { describe, expect, it } from "vitest";
import {
  attach,
  CoreTrapError,
  InvalidArgumentError,
  Runtime,
  SharedRuntimeError,
  type GoMap,
  type SharedMapDescriptor,
} from "../src/node.js";
import { boundaryOf } from "../src/runtime.js";
import { mapHandle } from "../src/map.js";
import { reseal, sectionsOf } from "./snapshot-helpers.js";

/** The descriptor over a memory whose `buffer` getter throws once a
 *  reader has read it `limit` times (a reader re-reads it every 16
 *  retries): a reader spinning forever fails the test instead of hanging. */
function spinGuard(d: SharedMapDescriptor, limit = 2000): SharedMapDescriptor {
  const real = d.memory;
  let reads = 0;
  const memory = Object.create(WebAssembly.Memory.prototype, {
    buffer: {
      get() {
        if (++reads > limit) throw new Error(`the reader is still retrying after ${limit * 16} tries`);
        return real.buffer;
      },
    },
  });
  return { ...d, memory } as SharedMapDescriptor;
}

/** The addresses of map d's 64 group words. */
function groupWords(d: SharedMapDescriptor): number[] {
  return Array.from({ length: d.groupCount }, (_, g) => d.groups + 4 * (g * d.groupStride + d.groupBase));
}

async function filled(n: number) {
  const rt = await Runtime.create({ shared: true });
  const m = rt.map({ key: "u32", value: "u32" });
  for (let i = 0; i < n; i++) m.set(i, i * 10);
  const d = rt.share(m);
  return { rt, m, d };
}

describe("shared readers: owner-side paths", () => {
  it("a runtime that died inside a write: readers throw SharedRuntimeError (they spun on the word it left open)", async () => {
    const { rt, m, d } = await filled(100);
    const r = attach(spinGuard(d));
    expect(r.get(5)).toBe(50);
    // An exception between mapassign and the value's store — a stack
    // overflow in the host's code there: the view is read through a getter
    // — kills the runtime with the key's group word open.
    const b = boundaryOf(rt);
    Object.defineProperty(b, "u32", {
      configurable: true,
      get() {
        throw new RangeError("Maximum call stack size exceeded");
      },
    });
    expect(() => m.set(5, 55)).toThrow(CoreTrapError);
    delete (b as unknown as Record<string, unknown>).u32;
    expect(b.dead).not.toBeNull();
    const i32 = new Int32Array(d.memory.buffer);
    expect(groupWords(d).some((w) => (Atomics.load(i32, w >>> 2) & 1) === 1)).toBe(true); // the open write
    expect(() => r.get(5)).toThrow(SharedRuntimeError);
    expect(() => r.get(7)).toThrow(/died/);
    expect(() => r.has(5)).toThrow(SharedRuntimeError);
    expect(() => r.size).toThrow(SharedRuntimeError);
    expect(() => [...r.entries()]).toThrow(SharedRuntimeError);
    // A new reader, and the dead runtime's close(), change nothing.
    const r2 = attach(spinGuard(d));
    expect(() => r2.getMany([1, 2])).toThrow(SharedRuntimeError);
    rt.close();
    expect(() => r.get(5)).toThrow(SharedRuntimeError);
  });

  it("a runtime that died between writes: readers throw SharedRuntimeError too, as its maps throw RuntimeDeadError", async () => {
    const { rt, d } = await filled(10);
    const r = attach(d);
    expect(r.get(3)).toBe(30);
    const b = boundaryOf(rt);
    b.trapped(new Error("injected"), "a test", true);
    expect(b.dead).not.toBeNull();
    expect(() => r.get(3)).toThrow(SharedRuntimeError);
  });

  const SPOILED: [string, (d: SharedMapDescriptor) => number[]][] = [
    ["the control word says closed", (d) => [d.control]],
    ["the map's map word is odd", (d) => [d.seq]],
    ["the map's group words are odd", (d) => groupWords(d)],
  ];
  for (const [what, words] of SPOILED) {
    it(`restore into a shared runtime starts its sequence words afresh: an image where ${what}`, async () => {
      const { rt, m, d } = await filled(200);
      const img = rt.snapshot({ maps: { m } });
      const secs = sectionsOf(img).slice(1);
      const off = (addr: number): number => {
        const s = secs.find((x) => addr >= x.address && addr + 4 <= x.address + x.length)!;
        return s.offset + (addr - s.address);
      };
      const bad = img.slice();
      const dv = new DataView(bad.buffer, bad.byteOffset, bad.byteLength);
      for (const w of words(d)) dv.setUint32(off(w), 1, true);
      const { rt: rt2, maps } = await Runtime.restore(reseal(bad), { shared: true });
      const m2 = maps.m as GoMap<"u32", "u32">;
      const d2 = rt2.share(m2);
      const r = attach(spinGuard(d2));
      for (let i = 0; i < 200; i += 7) expect(r.get(i)).toBe(i * 10);
      expect(r.size).toBe(200);
      m2.set(1000, 1);
      m2.delete(3);
      expect([r.get(1000), r.has(3)]).toEqual([1, false]);
      // Every word of the restored runtime is at rest: even.
      const i32 = new Int32Array(d2.memory.buffer);
      for (const w of [d2.seq, ...groupWords(d2)]) expect(Atomics.load(i32, w >>> 2) & 1).toBe(0);
      rt2.close();
      rt.close();
    });
  }

  it("a descriptor whose hmap fields lie past the end of memory is an InvalidArgumentError at attach (lookups threw RangeError)", async () => {
    const { rt, d } = await filled(10);
    const size = d.memory.buffer.byteLength;
    for (const f of ["hmapCount", "hmapFlags", "hmapB", "hmapHash0", "hmapBuckets", "hmapOldbuckets", "hmapTyp"]) {
      const bad = { ...d, h: size - 64, layout: { ...d.layout, [f]: 252 } } as SharedMapDescriptor;
      let err: unknown;
      try {
        const r = attach(bad);
        r.get(1);
        void r.size;
        void [...r.entries()];
      } catch (e) {
        err = e;
      }
      expect(err, f).toBeInstanceOf(InvalidArgumentError);
    }
    rt.close();
  });

  it("getMany reads each key once: a key whose getter answers differently the second time cannot throw after found was written", async () => {
    const { rt, d } = await filled(10);
    const r = attach(d);
    let reads = 0;
    const keys: unknown[] = [1];
    Object.defineProperty(keys, 1, {
      enumerable: true,
      get() {
        return ++reads === 1 ? 2 : "not a u32";
      },
    });
    const found = new Uint8Array(2).fill(7);
    expect(Array.from(r.getMany(keys as number[], undefined, found))).toEqual([10, 20]);
    expect(Array.from(found)).toEqual([1, 1]);
    expect(reads).toBe(1);
    rt.close();
  });

  it("pool.put of a shared map is refused: a pool dropped it and the next map made took its hmap, whose entries its readers then answered", async () => {
    const { rt, m, d } = await filled(3);
    const h = mapHandle(m as unknown as GoMap);
    const r = attach(d);
    const pool = rt.pool({ key: "u32", value: "u32", generation: "transient", maxIdle: 0 });
    expect(() => pool.put(m)).toThrow(SharedRuntimeError);
    // The map is untouched and still the readers'.
    expect(m.get(1)).toBe(10);
    rt.gc();
    rt.gc();
    const others = Array.from({ length: 64 }, () => rt.map({ key: "u32", value: "u32" }).set(1, 999));
    expect(others.some((x) => mapHandle(x as unknown as GoMap) === h)).toBe(false);
    expect(r.get(1)).toBe(10);
    // free() is the way to let go of a shared map: readers are told.
    m.free();
    expect(() => r.get(1)).toThrow(/freed/);
    expect(pool.stats().puts).toBe(0);
    rt.close();
  });

  it("iteration copies a reference's bytes only while its group word holds: a write racing the pass costs a retry, not a copy of its garbage length", async () => {
    const rt = await Runtime.create({ shared: true });
    const m = rt.map({ key: "string", value: "string" });
    m.set("hello", "world");
    const d = rt.share(m);
    const i32 = new Int32Array(d.memory.buffer);
    const L = d.layout;
    const b = Atomics.load(i32, (d.h + L.hmapBuckets) >>> 2);
    let slot = -1;
    for (let i = 0; i < 8; i++) if (new Uint8Array(d.memory.buffer)[b + i]! >= 5) slot = (b + L.values + 8 * i) >>> 2;
    expect(slot).toBeGreaterThan(0);
    const saved = [i32[slot]!, i32[slot + 1]!];
    const gw = groupWords(d)[0]! >>> 2; // one bucket: group 0
    const big = Math.min(1 << 22, d.memory.buffer.byteLength - 128);
    // A write that races the pass, played through Atomics.load: when the
    // reader loads the value's reference, the "owner" has just written
    // garbage there (a reference to `big` bytes of the heap) and moved the
    // group word on; when the reader next loads the group word, the write
    // is undone (and the word moves on again).
    const realLoad = Atomics.load;
    let phase = 0,
      loads = 0;
    (Atomics as { load: unknown }).load = (a: Int32Array | Uint8Array, i: number) => {
      loads++;
      if (a instanceof Int32Array && a.buffer === i32.buffer) {
        if (phase === 1 && i === slot) {
          phase = 2;
          Atomics.store(i32, slot, 64);
          Atomics.store(i32, slot + 1, big);
          Atomics.add(i32, gw, 2);
        } else if (phase === 2 && i === gw) {
          phase = 3;
          Atomics.store(i32, slot, saved[0]!);
          Atomics.store(i32, slot + 1, saved[1]!);
          Atomics.add(i32, gw, 2);
        }
      }
      return realLoad(a as Int32Array, i);
    };
    const r = attach(d);
    let entries: unknown;
    try {
      phase = 1;
      entries = [...r.entries()];
    } finally {
      (Atomics as { load: unknown }).load = realLoad;
    }
    expect(entries).toEqual([["hello", "world"]]);
    expect(phase).toBe(3);
    // Copying the garbage would have taken one load per byte.
    expect(loads).toBeLessThan(10_000);
    rt.close();
  });

  it("forEach: a callback that re-enters the reader, or throws, sees one consistent pass and leaves the reader whole", async () => {
    const { rt, m, d } = await filled(50);
    const r = attach(d);
    const seen = new Map<number, number>();
    let nested = 0;
    r.forEach((v, k, self) => {
      expect(self).toBe(r);
      seen.set(k as number, v as number);
      // Re-entry: lookups and a whole nested pass from inside the callback.
      expect(self.get(k)).toBe(v);
      if (nested++ === 0) expect([...self.entries()].length).toBe(50);
      // A write the owner makes meanwhile is not in this pass (it was read whole first).
      if (k === 0) m.set(1000, 1);
    });
    expect(seen.size).toBe(50);
    expect(seen.has(1000)).toBe(false);
    expect(r.get(1000)).toBe(1);
    const boom = new Error("from the callback");
    let calls = 0;
    expect(() =>
      r.forEach(() => {
        calls++;
        throw boom;
      }),
    ).toThrow(boom);
    expect(calls).toBe(1);
    // The reader goes on: its scratch and counters were not left half-way.
    expect(r.size).toBe(51);
    expect([...r.keys()].length).toBe(51);
    expect(r.get(7)).toBe(70);
    rt.close();
  });

  it("getMany over a Proxy whose length lies (grows while read): the length is read once, extra keys are never looked at", async () => {
    const { rt, d } = await filled(10);
    const r = attach(d);
    const backing = [1, 2, 3];
    let lengthReads = 0;
    const keys = new Proxy(backing, {
      get(t, p, recv) {
        if (p === "length") return ++lengthReads === 1 ? 3 : 1e9;
        return Reflect.get(t, p, recv);
      },
    });
    const out = r.getMany(keys as number[]);
    expect(Array.from(out)).toEqual([10, 20, 30]);
    expect(lengthReads).toBe(1);
    rt.close();
  });
});
