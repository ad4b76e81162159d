// rt.inspectHeap(): the page heap walked span by span, checked against
// MemStats and spanClasses(), and the collector's progress while marking.
import { describe, expect, it } from "vitest";
import { Runtime } from "../src/node.js";

describe("rt.inspectHeap", () => {
  it("spans and free runs add up to HeapInuse and HeapIdle; classes match spanClasses()", async () => {
    const rt = await Runtime.create({ gcPercent: "off", maxMemory: "256MiB" });
    const m = rt.map({ key: "u32", value: "string" });
    const n = rt.map({ key: "u64", value: "u64", hint: 100_000 });
    for (let i = 0; i < 20000; i++) m.set(i, `value ${i}`);
    for (let i = 0; i < 5000; i++) m.delete(i * 3);
    n.set(1n, 2n);
    rt.gc();
    const h = rt.inspectHeap();
    const s = rt.readMemStats();
    const sum = (state: string) => h.spans.filter((x) => x.state === state).reduce((a, x) => a + x.bytes, 0);
    expect(sum("inuse")).toBe(s.HeapInuse);
    expect(sum("free")).toBe(s.HeapIdle);
    expect(h.freeRuns.reduce((a, x) => a + x.bytes, 0)).toBe(s.HeapIdle);
    expect(sum("inuse") + sum("free") + h.metaPages * 8192).toBe(h.arena.bytes);
    // Address order, no gaps.
    for (let i = 1; i < h.spans.length; i++)
      expect(h.spans[i]!.address).toBe(h.spans[i - 1]!.address + h.spans[i - 1]!.bytes);
    const rows = rt.spanClasses();
    expect(h.classes.map((c) => [c.spanClass, c.spans, c.pages, c.slots, c.allocated])).toEqual(
      rows.map((r) => [r.spanClass, r.spans, r.pages, r.slots, r.allocated]),
    );
    for (const sp of h.spans.filter((x) => x.state === "inuse")) {
      expect(sp.allocated).toBeLessThanOrEqual(sp.slots);
      expect(sp.freeindex).toBeLessThanOrEqual(sp.slots);
      expect(sp.sizeClass === 0 ? sp.slots === 1 : sp.elemSize * sp.slots <= sp.bytes).toBe(true);
    }
    expect(h.gc.phase).toBe("off");
    expect(h.gc.numGC).toBe(1);
  });

  it("shows marking progress while a cycle runs", async () => {
    const rt = await Runtime.create({ gcPercent: "off" });
    const m = rt.map({ key: "u32", value: "string" });
    for (let i = 0; i < 50000; i++) m.set(i, `v${i}`);
    rt.gcStart();
    const a = rt.inspectHeap();
    expect(a.gc.phase).toBe("mark");
    rt.gcStep(64 * 1024);
    const b = rt.inspectHeap();
    expect(b.gc.bytesMarked).toBeGreaterThan(a.gc.bytesMarked);
    expect(b.gc.markProgress).toBeGreaterThan(0);
    expect(b.spans.reduce((x, s) => x + s.marked, 0)).toBeGreaterThan(0);
    while (rt.gcPhase === "mark") rt.gcStep(1 << 20);
    const c = rt.inspectHeap();
    expect(c.gc.phase).toBe("off");
    expect(c.gc.markProgress).toBe(1);
  });
});

describe("rt.inspectBuckets", () => {
  it("copies every tophash byte; its counts equal rt.inspect's, growing or not", async () => {
    const rt = await Runtime.create({ gcPercent: "off" });
    for (const shape of [
      { key: "u32", value: "u32" },
      { key: "string", value: "u64" },
    ] as const) {
      const m = rt.map({ ...shape, seed: 7 }) as import("../src/node.js").GoMap<"u32", "u32">;
      const key = (i: number) => (shape.key === "string" ? `k${i}` : i) as number;
      let i = 0;
      for (; i < 300; i++) m.set(key(i), 1);
      for (let j = 0; j < 300; j += 4) m.delete(key(j));
      for (const growing of [false, true]) {
        while (rt.inspect(m).growing !== growing) m.set(key(i++), 1);
        const x = rt.inspectBuckets(m);
        const ins = rt.inspect(m);
        const c = { emptyRest: 0, emptyOne: 0, live: 0, evacuatedX: 0, evacuatedY: 0, evacuatedEmpty: 0 };
        for (const arr of [x.current, x.old]) {
          if (!arr) continue;
          for (const t of [...arr.tophash, ...arr.overflowTophash]) {
            if (t >= 5) c.live++;
            else c[(["emptyRest", "emptyOne", "evacuatedX", "evacuatedY", "evacuatedEmpty"] as const)[t]!]++;
          }
        }
        expect(c).toEqual(ins.tophash);
        expect(x.current!.nbuckets).toBe(ins.buckets);
        expect(x.old?.nbuckets ?? 0).toBe(ins.oldBuckets);
        expect(x.nevacuate).toBe(ins.nevacuate);
        expect(x.current!.chainLength.reduce((a, n) => a + n, 0)).toBe(ins.overflowBuckets);
      }
    }
  });
});
