// The core↔host contracts, each defined once: the host reads or checks
// every constant, status code, record layout and shape list against the
// core when it loads one, and refuses a core that disagrees — loudly, by
// name — instead of misreading it. Each case below hands the boundary the
// real core's exports with one contract changed.
import { describe, it, expect } from "vitest";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Boundary } from "../src/boundary.js";
import { MAP_STATUS } from "../src/status.js";
import { SHAPES } from "../src/shapes.js";
import { CYCLE_FIELD_NAMES } from "../src/gctrace.js";
import { HALF_SCRATCH } from "../src/batch.js";
import { Runtime, WasmLoadError } from "../src/node.js";

const root = fileURLToPath(new URL("..", import.meta.url));

/** The real release core's exports, instantiated with inert imports. */
async function realExports(): Promise<{ exports: WebAssembly.Exports; memory: WebAssembly.Memory }> {
  const module = await WebAssembly.compile(readFileSync(root + "build/release.wasm"));
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 256 });
  const nop = () => {};
  const env = {
    memory,
    now: () => 0,
    mapHook: nop,
    gcDone: nop,
    gcStart: nop,
    memProfAlloc: nop,
    memProfFree: nop,
    trace: nop,
    abort: () => {
      throw new Error("abort");
    },
  };
  const instance = await WebAssembly.instantiate(module, { env });
  return { exports: instance.exports, memory };
}

const i32 = (v: number) => new WebAssembly.Global({ value: "i32", mutable: false }, v);

/** Construct a Boundary over exports changed by `edit` (the constructor
 *  is where every contract is read and checked). */
async function boundaryWith(edit: (x: Record<string, unknown>) => void): Promise<unknown> {
  const { exports, memory } = await realExports();
  const x: Record<string, unknown> = { ...exports };
  edit(x);
  try {
    Reflect.construct(Boundary, [{ exports: x }, memory, false, {}]);
    return null;
  } catch (e) {
    return e;
  }
}

describe("the host refuses a core that disagrees with it, by name", () => {
  it("accepts the real core (the baseline of every case below)", async () => {
    expect(await boundaryWith(() => {})).toBeNull();
  });

  const cases: [string, (x: Record<string, unknown>) => void, RegExp][] = [
    ["a missing export", (x) => delete x.gcStep, /missing the export gcStep/],
    [
      "a result code that moved",
      (x) => (x["MapStatus.DELETE_OOM"] = i32(MAP_STATUS.DELETE_OOM! + 7)),
      /MapStatus\.DELETE_OOM is 9, the host's \(src\/status\.ts\) is 2/,
    ],
    [
      "a result code the host does not know",
      (x) => (x["MapStatus.SHRINK_LATER"] = i32(3)),
      /MapStatus has codes the host does not know/,
    ],
    [
      "a gctrace field the host does not format",
      (x) => (x["CycleField.bogus"] = i32(99)),
      /CycleField .* is not the gctrace record/,
    ],
    ["a gctrace field gone", (x) => delete x["CycleField.scanned"], /missing the export CycleField\.scanned/],
    [
      "another scratch-area size",
      (x) => (x.SCRATCH_BYTES = i32(HALF_SCRATCH)),
      /SCRATCH_BYTES is 32768, the host's batch format \(src\/batch\.ts\) expects 65536/,
    ],
    [
      "tophash sentinels out of order",
      (x) => (x["TOPHASH.EVACUATED_Y"] = i32(9)),
      /tophash sentinels .* are not the ordered evacuated range/,
    ],
    [
      "a map shape the host lists but the core lacks",
      (x) => delete x.BUCKET_ks_vs_size,
      /missing the export BUCKET_ks_vs_size/,
    ],
    [
      "a map shape the host does not list",
      (x) => (x.BUCKET_kx_v32_size = i32(144)),
      /core exports 13 map shapes, src\/shapes\.ts lists 12/,
    ],
  ];
  for (const [what, edit, message] of cases) {
    it(what, async () => {
      const err = await boundaryWith(edit);
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).message).toMatch(message);
      expect((err as Error).message).toMatch(/rebuild with npm run build|src\//);
    });
  }

  it("the host's lists are the core's: shapes, status codes, gctrace fields", async () => {
    const { exports } = await realExports();
    const names = Object.keys(exports);
    expect(
      names
        .filter((n) => /^BUCKET_.*_size$/.test(n))
        .map((n) => n.slice(7, -5))
        .sort(),
    ).toEqual([...SHAPES].sort());
    expect(
      names
        .filter((n) => n.startsWith("MapStatus."))
        .map((n) => n.slice(10))
        .sort(),
    ).toEqual(Object.keys(MAP_STATUS).sort());
    expect(
      names
        .filter((n) => n.startsWith("CycleField.") && n !== "CycleField.COUNT")
        .map((n) => n.slice(11))
        .sort(),
    ).toEqual(Object.keys(CYCLE_FIELD_NAMES).sort());
  });

  it("Runtime.create turns such a core into a WasmLoadError naming the disagreement", async () => {
    // A real core with one export removed: re-encode is not possible, so use
    // a module that lacks our exports altogether and check the message path.
    const empty = Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0);
    await expect(Runtime.create({ wasm: empty })).rejects.toThrow(WasmLoadError);
    await expect(Runtime.create({ wasm: empty })).rejects.toThrow(
      /not gomap-wasm's release core \(core is missing the exports/,
    );
  });
});
