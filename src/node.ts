/**
 * Node entry: reads the core from the package's build/ directory with fs
 * (Node's fetch refuses file: URLs).
 */
import { readFile } from "node:fs/promises";
import { coreUrl, setWasmSource } from "./loader.js";

setWasmSource(async (build) => WebAssembly.compile(await readFile(coreUrl(build))));

export * from "./index.js";
