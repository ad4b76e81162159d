// state-globals.mjs — an asc transform (asconfig.json "transform"): export
// every mutable global of the core as "state:<internal name>".
//
// A snapshot (src/snapshot.ts) carries the core's whole state: linear
// memory (static data, page map, heap) and the wasm globals the compiler
// made of module-level `let`s. Exporting them all here, from the compiled
// module itself, means no hand-kept list can miss one: a global added to
// any file of assembly/ is carried by the next snapshot with no change to
// the host. The list's names and types are part of the image's core
// fingerprint, so an image restores only into a core with the same list.
//
// Runs after compilation, before optimisation: an exported global stays
// (the optimiser may not remove or fold it), which is what a snapshot
// needs; the globals are all written somewhere, so none was a constant.
import { Transform } from "assemblyscript/transform";

export const STATE_PREFIX = "state:";

export default class StateGlobals extends Transform {
  /** @param {any} module binaryen's Module (asc passes its own binaryen.js build) */
  afterCompile(module) {
    const binaryen = /** @type {any} */ (this).binaryen;
    const n = module.getNumGlobals();
    for (let i = 0; i < n; i++) {
      const info = binaryen.getGlobalInfo(module.getGlobalByIndex(i));
      if (!info.mutable || info.module) continue; // constants and imports
      module.addGlobalExport(info.name, STATE_PREFIX + info.name);
    }
  }
}
