// gomap-wasm as a new user gets it, through every common bundler (GitHub
// issue 13). A consumer project is made in a temporary folder from the
// package as published (`npm pack`, extracted into its node_modules, with
// pprof-format linked from ours: no network, no npm cache), and one small
// app (test/bundlers/app.js) is built from it by
//
//   esbuild   browser ESM, minified        → Chromium, an index.html-fallback server
//   esbuild   platform node, ESM, minified → node
//   esbuild   platform node, CJS, minified → node
//   Vite      dev server (default dependency pre-bundling, no config)
//   Vite      build (production, minified) → Chromium, an index.html-fallback server
//   webpack 5 mode production              → Chromium, a plain static server
//   (none)    node_modules served as-is with an import map → Chromium
//
// The bundlers run from the repository's node_modules through their JS
// APIs, rooted in the consumer project, and must resolve gomap-wasm to the
// packed files there (checked from each bundler's module list). Outputs
// must not carry the debug core (no file over 300 kB, no *debug*.wasm, no
// debug-core base64 in any text file); the release core is inlined as
// base64 (~190 kB) and expected.
//
// The app checks a map works, error names survive minification,
// WasmLoadError for a missing core, iterator helpers, heap-profile frame
// names and rt.close(); it reports { checks, observed } (window variable in
// the browser, a stdout line in Node) and every check must read "ok".
//
// The Vite dev case also requests the package's dist/*.js through the dev
// server's transform (how a linked or non-pre-bundled package is served):
// no "Sourcemap … points to missing source files" warning may appear.
//
// Without /usr/bin/chromium the browser runs are skipped with a notice;
// under CI=true they fail instead (.ci/run installs chromium).
// KEEP_BUNDLER_TMP=1 keeps the consumer project and outputs for a look;
// GOMAP_TEST_CHROMIUM=<path> points at another Chromium (or none).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { basename, extname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { stripVTControlCharacters } from "node:util";
import type { BrowserContext } from "playwright-core";
import type { ViteDevServer, Logger } from "vite";
import { startStaticServer, type StaticServer } from "./static-server.js";
import { CHROMIUM, CHROMIUM_FLAGS, CI, HAVE_CHROMIUM } from "./chromium.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url)).replace(/[/\\]$/, "");
const FIXTURES = join(ROOT, "test", "bundlers");
const npm = process.platform === "win32" ? "npm.cmd" : "npm";
/** No output file may be larger: the debug core is 520 kB (694 kB as
 *  base64); an app bundle with the release core inlined is about 420 kB
 *  (the core grew with snapshots' checks and shared readers' seqlocks). */
const MAX_OUTPUT_FILE = 500 * 1024;
const TEXT_EXTS = new Set([".js", ".mjs", ".cjs", ".html", ".css", ".map", ".json", ".txt", ".svg"]);
const PAGE_TIMEOUT = 30_000;

if (!HAVE_CHROMIUM && !CI) {
  console.log(
    `[bundlers.test] browser cases SKIPPED: ${CHROMIUM} is absent (install it with: apt-get install -y chromium). Under CI=true they fail instead.`,
  );
}

/** The checks app.js reports; each must be "ok". */
const CHECKS = [
  "exports",
  "create",
  "u32ToString",
  "u64NumberKeys",
  "invalidArgumentName",
  "useAfterFreeName",
  "iteratorPrototype",
  "iteratorHelpers",
  "heapProfile",
  "wasmLoadError",
  "close",
];

interface AppResult {
  checks: Record<string, string>;
  observed: Record<string, unknown>;
  fatal?: string;
}

type BundleName = "esbuild-browser" | "esbuild-node-esm" | "esbuild-node-cjs" | "vite-build" | "webpack";

interface BuildResult {
  ok: boolean;
  error?: string;
  warnings: string[];
  /** Absolute paths of the modules the bundler put in the output. */
  modules: string[];
  outDir: string;
  /** The file to load: the page (browser) or the script (node). */
  entry: string;
  ms: number;
}

// ------------------------------------------------------------------ state

