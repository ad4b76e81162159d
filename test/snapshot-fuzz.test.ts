// Fuzzing Runtime.restore with mutated images (fast-check). Every mutated
// image must either be refused with a SnapshotError or restore into a
// runtime that the debug build's full checkers accept (checkHeap, checkMap
// of every map) and whose maps iterate to their size. Half of the mutated
// images get their checksum recomputed (reseal), so the structural checks
// — not the checksum — are what must catch them: pointers edited to leave
// the heap or to loop an overflow chain, counts that disagree with the
// buckets, edited section tables and runtime state.
//
// GOMAP_FUZZ_RUNS (default 5000) sets the number of mutated images; the
// seed is printed, GOMAP_FUZZ_SEED replays one.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Runtime, SnapshotError, type GoMap, type KindName } from "../src/node.js";
import { boundaryOf } from "../src/runtime.js";
import { mapHandle, mapOps } from "../src/map.js";
import { HEADER_BYTES } from "../src/snapshot.js";
import { reseal, sectionsOf, stateOf } from "./snapshot-helpers.js";

const RUNS = Number(process.env.GOMAP_FUZZ_RUNS ?? 5000);
const SEED = Number(process.env.GOMAP_FUZZ_SEED ?? Date.now() % 0x7fffffff);

interface Base {
  img: Uint8Array;
  /** File offset of memory address a (or -1). */
  off: (a: number) => number;
  /** Interesting words: overflow pointers, hmap fields, list entries. */
  targets: number[];
  /** Addresses to aim edited pointers at: buckets, hmaps, their insides. */
  aims: number[];
}

/** Debug images of a few maps in states worth mutating: overflow chains,
 *  a growth in progress, string keys and values, deletes. */
async function bases(): Promise<Base[]> {
  const out: Base[] = [];
  const specs: [KindName, KindName, number][] = [
    ["u32", "u32", 3000],
    ["string", "string", 800],
    ["u64", "bytes", 1500],
  ];
  for (const [key, value, n] of specs) {
    const rt = await Runtime.create({ debug: true, maxMemory: "16MiB" });
    const m = rt.map({ key, value }) as GoMap<KindName, KindName>;
    const k = (i: number): unknown =>
      key === "u32"
        ? (i * 2654435761) >>> 0
        : key === "string"
          ? `key-${i}`
          : (BigInt(i) * 0x9e3779b97f4a7c15n) & 0xffffffffffffffffn;
    const v = (i: number): unknown =>
      value === "u32" ? i : value === "string" ? `value-${i}` : new Uint8Array([i & 255, 7]);
    for (let i = 0; i < n; i++) m.set(k(i) as never, v(i) as never);
    for (let i = 0; i < n; i += 5) m.delete(k(i) as never);
    // Leave a growth in progress in the first map.
    if (key === "u32") {
      let i = n;
      while (!rt.inspect(m).growing) m.set(k(i++) as never, v(i) as never);
    }
    const img = rt.snapshot({ maps: { m } });
    const b = boundaryOf(rt);
    const secs = sectionsOf(img).slice(1);
    const off = (a: number): number => {
      for (const s of secs) if (a >= s.address && a < s.address + s.length) return s.offset + (a - s.address);
      return -1;
    };
    // Targets and aims, read from the source runtime (the image is its heap).
    const h = mapHandle(m);
    const L = b.hmap;
    const lay = b.bucketLayout(
      `${key === "u32" ? "k32" : key === "string" ? "ks" : "k64"}_${value === "u32" ? "v32" : value === "string" ? "vs" : "vs"}`,
    );
    const u32 = b.u32;
    const targets: number[] = [];
    const aims: number[] = [h, 0, 8, 0xfffffff0, b.memory.buffer.byteLength];
    for (const f of ["count", "B", "buckets", "oldbuckets", "nevacuate", "extra", "typ", "flags"] as const)
      targets.push(h + L[f]);
    const B = b.u8[h + L.B]!;
    for (const [arr, count] of [
      [u32[(h + L.buckets) >>> 2]!, 2 ** B],
      [u32[(h + L.oldbuckets) >>> 2]!, 2 ** Math.max(0, B - 1)],
    ] as const) {
      if (arr === 0) continue;
      const nb = Math.min(64, count);
      for (let j = 0; j < nb; j++) {
        const bucket = arr + j * lay.size;
        aims.push(bucket, bucket + 4);
        targets.push(bucket + lay.overflow, bucket + lay.keys, bucket);
        let p = u32[(bucket + lay.overflow) >>> 2]!;
        while (p !== 0) {
          aims.push(p);
          targets.push(p + lay.overflow, p + lay.keys);
          p = u32[(p + lay.overflow) >>> 2]!;
        }
      }
    }
    const extra = u32[(h + L.extra) >>> 2]!;
    if (extra !== 0) for (let i = 0; i < 8; i++) targets.push(extra + i * 4);
    out.push({ img, off, targets: targets.filter((t) => off(t) >= 0), aims });
    rt.close();
  }
  return out;
}

type Mutation =
  | { kind: "flip"; at: number; bit: number }
  | { kind: "word"; target: number; value: number }
  | { kind: "aim"; target: number; aim: number; delta: number }
  | { kind: "truncate"; len: number }
  | { kind: "table"; at: number; value: number }
  | { kind: "state"; which: number; delta: number };

