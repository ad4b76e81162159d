// grid.js — draws one bucket array of a picture (slots.js) on a canvas.
//
// "slots": a bucket is a tile of 8 slot squares (slots 0–3 on top, 4–7
// below), tiles in address order left to right; a bucket's overflow chain
// hangs below its tile (outlined, joined by a line; chains longer than
// CHAIN_DRAWN end in a red bar). In the old array a red line marks
// nevacuate: every old bucket below it has been evacuated.
// "groups": one square per group of buckets, shaded from empty to live by
// the group's live fraction (evacuated slots push it toward the evacuated
// colour); a dark corner marks groups with overflow buckets.
// "summary": one stacked bar of the tophash totals.
//
// drawArray returns the geometry it used, so the page can hit-test the
// pointer and the test can sample a slot's pixel.
import { STATES, STATE_INDEX } from "./slots.js";

/**
 * @typedef {import("./slots.js").Picture} Picture
 * @typedef {import("./slots.js").ArrayPicture} ArrayPicture
 * @typedef {[number, number, number]} RGBTriple
 */

const CHAIN_DRAWN = 3;
const RGB = STATES.map((s) => hexRGB(s.color));

/** @param {string} hex "#rrggbb" @returns {RGBTriple} */
function hexRGB(hex) {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** @param {RGBTriple} rgb */
const rgb = ([r, g, b]) => `rgb(${r | 0},${g | 0},${b | 0})`;
/** @param {RGBTriple} a @param {RGBTriple} b @param {number} t */
const mix = (a, b, t) =>
  /** @type {RGBTriple} */ (/** @type {(0 | 1 | 2)[]} */ ([0, 1, 2]).map((i) => a[i] + (b[i] - a[i]) * t));

/** Slot square size (CSS px) for a bucket count. @param {number} n */
function slotSize(n) {
  return n <= 16 ? 14 : n <= 64 ? 10 : n <= 256 ? 7 : n <= 1024 ? 5 : 3;
}

/** Size the canvas for `height` CSS px at the device pixel ratio.
 *  @param {HTMLCanvasElement} canvas @param {number} width @param {number} height */
function prepare(canvas, width, height) {
  const dpr = globalThis.devicePixelRatio || 1;
  canvas.width = Math.max(1, Math.round(width * dpr));
  canvas.height = Math.max(1, Math.round(height * dpr));
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  const ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext("2d")); // a canvas has a 2d context
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, width, height);
  return ctx;
}

/** Draw one array; returns its geometry.
 *  (Arrays of a "summary" picture are SummaryArrays; otherwise group > 1 means
 *  a GroupsArray, group 1 a SlotsArray.)
 *  @param {HTMLCanvasElement} canvas @param {Picture} picture @param {ArrayPicture} array @param {number} width */
export function drawArray(canvas, picture, array, width) {
  if (picture.mode === "summary") return drawSummary(canvas, picture, array, width);
  if (array.group > 1)
    return drawGroups(canvas, picture, /** @type {import("./slots.js").GroupsArray} */ (array), width);
  return drawSlots(canvas, picture, /** @type {import("./slots.js").SlotsArray} */ (array), width);
}

