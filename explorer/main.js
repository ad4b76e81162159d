// main.js — the explorer page: wires the controls to a Session
// (experiment.js) and draws the buckets (slots.js, grid.js), the heap
// (heapview.js), MemStats with their chart (chart.js), the steps and the
// gctrace lines after every step.
//
// gomap-wasm is imported through the package's browser entry,
// dist/browser.js, which carries the release core inlined
// (build/release-inline.js) — exactly what a bundler-free page using the
// package does.
//
// window.explorer is the page's small programmatic surface (the browser
// test and the devtools console use it): `ready`, `idle()`, `act(fn)`,
// `snapshot()`, `slotPixel()`, `groupPixel()`, `session`, `pkg`. The
// buttons go through the same `act` queue, one step at a time.
import { Session, KIND_NAMES, mapSettings } from "./experiment.js";
import { readPicture, plainPicture, STATES } from "./slots.js";
import { drawArray } from "./grid.js";
import { drawHeap, classColor, PAGE_BYTES } from "./heapview.js";
import { drawChart } from "./chart.js";

/**
 * Types: the package's from its source (src/, built into dist/), as in
 * experiment.d.ts, through which this file sees Session.
 * @typedef {import("../src/index.js").Runtime} Runtime
 * @typedef {import("./slots.js").Picture} Picture
 * @typedef {import("./slots.js").ArrayPicture} ArrayPicture
 * @typedef {import("./slots.js").SlotsArray} SlotsArray
 * @typedef {import("./slots.js").GroupsArray} GroupsArray
 * @typedef {{ group: number, first: number, last: number, bucket?: undefined }
 *   | { bucket: number, chain?: undefined, slot?: undefined, group?: undefined }
 *   | { bucket: number, chain: number, slot: number, group?: undefined }} Hit
 *   a hit of a grouped drawing (a group of buckets), or of a per-slot one (a bucket, or a slot of it or of its chain)
 * @typedef {{ mode: string, width: number, height: number, hit?: (x: number, y: number) => Hit | null,
 *   slotCentre?: (i: number, k: number, chain?: number) => { x: number, y: number },
 *   cellCentre?: (g: number) => { x: number, y: number } }} Geometry
 *   what drawArray returns, for the hit tests and pixel probes
 */

/**
 * The page's elements by id (explorer/index.html).
 * @typedef {{
 *   arrays: HTMLDivElement, article: HTMLButtonElement, budget: HTMLInputElement, chart: SVGSVGElement,
 *   classes: HTMLTableElement, clear: HTMLButtonElement, compact: HTMLButtonElement, delete: HTMLButtonElement,
 *   free: HTMLButtonElement, gc: HTMLButtonElement, gcInfo: HTMLTableElement, gcPercent: HTMLInputElement,
 *   gcStep: HTMLButtonElement, gctrace: HTMLPreElement, gridNote: HTMLParagraphElement, heapCanvas: HTMLCanvasElement,
 *   heapNote: HTMLParagraphElement, hint: HTMLInputElement, insert: HTMLButtonElement, key: HTMLSelectElement,
 *   legend: HTMLTableElement, load: HTMLButtonElement, loadFile: HTMLInputElement, make: HTMLButtonElement, mapForm: HTMLFormElement, mapInfo: HTMLTableElement,
 *   maxMemory: HTMLInputElement, memStats: HTMLTableElement, message: HTMLDivElement, n: HTMLInputElement,
 *   newRuntime: HTMLButtonElement, progress: HTMLParagraphElement, runtimeForm: HTMLFormElement, save: HTMLButtonElement,
 *   seed: HTMLInputElement,
 *   shrink: HTMLButtonElement, stats: HTMLElement, status: HTMLParagraphElement, steps: HTMLTableElement,
 *   tooltip: HTMLDivElement, trusted: HTMLInputElement, value: HTMLSelectElement, zero: HTMLButtonElement,
 * }} PageElements
 */

const ENTRY = "../dist/browser.js";
/** The element `id` (index.html has every id used here).
 *  @template {keyof PageElements} K @param {K} id @returns {PageElements[K]} */
const $ = (id) => /** @type {PageElements[K]} */ (document.getElementById(id));
const params = new URLSearchParams(location.search);

/**
 * The numeric MemStats fields.
 * @typedef {{ [K in keyof import("../src/index.js").MemStats]: import("../src/index.js").MemStats[K] extends number ? K : never }[keyof import("../src/index.js").MemStats]} NumericStat
 */

/** The MemStats rows shown, in order; `bytes` rows get an MB column.
 *  @type {[field: NumericStat, bytes: boolean, what: string][]} */
