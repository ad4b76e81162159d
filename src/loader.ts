/**
 * Where the compiled core comes from. Each entry (node.ts, browser.ts)
 * installs a source that turns a build name into wasm bytes or a compiled
 * module; compiled modules are cached, so every `Runtime.create` after the
 * first only instantiates.
 */

export type BuildName = "release" | "debug";
export type WasmSource = (build: BuildName) => Promise<WebAssembly.Module>;

let source: WasmSource | null = null;
const cache = new Map<BuildName, Promise<WebAssembly.Module>>();

export function setWasmSource(fn: WasmSource): void {
  source = fn;
  cache.clear();
}

export function loadCore(build: BuildName): Promise<WebAssembly.Module> {
  let p = cache.get(build);
  if (!p) {
    if (!source) {
      throw new Error("gomap-wasm: no wasm source; import the package through its node or browser entry");
    }
    p = source(build);
    p.catch(() => cache.delete(build));
    cache.set(build, p);
  }
  return p;
}

/** The URL of a build's .wasm file, relative to this module (src/ and dist/
 *  are both one level below the package root, beside build/). */
export function coreUrl(build: BuildName): URL {
  return new URL(`../build/${build}.wasm`, import.meta.url);
}
