// Moving maps to a worker with real threads (docs/snapshot.md, "Moving maps
// to a worker"): rt.snapshot → transfer the image's ArrayBuffer → restore
// on the other side.
//
// Node worker_threads (test/workers/snapshot-worker.mjs, which imports the
// package as built, dist/node.js): the main thread snapshots maps of every
// kind of interest (u64 → string, string → u32, f64 keys with NaN and -0, a
// map in the middle of a growth, one of 2e5 entries) and transfers the
// bytes; the worker restores them and checks every entry against the
// entries the test sends beside the image, writes, collects and snapshots
// back; the main thread restores that and checks it against its model.
// Also: an image of one map of three carries nothing of the other two (a
// marker string only they hold is not in its bytes); { reseed: true } in
// the worker gives the same answers under new seeds; truncated and
// bit-flipped images are refused in the worker with SnapshotError's reason,
// and the same worker then restores a good image.
//
// Chromium (playwright-core, Debian's /usr/bin/chromium): a page snapshots
// a map and transfers the bytes to a module Web Worker
// (test/workers/browser-worker.js, importing dist/browser.js), which
// restores it and answers lookups by message. Skipped without Chromium
// unless CI=true, as test/explorer.test.ts is.
//
// And the worker_threads recipe of docs/snapshot.md runs as printed.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Worker } from "node:worker_threads";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Page } from "playwright-core";
import { Runtime, SnapshotError, type GoMap, type KindName } from "../src/node.js";
import { CHROMIUM, CI, HAVE_CHROMIUM, launchChromium } from "./chromium.js";
import { startStaticServer, type StaticServer } from "./static-server.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const WORKER = new URL("./workers/snapshot-worker.mjs", import.meta.url);

if (!HAVE_CHROMIUM && !CI) {
  console.log(
    `[snapshot-worker.test] browser case SKIPPED: ${CHROMIUM} is absent (install it with: apt-get install -y chromium). Under CI=true it fails instead.`,
  );
}

// ------------------------------------------------------------------ model

type Key = number | bigint | string;
type Value = number | bigint | string;

/** What a map should hold, with Go's semantics for f64 keys: +0 and -0 are
 *  one key and a set stores the key it was given; every set(NaN, v) adds an
 *  entry no lookup finds. */
class Model {
  readonly entries = new Map<Key, [Key, Value]>(); // JS Map: -0 and +0 one key, too
  readonly nan: Value[] = [];
  set(k: Key, v: Value): void {
    if (typeof k === "number" && Number.isNaN(k)) this.nan.push(v);
    else this.entries.set(k, [k, v]);
  }
  delete(k: Key): void {
    this.entries.delete(k);
  }
  clone(): Model {
    const c = new Model();
    for (const [k, e] of this.entries) c.entries.set(k, e);
    c.nan.push(...this.nan);
    return c;
  }
  /** Parallel arrays, for the worker. */
  expected(): { keys: Key[]; values: Value[] } {
    const keys: Key[] = [];
    const values: Value[] = [];
    for (const [k, v] of this.entries.values()) {
      keys.push(k);
      values.push(v);
    }
    for (const v of this.nan) {
      keys.push(Number.NaN);
      values.push(v);
    }
    return { keys, values };
  }
}

/** The same check as the worker's: sizes, every get, and an iteration that
 *  must give every stored key exactly (-0 stays -0) and the NaN entries. */
function mismatches(name: string, m: GoMap, model: Model): string[] {
  const bad: string[] = [];
  const note = (s: string) => bad.length < 10 && bad.push(`${name}: ${s}`);
  const size = model.entries.size + model.nan.length;
  if (m.size !== size) note(`size ${m.size}, expected ${size}`);
  const get = m.get.bind(m) as (k: Key) => unknown;
  for (const [k, v] of model.entries.values()) {
    const got = get(k);
    if (!Object.is(got, v)) note(`get(${String(k)}) = ${String(got)}, expected ${String(v)}`);
  }
  let n = 0;
  const nanSeen: string[] = [];
  for (const [k, v] of m as Iterable<[Key, Value]>) {
    n++;
    if (typeof k === "number" && Number.isNaN(k)) {
      nanSeen.push(String(v));
      continue;
    }
    const e = model.entries.get(k);
    if (!e || !Object.is(e[0], k) || !Object.is(e[1], v)) note(`iteration gave ${Object.is(k, -0) ? "-0" : k} => ${v}`);
  }
  if (n !== size) note(`iteration gave ${n} entries, expected ${size}`);
  const want = model.nan.map(String).sort().join(",");
  if (nanSeen.sort().join(",") !== want) note(`NaN keys hold [${nanSeen}], expected [${want}]`);
  return bad;
}

