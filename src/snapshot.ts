/**
 * Snapshot images (`rt.snapshot`, `Runtime.restore`; docs/snapshot.md has
 * the format for users).
 *
 * The heap is one flat range of 32-bit offsets, so an image is a copy of
 * the used part of linear memory plus the core's globals and a map table;
 * restoring copies it into a fresh instance of the same core. This module
 * lays the image out (plan, write) and reads it back (parse, check); the
 * Runtime (src/runtime.ts) brings the collector to a quiet point before a
 * plan and builds the maps after a restore.
 *
 * Layout (little-endian; every section starts 8-aligned):
 *
 *   header, 64 bytes
 *     0  magic "GOMAPSNP"
 *     8  u32 format version (FORMAT_VERSION)
 *    12  u32 header bytes (64)
 *    16  8 bytes: the core's fingerprint (its wasm's custom section
 *        "gomap-fingerprint": a hash of the build, scripts/build.mjs)
 *    24  u32 section count
 *    28  u32 flags (bit 0: made by the debug core)
 *    32  u32 linear memory the image needs, in 64 KiB pages
 *    36  u32 the memory cap the image was laid out for, in 64 KiB pages
 *        (the page map's size depends on it)
 *    40  u32 × 2: total image bytes (low, high)
 *    48  u32 × 2: checksum (see below)
 *    56  8 bytes zero
 *   section table: count × 16 bytes { u32 kind, u32 address, u32 length,
 *     u32 zero }, in file order
 *   sections, back to back, each padded with zeros to 8 bytes:
 *     kind 1 STATE   UTF-8 JSON: the core's mutable globals, the host's
 *                    state (cumulative MemStats, GOGC, profile rate) and
 *                    the map table (name, key and value kinds, hmap address)
 *     kind 2 MEMORY  `length` bytes of linear memory from `address`: the
 *                    static data and page map, then runs of in-use spans
 *                    and metadata pages in address order (free runs are
 *                    left out: a fresh memory holds them as zero pages)
 *
 * Checksum: the core hashes every MEMORY section in place, 1 MiB at a
 * time (imageHash, assembly/mem/imagehash.ts: four 64-bit lanes, ~17 GB/s;
 * chunk i of a section with seed i); the host hashes the header (checksum
 * field zero), the table, the STATE section and the list of chunk hashes
 * with src/hash.ts, under two seeds: 64 bits in all.
 */
import type { Boundary } from "./boundary.js";
import { SnapshotError } from "./errors.js";
import { hashBytesX } from "./hash.js";
import { heapWalk } from "./records.js";
import { coreSuffix, KIND_NAMES, type KindName } from "./maptypes.js";

export const MAGIC = "GOMAPSNP";
export const FORMAT_VERSION = 1;
export const HEADER_BYTES = 64;
export const TABLE_ENTRY_BYTES = 16;
export const SECTION_STATE = 1;
export const SECTION_MEMORY = 2;
const WASM_PAGE = 65536;
/** The custom section that holds a core's fingerprint. */
export const FINGERPRINT_SECTION = "gomap-fingerprint";
const CHECK_SEEDS = [0x5eed0001, 0x5eed0002] as const;
/** At most this many MEMORY sections per 64 KiB of an image's memory
 *  (sections are runs of 8 KiB heap pages). */
const MAX_SECTIONS_PER_WASM_PAGE = WASM_PAGE / 8192;
/** The largest STATE section a restore reads (globals, host state and a
 *  map table of ~100k maps fit well under it). */
export const MAX_STATE_BYTES = 64 * 1024 * 1024;

/** One map of the image's table. */
export interface ImageMap {
  name: string;
  key: string;
  value: string;
  /** hmap address. */
  h: number;
}

/** What the STATE section holds. */
export interface ImageState {
  /** The core's mutable globals by name: i32 as numbers, i64 as decimal
   *  strings, f64 as their IEEE bits in hex. */
  globals: Record<string, number | string>;
  host: {
    maxMemory: number;
    memProfileRate: number;
    gcPercent: number;
    /** performance.timeOrigin of the process that made the image (ms). */
    timeOrigin: number;
    stats: unknown;
  };
  maps: ImageMap[];
}

