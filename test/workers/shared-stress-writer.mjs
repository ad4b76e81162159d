// The writer of test/shared-stress.test.ts: owns a shared runtime (so this
// thread is the only writer), posts the map's descriptor, then writes as
// fast as it can until told to stop — sets and deletes of random keys,
// clears (some followed by a shrink, so the map grows from small again),
// collections. Every op is announced in `committed` (one word per key:
// version << 2 | present << 1 | pending) before it starts and confirmed
// after it returned, and each clear brackets ctl[CLEARING] (odd while the
// committed words lag the map), so readers can tell what answer a key may
// have (test/workers/shared-stress-reader.mjs). With kind "string" the map
// is string→string (keys some long and multi-byte; a value spells its
// version, key·φ ^ version and a filler whose length follows the version),
// so freed strings' memory is reused under the readers' feet.
import { parentPort, workerData } from "node:worker_threads";
import { Runtime } from "../../dist/node.js";

const PHI = 0x9e3779b1;

const { span, seed, kind = "u32" } = workerData;
const str = kind === "string";
const STOP = 0,
  CLEARING = 1,
  OPS = 2,
  CLEARS = 3,
  GCS = 4,
  SHRINKS = 5;
const ctl = new Int32Array(new SharedArrayBuffer(64));
const committed = new Int32Array(new SharedArrayBuffer(span * 4));
const rt = await Runtime.create({ shared: true });
const m = str ? rt.map({ key: "string", value: "string" }) : rt.map({ key: "u32", value: "u64" });
/** The key of number k, the value of k at version v (the reader's twins). */
const keyOf = str ? (k) => (k % 16 === 0 ? "ü€".repeat(30) + k : `key${k}`) : (k) => k;
const valueAt = str
  ? (k, v) => `${v}|${(Math.imul(k, PHI) ^ v) >>> 0}|${"x".repeat((v * 7) % 50)}`
  : (k, v) => v * 4294967296 + ((Math.imul(k, PHI) ^ v) >>> 0);
parentPort.postMessage({ descriptor: rt.share(m), ctl: ctl.buffer, committed: committed.buffer });
await new Promise((res) => parentPort.once("message", res)); // go

const ver = new Uint32Array(span);
const present = new Uint8Array(span);
let x = seed | 1;
let ops = 0;
while (Atomics.load(ctl, STOP) === 0) {
  for (let i = 0; i < 1024; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const k = (x >>> 0) % span;
    const v = ++ver[k];
    if (x >>> 24 < 64 && present[k]) {
      Atomics.store(committed, k, (v << 2) | 1);
      m.delete(keyOf(k));
      present[k] = 0;
      Atomics.store(committed, k, v << 2);
    } else {
      Atomics.store(committed, k, (v << 2) | 3);
      // value: version in the high half, key·φ ^ version in the low half
      m.set(keyOf(k), valueAt(k, v));
      present[k] = 1;
      Atomics.store(committed, k, (v << 2) | 2);
    }
  }
  ops += 1024;
  Atomics.store(ctl, OPS, ops);
  if (ops % (1024 * 256) === 0) {
    Atomics.add(ctl, CLEARING, 1);
    m.clear();
    const c = Atomics.add(ctl, CLEARS, 1);
    if (c % 2 === 1) {
      m.shrink(); // back to one bucket: the next inserts grow it again
      Atomics.add(ctl, SHRINKS, 1);
    }
    for (let k = 0; k < span; k++)
      if (present[k]) {
        present[k] = 0;
        Atomics.store(committed, k, ++ver[k] << 2);
      }
    Atomics.add(ctl, CLEARING, 1);
  }
  if (ops % (1024 * 96) === 0) {
    rt.gc();
    Atomics.add(ctl, GCS, 1);
  }
}
parentPort.postMessage({ ops, size: m.size });
rt.close();
