#!/usr/bin/env node
// Builds the benchmark peer: bench/peer/alloc.ts with AssemblyScript's own
// runtime (`--runtime incremental`: TLSF + ITCMS, AssemblyScript's default),
// -O3 --noAssert like our release core, into bench/peer/build/alloc-peer.wasm
// (plus .wat). Skipped when the output is newer than its inputs; --force
// rebuilds. --baseDir keeps asc from reading the root asconfig.json (stub
// runtime, imported memory, SIMD), which is our core's config, not the peer's.
import { statSync, existsSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const force = process.argv.includes("--force");

export const PEER_WASM = join(here, "build", "alloc-peer.wasm");
const inputs = [
  join(here, "alloc.ts"),
  fileURLToPath(import.meta.url),
  join(root, "node_modules", "assemblyscript", "package.json"),
];

function mtime(p) {
  return existsSync(p) ? statSync(p).mtimeMs : 0;
}

export async function buildPeer() {
  if (!force && mtime(PEER_WASM) >= Math.max(...inputs.map(mtime))) return false;
  const asc = (await import("assemblyscript/asc")).default;
  const t0 = performance.now();
  const { error, stderr } = await asc.main(
    [
      "alloc.ts",
      "--baseDir", here,
      "--runtime", "incremental",
      "-O3",
      "--noAssert",
      "--outFile", "build/alloc-peer.wasm",
      "--textFile", "build/alloc-peer.wat",
    ],
    { stdout: process.stdout, stderr: process.stderr },
  );
  if (error) {
    console.error(stderr.toString());
    throw new Error(`asc (bench peer) failed: ${error.message}`);
  }
  console.error(`built bench/peer/build/alloc-peer.wasm in ${(performance.now() - t0).toFixed(0)} ms`);
  return true;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await buildPeer();
}
