// Tools for tests that edit snapshot images: a JS twin of the core's
// imageHash (BigInt arithmetic: slow, fine for test-sized images) and
// reseal(), which recomputes an edited image's checksum so that the
// structural checks, not the checksum, are what must catch the edit.
import {
  checksum,
  HASH_CHUNK,
  HEADER_BYTES,
  parseHeader,
  parseTable,
  SECTION_MEMORY,
  TABLE_ENTRY_BYTES,
  type Section,
} from "../src/snapshot.js";

const M64 = (1n << 64n) - 1n;
const P1 = 0x9e3779b185ebca87n;
const P2 = 0xc2b2ae3d27d4eb4fn;
const P3 = 0x165667b19e3779f9n;
const rotl = (x: bigint, r: bigint): bigint => ((x << r) | (x >> (64n - r))) & M64;
const lane = (acc: bigint, w: bigint): bigint => rotl(((acc ^ w) * P1) & M64, 29n);
function avalanche(h: bigint): bigint {
  h ^= h >> 33n;
  h = (h * P2) & M64;
  h ^= h >> 29n;
  h = (h * P3) & M64;
  h ^= h >> 32n;
  return h;
}

/** assembly/mem/imagehash.ts's imageHash, in JS. */
export function imageHashJS(bytes: Uint8Array, seed = 0n): bigint {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let a = seed ^ P2,
    b = (seed + P3) & M64,
    c = ~seed & M64,
    d = (seed - P1) & M64;
  const len = bytes.length;
  const whole = len & ~31;
  let p = 0;
  for (; p < whole; p += 32) {
    a = lane(a, dv.getBigUint64(p, true));
    b = lane(b, dv.getBigUint64(p + 8, true));
    c = lane(c, dv.getBigUint64(p + 16, true));
    d = lane(d, dv.getBigUint64(p + 24, true));
  }
  const rest = len & 31;
  let i = 0;
  for (; i + 8 <= rest; i += 8) a = lane(a, dv.getBigUint64(p + i, true));
  let w = 0n,
    shift = 0n;
  for (; i < rest; i++, shift += 8n) w |= BigInt(bytes[p + i]!) << shift;
  b = lane(b, w);
  let h = (BigInt(len) * P3) & M64;
  h = (avalanche(h ^ a) * P1) & M64;
  h = (avalanche(h ^ b) * P1) & M64;
  h = (avalanche(h ^ c) * P1) & M64;
  return avalanche(h ^ d);
}

/** n rounded up to a multiple of 8 (arithmetic, not bitwise: a memory
 *  section may be longer than 2^31 bytes, past what `&` keeps). */
const pad8 = (n: number): number => Math.ceil(n / 8) * 8;

/** The image's sections with the file offset of each one's bytes. */
export function sectionsOf(img: Uint8Array): (Section & { offset: number })[] {
  const h = parseHeader(img, img.length);
  const table = img.subarray(HEADER_BYTES, HEADER_BYTES + h.sections * TABLE_ENTRY_BYTES);
  let at = HEADER_BYTES + table.length;
  return parseTable(table, h).map((s) => {
    const out = { ...s, offset: at };
    at += pad8(s.length);
    return out;
  });
}

/** Recompute the checksum of an (edited) image in place; returns it. The
 *  header and table must still parse. */
export function reseal(img: Uint8Array): Uint8Array {
  const secs = sectionsOf(img);
  const state = secs[0]!;
  const head = img.subarray(0, state.offset + pad8(state.length));
  const hashes = secs
    .filter((s) => s.kind === SECTION_MEMORY)
    .flatMap((s) => {
      const out: bigint[] = [];
      for (let at = 0, i = 0; at < s.length; at += HASH_CHUNK, i++)
        out.push(imageHashJS(img.subarray(s.offset + at, s.offset + Math.min(s.length, at + HASH_CHUNK)), BigInt(i)));
      return out;
    });
  const [lo, hi] = checksum(head, hashes);
  const dv = new DataView(img.buffer, img.byteOffset, img.byteLength);
  dv.setUint32(48, lo, true);
  dv.setUint32(52, hi, true);
  return img;
}

/** The STATE section's JSON. */
export function stateOf(img: Uint8Array): Record<string, unknown> {
  const s = sectionsOf(img)[0]!;
  return JSON.parse(new TextDecoder().decode(img.subarray(s.offset, s.offset + s.length)));
}

/** A copy of `img` with its STATE section replaced by `state` (JSON),
 *  the table, total and checksum made consistent. */
export function withState(img: Uint8Array, state: unknown): Uint8Array {
  const secs = sectionsOf(img);
  const old = secs[0]!;
  const bytes = new TextEncoder().encode(JSON.stringify(state));
  const before = img.subarray(0, old.offset);
  const after = img.subarray(old.offset + pad8(old.length));
  const out = new Uint8Array(before.length + pad8(bytes.length) + after.length);
  out.set(before);
  out.set(bytes, before.length);
  out.set(after, before.length + pad8(bytes.length));
  const dv = new DataView(out.buffer);
  dv.setUint32(HEADER_BYTES + 8, bytes.length, true);
  dv.setUint32(40, out.length % 2 ** 32, true);
  dv.setUint32(44, Math.floor(out.length / 2 ** 32), true);
  return reseal(out);
}