let tmp = "";
let consumer = "";
let outRoot = "";
let debugWasm: Buffer | null = null;
let debugFingerprints: string[] = [];
const builds = new Map<BundleName, BuildResult>();
const servers: StaticServer[] = [];
/** Serves out/esbuild-browser with index.html for unknown paths; the Node
 *  bundles take their missing-core URL from it too. */
let fallbackServer: StaticServer;
const timings: Record<string, number> = {};

// ------------------------------------------------------------------ helpers

function sh(
  cmd: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeout?: number } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(cmd, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeout ?? 60_000);
    child.on("error", (e) => {
      clearTimeout(timer);
      fail(e);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

async function must(cmd: string, args: string[], cwd: string): Promise<string> {
  const r = await sh(cmd, args, { cwd });
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** Everything in `dir` that carries (or may carry) the debug core. */
function debugCoreFindings(dir: string, maxSize: number | null = MAX_OUTPUT_FILE): string[] {
  const found: string[] = [];
  for (const file of walk(dir)) {
    const rel = relative(dir, file);
    const size = statSync(file).size;
    if (maxSize !== null && size > maxSize) found.push(`${rel} is ${size} bytes (> ${maxSize})`);
    if (extname(file) === ".wasm" && /debug/i.test(basename(file))) found.push(`${rel} is a debug core`);
    if (debugWasm && size === debugWasm.length && readFileSync(file).equals(debugWasm))
      found.push(`${rel} has the debug core's bytes`);
    if (TEXT_EXTS.has(extname(file))) {
      const text = readFileSync(file, "latin1");
      if (debugFingerprints.some((f) => text.includes(f))) found.push(`${rel} contains the debug core as base64`);
    }
  }
  return found;
}

/** The bundler took gomap-wasm from the consumer's node_modules (the packed
 *  files), never from the repository's own dist/, build/ or src/. */
function expectPackedModules(name: string, modules: string[]): void {
  const packed = join(consumer, "node_modules", "gomap-wasm") + sep;
  const fromPack = modules.filter((m) => m.startsWith(packed));
  const fromRepo = modules.filter((m) => ["dist", "build", "src"].some((d) => m.startsWith(join(ROOT, d) + sep)));
  expect.soft(fromRepo, `${name}: modules taken from the repository instead of the packed package`).toEqual([]);
  expect
    .soft(
      fromPack.some((m) => m.endsWith(`${sep}dist${sep}${name.includes("node") ? "node" : "browser"}.js`)),
      `${name}: the packed entry is not among the bundled modules:\n${modules.join("\n")}`,
    )
    .toBe(true);
  expect
    .soft(
      fromPack.some((m) => m.endsWith(`${sep}build${sep}release-inline.js`)),
      `${name}: build/release-inline.js (the inlined release core) is not among the bundled modules`,
    )
    .toBe(true);
}

function expectAllOk(what: string, result: AppResult, extra: string[] = []): void {
  const want = Object.fromEntries([...CHECKS, ...extra].map((k) => [k, "ok"]));
  expect(result.fatal, `${what}: the app crashed`).toBeUndefined();
  expect.soft(result.checks, `${what}: app checks (observed: ${JSON.stringify(result.observed)})`).toEqual(want);
}

function parseResult(stdout: string): AppResult | null {
  const line = stdout.split("\n").find((l) => l.startsWith("GOMAP_RESULT "));
  return line ? (JSON.parse(line.slice("GOMAP_RESULT ".length)) as AppResult) : null;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

// ------------------------------------------------------------------ builds

async function timed<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  try {
    return await fn();
  } finally {
    timings[name] = Math.round(performance.now() - t0);
  }
}

async function build(
  name: BundleName,
  fn: (outDir: string) => Promise<{ warnings: string[]; modules: string[]; entry: string }>,
): Promise<void> {
  const outDir = join(outRoot, name);
  mkdirSync(outDir, { recursive: true });
  const t0 = performance.now();
  try {
    const r = await fn(outDir);
    builds.set(name, { ok: true, outDir, ...r, ms: Math.round(performance.now() - t0) });
  } catch (e) {
    const err = e as Error & { errors?: { text: string }[] };
    const text = err.errors?.length ? err.errors.map((x) => x.text).join("\n") : (err.stack ?? String(e));
    builds.set(name, {
      ok: false,
      error: text,
      outDir,
      warnings: [],
      modules: [],
      entry: "",
      ms: Math.round(performance.now() - t0),
    });
  }
}

const PAGE = (script: string, type: "module" | "classic") =>
  `<!doctype html>\n<html><head><meta charset="utf-8"><title>gomap-wasm consumer</title></head>\n<body><script${type === "module" ? ' type="module"' : " defer"} src="${script}"></script></body></html>\n`;

async function esbuildBundle(name: BundleName, platform: "browser" | "node", format: "esm" | "cjs"): Promise<void> {
  const esbuild = await import("esbuild");
  await build(name, async (outDir) => {
    const file = platform === "browser" ? "app.js" : format === "esm" ? "app.mjs" : "app.cjs";
    const r = await esbuild.build({
      absWorkingDir: consumer,
      entryPoints: [join(consumer, "src", platform === "browser" ? "browser-entry.js" : "node-entry.js")],
      bundle: true,
      minify: true,
      platform,
      format,
      outfile: join(outDir, file),
      metafile: true,
      logLevel: "silent",
    });
    if (platform === "browser") writeFileSync(join(outDir, "index.html"), PAGE("/app.js", "module"));
    return {
      warnings: r.warnings.map((w) => `${w.location?.file ?? ""}: ${w.text}`),
      modules: Object.keys(r.metafile!.inputs).map((p) => resolve(consumer, p)),
      entry: join(outDir, file),
    };
  });
}

function capturingLogger(
  createLogger: typeof import("vite").createLogger,
  sink: { warnings: string[]; errors: string[] },
): Logger {
  const logger = createLogger("info", { allowClearScreen: false });
  const strip = stripVTControlCharacters;
  return {
    ...logger,
    info: () => {},
    warn: (msg) => sink.warnings.push(strip(msg)),
    warnOnce: (msg) => sink.warnings.push(strip(msg)),
    error: (msg) => sink.errors.push(strip(msg)),
    clearScreen: () => {},
    hasWarned: false,
  } as Logger;
}

async function viteBuild(): Promise<void> {
  const vite = await import("vite");
  await build("vite-build", async (outDir) => {
    const sink = { warnings: [] as string[], errors: [] as string[] };
    const out = await vite.build({
      root: consumer,
      configFile: false,
      mode: "production",
      customLogger: capturingLogger(vite.createLogger, sink),
      build: { outDir, emptyOutDir: true, reportCompressedSize: false },
    });
    const outputs = (Array.isArray(out) ? out : [out]) as import("vite").Rolldown.RolldownOutput[];
    const modules = outputs
      .flatMap((o) => o.output.flatMap((c) => (c.type === "chunk" ? c.moduleIds : [])))
      .filter((id) => isAbsolute(id));
    return { warnings: [...sink.warnings, ...sink.errors], modules, entry: join(outDir, "index.html") };
  });
}

async function webpackBuild(): Promise<void> {
  const webpack = (await import("webpack")).default;
  await build("webpack", async (outDir) => {
    const compiler = webpack({
      mode: "production",
      context: consumer,
      entry: "./src/browser-entry.js",
      target: "web",
      devtool: false,
      output: { path: outDir, filename: "main.js", clean: true },
      performance: { hints: false },
      infrastructureLogging: { level: "error" },
    });
    const stats = await new Promise<import("webpack").Stats>((done, fail) =>
      compiler.run((err, s) => {
        compiler.close(() => {});
        if (err) fail(err);
        else done(s!);
      }),
    );
    const json = stats.toJson({
      all: false,
      modules: true,
      nestedModules: true,
      errors: true,
      warnings: true,
      assets: true,
    });
    if (stats.hasErrors()) throw new Error(json.errors!.map((e) => e.message).join("\n"));
    const modules: string[] = [];
    const collect = (list: import("webpack").StatsModule[] | undefined) => {
      for (const m of list ?? []) {
        if (m.nameForCondition && isAbsolute(m.nameForCondition)) modules.push(m.nameForCondition);
        collect(m.modules);
      }
    };
    collect(json.modules);
    writeFileSync(join(outDir, "index.html"), PAGE("/main.js", "classic"));
    return { warnings: (json.warnings ?? []).map((w) => w.message), modules, entry: join(outDir, "index.html") };
  });
}

// ------------------------------------------------------------------ the suite

describe("bundlers: a consumer project builds and runs the packed gomap-wasm", () => {
  beforeAll(async () => {
    const t0 = performance.now();
    tmp = mkdtempSync(join(tmpdir(), "gomap-bundlers-"));
    consumer = join(tmp, "app");
    outRoot = join(tmp, "out");
    mkdirSync(join(consumer, "node_modules", "gomap-wasm"), { recursive: true });
    mkdirSync(join(consumer, "src"), { recursive: true });

    // The package as published: npm pack, extracted where npm would put it.
    const packed = await timed("npm pack", () =>
      must(npm, ["pack", "--pack-destination", tmp, "--json", "--ignore-scripts"], ROOT),
    );
    const tarball = join(tmp, (JSON.parse(packed) as { filename: string }[])[0]!.filename);
    await must(
      "tar",
      ["-xzf", tarball, "-C", join(consumer, "node_modules", "gomap-wasm"), "--strip-components=1"],
      tmp,
    );
    symlinkSync(join(ROOT, "node_modules", "pprof-format"), join(consumer, "node_modules", "pprof-format"), "dir");
    writeFileSync(
      join(consumer, "package.json"),
      JSON.stringify({ name: "consumer", private: true, type: "module", dependencies: { "gomap-wasm": "*" } }, null, 2),
    );
    for (const f of ["app.js", "browser-entry.js", "node-entry.js"])
      copyFileSync(join(FIXTURES, f), join(consumer, "src", f));
    writeFileSync(join(consumer, "index.html"), PAGE("/src/browser-entry.js", "module"));

    // The debug core the consumer has (or the repository's, if not packed).
    const dbg = [
      join(consumer, "node_modules", "gomap-wasm", "build", "debug.wasm"),
      join(ROOT, "build", "debug.wasm"),
    ].find((p) => existsSync(p));
    if (dbg) {
      debugWasm = readFileSync(dbg);
      const b64 = debugWasm.toString("base64");
      const release = readFileSync(join(ROOT, "build", "release.wasm")).toString("base64");
      debugFingerprints = [4000, Math.floor(b64.length / 8) * 4, b64.length - 4000]
        .map((at) => b64.slice(at, at + 96))
        .filter((f) => !release.includes(f));
    }

    // The unbundled site: the app's sources and node_modules as they are.
    const unbundled = join(tmp, "unbundled");
    mkdirSync(unbundled);
    symlinkSync(join(consumer, "src"), join(unbundled, "src"), "dir");
    symlinkSync(join(consumer, "node_modules"), join(unbundled, "node_modules"), "dir");
    const pprofPkg = JSON.parse(readFileSync(join(consumer, "node_modules", "pprof-format", "package.json"), "utf8"));
    const gomapPkg = JSON.parse(readFileSync(join(consumer, "node_modules", "gomap-wasm", "package.json"), "utf8"));
    const importMap = {
      imports: {
        "gomap-wasm": "/node_modules/gomap-wasm/" + String(gomapPkg.exports["."].browser).replace(/^\.\//, ""),
        "pprof-format":
          "/node_modules/pprof-format/" +
          String(pprofPkg.exports?.["."]?.import?.default ?? pprofPkg.module ?? "index.js").replace(/^\.\//, ""),
      },
    };
    writeFileSync(
      join(unbundled, "index.html"),
      PAGE("/src/browser-entry.js", "module").replace(
        "<head>",
        `<head><script type="importmap">${JSON.stringify(importMap)}</script>`,
      ),
    );

    // All bundles at once (esbuild and rolldown work off the main thread).
    await Promise.all([
      timed("esbuild browser", () => esbuildBundle("esbuild-browser", "browser", "esm")),
      timed("esbuild node esm", () => esbuildBundle("esbuild-node-esm", "node", "esm")),
      timed("esbuild node cjs", () => esbuildBundle("esbuild-node-cjs", "node", "cjs")),
      timed("vite build", viteBuild),
      timed("webpack", webpackBuild),
    ]);
    fallbackServer = await startStaticServer({ root: join(outRoot, "esbuild-browser"), fallback: true });
    servers.push(fallbackServer);
    timings.setup = Math.round(performance.now() - t0);
  }, 120_000);

  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
    console.log(`[bundlers.test] timings (ms): ${JSON.stringify(timings)}`);
    for (const [name, b] of builds)
      if (b.warnings.length) console.log(`[bundlers.test] ${name} warnings:\n  ${b.warnings.join("\n  ")}`);
    if (tmp && process.env.KEEP_BUNDLER_TMP !== "1") rmSync(tmp, { recursive: true, force: true });
    else if (tmp) console.log(`[bundlers.test] kept ${tmp}`);
  });

  describe("build outputs", () => {
    it("(self-check) the debug-core detector finds a debug core emitted as an asset or inlined as base64", () => {
      expect(debugWasm, "no build/debug.wasm to compare against").not.toBeNull();
      expect(debugFingerprints.length).toBe(3);
      const dir = join(tmp, "detector-self-check");
      mkdirSync(join(dir, "assets"), { recursive: true });
      writeFileSync(join(dir, "assets", "core-3f2a.wasm"), debugWasm!);
      writeFileSync(
        join(dir, "chunk.js"),
        `const u="data:application/wasm;base64,${debugWasm!.toString("base64")}";export default u;`,
      );
      writeFileSync(join(dir, "release.js"), readFileSync(join(ROOT, "build", "release-inline.js")));
      const found = debugCoreFindings(dir);
      expect(found).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^assets[/\\]core-3f2a\.wasm is \d+ bytes/),
          expect.stringMatching(/^assets[/\\]core-3f2a\.wasm has the debug core's bytes/),
          expect.stringMatching(/^chunk\.js contains the debug core as base64/),
        ]),
      );
      expect(
        found.filter((f) => f.startsWith("release.js")),
        "the inlined release core is not a debug core",
      ).toEqual([]);
    });

    const names: BundleName[] = ["esbuild-browser", "esbuild-node-esm", "esbuild-node-cjs", "vite-build", "webpack"];
    it.each(names)("%s: builds from the packed package and carries no debug core", (name) => {
      const b = builds.get(name)!;
      expect(b.error, `${name} failed to build`).toBeUndefined();
      expectPackedModules(name, b.modules);
      expect
        .soft(
          debugCoreFindings(b.outDir),
          `${name}: output files (${walk(b.outDir)
            .map((f) => `${relative(b.outDir, f)} ${statSync(f).size}`)
            .join(", ")})`,
        )
        .toEqual([]);
    });
  });

  describe("Node: esbuild bundles run with node", () => {
    for (const [name, what] of [
      ["esbuild-node-esm", "ESM"],
      ["esbuild-node-cjs", "CommonJS"],
    ] as const) {
      it(`${name}: a minified ${what} bundle runs the app`, async () => {
        const b = builds.get(name)!;
        expect(b.error, `${name} failed to build`).toBeUndefined();
        // Run it from its output folder: no node_modules to fall back on.
        const r = await timed(`run ${name}`, () =>
          sh(process.execPath, [b.entry], {
            cwd: b.outDir,
            env: { ...process.env, GOMAP_MISSING_WASM: `${fallbackServer.origin}/no-such.wasm`, GOMAP_MISSING: "html" },
            timeout: 60_000,
          }),
        );
        const result = parseResult(r.stdout);
        expect(
          result,
          `node ${basename(b.entry)} exited ${r.code} without a result:\n${r.stderr.slice(0, 4000)}`,
        ).not.toBeNull();
        expectAllOk(name, result!);
        expect.soft(r.code, r.stderr).toBe(0);
      });
    }
  });

  /** The browser cases: skipped without Chromium, unless CI=true. */
  const itBrowser = it.skipIf(!HAVE_CHROMIUM && !CI);

  describe("browsers: Chromium via playwright-core", () => {
    let context: BrowserContext;
    let userDataDir = "";
    let vite: ViteDevServer | null = null;
    let viteError = "";
    const viteLog = { warnings: [] as string[], errors: [] as string[] };

    beforeAll(async () => {
      // Under CI=true a missing Chromium fails every browser case (each
      // shows as failed, none as skipped).
      if (!HAVE_CHROMIUM) return;
      const { chromium } = await import("playwright-core");
      userDataDir = mkdtempSync(join(tmpdir(), "gomap-chromium-"));
      const startVite = timed("vite dev start", async () => {
        try {
          const v = await import("vite");
          vite = await v.createServer({
            root: consumer,
            configFile: false,
            clearScreen: false,
            customLogger: capturingLogger(v.createLogger, viteLog),
            server: { host: "127.0.0.1", port: 0, strictPort: false },
          });
          await vite.listen();
        } catch (e) {
          viteError = (e as Error).stack ?? String(e);
        }
      });
      const launch = timed("chromium launch", () =>
        chromium.launchPersistentContext(userDataDir, {
          executablePath: CHROMIUM,
          headless: true,
          args: CHROMIUM_FLAGS,
          timeout: 60_000,
        }),
      );
      [context] = await Promise.all([launch, startVite]);
    }, 120_000);

    afterAll(async () => {
      await context?.close();
      await vite?.close();
      if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
    });

    interface PageRun {
      result: AppResult | null;
      errors: string[];
      responses: { status: number; url: string }[];
    }

    function needChromium(): void {
      if (!HAVE_CHROMIUM)
        throw new Error(`CI=true but ${CHROMIUM} is missing: .ci/run installs it with apt-get install -y chromium`);
    }

    async function runPage(url: string): Promise<PageRun> {
      const page = await context.newPage();
      const errors: string[] = [];
      const responses: { status: number; url: string }[] = [];
      page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
      page.on("console", (m) => {
        if (m.type() === "error" || m.type() === "warning") errors.push(`console.${m.type()}: ${m.text()}`);
      });
      page.on("response", (r) => responses.push({ status: r.status(), url: r.url() }));
      page.on("requestfailed", (r) => errors.push(`requestfailed: ${r.url()} ${r.failure()?.errorText ?? ""}`));
      let result: AppResult | null = null;
      try {
        await page.goto(url, { waitUntil: "load", timeout: PAGE_TIMEOUT });
        const deadline = Date.now() + PAGE_TIMEOUT;
        let firstError = 0;
        while (Date.now() < deadline) {
          try {
            result = await page.evaluate(
              () => (window as unknown as { __gomapResult?: AppResult }).__gomapResult ?? null,
            );
          } catch {
            // a navigation (Vite reloading after optimizing a dependency)
          }
          if (result) break;
          // A module that failed to load or link never reports: give up
          // shortly after the page's first uncaught error.
          if (errors.some((e) => e.startsWith("pageerror"))) {
            firstError ||= Date.now();
            if (Date.now() - firstError > 2000) break;
          }
          await sleep(100);
        }
      } finally {
        await page.close();
      }
      return { result, errors, responses };
    }

    function expectRun(what: string, run: PageRun, extra: string[] = []): void {
      const diag = `\npage errors:\n  ${run.errors.join("\n  ")}\nresponses >= 400:\n  ${run.responses
        .filter((r) => r.status >= 400)
        .map((r) => `${r.status} ${r.url}`)
        .join("\n  ")}`;
      expect(run.result, `${what}: the page reported no result${diag}`).not.toBeNull();
      expectAllOk(what, run.result!, extra);
      expect
        .soft(
          run.errors.filter((e) => e.startsWith("pageerror")),
          `${what}: uncaught errors on the page${diag}`,
        )
        .toEqual([]);
    }

    /** No page may fetch a debug core unless it asked for one. */
    function expectNoDebugFetch(what: string, run: PageRun): void {
      expect
        .soft(
          run.responses.filter((r) => /debug[^/]*\.wasm/i.test(r.url)).map((r) => r.url),
          `${what}: fetched a debug core`,
        )
        .toEqual([]);
    }

    itBrowser("esbuild browser bundle (ESM, minified), served with an index.html fallback", async () => {
      needChromium();
      const b = builds.get("esbuild-browser")!;
      expect(b.error, "esbuild failed to build").toBeUndefined();
      const run = await timed("page esbuild-browser", () => runPage(`${fallbackServer.origin}/?missing=html`));
      expectRun("esbuild browser", run);
      expectNoDebugFetch("esbuild browser", run);
    });

    itBrowser("Vite build (production, minified), served with an index.html fallback", async () => {
      needChromium();
      const b = builds.get("vite-build")!;
      expect(b.error, "vite build failed").toBeUndefined();
      const server = await startStaticServer({ root: b.outDir, fallback: true });
      servers.push(server);
      const run = await timed("page vite-build", () => runPage(`${server.origin}/?missing=html`));
      expectRun("vite build", run);
      expectNoDebugFetch("vite build", run);
    });

    itBrowser("webpack 5 (mode production), served by a plain static server", async () => {
      needChromium();
      const b = builds.get("webpack")!;
      expect(b.error, "webpack failed to build").toBeUndefined();
      const server = await startStaticServer({ root: b.outDir });
      servers.push(server);
      const run = await timed("page webpack", () => runPage(`${server.origin}/?missing=404`));
      expectRun("webpack", run);
      expectNoDebugFetch("webpack", run);
    });

    itBrowser("Vite dev server (default dependency pre-bundling): works, and logs no sourcemap warnings", async () => {
      needChromium();
      expect(viteError, "the Vite dev server did not start").toBe("");
      const url = vite!.resolvedUrls!.local[0]!;
      const run = await timed("page vite-dev", () => runPage(`${url}?missing=any`));
      // Pre-bundled (the default above), Vite 8 reads the package's .js
      // files, not their source maps. Served unbundled — a linked package
      // (`npm link`, a file: directory dependency) or one in
      // optimizeDeps.exclude — every dist/*.js goes through Vite's
      // transform, which checks that its .js.map's sources exist (GitHub
      // issue 13: 18 "points to missing source files" warnings). Request
      // each browser-side module that way too.
      const dist = join(consumer, "node_modules", "gomap-wasm", "dist");
      for (const f of readdirSync(dist).filter((f) => f.endsWith(".js") && !["lab.js", "node.js"].includes(f))) {
        const res = await fetch(new URL(`/node_modules/gomap-wasm/dist/${f}`, url));
        expect.soft(res.status, `vite dev: /node_modules/gomap-wasm/dist/${f}`).toBe(200);
        await res.arrayBuffer();
      }
      await sleep(300); // imports are pre-transformed in the background
      const logged = [...viteLog.warnings, ...viteLog.errors];
      expectRun("vite dev", run);
      expectNoDebugFetch("vite dev", run);
      expect
        .soft(
          logged.filter((w) => /source ?map/i.test(w)),
          "the Vite dev server warned about source maps",
        )
        .toEqual([]);
      // The pre-bundled dependency is the packed package.
      const meta = JSON.parse(readFileSync(join(consumer, "node_modules", ".vite", "deps", "_metadata.json"), "utf8"));
      const src = resolve(join(consumer, "node_modules", ".vite", "deps"), meta.optimized["gomap-wasm"].src);
      expect
        .soft(
          src.startsWith(join(consumer, "node_modules", "gomap-wasm") + sep),
          `vite pre-bundled gomap-wasm from ${src}`,
        )
        .toBe(true);
      expect
        .soft(
          debugCoreFindings(join(consumer, "node_modules", ".vite", "deps"), null),
          "the pre-bundled dependency carries the debug core",
        )
        .toEqual([]);
      expect.soft(viteLog.errors, "the Vite dev server logged errors").toEqual([]);
    });

    itBrowser(
      "unbundled: node_modules served as-is with an import map; { debug: true } fetches the debug core beside the module",
      async () => {
        needChromium();
        const server = await startStaticServer({ root: join(tmp, "unbundled") });
        servers.push(server);
        const run = await timed("page unbundled", () => runPage(`${server.origin}/?missing=404&debugCore`));
        expectRun("unbundled", run, ["debugCore"]);
        // The release core came inlined: no wasm fetched for it.
        expect
          .soft(
            run.responses.filter((r) => /release[^/]*\.wasm/.test(r.url)).map((r) => r.url),
            "unbundled: fetched the release core",
          )
          .toEqual([]);
        expect
          .soft(
            run.responses.filter((r) => /debug\.wasm/.test(r.url)).map((r) => `${r.status} ${new URL(r.url).pathname}`),
          )
          .toEqual(["200 /node_modules/gomap-wasm/build/debug.wasm"]);
      },
    );
  });
});