export interface Section {
  kind: number;
  address: number;
  length: number;
}

/** The header's fields. */
export interface ImageHeader {
  fingerprint: Uint8Array;
  sections: number;
  debug: boolean;
  memoryPages: number;
  maxPages: number;
  totalBytes: number;
  checksum: [number, number];
}

/** n rounded up to a multiple of 8 (arithmetic, not bitwise: a memory
 *  section may be longer than 2^31 bytes, past what `&` keeps). */
const pad8 = (n: number): number => Math.ceil(n / 8) * 8;

/** A core's fingerprint, or null when the module has none (a core built
 *  without scripts/build.mjs: snapshots refuse it). */
export function coreFingerprint(module: WebAssembly.Module): Uint8Array | null {
  const s = WebAssembly.Module.customSections(module, FINGERPRINT_SECTION);
  if (s.length !== 1 || s[0]!.byteLength !== 8) return null;
  return new Uint8Array(s[0]!);
}

// ------------------------------------------------------------- snapshot

/** An image ready to be written: everything but the MEMORY bytes, which
 *  are read from the instance while writing. */
export interface ImagePlan {
  head: Uint8Array; // header + table + STATE section (padded)
  runs: Section[]; // the MEMORY sections, in file order
  totalBytes: number;
}

/** Read a global's value for the STATE section. */
function globalValue(g: WebAssembly.Global): number | string {
  const v = g.value as unknown;
  if (typeof v === "bigint") return BigInt.asUintN(64, v).toString();
  const n = v as number;
  if (Number.isInteger(n) && Math.abs(n) <= 0xffffffff) return n;
  const dv = new DataView(new ArrayBuffer(8));
  dv.setFloat64(0, n, true);
  return `f:${dv.getUint32(4, true).toString(16).padStart(8, "0")}${dv.getUint32(0, true).toString(16).padStart(8, "0")}`;
}

/** The used parts of linear memory: the fixed areas up to the end of the
 *  page map's used entries, then in-use spans and metadata pages (adjacent
 *  ones merged). The scratch area and free runs are left out. */
export function memoryRuns(b: Boundary): Section[] {
  const { arenaEnd, records } = heapWalk(b);
  const pageMap = Number(b.stateGlobal("assembly/mem/mheap/pageMap").value) >>> 0;
  const PAGE = b.pageBytes;
  const runs: Section[] = [];
  // Static data and the page map up to the arena's end (the entries past
  // it are zero, as in a fresh memory).
  runs.push({ kind: SECTION_MEMORY, address: 0, length: pad8(pageMap + (arenaEnd / PAGE) * 4) });
  for (const r of records) {
    if (r.state === 2) continue; // free run
    const address = r.startAddr!,
      length = r.npages! * PAGE;
    const last = runs.at(-1)!;
    if (runs.length > 1 && last.address + last.length === address) last.length += length;
    else runs.push({ kind: SECTION_MEMORY, address, length });
  }
  return runs;
}

/** Lay out the image of instance `b` (at a quiet point: the caller ran a
 *  full collection) with map table `maps`. Hashes every MEMORY section. */
