// The published types, as a strict consumer sees them.
//
// 1. dist/gomap-wasm.d.ts (the one declaration file package.json points
//    consumers at, rolled up by scripts/api.mjs) publishes nothing internal
//    and needs nothing but itself.
// 2. Strict consumer projects (test/types/: tsconfig.node.json, no DOM lib;
//    tsconfig.browser.json, the DOM lib and no Node types) type-check with
//    the TypeScript the repo pins (7) and with TypeScript 5.9: every public
//    API used as documented, exact result types, and `@ts-expect-error` lines
//    for what must be rejected.
// 3. The README's ```js / ```ts examples type-check in the Node project, as
//    TypeScript, without casts. A block that legitimately cannot carries the
//    marker line `<!-- types: skip (why) -->` right above its fence.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { spawn, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const ROLLUP = join(root, "dist", "gomap-wasm.d.ts");

const COMPILERS = [
  { name: "TypeScript 7", tsc: join(root, "node_modules", "typescript", "bin", "tsc") },
  { name: "TypeScript 5.9", tsc: join(root, "node_modules", "typescript-5.9", "bin", "tsc") },
] as const;

/** Rolls the types up again when dist/gomap-wasm.d.ts is missing or older
 *  than what tsc emitted (scripts/build.mjs normally has). Returns
 *  api-extractor's errors, or "" when it succeeded or had nothing to do. */
function ensureRollup(): string {
  const index = join(root, "dist", "index.d.ts");
  if (!existsSync(index)) return "dist/index.d.ts is missing: run node scripts/build.mjs";
  if (existsSync(ROLLUP) && statSync(ROLLUP).mtimeMs >= statSync(index).mtimeMs) return "";
  const r = spawnSync(process.execPath, [join(root, "scripts", "api.mjs"), "--quiet"], { cwd: root, encoding: "utf8" });
  if (r.status === 0) return "";
  return `node scripts/api.mjs failed:\n${`${r.stdout}${r.stderr}`
    .split("\n")
    .filter((l) => !l.startsWith("api warning:"))
    .join("\n")}`;
}

// ------------------------------------------------------------ README blocks

interface ReadmeBlock {
  /** README line of the opening fence. */
  line: number;
  lang: string;
  code: string;
  skip: string | null;
}

function readmeBlocks(): ReadmeBlock[] {
  const lines = readFileSync(join(root, "README.md"), "utf8").split("\n");
  const blocks: ReadmeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w*)\s*$/.exec(lines[i]!);
    if (!open || open[1] === "") {
      if (open) while (++i < lines.length && !/^```\s*$/.test(lines[i]!)); // an unlabelled block: output
      continue;
    }
    let end = i + 1;
    while (end < lines.length && !/^```\s*$/.test(lines[end]!)) end++;
    const marker = /^<!--\s*types:\s*skip\b\s*(.*?)\s*-->\s*$/.exec(lines[i - 1] ?? "");
    blocks.push({
      line: i + 1,
      lang: open[1]!,
      code: lines.slice(i + 1, end).join("\n") + "\n",
      skip: marker ? marker[1] || "marked" : null,
    });
    i = end;
  }
  return blocks;
}

const TYPED_LANGS = new Set(["js", "mjs", "javascript", "ts", "mts", "typescript"]);

// ------------------------------------------------------------ compiler runs

interface Run {
  status: number | null;
  output: string;
  files: string[];
}

function tsc(compiler: string, args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [compiler, ...args, "--noEmit", "--pretty", "false", "--listFiles"], {
      cwd: root,
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d));
    child.stderr.on("data", (d: Buffer) => (out += d));
    child.on("error", reject);
    child.on("close", (status) => {
      const lines = out.split("\n");
      // --listFiles prints absolute paths; everything else is diagnostics.
      const files = lines.filter((l) => l.startsWith("/") || /^[A-Za-z]:[\\/]/.test(l)).map((l) => l.trim());
      const output = lines.filter((l) => !files.includes(l.trim()) && l.trim() !== "").join("\n");
      resolve({ status, output, files });
    });
  });
}