const STAT_ROWS = [
  ["HeapAlloc", true, "bytes of allocated heap objects (incl. unswept garbage)"],
  ["HeapInuse", true, "bytes in in-use spans"],
  ["HeapIdle", true, "bytes in free page runs"],
  ["HeapSys", true, "HeapInuse + HeapIdle"],
  ["HeapReleased", true, "always 0: wasm memory cannot shrink"],
  ["HeapObjects", false, "Mallocs − Frees"],
  ["Mallocs", false, "objects allocated, cumulative"],
  ["Frees", false, "objects freed, cumulative"],
  ["TotalAlloc", true, "bytes allocated, cumulative"],
  ["Sys", true, "all linear memory"],
  ["NextGC", true, "heap goal of the next cycle"],
  ["NumGC", false, "completed cycles"],
  ["NumForcedGC", false, "cycles from rt.gc()"],
  ["PauseTotalNs", false, "ns of GC pauses"],
];

/** The map rows shown (rt.inspect(m) fields), in order.
 *  @type {[field: keyof import("../src/index.js").MapInspection, what: string][]} */
const MAP_ROWS = [
  ["count", "entries (m.size)"],
  ["B", "log2 of the bucket count"],
  ["buckets", "2^B"],
  ["noverflow", "Go's overflow counter"],
  ["overflowBuckets", "overflow buckets, walked"],
  ["growing", "evacuating an old array"],
  ["sameSizeGrow", "growth at the same B"],
  ["oldBuckets", "buckets of the old array"],
  ["oldOverflowBuckets", "their overflow buckets"],
  ["nevacuate", "old buckets below it are evacuated"],
  ["bucketSize", "bytes per bucket"],
  ["bucketBytes", "bytes of bucket storage"],
  ["hash0", "hash seed"],
];

/** @type {typeof import("../src/browser.js") | null} */
let pkg = null;
// Set by newRuntime(). Typed as always set: it is null only before the first
// runtime exists and while newRuntime() replaces it, when render() returns
// early and the buttons are disabled (both check).
/** @type {Session} */
let session = /** @type {Session} */ (/** @type {unknown} */ (null));
let queue = Promise.resolve();
let busy = false;
/** What the last render drew (snapshot, pixel probes, tooltips).
 *  @type {{ picture: Picture | null, geometry: Record<string, Geometry>, canvases: Record<string, HTMLCanvasElement>,
 *    heap: import("../src/index.js").HeapInspection | null, heapGeometry: ReturnType<typeof drawHeap> | null,
 *    message: { kind: string, text: string } | null }} */
const last = { picture: null, geometry: {}, canvases: {}, heap: null, heapGeometry: null, message: null };

// ------------------------------------------------------------------ helpers

/** @param {unknown} x */
const num = (x) => (typeof x === "number" ? x.toLocaleString("en-US") : String(x));
/** @param {number} x */
const mb = (x) => (x / 1e6).toFixed(2);

/** @param {string} tag @param {string} text @param {Record<string, string>} [attrs] */
function cell(tag, text, attrs = {}) {
  const e = document.createElement(tag);
  e.textContent = text;
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v;
    else e.setAttribute(k, v);
  }
  return e;
}

/** @param {HTMLElement[]} cells */
function row(...cells) {
  const tr = document.createElement("tr");
  tr.append(...cells);
  return tr;
}

/** @param {string} color */
function swatch(color) {
  const s = document.createElement("span");
  s.className = "swatch";
  s.style.background = color;
  return s;
}

/** @param {"error" | "info"} kind @param {string} text */
function showMessage(kind, text) {
  last.message = { kind, text };
  const m = $("message");
  m.hidden = false;
  m.className = `message ${kind}`;
  m.textContent = text;
}

function clearMessage() {
  last.message = null;
  $("message").hidden = true;
}

/** @param {unknown} e */
const errorText = (e) => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));
const nextFrame = () => /** @type {Promise<void>} */ (new Promise((r) => setTimeout(r, 0)));

/** Run one user action after the ones before it; redraw afterwards.
 *  @param {() => unknown} fn */
function act(fn) {
  const p = queue.then(async () => {
    busy = true;
    renderButtons();
    clearMessage();
    try {
      await fn();
    } catch (e) {
      showMessage("error", errorText(e));
      // gomap-wasm's own errors (the unsafe gate, a bad option) are the
      // message above; anything else is a bug of the page: the console too.
      if (!(pkg && e instanceof pkg.GomapError)) console.error(e);
    } finally {
      busy = false;
      $("progress").textContent = "";
      render();
    }
  });
  queue = p.catch(() => {});
  return p;
}