// ------------------------------------------------------------------ workers

interface Reply {
  id: number;
  ok: boolean;
  names?: string[];
  info?: Record<
    string,
    { key: KindName; value: KindName; size: number; hash0: number; growing: boolean; buckets: number }
  >;
  mismatches?: string[];
  image?: Uint8Array<ArrayBuffer>;
  error?: { name: string; message: string; reason?: string; isSnapshotError: boolean };
}

interface Request {
  image: Uint8Array;
  options?: { reseed?: boolean };
  expect?: Record<string, { keys: Key[]; values: Value[] }>;
  writes?: Record<string, { set?: { keys: Key[]; values: Value[] }; del?: Key[] }>;
  back?: boolean;
}

const workers: Worker[] = [];
let nextId = 1;

function startWorker(): Worker {
  const w = new Worker(WORKER);
  workers.push(w);
  return w;
}

/** Post a request, the image's buffer transferred (not copied). */
function ask(w: Worker, req: Request): Promise<Reply> {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      w.off("message", onMessage);
      w.off("error", onError);
      w.off("exit", onExit);
    };
    const onMessage = (r: Reply) => {
      if (r.id !== id) return;
      cleanup();
      resolve(r);
    };
    const onError = (e: Error) => {
      cleanup();
      reject(e);
    };
    const onExit = (code: number) => {
      cleanup();
      reject(new Error(`the worker exited (code ${code})`));
    };
    w.on("message", onMessage);
    w.on("error", onError);
    w.on("exit", onExit);
    w.postMessage({ ...req, id }, [req.image.buffer as ArrayBuffer]);
  });
}

/** The image's bytes are its buffer's whole extent: transferring the buffer
 *  moves exactly the image. */
function expectOwnBuffer(img: Uint8Array): void {
  expect(img.byteOffset).toBe(0);
  expect(img.buffer.byteLength).toBe(img.length);
}

function expectDetached(img: Uint8Array): void {
  expect(img.buffer.byteLength).toBe(0);
  expect(img.length).toBe(0);
}

const contains = (hay: Uint8Array, needle: Uint8Array): boolean => Buffer.from(hay).indexOf(needle) >= 0;

afterAll(async () => {
  await Promise.all(workers.map((w) => w.terminate()));
});

// ------------------------------------------------------------------ maps

const U64_MASK = (1n << 64n) - 1n;

interface Fixture {
  rt: Runtime;
  maps: Record<string, GoMap>;
  models: Record<string, Model>;
}

/** A runtime with the maps of the worker round trip, and their models. */
async function fixture(): Promise<Fixture> {
  const rt = await Runtime.create();
  const users = rt.map({ key: "u64", value: "string" });
  const index = rt.map({ key: "string", value: "u32" });
  const floats = rt.map({ key: "f64", value: "string" });
  const growing = rt.map({ key: "u32", value: "u32" });
  const big = rt.map({ key: "u32", value: "u32" });
  const maps: Record<string, GoMap> = { users, index, floats, growing, big };
  const models: Record<string, Model> = {};
  for (const name of Object.keys(maps)) models[name] = new Model();
  const set = (name: string, k: Key, v: Value) => {
    (maps[name]!.set as (k: Key, v: Value) => void)(k, v);
    models[name]!.set(k, v);
  };
  const del = (name: string, k: Key) => {
    (maps[name]!.delete as (k: Key) => void)(k);
    models[name]!.delete(k);
  };

  for (let i = 0; i < 5000; i++) set("users", (BigInt(i) * 0x9e3779b97f4a7c15n) & U64_MASK, `user-${i}`);
  set("users", U64_MASK, "max");
  for (let i = 0; i < 5000; i += 7) del("users", (BigInt(i) * 0x9e3779b97f4a7c15n) & U64_MASK);

  for (let i = 0; i < 5000; i++) set("index", `name-${i}-ü€😀`, (i * 7919) >>> 0);
  set("index", "", 0xffffffff);

  for (let i = 0; i < 400; i++) set("floats", i * 0.5 - 100, `f-${i}`);
  del("floats", 0); // the -0 below is then a key of its own
  for (const [k, v] of [
    [-0, "minus-zero"],
    [Number.NaN, "nan-a"],
    [Number.NaN, "nan-b"],
    [Number.NaN, "nan-c"],
    [Number.POSITIVE_INFINITY, "inf"],
    [Number.NEGATIVE_INFINITY, "-inf"],
    [Number.MIN_VALUE, "denormal"],
    [Number.MAX_VALUE, "max"],
  ] as const)
    set("floats", k, v);

  // Into a growth (B 10 → 11: past 6.5 entries a bucket) and a little way
  // along: the image must carry both arrays. (rt.inspect walks the whole
  // map: not once per insert.)
  let g = 0;
  while (g < 6.5 * 1024) set("growing", g, g++ * 3);
  while (!rt.inspect(growing).growing) set("growing", g, g++ * 3);
  for (let i = 0; i < 5; i++) set("growing", g, g++ * 3);

  for (let i = 0; i < 200_000; i++) set("big", Math.imul(i, 0x9e3779b1) >>> 0, i);
  return { rt, maps, models };
}