let tmp = "";
let rollupErrors = "";
const runs = new Map<string, Promise<Run>>();
let readme: ReadmeBlock[] = [];

/** Diagnostics in a README block's file, as README.md:line:col. */
function readmeLines(output: string): string {
  const dir = relative(root, tmp).split("\\").join("/");
  return output.replace(
    new RegExp(`${dir.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/readme-L(\\d+)\\.ts\\((\\d+),(\\d+)\\)`, "g"),
    (_, at, l, c) => `README.md:${Number(at) + Number(l)}:${c} (the block at line ${at})`,
  );
}

beforeAll(() => {
  rollupErrors = ensureRollup();
  // The README's examples join the Node consumer project: one compile per
  // compiler covers both. Files under test/.tmp-*/ (gitignored) so that
  // "gomap-wasm" resolves through the package's own exports.
  tmp = mkdtempSync(join(root, "test", ".tmp-types-"));
  readme = readmeBlocks().filter((b) => TYPED_LANGS.has(b.lang));
  for (const b of readme) if (!b.skip) writeFileSync(join(tmp, `readme-L${b.line}.ts`), b.code);
  writeFileSync(
    join(tmp, "tsconfig.json"),
    JSON.stringify({ extends: "../types/tsconfig.node.json", include: ["readme-L*.ts"] }, null, 2),
  );
  for (const c of COMPILERS) {
    runs.set(`${c.name} node`, tsc(c.tsc, ["-p", relative(root, join(tmp, "tsconfig.json"))]));
    runs.set(`${c.name} browser`, tsc(c.tsc, ["-p", "test/types/tsconfig.browser.json"]));
  }
});