/** @param {"n" | "budget"} id */
function count(id) {
  const v = Number(String($(id).value).replace(/[_,\s]/g, ""));
  if (!Number.isSafeInteger(v) || v < 0) throw new TypeError(`${id}: expected a whole number >= 0, got ${$(id).value}`);
  return v;
}

/** @param {string} what @returns {import("./experiment.js").StepOptions} */
function progress(what) {
  return {
    pause: nextFrame,
    onProgress: (done, n) => {
      $("progress").textContent = `${what}: ${done.toLocaleString("en-US")} of ${n.toLocaleString("en-US")}`;
    },
  };
}

// ----------------------------------------------------------- runtime, map

/** @returns {{ trusted: boolean, gcPercent: number | "off", maxMemory?: string }} */
function runtimeOptions() {
  const g = $("gcPercent").value.trim();
  const gcPercent = g === "" ? 100 : g === "off" ? "off" : Number(g);
  // (maxMemory: undefined when the field is empty, as Session.create takes it)
  return /** @type {{ trusted: boolean, gcPercent: number | "off", maxMemory?: string }} */ ({
    trusted: $("trusted").checked,
    gcPercent,
    maxMemory: $("maxMemory").value.trim() || undefined,
  });
}

// (These run once start() has imported the package: pkg is set.)

async function newRuntime() {
  if (session?.hasMap) /** @type {import("../src/index.js").GoMap} */ (session.map).free();
  session = /** @type {Session} */ (/** @type {unknown} */ (null)); // (see `session`)
  $("gctrace").textContent = "";
  session = await Session.create(/** @type {NonNullable<typeof pkg>} */ (pkg).Runtime, {
    ...runtimeOptions(),
    onTrace: () => {},
  });
  setStatus();
}

// --------------------------------------------------------- save and load

/** The object URL of the last file saved (revoked at the next save).
 *  @type {string | null} */
let savedUrl = null;

/** Save: rt.snapshot of the map, downloaded as a file (a Blob and an
 *  <a download>). */
function save() {
  const m = session.hasMap ? /** @type {import("../src/index.js").GoMap} */ (session.map) : null;
  const bytes = session.save();
  const name = m ? `gomap-${m.keyType}-${m.valueType}-${m.size}.gomapsnap` : "gomap-no-map.gomapsnap";
  if (savedUrl) URL.revokeObjectURL(savedUrl);
  savedUrl = URL.createObjectURL(new Blob([bytes], { type: "application/octet-stream" }));
  const a = document.createElement("a");
  a.href = savedUrl;
  a.download = name;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  showMessage(
    "info",
    `rt.snapshot(): ${num(bytes.length)} bytes saved as ${name} (${m ? `${num(m.size)} entries` : "no map"}; HeapInuse ${num(session.rt.readMemStats().HeapInuse)} bytes).`,
  );
}

/** Load: Runtime.restore of a chosen file; on success the page switches
 *  to the restored runtime and map, and the previous runtime is closed.
 *  A bad file throws (SnapshotError), which act() shows; nothing changes.
 *  @param {File} file */
async function load(file) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  const next = await Session.restore(/** @type {NonNullable<typeof pkg>} */ (pkg).Runtime, bytes, {
    name: file.name,
    trusted: session.rt.trusted,
    onTrace: () => {},
  });
  const old = session;
  session = next;
  old.rt.close();
  $("gctrace").textContent = "";
  $("trusted").checked = next.rt.trusted;
  const m = next.hasMap ? /** @type {import("../src/index.js").GoMap} */ (next.map) : null;
  if (next.settings) {
    $("key").value = next.settings.key;
    $("value").value = next.settings.value;
  }
  let what = "no map";
  if (m) {
    what = `map[${m.keyType}]${m.valueType} with ${num(m.size)} entries`;
    if (m.size === next.next - next.low) what += m.size ? `, keys ${num(next.low)}…${num(next.next - 1)}` : "";
    else what += " whose keys are not numbered as here: insert N starts at key 0, delete N has nothing to delete";
  }
  showMessage("info", `Runtime.restore(${file.name}): ${num(bytes.length)} bytes → a new runtime, ${what}.`);
}

function makeMap() {
  session.makeMap(
    mapSettings({ key: $("key").value, value: $("value").value, hint: $("hint").value, seed: $("seed").value.trim() }),
  );
}

function setStatus() {
  const rt = session.rt;
  const s = $("status");
  s.className = "status ok";
  s.textContent =
    `Runtime created through the package's browser entry (dist/browser.js): ${rt.debug ? "debug" : "release"} build, ` +
    `trusted: ${rt.trusted ? "yes — rt.unsafe allowed" : "no — rt.unsafe refused"}, maxMemory ${num(rt.maxMemory)} bytes, ` +
    `linear memory ${num(rt.memoryBytes)} bytes.`;
}