export function planImage(
  b: Boundary,
  fingerprint: Uint8Array,
  maxWasmPages: number,
  host: ImageState["host"],
  maps: ImageMap[],
): ImagePlan {
  const globals: Record<string, number | string> = {};
  for (const [name, g] of b.stateGlobals()) globals[name] = globalValue(g);
  const state: ImageState = { globals, host, maps };
  const stateBytes = new TextEncoder().encode(JSON.stringify(state));
  const runs = memoryRuns(b);
  const sections: Section[] = [{ kind: SECTION_STATE, address: 0, length: stateBytes.length }, ...runs];
  const tableBytes = sections.length * TABLE_ENTRY_BYTES;
  const headBytes = HEADER_BYTES + tableBytes + pad8(stateBytes.length);
  let total = headBytes;
  for (const r of runs) total += pad8(r.length);
  const head = new Uint8Array(headBytes);
  const dv = new DataView(head.buffer);
  for (let i = 0; i < 8; i++) head[i] = MAGIC.charCodeAt(i);
  dv.setUint32(8, FORMAT_VERSION, true);
  dv.setUint32(12, HEADER_BYTES, true);
  head.set(fingerprint, 16);
  dv.setUint32(24, sections.length, true);
  dv.setUint32(28, b.debug ? 1 : 0, true);
  dv.setUint32(32, b.memory.buffer.byteLength / WASM_PAGE, true);
  dv.setUint32(36, maxWasmPages, true);
  dv.setUint32(40, total % 2 ** 32, true);
  dv.setUint32(44, Math.floor(total / 2 ** 32), true);
  sections.forEach((s, i) => {
    const at = HEADER_BYTES + i * TABLE_ENTRY_BYTES;
    dv.setUint32(at, s.kind, true);
    dv.setUint32(at + 4, s.address, true);
    dv.setUint32(at + 8, s.length, true);
  });
  head.set(stateBytes, HEADER_BYTES + tableBytes);
  const hashes = runs.flatMap((r) => memoryHash(b, r.address, r.length));
  const sum = checksum(head, hashes);
  dv.setUint32(48, sum[0], true);
  dv.setUint32(52, sum[1], true);
  return { head, runs, totalBytes: total };
}

/** Bytes the core hashes per call: a memory section's hash is the list of
 *  its 1 MiB chunks' hashes (chunk i hashed with seed i). One call per
 *  chunk, not per section, because V8 runs a wasm function's first calls
 *  in its baseline tier and has no on-stack replacement for wasm: one call
 *  over a 3 GiB section ran entirely at ~0.5 GB/s, where the optimised
 *  code, in place after a few chunks, hashes at ~17 GB/s. */
export const HASH_CHUNK = 1 << 20;

/** The core's hashes of memory [address, address + length), one per
 *  HASH_CHUNK bytes (the last chunk may be shorter). */
export function memoryHash(b: Boundary, address: number, length: number): bigint[] {
  const out: bigint[] = [];
  for (let at = 0, i = 0; at < length; at += HASH_CHUNK, i++) {
    const n = Math.min(HASH_CHUNK, length - at);
    out.push(BigInt.asUintN(64, b.exports.imageHash(address + at, n, BigInt(i)) as unknown as bigint));
  }
  return out;
}

/** The image's checksum: the header (its checksum field read as zero),
 *  table and STATE bytes in `head`, then the MEMORY sections' chunk
 *  hashes, in order. */
export function checksum(head: Uint8Array, hashes: readonly bigint[]): [number, number] {
  const data = new Uint8Array(head.length + hashes.length * 8);
  data.set(head);
  data.fill(0, 48, 56);
  const dv = new DataView(data.buffer);
  for (let i = 0; i < hashes.length; i++) dv.setBigUint64(head.length + i * 8, hashes[i]!, true);
  return [hashBytesX(data, CHECK_SEEDS[0]) >>> 0, hashBytesX(data, CHECK_SEEDS[1]) >>> 0];
}

/** The image's bytes in file order, one piece per call: the head, then
 *  views of linear memory (at most `chunk` bytes each; taken when asked
 *  for, so a consumer that pulls slowly holds one at a time), each
 *  section's zero padding a fresh array. null after the last. */
export function imageViews(plan: ImagePlan, b: Boundary): (chunk: number) => Uint8Array | null {
  let run = -1; // -1: the head
  let at = 0;
  return (chunk) => {
    if (run === -1) {
      run = 0;
      return plan.head;
    }
    for (;;) {
      const r = plan.runs[run];
      if (!r) return null;
      if (at < r.length) {
        const n = Math.min(chunk, r.length - at);
        at += n;
        return b.u8.subarray(r.address + at - n, r.address + at);
      }
      run++;
      at = 0;
      const padding = pad8(r.length) - r.length;
      if (padding) return new Uint8Array(padding);
    }
  };
}

