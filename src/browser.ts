/**
 * Browser entry: fetches the core next to the package (bundlers that copy
 * assets keep `new URL(..., import.meta.url)` working). A page can also call
 * `setWasmSource` to supply the module itself.
 */
import { coreUrl, setWasmSource } from "./loader.js";
import { engineFeatures, setTrustProbe } from "./trust.js";

// The whitelist for trusted runtimes (src/trust.ts): a browser has no
// deployment environment, so { trusted: true } is the opt-in; the engine
// must have the WebAssembly features the core uses.
setTrustProbe(engineFeatures);

setWasmSource(async (build) => {
  const url = coreUrl(build);
  const res = await fetch(url);
  if (!res.ok) throw new Error(`gomap-wasm: cannot fetch ${url}: ${res.status}`);
  if (typeof WebAssembly.compileStreaming === "function" && res.headers.get("content-type") === "application/wasm") {
    return WebAssembly.compileStreaming(res);
  }
  return WebAssembly.compile(await res.arrayBuffer());
});

export * from "./index.js";