// ------------------------------------------------------------------ render

function render() {
  if (!session) return;
  const rt = session.rt;
  last.picture = session.hasMap ? readPicture(rt, /** @type {import("../src/index.js").GoMap} */ (session.map)) : null;
  renderBuckets();
  renderMapInfo();
  renderHeap();
  renderStats();
  renderSteps();
  renderTrace();
  renderButtons();
  setStatus();
}

/** @param {HTMLElement} el */
function panelWidth(el) {
  return Math.max(280, Math.floor(el.clientWidth));
}

function renderBuckets() {
  const p = last.picture;
  const note = $("gridNote");
  const box = $("arrays");
  box.replaceChildren();
  last.geometry = {};
  last.canvases = {};
  if (!p) {
    note.textContent = "No map: make one above.";
    note.className = "note";
    return;
  }
  const how =
    p.mode === "groups"
      ? "Large array: one square per group of buckets, shaded by its live fraction; a dark corner marks overflow buckets."
      : "One tile per bucket (slots 0–3 above 4–7), overflow chains hanging below; in the old array a red bar marks nevacuate.";
  if (p.source === "inspect") {
    note.className = "note warn";
    note.textContent =
      "This runtime is not trusted and this build has no rt.inspectBuckets(m): each slot's tophash byte is behind the unsafe gate " +
      "(rt.unsafe.buckets(m)), so the bar shows rt.inspect(m)'s totals over every slot. Tick “trusted” to see every slot.";
  } else if (p.source === "inspectBuckets") {
    note.className = "note";
    note.textContent = `Every slot's tophash byte, copied by rt.inspectBuckets(m) (read-only: no trust needed). ${how}`;
  } else {
    note.className = "note";
    note.textContent = `Every slot's raw tophash byte, read through rt.unsafe.buckets(m) (trusted runtime). ${how}`;
  }
  if (!p.consistent) {
    note.className = "note warn";
    note.textContent +=
      " Warning: the states drawn do not add up to rt.inspect(m)'s totals (a changed tophash encoding?).";
  }
  const width = panelWidth(box);
  for (const a of p.arrays) {
    const caption = cell("div", captionOf(p, a), { class: "caption", "data-array": a.role });
    const canvas = document.createElement("canvas");
    canvas.dataset.array = a.role;
    box.append(caption, canvas);
    last.geometry[a.role] = drawArray(canvas, p, a, width);
    last.canvases[a.role] = canvas;
    canvas.addEventListener("mousemove", (ev) =>
      tooltipFor(ev, bucketTip(p, a, /** @type {Geometry} */ (last.geometry[a.role]), ev)),
    );
    canvas.addEventListener("mouseleave", hideTooltip);
  }
  renderLegend(p);
}

/** @param {Picture} p @param {ArrayPicture} a */
function captionOf(p, a) {
  const info = p.info;
  const overflow = `${num(a.overflowBuckets)} overflow bucket${a.overflowBuckets === 1 ? "" : "s"}`;
  const group = a.group > 1 ? ` · one square per ${num(a.group)} buckets` : "";
  if (a.role === "old") {
    const B = info.sameSizeGrow ? info.B : info.B - 1;
    return `old array: 2^${B} = ${num(a.nbuckets)} buckets${info.sameSizeGrow ? " (same-size grow)" : ""} · nevacuate ${num(p.nevacuate)} · ${overflow}${group}`;
  }
  if (a.nbuckets === 0) return "no bucket array yet (allocated at the first insert)";
  return `${p.growing ? "new array" : "bucket array"}: 2^${info.B} = ${num(a.nbuckets)} buckets · ${overflow}${group}`;
}

/**
 * The tooltip of the cell under the pointer: a group's hit comes from a
 * grouped drawing (a GroupsArray), a bucket's from a per-slot one (a
 * SlotsArray, where the hit has a bucket, and a chain with its slot).
 * @param {Picture} _p @param {ArrayPicture} a @param {Geometry} g @param {MouseEvent} ev
 */
