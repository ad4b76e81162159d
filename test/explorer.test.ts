// The explorer (explorer/, npm run explore) in a real browser: Debian's
// Chromium driven by playwright-core. It loads the page from our static
// server (scripts/explore.mjs, started in-process), which imports the
// package's browser entry (dist/browser.js → build/release.wasm), then
// drives the article's experiment by clicking the page, and after every
// step checks that the page shows what the Node API gives for the same
// steps run here (explorer/experiment.js, the page's own step code, on a
// Node runtime; maps made with the same seed land in the same buckets):
//
// - the grid: every slot's state (from the page's model, and sampled from
//   the canvas pixels) against the tophash bytes read here through
//   rt.unsafe.buckets(m), and the totals against rt.inspect(m);
// - the numbers: the MemStats, map and tophash tables of the page, the
//   chart's samples, the heap's spans, the gctrace lines (times aside);
// - the unsafe gate: "unsafe zero" on an untrusted runtime shows
//   UnsafeNotAllowedError; after ticking "trusted" it works;
// - save and load: "save" downloads rt.snapshot of the map, "load…"
//   restores that file (the page then shows the image's map and runtime,
//   as a Node twin restored from the same file does); a damaged file or
//   one that is no image shows the SnapshotError and changes nothing.
//
// Without /usr/bin/chromium the suite is skipped with a notice; under
// CI=true it fails instead (.ci/run installs chromium). The screenshot is
// written to docs/explorer.png when that file is missing or
// UPDATE_SCREENSHOT=1 (so ordinary runs leave the committed PNG alone).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { BrowserContext, Page } from "playwright-core";
import { startServer, type ExploreServer } from "../scripts/explore.mjs";
import { Session, type Sample, type TraceLine } from "../explorer/experiment.js";
import { Runtime, type MapInspection, type GoMap } from "../src/node.js";
import { CHROMIUM, CHROMIUM_FLAGS, CI, HAVE_CHROMIUM } from "./chromium.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SCREENSHOT = join(ROOT, "docs", "explorer.png");
const SEED = 0x5eed;

if (!HAVE_CHROMIUM && !CI) {
  console.log(
    `[explorer.test] SKIPPED: ${CHROMIUM} is absent (install it with: apt-get install -y chromium). Under CI=true this test fails instead.`,
  );
}

const ENV = "GOMAP_WASM_TRUSTED";

type StateName = "live" | "emptyOne" | "emptyRest" | "evacuatedX" | "evacuatedY" | "evacuatedEmpty";

interface PlainArray {
  role: "old" | "new";
  nbuckets: number;
  group: number;
  overflowBuckets: number;
  /** Per bucket: its 8 states, then each overflow bucket's 8. */
  buckets?: StateName[][][];
  live?: number[];
  total?: number[];
}

interface Snapshot {
  entry: string;
  trusted: boolean;
  build: string;
  map: { size: number; inspect: MapInspection } | null;
  picture: {
    mode: string;
    source: string;
    consistent: boolean;
    growing: boolean;
    nevacuate: number | null;
    counts: Record<StateName, number>;
    arrays: PlainArray[];
  } | null;
  stats: Record<string, number>;
  heap: {
    spans: {
      address: number;
      pages: number;
      state: string;
      sizeClass: number;
      noscan: boolean;
      slots: number;
      allocated: number;
      freeindex: number;
    }[];
  };
  samples: Sample[];
  traces: TraceLine[];
  message: { kind: string; text: string } | null;
  canCompact: boolean;
}

interface ExplorerApi {
  ready: Promise<{ entry: string; runtime: string; trusted: boolean; build: string }>;
  idle(): Promise<void>;
  snapshot(): Snapshot;
  slotPixel(role: string, bucket: number, slot: number, chain?: number): number[];
  groupPixel(role: string, g: number): number[];
  states: { name: StateName; color: string }[];
  session: Session;
}

declare global {
  interface Window {
    explorer: ExplorerApi;
  }
}

