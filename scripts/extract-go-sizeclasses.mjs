#!/usr/bin/env node
// Extracts the size-class arrays from a Go runtime/sizeclasses.go into
// test/fixtures/go119-sizeclasses.json, the reference that
// test/sizeclasses.test.ts holds scripts/mksizeclasses.mjs to.
//
// Usage: node scripts/extract-go-sizeclasses.mjs [path/to/sizeclasses.go]
//   (default: /usr/lib/go-1.19/src/runtime/sizeclasses.go, Debian's golang-1.19-src)
//
// The fixture is committed, so this only needs re-running to re-derive it.

import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const DEFAULT_INPUT = "/usr/lib/go-1.19/src/runtime/sizeclasses.go";
const OUTPUT = fileURLToPath(new URL("../test/fixtures/go119-sizeclasses.json", import.meta.url));
const ARRAYS = ["class_to_size", "class_to_allocnpages", "class_to_divmagic", "size_to_class8", "size_to_class128"];

/**
 * Value of one array element: a decimal literal or Go's `^uint32(0)/N + 1`.
 * @param {string} text
 * @param {string} name
 */
function evalElement(text, name) {
  const t = text.trim();
  if (/^\d+$/.test(t)) return Number(t);
  const m = /^\^uint32\(0\)\s*\/\s*(\d+)\s*\+\s*1$/.exec(t);
  if (m) return (Math.floor(0xffffffff / Number(m[1])) + 1) >>> 0;
  throw new Error(`${name}: cannot evaluate element ${JSON.stringify(t)}`);
}

/** @param {string} source */
function extract(source) {
  /** @type {Record<string, number[]>} */
  const out = {};
  for (const name of ARRAYS) {
    const re = new RegExp(`^var ${name} = \\[[^\\]]*\\]u?int\\d+\\s*\\{([^}]*)\\}`, "m");
    const m = re.exec(source);
    if (!m) throw new Error(`${name} not found`);
    out[name] = /** @type {string} */ (m[1])
      .split(",")
      .filter((s) => s.trim() !== "")
      .map((s) => evalElement(s, name));
  }
  return out;
}

/**
 * Go version from the VERSION file of the GOROOT holding `input`, if any.
 * @param {string} input
 */
function goVersion(input) {
  const versionFile = join(dirname(input), "..", "..", "VERSION");
  if (!existsSync(versionFile)) return undefined;
  return /** @type {string} */ (readFileSync(versionFile, "utf8").split("\n")[0]).trim() || undefined;
}

const input = process.argv[2] ?? DEFAULT_INPUT;
const arrays = extract(readFileSync(input, "utf8"));
const meta = {
  source: "runtime/sizeclasses.go",
  go_version: goVersion(input) ?? "unknown",
  generated_by: "scripts/extract-go-sizeclasses.mjs",
};
// One array per line keeps the fixture short and diffable.
const body = [
  ...Object.entries(meta).map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)}`),
  ...ARRAYS.map((k) => `  ${JSON.stringify(k)}: [${/** @type {number[]} */ (arrays[k]).join(", ")}]`),
].join(",\n");
writeFileSync(OUTPUT, `{\n${body}\n}\n`);
console.log(
  `wrote ${OUTPUT} from ${input}: ` +
    ARRAYS.map((k) => `${k}[${/** @type {number[]} */ (arrays[k]).length}]`).join(" "),
);