/** Write a planned image with `write`, which gets views into linear
 *  memory it must consume (copy or write out) before it returns or its
 *  promise settles. At most `chunk` bytes per call. */
export async function writeImage(
  plan: ImagePlan,
  b: Boundary,
  write: (bytes: Uint8Array) => void | Promise<void>,
  chunk = 64 * 1024 * 1024,
): Promise<void> {
  const next = imageViews(plan, b);
  for (let v = next(chunk); v !== null; v = next(chunk)) await write(v);
}

/** The same, synchronously, into one Uint8Array. */
export function imageBytes(plan: ImagePlan, b: Boundary): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(plan.totalBytes);
  out.set(plan.head);
  let at = plan.head.length;
  const u8 = b.u8;
  for (const r of plan.runs) {
    out.set(u8.subarray(r.address, r.address + r.length), at);
    at += pad8(r.length);
  }
  return out;
}

// -------------------------------------------------------------- restore

const fail = (reason: ConstructorParameters<typeof SnapshotError>[0], msg: string, cause?: unknown): SnapshotError =>
  new SnapshotError(reason, msg, cause === undefined ? undefined : { cause });

/** Parse and check the 64-byte header. `available` is the image's length
 *  when known (bytes in hand), or undefined (a stream). */
export function parseHeader(bytes: Uint8Array, available: number | undefined): ImageHeader {
  if (bytes.length < HEADER_BYTES) throw fail("truncated", `${bytes.length} bytes; a header alone is ${HEADER_BYTES}`);
  for (let i = 0; i < 8; i++) {
    if (bytes[i] !== MAGIC.charCodeAt(i))
      throw fail("magic", "not a gomap-wasm snapshot (the first 8 bytes are not GOMAPSNP)");
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, HEADER_BYTES);
  const version = dv.getUint32(8, true);
  if (version !== FORMAT_VERSION)
    throw fail("version", `format version ${version}; this gomap-wasm reads version ${FORMAT_VERSION}`);
  if (dv.getUint32(12, true) !== HEADER_BYTES) throw fail("sections", "the header size is not 64");
  const sections = dv.getUint32(24, true);
  const flags = dv.getUint32(28, true);
  const memoryPages = dv.getUint32(32, true);
  const maxPages = dv.getUint32(36, true);
  const totalBytes = dv.getUint32(40, true) + dv.getUint32(44, true) * 2 ** 32;
  if ((flags & ~1) !== 0) throw fail("sections", `unknown header flags ${flags}`);
  for (let i = 56; i < 64; i++) if (bytes[i] !== 0) throw fail("sections", "the header's reserved bytes are not zero");
  if (maxPages < 1 || maxPages > 65536 || memoryPages < 1 || memoryPages > maxPages)
    throw fail("sections", `memory of ${memoryPages} pages under a cap of ${maxPages} (64 KiB pages) is impossible`);
  if (sections < 2 || HEADER_BYTES + sections * TABLE_ENTRY_BYTES > totalBytes)
    throw fail("sections", `${sections} sections cannot fit in ${totalBytes} bytes`);
  // Every MEMORY section after the first is whole heap pages (8 KiB), so
  // there are at most 8 per 64 KiB of memory: a stream (whose length is
  // not known) cannot make the table's read allocate more than 8 MiB.
  if (sections > 2 + memoryPages * MAX_SECTIONS_PER_WASM_PAGE)
    throw fail("sections", `${sections} sections in ${memoryPages} pages of memory`);
  if (available !== undefined && available !== totalBytes) {
    throw fail(
      available < totalBytes ? "truncated" : "sections",
      `the header says ${totalBytes} bytes, the image has ${available}`,
    );
  }
  return {
    fingerprint: bytes.slice(16, 24),
    sections,
    debug: (flags & 1) !== 0,
    memoryPages,
    maxPages,
    totalBytes,
    checksum: [dv.getUint32(48, true), dv.getUint32(52, true)],
  };
}

