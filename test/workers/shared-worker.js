// The Web Worker of test/shared-browser.test.ts (a module worker in
// Chromium): attaches the descriptors the page posts (rt.share(m)) with the
// package's browser entry — no runtime, no wasm instance of its own — and
// answers lookups by message. Requests carry an id; every reply echoes it.
// An error comes back as { error: { name, message } }.
import { attach, GoMapReader } from "/dist/browser.js";

const readers = {};

self.onmessage = (e) => {
  const msg = e.data;
  try {
    if (msg.cmd === "attach") {
      for (const [name, d] of Object.entries(msg.maps)) readers[name] = attach(d);
      const out = {};
      for (const [name, r] of Object.entries(readers))
        out[name] = {
          reader: r instanceof GoMapReader,
          keyType: r.keyType,
          valueType: r.valueType,
          size: r.size,
          shared: msg.maps[name].memory.buffer instanceof SharedArrayBuffer,
        };
      self.postMessage({ id: msg.id, readers: out });
    } else if (msg.cmd === "get") {
      const r = readers[msg.map];
      self.postMessage({
        id: msg.id,
        values: msg.keys.map((k) => r.get(k) ?? null),
        has: msg.keys.map((k) => r.has(k)),
        many: (() => {
          // getMany fills a typed array (numeric values; 0 where absent) and a found mask.
          const found = new Uint8Array(msg.keys.length);
          const vals = r.getMany(msg.keys, undefined, found);
          return Array.from(vals, (v, i) => (found[i] ? v : null));
        })(),
        size: r.size,
      });
    } else if (msg.cmd === "sum") {
      const r = readers[msg.map];
      let sum = 0n;
      let n = 0;
      for (const [, v] of r) {
        sum += v;
        n++;
      }
      self.postMessage({ id: msg.id, sum, size: n });
    } else if (msg.cmd === "size") {
      self.postMessage({ id: msg.id, size: readers[msg.map].size });
    } else if (msg.cmd === "set") {
      readers[msg.map].set(msg.key, msg.value);
      self.postMessage({ id: msg.id });
    }
  } catch (err) {
    self.postMessage({ id: msg.id, error: { name: err.name, message: err.message } });
  }
};
