/**
 * Browser entry (also the `default` export condition: Deno, Bun and
 * bundlers targeting browsers): URLs are fetched, relative strings resolve
 * against the page. The release core is inlined (src/loader.ts), so a page
 * or a bundle needs no asset; `Runtime.create({ wasm })` or
 * `setWasmSource` supplies a core yourself.
 */
import { engineFeatures, setTrustProbe } from "./trust.js";

// The whitelist for trusted runtimes (src/trust.ts): a browser has no
// deployment environment, so { trusted: true } is the opt-in; the engine
// must have the WebAssembly features the core uses.
setTrustProbe(engineFeatures);

export * from "./index.js";