/** Parse and check the section table: a STATE section first, then MEMORY
 *  sections in ascending, non-overlapping address order inside the
 *  image's memory, the lengths adding up to the total. */
export function parseTable(bytes: Uint8Array, h: ImageHeader): Section[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Section[] = [];
  const memBytes = h.memoryPages * WASM_PAGE;
  let total = HEADER_BYTES + h.sections * TABLE_ENTRY_BYTES;
  let prevEnd = 0;
  for (let i = 0; i < h.sections; i++) {
    const at = i * TABLE_ENTRY_BYTES;
    const kind = dv.getUint32(at, true),
      address = dv.getUint32(at + 4, true),
      length = dv.getUint32(at + 8, true);
    if (dv.getUint32(at + 12, true) !== 0) throw fail("sections", `section ${i}: reserved field not zero`);
    if (i === 0) {
      if (kind !== SECTION_STATE || address !== 0) throw fail("sections", "the first section is not the STATE section");
      if (length > MAX_STATE_BYTES)
        throw fail("too-large", `a STATE section of ${length} bytes (at most ${MAX_STATE_BYTES})`);
    } else {
      if (kind !== SECTION_MEMORY) throw fail("sections", `section ${i}: unknown kind ${kind}`);
      if (length === 0 || address < prevEnd || address + length > memBytes || (i === 1 && address !== 0))
        throw fail(
          "sections",
          `section ${i}: ${length} bytes at ${address} fall outside the image's memory or overlap`,
        );
      prevEnd = address + length;
    }
    total += pad8(length);
    out.push({ kind, address, length });
  }
  if (total !== h.totalBytes)
    throw fail("sections", `the sections add up to ${total} bytes, the header says ${h.totalBytes}`);
  return out;
}

/** Parse the STATE section's JSON and check its shape against the core's
 *  globals (`names`: every "state:" export, each exactly once). */
export function parseState(bytes: Uint8Array, names: readonly string[]): ImageState {
  let s: ImageState;
  try {
    s = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes)) as ImageState;
  } catch (e) {
    throw fail("state", "the STATE section is not UTF-8 JSON", e);
  }
  const isObj = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);
  if (!isObj(s) || !isObj(s.globals) || !isObj(s.host) || !Array.isArray(s.maps))
    throw fail("state", "the STATE section lacks globals, host or maps");
  const g = s.globals;
  const keys = Object.keys(g);
  if (keys.length !== names.length || names.some((n) => !Object.hasOwn(g, n)))
    throw fail("state", "the image's core globals differ from this core's");
  const host = s.host;
  for (const k of ["maxMemory", "memProfileRate", "gcPercent", "timeOrigin"] as const) {
    if (typeof host[k] !== "number" || !Number.isFinite(host[k])) throw fail("state", `host.${k} is not a number`);
  }
  const seen = new Set<string>();
  for (const m of s.maps as unknown[]) {
    if (!isObj(m) || typeof m.name !== "string" || typeof m.key !== "string" || typeof m.value !== "string")
      throw fail("state", "a map table entry lacks name, key or value");
    if (typeof m.h !== "number" || !Number.isInteger(m.h) || m.h <= 0 || m.h >= 2 ** 32)
      throw fail("state", `map ${JSON.stringify(m.name)}: bad hmap address`);
    if (seen.has(m.name)) throw fail("state", `map name ${JSON.stringify(m.name)} appears twice`);
    seen.add(m.name);
  }
  return s;
}

/** Core globals that only live during one core call (its operation, its
 *  scratch results, the verifier's counters): whatever an image says, a
 *  restore leaves them as a fresh instance has them. A crafted image could
 *  otherwise start the runtime mid-operation (an entry label set: the next
 *  write aborts) or with references adopted instead of copied. */
const PER_CALL_GLOBALS =
  /^assembly\/(mem\/mprof\/(allocSite|entryOp)|map\/access\/foundBucket|map\/make\/(lastNextOverflow|reserveNext|reserveLeft)|map\/assign\/adopt(Key|Value)Refs|map\/batch\/lastBatch(Status|Count)|mem\/heapwalk\/walkCount|map\/longkey\/lk\w+|map\/check\/(ovfCount|infoOut)|map\/verify\/v\w+)$/;