/** @param {HTMLCanvasElement} canvas @param {Picture} picture @param {import("./slots.js").SlotsArray} a @param {number} width */
function drawSlots(canvas, picture, a, width) {
  const n = a.nbuckets;
  // One slot size for both arrays while growing: old and new side by side
  // at the same scale.
  const s = slotSize(Math.max(...picture.arrays.map((x) => x.nbuckets)));
  const inner = s >= 7 ? 1 : 0; // a hairline between slots when they are big enough
  const tileW = 4 * s,
    tileH = 2 * s;
  const gapX = s >= 7 ? 5 : 2;
  const chainGap = Math.max(2, s >> 1);
  const pitchX = tileW + gapX;
  const cols = Math.max(1, Math.floor((width + gapX) / pitchX));
  const rows = Math.ceil(n / cols);
  // Each row is as tall as its longest drawn chain.
  const rowY = new Float64Array(rows + 1);
  for (let r = 0; r < rows; r++) {
    let deepest = 0;
    for (let i = r * cols; i < Math.min(n, (r + 1) * cols); i++)
      deepest = Math.max(deepest, Math.min(CHAIN_DRAWN, /** @type {number} */ (a.chainLength[i])));
    rowY[r + 1] = /** @type {number} */ (rowY[r]) + tileH + deepest * (tileH + chainGap) + gapX;
  }
  const height = Math.max(tileH, /** @type {number} */ (rowY[rows]));
  const ctx = prepare(canvas, width, height);
  /** @param {number} x @param {number} y @param {Uint8Array} states 8 state indexes @param {boolean} outlined */
  const tile = (x, y, states, outlined) => {
    for (let k = 0; k < 8; k++) {
      ctx.fillStyle = /** @type {import("./slots.js").State} */ (STATES[/** @type {number} */ (states[k])]).color;
      ctx.fillRect(x + (k & 3) * s, y + (k >> 2) * s, s - inner, s - inner);
    }
    if (outlined && s >= 5) {
      ctx.strokeStyle = "#37474f";
      ctx.lineWidth = 1;
      ctx.strokeRect(x - 0.5, y - 0.5, tileW - inner + 1, tileH - inner + 1);
    }
  };
  for (let i = 0; i < n; i++) {
    const x = (i % cols) * pitchX,
      y = /** @type {number} */ (rowY[(i / cols) | 0]);
    tile(x, y, a.slots.subarray(i * 8, i * 8 + 8), false);
    const chain = /** @type {Uint8Array[]} */ (a.chains[i]);
    const drawn = Math.min(CHAIN_DRAWN, chain.length);
    if (drawn > 0) {
      ctx.fillStyle = "#37474f";
      ctx.fillRect(x + (tileW >> 1) - 0.5, y + tileH - inner, 1, drawn * (tileH + chainGap) - chainGap + inner);
    }
    for (let c = 0; c < drawn; c++)
      tile(x, y + (c + 1) * (tileH + chainGap), /** @type {Uint8Array} */ (chain[c]), true);
    if (/** @type {number} */ (a.chainLength[i]) > CHAIN_DRAWN) {
      ctx.fillStyle = "#d32f2f";
      ctx.fillRect(x, y + (drawn + 1) * (tileH + chainGap) - chainGap, tileW, Math.max(1, chainGap - 1));
    }
  }
  if (a.role === "old" && picture.nevacuate !== null)
    markNevacuate(ctx, picture.nevacuate, n, cols, pitchX, gapX, rowY);
  return {
    mode: "slots",
    width,
    height,
    cols,
    pitchX,
    tileW,
    tileH,
    slot: s,
    inner,
    chainGap,
    rowY: Array.from(rowY),
    /** Centre of slot k of bucket i (chain 0 = the bucket itself). @param {number} i @param {number} k */
    slotCentre(i, k, chain = 0) {
      return {
        x: (i % cols) * pitchX + (k & 3) * s + (s - inner) / 2,
        y: /** @type {number} */ (rowY[(i / cols) | 0]) + chain * (tileH + chainGap) + (k >> 2) * s + (s - inner) / 2,
      };
    },
    /** @param {number} x @param {number} y */
    hit(x, y) {
      const c = Math.floor(x / pitchX);
      if (c < 0 || c >= cols || x - c * pitchX >= tileW) return null;
      let r = 0;
      while (r < rows && /** @type {number} */ (rowY[r + 1]) <= y) r++;
      const i = r * cols + c;
      if (r >= rows || i >= n) return null;
      const dy = y - /** @type {number} */ (rowY[r]);
      const chain = Math.floor(dy / (tileH + chainGap));
      if (
        chain > Math.min(CHAIN_DRAWN, /** @type {number} */ (a.chainLength[i])) ||
        dy - chain * (tileH + chainGap) >= tileH
      )
        return { bucket: i };
      const slot = Math.floor((x - c * pitchX) / s) + 4 * Math.floor((dy - chain * (tileH + chainGap)) / s);
      return { bucket: i, chain, slot: Math.min(7, slot) };
    },
  };
}

/**
 * @param {CanvasRenderingContext2D} ctx @param {number} nevacuate @param {number} n @param {number} cols
 * @param {number} pitchX @param {number} gapX @param {Float64Array} rowY
 */
function markNevacuate(ctx, nevacuate, n, cols, pitchX, gapX, rowY) {
  if (nevacuate >= n) return;
  const r = (nevacuate / cols) | 0;
  const x = Math.max(0, (nevacuate % cols) * pitchX - Math.ceil(gapX / 2) - 2);
  ctx.fillStyle = "#d32f2f";
  ctx.fillRect(
    x,
    /** @type {number} */ (rowY[r]),
    3,
    /** @type {number} */ (rowY[r + 1]) - /** @type {number} */ (rowY[r]) - gapX,
  );
}