/** MemStats fields that must agree exactly (times and fractions differ). */
const EXACT_STATS = [
  "HeapAlloc",
  "HeapInuse",
  "HeapIdle",
  "HeapSys",
  "HeapReleased",
  "HeapObjects",
  "Mallocs",
  "Frees",
  "TotalAlloc",
  "Sys",
  "NextGC",
  "NumGC",
  "NumForcedGC",
] as const;

/** Every slot's state, read here independently of the page's code. */
function nodeSlots(rt: Runtime, m: GoMap): { old: StateName[][][] | null; current: StateName[][][] } {
  const u = rt.unsafe;
  const t = u.layout().tophash;
  const v = u.buckets(m);
  const name = (x: number): StateName =>
    x >= t.minTopHash
      ? "live"
      : x === t.emptyRest
        ? "emptyRest"
        : x === t.emptyOne
          ? "emptyOne"
          : x === t.evacuatedX
            ? "evacuatedX"
            : x === t.evacuatedY
              ? "evacuatedY"
              : "evacuatedEmpty";
  const read = (n: number, at: (i: number) => number) => {
    const out: StateName[][][] = [];
    for (let i = 0; i < n; i++) {
      const chain: StateName[][] = [];
      for (let b = at(i); b !== 0; b = v.overflow(b))
        chain.push([0, 1, 2, 3, 4, 5, 6, 7].map((s) => name(v.tophash(b, s))));
      out.push(chain);
    }
    return out;
  };
  return {
    old: v.old ? read(v.old.nbuckets, (i) => v.oldBucket(i)) : null,
    current: read(v.current.nbuckets, (i) => v.bucket(i)),
  };
}

const normalizeTrace = (line: string) => line.replace(/@[\d.]+s \d+%: .* ms cpu, /, "@T: … ms cpu, ");
const digits = (s: string) => Number(s.replace(/[^\d.-]/g, ""));