/** Core globals that are the core's layout, computed when it starts (the
 *  bucket sizes of the map shapes): an image must hold exactly the fresh
 *  instance's values. */
const LAYOUT_GLOBALS = /^assembly\/map\/api\/BUCKET_\w+_size$/;

/** Set the core's globals from the image (parseState checked the names). */
export function setGlobals(b: Boundary, globals: ImageState["globals"]): void {
  for (const [name, g] of b.stateGlobals()) {
    const v = globals[name];
    if (PER_CALL_GLOBALS.test(name)) continue; // a fresh instance's value stays
    if (LAYOUT_GLOBALS.test(name)) {
      if (v !== globalValue(g))
        throw fail("state", `core global ${name}: ${JSON.stringify(v)} is not this core's layout`);
      continue;
    }
    const cur = g.value as unknown;
    try {
      if (typeof cur === "bigint") {
        if (typeof v !== "string" || !/^\d{1,20}$/.test(v)) throw new Error("not a decimal i64");
        g.value = BigInt.asIntN(64, BigInt(v));
      } else if (typeof v === "string" && /^f:[0-9a-f]{16}$/.test(v)) {
        const dv = new DataView(new ArrayBuffer(8));
        dv.setUint32(4, Number.parseInt(v.slice(2, 10), 16), true);
        dv.setUint32(0, Number.parseInt(v.slice(10), 16), true);
        g.value = dv.getFloat64(0, true);
      } else if (typeof v === "number" && Number.isInteger(v)) {
        g.value = v;
      } else throw new Error("not a number");
    } catch (e) {
      throw fail("state", `core global ${name}: ${JSON.stringify(v)} (${(e as Error).message})`);
    }
  }
}

/** Verify the restored instance: the checksum over what was read, then
 *  the core's structural checks of the heap and of every map. */
export function verifyImage(b: Boundary, head: Uint8Array, header: ImageHeader, runs: readonly Section[]): void {
  const hashes = runs.flatMap((r) => memoryHash(b, r.address, r.length));
  const sum = checksum(head, hashes);
  if (sum[0] !== header.checksum[0] || sum[1] !== header.checksum[1])
    throw fail("checksum", "the checksum does not match: the image is damaged");
}

/** Where a restore reads the image from, in order. */
export interface ImageReader {
  /** The image's length when known (bytes in hand, a file), else undefined. */
  readonly size: number | undefined;
  /** The next n bytes (a view the reader may reuse after the next call),
   *  or SnapshotError "truncated" when the image ends first. */
  read(n: number): Uint8Array | Promise<Uint8Array>;
  /** Fill `dst` with the next dst.length bytes (straight into linear
   *  memory: no second copy of the image). */
  readInto(dst: Uint8Array): void | Promise<void>;
  /** Called after the last section: a source of unknown length (a
   *  stream) checks that it ends there (SnapshotError "sections" else). */
  end?(): void | Promise<void>;
}

/** A reader over bytes in hand. */
export function bytesReader(image: Uint8Array): ImageReader {
  let at = 0;
  const take = (n: number): Uint8Array => {
    if (at + n > image.length) throw fail("truncated", `the image ends at ${image.length} bytes, ${at + n} needed`);
    const v = image.subarray(at, at + n);
    at += n;
    return v;
  };
  return { size: image.length, read: take, readInto: (dst) => dst.set(take(dst.length)) };
}

/** The names of a core's mutable globals (its "state:" exports). */
export function stateNames(module: WebAssembly.Module): string[] {
  return WebAssembly.Module.exports(module)
    .filter((e) => e.kind === "global" && e.name.startsWith("state:"))
    .map((e) => e.name.slice(6));
}

/** A restored instance whose image passed the checksum and the core's
 *  structural checks, with what the STATE section said. */
