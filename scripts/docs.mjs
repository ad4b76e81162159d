#!/usr/bin/env node
// The API reference: Markdown pages rendered by api-documenter from the doc
// model that api-extractor writes beside the rolled-up types
// (temp/gomap-wasm.api.json, scripts/api.mjs), into docs/api/ (gitignored;
// api-documenter empties it first). `npm run docs` builds first, which
// refreshes the model whenever dist/ is rebuilt; a missing or older model
// is refreshed here.
import { createRequire } from "node:module";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, dirname, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { spawnSync } from "node:child_process";
import { rollupTypes, DOC_MODEL } from "./api.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const OUT = join(root, "docs", "api");

const index = join(root, "dist", "index.d.ts");
if (!existsSync(index)) {
  console.error("docs: dist/index.d.ts is missing: run node scripts/build.mjs first (npm run docs does)");
  process.exit(1);
}
if (!existsSync(DOC_MODEL) || statSync(DOC_MODEL).mtimeMs < statSync(index).mtimeMs) {
  try {
    await rollupTypes({ quiet: true });
  } catch (e) {
    console.error(`docs: ${e instanceof Error ? e.message : e}`);
    process.exit(1);
  }
}

const require = createRequire(import.meta.url);
const documenter = join(dirname(require.resolve("@microsoft/api-documenter/package.json")), "bin", "api-documenter");
const t0 = performance.now();
const r = spawnSync(
  process.execPath,
  [documenter, "markdown", "--input-folder", dirname(DOC_MODEL), "--output-folder", OUT],
  { cwd: root, encoding: "utf8" },
);
if (r.status !== 0) {
  process.stdout.write(r.stdout);
  process.stderr.write(r.stderr);
  console.error("docs: api-documenter markdown failed");
  process.exit(1);
}
// api-documenter prints its banner and every file; say only where it wrote.
const pages = readdirSync(OUT).filter((f) => f.endsWith(".md")).length;
console.log(
  `docs: wrote the API reference, ${pages} pages, to ${relative(root, OUT)}/ ` +
    `(start at ${relative(root, join(OUT, "index.md"))}) in ${(performance.now() - t0).toFixed(0)} ms`,
);