/** What the worker writes in the round trip, and the models after it. */
function writes(before: Record<string, Model>): {
  writes: NonNullable<Request["writes"]>;
  after: Record<string, Model>;
} {
  const out: NonNullable<Request["writes"]> = {};
  const models = Object.fromEntries(Object.entries(before).map(([n, m]) => [n, m.clone()]));
  const plan = (name: string, set: [Key, Value][], del: Key[]) => {
    out[name] = { set: { keys: set.map((e) => e[0]), values: set.map((e) => e[1]) }, del };
    for (const [k, v] of set) models[name]!.set(k, v);
    for (const k of del) models[name]!.delete(k);
  };
  const userKey = (i: number) => (BigInt(i) * 0x9e3779b97f4a7c15n) & U64_MASK;
  plan(
    "users",
    Array.from({ length: 1200 }, (_, i) => [userKey(4900 + i), `worker-${i}`]),
    Array.from({ length: 300 }, (_, i) => userKey(1 + i * 3)),
  );
  plan("index", [["from-worker", 42]], ["name-1-ü€😀", ""]);
  // +0 updates the -0 entry's stored key (Go's needkeyupdate); one more NaN.
  plan(
    "floats",
    [
      [0, "plus-zero"],
      [Number.NaN, "nan-d"],
    ],
    [Number.POSITIVE_INFINITY],
  );
  plan(
    "growing",
    Array.from({ length: 3000 }, (_, i) => [100_000 + i, i]),
    [0, 1, 2],
  );
  plan(
    "big",
    [],
    Array.from({ length: 50_000 }, (_, i) => Math.imul(i * 2, 0x9e3779b1) >>> 0),
  );
  return { writes: out, after: models };
}

const expectedOf = (models: Record<string, Model>, names = Object.keys(models)) =>
  Object.fromEntries(names.map((n) => [n, models[n]!.expected()]));

// ------------------------------------------------------------------ tests

