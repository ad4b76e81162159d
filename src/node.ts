/**
 * Node entry: reads the core from the package's build/ directory with fs
 * (Node's fetch refuses file: URLs).
 */
import { readFile } from "node:fs/promises";
import { gzip } from "node:zlib";
import { coreUrl, setWasmSource } from "./loader.js";
import { engineFeatures, setTrustProbe, TRUST_ENV_VAR } from "./trust.js";
import { setGzip } from "./profile.js";

setWasmSource(async (build) => WebAssembly.compile(await readFile(coreUrl(build))));

// Heap profiles are gzipped with node:zlib here (CompressionStream elsewhere).
setGzip((data) => new Promise((resolve, reject) => gzip(data, (e, out) => (e ? reject(e) : resolve(new Uint8Array(out.buffer, out.byteOffset, out.length))))));

// The whitelist for trusted runtimes (src/trust.ts): the deployment's
// opt-in, a Node we test, the engine features the core uses.
setTrustProbe(() => [
  { name: `${TRUST_ENV_VAR}=1 in the environment`, ok: process.env[TRUST_ENV_VAR] === "1" },
  { name: `Node >= 20 (this is ${process.versions.node})`, ok: Number(process.versions.node.split(".")[0]) >= 20 },
  ...engineFeatures(),
]);

export * from "./index.js";
