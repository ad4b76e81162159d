// The Web Worker of test/snapshot-worker.test.ts (a module worker in
// Chromium): restores the image it is sent with the package's browser
// entry and answers lookups by message. Requests carry an id; every reply
// echoes it. A refused image comes back as { error }, and the map restored
// before stays.
import { Runtime, SnapshotError } from "/dist/browser.js";

let rt = null;
let maps = {};

self.onmessage = async (e) => {
  const msg = e.data;
  try {
    if (msg.cmd === "echo") {
      self.postMessage({ id: msg.id, value: msg.value });
    } else if (msg.cmd === "restore") {
      const restored = await Runtime.restore(msg.image);
      rt?.close();
      rt = restored.rt;
      maps = restored.maps;
      const names = Object.keys(maps);
      self.postMessage({ id: msg.id, names, size: maps[names[0]]?.size });
    } else if (msg.cmd === "get") {
      const m = maps[msg.map];
      self.postMessage({ id: msg.id, values: msg.keys.map((k) => m.get(k) ?? null) });
    }
  } catch (err) {
    self.postMessage({
      id: msg.id,
      error: {
        name: err.name,
        reason: err instanceof SnapshotError ? err.reason : undefined,
        isSnapshotError: err instanceof SnapshotError,
      },
    });
  }
};