const mutation = fc.oneof(
  fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), bit: fc.nat(7) }),
  fc.record({ kind: fc.constant("word" as const), target: fc.nat(), value: fc.nat({ max: 0xffffffff }) }),
  fc.record({
    kind: fc.constant("aim" as const),
    target: fc.nat(),
    aim: fc.nat(),
    delta: fc.integer({ min: -8, max: 8 }),
  }),
  fc.record({ kind: fc.constant("truncate" as const), len: fc.nat() }),
  fc.record({ kind: fc.constant("table" as const), at: fc.nat(), value: fc.nat({ max: 0xffffffff }) }),
  fc.record({ kind: fc.constant("state" as const), which: fc.nat(), delta: fc.integer({ min: -3, max: 3 }) }),
);

function apply(base: Base, muts: Mutation[]): Uint8Array {
  let img = base.img.slice();
  const dv = () => new DataView(img.buffer, img.byteOffset, img.byteLength);
  for (const m of muts) {
    switch (m.kind) {
      case "flip":
        img[m.at % img.length]! ^= 1 << m.bit;
        break;
      case "word": {
        const o = base.off(base.targets[m.target % base.targets.length]!) & ~3;
        if (o >= 0 && o + 4 <= img.length) dv().setUint32(o, m.value, true);
        break;
      }
      case "aim": {
        const o = base.off(base.targets[m.target % base.targets.length]!) & ~3;
        if (o >= 0 && o + 4 <= img.length)
          dv().setUint32(o, (base.aims[m.aim % base.aims.length]! + m.delta * 4) >>> 0, true);
        break;
      }
      case "truncate":
        img = img.slice(0, m.len % img.length);
        break;
      case "table": {
        const n = Math.min(img.length, HEADER_BYTES + 16 * 8);
        if (n > 8) dv().setUint32(((m.at % (n - 4)) & ~3) >>> 0, m.value, true);
        break;
      }
      case "state": {
        // A numeric core global nudged: parse, edit, write back as JSON of
        // the same length when it fits (else skipped).
        try {
          const st = stateOf(img) as { globals: Record<string, number | string> };
          const names = Object.keys(st.globals).filter((k) => typeof st.globals[k] === "number");
          const name = names[m.which % names.length]!;
          const oldText = `"${name}":${st.globals[name]}`;
          const newText = `"${name}":${(st.globals[name] as number) + m.delta}`;
          if (newText.length !== oldText.length) break;
          const s = sectionsOf(img)[0]!;
          const text = new TextDecoder().decode(img.subarray(s.offset, s.offset + s.length));
          const i = text.indexOf(oldText);
          if (i >= 0) img.set(new TextEncoder().encode(newText), s.offset + i);
        } catch {
          // the header or table no longer parses: nothing to edit
        }
        break;
      }
    }
  }
  return img;
}

describe("restore of mutated images (fast-check)", () => {
  it(`every mutated image is refused or restores into a runtime the debug checkers accept (${RUNS} images)`, async () => {
    const bs = await bases();
    const outcomes: Record<string, number> = {};
    let restored = 0;
    console.log(`snapshot fuzz: seed ${SEED}, ${RUNS} mutated images (GOMAP_FUZZ_SEED=${SEED} replays)`);
    await fc.assert(
      fc.asyncProperty(
        fc.nat(bs.length - 1),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        async (which, muts, sealed) => {
          const base = bs[which]!;
          let img = apply(base, muts);
          if (sealed) {
            try {
              img = reseal(img);
            } catch {
              // header or table unparseable: reseal cannot help, restore must refuse
            }
          }
          let r: Awaited<ReturnType<typeof Runtime.restore>>;
          try {
            r = await Runtime.restore(img, { debug: true });
          } catch (e) {
            if (!(e instanceof SnapshotError)) throw e; // anything else is a bug
            const key = `${sealed ? "sealed" : "raw"}:${e.reason}`;
            outcomes[key] = (outcomes[key] ?? 0) + 1;
            return;
          }
          // Accepted: the debug checkers must pass and the maps must iterate.
          restored++;
          outcomes[sealed ? "sealed:accepted" : "raw:accepted"] =
            (outcomes[sealed ? "sealed:accepted" : "raw:accepted"] ?? 0) + 1;
          try {
            boundaryOf(r.rt).requireDebug("fuzz").checkHeap();
            for (const m of Object.values(r.maps)) {
              mapOps(m).checkMap!(mapHandle(m));
              let n = 0;
              for (const _ of m) n++;
              expect(n).toBe(m.size);
            }
            r.rt.gc();
            boundaryOf(r.rt).requireDebug("fuzz").checkHeap();
          } finally {
            r.rt.close();
          }
        },
      ),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
    console.log(`snapshot fuzz outcomes: ${JSON.stringify(outcomes)}`);
    // The fuzz reached both sides: refusals by the structural checks of
    // resealed images, and images that were accepted.
    const structural = Object.entries(outcomes)
      .filter(([k]) => k.startsWith("sealed:") && (k.endsWith(":structure") || k.endsWith(":maps")))
      .reduce((a, [, v]) => a + v, 0);
    expect(structural).toBeGreaterThan(0);
    expect(restored).toBeGreaterThan(0);
  }, 180_000);
});
