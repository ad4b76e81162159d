// The core's import graph is layered, and its generated files match their
// generators.
//
// Layers, bottom to top (Go's runtime has the same shape: malloc.go,
// mgc.go, map.go; mgc.go never imports map.go, it reads type descriptors):
//
//    mem/   the allocator (and the runtime's one fastrand)
//    gc/    the collector's type table, marking, roots, pacing
//    map/   the map, which describes its types to gc/ at init
//    .      the entries (index.ts, debug.ts) and proc.ts (init order)
//
// Rules checked here on the `from "…"` imports of assembly/**/*.ts:
//   1. No mem/ or gc/ file imports map/ or a top-level file; no map/ file
//      imports a top-level file.
//   2. No import cycle passes through map/ or a top-level file. Cycles
//      inside mem/ and gc/ (Go's malloc ↔ gc) are allowed, and every mem/
//      file that imports gc/ says so in a "Layering:" paragraph of its
//      opening essay.
//   3. The folder-level graph is exactly the listing below.

import { describe, it, expect } from "vitest";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, posix } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const asm = join(root, "assembly");

/** Folder of an assembly/-relative path: "mem", "gc", "map" or "." (top). */
const folderOf = (f: string): string => (f.includes("/") ? f.slice(0, f.indexOf("/")) : ".");

/** Every assembly/**\/*.ts file (posix, relative to assembly/) → the files
 *  it imports. Throws on an import that names no file. */
function importGraph(): Map<string, string[]> {
  const files = (readdirSync(asm, { recursive: true, encoding: "utf8" }) as string[])
    .map((f) => f.split("\\").join("/"))
    .filter((f) => f.endsWith(".ts"))
    .sort();
  const graph = new Map<string, string[]>();
  for (const f of files) {
    const src = readFileSync(join(asm, f), "utf8");
    const specs = [...src.matchAll(/\bfrom\s+"([^"]+)"|^\s*import\s+"([^"]+)"/gm)].map((m) => (m[1] ?? m[2])!);
    const deps: string[] = [];
    for (const spec of specs) {
      if (!spec.startsWith(".")) throw new Error(`assembly/${f}: import of "${spec}" is not relative`);
      const target = posix.normalize(posix.join(posix.dirname(f), spec)) + ".ts";
      if (!existsSync(join(asm, target))) throw new Error(`assembly/${f}: import "${spec}" names no file (${target})`);
      deps.push(target);
    }
    graph.set(f, deps);
  }
  return graph;
}

/** Strongly connected components with more than one file (or a file that
 *  imports itself): the import cycles (Tarjan). */
function cycles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>(),
    low = new Map<string, number>();
  const stack: string[] = [],
    onStack = new Set<string>(),
    out: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return out;
}

/** One import path around a cycle, for the failure message. */
function cyclePath(graph: Map<string, string[]>, scc: string[]): string {
  const inScc = new Set(scc);
  const start = scc[0]!;
  const path = [start];
  const seen = new Set([start]);
  let v = start;
  for (;;) {
    const w = (graph.get(v) ?? []).find((d) => inScc.has(d) && (d === start || !seen.has(d))) ?? start;
    path.push(w);
    if (w === start) break;
    seen.add(w);
    v = w;
  }
  return path.join(" → ");
}

/** The folder-level graph: "a → b, c" lines, self-edges left out. */
function folderListing(graph: Map<string, string[]>): string[] {
  const edges = new Map<string, Set<string>>();
  for (const [f, deps] of graph) {
    for (const d of deps) {
      const a = folderOf(f),
        b = folderOf(d);
      if (a === b) continue;
      if (!edges.has(a)) edges.set(a, new Set());
      edges.get(a)!.add(b);
    }
  }
  return [...edges].sort(([a], [b]) => a.localeCompare(b)).map(([a, bs]) => `${a} → ${[...bs].sort().join(", ")}`);
}

const graph = importGraph();

