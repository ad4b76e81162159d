#!/usr/bin/env node
// Generator for assembly/mem/sizeclasses.ts, the allocator's small-object
// size-class table.
//
// This is an independent JavaScript implementation of the procedure the Go
// 1.19 runtime uses to derive its size classes (runtime/mksizeclasses.go).
// The output is meant to be identical, number for number, to Go 1.19's
// runtime/sizeclasses.go; test/sizeclasses.test.ts holds it to that against
// a fixture extracted from the Go source (scripts/extract-go-sizeclasses.mjs).
//
// Usage:
//   node scripts/mksizeclasses.mjs                 write assembly/mem/sizeclasses.ts
//   node scripts/mksizeclasses.mjs --check         exit 1 if the file on disk is stale
//   node scripts/mksizeclasses.mjs --out FILE ...  use FILE instead of the default path
//
// Importing this module has no side effects: it only writes when it is run
// as the main module.

import { readFileSync, realpathSync, writeFileSync } from "node:fs";
import { relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const PAGE_SHIFT = 13;
export const PAGE_SIZE = 1 << PAGE_SHIFT; // 8192
export const MAX_SMALL_SIZE = 32768;
export const SMALL_SIZE_DIV = 8;
export const SMALL_SIZE_MAX = 1024;
export const LARGE_SIZE_DIV = 128;
/** Number of classes including the dummy class 0 (which stands for "large"). */
export const NUM_SIZE_CLASSES = 68;

/** Repository-relative path of the generated file. */
export const OUTPUT_RELATIVE = "assembly/mem/sizeclasses.ts";
/** Absolute path of the generated file (independent of the working directory). */
export const OUTPUT_FILE = fileURLToPath(new URL("../" + OUTPUT_RELATIVE, import.meta.url));

/** @typedef {import("./mksizeclasses.d.mts").SizeClass} SizeClass */
/** @typedef {import("./mksizeclasses.d.mts").SizeClassTables} SizeClassTables */

/** @param {number} x */
const isPow2 = (x) => x > 0 && (x & (x - 1)) === 0;

/**
 * Alignment that applies from `size` on. It only changes at powers of two:
 * 8 bytes below 32, 16 bytes from 32 (so every object of 32 bytes or more is
 * 16-byte aligned), size/8 from 128 (keeps the rounding loss of the class
 * grid itself at or below 12.5%), and 256 bytes from 2048 upward.
 * @param {number} size
 * @param {number} align
 */
function nextAlign(size, align) {
  if (!isPow2(size)) return align;
  if (size >= 2048) return 256;
  if (size >= 128) return size / 8;
  if (size >= 32) return 16;
  return align;
}

/**
 * Smallest page count whose span, cut into objects of `size` bytes, leaves a
 * remainder (tail waste) of at most one eighth of the span.
 * @param {number} size
 */
function pagesFor(size) {
  let span = PAGE_SIZE;
  while (span % size > span / 8) span += PAGE_SIZE;
  return span / PAGE_SIZE;
}

/**
 * The multiplier that turns "offset within span / size" into a multiply and
 * a 32-bit shift: floor(n / size) == (n * m) >>> 32 for every offset n in
 * [0, span bytes]. Same value as Go's class_to_divmagic: 2^32-1 div size, + 1.
 * Verified exhaustively (offsets are below 2^17 and m below 2^32, so the
 * product stays below 2^53 and double arithmetic is exact).
 * @param {number} size
 * @param {number} npages
 */
function divMagicFor(size, npages) {
  if (size === 0) return 0;
  const m = (Math.floor(0xffffffff / size) + 1) >>> 0;
  const limit = npages * PAGE_SIZE;
  for (let n = 0; n <= limit; n++) {
    if (Math.floor((n * m) / 2 ** 32) !== Math.floor(n / size)) {
      throw new Error(`divMagic ${m} is wrong for size ${size} at offset ${n}`);
    }
  }
  return m;
}

/**
 * Lowest class whose object size is at least `size` (0 if none, or size 0).
 * @param {number[]} sizes
 * @param {number} size
 */
function firstClassFitting(sizes, size) {
  for (let c = 0; c < sizes.length; c++) {
    if (/** @type {number} */ (sizes[c]) >= size) return c;
  }
  throw new Error(`no size class holds ${size} bytes`);
}

/**
 * Derive the size classes and lookup tables.
 *
 * Pass 1 walks every candidate size on the current alignment grid, computes
 * the page count that keeps tail waste <= 12.5%, and folds a candidate into
 * the previous class when both would use the same number of pages and fit the
 * same number of objects (the larger size is then strictly better).
 * Pass 2 grows each class to the largest multiple of LARGE_SIZE_DIV that still
 * fits the same number of objects in the same span; keeping the 128-byte
 * granularity is what lets size_to_class128 work.
 * @returns {SizeClassTables}
 */
export function generate() {
  /** @type {{size: number, npages: number}[]} */
  const raw = [{ size: 0, npages: 0 }];
  let align = 8;
  for (let size = align; size <= MAX_SMALL_SIZE; size += align) {
    align = nextAlign(size, align);
    if (!isPow2(align)) throw new Error(`alignment ${align} is not a power of two`);
    const npages = pagesFor(size);
    const last = /** @type {{size: number, npages: number}} */ (raw[raw.length - 1]); // raw is never empty
    const span = npages * PAGE_SIZE;
    if (raw.length > 1 && last.npages === npages && Math.floor(span / last.size) === Math.floor(span / size)) {
      last.size = size;
    } else {
      raw.push({ size, npages });
    }
  }

  // (c < raw.length: raw[c] is there)
  for (let c = 1; c < raw.length; c++) {
    const span = /** @type {{size: number, npages: number}} */ (raw[c]).npages * PAGE_SIZE;
    const count = Math.floor(span / /** @type {{size: number, npages: number}} */ (raw[c]).size);
    const grown = Math.floor(span / count) & ~(LARGE_SIZE_DIV - 1);
    if (grown > /** @type {{size: number, npages: number}} */ (raw[c]).size)
      /** @type {{size: number, npages: number}} */ (raw[c]).size = grown;
  }

  if (raw.length !== NUM_SIZE_CLASSES) {
    throw new Error(`expected ${NUM_SIZE_CLASSES} size classes, derived ${raw.length}`);
  }

  const classes = raw.map(({ size, npages }) => {
    if (size === 0) return { size: 0, npages: 0, nelems: 0, tailWaste: 0 };
    const span = npages * PAGE_SIZE;
    const nelems = Math.floor(span / size);
    return { size, npages, nelems, tailWaste: span - nelems * size };
  });
  const sizes = classes.map((c) => c.size);
  const divMagic = classes.map((c) => divMagicFor(c.size, c.npages));

  // Entry i answers for sizes in (8*(i-1), 8*i]; entry 0 (size 0) is class 0.
  const sizeToClass8 = [];
  for (let i = 0; i <= SMALL_SIZE_MAX / SMALL_SIZE_DIV; i++) {
    sizeToClass8.push(firstClassFitting(sizes, i * SMALL_SIZE_DIV));
  }
  // Entry i answers for sizes in (1024 + 128*(i-1), 1024 + 128*i].
  const sizeToClass128 = [];
  for (let i = 0; i <= (MAX_SMALL_SIZE - SMALL_SIZE_MAX) / LARGE_SIZE_DIV; i++) {
    sizeToClass128.push(firstClassFitting(sizes, SMALL_SIZE_MAX + i * LARGE_SIZE_DIV));
  }

  return { classes, sizeToClass8, sizeToClass128, divMagic };
}

/**
 * Size -> class exactly as assembly/mem/sizeclasses.ts's sizeToClass does it.
 * Precondition: 0 < size <= MAX_SMALL_SIZE.
 * @param {SizeClassTables} gen
 * @param {number} size
 * @returns {number}
 */
export function sizeToClass(gen, size) {
  // The precondition keeps both indexes inside their tables.
  if (size <= SMALL_SIZE_MAX) return /** @type {number} */ (gen.sizeToClass8[(size + SMALL_SIZE_DIV - 1) >>> 3]);
  return /** @type {number} */ (gen.sizeToClass128[(size - SMALL_SIZE_MAX + LARGE_SIZE_DIV - 1) >>> 7]);
}

/**
 * Worst-case fraction of a span lost for objects of class c: every object
 * holds a request one byte above the previous class, plus the span's tail.
 * @param {SizeClass[]} classes
 * @param {number} c
 */
export function maxWaste(classes, c) {
  const { size, nelems, tailWaste, npages } = /** @type {SizeClass} */ (classes[c]);
  const prev = c > 1 ? /** @type {SizeClass} */ (classes[c - 1]).size : 0;
  return ((size - prev - 1) * nelems + tailWaste) / (npages * PAGE_SIZE);
}

// ---------------------------------------------------------------------------
// Rendering

/** @param {SizeClass[]} classes */
function renderTable(classes) {
  const head = ["class", "bytes/obj", "bytes/span", "objects", "tail waste", "max waste"];
  const widths = head.map((h) => Math.max(h.length, 5));
  /** @param {(string | number)[]} cells one per column of `head` */
  const row = (cells) => "// " + cells.map((s, i) => String(s).padStart(/** @type {number} */ (widths[i]))).join("  ");
  const lines = [row(head)];
  for (let c = 1; c < classes.length; c++) {
    const k = /** @type {SizeClass} */ (classes[c]);
    lines.push(
      row([c, k.size, k.npages * PAGE_SIZE, k.nelems, k.tailWaste, (100 * maxWaste(classes, c)).toFixed(2) + "%"]),
    );
  }
  return lines.join("\n");
}

/**
 * @param {string} name
 * @param {string} type
 * @param {number[]} values
 * @param {number} perLine
 * @param {string} doc
 */
function renderData(name, type, values, perLine, doc) {
  const width = Math.max(...values.map((v) => String(v).length));
  const idxWidth = String(values.length - 1).length;
  const lines = [];
  for (let i = 0; i < values.length; i += perLine) {
    const chunk = values.slice(i, i + perLine).map((v) => String(v).padStart(width) + ",");
    lines.push(`  /* ${String(i).padStart(idxWidth)} */ ${chunk.join(" ")}`);
  }
  return [
    `/** ${doc} (${values.length} x ${type}). */`,
    `export const ${name}: usize = memory.data<${type}>([`,
    ...lines,
    "]);",
  ].join("\n");
}

/**
 * The complete text of assembly/mem/sizeclasses.ts.
 * @param {SizeClassTables} [gen]
 */
export function render(gen = generate()) {
  const { classes, sizeToClass8, sizeToClass128, divMagic } = gen;
  /** @param {keyof SizeClass} k */
  const col = (k) => classes.map((c) => c[k]);
  return `// Code generated by scripts/mksizeclasses.mjs; DO NOT EDIT.
// Regenerate with \`node scripts/mksizeclasses.mjs\`; \`--check\` verifies this
// file is current, and test/sizeclasses.test.ts compares it with Go 1.19.
//
// Size classes
// ------------
// Small allocations (1..${MAX_SMALL_SIZE} bytes) are never served at their exact size.
// A request is rounded up to one of ${NUM_SIZE_CLASSES - 1} fixed object sizes, its size class,
// and each class owns spans: runs of whole ${PAGE_SIZE}-byte pages cut into equal
// slots. Class 0 is not a real class; it stands for "large", i.e. objects
// that get a dedicated run of pages of their own.
//
// The classes are the ones the Go 1.19 runtime uses, derived by the same
// procedure (re-implemented in the generator):
//
//  * Candidate sizes step through an alignment grid that coarsens at powers
//    of two: 8 bytes, then 16 from 32 bytes, then size/8 from 128 bytes
//    (so rounding up to the next class costs at most ~12.5%), then 256 bytes
//    from 2048 on.
//  * Each candidate gets the fewest pages for which the unusable remainder
//    at the end of a span (tail waste) is at most 1/8 of the span.
//  * A candidate that uses as many pages and fits as many objects as the
//    previous class replaces it: same span, same count, bigger objects.
//  * Finally every class grows to the largest multiple of ${LARGE_SIZE_DIV} bytes that
//    still fits the same number of objects in its span (e.g. 8448 -> 9472,
//    6 objects in 7 pages); this eats tail waste for free.
//
// Rounding loss and tail waste compound, but in practice one dominates:
// small classes lose mostly to rounding, large ones mostly to the tail. The
// "max waste" column is the worst case for a span: every object holds a
// request one byte larger than the previous class, plus the tail.
//
// Lookups are two byte tables instead of a search: SIZE_TO_CLASS8 by
// ceil(size / ${SMALL_SIZE_DIV}) for size <= ${SMALL_SIZE_MAX}, SIZE_TO_CLASS128 by
// ceil((size - ${SMALL_SIZE_MAX}) / ${LARGE_SIZE_DIV}) above that. Every class above ${SMALL_SIZE_MAX} bytes is a
// multiple of ${LARGE_SIZE_DIV}, so the coarse table never rounds past a better class.
// CLASS_TO_DIVMAGIC turns "byte offset in span / object size" into a
// multiply and a shift: ((offset as u64) * magic) >> 32, exact for every
// offset 0 ..= span bytes (the generator checks each one).
//
// Alignment: object i of a span starts at span base + i * size, so with
// page-aligned spans every object is aligned to the largest power of two
// dividing its class size (at most the page size). Classes from 32 bytes
// up are multiples of 16, so those objects are 16-byte aligned; 8 and 24
// byte objects only 8-byte aligned.
//
// The tables are static data (memory.data), so reading them allocates
// nothing and works under --runtime stub.
//
${renderTable(classes)}

export const PAGE_SHIFT: u32 = ${PAGE_SHIFT};
export const PAGE_SIZE: u32 = 1 << PAGE_SHIFT;
export const MAX_SMALL_SIZE: u32 = ${MAX_SMALL_SIZE};
export const SMALL_SIZE_DIV: u32 = ${SMALL_SIZE_DIV};
export const SMALL_SIZE_MAX: u32 = ${SMALL_SIZE_MAX};
export const LARGE_SIZE_DIV: u32 = ${LARGE_SIZE_DIV};
/** Number of size classes, counting class 0 (= large object, no class). */
export const NUM_SIZE_CLASSES: i32 = ${classes.length};

${renderData("CLASS_TO_SIZE", "u16", col("size"), 8, "Object size in bytes per class")}

${renderData("CLASS_TO_NPAGES", "u8", col("npages"), 16, "Pages per span per class")}

${renderData("CLASS_TO_NELEMS", "u16", col("nelems"), 16, "Objects per span per class: npages * PAGE_SIZE / size")}

${renderData("CLASS_TO_DIVMAGIC", "u32", divMagic, 8, "Division magic per class: 0xFFFFFFFF / size + 1, 0 for class 0")}

${renderData("SIZE_TO_CLASS8", "u8", sizeToClass8, 16, "Class for sizes up to SMALL_SIZE_MAX, indexed by ceil(size / SMALL_SIZE_DIV)")}

${renderData("SIZE_TO_CLASS128", "u8", sizeToClass128, 16, "Class for sizes above SMALL_SIZE_MAX, indexed by ceil((size - SMALL_SIZE_MAX) / LARGE_SIZE_DIV)")}

/**
 * Size class for a small allocation. Precondition: 0 < size <= MAX_SMALL_SIZE.
 *
 * Go switches to the coarse table above 1016 bytes and relies on unsigned
 * wraparound to send 1017..1023 to entry 0 of size_to_class128 (the 1024
 * class). Here the fine table covers everything up to SMALL_SIZE_MAX: its
 * last entry, ceil(1017..1024 / 8) = 128, is the 1024-byte class, so those
 * sizes land there without relying on wraparound.
 */
// @ts-ignore: decorator
@inline export function sizeToClass(size: usize): u32 {
  if (size <= <usize>SMALL_SIZE_MAX) {
    return <u32>load<u8>(SIZE_TO_CLASS8 + ((size + <usize>(SMALL_SIZE_DIV - 1)) >> 3));
  }
  return <u32>load<u8>(SIZE_TO_CLASS128 + ((size - <usize>SMALL_SIZE_MAX + <usize>(LARGE_SIZE_DIV - 1)) >> 7));
}

/** Object size in bytes of class c (0 for class 0). */
// @ts-ignore: decorator
@inline export function classSize(c: u32): u32 {
  return <u32>load<u16>(CLASS_TO_SIZE + (<usize>c << 1));
}

/** Pages per span of class c (0 for class 0). */
// @ts-ignore: decorator
@inline export function classNpages(c: u32): u32 {
  return <u32>load<u8>(CLASS_TO_NPAGES + <usize>c);
}

/** Objects per span of class c (0 for class 0). */
// @ts-ignore: decorator
@inline export function classNelems(c: u32): u32 {
  return <u32>load<u16>(CLASS_TO_NELEMS + (<usize>c << 1));
}

/** Division magic of class c: offset / size == u32((u64(offset) * magic) >> 32). */
// @ts-ignore: decorator
@inline export function classDivMagic(c: u32): u32 {
  return load<u32>(CLASS_TO_DIVMAGIC + (<usize>c << 2));
}
`;
}

// ---------------------------------------------------------------------------
// Command line

function isMain() {
  if (!process.argv[1]) return false;
  try {
    return realpathSync(resolve(process.argv[1])) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

/** @param {string[]} argv */
function main(argv) {
  let check = false;
  let out = OUTPUT_FILE;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--check") check = true;
    else if (a === "--out" && i + 1 < argv.length) out = resolve(/** @type {string} */ (argv[++i]));
    else {
      console.error(`usage: node scripts/mksizeclasses.mjs [--check] [--out FILE]\nunknown argument: ${a}`);
      return 2;
    }
  }
  const text = render(generate());
  const shown = relative(process.cwd(), out) || out;
  if (check) {
    let current;
    try {
      current = readFileSync(out, "utf8");
    } catch {
      console.error(`${shown}: missing; run node scripts/mksizeclasses.mjs`);
      return 1;
    }
    if (current !== text) {
      console.error(`${shown}: out of date; run node scripts/mksizeclasses.mjs`);
      return 1;
    }
    console.log(`${shown}: up to date`);
    return 0;
  }
  writeFileSync(out, text);
  console.log(`wrote ${shown}`);
  return 0;
}

if (isMain()) process.exitCode = main(process.argv.slice(2));
