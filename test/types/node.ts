// The Node consumer (tsconfig.node.json: lib ["es2022"] only, no DOM,
// types ["node"]): what only a Node project writes.
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { Runtime, RuntimeClosedError, setWasmSource, type GoMap } from "gomap-wasm";
import { expectTrue, type Equals } from "./assert.js";

// `using` / `await using` (explicit resource management; Node's types
// declare Symbol.dispose / asyncDispose for lib es2022).
{
  using rt = await Runtime.create();
  using m = rt.map({ key: "u64", value: "u64" });
  using pin = rt.pin(m);
  m.set(1, 2);
  void pin;
}
{
  const rt = await Runtime.create();
  const m = rt.map({ key: "u32", value: "u32" });
  const pin = rt.pin(m);
  pin[Symbol.dispose]();
  m[Symbol.dispose]();
  rt[Symbol.dispose]();
  const closing: PromiseLike<void> = rt[Symbol.asyncDispose]();
  void closing;
}
{
  await using rt = await Runtime.create({ maxMemory: "64MiB" });
  const m: GoMap<"string", "bytes"> = rt.map({ key: "string", value: "bytes" });
  m.set("k", Buffer.from("v")); // a Buffer is a Uint8Array
  const bytes = Buffer.from("key");
  rt.map({ key: "bytes", value: "u32" }).set(bytes, 1);
}
const rt = await Runtime.create();
rt.close();
try {
  rt.map({ key: "u32", value: "u32" });
} catch (e) {
  if (e instanceof RuntimeClosedError) expectTrue<Equals<typeof e.message, string>>();
}

// The core from the file system or a URL.
const require = createRequire(import.meta.url);
const releasePath = require.resolve("gomap-wasm/build/release.wasm");
await Runtime.create({ wasm: readFileSync(releasePath) });
await Runtime.create({ wasm: readFile(releasePath) });
await Runtime.create({ wasm: new URL("../../build/debug.wasm", import.meta.url), debug: true });
await Runtime.create({ wasm: releasePath });
await Runtime.create({ wasm: fetch("https://example.com/release.wasm") }); // Node's own fetch and Response
setWasmSource(async (build) => readFile(new URL(`../../build/${build}.wasm`, import.meta.url)));
setWasmSource(null);

// Streamed snapshots: files, Writables and Readables.
{
  const { createReadStream, createWriteStream } = await import("node:fs");
  const rt = await Runtime.create();
  const m = rt.map({ key: "u32", value: "u32" });
  const written: { bytes: number } = await rt.snapshotTo("rt.snap", { maps: { m } });
  void written;
  await rt.snapshotTo(new URL("file:///tmp/rt.snap"), { maps: { m } });
  await rt.snapshotTo(createWriteStream("rt.snap"), { maps: { m } });
  await Runtime.restoreFrom("rt.snap");
  await Runtime.restoreFrom(createReadStream("rt.snap"));
  const { rt: back } = await Runtime.restoreFrom(rt.snapshotStream({ maps: { m } }), { reseed: true });
  back.close();
  rt.close();
}
