#!/usr/bin/env node
// Builds the benchmark peers with AssemblyScript's own runtime
// (`--runtime incremental`: TLSF + ITCMS, AssemblyScript's default),
// -O3 --noAssert like our release core, into bench/peer/build/ (plus .wat):
//   bench/peer/alloc.ts -> build/alloc-peer.wasm   (bench/alloc.mjs: TLSF)
//   bench/peer/asmap.ts -> build/asmap-peer.wasm   (bench/maps.mjs, bench/capacity.mjs:
//                                                   AssemblyScript's Map)
// Each is skipped when its output is newer than its inputs; --force
// rebuilds. --baseDir keeps asc from reading the root asconfig.json (stub
// runtime, imported memory, SIMD), which is our core's config, not the peers'.
import { statSync, existsSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const force = process.argv.includes("--force");

export const PEERS = [
  { source: "alloc.ts", name: "alloc-peer" },
  { source: "asmap.ts", name: "asmap-peer" },
];
/** @param {string} name */
export const peerWasm = (name) => join(here, "build", `${name}.wasm`);
export const PEER_WASM = peerWasm("alloc-peer");
export const ASMAP_WASM = peerWasm("asmap-peer");

/** @param {string} p */
function mtime(p) {
  return existsSync(p) ? statSync(p).mtimeMs : 0;
}

/** @param {{ source: string, name: string }} peer */
async function buildOne({ source, name }) {
  const out = peerWasm(name);
  const inputs = [
    join(here, source),
    fileURLToPath(import.meta.url),
    join(root, "node_modules", "assemblyscript", "package.json"),
  ];
  if (!force && mtime(out) >= Math.max(...inputs.map(mtime))) return false;
  const asc = (await import("assemblyscript/asc")).default;
  const t0 = performance.now();
  const { error, stderr } = await asc.main(
    [
      source,
      "--baseDir",
      here,
      "--runtime",
      "incremental",
      "-O3",
      "--noAssert",
      "--outFile",
      `build/${name}.wasm`,
      "--textFile",
      `build/${name}.wat`,
    ],
    { stdout: process.stdout, stderr: process.stderr },
  );
  if (error) {
    console.error(stderr.toString());
    throw new Error(`asc (bench peer ${source}) failed: ${error.message}`);
  }
  console.error(`built bench/peer/build/${name}.wasm in ${(performance.now() - t0).toFixed(0)} ms`);
  return true;
}

/** Build every peer that is out of date; returns whether any was built. */
export async function buildPeer() {
  let built = false;
  for (const p of PEERS) built = (await buildOne(p)) || built;
  return built;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await buildPeer();
}
