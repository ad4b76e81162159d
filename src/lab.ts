#!/usr/bin/env node
/**
 * The lab (`npm start`, `npx gomap-lab`). Until the map exists, it shows the
 * allocator at work: a mixed workload shaped like a Go program's map heap
 * (48-byte hmaps, 144/208-byte buckets, 16-byte strings, large bucket
 * arrays), the spans it produced by size class, MemStats, then a
 * mark-and-sweep that keeps every other object.
 */
import { Runtime } from "./node.js";
import { boundaryOf, type MemStats } from "./runtime.js";
import type { SpanClassRow } from "./boundary.js";

interface LabOptions { n: number; json: boolean }

const HELP = `gomap-lab — the gomap-wasm allocator at work

Allocates a mixed workload (hmaps, buckets, strings, large arrays) on the
Go-style span allocator, prints the spans by size class and Go's MemStats,
then marks every other object and sweeps, like a GC cycle would.

Options:
  --n <count>   objects to allocate (default 200000)
  --json        print JSON instead of tables
  --help        this text`;

function parseArgs(argv: string[]): LabOptions | null {
  const o: LabOptions = { n: 200_000, json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--help" || a === "-h") return null;
    else if (a === "--json") o.json = true;
    else if (a === "--n") {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v <= 0 || v > 50_000_000) throw new Error(`--n needs a whole number between 1 and 50000000, got ${argv[i]}`);
      o.n = v;
    } else throw new Error(`unknown option ${a}; try --help`);
  }
  return o;
}

const MIB = 1024 * 1024;
const fmtMiB = (b: number) => `${(b / MIB).toFixed(2)} MiB`;

function spanTable(rows: SpanClassRow[]): string {
  const lines = ["class  size  noscan  spans  pages   slots  allocated  full%"];
  for (const r of rows) {
    const size = r.sizeClass === 0 ? "large" : String(r.elemSize);
    lines.push(
      `${String(r.sizeClass).padStart(5)} ${size.padStart(5)}  ${(r.noscan ? "yes" : "no").padStart(6)} ` +
        `${String(r.spans).padStart(6)} ${String(r.pages).padStart(6)} ${String(r.slots).padStart(7)} ` +
        `${String(r.allocated).padStart(10)} ${((100 * r.allocated) / r.slots).toFixed(1).padStart(6)}`,
    );
  }
  return lines.join("\n");
}

const STAT_ROWS: (keyof MemStats)[] = ["HeapAlloc", "HeapInuse", "HeapIdle", "HeapSys", "HeapObjects", "Mallocs", "Frees", "Sys"];

function statsTable(phases: [string, MemStats][]): string {
  const head = "field".padEnd(12) + phases.map(([n]) => n.padStart(18)).join("");
  const lines = [head];
  for (const f of STAT_ROWS) {
    const bytes = !["HeapObjects", "Mallocs", "Frees"].includes(f);
    lines.push(f.padEnd(12) + phases.map(([, s]) => (bytes ? fmtMiB(s[f] as number) : String(s[f])).padStart(18)).join(""));
  }
  return lines.join("\n");
}

async function main(): Promise<void> {
  let opts: LabOptions | null;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`gomap-lab: ${(e as Error).message}`);
    process.exit(2);
  }
  if (!opts) {
    console.log(HELP);
    return;
  }
  // The debug build exports the mark and sweep hooks this demo drives.
  const rt = await Runtime.create({ debug: true });
  const b = boundaryOf(rt);
  const dbg = b.requireDebug("the lab");
  const start = rt.readMemStats();
  // The workload: per 100 objects, 40 strings (16 B), 30 buckets of 144 B,
  // 20 of 208 B, 10 hmaps (48 B); plus one large array per 10000 objects.
  const shape: [number, boolean][] = [];
  for (let i = 0; i < 40; i++) shape.push([16, true]);
  for (let i = 0; i < 30; i++) shape.push([144, true]);
  for (let i = 0; i < 20; i++) shape.push([208, false]);
  for (let i = 0; i < 10; i++) shape.push([48, false]);
  const ptrs: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < opts.n; i++) {
    const [size, noscan] = i % 10_000 === 9_999 ? [147_456, true] as [number, boolean] : shape[i % 100]!;
    const p = b.alloc(size, noscan);
    if (p === 0) throw new Error(`out of memory after ${i} objects`);
    ptrs.push(p);
  }
  const allocMs = performance.now() - t0;
  const spansAfterAlloc = rt.spanClasses();
  const afterAlloc = rt.readMemStats();
  dbg.dbgPrepareMark();
  for (let i = 0; i < ptrs.length; i += 2) dbg.dbgMark(ptrs[i]!);
  dbg.dbgSweepStart();
  dbg.dbgFinishSweep();
  const afterSweep = rt.readMemStats();
  const spansAfterSweep = rt.spanClasses();

  if (opts.json) {
    console.log(JSON.stringify({ n: opts.n, allocMs, start, afterAlloc, afterSweep, spansAfterAlloc, spansAfterSweep }, null, 2));
    return;
  }
  console.log(`gomap-lab: ${opts.n} objects allocated in ${allocMs.toFixed(1)} ms on the Go-style span allocator\n`);
  console.log("Spans by size class after allocating:\n" + spanTable(spansAfterAlloc) + "\n");
  console.log("Spans by size class after marking every other object and sweeping:\n" + spanTable(spansAfterSweep) + "\n");
  console.log("MemStats (Go's field names):\n" + statsTable([["start", start], ["after alloc", afterAlloc], ["after sweep", afterSweep]]));
  console.log(
    "\nThe sweep freed half the objects (Frees), but HeapInuse only falls by the spans that became" +
      "\nempty: a span with one live object keeps all its pages, as in Go. Linear memory (Sys) never" +
      "\nshrinks: WebAssembly cannot give pages back, so HeapReleased stays 0.",
  );
}

await main();
