// Streamed snapshots and restores (src/snapstream.ts; docs/snapshot.md,
// "Streams and files"): rt.snapshotStream, rt.snapshotTo(path | file: URL |
// Writable | WritableStream), Runtime.restoreFrom(path | Blob |
// ReadableStream | async iterable).
//
// 1. Round trips: every form writes exactly rt.snapshot's bytes and reads
//    back the same maps. rt.snapshot runs a collection (NumGC, pause times
//    change), so "the same bytes" compares twin runtimes built under fixed
//    random numbers and a fixed clock: same ops, same image.
// 2. The freeze: from the call until the stream's end, error or cancel,
//    writes throw SnapshotInProgressError and lookups work; after, writes
//    work again.
// 3. Hostile sources and destinations: a Writable that fails half-way, a
//    file system that refuses half-way (a child process under ulimit -f),
//    a Readable that fails half-way, chunks that are not bytes, short and
//    long streams, a file one byte short, directories, missing paths, the
//    runtime closed mid-stream.
// 4. Chromium (playwright-core): snapshotStream → Response → Blob →
//    restoreFrom(Blob), and an OPFS file written with snapshotTo and read
//    back from its File.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { spawnSync } from "node:child_process";
import {
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable, Writable } from "node:stream";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Page } from "playwright-core";
import {
  type GoMap,
  InvalidArgumentError,
  Runtime,
  RuntimeClosedError,
  SnapshotError,
  SnapshotInProgressError,
} from "../src/node.js";
import { boundaryOf } from "../src/runtime.js";
import { CHROMIUM, CI, HAVE_CHROMIUM, launchChromium } from "./chromium.js";
import { startStaticServer, type StaticServer } from "./static-server.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const N = 20_000;

let dir = "";
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "gomap-snapstream-"));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});
afterEach(() => {
  vi.restoreAllMocks();
});

interface Built {
  rt: Runtime;
  nums: GoMap<"u32", "u32">;
  strs: GoMap<"string", "bytes">;
}

/** A runtime with two maps, one big enough for a few MiB of image. */
async function build(): Promise<Built> {
  const rt = await Runtime.create();
  const nums = rt.map({ key: "u32", value: "u32", seed: 7 });
  for (let i = 0; i < N; i++) nums.set(i * 3, i ^ 0x5a5a);
  for (let i = 0; i < N; i += 5) nums.delete(i * 3);
  const strs = rt.map({ key: "string", value: "bytes", seed: 9 });
  for (let i = 0; i < 500; i++) strs.set(`key-${i}-${"x".repeat(i % 40)}`, new Uint8Array([i & 255, i >> 8, 1]));
  return { rt, nums, strs };
}

/** The same runtime twice, bit for bit: fixed random numbers and a fixed
 *  clock while it is built and imaged. */
function deterministic(): void {
  vi.spyOn(performance, "now").mockReturnValue(1000);
  vi.spyOn(crypto, "getRandomValues").mockImplementation(<T extends ArrayBufferView | null>(a: T): T => {
    const u8 = new Uint8Array(a!.buffer, a!.byteOffset, a!.byteLength);
    for (let i = 0; i < u8.length; i++) u8[i] = (i * 131 + 17) & 255;
    return a;
  });
}

/** rt.snapshot's bytes of a twin of what build() makes. */
async function reference(): Promise<Uint8Array> {
  const t = await build();
  const bytes = t.rt.snapshot({ maps: { nums: t.nums, strs: t.strs } });
  t.rt.close();
  return bytes;
}