export interface RestoredImage {
  b: Boundary;
  header: ImageHeader;
  state: ImageState;
}

/** Read an image into a fresh instance of `module` and check it: header,
 *  table and STATE section first (nothing is allocated before they pass),
 *  then the memory sections straight into the new linear memory, the
 *  checksum, the globals, and the core's structural checks (verify). */
export async function readImage(
  module: WebAssembly.Module,
  debug: boolean,
  reader: ImageReader,
  instantiate: (maxPages: number, initialPages: number) => Boundary,
  verify: (b: Boundary, state: ImageState, memPages: number) => void,
): Promise<RestoredImage> {
  const fp = coreFingerprint(module);
  if (!fp) throw fail("fingerprint", "this core has no fingerprint section (it was not built by gomap-wasm's build)");
  const head64 = (await reader.read(HEADER_BYTES)).slice();
  const header = parseHeader(head64, reader.size);
  if (header.fingerprint.some((x, i) => x !== fp[i])) {
    throw fail(
      "fingerprint",
      header.debug !== debug
        ? `the image was made by the ${header.debug ? "debug" : "release"} core; restore it with { debug: ${header.debug} }`
        : "the image was made by another build of the core (another gomap-wasm version): its memory layout may differ",
    );
  }
  const table = (await reader.read(header.sections * TABLE_ENTRY_BYTES)).slice();
  const sections = parseTable(table, header);
  const stateLen = sections[0]!.length;
  const stateBytes = (await reader.read(pad8(stateLen))).slice();
  const state = parseState(stateBytes.subarray(0, stateLen), stateNames(module));
  const head = new Uint8Array(HEADER_BYTES + table.length + stateBytes.length);
  head.set(head64);
  head.set(table, HEADER_BYTES);
  head.set(stateBytes, HEADER_BYTES + table.length);

  const b = instantiate(header.maxPages, header.memoryPages);
  const runs = sections.slice(1);
  for (const r of runs) {
    await reader.readInto(b.u8.subarray(r.address, r.address + r.length));
    const padding = pad8(r.length) - r.length;
    if (padding) {
      const p = await reader.read(padding);
      if (p.some((x) => x !== 0)) throw fail("sections", "padding bytes are not zero");
    }
  }
  await reader.end?.();
  verifyImage(b, head, header, runs);
  setGlobals(b, state.globals);
  b.adoptImage();
  verify(b, state, header.memoryPages);
  return { b, header, state };
}

/** The core's structural checks of a restored heap and of every map of
 *  the table (assembly/mem/verify.ts, assembly/map/verify.ts): each
 *  terminates on any memory contents and reads only inside memory. */
export function verifyStructure(b: Boundary, state: ImageState, memPages: number): void {
  const kinds = state.maps.map((m) => {
    // Exact names only: "ſtring".toUpperCase() is "STRING".
    const known = (x: string): boolean => (KIND_NAMES as readonly string[]).includes(x);
    if (!known(m.key) || !known(m.value))
      throw fail("maps", `map ${JSON.stringify(m.name)}: unknown kinds ${m.key}→${m.value}`);
    const k = b.kindCodes.get(m.key.toUpperCase())!,
      v = b.kindCodes.get(m.value.toUpperCase())!;
    return k | (v << 8);
  });
  const ex = b.exports;
  const codes = b.enumOf("VerifyFailure");
  const nameOf = (code: number): string => [...codes].find(([, v]) => v === code)?.[0] ?? `code ${code}`;
  const heap = ex.verifyHeap(memPages) >>> 0;
  if (heap !== 0) throw fail("structure", `the heap fails the core's check ${nameOf(heap)}`);
  // Each map's arrays and extra record belong to it alone (verifyMap checks
  // one map at a time; two hmaps sharing a bucket array would each pass).
  const owner = new Map<number, number>();
  const L = b.hmap;
  for (const m of state.maps) {
    for (const f of [L.buckets, L.oldbuckets, L.extra]) {
      const p = b.u32[(m.h + f) >>> 2];
      if (p === undefined || p === 0) continue;
      const o = owner.get(p);
      if (o !== undefined && o !== m.h)
        throw fail("maps", `map ${JSON.stringify(m.name)} shares memory (at ${p}) with another map`);
      owner.set(p, m.h);
    }
  }
  state.maps.forEach((m, i) => {
    const r = ex.verifyMap(m.h, kinds[i]!) >>> 0;
    if (r !== 0) throw fail("maps", `map ${JSON.stringify(m.name)} fails the core's check ${nameOf(r)}`);
    const why = overflowListsOk(b, m);
    if (why) throw fail("maps", `map ${JSON.stringify(m.name)}: ${why}`);
  });
}

