/**
 * Compaction's copy: one map's live entries from an old instance into a
 * right-sized map of a fresh instance (`rt.compact()`, src/runtime.ts).
 *
 * The host walks the old map's buckets directly (both arrays while it
 * grows: an old bucket not evacuated yet holds its entries, an evacuated
 * one is skipped; every overflow chain), packs live keys and values into
 * the new instance's scratch area in the batch format (numbers raw;
 * strings/bytes as a table of (ptr, len) references followed by their
 * bytes) and inserts them with one `setMany` per chunk. The new map is made
 * with hint = count, so it never grows while filling: what `shrink()` would
 * pick. Nothing in the old instance is written.
 */
import type { Boundary } from "./boundary.js";
import type { KindName } from "./maptypes.js";
import { HALF_SCRATCH, writeRef } from "./batch.js";

/** Scratch layout per side (src/batch.ts's format): a reference table of
 *  at most TABLE entries, then the bytes of the strings. */
const HALF = HALF_SCRATCH;
const TABLE = 1024;
const BYTES_AT = TABLE * 8;

export interface MapToCopy {
  suffix: string;
  key: KindName;
  value: KindName;
  h: number;
  /** Root slot the new map is stored in (the same slot number as before). */
  root: number;
}

const isRef = (k: KindName): boolean => k === "string" || k === "bytes";

/** Copy; returns the new hmap, or 0 when the new instance ran out of memory. */
export function copyMap(ob: Boundary, nb: Boundary, m: MapToCopy): number {
  const { count, hash0, kinds, B, oldB, buckets, oldbuckets } = ob.readHmap(m.h);
  const ops = nb.mapOps(m.suffix);
  const nh = ops.makemap(count, hash0, kinds, m.root) >>> 0;
  if (nh === 0) return 0;
  if (count === 0) return nh;

  const shape = ob.bucketLayout(m.suffix);
  const ks = (shape.values - shape.keys) / 8;
  const vs = (shape.overflow - shape.values) / 8;
  const keyRef = isRef(m.key), valRef = isRef(m.value);
  const kBase = nb.scratchBase, vBase = kBase + HALF;
  const cap = Math.min(keyRef || valRef ? TABLE : Infinity, Math.floor(HALF / ks), Math.floor(HALF / vs));
  let n = 0;
  let kBytes = kBase + BYTES_AT, vBytes = vBase + BYTES_AT;
  let failed = false;

  // Views: the old instance does not grow during the copy; the new one may
  // (in setMany), so its view is taken again after every flush.
  const ou8 = ob.u8, ou32 = ob.u32;
  const { minTopHash, evacuatedX, evacuatedEmpty } = ob.tophash;
  let nu32 = nb.u32;
  const flush = (): void => {
    if (n === 0 || failed) return;
    const done = ops.setMany(nh, kBase, vBase, n) >>> 0;
    if (done < n) failed = true;
    n = 0;
    kBytes = kBase + BYTES_AT;
    vBytes = vBase + BYTES_AT;
    nu32 = nb.u32;
  };
  /** Copy a 4- or 8-byte number (addresses are 4-aligned). */
  const copyWords = (src: number, dst: number, size: number): void => {
    nu32[dst >>> 2] = ou32[src >>> 2]!;
    if (size === 8) nu32[(dst >>> 2) + 1] = ou32[(src >>> 2) + 1]!;
  };

  const area = HALF - BYTES_AT;
  /** Bytes a reference needs in the byte area (numeric sides: 0). */
  const refLen = (src: number): number => ou32[(src >>> 2) + 1]!;

  /** Copy a reference's bytes to dst and write the (ptr, len) entry at `at`. */
  const placeRef = (src: number, dst: number, at: number): void => {
    const p = ou32[src >>> 2]!, len = ou32[(src >>> 2) + 1]!;
    nb.u8.set(ou8.subarray(p, p + len), dst);
    writeRef(nu32, at, 0, dst, len);
  };

  /** An entry with a string longer than the scratch area: its references
   *  become heap objects of the new instance right away, and a batch of
   *  one adopts them (no second copy: the heap does not hold it twice). */
  const emitLong = (kp: number, vp: number): void => {
    flush();
    if (failed) return;
    const obj = (src: number, at: number): boolean => {
      const len = refLen(src);
      let dst = 0;
      if (len > 0) {
        dst = nb.alloc(len, true);
        if (dst === 0) return false;
        nu32 = nb.u32;
      }
      placeRef(src, dst, at);
      return true;
    };
    if (keyRef ? !obj(kp, kBase) : (copyWords(kp, kBase, ks), false)) return void (failed = true);
    if (valRef ? !obj(vp, vBase) : (copyWords(vp, vBase, vs), false)) return void (failed = true);
    nb.setAdoptRefs(keyRef, valRef);
    n = 1;
    flush();
    nb.setAdoptRefs(false, false);
  };

  const emit = (kp: number, vp: number): void => {
    const kn = keyRef ? refLen(kp) : 0, vn = valRef ? refLen(vp) : 0;
    if (kn > area || vn > area) return emitLong(kp, vp);
    if (n === cap || kBytes + kn > kBase + HALF || vBytes + vn > vBase + HALF) flush();
    if (failed) return;
    if (keyRef) {
      placeRef(kp, kBytes, kBase + n * 8);
      kBytes += kn;
    } else {
      copyWords(kp, kBase + n * ks, ks);
    }
    if (valRef) {
      placeRef(vp, vBytes, vBase + n * 8);
      vBytes += vn;
    } else {
      copyWords(vp, vBase + n * vs, vs);
    }
    n++;
  };

  const chain = (b: number): void => {
    for (let p = b; p !== 0 && !failed; p = ou32[(p + shape.overflow) >>> 2]!) {
      for (let i = 0; i < 8; i++) {
        if (ou8[p + i]! >= minTopHash) emit(p + shape.keys + i * ks, p + shape.values + i * vs);
      }
    }
  };

  if (oldbuckets !== 0) {
    const nold = 2 ** oldB;
    for (let j = 0; j < nold && !failed; j++) {
      const b = oldbuckets + j * shape.size;
      const t0 = ou8[b]!;
      if (t0 >= evacuatedX && t0 <= evacuatedEmpty) continue; // evacuated: its entries are in the new array
      chain(b);
    }
  }
  if (buckets !== 0) {
    const nb2 = 2 ** B;
    for (let j = 0; j < nb2 && !failed; j++) chain(buckets + j * shape.size);
  }
  flush();
  if (failed) return 0;
  const got = nb.readHmap(nh).count;
  if (got !== count) throw new Error(`compaction copied ${got} of ${count} entries (a bug: please report)`);
  return nh;
}