describe("moving maps to a Node worker (worker_threads)", () => {
  let f: Fixture;
  beforeAll(async () => {
    f = await fixture();
  });
  afterAll(() => f?.rt.close());

  it("all maps: transfer the image, the worker checks every entry, writes, collects and sends an image back", async () => {
    const { rt, maps, models } = f;
    const before = Object.fromEntries(Object.entries(maps).map(([n, m]) => [n, rt.inspect(m)]));
    expect(before.growing!.growing).toBe(true);
    expect(before.growing!.nevacuate).toBeLessThan(before.growing!.oldBuckets);
    for (const name of Object.keys(maps)) expect(mismatches(name, maps[name]!, models[name]!)).toEqual([]);

    const img = rt.snapshot({ maps });
    expectOwnBuffer(img);
    const expected = expectedOf(models);
    const w = startWorker();
    const { writes: toWrite, after } = writes(models);
    const pending = ask(w, { image: img, expect: expected, writes: toWrite, back: true });
    expectDetached(img); // moved, not copied

    const r = await pending;
    expect(r.error).toBeUndefined();
    expect(r.names).toEqual(Object.keys(maps).sort());
    expect(r.mismatches).toEqual([]);
    for (const [name, m] of Object.entries(maps)) {
      // Same kinds, sizes, seeds and layout: the growth is still under way there.
      expect(r.info![name]).toEqual({
        key: m.keyType,
        value: m.valueType,
        size: m.size,
        hash0: before[name]!.hash0,
        growing: before[name]!.growing,
        buckets: before[name]!.buckets,
      });
    }

    // Back in the main thread: the worker's writes are there.
    const back = r.image!;
    expectOwnBuffer(back);
    const { rt: rt2, maps: maps2 } = await Runtime.restore(back);
    try {
      expect(Object.keys(maps2).sort()).toEqual(Object.keys(maps).sort());
      for (const name of Object.keys(maps)) expect(mismatches(name, maps2[name]!, after[name]!)).toEqual([]);
      expect(Object.is([...maps2.floats!].find(([, v]) => v === "plus-zero")?.[0], 0)).toBe(true);
      for (const name of Object.keys(maps)) expect(rt2.inspect(maps2[name]!).hash0).toBe(before[name]!.hash0);
    } finally {
      rt2.close();
    }
  });

  it("{ reseed: true } in the worker: the same answers under new hash seeds", async () => {
    const { rt, maps, models } = f;
    const seeds = Object.fromEntries(Object.entries(maps).map(([n, m]) => [n, rt.inspect(m).hash0]));
    const img = rt.snapshot({ maps });
    const r = await ask(startWorker(), {
      image: img,
      options: { reseed: true },
      expect: expectedOf(models),
      back: true,
    });
    expect(r.error).toBeUndefined();
    expect(r.mismatches).toEqual([]);
    for (const name of Object.keys(maps)) {
      expect(r.info![name]!.hash0).not.toBe(seeds[name]);
      expect(r.info![name]!.size).toBe(maps[name]!.size);
    }
    // The reseeded image restores here with the same entries and new seeds.
    const { rt: rt2, maps: maps2 } = await Runtime.restore(r.image!);
    try {
      for (const name of Object.keys(maps)) {
        expect(mismatches(name, maps2[name]!, models[name]!)).toEqual([]);
        expect(rt2.inspect(maps2[name]!).hash0).toBe(r.info![name]!.hash0);
      }
    } finally {
      rt2.close();
    }
  });

  it("one map of three: the worker gets only that map, and the image holds nothing of the others", async () => {
    const MARKER = "zebra-quartz-7d41-only-in-the-other-maps";
    const rt = await Runtime.create();
    try {
      const keep = rt.map({ key: "u64", value: "string" });
      const secretA = rt.map({ key: "string", value: "string" });
      const secretB = rt.map({ key: "u32", value: "string" });
      const model = new Model();
      for (let i = 0; i < 3000; i++) {
        keep.set(BigInt(i), `kept-${i}`);
        model.set(BigInt(i), `kept-${i}`);
        secretA.set(`${MARKER}-key-${i}`, `${MARKER}-value-${i}`);
        secretB.set(i, `${MARKER}-${i}`);
      }
      const marker8 = Buffer.from(MARKER, "utf8");
      const marker16 = Buffer.from(MARKER, "utf16le");
      // The control: an image of all three holds the marker, so the search works.
      const full = rt.snapshot({ maps: { keep, secretA, secretB } });
      expect(contains(full, marker8) || contains(full, marker16)).toBe(true);

      const img = rt.snapshot({ maps: { keep } });
      expectOwnBuffer(img);
      expect(img.length).toBeLessThan(full.length);
      expect(contains(img, marker8)).toBe(false);
      expect(contains(img, marker16)).toBe(false);
      expect(
        contains(img, Buffer.from("kept-2999", "utf8")) || contains(img, Buffer.from("kept-2999", "utf16le")),
      ).toBe(true);

      const w = startWorker();
      const pending = ask(w, { image: img, expect: { keep: model.expected() } });
      expectDetached(img);
      const r = await pending;
      expect(r.error).toBeUndefined();
      expect(r.names).toEqual(["keep"]);
      expect(r.mismatches).toEqual([]);
      expect(r.info!.keep).toMatchObject({ key: "u64", value: "string", size: 3000, hash0: rt.inspect(keep).hash0 });
    } finally {
      rt.close();
    }
  });

  it("hostile images: the worker gets SnapshotError with its reason, stays alive, and restores a good image next", async () => {
    const rt = await Runtime.create();
    try {
      const m = rt.map({ key: "u32", value: "string" });
      const model = new Model();
      for (let i = 0; i < 2000; i++) {
        m.set(i, `v${i}`);
        model.set(i, `v${i}`);
      }
      const good = rt.snapshot({ maps: { m } });
      const truncated = good.slice(0, good.length >> 1);
      const headerSize = new DataView(good.buffer).getUint32(12, true);
      const sections = new DataView(good.buffer).getUint32(24, true);
      const flipped = good.slice();
      // A bit in the last memory section's bytes (past header, table and STATE).
      const at = flipped.length - 64;
      expect(at).toBeGreaterThan(headerSize + 16 * sections);
      flipped[at]! ^= 0x10;
      const badMagic = good.slice();
      badMagic[0]! ^= 0xff;

      const w = startWorker();
      const exits: number[] = [];
      w.on("exit", (code) => exits.push(code));
      for (const [image, reason] of [
        [truncated, "truncated"],
        [flipped, "checksum"],
        [badMagic, "magic"],
      ] as const) {
        const r = await ask(w, { image: image.slice(), expect: { m: model.expected() } });
        expect(r.ok).toBe(false);
        expect(r.error).toMatchObject({ name: "SnapshotError", isSnapshotError: true, reason });
        expect(r.error!.message).toContain(`(${reason})`);
      }
      const r = await ask(w, { image: good, expect: { m: model.expected() } });
      expect(r.error).toBeUndefined();
      expect(r.mismatches).toEqual([]);
      expect(exits).toEqual([]);
      // The main thread's own restores of the same bad bytes agree.
      await expect(Runtime.restore(flipped)).rejects.toThrow(SnapshotError);
      await expect(Runtime.restore(flipped)).rejects.toMatchObject({ reason: "checksum" });
      await expect(Runtime.restore(truncated)).rejects.toMatchObject({ reason: "truncated" });
    } finally {
      rt.close();
    }
  });
});

