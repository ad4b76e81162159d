#!/usr/bin/env node
// The package's public types, from what `tsc -p tsconfig.build.json` emitted
// into dist/ (api-extractor.json has the details):
//   dist/gomap-wasm.d.ts      one rolled-up declaration file, @internal trimmed:
//                             the only .d.ts a consumer loads (package.json
//                             "types" and exports["."].types point at it)
//   etc/gomap-wasm.api.md     the API report (committed; rewritten here when
//                             the public API changes, so the change shows in
//                             the diff)
//   temp/gomap-wasm.api.json  the doc model for scripts/docs.mjs
//
// scripts/build.mjs runs this (as a child process) each time it rebuilds
// dist/; run it by hand with `node scripts/api.mjs [--quiet | --verbose]`
// (--verbose lists every public declaration that lacks a doc comment).
//
// Errors (a compiler error, a public declaration that names an unexported
// type: ae-forgotten-export) fail the run. On failure dist/index.js is
// marked out of date so the next `node scripts/build.mjs` rebuilds dist/ and
// runs this again rather than skipping a build whose types never rolled up.
import { createRequire } from "node:module";
import { existsSync, mkdirSync, utimesSync } from "node:fs";
import { join, dirname, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
export const ROLLUP = join(root, "dist", "gomap-wasm.d.ts");
export const DOC_MODEL = join(root, "temp", "gomap-wasm.api.json");
export const API_REPORT = join(root, "etc", "gomap-wasm.api.md");

/**
 * Runs API Extractor over dist/index.d.ts. Resolves to the messages it
 * reported (warnings included); rejects when it reported an error.
 * @param {{ quiet?: boolean, verbose?: boolean }} [options] quiet: errors,
 *   and warnings only as a count; verbose: every warning (by default all but
 *   ae-undocumented, which are counted)
 * @returns {Promise<{ ms: number, warnings: string[], apiReportChanged: boolean }>}
 */
export async function rollupTypes({ quiet = false, verbose = false } = {}) {
  const t0 = performance.now();
  const require = createRequire(import.meta.url);
  /** @type {typeof import("@microsoft/api-extractor")} */
  const { Extractor, ExtractorConfig } = require("@microsoft/api-extractor");
  if (!existsSync(join(root, "dist", "index.d.ts"))) {
    throw new Error("dist/index.d.ts is missing: run node scripts/build.mjs (tsc -p tsconfig.build.json) first");
  }
  mkdirSync(dirname(API_REPORT), { recursive: true });
  const config = ExtractorConfig.loadFileAndPrepare(join(root, "api-extractor.json"));
  /** @type {string[]} */
  const warnings = [];
  /** @type {string[]} */
  const errors = [];
  const result = Extractor.invoke(config, {
    localBuild: true,
    showVerboseMessages: false,
    messageCallback(message) {
      message.handled = true;
      const where = message.sourceFilePath
        ? `${relative(root, message.sourceFilePath)}${message.sourceFileLine ? `:${message.sourceFileLine}:${message.sourceFileColumn}` : ""} - `
        : "";
      const line = `${where}(${message.messageId}) ${message.text}`;
      switch (message.logLevel) {
        case "error":
          errors.push(line);
          break;
        case "warning":
          // The API report is rewritten on a local build: news, not a problem.
          if (message.messageId === "console-api-report-copied" || message.messageId === "console-api-report-created") {
            console.log(`api: ${message.text.split(root + sep).join("")} (review the change and commit it)`);
          } else if (message.messageId === "console-compiler-version-notice") {
            // API Extractor brings its own compiler; the note that the project's
            // TypeScript (the pinned 7) is newer is expected.
          } else {
            warnings.push(line);
          }
          break;
        default:
          break; // info and verbose: the file list, the compiler version
      }
    },
  });
  const ms = performance.now() - t0;
  // ae-undocumented lists every public declaration without a doc comment:
  // a count unless asked for (--verbose).
  const undocumented = warnings.filter((w) => w.includes("(ae-undocumented)"));
  const shown = verbose ? warnings : quiet ? [] : warnings.filter((w) => !w.includes("(ae-undocumented)"));
  for (const w of shown) console.warn(`api warning: ${w}`);
  if (warnings.length > shown.length) {
    console.warn(
      `api: ${warnings.length} warning(s)` +
        (undocumented.length
          ? `, ${undocumented.length} of them public declarations without a doc comment (ae-undocumented)`
          : "") +
        "; node scripts/api.mjs --verbose lists them",
    );
  }
  for (const e of errors) console.error(`api error: ${e}`);
  if (!result.succeeded || errors.length) {
    markDistStale();
    throw new Error(
      `api-extractor failed with ${result.errorCount} error(s) (above) and ${result.warningCount} warning(s)`,
    );
  }
  if (!quiet) {
    console.log(
      `rolled up dist/gomap-wasm.d.ts, temp/gomap-wasm.api.json and etc/gomap-wasm.api.md in ${ms.toFixed(0)} ms` +
        (warnings.length ? ` (${warnings.length} warning(s))` : ""),
    );
  }
  return { ms, warnings, apiReportChanged: result.apiReportChanged };
}

/** dist/index.js older than every input: scripts/build.mjs rebuilds next time. */
function markDistStale() {
  const js = join(root, "dist", "index.js");
  if (existsSync(js)) utimesSync(js, new Date(0), new Date(0));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    await rollupTypes({ quiet: process.argv.includes("--quiet"), verbose: process.argv.includes("--verbose") });
  } catch (e) {
    console.error(e instanceof Error ? e.message : e);
    process.exitCode = 1;
  }
}
