// chart.js — HeapInuse / HeapAlloc / HeapIdle over the steps, as inline
// SVG (no chart library): one polyline per series, a point per step with
// its step name in a <title> (hover), y in MB (10^6 bytes, as the lab).

export const SERIES = [
  { field: "HeapInuse", color: "#1565c0", dash: "" },
  // Dashed: HeapAlloc often runs just under HeapInuse.
  { field: "HeapAlloc", color: "#2e7d32", dash: "6 4" },
  { field: "HeapIdle", color: "#ef6c00", dash: "" },
];

const NS = "http://www.w3.org/2000/svg";
const MB = 1e6;

/** @param {string} name @param {Record<string, string | number>} [attrs] @param {string} [text] */
function el(name, attrs = {}, text) {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

/** A "nice" axis maximum (1, 2 or 5 × 10^k) at or above x. @param {number} x */
function niceMax(x) {
  if (!(x > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 2, 5, 10]) if (m * p >= x) return m * p;
  return 10 * p;
}

/** @param {number} v */
const fmt = (v) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));

/** Replace the contents of `svg` with the chart of `samples` (every one records the SERIES fields).
 *  @param {SVGSVGElement} svg @param {import("./experiment.js").Sample[]} samples @param {number} width */
export function drawChart(svg, samples, width, height = 220) {
  svg.replaceChildren();
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("width", String(width));
  svg.setAttribute("height", String(height));
  const left = 52,
    right = 12,
    top = 26,
    bottom = 28;
  const w = width - left - right,
    h = height - top - bottom;
  let max = 0;
  for (const s of samples)
    for (const { field } of SERIES) max = Math.max(max, /** @type {number} */ (s.stats[field]) / MB);
  const ymax = niceMax(max * 1.05);
  const n = samples.length;
  /** @param {number} i */
  const x = (i) => left + (n <= 1 ? w / 2 : (i * w) / (n - 1));
  /** @param {number} v */
  const y = (v) => top + h - (v / ymax) * h;

  for (let t = 0; t <= 4; t++) {
    const v = (ymax * t) / 4;
    svg.append(el("line", { x1: left, x2: left + w, y1: y(v), y2: y(v), stroke: t === 0 ? "#90a4ae" : "#eceff1" }));
    svg.append(el("text", { x: left - 6, y: y(v) + 4, "text-anchor": "end", class: "tick" }, fmt(v)));
  }
  svg.append(el("text", { x: left - 6, y: 12, "text-anchor": "end", class: "tick" }, "MB"));
  const every = Math.max(1, Math.ceil(n / Math.max(1, Math.floor(w / 28))));
  samples.forEach((s, i) => {
    if (i % every === 0 || i === n - 1)
      svg.append(el("text", { x: x(i), y: top + h + 16, "text-anchor": "middle", class: "tick" }, String(s.step)));
  });

  for (const { field, color, dash } of SERIES) {
    const pts = samples
      .map((s, i) => `${x(i).toFixed(1)},${y(/** @type {number} */ (s.stats[field]) / MB).toFixed(1)}`)
      .join(" ");
    const line = el("polyline", { points: pts, fill: "none", stroke: color, "stroke-width": 2, "data-series": field });
    if (dash) line.setAttribute("stroke-dasharray", dash);
    svg.append(line);
    samples.forEach((s, i) => {
      const c = el("circle", { cx: x(i), cy: y(/** @type {number} */ (s.stats[field]) / MB), r: 3, fill: color });
      c.append(
        el(
          "title",
          {},
          `step ${s.step}: ${s.label}\n${field} ${(/** @type {number} */ (s.stats[field]) / MB).toFixed(2)} MB`,
        ),
      );
      svg.append(c);
    });
  }
  let lx = left + 8;
  for (const { field, color } of SERIES) {
    svg.append(el("rect", { x: lx, y: 3, width: 10, height: 10, fill: color }));
    svg.append(el("text", { x: lx + 14, y: 12, class: "legend" }, field));
    lx += 96;
  }
}