describe("assembly/ import layers (mem → gc → map → entries)", () => {
  it("no mem/ or gc/ file imports map/ or a top-level file; no map/ file imports a top-level file", () => {
    const rank: Record<string, number> = { mem: 0, gc: 0, map: 1, ".": 2 };
    const bad: string[] = [];
    for (const [f, deps] of graph) {
      for (const d of deps) {
        const from = folderOf(f),
          to = folderOf(d);
        if (!(from in rank) || !(to in rank)) bad.push(`assembly/${f} → assembly/${d}: unknown folder`);
        else if (rank[to]! > rank[from]!) bad.push(`assembly/${f} → assembly/${d}`);
      }
    }
    expect(bad, "imports from a lower layer into a higher one").toEqual([]);
  });

  it("no import cycle passes through map/ or a top-level file", () => {
    const bad = cycles(graph)
      .filter((scc) => scc.some((f) => folderOf(f) !== "mem" && folderOf(f) !== "gc"))
      .map((scc) => cyclePath(graph, scc));
    expect(bad, "import cycles through map/ or the top level").toEqual([]);
  });

  it("every mem/ file that imports gc/ documents it in its essay (the mem ↔ gc cycle, Go's malloc ↔ gc)", () => {
    const undocumented: string[] = [];
    for (const [f, deps] of graph) {
      if (folderOf(f) !== "mem" || !deps.some((d) => folderOf(d) === "gc")) continue;
      const lines = readFileSync(join(asm, f), "utf8").split("\n");
      const end = lines.findIndex((l) => !l.startsWith("//"));
      const essay = lines.slice(0, end < 0 ? lines.length : end).join("\n");
      if (!/^\/\/ Layering:/m.test(essay)) undocumented.push(`assembly/${f}`);
    }
    expect(undocumented, "mem/ files importing gc/ without a 'Layering:' paragraph in their opening comment").toEqual(
      [],
    );
  });

  it("the folder-level graph is the documented one", () => {
    expect(folderListing(graph)).toEqual([". → gc, map, mem", "gc → mem", "map → gc, mem", "mem → gc"]);
  });
});

describe("generated core sources", () => {
  const mkmapapi = join(root, "scripts", "mkmapapi.mjs");
  const HEADER = "// Code generated by scripts/mkmapapi.mjs. DO NOT EDIT.";

  it("assembly/map/api.ts and api-debug.ts start with Go's generated-code header", () => {
    for (const f of ["api.ts", "api-debug.ts"]) {
      expect(readFileSync(join(asm, "map", f), "utf8").split("\n")[0], f).toBe(HEADER);
    }
  });

  it("mkmapapi --check passes on the committed files", () => {
    const r = spawnSync(process.execPath, [mkmapapi, "--check"], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
  });

  it("mkmapapi --check fails, naming the file and the line, on a stale or missing file", () => {
    const dir = mkdtempSync(join(tmpdir(), "gomap-mkmapapi-"));
    try {
      expect(spawnSync(process.execPath, [mkmapapi, "--dir", dir]).status).toBe(0);
      expect(spawnSync(process.execPath, [mkmapapi, "--check", "--dir", dir]).status).toBe(0);
      const api = join(dir, "api.ts");
      const lines = readFileSync(api, "utf8").split("\n");
      const at = lines.findIndex((l) => l.startsWith("export function access_k32_v32("));
      lines[at] = lines[at]!.replace("mapaccess", "mapassign");
      writeFileSync(api, lines.join("\n"));
      const stale = spawnSync(process.execPath, [mkmapapi, "--check", "--dir", dir], { encoding: "utf8" });
      expect(stale.status).toBe(1);
      expect(stale.stderr).toContain("api.ts is stale");
      expect(stale.stderr).toContain(`line ${at + 1}`);
      rmSync(join(dir, "api-debug.ts"));
      const missing = spawnSync(process.execPath, [mkmapapi, "--check", "--dir", dir], { encoding: "utf8" });
      expect(missing.status).toBe(1);
      expect(missing.stderr).toContain("api-debug.ts is stale");
      expect(missing.stderr).toContain("missing");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("scripts/build.mjs rebuilds the core when a generator changes and checks the generated files first", () => {
    const build = readFileSync(join(root, "scripts", "build.mjs"), "utf8");
    const inputs = /const CORE_INPUTS = \[([^\]]*)\]/.exec(build)?.[1] ?? "";
    const generators = /const CORE_GENERATORS = \[([^\]]*)\]/.exec(build)?.[1] ?? "";
    for (const g of ["scripts/mkmapapi.mjs", "scripts/mksizeclasses.mjs"]) {
      expect(inputs, "CORE_INPUTS").toContain(`"${g}"`);
      expect(generators, "CORE_GENERATORS").toContain(`"${g}"`);
    }
    // Every file under assembly/ that says it is generated names one of them.
    const generated = [...graph.keys()].filter((f) =>
      /^\/\/ Code generated by /.test(readFileSync(join(asm, f), "utf8")),
    );
    expect(generated.sort()).toEqual(["map/api-debug.ts", "map/api.ts", "mem/sizeclasses.ts"]);
    for (const f of generated) {
      const by = /^\/\/ Code generated by (\S+?)[.;]? DO NOT EDIT\./.exec(readFileSync(join(asm, f), "utf8"))?.[1];
      expect(generators, `${f} is generated by ${by}`).toContain(`"${by}"`);
    }
  });
});