function expectMaps(r: { rt: Runtime; maps: Record<string, GoMap> }): void {
  const nums = r.maps.nums as GoMap<"u32", "u32">;
  const strs = r.maps.strs as GoMap<"string", "bytes">;
  expect(nums.size).toBe(N - N / 5);
  for (let i = 0; i < N; i++) expect(nums.get(i * 3)).toBe(i % 5 === 0 ? undefined : i ^ 0x5a5a);
  expect(strs.size).toBe(500);
  for (let i = 0; i < 500; i++)
    expect(strs.get(`key-${i}-${"x".repeat(i % 40)}`)).toEqual(new Uint8Array([i & 255, i >> 8, 1]));
  nums.set(1, 2); // a restored runtime takes writes
  expect(nums.get(1)).toBe(2);
}

async function* pieces(bytes: Uint8Array, sizes: number[]): AsyncGenerator<Uint8Array> {
  let at = 0;
  for (let i = 0; at < bytes.length; i++) {
    const n = sizes[i % sizes.length]!;
    yield bytes.slice(at, at + n);
    at += n;
  }
}

const leftovers = (d: string) => readdirSync(d).filter((f) => f.includes(".tmp-"));

describe("round trips: the same bytes as rt.snapshot, the same maps back", () => {
  it("a file path and a file: URL", async () => {
    deterministic();
    const ref = await reference();
    const { rt, nums, strs } = await build();
    const path = join(dir, "rt.snap");
    expect(await rt.snapshotTo(path, { maps: { nums, strs } })).toEqual({ bytes: ref.length });
    vi.restoreAllMocks();
    expect(Buffer.compare(readFileSync(path), ref)).toBe(0);
    expect(leftovers(dir)).toEqual([]);
    const r = await Runtime.restoreFrom(path);
    expectMaps(r);
    r.rt.close();
    const url = pathToFileURL(join(dir, "url.snap"));
    await rt.snapshotTo(url, { maps: { nums, strs } });
    const r2 = await Runtime.restoreFrom(url);
    expectMaps(r2);
    r2.rt.close();
    rt.close();
  });

  it("a Node Writable (a file), read back through a Node Readable", async () => {
    deterministic();
    const ref = await reference();
    const { rt, nums, strs } = await build();
    const path = join(dir, "writable.snap");
    expect(await rt.snapshotTo(createWriteStream(path), { maps: { nums, strs } })).toEqual({ bytes: ref.length });
    vi.restoreAllMocks();
    expect(Buffer.compare(readFileSync(path), ref)).toBe(0);
    const r = await Runtime.restoreFrom(createReadStream(path, { highWaterMark: 1000 }));
    expectMaps(r);
    r.rt.close();
    rt.close();
  });

  it("snapshotStream → Blob → restoreFrom(Blob), and the stream itself", async () => {
    deterministic();
    const ref = await reference();
    const { rt, nums, strs } = await build();
    const blob = await new Response(rt.snapshotStream({ maps: { nums, strs } }) as ReadableStream<Uint8Array>).blob();
    vi.restoreAllMocks();
    expect(blob.size).toBe(ref.length);
    expect(Buffer.compare(new Uint8Array(await blob.arrayBuffer()), ref)).toBe(0);
    const r = await Runtime.restoreFrom(blob);
    expectMaps(r);
    r.rt.close();
    const r2 = await Runtime.restoreFrom(rt.snapshotStream({ maps: { nums, strs } }));
    expectMaps(r2);
    r2.rt.close();
    rt.close();
  });

  it("an async iterable of odd-sized chunks, and a WritableStream", async () => {
    deterministic();
    const ref = await reference();
    const { rt, nums, strs } = await build();
    const chunks: Uint8Array[] = [];
    const ws = new WritableStream<Uint8Array>({ write: (c) => void chunks.push(c) });
    expect(await rt.snapshotTo(ws, { maps: { nums, strs } })).toEqual({ bytes: ref.length });
    vi.restoreAllMocks();
    expect(Buffer.compare(Buffer.concat(chunks), ref)).toBe(0);
    const r = await Runtime.restoreFrom(pieces(ref, [1, 7, 63, 64, 65, 4093, 100_000]));
    expectMaps(r);
    r.rt.close();
    rt.close();
  });

  it("a subset of the maps (imaged from a scratch copy) through a file", async () => {
    const { rt, nums, strs } = await build();
    const path = join(dir, "subset.snap");
    await rt.snapshotTo(path, { maps: { only: strs } });
    const r = await Runtime.restoreFrom(path);
    expect(Object.keys(r.maps)).toEqual(["only"]);
    expect(r.maps.only!.size).toBe(500);
    r.rt.close();
    expect(nums.size).toBe(N - N / 5);
    rt.close();
  });

  it("chunks handed to user code are copies, not views of linear memory", async () => {
    const { rt, nums, strs } = await build();
    const reader = rt.snapshotStream({ maps: { nums, strs } }).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      expect(value!.buffer).not.toBeInstanceOf(SharedArrayBuffer);
      expect(value!.buffer.byteLength).toBeLessThanOrEqual(8 * 1024 * 1024);
    }
    rt.close();
  });
});

