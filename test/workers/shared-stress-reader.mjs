// A reader of test/shared-stress.test.ts: looks random keys up in the
// writer's map (test/workers/shared-stress-writer.mjs) until it made `max`
// lookups and the writer cleared the map at least `clears` times, and
// checks every answer:
//   - a value's halves agree with its key and version (torn or wrong-key
//     reads show: the low half is key·φ ^ version);
//   - its version is not from the future (≤ the version announced after
//     the lookup), not older than the state the key had before the lookup,
//     and never behind what this reader saw before for the key;
//   - when the key's committed word did not change around the lookup (no
//     op pending, no clear running), the answer is exactly that state:
//     that version if present, undefined if absent;
//   - keys at and above `span` are never written: always undefined.
// With kind "string" (a string→string map) a value is "version|key·φ ^
// version|filler": the filler's length follows the version, so a value
// read from a reused object, torn or cut short shows too.
import { parentPort, workerData } from "node:worker_threads";
import { attach } from "../../dist/node.js";

const { descriptor, span, max, clears, seed, kind = "u32" } = workerData;
const str = kind === "string";
const keyOf = str ? (k) => (k % 16 === 0 ? "ü€".repeat(30) + k : `key${k}`) : (k) => k;
const ctl = new Int32Array(workerData.ctl);
const committed = new Int32Array(workerData.committed);
const CLEARING = 1,
  OPS = 2,
  CLEARS = 3;
const PHI = 0x9e3779b1;
const r = attach(descriptor);
const last = new Int32Array(span).fill(-1);
let bad = 0,
  n = 0,
  exact = 0,
  hits = 0;
const samples = [];
const fail = (what) => {
  bad++;
  if (samples.length < 10) samples.push(what);
};
while (Atomics.load(ctl, OPS) === 0); // the writer is running
let x = seed | 1;
while (n < max || Atomics.load(ctl, CLEARS) < clears) {
  for (let i = 0; i < 1000; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const u = x >>> 0;
    if ((u & 255) === 0) {
      // never written
      const k = span + (u >>> 8);
      if (r.get(keyOf(k)) !== undefined) fail(`key ${k} was never written`);
      n++;
      continue;
    }
    const k = u % span;
    const e0 = Atomics.load(ctl, CLEARING);
    const c0 = Atomics.load(committed, k);
    const v = r.get(keyOf(k));
    const c1 = Atomics.load(committed, k);
    const e1 = Atomics.load(ctl, CLEARING);
    n++;
    const stable = c0 === c1 && (c0 & 1) === 0 && e0 === e1 && (e0 & 1) === 0;
    if (stable) exact++;
    if (v === undefined) {
      if (stable && (c0 & 2) !== 0) fail(`key ${k}: undefined, committed v${c0 >>> 2} present`);
      continue;
    }
    hits++;
    let hi, lo;
    if (str) {
      const [a, b, fill] = v.split("|");
      hi = Number(a);
      lo = Number(b);
      if (fill !== "x".repeat((hi * 7) % 50)) {
        fail(`key ${k}: torn or foreign value ${JSON.stringify(v)}`);
        continue;
      }
    } else {
      hi = Number(v >> 32n);
      lo = Number(v & 0xffffffffn);
    }
    const before = (c0 >>> 2) - (c0 & 1) - ((c0 & 3) === 0 ? -1 : 0); // lowest version the answer may have
    if (lo !== (Math.imul(k, PHI) ^ hi) >>> 0) fail(`key ${k}: torn or foreign value ${v}`);
    else if (stable && !((c0 & 2) !== 0 && hi === c0 >>> 2)) fail(`key ${k}: v${hi}, committed ${c0 >>> 2}/${c0 & 3}`);
    else if (hi > c1 >>> 2) fail(`key ${k}: v${hi} from the future (announced ${c1 >>> 2})`);
    else if (hi < before) fail(`key ${k}: v${hi} older than v${before}, the state before the lookup`);
    else if (hi < last[k]) fail(`key ${k}: v${hi} after v${last[k]}`);
    last[k] = hi;
  }
}
parentPort.postMessage({ bad, n, exact, hits, samples, stats: r.stats });