describe.skipIf(!HAVE_CHROMIUM && !CI)("explorer in Chromium (playwright-core)", () => {
  let server: ExploreServer;
  let context: BrowserContext;
  let page: Page;
  let userDataDir = "";
  const pageErrors: string[] = [];
  const savedEnv = process.env[ENV];

  beforeAll(async () => {
    if (!HAVE_CHROMIUM)
      throw new Error(`CI=true but ${CHROMIUM} is missing: .ci/run installs it with apt-get install -y chromium`);
    process.env[ENV] = "1"; // the Node twin reads tophash bytes through rt.unsafe
    const { chromium } = await import("playwright-core");
    server = await startServer({ port: 0 });
    userDataDir = mkdtempSync(join(tmpdir(), "gomap-chromium-"));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_FLAGS,
      viewport: { width: 1280, height: 900 },
      deviceScaleFactor: 1,
      timeout: 60_000,
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(60_000);
    page.on("pageerror", (e) => pageErrors.push(`pageerror: ${e.message}`));
    page.on("console", (m) => {
      if (m.type() === "error") pageErrors.push(`console.error: ${m.text()}`);
    });
  });

  afterAll(async () => {
    await context?.close();
    await server?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
    if (savedEnv === undefined) delete process.env[ENV];
    else process.env[ENV] = savedEnv;
  });

  const snapshot = () => page.evaluate(() => window.explorer.snapshot());
  const idle = () => page.evaluate(() => window.explorer.idle());

  async function click(id: string, n?: number): Promise<void> {
    if (n !== undefined) await page.fill("#n", String(n));
    await page.click(`#${id}`);
    await idle();
  }

  /** The numbers the page displays, parsed from its tables. */
  async function displayed() {
    return page.evaluate(() => {
      const read = (attr: string) =>
        Object.fromEntries(
          [...document.querySelectorAll(`[data-${attr}]`)].map((e) => [
            e.getAttribute(`data-${attr}`)!,
            e.textContent!,
          ]),
        );
      return { stat: read("stat"), map: read("map"), count: read("count") };
    });
  }

  /** Everything the page shows must equal the Node twin's state. */
  async function expectSame(node: Session, what: string): Promise<Snapshot> {
    const snap = await snapshot();
    const rt = node.rt;
    const m = node.map!;
    const info = rt.inspect(m);
    expect(snap.map, what).not.toBeNull();
    expect(snap.map!.size, `${what}: m.size`).toBe(m.size);
    expect(snap.map!.inspect, `${what}: rt.inspect(m)`).toEqual(info);
    const stats = rt.readMemStats();
    for (const k of EXACT_STATS) expect(snap.stats[k], `${what}: MemStats.${k}`).toBe(stats[k]);

    // The tables, as text on the page.
    const shown = await displayed();
    for (const k of EXACT_STATS) expect(digits(shown.stat[k]!), `${what}: displayed ${k}`).toBe(stats[k]);
    expect(digits(shown.stat.memoryBytes!), `${what}: displayed linear memory`).toBe(rt.memoryBytes);
    expect(digits(shown.map.count!), `${what}: displayed count`).toBe(m.size);
    for (const k of [
      "B",
      "buckets",
      "noverflow",
      "overflowBuckets",
      "oldBuckets",
      "oldOverflowBuckets",
      "bucketSize",
      "bucketBytes",
      "hash0",
    ] as const) {
      expect(digits(shown.map[k]!), `${what}: displayed ${k}`).toBe(info[k]);
    }
    expect(shown.map.growing, `${what}: displayed growing`).toBe(info.growing ? "yes" : "no");
    if (info.growing) expect(digits(shown.map.nevacuate!), `${what}: displayed nevacuate`).toBe(info.nevacuate);
    for (const [k, v] of Object.entries(info.tophash))
      expect(digits(shown.count[k]!), `${what}: displayed ${k} slots`).toBe(v);

    // The chart's and the step table's samples, and the heap.
    expect(
      snap.samples.map((s) => [s.label, s.stats]),
      `${what}: samples`,
    ).toEqual(node.samples.map((s) => [s.label, s.stats]));
    const spans = rt
      .inspectHeap()
      .spans.map(({ address, pages, state, sizeClass, noscan, slots, allocated, freeindex }) => ({
        address,
        pages,
        state,
        sizeClass,
        noscan,
        slots,
        allocated,
        freeindex,
      }));
    expect(snap.heap.spans, `${what}: heap spans`).toEqual(spans);
    expect(
      snap.traces.map((t) => [t.step, normalizeTrace(t.line)]),
      `${what}: gctrace`,
    ).toEqual(node.traces.map((t) => [t.step, normalizeTrace(t.line)]));

    // The grid.
    const p = snap.picture!;
    expect(p.counts, `${what}: grid totals`).toEqual(info.tophash);
    expect(p.consistent).toBe(true);
    expect(p.growing).toBe(info.growing);
    expect(p.nevacuate).toBe(info.growing ? info.nevacuate : null);
    if (p.mode !== "summary") {
      const ours = nodeSlots(rt, m);
      const roles = p.arrays.map((a) => a.role);
      expect(roles, `${what}: arrays drawn`).toEqual(info.growing ? ["old", "new"] : ["new"]);
      for (const a of p.arrays) {
        const want = a.role === "old" ? ours.old! : ours.current;
        expect(a.nbuckets, `${what}: ${a.role} array size`).toBe(want.length);
        if (a.group === 1) {
          expect(a.buckets, `${what}: ${a.role} array, every slot`).toEqual(want);
        } else {
          // Grouped: each cell's live count over its buckets and chains.
          const live = new Array<number>(Math.ceil(want.length / a.group)).fill(0);
          want.forEach((chain, i) => {
            for (const b of chain) live[Math.floor(i / a.group)]! += b.filter((s) => s === "live").length;
          });
          expect(a.live, `${what}: ${a.role} array, live slots per group`).toEqual(live);
        }
      }
    }
    expect(pageErrors, "no errors on the page").toEqual([]);
    return snap;
  }

  /** The canvas shows each sampled slot in its state's colour. */
  async function expectPixels(node: Session, role: "old" | "new", buckets: number[]): Promise<void> {
    const ours = nodeSlots(node.rt, node.map!);
    const arr = role === "old" ? ours.old! : ours.current;
    const colors = await page.evaluate(() => Object.fromEntries(window.explorer.states.map((s) => [s.name, s.color])));
    const rgb = (hex: string) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
    for (const i of buckets) {
      for (let chain = 0; chain < Math.min(arr[i]!.length, 4); chain++) {
        for (let s = 0; s < 8; s++) {
          const px = await page.evaluate(
            ([r, b, k, c]) => window.explorer.slotPixel(r as string, b as number, k as number, c as number),
            [role, i, s, chain] as const,
          );
          expect(px.slice(0, 3), `${role} bucket ${i} chain ${chain} slot ${s} (${arr[i]![chain]![s]})`).toEqual(
            rgb(colors[arr[i]![chain]![s]!]!),
          );
        }
      }
    }
  }

  it("loads the browser entry, then the page's grid and numbers follow the Node API step by step", async () => {
    await page.goto(server.url);
    const ready = await page.evaluate(() => window.explorer.ready);
    expect(ready).toMatchObject({ entry: "../dist/browser.js", runtime: "function", trusted: false, build: "release" });
    await expect
      .poll(() => page.textContent("#status"))
      .toContain("Runtime created through the package's browser entry (dist/browser.js)");

    // 1. Untrusted runtime: u32 → u32, a fixed seed, 3000 inserts.
    await page.selectOption("#key", "u32");
    await page.selectOption("#value", "u32");
    await page.fill("#hint", "0");
    await page.fill("#seed", String(SEED));
    await click("make");
    let node = await Session.create(Runtime, { trusted: true });
    node.makeMap({ key: "u32", value: "u32", hint: 0, seed: SEED });
    // The page's session started with "runtime created" + the form's first
    // map; the twin mirrors the runtime it made when the form was submitted.
    const first = await snapshot();
    expect(first.trusted).toBe(false);
    await click("insert", 3000);
    await node.insert(3000);
    let snap = await snapshot();
    // Compare from the map on: the page's first runtime made a default map
    // before the form's, so only its last steps line up with the twin's.
    expect(snap.map!.inspect).toEqual(node.rt.inspect(node.map!));
    expect(snap.picture!.counts).toEqual(node.rt.inspect(node.map!).tophash);

    // The gate: unsafe zero without trust shows UnsafeNotAllowedError and changes nothing.
    const before = snap.samples.length;
    await click("zero");
    snap = await snapshot();
    expect(snap.message?.kind).toBe("error");
    expect(snap.message?.text).toMatch(
      /^UnsafeNotAllowedError: rt\.unsafe is not allowed: this runtime was created without \{ trusted: true \}/,
    );
    await expect.poll(() => page.textContent("#message")).toContain("UnsafeNotAllowedError");
    expect(snap.samples.length).toBe(before);
    expect(snap.map!.inspect).toEqual(node.rt.inspect(node.map!));

    // 2. Tick "trusted": a new runtime, Runtime.create({ trusted: true }),
    //    and a fresh map from the form. From here on the page and the twin
    //    take exactly the same steps from a fresh runtime.
    await page.check("#trusted");
    await idle();
    node = await Session.create(Runtime, { trusted: true });
    node.makeMap({ key: "u32", value: "u32", hint: 0, seed: SEED });
    snap = await expectSame(node, "trusted runtime, empty map");
    expect(snap.trusted).toBe(true);
    expect(snap.picture!.mode).toBe("slots");

    await click("insert", 3000);
    await node.insert(3000);
    await expectSame(node, "insert 3000");

    await click("delete", 1800);
    await node.delete(1800);
    snap = await expectSame(node, "delete 1800");
    expect(snap.map!.inspect.tophash.emptyOne + snap.map!.inspect.tophash.emptyRest).toBeGreaterThan(0);

    await click("gc");
    node.gc();
    snap = await expectSame(node, "full GC");
    expect(snap.traces.length).toBeGreaterThan(0);
    expect(await page.textContent("#gctrace")).toMatch(/gc \d+ @[\d.]+s \d+%: .* \(forced\)/);

    await click("shrink");
    node.shrink();
    snap = await expectSame(node, "shrink");
    const shrunkB = snap.map!.inspect.B;

    // 500 more: the map grows past 6.5 × 2^B and stops mid-evacuation —
    // the old array, its evacuated buckets and nevacuate are on the page.
    await click("insert", 500);
    await node.insert(500);
    snap = await expectSame(node, "insert 500 (mid-growth)");
    expect(snap.map!.inspect.growing).toBe(true);
    expect(snap.map!.inspect.B).toBe(shrunkB + 1);
    expect(snap.picture!.arrays.map((a) => a.role)).toEqual(["old", "new"]);
    await expectPixels(node, "old", [0, 1, 2, snap.map!.inspect.nevacuate, snap.map!.inspect.oldBuckets - 1]);
    await expectPixels(node, "new", [0, 1, 2, 3]);
    expect(await page.textContent('.caption[data-array="old"]')).toContain(`nevacuate ${snap.map!.inspect.nevacuate}`);

    await click("gcStep");
    node.gcStep();
    await expectSame(node, "GC step");

    // Trusted now: unsafe zero goes through; sizes stay.
    await click("zero");
    const zeroed = node.zeroValues();
    snap = await expectSame(node, "unsafe zero");
    expect(snap.message?.text).toContain(`rt.unsafe.zeroValues(m) wrote ${zeroed.toLocaleString("en-US")} value slots`);

    // The chart has one point per step for each of its three series.
    const points = await page.evaluate(() =>
      [...document.querySelectorAll("#chart polyline")].map((p) => [
        p.getAttribute("data-series"),
        p.getAttribute("points")!.split(" ").length,
      ]),
    );
    expect(points).toEqual(["HeapInuse", "HeapAlloc", "HeapIdle"].map((f) => [f, node.samples.length]));

    // The screenshot: the mid-experiment page, both arrays on it.
    const png = await page.screenshot({ fullPage: true });
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(png.length).toBeGreaterThan(20_000);
    if (process.env.UPDATE_SCREENSHOT === "1" || !existsSync(SCREENSHOT)) writeFileSync(SCREENSHOT, png);

    // 3. A large map is drawn grouped (more than 4096 buckets).
    await click("insert", 60_000);
    await node.insert(60_000);
    snap = await expectSame(node, "insert 60000 (grouped drawing)");
    expect(snap.picture!.mode).toBe("groups");
    const grouped = snap.picture!.arrays.find((a) => a.role === "new")!;
    expect(grouped.group).toBeGreaterThan(1);
    expect(
      grouped.live!.reduce((a, b) => a + b, 0) +
        (snap.picture!.arrays.find((a) => a.role === "old")?.live?.reduce((a, b) => a + b, 0) ?? 0),
    ).toBe(node.rt.inspect(node.map!).tophash.live);
    const px = await page.evaluate(() => window.explorer.groupPixel("new", 0));
    expect(px[3]).toBe(255);

    // 4. compact(), where this build has it: the map keeps its contents.
    if (snap.canCompact) {
      await click("compact");
      await node.compact();
      snap = await snapshot();
      expect(snap.message?.kind).toBe("info");
      expect(snap.map!.size).toBe(node.map!.size);
      expect(snap.map!.inspect.tophash).toEqual(node.rt.inspect(node.map!).tophash);
      expect(snap.stats.HeapInuse).toBe(node.rt.readMemStats().HeapInuse);
    } else {
      expect(await page.isDisabled("#compact")).toBe(true);
    }
    expect(pageErrors).toEqual([]);
  });

  it("saves the map to a file (rt.snapshot) and loads it back (Runtime.restore); a bad file shows the SnapshotError", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gomap-explorer-files-"));
    try {
      // A trusted page whose first map is string → i64 with a fixed seed,
      // and its twin in Node taking the same steps.
      await page.goto(`${server.url}?trusted=1&key=string&value=i64&hint=0&seed=${SEED}`);
      await page.evaluate(() => window.explorer.ready);
      let node = await Session.create(Runtime, { trusted: true });
      node.makeMap({ key: "string", value: "i64", hint: 0, seed: SEED });
      await click("insert", 5000);
      await node.insert(5000);
      await click("delete", 1200);
      await node.delete(1200);
      await expectSame(node, "before save");

      // Save: the download is rt.snapshot's bytes (the snapshot collects first).
      const [download] = await Promise.all([page.waitForEvent("download"), page.click("#save")]);
      await idle();
      node.save();
      const saved = await expectSame(node, "save");
      expect(saved.samples.at(-1)!.label).toBe("rt.snapshot()");
      const name = download.suggestedFilename();
      expect(name).toBe("gomap-string-i64-3800.gomapsnap");
      const file = join(dir, name);
      await download.saveAs(file);
      const bytes = new Uint8Array(readFileSync(file));
      expect(new TextDecoder().decode(bytes.subarray(0, 8))).toBe("GOMAPSNP");
      expect(saved.message?.text).toContain(
        `rt.snapshot(): ${bytes.length.toLocaleString("en-US")} bytes saved as ${name}`,
      );

      // Change the map, then load the file: the page shows the saved state
      // again, on a new runtime (the twin restores the same file).
      await click("insert", 700);
      await node.insert(700);
      await expectSame(node, "insert 700 after save");
      await page.setInputFiles("#loadFile", file);
      await idle();
      node = await Session.restore(Runtime, bytes, { name, trusted: true });
      const loaded = await expectSame(node, "load");
      expect(loaded.message?.kind).toBe("info");
      expect(loaded.message?.text).toContain(
        `Runtime.restore(${name}): ${bytes.length.toLocaleString("en-US")} bytes → a new runtime, map[string]i64 with 3,800 entries, keys 1,200…4,999`,
      );
      expect(loaded.samples.map((s) => s.label)).toEqual([`Runtime.restore(${name})`]);
      expect(loaded.trusted).toBe(true);
      expect(loaded.map!.size).toBe(3800);
      expect(loaded.map!.inspect).toEqual(saved.map!.inspect);
      expect(loaded.picture!.arrays).toEqual(saved.picture!.arrays);
      expect(loaded.heap.spans).toEqual(saved.heap.spans);
      for (const k of ["HeapAlloc", "HeapInuse", "HeapIdle", "HeapObjects", "Sys", "NumGC", "TotalAlloc"])
        expect(loaded.stats[k], k).toBe(saved.stats[k]);
      expect(
        await page.evaluate(() => [
          window.explorer.session.low,
          window.explorer.session.next,
          String(window.explorer.session.map!.get("key-1200")),
          window.explorer.session.map!.has("key-1199"),
        ]),
      ).toEqual([1200, 5000, "1200", false]);
      expect(await page.inputValue("#key")).toBe("string");
      expect(await page.isChecked("#trusted")).toBe(true);

      // The loaded map goes on where the saved one stopped.
      await click("insert", 300);
      await node.insert(300);
      await click("delete", 100);
      await node.delete(100);
      const after = await expectSame(node, "insert 300, delete 100 after load");
      expect(after.map!.size).toBe(4000);

      // Bad files: one damaged byte (the checksum), and no image at all.
      // The message is the SnapshotError's; the page keeps its runtime and map.
      const damaged = bytes.slice();
      damaged[Math.floor(damaged.length / 2)]! ^= 0x40;
      const bad: [string, Uint8Array, RegExp][] = [
        ["damaged.gomapsnap", damaged, /^SnapshotError: snapshot image refused \(checksum\): /],
        [
          "notes.txt",
          new TextEncoder().encode("not a snapshot\n".repeat(10)),
          /^SnapshotError: snapshot image refused \(magic\): /,
        ],
        ["empty.gomapsnap", new Uint8Array(0), /^SnapshotError: snapshot image refused \(truncated\): /],
      ];
      for (const [badName, badBytes, message] of bad) {
        writeFileSync(join(dir, badName), badBytes);
        await page.setInputFiles("#loadFile", join(dir, badName));
        await idle();
        const snap = await expectSame(node, `load ${badName}`);
        expect(snap.message?.kind, badName).toBe("error");
        expect(snap.message?.text, badName).toMatch(message);
        await expect.poll(() => page.textContent("#message")).toMatch(message);
        expect(snap.samples, badName).toEqual(after.samples);
      }
      // Still usable: one more step on both sides.
      await click("insert", 10);
      await node.insert(10);
      await expectSame(node, "insert 10 after the bad files");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("serves the core as application/wasm and the page's modules as JavaScript", async () => {
    for (const [path, type] of [
      ["/build/release.wasm", "application/wasm"],
      ["/dist/browser.js", "text/javascript"],
      ["/explorer/main.js", "text/javascript"],
      ["/explorer/", "text/html"],
      ["/explorer/explorer.css", "text/css"],
    ] as const) {
      const res = await fetch(server.origin + path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get("content-type"), path).toContain(type);
      await res.arrayBuffer();
    }
    for (const path of [
      "/package.json",
      "/.git/config",
      "/explorer/../package.json",
      "/node_modules/vitest/package.json",
      "/explorer/%2e%2e/package.json",
    ]) {
      const res = await fetch(server.origin + path);
      expect(res.status, path).toBe(404);
      await res.arrayBuffer();
    }
    const root = await fetch(server.origin + "/", { redirect: "manual" });
    expect(root.status).toBe(302);
    expect(root.headers.get("location")).toBe("/explorer/");
  });
});

// The page's load on its own (Node, no browser): Session.restore of images
// the page did not make.
describe("explorer Session.restore", () => {
  it("takes the image's first map and finds its key range by iterating when no map[low:next] name says it", async () => {
    const rt = await Runtime.create();
    try {
      const users = rt.map({ key: "string", value: "i64" });
      for (let i = 10; i < 20; i++) users.set(`key-${i}`, BigInt(i));
      const names = rt.map({ key: "string", value: "u32" });
      names.set("ada", 1);
      const lying = rt.map({ key: "u32", value: "u32" });
      for (let i = 0; i < 5; i++) lying.set(i, i);

      // A range found by iterating; the label names the file.
      let s = await Session.restore(Runtime, rt.snapshot({ maps: { users, names } }), { name: "a.bin" });
      expect([s.map!.size, s.low, s.next, s.settings]).toEqual([10, 10, 20, { key: "string", value: "i64", hint: 0 }]);
      expect(s.samples.map((x) => x.label)).toEqual(["Runtime.restore(a.bin)"]);
      await s.insert(5);
      expect([s.map!.get("key-24"), s.map!.size]).toEqual([24n, 15]);
      s.rt.close();

      // Keys not numbered the explorer's way: no range (insert starts at 0).
      s = await Session.restore(Runtime, rt.snapshot({ maps: { names, users } }));
      expect([s.map!.keyType, s.low, s.next]).toEqual(["string", 0, 0]);
      s.rt.close();

      // A map[low:next] name that does not match the map is not believed.
      s = await Session.restore(Runtime, rt.snapshot({ maps: { "map[100:105]": lying } }));
      expect([s.low, s.next]).toEqual([0, 5]);
      s.rt.close();

      // No map at all.
      s = await Session.restore(Runtime, rt.snapshot({ maps: {} }));
      expect(s.hasMap).toBe(false);
      s.rt.close();
    } finally {
      rt.close();
    }
  });
});

// The static server on its own (no browser needed): raw request lines, so
// nothing normalises the path before the server sees it.
describe("explorer server", () => {
  const raw = (origin: string, path: string) =>
    new Promise<number>((resolve, reject) => {
      const { hostname, port } = new URL(origin);
      const sock = connect(Number(port), hostname, () =>
        sock.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`),
      );
      let head = "";
      sock.on("data", (d) => (head += d.toString("latin1")));
      sock.on("end", () => resolve(Number(/^HTTP\/1\.1 (\d+)/.exec(head)?.[1] ?? 0)));
      sock.on("error", reject);
    });

  it("refuses every way out of the served folders, symbolic links included", async () => {
    const root = mkdtempSync(join(tmpdir(), "explore-root-"));
    try {
      mkdirSync(join(root, "explorer"));
      writeFileSync(join(root, "explorer", "index.html"), "<p>ok</p>");
      writeFileSync(join(root, "secret.txt"), "secret");
      symlinkSync(join(root, "secret.txt"), join(root, "explorer", "link.txt"));
      symlinkSync("/", join(root, "explorer", "rootdir"));
      const s = await startServer({ port: 0, root });
      try {
        expect(await raw(s.origin, "/explorer/index.html")).toBe(200);
        for (const p of [
          "/explorer/../secret.txt",
          "/explorer/..%2fsecret.txt",
          "/explorer/%2e%2e/secret.txt",
          "/explorer/%2E%2E%2Fsecret.txt",
          "/explorer/..%5csecret.txt",
          "/explorer/%00",
          "/explorer/%",
          "//secret.txt",
          "/explorer/link.txt",
          "/explorer/rootdir/etc/hostname",
        ]) {
          expect(await raw(s.origin, p), p).toBe(404);
        }
      } finally {
        await s.close();
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("redirects a folder to its slash form on this server only (no open redirect through //host)", async () => {
    const root = mkdtempSync(join(tmpdir(), "explore-root-"));
    try {
      mkdirSync(join(root, "docs"));
      writeFileSync(join(root, "docs", "index.html"), "<p>docs</p>");
      const s = await startServer({ port: 0, root });
      try {
        const head = (path: string) =>
          new Promise<string>((resolve, reject) => {
            const { hostname, port } = new URL(s.origin);
            const sock = connect(Number(port), hostname, () =>
              sock.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`),
            );
            let text = "";
            sock.on("data", (d) => (text += d.toString("latin1")));
            sock.on("end", () => resolve(text));
            sock.on("error", reject);
          });
        for (const [path, location] of [
          ["/docs", "/docs/"],
          ["//docs", "/docs/"],
          ["///docs?x=1", "/docs/?x=1"],
        ] as const) {
          const text = await head(path);
          expect(text, path).toMatch(/^HTTP\/1\.1 301/);
          expect(/\r\nlocation: ([^\r]*)\r\n/i.exec(text)?.[1], path).toBe(location);
        }
      } finally {
        await s.close();
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it.skipIf(!existsSync("/proc/self/fd"))("closes the file of a download the client abandons", async () => {
    const s = await startServer({ port: 0 });
    try {
      const fds = () => readdirSync("/proc/self/fd").length;
      const before = fds();
      const { hostname, port } = new URL(s.origin);
      for (let i = 0; i < 40; i++) {
        await new Promise<void>((resolve) => {
          const sock = connect(Number(port), hostname, () =>
            sock.write("GET /build/debug.wat HTTP/1.1\r\nHost: x\r\n\r\n"),
          );
          sock.once("data", () => {
            sock.destroy();
            resolve();
          });
          sock.on("error", () => resolve());
        });
      }
      // The server notices each reset and closes the socket and the file
      // when its event loop gets to them: wait for that, not for a fixed
      // 300 ms (which a loaded machine may not give it). A leak never
      // drains and fails here at the poll's 30 s.
      await expect.poll(fds, { timeout: 30_000, interval: 50 }).toBeLessThan(before + 10);
    } finally {
      await s.close();
    }
  });
});
