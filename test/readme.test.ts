// README examples run: every ```js block is executed as an ES module that
// imports the package by name (the self-reference), and the comments that
// show output are checked against what it prints.
import { describe, it, expect } from "vitest";
import { readFileSync, mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const readme = readFileSync(join(root, "README.md"), "utf8");
const blocks = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]!);

describe("README", () => {
  it("opens with exactly the two set-up commands", () => {
    const first = /```sh\n([\s\S]*?)```/.exec(readme)!;
    expect(readme.indexOf(first[0])).toBeLessThan(readme.indexOf("\n\n", readme.indexOf("# gomap-wasm")) + 3);
    expect(first[1]!.trim().split("\n")).toEqual(["npm install && npm start", "npm test"]);
  });

  it("has examples", () => expect(blocks.length).toBeGreaterThan(0));

  blocks.forEach((code, i) => {
    it(`example ${i + 1} runs and prints what its comments say`, () => {
      const dir = mkdtempSync(join(root, "test", ".tmp-readme-"));
      try {
        writeFileSync(join(dir, "example.mjs"), code);
        // A first line `// run with: VAR=value … node example.mjs` sets the
        // example's environment (the unsafe example's deployment opt-in).
        // Nothing else inherits the opt-in.
        const env: NodeJS.ProcessEnv = { ...process.env };
        delete env.GOMAP_WASM_TRUSTED;
        const runWith = /^\/\/ run with: ((?:\w+=\S+ )+)node example\.mjs$/.exec(code.split("\n")[0]!);
        if (runWith)
          for (const kv of runWith[1]!.trim().split(" ")) env[kv.split("=")[0]!] = kv.slice(kv.indexOf("=") + 1);
        const r = spawnSync(process.execPath, ["example.mjs"], { cwd: dir, encoding: "utf8", env });
        expect(r.stderr).toBe("");
        expect(r.status).toBe(0);
        // A line `console.log(...);  // <text>` promises that output line.
        const printed = r.stdout.trim().split("\n");
        const promised = [...code.matchAll(/console\.log\(.*\);\s*\/\/ (.*)$/gm)].map((m) => m[1]!.trim());
        const continued = [...code.matchAll(/console\.log\([^\n]*\n\s*\/\/ (.*)$/gm)].map((m) => m[1]!.trim());
        for (const p of [...promised, ...continued]) {
          const asValue = p.replace(/, as in Go$/, "");
          expect(
            printed.some((line) => line.replace(/\s+/g, " ").includes(asValue.replace(/\s+/g, " "))),
            `output should contain: ${asValue}\n---\n${r.stdout}`,
          ).toBe(true);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
