// The browser consumer (tsconfig.browser.json: lib ["es2022", "dom"], no
// Node types, bundler resolution): what only a page writes.
import { Runtime, WasmLoadError, setWasmSource } from "gomap-wasm";

const url = new URL("gomap-wasm/build/debug.wasm", import.meta.url);
await Runtime.create({ debug: true, wasm: url });
await Runtime.create({ debug: true, wasm: url.href });
await Runtime.create({ debug: true, wasm: fetch(url) });
await Runtime.create({ debug: true, wasm: await fetch(url) });
await Runtime.create({ debug: true, wasm: await WebAssembly.compileStreaming(fetch(url)) });
await Runtime.create({ debug: true, wasm: new Uint8Array(await (await fetch(url)).arrayBuffer()) });
setWasmSource((build) => fetch(`/assets/${build}.wasm`));
setWasmSource((build) => WebAssembly.compileStreaming(fetch(`/assets/${build}.wasm`)));

try {
  const rt = await Runtime.create();
  const m = rt.map({ key: "string", value: "f64" });
  m.set(location.pathname, performance.now());
  document.title = String(m.get(location.pathname));
  const gz = await rt.heapProfile();
  URL.revokeObjectURL(URL.createObjectURL(new Blob([gz])));
  rt.close();
} catch (e) {
  if (e instanceof WasmLoadError) console.error(e.url, e.status, e.contentType);
}

// Streamed snapshots: Blobs, ReadableStreams, OPFS.
{
  const rt = await Runtime.create();
  const m = rt.map({ key: "u32", value: "u32" });
  const blob = await new Response(rt.snapshotStream({ maps: { m } }) as ReadableStream<Uint8Array>).blob();
  const handle = await (await navigator.storage.getDirectory()).getFileHandle("rt.snap", { create: true });
  await rt.snapshotTo(await handle.createWritable(), { maps: { m } });
  const { maps } = await Runtime.restoreFrom(await handle.getFile());
  await Runtime.restoreFrom(blob);
  await Runtime.restoreFrom(blob.stream());
  void maps;
  rt.close();
}
