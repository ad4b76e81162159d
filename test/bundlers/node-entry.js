// Node entry of the consumer app (test/bundlers/app.js), bundled as ESM and
// as CommonJS: prints "GOMAP_RESULT {json}" on stdout. No top-level await,
// so the same source bundles to CommonJS.
import { run } from "./app.js";

run({
  platform: "node",
  missingWasm: /** @type {string} */ (process.env.GOMAP_MISSING_WASM), // set by test/bundlers.test.ts
  missing: process.env.GOMAP_MISSING ?? "any",
  debugCore: process.env.GOMAP_DEBUG_CORE === "1",
}).then(
  (result) => {
    process.stdout.write("GOMAP_RESULT " + JSON.stringify(result) + "\n");
  },
  (e) => {
    console.error(e);
    process.exitCode = 1;
  },
);
