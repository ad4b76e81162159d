// The page of test/snapshot-worker.test.ts's browser case: makes a map with
// the package's browser entry, snapshots it, transfers the image's buffer
// to a module Web Worker (browser-worker.js), which restores it, and asks
// the worker for lookups. Also posts the GoMap object itself, to see what
// arrives (a GoMap's entries are in linear memory, not in the object).
import { Runtime } from "/dist/browser.js";

window.moveMapToWorker = async () => {
  const rt = await Runtime.create();
  const m = rt.map({ key: "u32", value: "string" });
  for (let i = 0; i < 10_000; i++) m.set(i, `value-${i}`);
  for (let i = 0; i < 10_000; i += 3) m.delete(i);

  const worker = new Worker("/test/workers/browser-worker.js", { type: "module" });
  let nextId = 1;
  const ask = (msg, transfer = []) =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      const onMessage = (e) => {
        if (e.data.id !== id) return;
        worker.removeEventListener("message", onMessage);
        resolve(e.data);
      };
      worker.addEventListener("message", onMessage);
      worker.addEventListener("error", (e) => reject(new Error(`worker error: ${e.message}`)), { once: true });
      worker.postMessage({ ...msg, id }, transfer);
    });

  let threw = null;
  let received = "";
  try {
    const r = await ask({ cmd: "echo", value: m });
    received = JSON.stringify(r.value);
  } catch (e) {
    threw = e.name;
  }

  const image = rt.snapshot({ maps: { m } });
  const imageBytes = image.length;
  const bad = image.slice(0, 100);
  const restored = await ask({ cmd: "restore", image }, [image.buffer]);
  const detached = image.buffer.byteLength === 0;
  const keys = [0, 1, 2, 3, 9_998, 9_999, 10_000, 123_456];
  const expected = keys.map((k) => m.get(k) ?? null);
  const answers = (await ask({ cmd: "get", map: "m", keys })).values;
  const refused = (await ask({ cmd: "restore", image: bad }, [bad.buffer])).error;
  const afterRefusal = (await ask({ cmd: "get", map: "m", keys })).values;
  worker.terminate();
  rt.close();
  return {
    detached,
    imageBytes,
    names: restored.names,
    size: restored.size,
    answers,
    expected,
    refused,
    afterRefusal,
    posted: { threw, received },
  };
};
