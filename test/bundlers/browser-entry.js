// Browser entry of the consumer app (test/bundlers/app.js): the test page
// passes its settings in the query string and reads window.__gomapResult
// (also logged to the console as "GOMAP_RESULT {json}").
import { run } from "./app.js";

const q = new URLSearchParams(location.search);
run({
  platform: "browser",
  missingWasm: "/no-such.wasm",
  missing: q.get("missing") ?? "any",
  debugCore: q.has("debugCore"),
}).then(
  (result) => {
    /** @type {Window & { __gomapResult?: unknown }} */ (window).__gomapResult = result;
    console.log("GOMAP_RESULT " + JSON.stringify(result));
  },
  (e) => {
    /** @type {Window & { __gomapResult?: unknown }} */ (window).__gomapResult = { fatal: String(e?.stack || e) };
  },
);