function bucketTip(_p, a, g, ev) {
  if (!g.hit) return null;
  const h = g.hit(ev.offsetX, ev.offsetY);
  if (!h) return null;
  if (h.group !== undefined) {
    return (
      `${a.role === "old" ? "old " : ""}buckets ${num(h.first)}…${num(h.last)}\nlive ${num(/** @type {GroupsArray} */ (a).live[h.group])} of ${num(/** @type {GroupsArray} */ (a).total[h.group])} slots` +
      `\nevacuated ${num(/** @type {GroupsArray} */ (a).evacuated[h.group])}\noverflow buckets ${num(/** @type {GroupsArray} */ (a).overflow[h.group])}`
    );
  }
  const states = [
    Array.from(/** @type {SlotsArray} */ (a).slots.subarray(h.bucket * 8, h.bucket * 8 + 8)),
    .../** @type {Uint8Array[]} */ (/** @type {SlotsArray} */ (a).chains[h.bucket]).map((c) => Array.from(c)),
  ];
  const lines = states.map(
    (s, i) =>
      `${i === 0 ? "bucket" : `overflow ${i}`}: ${s.map((st) => /** @type {import("./slots.js").State} */ (STATES[st]).name).join(" ")}`,
  );
  const more =
    /** @type {number} */ (/** @type {SlotsArray} */ (a).chainLength[h.bucket]) >
    /** @type {Uint8Array[]} */ (/** @type {SlotsArray} */ (a).chains[h.bucket]).length
      ? `\n… ${/** @type {SlotsArray} */ (a).chainLength[h.bucket]} overflow buckets in all`
      : "";
  const slot =
    h.slot !== undefined
      ? `\nslot ${h.slot}${h.chain ? ` of overflow ${h.chain}` : ""}: ${/** @type {import("./slots.js").State} */ (STATES[/** @type {number} */ (/** @type {number[]} */ (states[h.chain])[h.slot])]).name}`
      : "";
  return `${a.role === "old" ? "old " : ""}bucket ${num(h.bucket)}${slot}\n${lines.join("\n")}${more}`;
}

/** @param {Picture} p */
function renderLegend(p) {
  const t = $("legend");
  t.replaceChildren();
  const total = STATES.reduce((n, s) => n + p.counts[s.name], 0);
  for (const s of STATES) {
    const name = cell("td", "");
    name.append(swatch(s.color), document.createTextNode(s.label));
    const c = p.counts[s.name];
    t.append(
      row(
        name,
        cell("td", num(c), { "data-count": s.name }),
        cell("td", total ? `${((100 * c) / total).toFixed(1)}%` : ""),
      ),
    );
  }
}

function renderMapInfo() {
  const t = $("mapInfo");
  t.replaceChildren();
  const p = last.picture;
  if (!p) return;
  const info = p.info;
  const values = { ...info, count: /** @type {import("../src/index.js").GoMap} */ (session.map).size }; // a picture: a live map
  for (const [k, what] of MAP_ROWS) {
    /** @type {unknown} */
    let v = values[k];
    if (k === "nevacuate" && !info.growing) v = "—";
    if (typeof v === "boolean") v = v ? "yes" : "no";
    t.append(row(cell("th", k, { title: what }), cell("td", num(v), { "data-map": k })));
  }
}

function renderHeap() {
  const rt = session.rt;
  const heap = rt.inspectHeap();
  last.heap = heap;
  const canvas = $("heapCanvas");
  const g = drawHeap(canvas, heap, panelWidth(/** @type {HTMLElement} */ (canvas.parentElement)) - 24);
  last.heapGeometry = g;
  canvas.onmousemove = (ev) => tooltipFor(ev, spanTip(g.hit(ev.offsetX, ev.offsetY)));
  canvas.onmouseleave = hideTooltip;
  const inuse = heap.spans.filter((s) => s.state === "inuse");
  const idlePages = heap.freeRuns.reduce((n, r) => n + r.pages, 0);
  $("heapNote").textContent =
    `arena ${mb(heap.arena.bytes)} MB (${num(heap.arena.bytes / PAGE_BYTES)} pages${g.pagesPerCell > 1 ? `, ${g.pagesPerCell} pages per cell` : ""}): ` +
    `${num(inuse.length)} spans in use, ${num(heap.freeRuns.length)} free runs (${num(idlePages)} pages), ${num(heap.metaPages)} metadata pages.`;

  const c = $("classes");
  c.replaceChildren(
    row(
      ...["class", "size", "noscan", "spans", "pages", "slots", "allocated", "free"].map((h, i) =>
        cell("th", h, { class: i === 0 ? "left" : "" }),
      ),
    ),
  );
  for (const k of heap.classes) {
    const name = cell("td", "", { class: "left" });
    name.append(
      swatch(classColor(k.sizeClass)),
      document.createTextNode(k.sizeClass === 0 ? "large" : String(k.sizeClass)),
    );
    c.append(
      row(
        name,
        ...[k.elemSize, k.noscan ? "yes" : "no", k.spans, k.pages, k.slots, k.allocated, k.free].map((v) =>
          cell("td", num(v)),
        ),
      ),
    );
  }
  const gi = $("gcInfo");
  gi.replaceChildren();
  const gc = heap.gc;
  /** @type {[string, string][]} */
  const rows = [
    ["phase", gc.phase],
    ["mark progress", `${(100 * gc.markProgress).toFixed(1)}%`],
    ["heapLive", num(gc.heapLive)],
    ["heapGoal", num(gc.heapGoal)],
    ["trigger", num(gc.trigger)],
    ["bytesMarked", num(gc.bytesMarked)],
    ["grey objects", num(gc.greyObjects)],
    ["numGC", num(gc.numGC)],
  ];
  for (const [k, v] of rows) gi.append(row(cell("th", k), cell("td", v, { "data-gc": k })));
}

