/**
 * Node entry: installs what differs from browsers — `file:` URLs are read
 * with fs (Node's fetch refuses them) and relative strings are paths; heap
 * profiles are gzipped with node:zlib; the trusted-runtime whitelist reads
 * the deployment's environment — then re-exports the package.
 */
import { readFile } from "node:fs/promises";
import { pathToFileURL } from "node:url";
import { gzip } from "node:zlib";
import { setPlatform } from "./loader.js";
import { engineFeatures, setTrustProbe, TRUST_ENV_VAR } from "./trust.js";
import { setGzip } from "./profile.js";

setPlatform({
  readFile: async (url) => {
    const b = await readFile(url);
    return new Uint8Array(b.buffer, b.byteOffset, b.length);
  },
  // A URL with a scheme of two or more letters ("https:", "file:", "data:") as is; anything else is a path.
  resolve: (s) => (/^[a-z][a-z\d+.-]+:/i.test(s) ? new URL(s) : pathToFileURL(s)),
});

// Heap profiles are gzipped with node:zlib here (CompressionStream elsewhere).
setGzip(
  (data) =>
    new Promise((resolve, reject) =>
      gzip(data, (e, out) => (e ? reject(e) : resolve(new Uint8Array(out.buffer, out.byteOffset, out.length)))),
    ),
);

// The whitelist for trusted runtimes (src/trust.ts): the deployment's
// opt-in, a Node we test, the engine features the core uses.
setTrustProbe(() => [
  { name: `${TRUST_ENV_VAR}=1 in the environment`, ok: process.env[TRUST_ENV_VAR] === "1" },
  { name: `Node >= 20 (this is ${process.versions.node})`, ok: Number(process.versions.node.split(".")[0]) >= 20 },
  ...engineFeatures(),
]);

export * from "./index.js";