afterAll(async () => {
  await Promise.allSettled(runs.values());
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe("types: dist/gomap-wasm.d.ts", () => {
  it("is rolled up by api-extractor without errors (e.g. ae-forgotten-export)", () => {
    expect(rollupErrors).toBe("");
    expect(existsSync(ROLLUP)).toBe(true);
  });

  const text = () => readFileSync(ROLLUP, "utf8");
  /** The declarations without their comments (doc comments may name anything). */
  const code = () =>
    text()
      .replace(/\/\*[\s\S]*?\*\//g, "")
      .replace(/^\s*\/\/(?!\/).*$/gm, "");
  /** Does the rollup declare `name` (a member, function, class, type, const)? */
  const declares = (src: string, name: string) =>
    new RegExp(
      String.raw`^\s*(?:export\s+)?(?:declare\s+)?(?:(?:public|protected|static|readonly|abstract|get|set|function|const|let|var|class|interface|type|enum|namespace)\s+)*\[?` +
        name.replace(/\$/g, "\\$") +
        String.raw`\]?\s*[?!]?\s*[(<:=;{]`,
      "m",
    ).test(src);

  it("is what package.json gives consumers, and the only .d.ts it publishes", () => {
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
    expect(pkg.types).toBe("./dist/gomap-wasm.d.ts");
    expect(pkg.exports["."].types).toBe("./dist/gomap-wasm.d.ts");
    expect(Object.keys(pkg.exports["."])[0], "the types condition must come first").toBe("types");
    const files = pkg.files as string[];
    expect(files.filter((f) => f.endsWith(".d.ts"))).toEqual(["dist/gomap-wasm.d.ts"]);
    expect(
      files.filter((f) => /^dist\/?(?:\*\*\/?)?\*?$/.test(f)),
      "a pattern that would publish every file in dist/",
    ).toEqual([]);
  });

  it("publishes nothing marked @internal", () => {
    const src = code();
    expect(text()).not.toMatch(/@internal/);
    // Every name src/ marks @internal (constructors aside: they must be private).
    const internal = new Set<string>();
    for (const f of readdirSync(join(root, "src")).filter((f) => f.endsWith(".ts"))) {
      const s = readFileSync(join(root, "src", f), "utf8");
      for (const m of s.matchAll(/\/\*\*(?:(?!\*\/)[\s\S])*?@internal[\s\S]*?\*\/\s*\n\s*([^\n]*)/g)) {
        const name =
          /^(?:export\s+)?(?:declare\s+)?(?:(?:public|private|protected|static|readonly|abstract|async|get|set|function|const|let|var|class|interface|type|enum)\s+)*\[?([A-Za-z_$][\w$]*)/.exec(
            m[1]!,
          )?.[1];
        if (name && name !== "constructor") internal.add(name);
      }
    }
    // And what the issue found published: GoMap's handle/owner/ops, the
    // symbol-keyed accessors, MapPool's onCycleStart/parked.
    for (const n of ["handle", "owner", "ops", "INTERNAL", "UNSAFE", "onCycleStart", "parked"]) internal.add(n);
    const published = [...internal].filter((n) => declares(src, n));
    expect(published, "declared in dist/gomap-wasm.d.ts although internal").toEqual([]);
  });

  it("has no internal types: no boundary, no dbg* hooks, no root table", () => {
    const src = code();
    expect(src.match(/\bdbg\w*/g) ?? []).toEqual([]);
    const names = [
      "Boundary",
      "RootTable",
      "MapOwner",
      "MapOps",
      "MapInternals",
      "UnsafeAccess",
      "UnsafeContext",
      "PoolHost",
      "Parked",
      "Stamp",
    ];
    expect(names.filter((n) => new RegExp(`\\b${n}\\b`).test(src))).toEqual([]);
  });

  it("needs no DOM lib and no Node types", () => {
    const src = code();
    expect(src.match(/\bWebAssembly\.\w+/g) ?? []).toEqual([]);
    expect(text()).not.toMatch(/\/\/\/\s*<reference\s+lib=["']dom/i);
    expect(text()).not.toMatch(/\/\/\/\s*<reference\s+types=["']node["']/);
    // DOM-only globals a declaration might name
    expect(
      src.match(/\b(?:Response|Request|Headers|Blob|Window|Document|HTMLElement|ReadableStream)\b/g) ?? [],
    ).toEqual([]);
  });

  it("stands alone: no import of another declaration file", () => {
    const src = code();
    expect(src.match(/import\(\s*["'][^"']*["']\s*\)/g) ?? []).toEqual([]);
    expect(src.match(/^\s*(?:import|export)\b[^;]*?\bfrom\s*["']\.{1,2}\/[^"']*["']/gm) ?? []).toEqual([]);
    expect(src.match(/\/\/\/\s*<reference\s+path=/g) ?? []).toEqual([]);
  });
});

describe("types: strict consumers", () => {
  for (const c of COMPILERS) {
    it(`${c.name}: the Node project (lib es2022, no DOM, types node) and the README's examples type-check`, async () => {
      const r = await runs.get(`${c.name} node`)!;
      expect(readmeLines(r.output), `tsc -p test/types/tsconfig.node.json (+ README blocks), ${c.name}`).toBe("");
      expect(r.status).toBe(0);
    });

    it(`${c.name}: the browser project (lib es2022 + dom, no Node types, bundler resolution) type-checks`, async () => {
      const r = await runs.get(`${c.name} browser`)!;
      expect(r.output, `tsc -p test/types/tsconfig.browser.json, ${c.name}`).toBe("");
      expect(r.status).toBe(0);
    });

    it(`${c.name}: "gomap-wasm" resolves to dist/gomap-wasm.d.ts and to no other file of ours`, async () => {
      for (const project of ["node", "browser"]) {
        const r = await runs.get(`${c.name} ${project}`)!;
        const ours = r.files
          .map((f) => relative(root, f).split("\\").join("/"))
          .filter((f) => !f.startsWith("..") && !f.startsWith("node_modules/") && !f.startsWith("test/"));
        expect(ours, project).toEqual(["dist/gomap-wasm.d.ts"]);
      }
    });
  }

  it("checks every README example (js/ts blocks) or says why not", () => {
    expect(readme.length).toBeGreaterThan(0);
    const skipped = readme.filter((b) => b.skip).map((b) => `README.md:${b.line} (${b.skip})`);
    // Skipping is for blocks that cannot type-check by nature (a fragment,
    // an error shown on purpose); keep the list short.
    expect(skipped.length, skipped.join("\n")).toBeLessThanOrEqual(2);
  });
});