/** @param {import("../src/index.js").HeapSpan | null} s */
function spanTip(s) {
  if (!s) return null;
  const where = `@${num(s.address)} · ${s.pages} page${s.pages === 1 ? "" : "s"}`;
  if (s.state === "free") return `free run ${where}`;
  if (s.state === "meta") return `metadata ${where}`;
  return (
    `span ${where}\nclass ${s.sizeClass}${s.noscan ? " noscan" : ""} · elem ${num(s.elemSize)} bytes\n` +
    `allocated ${num(s.allocated)} of ${num(s.slots)} · freeindex ${num(s.freeindex)}\n` +
    `marked ${num(s.marked)} · ${s.swept ? "swept" : "unswept"}${s.cached ? " · in mcache" : ""}`
  );
}

function renderStats() {
  const rt = session.rt;
  const s = rt.readMemStats();
  const t = $("memStats");
  t.replaceChildren(row(cell("th", ""), cell("th", "value"), cell("th", "MB")));
  for (const [k, bytes, what] of STAT_ROWS) {
    t.append(
      row(cell("th", k, { title: what }), cell("td", num(s[k]), { "data-stat": k }), cell("td", bytes ? mb(s[k]) : "")),
    );
  }
  t.append(
    row(
      cell("th", "linear memory", { title: "rt.memoryBytes" }),
      cell("td", num(rt.memoryBytes), { "data-stat": "memoryBytes" }),
      cell("td", mb(rt.memoryBytes)),
    ),
  );
  // Beside the table when there is room, below it otherwise.
  const panel = $("stats").clientWidth - 24;
  const beside = panel - t.offsetWidth - 16;
  drawChart($("chart"), session.samples, Math.max(280, Math.min(640, beside >= 300 ? beside : panel)));
}

function renderSteps() {
  const t = $("steps");
  t.replaceChildren(
    row(
      ...["#", "step", "ms", "HeapInuse MB", "HeapAlloc MB", "HeapIdle MB", "HeapObjects", "NumGC"].map((h, i) =>
        cell("th", h, { class: i === 1 ? "left" : "" }),
      ),
    ),
  );
  for (const s of session.samples) {
    t.append(
      row(
        cell("td", String(s.step)),
        cell("td", s.label, { class: "left" }),
        cell("td", s.ms.toFixed(1)),
        cell("td", mb(/** @type {number} */ (s.stats.HeapInuse))),
        cell("td", mb(/** @type {number} */ (s.stats.HeapAlloc))),
        cell("td", mb(/** @type {number} */ (s.stats.HeapIdle))),
        cell("td", num(s.stats.HeapObjects)),
        cell("td", String(s.stats.NumGC)),
      ),
    );
  }
}

function renderTrace() {
  const lines = [];
  let step = -1;
  for (const t of session.traces) {
    if (t.step !== step) {
      step = t.step;
      const label = session.samples.find((s) => s.step === step)?.label ?? "(running)";
      lines.push(`# step ${step}: ${label}`);
    }
    lines.push(t.line);
  }
  const pre = $("gctrace");
  pre.textContent = lines.length ? lines.join("\n") : "(no collection yet)";
  pre.scrollTop = pre.scrollHeight;
}

function renderButtons() {
  const hasMap = !!session?.hasMap;
  for (const id of /** @type {const} */ (["insert", "delete", "clear", "shrink", "zero", "free"]))
    $(id).disabled = busy || !hasMap;
  for (const id of /** @type {const} */ (["gcStep", "gc", "make", "newRuntime", "article", "trusted", "save", "load"]))
    $(id).disabled = busy || !session;
  const canCompact = !!session?.canCompact;
  $("compact").disabled = busy || !canCompact;
  $("compact").title = canCompact
    ? "await rt.compact(): move the live data into fresh memory"
    : "rt.compact() is not in this build of gomap-wasm yet";
}

// ----------------------------------------------------------------- tooltip

