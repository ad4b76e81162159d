// The page of test/shared-browser.test.ts: a runtime created with
// { shared: true } (the package's browser entry), maps filled here and
// shared with a module Web Worker (shared-worker.js), which attaches the
// descriptor and answers lookups by message; the page then writes more
// (growing the memory), frees one map and closes the runtime, asking the
// worker after each step.
import { Runtime } from "/dist/browser.js";

/** What Runtime.create({ shared: true }) does on this page: { ok } or the
 *  error's name, option and message. */
window.createSharedRuntime = async () => {
  try {
    const rt = await Runtime.create({ shared: true });
    rt.close();
    return { ok: true, isolated: self.crossOriginIsolated };
  } catch (e) {
    return { ok: false, isolated: self.crossOriginIsolated, name: e.name, option: e.option, message: e.message };
  }
};

window.shareMapWithWorker = async () => {
  const rt = await Runtime.create({ shared: true });
  const m = rt.map({ key: "u32", value: "u64" });
  const other = rt.map({ key: "i64", value: "f64" });
  const model = new Map();
  const set = (k, v) => {
    m.set(k, v);
    model.set(k, v);
  };
  for (let k = 0; k < 5000; k++) set(k, BigInt(k) * 1000n + 1n);
  for (let k = 0; k < 5000; k += 4) {
    m.delete(k);
    model.delete(k);
  }
  other.set(-5n, 1.5).set(2n ** 62n, -0.25);

  const worker = new Worker("/test/workers/shared-worker.js", { type: "module" });
  const errors = [];
  worker.addEventListener("error", (e) => errors.push(`worker error: ${e.message}`));
  let nextId = 1;
  const ask = (msg) =>
    new Promise((resolve) => {
      const id = nextId++;
      const onMessage = (e) => {
        if (e.data.id !== id) return;
        worker.removeEventListener("message", onMessage);
        resolve(e.data);
      };
      worker.addEventListener("message", onMessage);
      worker.postMessage({ ...msg, id });
    });
  const probe = (keys) => ({ keys, expected: keys.map((k) => model.get(k) ?? null) });

  const attached = await ask({ cmd: "attach", maps: { m: rt.share(m), other: rt.share(other) } });

  const keys1 = [0, 1, 2, 3, 4, 4999, 5000, 123456];
  const first = { ...probe(keys1), ...(await ask({ cmd: "get", map: "m", keys: keys1 })) };
  const otherAnswers = await ask({ cmd: "get", map: "other", keys: [-5n, 2n ** 62n, 7n] });

  // More writes after the worker attached: updates, deletes, and enough
  // inserts to grow the map many times and the memory past its first size.
  const pagesBefore = rt.readMemStats().Sys;
  for (let k = 0; k < 5000; k += 2) set(k, 7n);
  for (let k = 1; k < 5000; k += 10) {
    m.delete(k);
    model.delete(k);
  }
  for (let k = 5000; k < 300_000; k++) set(k, BigInt(k) << 20n);
  const grew = rt.readMemStats().Sys > pagesBefore;
  const keys2 = [0, 1, 2, 3, 11, 21, 4998, 4999, 5000, 150_001, 299_999, 300_000];
  const second = { ...probe(keys2), ...(await ask({ cmd: "get", map: "m", keys: keys2 })) };
  const sum = await ask({ cmd: "sum", map: "m" });
  let expectedSum = 0n;
  for (const v of model.values()) expectedSum += v;

  // The reader is read-only.
  const write = await ask({ cmd: "set", map: "m", key: 1, value: 1n });

  other.free();
  const afterFree = await ask({ cmd: "get", map: "other", keys: [-5n] });
  const stillThere = await ask({ cmd: "get", map: "m", keys: [299_999] });

  rt.close();
  const afterClose = await ask({ cmd: "get", map: "m", keys: [299_999] });
  const sizeAfterClose = await ask({ cmd: "size", map: "m" });
  worker.terminate();
  return {
    isolated: self.crossOriginIsolated,
    attached,
    first,
    otherAnswers,
    grew,
    second,
    sum: { got: sum.sum, size: sum.size, expected: expectedSum, expectedSize: model.size },
    write,
    afterFree,
    stillThere,
    afterClose,
    sizeAfterClose,
    errors,
  };
};
