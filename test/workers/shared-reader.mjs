// A reader thread for test/shared.test.ts: attaches the posted descriptor
// (the package as built, dist/node.js) and answers the main thread's
// requests: { keys } → the reader's answers; { stress, ms } → read until
// told to stop, checking every answer against the value rule.
import { parentPort, workerData } from "node:worker_threads";
import { attach } from "../../dist/node.js";

const r = attach(workerData.descriptor);
parentPort.on("message", (msg) => {
  try {
    if (msg.keys) {
      parentPort.postMessage({ values: msg.keys.map((k) => r.get(k)), size: r.size });
    } else if (msg.stress) {
      // value = version << 32 | (key * 0x9e3779b1 ^ version): the halves
      // agree only when written together; versions only move forward.
      const last = new Map();
      let bad = 0,
        n = 0;
      const flag = new Int32Array(msg.stop);
      const span = msg.span;
      while (Atomics.load(flag, 0) === 0 && n < msg.max) {
        for (let i = 0; i < 1000; i++) {
          const k = (Math.random() * span) >>> 0;
          const v = r.get(k);
          n++;
          if (v === undefined) continue;
          const ver = Number(v >> 32n);
          if (Number(v & 0xffffffffn) !== (Math.imul(k, 0x9e3779b1) ^ ver) >>> 0) bad++;
          const prev = last.get(k) ?? -1;
          if (ver < prev) bad++;
          last.set(k, ver);
        }
      }
      parentPort.postMessage({ bad, n, stats: r.stats });
    } else if (msg.op === "get") {
      parentPort.postMessage({ value: r.get(msg.key) });
    }
  } catch (e) {
    parentPort.postMessage({ error: e.name, message: e.message });
  }
});
parentPort.postMessage({ ready: true });