describe("the freeze: writes refused while a streamed snapshot is written, lookups go on", () => {
  const refusedWrites = async (b: Built) => {
    const roots = b.rt.roots;
    expect(() => b.nums.set(1, 1)).toThrow(SnapshotInProgressError);
    expect(() => b.nums.clear()).toThrow(SnapshotInProgressError);
    expect(() => b.nums.free()).toThrow(SnapshotInProgressError);
    expect(() => b.rt.pin(b.nums)).toThrow(SnapshotInProgressError);
    expect(() => b.rt.setGCPercent(50)).toThrow(SnapshotInProgressError);
    expect(() => b.nums.delete(3)).toThrow(SnapshotInProgressError);
    expect(() => b.rt.map({ key: "u32", value: "u32" })).toThrow(SnapshotInProgressError);
    expect(() => b.rt.gc()).toThrow(SnapshotInProgressError);
    await expect(b.rt.compact()).rejects.toThrow(SnapshotInProgressError);
    expect(() => b.rt.snapshot({ maps: { nums: b.nums } })).toThrow(SnapshotInProgressError);
    expect(() => b.rt.snapshotStream({ maps: { nums: b.nums } })).toThrow(SnapshotInProgressError);
    expect(b.rt.roots).toBe(roots); // the refused rt.map() and rt.pin() hold no root slot
    // Lookups answer, from the image's state.
    expect(b.nums.get(3)).toBe(1 ^ 0x5a5a);
    expect(b.nums.has(1)).toBe(false);
    expect(b.nums.size).toBe(N - N / 5);
    expect(b.strs.get("key-1-x")).toEqual(new Uint8Array([1, 0, 1]));
    expect(b.nums.getMany(new Uint32Array([3, 6]))).toEqual(new Uint32Array([1 ^ 0x5a5a, 2 ^ 0x5a5a]));
    expect(b.rt.inspect(b.nums).count).toBe(N - N / 5);
  };
  const writesWork = (b: Built) => {
    b.nums.set(1, 1);
    expect(b.nums.get(1)).toBe(1);
    b.nums.delete(1);
    b.rt.gc();
    b.rt.map({ key: "u32", value: "u32" }).free();
    expect(boundaryOf(b.rt).frozen).toBe(false);
  };

  it("snapshotStream: frozen from the call until the last byte is read", async () => {
    const b = await build();
    const s = b.rt.snapshotStream({ maps: { nums: b.nums, strs: b.strs } });
    await refusedWrites(b); // before any pull
    const reader = s.getReader();
    await reader.read();
    await refusedWrites(b); // half-way
    let n = 1;
    while (!(await reader.read()).done) n++;
    expect(n).toBeGreaterThan(1);
    writesWork(b);
    b.rt.close();
  });

  it("iterators: a step that needs the core is refused (it would move roots in the imaged heap); after, it goes on", async () => {
    const b = await build();
    const it1 = b.nums.keys();
    const seen = new Set<number>();
    for (let i = 0; i < 10; i++) seen.add(it1.next().value!);
    const chunks: Uint8Array[] = [];
    const reader = b.rt.snapshotStream({ maps: { nums: b.nums, strs: b.strs } }).getReader();
    const roots = b.rt.roots;
    expect(() => b.nums.entries()).toThrow(SnapshotInProgressError); // a new one takes root slots
    expect(b.rt.roots).toBe(roots); // and a refused one holds none
    let refused = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value!);
      try {
        for (let i = 0; i < 2000; i++) seen.add(it1.next().value!);
      } catch (e) {
        expect(e).toBeInstanceOf(SnapshotInProgressError);
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(0);
    const r = await Runtime.restoreFrom(new Blob(chunks as Uint8Array<ArrayBuffer>[])); // the checksum holds
    expectMaps(r);
    r.rt.close();
    for (let k = it1.next(); !k.done; k = it1.next()) seen.add(k.value);
    expect(seen.size).toBe(N - N / 5);
    b.rt.close();
  });

  it("maps and iterators the program drops while frozen are released at the thaw (FinalizationRegistry backstops)", () => {
    const tmp = mkdtempSync(join(ROOT, "test", ".tmp-snapfin-"));
    try {
      writeFileSync(
        join(tmp, "probe.mjs"),
        `import { Runtime } from "gomap-wasm";
        const rt = await Runtime.create();
        const kept = rt.map({ key: "u32", value: "u32" });
        for (let i = 0; i < 1000; i++) kept.set(i, i);
        (() => {
          const dropped = rt.map({ key: "u32", value: "u32" });
          dropped.set(1, 1);
          const it = kept.entries();
          it.next();
        })();
        const reader = rt.snapshotStream({ maps: { kept } }).getReader();
        const frozen = { liveMaps: 0, roots: 0 };
        for (let i = 0; i < 20; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 10)); }
        frozen.liveMaps = rt.liveMaps;
        frozen.roots = rt.roots;
        while (!(await reader.read()).done);
        console.log(JSON.stringify({ frozen, liveMaps: rt.liveMaps, roots: rt.roots }));`,
      );
      const r = spawnSync(process.execPath, ["--expose-gc", "probe.mjs"], { cwd: tmp, encoding: "utf8" });
      expect(r.stderr).toBe("");
      // While frozen the releases wait (the map and the iterator's 4 slots
      // still held); at the thaw they run: one map, one root slot.
      expect(JSON.parse(r.stdout)).toEqual({ frozen: { liveMaps: 2, roots: 6 }, liveMaps: 1, roots: 1 });
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it("snapshotStream: thawed when the consumer cancels", async () => {
    const b = await build();
    const s = b.rt.snapshotStream({ maps: { nums: b.nums, strs: b.strs } });
    const reader = s.getReader();
    await reader.read();
    await refusedWrites(b);
    await reader.cancel("enough");
    writesWork(b);
    // Cancelled before the first pull, too.
    await b.rt.snapshotStream({ maps: { nums: b.nums } }).cancel();
    writesWork(b);
    b.rt.close();
  });

  it("snapshotStream: errors with RuntimeClosedError when the runtime is closed, and is thawed", async () => {
    const b = await build();
    const bd = boundaryOf(b.rt);
    const reader = b.rt.snapshotStream({ maps: { nums: b.nums, strs: b.strs } }).getReader();
    await reader.read();
    expect(bd.frozen).toBe(true);
    b.rt.close(); // closing is never refused
    await expect(reader.read()).rejects.toThrow(RuntimeClosedError);
    expect(bd.frozen).toBe(false);
  });

  it("snapshotTo: frozen until its promise settles, thawed after", async () => {
    const b = await build();
    const p = b.rt.snapshotTo(join(dir, "freeze.snap"), { maps: { nums: b.nums, strs: b.strs } });
    await refusedWrites(b);
    await p;
    writesWork(b);
    b.rt.close();
  });

  it("snapshotTo: the runtime closed mid-write rejects with RuntimeClosedError; no file is left", async () => {
    const b = await build();
    const sub = join(dir, "closed");
    mkdirSync(sub);
    const p = b.rt.snapshotTo(join(sub, "x.snap"), { maps: { nums: b.nums } });
    b.rt.close();
    await expect(p).rejects.toThrow(RuntimeClosedError);
    expect(readdirSync(sub)).toEqual([]);
    const c = await build();
    const w = new Writable({ write: (_c, _e, cb) => setImmediate(cb), highWaterMark: 1 });
    const q = c.rt.snapshotTo(w, { maps: { nums: c.nums } });
    c.rt.close();
    await expect(q).rejects.toThrow(RuntimeClosedError);
    expect(w.destroyed).toBe(true);
  });
});

describe("hostile destinations", () => {
  it("a Writable that fails half-way: its error, the runtime thawed and usable", async () => {
    const b = await build();
    let calls = 0;
    const disk = new Error("disk on fire");
    const w = new Writable({
      write: (_chunk, _enc, cb) => (++calls === 2 ? cb(disk) : setImmediate(cb)),
    });
    await expect(b.rt.snapshotTo(w, { maps: { nums: b.nums, strs: b.strs } })).rejects.toBe(disk);
    expect(calls).toBe(2);
    b.nums.set(1, 1);
    expect(b.nums.get(1)).toBe(1);
    const again = await b.rt.snapshotTo(join(dir, "after-fail.snap"), { maps: { nums: b.nums } });
    expect(again.bytes).toBeGreaterThan(0);
    b.rt.close();
  });

  it("a slow Writable: write() is never called while it waits for 'drain'", async () => {
    const b = await build();
    const got: Buffer[] = [];
    let overfilled = 0;
    const w = new Writable({
      highWaterMark: 1024,
      write: (chunk: Buffer, _e, cb) => {
        got.push(chunk);
        setTimeout(cb, 1);
      },
    });
    const write = w.write.bind(w);
    w.write = ((chunk: Uint8Array) => {
      if (w.writableNeedDrain) overfilled++;
      return write(chunk);
    }) as typeof w.write;
    const { bytes } = await b.rt.snapshotTo(w, { maps: { nums: b.nums, strs: b.strs } });
    expect(overfilled).toBe(0);
    expect(got.length).toBeGreaterThan(1);
    expect(Buffer.concat(got).length).toBe(bytes);
    expect(w.writableFinished).toBe(true);
    b.rt.close();
  });

  it("a Writable destroyed half-way without an error rejects", async () => {
    const b = await build();
    let calls = 0;
    const w: Writable = new Writable({
      write: (_c, _e, cb) => {
        if (++calls === 2) w.destroy();
        else setImmediate(cb);
      },
    });
    await expect(b.rt.snapshotTo(w, { maps: { nums: b.nums, strs: b.strs } })).rejects.toThrow(/closed/);
    expect(boundaryOf(b.rt).frozen).toBe(false);
    b.rt.close();
  });

  it("a WritableStream that fails half-way: its error, thawed", async () => {
    const b = await build();
    let calls = 0;
    const ws = new WritableStream<Uint8Array>({
      write: () => {
        if (++calls === 2) throw new Error("quota exceeded");
      },
    });
    await expect(b.rt.snapshotTo(ws, { maps: { nums: b.nums, strs: b.strs } })).rejects.toThrow("quota exceeded");
    b.nums.set(1, 1);
    b.rt.close();
  });

  it("a file system that refuses half-way (ulimit -f): its error, the partial file removed, thawed", () => {
    const sub = join(dir, "efbig");
    mkdirSync(sub);
    const script = join(sub, "..", "efbig.mjs");
    writeFileSync(
      script,
      `import { Runtime } from ${JSON.stringify(pathToFileURL(join(ROOT, "dist", "node.js")).href)};
       import { readdirSync } from "node:fs";
       const rt = await Runtime.create();
       const m = rt.map({ key: "u32", value: "u32" });
       for (let i = 0; i < 100000; i++) m.set(i, i);
       let code = "none";
       try { await rt.snapshotTo(${JSON.stringify(join(sub, "big.snap"))}, { maps: { m } }); }
       catch (e) { code = e.code ?? e.name; }
       m.set(1, 42);
       console.log(JSON.stringify({ code, files: readdirSync(${JSON.stringify(sub)}), v: m.get(1) }));`,
    );
    // 256 blocks of 512 bytes: the header fits, the memory does not.
    const r = spawnSync("sh", ["-c", `ulimit -f 256 && exec "${process.execPath}" "${script}"`], {
      encoding: "utf8",
    });
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toEqual({ code: "EFBIG", files: [], v: 42 });
  });

  it("a directory, a missing directory, a URL that is not a file, not a destination at all", async () => {
    const b = await build();
    const maps = { maps: { nums: b.nums } };
    await expect(b.rt.snapshotTo(dir, maps)).rejects.toThrow(InvalidArgumentError);
    await expect(b.rt.snapshotTo(join(dir, "no", "such", "x.snap"), maps)).rejects.toMatchObject({ code: "ENOENT" });
    await expect(b.rt.snapshotTo(new URL("https://example.com/x"), maps)).rejects.toThrow(InvalidArgumentError);
    await expect(b.rt.snapshotTo("", maps)).rejects.toThrow(InvalidArgumentError);
    for (const bad of [null, 42, {}, { write() {} }, new Uint8Array(4)])
      await expect(b.rt.snapshotTo(bad as never, maps)).rejects.toThrow(InvalidArgumentError);
    expect(boundaryOf(b.rt).frozen).toBe(false);
    b.nums.set(1, 1);
    b.rt.close();
  });
});

describe("hostile sources", () => {
  let image: Uint8Array<ArrayBuffer>;
  beforeAll(async () => {
    const b = await build();
    image = b.rt.snapshot({ maps: { nums: b.nums, strs: b.strs } });
    b.rt.close();
  });
  const stream = (bytes: Uint8Array, chunk = 65536) =>
    new ReadableStream<Uint8Array>({
      start(c) {
        for (let at = 0; at < bytes.length; at += chunk) c.enqueue(bytes.slice(at, at + chunk));
        c.close();
      },
    });

  it("a Readable that fails half-way: its error, the Readable destroyed", async () => {
    const fail = new Error("connection reset");
    let sent = 0;
    const r = new Readable({
      read() {
        if (sent >= image.length / 2) {
          this.destroy(fail);
          return;
        }
        this.push(image.subarray(sent, sent + 100_000));
        sent += 100_000;
      },
    });
    await expect(Runtime.restoreFrom(r)).rejects.toBe(fail);
    expect(r.destroyed).toBe(true);
  });

  it("chunks that are not Uint8Array: InvalidArgumentError, the source cancelled", async () => {
    let cancelled: unknown = null;
    const s = new ReadableStream<unknown>({
      start(c) {
        c.enqueue(image.slice(0, 100));
        c.enqueue("GOMAPSNP");
      },
      cancel(reason) {
        cancelled = reason;
      },
    });
    await expect(Runtime.restoreFrom(s as ReadableStream<Uint8Array>)).rejects.toThrow(InvalidArgumentError);
    expect(cancelled).toBeInstanceOf(InvalidArgumentError);
    async function* numbers() {
      yield image.slice(0, 64);
      yield [1, 2, 3];
    }
    await expect(Runtime.restoreFrom(numbers() as AsyncIterable<Uint8Array>)).rejects.toThrow(
      /gave an? Array as a chunk/,
    );
    const text = Readable.from([Buffer.from(image.slice(0, 10))]).setEncoding("latin1");
    await expect(Runtime.restoreFrom(text)).rejects.toThrow(/gave string as a chunk/);
  });

  it("a short stream is truncated; bytes after the last section are refused", async () => {
    await expect(Runtime.restoreFrom(stream(image.subarray(0, image.length - 1)))).rejects.toMatchObject({
      reason: "truncated",
    });
    await expect(Runtime.restoreFrom(pieces(image.subarray(0, 40), [7]))).rejects.toMatchObject({
      reason: "truncated",
    });
    const longer = new Uint8Array(image.length + 1);
    longer.set(image);
    await expect(Runtime.restoreFrom(stream(longer))).rejects.toMatchObject({ reason: "sections" });
    const trailing = pieces(image, [1 << 20]);
    async function* plusEmptyThenByte() {
      yield* trailing;
      yield new Uint8Array(0);
      yield new Uint8Array(1);
    }
    await expect(Runtime.restoreFrom(plusEmptyThenByte())).rejects.toThrow(SnapshotError);
    // Empty chunks alone after the image are fine.
    async function* plusEmpty() {
      yield* pieces(image, [1 << 20]);
      yield new Uint8Array(0);
    }
    const r = await Runtime.restoreFrom(plusEmpty());
    expectMaps(r);
    r.rt.close();
  });

  it("a stream whose header declares a huge section table: refused before it is read", async () => {
    const head = image.slice(0, 64);
    const dv = new DataView(head.buffer);
    dv.setUint32(24, 0x7fffffff, true); // sections
    dv.setUint32(44, 0x100, true); // total bytes: 2^40 and a bit, so the table "fits"
    let pulled = 0;
    const s = new ReadableStream<Uint8Array>({
      pull(c) {
        pulled++;
        c.enqueue(pulled === 1 ? head : new Uint8Array(1 << 20));
      },
    });
    await expect(Runtime.restoreFrom(s)).rejects.toMatchObject({ reason: "sections" });
    expect(pulled).toBeLessThanOrEqual(2);
  });

  it("a file or Blob one byte short or long: refused by the header check", async () => {
    const short = join(dir, "short.snap");
    writeFileSync(short, image.subarray(0, image.length - 1));
    await expect(Runtime.restoreFrom(short)).rejects.toMatchObject({ reason: "truncated" });
    const long = join(dir, "long.snap");
    writeFileSync(long, Buffer.concat([image, Buffer.from([0])]));
    await expect(Runtime.restoreFrom(long)).rejects.toMatchObject({ reason: "sections" });
    await expect(Runtime.restoreFrom(new Blob([image.subarray(0, image.length - 1)]))).rejects.toMatchObject({
      reason: "truncated",
    });
    // A damaged byte in the middle is still the checksum's.
    const bad = image.slice();
    bad[bad.length >> 1]! ^= 1;
    await expect(Runtime.restoreFrom(new Blob([bad]))).rejects.toMatchObject({ reason: "checksum" });
  });

  it("a directory, a missing file, not a source at all", async () => {
    await expect(Runtime.restoreFrom(dir)).rejects.toThrow(InvalidArgumentError);
    await expect(Runtime.restoreFrom(join(dir, "missing.snap"))).rejects.toMatchObject({ code: "ENOENT" });
    await expect(Runtime.restoreFrom(new URL("https://example.com/x.snap"))).rejects.toThrow(InvalidArgumentError);
    for (const bad of [null, undefined, 42, {}, [image], new ArrayBuffer(8)])
      await expect(Runtime.restoreFrom(bad as never)).rejects.toThrow(InvalidArgumentError);
    // Bytes in hand are Runtime.restore's.
    const r = await Runtime.restoreFrom(image);
    expectMaps(r);
    r.rt.close();
    expect(existsSync(join(dir, "missing.snap"))).toBe(false);
  });
});

// ------------------------------------------------------------- Chromium

if (!HAVE_CHROMIUM && !CI) {
  console.log(
    `[snapshot-stream.test] browser cases SKIPPED: ${CHROMIUM} is absent (install it with: apt-get install -y chromium). Under CI=true they fail instead.`,
  );
}

describe.skipIf(!HAVE_CHROMIUM && !CI)("in Chromium (playwright-core)", () => {
  let server: StaticServer;
  let browser: Awaited<ReturnType<typeof launchChromium>> | undefined;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    if (!HAVE_CHROMIUM)
      throw new Error(`CI=true but ${CHROMIUM} is missing: .ci/run installs it with apt-get install -y chromium`);
    if (!existsSync(join(ROOT, "dist", "browser.js"))) throw new Error("dist/ is missing: run node scripts/build.mjs");
    server = await startStaticServer({ root: ROOT });
    browser = await launchChromium(errors, { pageTimeout: 60_000, consoleErrors: false });
    page = browser.page;
    // A page of our origin (http://127.0.0.1: a secure context, so OPFS is there).
    await page.goto(`${server.origin}/package.json`);
    await page.addScriptTag({
      type: "module",
      content: 'import * as g from "/dist/browser.js"; window.gomap = g;',
    });
    await page.waitForFunction(() => "gomap" in window);
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("snapshotStream → Response → Blob → restoreFrom(Blob)", async () => {
    const out = await page.evaluate(async () => {
      const { Runtime } = (window as unknown as { gomap: typeof import("../src/index.js") }).gomap;
      const rt = await Runtime.create();
      const m = rt.map({ key: "u32", value: "string" });
      for (let i = 0; i < 5000; i++) m.set(i, `v${i}`);
      const blob: Blob = await new Response(rt.snapshotStream({ maps: { m } }) as ReadableStream<Uint8Array>).blob();
      // The stream delivered the whole image its header announces (not
      // rt.snapshot's length: a later image carries later MemStats — pause
      // times, NumGC — whose JSON can be a few bytes longer or shorter).
      const head = new DataView(await blob.slice(0, 48).arrayBuffer());
      const same = head.getUint32(40, true) + head.getUint32(44, true) * 2 ** 32 === blob.size;
      m.set(1, "written after the stream");
      const r = await Runtime.restoreFrom(blob);
      const back = r.maps.m!;
      let ok = back.size === 5000;
      for (let i = 0; i < 5000; i++) if (back.get(i) !== `v${i}`) ok = false;
      let refused = "";
      try {
        await Runtime.restoreFrom("/some/path.snap");
      } catch (e) {
        refused = (e as Error).name;
      }
      r.rt.close();
      rt.close();
      return { size: blob.size, same, ok, refused };
    });
    expect(out).toMatchObject({ same: true, ok: true, refused: "InvalidArgumentError" });
    expect(out.size).toBeGreaterThan(0);
    expect(errors).toEqual([]);
  });

  it("OPFS: snapshotTo(createWritable()) → restoreFrom(getFile())", async () => {
    const out = await page.evaluate(async () => {
      const { Runtime } = (window as unknown as { gomap: typeof import("../src/index.js") }).gomap;
      const root = await navigator.storage.getDirectory();
      const handle = await root.getFileHandle("rt.snap", { create: true });
      const rt = await Runtime.create();
      const m = rt.map({ key: "string", value: "f64" });
      for (let i = 0; i < 3000; i++) m.set(`k${i}`, i / 4);
      const { bytes } = await rt.snapshotTo(await handle.createWritable(), { maps: { m } });
      const file = await handle.getFile();
      const r = await Runtime.restoreFrom(file);
      const back = r.maps.m!;
      let ok = back.size === 3000;
      for (let i = 0; i < 3000; i++) if (back.get(`k${i}`) !== i / 4) ok = false;
      r.rt.close();
      rt.close();
      await root.removeEntry("rt.snap");
      return { bytes, fileSize: file.size, ok };
    });
    expect(out.ok).toBe(true);
    expect(out.fileSize).toBe(out.bytes);
    expect(errors).toEqual([]);
  });
});