// ------------------------------------------------------------------ the docs

describe("docs/snapshot.md, Moving maps to a worker", () => {
  it("the worker_threads recipe runs and prints what it says", () => {
    const doc = readFileSync(join(ROOT, "docs", "snapshot.md"), "utf8");
    const section = doc.slice(doc.indexOf("## Moving maps to a worker"));
    const recipe = /```js\n([\s\S]*?)```/.exec(section)![1]!;
    expect(recipe).toContain("postMessage(image, [image.buffer])");
    // Inside the repository, so that `gomap-wasm` resolves to this package.
    const dir = mkdtempSync(join(ROOT, "test", ".tmp-snapshot-worker-"));
    try {
      writeFileSync(join(dir, "move.mjs"), recipe);
      const r = spawnSync(process.execPath, ["move.mjs"], { cwd: dir, encoding: "utf8", timeout: 20_000 });
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      expect(r.stdout.trim()).toBe("ada");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// ------------------------------------------------------------------ browser

interface BrowserResult {
  detached: boolean;
  imageBytes: number;
  names: string[];
  size: number;
  answers: (string | null)[];
  expected: (string | null)[];
  refused: { name: string; reason: string | undefined; isSnapshotError: boolean };
  afterRefusal: (string | null)[];
  posted: { threw: string | null; received: string };
}

describe.skipIf(!HAVE_CHROMIUM && !CI)("moving a map to a Web Worker (Chromium)", () => {
  let server: StaticServer;
  let browser: Awaited<ReturnType<typeof launchChromium>> | undefined;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!HAVE_CHROMIUM)
      throw new Error(`CI=true but ${CHROMIUM} is missing: .ci/run installs it with apt-get install -y chromium`);
    server = await startStaticServer({ root: ROOT });
    browser = await launchChromium(pageErrors);
    page = browser.page;
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("a page snapshots a map, transfers the bytes to a module worker, which restores it and answers lookups", async () => {
    await page.goto(`${server.origin}/test/workers/browser-page.html`, { waitUntil: "load" });
    const result = (await page.evaluate(() =>
      (window as unknown as { moveMapToWorker(): Promise<unknown> }).moveMapToWorker(),
    )) as BrowserResult;
    expect(pageErrors).toEqual([]);
    expect(result.detached).toBe(true);
    expect(result.imageBytes).toBeGreaterThan(0);
    expect(result.names).toEqual(["m"]);
    expect(result.size).toBe(10_000 - 3334);
    expect(result.expected).toEqual([null, "value-1", "value-2", null, "value-9998", null, null, null]);
    expect(result.answers).toEqual(result.expected);
    expect(result.refused).toEqual({ name: "SnapshotError", reason: "truncated", isSnapshotError: true });
    // A refused image leaves the worker's restored map alone.
    expect(result.afterRefusal).toEqual(result.expected);
    // Posting a GoMap does not move its entries: it throws, or arrives
    // without them (not a map).
    if (result.posted.threw === null) expect(result.posted.received).not.toMatch(/value-/);
  });
});