/** @param {MouseEvent} ev @param {string | null} text */
function tooltipFor(ev, text) {
  const tip = $("tooltip");
  if (!text) return hideTooltip();
  tip.textContent = text;
  tip.hidden = false;
  const x = Math.min(ev.clientX + 14, window.innerWidth - tip.offsetWidth - 8);
  tip.style.left = `${Math.max(4, x)}px`;
  tip.style.top = `${ev.clientY + 14}px`;
}

function hideTooltip() {
  $("tooltip").hidden = true;
}

// ------------------------------------------------------------------ steps

function wire() {
  $("runtimeForm").addEventListener("submit", (ev) => {
    ev.preventDefault();
    act(async () => {
      await newRuntime();
      makeMap();
    });
  });
  $("trusted").addEventListener("change", () =>
    act(async () => {
      await newRuntime();
      makeMap();
      showMessage(
        "info",
        session.rt.trusted
          ? "New runtime: Runtime.create({ trusted: true }). rt.unsafe is allowed (unsafe zero works)."
          : "New runtime without trust: rt.unsafe throws UnsafeNotAllowedError (try unsafe zero).",
      );
    }),
  );
  $("mapForm").addEventListener("submit", (ev) => {
    ev.preventDefault();
    act(() => makeMap());
  });
  $("insert").addEventListener("click", () => act(() => session.insert(count("n"), progress("insert"))));
  $("delete").addEventListener("click", () => act(() => session.delete(count("n"), progress("delete"))));
  $("gcStep").addEventListener("click", () =>
    act(() => {
      const r = session.gcStep(Math.max(1, count("budget")));
      showMessage(
        "info",
        `${r.started ? "rt.gcStart(): a cycle began. " : ""}rt.gcStep(): ${num(r.work)} bytes of scan work; phase now ${r.phase}.`,
      );
    }),
  );
  $("gc").addEventListener("click", () => act(() => session.gc()));
  $("clear").addEventListener("click", () => act(() => session.clear()));
  $("shrink").addEventListener("click", () => act(() => session.shrink()));
  $("compact").addEventListener("click", () =>
    act(async () => {
      const r = await session.compact();
      showMessage("info", `rt.compact(): ${compactionText(r)}`);
    }),
  );
  $("zero").addEventListener("click", () =>
    act(() => {
      const n = session.zeroValues();
      showMessage(
        "info",
        `rt.unsafe.zeroValues(m) wrote ${num(n)} value slots: no barrier, no count change (m.size is still ${num(/** @type {import("../src/index.js").GoMap} */ (session.map).size)}).`,
      );
    }),
  );
  $("free").addEventListener("click", () => act(() => session.freeMap()));
  $("save").addEventListener("click", () => act(() => save()));
  $("load").addEventListener("click", () => $("loadFile").click());
  $("loadFile").addEventListener("change", () => {
    const input = $("loadFile");
    const file = input.files?.[0];
    input.value = ""; // the same file again is a change too
    if (file) act(() => load(file));
  });
  $("article").addEventListener("click", () =>
    act(async () => {
      const n = count("n");
      $("key").value = "string";
      $("value").value = "i64";
      $("hint").value = String(n);
      const steps = [
        () => makeMap(),
        () => session.insert(n, progress("insert")),
        () => session.delete(n, progress("delete")),
        () => session.gc(),
        () => session.clear(),
        () => session.shrink(),
        () => session.gc(),
      ];
      for (const step of steps) {
        await step();
        render();
        await nextFrame();
      }
    }),
  );
  let resizeTimer = 0;
  window.addEventListener("resize", () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      if (!busy) render();
    }, 150);
  });
}

/** A CompactionReport in words (any other result as JSON).
 *  @param {any} r what rt.compact() resolved to: looked at property by property */
function compactionText(r) {
  if (r && typeof r === "object" && r.before && r.after && typeof r.maps === "number") {
    /** @param {"linearBytes" | "heapInuse" | "heapSys"} k */
    const d = (k) => `${mb(r.before[k])} → ${mb(r.after[k])} MB`;
    return (
      `moved ${num(r.maps)} map${r.maps === 1 ? "" : "s"} (${num(r.entries)} entries) into a fresh instance; ` +
      `linear memory ${d("linearBytes")}, HeapInuse ${d("heapInuse")}, HeapSys ${d("heapSys")}` +
      (typeof r.copyMs === "number" ? `; copy ${r.copyMs.toFixed(1)} ms` : "")
    );
  }
  return r === undefined ? "done" : describe(r);
}

/** @param {unknown} x */
function describe(x) {
  try {
    return typeof x === "object" ? JSON.stringify(x, (_, v) => (typeof v === "bigint" ? `${v}n` : v)) : String(x);
  } catch {
    return String(x);
  }
}