/** The part of a map's check that wants a hash set (verifyMap proved the
 *  rest: every pointer below is the base of a bucket of this map's shape,
 *  every chain ends, and the new array's list is as long as its chains'
 *  overflow buckets): the new array's overflow list holds each of its
 *  chains' overflow buckets exactly once, and the old array's list holds
 *  every overflow bucket of the old chains. The collector keeps a noscan
 *  map's overflow buckets alive through these lists: a bucket missing from
 *  them would be freed while its chain still links it. O(buckets). */
export function overflowListsOk(b: Boundary, m: ImageMap): string | null {
  const u8 = b.u8,
    u32 = b.u32;
  const L = b.hmap;
  const lay = b.bucketLayout(coreSuffix(m.key as KindName, m.value as KindName));
  const h = m.h;
  const extra = u32[(h + L.extra) >>> 2]!;
  if (extra === 0) return null; // verifyMap: no chain has an overflow bucket then
  const at = (field: string): number => u32[(extra + b.constant(`MAPEXTRA_${field}`)) >>> 2]!;
  const B = u8[h + L.B]!;
  // A bitmap over the list's address range, one bit per 4 bytes (buckets
  // are 4-aligned; verifyMap proved every entry is a bucket): a JS Set holds
  // at most 2^24 entries, and a 4 GiB map's list has more.
  const walk = (array: number, n: number, list: number, len: number, exact: boolean): string | null => {
    if (array === 0) return null;
    let lo = 2 ** 32,
      hi = 0;
    for (let i = 0; i < len; i++) {
      const q = u32[(list >>> 2) + i]!;
      if (q < lo) lo = q;
      if (q > hi) hi = q;
    }
    const bits = new Uint8Array(len === 0 ? 0 : Math.floor((hi - lo) / 32) + 1);
    for (let i = 0; i < len; i++) {
      const k = (u32[(list >>> 2) + i]! - lo) >>> 2;
      const bit = 1 << (k & 7);
      if (exact && (bits[k >>> 3]! & bit) !== 0) return `overflow bucket ${u32[(list >>> 2) + i]} is listed twice`;
      bits[k >>> 3]! |= bit;
    }
    // Each chain bucket clears its bit: a bucket not listed, or reached a
    // second time (on two chains), finds it clear.
    for (let j = 0; j < n; j++) {
      for (let p = u32[(array + j * lay.size + lay.overflow) >>> 2]!; p !== 0; p = u32[(p + lay.overflow) >>> 2]!) {
        const k = (p - lo) >>> 2;
        const bit = 1 << (k & 7);
        if (p < lo || p > hi || (bits[k >>> 3]! & bit) === 0)
          return `overflow bucket ${p} of chain ${j} is not on its array's overflow list, or is on two chains`;
        bits[k >>> 3]! &= ~bit;
      }
    }
    return null;
  };
  const buckets = u32[(h + L.buckets) >>> 2]!,
    oldbuckets = u32[(h + L.oldbuckets) >>> 2]!;
  const sameSize = (u8[h + L.flags]! & b.sameSizeFlag) !== 0;
  return (
    walk(buckets, 2 ** B, at("overflow"), at("overflowLen"), true) ??
    walk(oldbuckets, sameSize ? 2 ** B : 2 ** (B - 1), at("oldoverflow"), at("oldoverflowLen"), false)
  );
}
