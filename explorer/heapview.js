// heapview.js — the page heap (rt.inspectHeap()) drawn on a canvas.
//
// The arena is a line of 8 KiB pages wrapped into rows of CELL_W-pixel
// cells (one cell = one page; for a large arena one cell = several pages,
// so at most MAX_ROWS rows are drawn). Each entry of inspectHeap().spans
// covers its pages:
//
//   in-use span   its size class's colour; the filled part from the bottom
//                 is allocated / slots (fullness), the pale part free slots;
//                 a black tick marks freeindex (Go: slots below it are
//                 known allocated, the allocator scans from there)
//   free run      white, outlined (page-heap free pages: HeapIdle)
//   meta          slate (span records, bitmaps, type bytes)
//
// Size-class colours come from the golden angle over the class number;
// large objects (class 0) are dark red.

export const PAGE_BYTES = 8192;
const CELL_W = 10;
const MAX_ROWS = 40;
const ROW_H = 20;

/** CSS colour of a size class (fill) and its pale version (free slots). @param {number} sizeClass */
export function classColor(sizeClass, pale = false) {
  if (sizeClass === 0) return pale ? "hsl(0 60% 88%)" : "hsl(0 65% 35%)";
  const hue = (sizeClass * 137.508) % 360;
  return pale ? `hsl(${hue.toFixed(1)} 60% 88%)` : `hsl(${hue.toFixed(1)} 62% 45%)`;
}

/** Draw the heap; returns the geometry (hit testing).
 *  @param {HTMLCanvasElement} canvas @param {import("../src/index.js").HeapInspection} heap @param {number} width */
export function drawHeap(canvas, heap, width) {
  const PAGES_PER_ROW = Math.max(16, Math.floor(width / CELL_W));
  const arenaPages = Math.max(1, Math.ceil(heap.arena.bytes / PAGE_BYTES));
  const ppc = Math.max(1, Math.ceil(arenaPages / (PAGES_PER_ROW * MAX_ROWS)));
  const cells = Math.ceil(arenaPages / ppc);
  const rows = Math.max(1, Math.ceil(cells / PAGES_PER_ROW));
  const cellW = width / PAGES_PER_ROW;
  const height = rows * ROW_H;
  const dpr = globalThis.devicePixelRatio || 1;
  canvas.width = Math.round(width * dpr);
  canvas.height = Math.round(height * dpr);
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  const ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext("2d")); // a canvas has a 2d context
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, width, height);
  const h = ROW_H - 2;

  // Cell coordinates u (fractional) → pieces per row.
  /** @param {number} u0 @param {number} u1 @param {(x: number, y: number, w: number) => void} fn */
  const pieces = (u0, u1, fn) => {
    for (let r = Math.floor(u0 / PAGES_PER_ROW); r * PAGES_PER_ROW < u1; r++) {
      const a = Math.max(u0, r * PAGES_PER_ROW) - r * PAGES_PER_ROW;
      const b = Math.min(u1, (r + 1) * PAGES_PER_ROW) - r * PAGES_PER_ROW;
      fn(a * cellW, r * ROW_H, (b - a) * cellW);
    }
  };
  /** @param {number} address */
  const unit = (address) => (address - heap.arena.start) / PAGE_BYTES / ppc;

  for (const s of heap.spans) {
    const u0 = unit(s.address),
      u1 = unit(s.address + s.bytes);
    if (s.state === "meta") {
      pieces(u0, u1, (x, y, w) => {
        ctx.fillStyle = "#455a64";
        ctx.fillRect(x, y, w, h);
      });
      continue;
    }
    if (s.state === "free") {
      pieces(u0, u1, (x, y, w) => {
        ctx.fillStyle = "#ffffff";
        ctx.fillRect(x, y, w, h);
        ctx.strokeStyle = "#b0bec5";
        ctx.lineWidth = 1;
        ctx.strokeRect(x + 0.5, y + 0.5, Math.max(0, w - 1), h - 1);
      });
      continue;
    }
    const full = s.slots > 0 ? s.allocated / s.slots : 0;
    const fh = Math.round(h * full);
    pieces(u0, u1, (x, y, w) => {
      ctx.fillStyle = classColor(s.sizeClass, true);
      ctx.fillRect(x, y, w, h);
      ctx.fillStyle = classColor(s.sizeClass);
      ctx.fillRect(x, y + h - fh, w, fh);
      if (w > 3) {
        ctx.fillStyle = "#ffffff";
        ctx.fillRect(x, y, 1, h); // span boundary
      }
    });
    if (s.slots > 1 && s.freeindex < s.slots) {
      const uf = u0 + (u1 - u0) * (s.freeindex / s.slots);
      pieces(uf, Math.min(u1, uf + 1e-9), (x, y) => {
        ctx.fillStyle = "#000000";
        ctx.fillRect(Math.min(x, width - 1), y, 1, h);
      });
    }
  }

  return {
    width,
    height,
    rows,
    pagesPerCell: ppc,
    /** The span under (x, y), or null. @param {number} x @param {number} y */
    hit(x, y) {
      const r = Math.floor(y / ROW_H),
        c = x / cellW;
      if (r < 0 || r >= rows || c < 0 || c >= PAGES_PER_ROW) return null;
      const address = heap.arena.start + (r * PAGES_PER_ROW + c) * ppc * PAGE_BYTES;
      let lo = 0,
        hi = heap.spans.length - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1,
          s = /** @type {import("../src/index.js").HeapSpan} */ (heap.spans[mid]);
        if (address < s.address) hi = mid - 1;
        else if (address >= s.address + s.bytes) lo = mid + 1;
        else return s;
      }
      return null;
    },
  };
}