// ------------------------------------------------------ window.explorer

/** @param {HTMLCanvasElement} canvas @param {number} x @param {number} y */
function pixelAt(canvas, x, y) {
  const dpr = globalThis.devicePixelRatio || 1;
  const d = /** @type {CanvasRenderingContext2D} */ (canvas.getContext("2d")).getImageData(
    Math.floor(x * dpr),
    Math.floor(y * dpr),
    1,
    1,
  ).data;
  return [d[0], d[1], d[2], d[3]];
}

const STAT_FIELDS = STAT_ROWS.map(([k]) => k);

const explorer = {
  /** Resolves once the runtime and the first map exist. */
  ready: /** @type {ReturnType<typeof start> | null} */ (null),
  get pkg() {
    return pkg;
  },
  get session() {
    return session;
  },
  /** Resolves when every queued step has finished and the page redrew. */
  idle: () => queue,
  /** Queue a step (a function of the session), then redraw. */
  act: (/** @type {(session: Session) => unknown} */ fn) => act(() => fn(session)),
  /** What the page shows, as plain data. */
  snapshot() {
    const rt = session.rt;
    const m = session.hasMap ? session.map : null;
    const s = rt.readMemStats();
    return {
      entry: ENTRY,
      trusted: rt.trusted,
      build: rt.debug ? "debug" : "release",
      map: m ? { size: m.size, inspect: rt.inspect(m) } : null,
      picture: last.picture ? plainPicture(last.picture) : null,
      stats: Object.fromEntries(STAT_FIELDS.map((k) => [k, s[k]])),
      heap: last.heap && {
        arena: last.heap.arena,
        spans: last.heap.spans.map(({ address, pages, state, sizeClass, noscan, slots, allocated, freeindex }) => ({
          address,
          pages,
          state,
          sizeClass,
          noscan,
          slots,
          allocated,
          freeindex,
        })),
        gc: last.heap.gc,
      },
      samples: session.samples,
      traces: session.traces,
      message: last.message,
      canCompact: session.canCompact,
    };
  },
  /** RGBA drawn at the centre of slot `slot` of bucket `bucket` (chain 0
   *  is the bucket, 1… its overflow buckets) of the "old" or "new" array. */
  /** @param {"old" | "new"} role @param {number} bucket @param {number} slot */
  slotPixel(role, bucket, slot, chain = 0) {
    const g = last.geometry[role];
    if (!g?.slotCentre) throw new Error(`no per-slot drawing of the ${role} array`);
    const { x, y } = g.slotCentre(bucket, slot, chain);
    return pixelAt(/** @type {HTMLCanvasElement} */ (last.canvases[role]), x, y);
  },
  /** RGBA at the centre of group cell `g` (grouped drawing). */
  /** @param {"old" | "new"} role @param {number} g */
  groupPixel(role, g) {
    const geo = last.geometry[role];
    if (!geo?.cellCentre) throw new Error(`no grouped drawing of the ${role} array`);
    const { x, y } = geo.cellCentre(g);
    return pixelAt(/** @type {HTMLCanvasElement} */ (last.canvases[role]), x, y);
  },
  states: STATES,
};
/** @type {Window & { explorer?: typeof explorer }} */ (window).explorer = explorer;

// ------------------------------------------------------------------- start

async function start() {
  for (const id of /** @type {const} */ (["key", "value"])) {
    for (const k of KIND_NAMES) $(id).append(new Option(k, k));
  }
  $("key").value = params.get("key") ?? "string";
  $("value").value = params.get("value") ?? "i64";
  for (const id of /** @type {const} */ (["hint", "seed", "n", "gcPercent", "maxMemory"]))
    if (params.has(id)) $(id).value = /** @type {string} */ (params.get(id));
  $("trusted").checked = params.get("trusted") === "1";
  wire();
  renderButtons();
  try {
    pkg = await import(ENTRY);
  } catch (e) {
    const s = $("status");
    s.className = "status bad";
    s.textContent = `Cannot import ${ENTRY} (${errorText(e)}). Build the package first: npm run build (npm run explore does it when dist/ is missing).`;
    throw e;
  }
  await act(async () => {
    await newRuntime();
    makeMap();
  });
  if (!session) throw new Error($("message").textContent || "the runtime could not be created");
  return {
    entry: ENTRY,
    runtime: typeof (/** @type {NonNullable<typeof pkg>} */ (pkg).Runtime),
    trusted: session.rt.trusted,
    build: session.rt.debug ? "debug" : "release",
  };
}

explorer.ready = start();
