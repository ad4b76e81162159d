import { describe, it, expect } from "vitest";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  generate,
  render,
  sizeToClass,
  OUTPUT_FILE,
  PAGE_SIZE,
  MAX_SMALL_SIZE,
  NUM_SIZE_CLASSES,
} from "../scripts/mksizeclasses.mjs";

interface GoFixture {
  go_version: string;
  class_to_size: number[];
  class_to_allocnpages: number[];
  class_to_divmagic: number[];
  size_to_class8: number[];
  size_to_class128: number[];
}

const root = fileURLToPath(new URL("..", import.meta.url));
const script = join(root, "scripts", "mksizeclasses.mjs");
const go = JSON.parse(readFileSync(new URL("./fixtures/go119-sizeclasses.json", import.meta.url), "utf8")) as GoFixture;
const gen = generate();
const sizes = gen.classes.map((c) => c.size);

/**
 * Go 1.19's lookup (runtime/malloc.go), including its reliance on uintptr
 * wraparound for 1017..1023: (size - 1024 + 127) wraps to 0..126, index 0.
 */
function goSizeToClass(size: number): number {
  if (size <= 1024 - 8) return go.size_to_class8[Math.ceil(size / 8)]!;
  const n = BigInt.asUintN(64, BigInt(size) - 1024n);
  const idx = BigInt.asUintN(64, n + 127n) / 128n;
  return go.size_to_class128[Number(idx)]!;
}

describe("size classes: generator vs Go 1.19", () => {
  it("fixture comes from Go 1.19", () => {
    expect(go.go_version).toMatch(/^go1\.19(\.|$)/);
  });

  it("class_to_size", () => {
    expect(sizes).toEqual(go.class_to_size);
  });

  it("class_to_allocnpages", () => {
    expect(gen.classes.map((c) => c.npages)).toEqual(go.class_to_allocnpages);
  });

  it("class_to_divmagic", () => {
    expect(gen.divMagic).toEqual(go.class_to_divmagic);
  });

  it("size_to_class8", () => {
    expect(gen.sizeToClass8).toHaveLength(129);
    expect(gen.sizeToClass8).toEqual(go.size_to_class8);
  });

  it("size_to_class128", () => {
    expect(gen.sizeToClass128).toHaveLength(249);
    expect(gen.sizeToClass128).toEqual(go.size_to_class128);
  });

  it("nelems and tail waste follow from size and npages", () => {
    expect(gen.classes[0]).toEqual({ size: 0, npages: 0, nelems: 0, tailWaste: 0 });
    for (let c = 1; c < go.class_to_size.length; c++) {
      const span = go.class_to_allocnpages[c]! * PAGE_SIZE;
      const nelems = Math.floor(span / go.class_to_size[c]!);
      expect(gen.classes[c]).toEqual({
        size: go.class_to_size[c],
        npages: go.class_to_allocnpages[c],
        nelems,
        tailWaste: span - nelems * go.class_to_size[c]!,
      });
    }
  });
});

describe("size classes: generated file is current", () => {
  it("assembly/mem/sizeclasses.ts equals the generator's output", () => {
    expect(readFileSync(OUTPUT_FILE, "utf8")).toBe(render(gen));
  });

  it("--check passes on the committed file", () => {
    const out = execFileSync(process.execPath, [script, "--check"], { encoding: "utf8" });
    expect(out).toContain("up to date");
  });

  it("--check fails on a stale or missing file", () => {
    const dir = mkdtempSync(join(tmpdir(), "sizeclasses-"));
    try {
      const stale = join(dir, "sizeclasses.ts");
      writeFileSync(stale, render(gen).replace("32768", "32769"));
      expect(spawnSync(process.execPath, [script, "--check", "--out", stale]).status).toBe(1);
      const missing = join(dir, "missing.ts");
      expect(spawnSync(process.execPath, [script, "--check", "--out", missing]).status).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("size classes: facts", () => {
  it("has 68 classes, class 0 standing for large objects", () => {
    expect(NUM_SIZE_CLASSES).toBe(68);
    expect(gen.classes).toHaveLength(68);
    expect(gen.divMagic).toHaveLength(68);
    expect(gen.classes[0]!.size).toBe(0);
    expect(gen.divMagic[0]).toBe(0);
  });

  it("known classes", () => {
    const expectClass = (c: number, size: number, npages?: number) => {
      expect(gen.classes[c]!.size).toBe(size);
      if (npages !== undefined) expect(gen.classes[c]!.npages).toBe(npages);
    };
    expectClass(1, 8, 1);
    expectClass(5, 48);
    expectClass(11, 144);
    expectClass(15, 208);
    expectClass(32, 1024, 1);
    expectClass(35, 1408, 2);
    expectClass(52, 9472, 7); // the 8448 -> 9472 bump
    expectClass(60, 18432, 9);
    expectClass(65, 27264, 10);
    expectClass(67, 32768, 4);
  });

  it("sizes strictly increase; above 1024 they are multiples of 128, from 32 multiples of 16", () => {
    for (let c = 2; c < sizes.length; c++) {
      expect(sizes[c]).toBeGreaterThan(sizes[c - 1]!);
      if (sizes[c]! > 1024) expect(sizes[c]! % 128).toBe(0);
      if (sizes[c]! >= 32) expect(sizes[c]! % 16).toBe(0);
    }
  });

  it("tail waste is at most 1/8 of the span", () => {
    for (const c of gen.classes.slice(1)) {
      expect(c.tailWaste).toBeLessThanOrEqual((c.npages * PAGE_SIZE) / 8);
    }
  });

  it("every size 1..32768 maps to the smallest class that holds it, same as Go", () => {
    let mismatches = 0;
    for (let size = 1; size <= MAX_SMALL_SIZE; size++) {
      const c = sizeToClass(gen, size);
      const ok = c >= 1 && c < 68 && sizes[c]! >= size && sizes[c - 1]! < size && goSizeToClass(size) === c;
      if (!ok) mismatches++;
    }
    expect(mismatches).toBe(0);
  });

  it("1017..1024 go to the 1024-byte class", () => {
    for (let size = 1017; size <= 1024; size++) {
      expect(sizes[sizeToClass(gen, size)]).toBe(1024);
      expect(goSizeToClass(size)).toBe(32);
    }
  });

  it("divMagic divides exactly for every offset 0..span bytes", () => {
    for (let c = 1; c < gen.classes.length; c++) {
      const { size, npages } = gen.classes[c]!;
      const m = gen.divMagic[c]!;
      let wrong = -1;
      for (let n = 0; n <= npages * PAGE_SIZE && wrong < 0; n++) {
        if (Math.floor((n * m) / 2 ** 32) !== Math.floor(n / size)) wrong = n;
      }
      expect(wrong, `class ${c}`).toBe(-1);
    }
  });
});
