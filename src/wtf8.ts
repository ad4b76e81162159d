/**
 * WTF-8: UTF-8 that also encodes lone surrogates (as the 3-byte sequences
 * UTF-8 would give U+D800..U+DFFF), so every JS string — well-formed or
 * not — has exactly one byte sequence and two different strings never share
 * one. A TextEncoder would turn every lone surrogate into U+FFFD, making
 * "\uD800" and "\uDBFF" the same key. For well-formed strings WTF-8 is
 * UTF-8, byte for byte.
 *
 * Encoding picks the fastest correct path: a charCodeAt loop for short
 * strings (ASCII stays one byte per char), `TextEncoder.encodeInto` for long
 * well-formed ones, a manual WTF-8 loop otherwise. Decoding: a byte loop for
 * short ASCII, `TextDecoder` (fatal) for UTF-8, a manual WTF-8 decoder when
 * the bytes hold encoded surrogates.
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
/** Below this many chars the charCodeAt loop beats encodeInto (measured
 *  on Node 20: ~16–32). */
const SHORT = 24;

/** Upper bound of the encoded length. */
export function maxBytes(s: string): number {
  return s.length * 3;
}

/** Encode s into u8 at `at`; returns the number of bytes written. u8 must
 *  have room for maxBytes(s). */
export function encodeInto(s: string, u8: Uint8Array, at: number): number {
  const n = s.length;
  if (n <= SHORT) {
    let i = 0;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) break;
      u8[at + i] = c;
    }
    if (i === n) return n;
    return i + encodeSlow(s, i, u8, at + i);
  }
  if (s.isWellFormed()) {
    return encoder.encodeInto(s, viewAt(u8, at)).written;
  }
  return encodeSlow(s, 0, u8, at);
}

// encodeInto needs a view that starts at `at`; making one costs ~40 ns, so
// the last two (the host's key and value places) are kept.
let viewU8A: Uint8Array | null = null,
  viewAtA = -1,
  viewA: Uint8Array | null = null;
let viewU8B: Uint8Array | null = null,
  viewAtB = -1,
  viewB: Uint8Array | null = null;

function viewAt(u8: Uint8Array, at: number): Uint8Array {
  if (u8 === viewU8A && at === viewAtA) return viewA!;
  if (u8 === viewU8B && at === viewAtB) return viewB!;
  const v = u8.subarray(at);
  viewU8B = viewU8A;
  viewAtB = viewAtA;
  viewB = viewA;
  viewU8A = u8;
  viewAtA = at;
  viewA = v;
  return v;
}

function encodeSlow(s: string, from: number, u8: Uint8Array, at: number): number {
  let p = at;
  const n = s.length;
  for (let i = from; i < n; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      u8[p++] = c;
      continue;
    }
    if (c < 0x800) {
      u8[p++] = 0xc0 | (c >> 6);
      u8[p++] = 0x80 | (c & 0x3f);
      continue;
    }
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
        u8[p++] = 0xf0 | (c >> 18);
        u8[p++] = 0x80 | ((c >> 12) & 0x3f);
        u8[p++] = 0x80 | ((c >> 6) & 0x3f);
        u8[p++] = 0x80 | (c & 0x3f);
        continue;
      }
    }
    // Any other BMP code unit, lone surrogates included: 3 bytes.
    u8[p++] = 0xe0 | (c >> 12);
    u8[p++] = 0x80 | ((c >> 6) & 0x3f);
    u8[p++] = 0x80 | (c & 0x3f);
  }
  return p - at;
}

/** Decode n bytes of WTF-8 at u8[at..]. */
export function decode(u8: Uint8Array, at: number, n: number): string {
  if (n <= SHORT) {
    let s = "";
    for (let i = 0; i < n; i++) {
      const b = u8[at + i]!;
      if (b >= 0x80) return decodeSlow(u8, at, n);
      s += String.fromCharCode(b);
    }
    return s;
  }
  try {
    return decoder.decode(u8.subarray(at, at + n));
  } catch {
    return decodeSlow(u8, at, n);
  }
}

function decodeSlow(u8: Uint8Array, at: number, n: number): string {
  const end = at + n;
  const units: number[] = [];
  let p = at;
  while (p < end) {
    const b = u8[p]!;
    if (b < 0x80) {
      units.push(b);
      p += 1;
    } else if (b < 0xe0) {
      units.push(((b & 0x1f) << 6) | (u8[p + 1]! & 0x3f));
      p += 2;
    } else if (b < 0xf0) {
      units.push(((b & 0x0f) << 12) | ((u8[p + 1]! & 0x3f) << 6) | (u8[p + 2]! & 0x3f));
      p += 3;
    } else {
      const c = ((b & 0x07) << 18) | ((u8[p + 1]! & 0x3f) << 12) | ((u8[p + 2]! & 0x3f) << 6) | (u8[p + 3]! & 0x3f);
      const v = c - 0x10000;
      units.push(0xd800 + (v >> 10), 0xdc00 + (v & 0x3ff));
      p += 4;
    }
  }
  let s = "";
  for (let i = 0; i < units.length; i += 4096) s += String.fromCharCode(...units.slice(i, i + 4096));
  return s;
}