/** @param {HTMLCanvasElement} canvas @param {Picture} picture @param {import("./slots.js").GroupsArray} a @param {number} width */
function drawGroups(canvas, picture, a, width) {
  const c = a.ncells > 1024 ? 10 : 14;
  const gap = 1;
  const pitch = c + gap;
  const cols = Math.max(1, Math.floor((width + gap) / pitch));
  const rows = Math.ceil(a.ncells / cols);
  const height = rows * pitch;
  const ctx = prepare(canvas, width, height);
  const empty = /** @type {RGBTriple} */ (RGB[STATE_INDEX.emptyRest]),
    live = /** @type {RGBTriple} */ (RGB[STATE_INDEX.live]),
    evac = /** @type {RGBTriple} */ (RGB[STATE_INDEX.evacuatedX]);
  for (let g = 0; g < a.ncells; g++) {
    const x = (g % cols) * pitch,
      y = ((g / cols) | 0) * pitch;
    const total = a.total[g] || 1;
    let color = mix(empty, live, Math.sqrt(/** @type {number} */ (a.live[g]) / total));
    if (/** @type {number} */ (a.evacuated[g]) > 0)
      color = mix(color, evac, /** @type {number} */ (a.evacuated[g]) / total);
    ctx.fillStyle = rgb(color);
    ctx.fillRect(x, y, c, c);
    if (/** @type {number} */ (a.overflow[g]) > 0) {
      ctx.fillStyle = "#263238";
      const d = Math.min(c, 3 + Math.ceil(Math.log2(1 + /** @type {number} */ (a.overflow[g]))));
      ctx.fillRect(x + c - d, y, d, d);
    }
  }
  if (a.role === "old" && picture.nevacuate !== null) {
    const g = Math.floor(picture.nevacuate / a.group);
    if (g < a.ncells) {
      ctx.fillStyle = "#d32f2f";
      ctx.fillRect(Math.max(0, (g % cols) * pitch - 1), ((g / cols) | 0) * pitch, 2, c);
    }
  }
  return {
    mode: "groups",
    width,
    height,
    cols,
    pitch,
    cell: c,
    /** @param {number} g */
    cellCentre(g) {
      return { x: (g % cols) * pitch + c / 2, y: ((g / cols) | 0) * pitch + c / 2 };
    },
    /** @param {number} x @param {number} y */
    hit(x, y) {
      const col = Math.floor(x / pitch),
        row = Math.floor(y / pitch);
      const g = row * cols + col;
      if (col < 0 || col >= cols || row < 0 || g >= a.ncells) return null;
      return { group: g, first: g * a.group, last: Math.min(a.nbuckets, (g + 1) * a.group) - 1 };
    },
  };
}

/** @param {HTMLCanvasElement} canvas @param {Picture} picture @param {ArrayPicture} a @param {number} width */
function drawSummary(canvas, picture, a, width) {
  const height = 22;
  const ctx = prepare(canvas, width, height);
  ctx.font = "12px system-ui, sans-serif";
  ctx.textBaseline = "middle";
  if (a.role === "old") {
    // Evacuation progress: nevacuate of the old array's buckets.
    // (An old array: the map grows, and nevacuate is a number.)
    const f = a.nbuckets > 0 ? Math.min(1, /** @type {number} */ (picture.nevacuate) / a.nbuckets) : 0;
    ctx.fillStyle = /** @type {import("./slots.js").State} */ (STATES[STATE_INDEX.evacuatedEmpty]).color;
    ctx.fillRect(0, 0, width, height);
    ctx.fillStyle = /** @type {import("./slots.js").State} */ (STATES[STATE_INDEX.evacuatedX]).color;
    ctx.fillRect(0, 0, width * f, height);
    ctx.fillStyle = "#111";
    ctx.fillText(`nevacuate ${picture.nevacuate} of ${a.nbuckets} old buckets`, 6, height / 2);
    return { mode: "summary", width, height };
  }
  const total = STATES.reduce((t, s) => t + picture.counts[s.name], 0);
  let x = 0;
  for (const s of STATES) {
    const w = total > 0 ? (width * picture.counts[s.name]) / total : 0;
    ctx.fillStyle = s.color;
    ctx.fillRect(x, 0, w, height);
    x += w;
  }
  if (total === 0) {
    ctx.fillStyle = "#555";
    ctx.fillText(
      "no buckets yet (a map made without a hint allocates its first bucket on the first insert)",
      6,
      height / 2,
    );
  }
  return { mode: "summary", width, height };
}
