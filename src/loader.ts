/**
 * Where the compiled core comes from, and how it is turned into a
 * `WebAssembly.Module`.
 *
 * The builds, and how each is found when the caller does not supply it:
 *
 *   build     default source                            why
 *   release   build/release-inline.js (base64 in JS)    found by every bundler, by a
 *                                                       CommonJS bundle and unbundled,
 *                                                       with no configuration
 *   debug     build/debug.wasm beside the package       never referenced statically, so it
 *             (Node: read with fs; browsers: fetch)     never rides along into a bundle; a
 *                                                       bundled app passes it as `wasm`
 *
 *   release-shared  the inlined release core with its   the same code importing a shared
 *                   memory import patched to shared     memory (Runtime.create({ shared:
 *                   (5 bytes: sharedTwin)               true })); no second copy to bundle
 *   debug-shared    build/debug-shared.wasm beside the package, as debug
 *
 * A caller may supply the core instead (`Runtime.create({ wasm })`, or
 * `setWasmSource` for every later create): a URL or URL string, bytes, a
 * `Response`, or a compiled `WebAssembly.Module`, or a promise of one.
 * Every failure to load is a `WasmLoadError` naming where it looked and
 * what came back. Compiled default modules are cached, so every
 * `Runtime.create` after the first only instantiates.
 *
 * Platform differences (reading `file:` URLs, resolving relative strings)
 * are installed by the entries (node.ts, browser.ts), which are the
 * package's only modules with side effects.
 */
import RELEASE_BASE64 from "../build/release-inline.js";
import { WasmLoadError } from "./errors.js";
import { RELEASE_MEMORY_LIMITS_AT } from "../build/core-exports.js";

/** The builds of the core. */
export type BuildName = "release" | "debug" | "release-shared" | "debug-shared";

/** A `Response` as `fetch` returns it (declared structurally, so that a
 *  Node project needs no DOM lib to use these types). */
export interface WasmResponse {
  /** False makes the load fail with WasmLoadError (an HTTP error status). */
  readonly ok: boolean;
  /** The HTTP status (reported in WasmLoadError.status). */
  readonly status: number;
  /** Where the response came from (reported in WasmLoadError.url). */
  readonly url: string;
  /** Only `get("content-type")` is read (reported in WasmLoadError.contentType). */
  readonly headers: { get(name: string): string | null };
  /** The body: the core's bytes. */
  arrayBuffer(): Promise<ArrayBuffer>;
}

/** A compiled `WebAssembly.Module` (typed as `object` so that a Node
 *  project needs no DOM lib; checked at run time). */
export type WasmModule = object;

/**
 * The core, as a caller may supply it: a URL or URL string (a relative
 * string is resolved against the page in browsers, the working directory in
 * Node), the module's bytes, a `Response` (e.g. `fetch(url)`), or a compiled
 * `WebAssembly.Module`.
 */
export type WasmInput = string | URL | ArrayBuffer | ArrayBufferView | WasmResponse | WasmModule;

/** A function that supplies the core for a build (see `setWasmSource`). */
export type WasmSource = (build: BuildName) => WasmInput | PromiseLike<WasmInput>;

/** What differs between Node and browsers (installed by the entries). */
export interface Platform {
  /** Read a `file:` URL (Node); null where there is no file system. */
  readFile: ((url: URL) => Promise<Uint8Array>) | null;
  /** A URL from a string the caller gave. */
  resolve(s: string): URL;
}

let platform: Platform = {
  readFile: null,
  resolve: (s) => new URL(s, (globalThis as { location?: { href: string } }).location?.href),
};

/** @internal Installed by node.ts / browser.ts. */
export function setPlatform(p: Platform): void {
  platform = p;
}

// This module's URL, read once and kept in a variable: bundlers rewrite
// `new URL("literal", import.meta.url)` into an emitted asset, which the
// debug core must not become. In a CommonJS bundle it is undefined.
const MODULE_URL: string | undefined = import.meta.url;

let source: WasmSource | null = null;
const cache = new Map<BuildName, Promise<WebAssembly.Module>>();

/**
 * Supply the core yourself for every later `Runtime.create` (and
 * compaction) that does not pass its own `wasm` option: `fn(build)`
 * returns a URL, bytes, a `Response` or a `WebAssembly.Module`, or a
 * promise of one. `setWasmSource(null)` restores the default sources.
 */
export function setWasmSource(fn: WasmSource | null): void {
  if (fn !== null && typeof fn !== "function") throw new TypeError("setWasmSource: expected a function or null");
  source = fn;
  cache.clear();
}

/** @internal The compiled core for a build: from the caller's `wasm` input if given,
 *  else from the installed source, else the default. */
export function loadCore(build: BuildName, input?: WasmInput | PromiseLike<WasmInput>): Promise<WebAssembly.Module> {
  if (input !== undefined) return compileInput(input);
  let p = cache.get(build);
  if (!p) {
    const fn = source;
    p = fn
      ? Promise.resolve()
          .then(() => fn(build))
          .then(
            (x) => compileInput(x),
            (e: unknown) => compileInput(Promise.reject(e)),
          )
      : defaultCore(build);
    p.catch(() => cache.delete(build));
    cache.set(build, p);
  }
  return p;
}

function defaultCore(build: BuildName): Promise<WebAssembly.Module> {
  if (build === "release") return compileBytes(fromBase64(RELEASE_BASE64), { url: "" }, "the inlined release core");
  if (build === "release-shared")
    return compileBytes(sharedTwin(fromBase64(RELEASE_BASE64)), { url: "" }, "the inlined release core, shared");
  let url: URL;
  try {
    url = new URL(build === "debug" ? "../build/debug.wasm" : "../build/debug-shared.wasm", MODULE_URL);
  } catch {
    return Promise.reject(debugNotFound("(no module URL: this is a bundle)"));
  }
  return compileUrl(url).catch((e: unknown) => {
    throw e instanceof WasmLoadError ? debugNotFound(url.href, e) : e;
  });
}

function debugNotFound(where: string, cause?: WasmLoadError): WasmLoadError {
  return new WasmLoadError(
    `${cause ? cause.message.replace(/^.*?: cannot load the core(?: from \S+)?: /, "") + "; " : ""}` +
      "the debug core is read from beside the package, which a bundle does not have (it is never bundled by default); " +
      "supply it: Runtime.create({ debug: true, wasm: <URL, bytes or Response of gomap-wasm/build/debug.wasm> })",
    { url: where, status: cause?.status ?? 0, contentType: cause?.contentType ?? "" },
    cause,
  );
}

async function compileInput(x: WasmInput | PromiseLike<WasmInput>): Promise<WebAssembly.Module> {
  let input: WasmInput;
  try {
    input = await x;
  } catch (e) {
    if (e instanceof WasmLoadError) throw e;
    throw new WasmLoadError(`the core's source failed: ${(e as Error)?.message ?? String(e)}`, {}, e);
  }
  try {
    return await compileGiven(input);
  } catch (e) {
    if (e instanceof WasmLoadError) throw e;
    throw new WasmLoadError(`reading the given core failed: ${(e as Error)?.message ?? String(e)}`, {}, e);
  }
}

async function compileGiven(input: WasmInput): Promise<WebAssembly.Module> {
  if (input instanceof WebAssembly.Module) return input;
  if (typeof input === "string") {
    let url: URL;
    try {
      url = platform.resolve(input);
    } catch (e) {
      throw new WasmLoadError(`${JSON.stringify(input)} is not a URL`, { url: input }, e);
    }
    return compileUrl(url);
  }
  if (input instanceof URL) return compileUrl(input);
  if (input instanceof ArrayBuffer) return compileBytes(new Uint8Array(input), { url: "" }, "the bytes given");
  if (ArrayBuffer.isView(input)) {
    return compileBytes(
      new Uint8Array(input.buffer, input.byteOffset, input.byteLength),
      { url: "" },
      "the bytes given",
    );
  }
  if (isResponse(input)) return compileResponse(input, input.url);
  throw new WasmLoadError(
    `expected a URL, a URL string, bytes, a Response or a WebAssembly.Module, got ${input === null ? "null" : typeof input}`,
  );
}

function isResponse(x: unknown): x is WasmResponse {
  const r = x as WasmResponse;
  return (
    typeof r === "object" &&
    r !== null &&
    typeof r.arrayBuffer === "function" &&
    typeof r.status === "number" &&
    typeof r.headers?.get === "function"
  );
}

async function compileUrl(url: URL): Promise<WebAssembly.Module> {
  if (url.protocol === "file:") {
    if (!platform.readFile)
      throw new WasmLoadError("file: URLs cannot be read here; serve the file over http(s)", { url: url.href });
    let bytes: Uint8Array;
    try {
      bytes = await platform.readFile(url);
    } catch (e) {
      throw new WasmLoadError(`cannot read the file: ${(e as Error).message}`, { url: url.href, status: 404 }, e);
    }
    return compileBytes(bytes, { url: url.href, status: 200 }, "the file");
  }
  let res: WasmResponse;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new WasmLoadError(`the request failed: ${(e as Error).message}`, { url: url.href }, e);
  }
  return compileResponse(res, url.href);
}

async function compileResponse(res: WasmResponse, url: string): Promise<WebAssembly.Module> {
  const contentType = res.headers.get("content-type") ?? "";
  const where = { url, status: res.status, contentType };
  if (!res.ok)
    throw new WasmLoadError(`got HTTP ${res.status}${contentType ? ` (${contentType})` : ""}, not wasm`, where);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await res.arrayBuffer());
  } catch (e) {
    throw new WasmLoadError(`reading the response failed: ${(e as Error).message}`, where, e);
  }
  return compileBytes(bytes, where, "the response");
}

const MAGIC = [0x00, 0x61, 0x73, 0x6d];

async function compileBytes(
  bytes: Uint8Array,
  where: { url: string; status?: number; contentType?: string },
  what: string,
): Promise<WebAssembly.Module> {
  if (bytes.length < 8 || MAGIC.some((b, i) => bytes[i] !== b)) {
    const type = where.contentType ? where.contentType.split(";")[0]!.trim() : "";
    const text = new TextDecoder().decode(bytes.subarray(0, 40)).replace(/\s+/g, " ").trim();
    const got = type && type !== "application/wasm" ? `got ${type}, not wasm` : `${what}: not WebAssembly`;
    const hint = /^<(!doctype|html)/i.test(text)
      ? " (an HTML page: a server that answers unknown paths with index.html? check the URL)"
      : "";
    throw new WasmLoadError(
      `${got}: it starts with ${bytes.length ? JSON.stringify(text) : "nothing (0 bytes)"}${hint}`,
      where,
    );
  }
  try {
    return await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
  } catch (e) {
    throw new WasmLoadError(`${what} does not compile: ${(e as Error).message}`, where, e);
  }
}

function fromBase64(s: string): Uint8Array {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** The release core importing a shared memory: the build compiles the core
 *  for a shared memory and then writes the memory import's limits as
 *  unshared (scripts/build.mjs splitShared) — flags 0x00 and a padded
 *  minimum of 1, five bytes — so writing back flags 0x03, minimum 1 and
 *  maximum 65536 pages gives the shared build, byte for byte, code and
 *  fingerprint alike, without shipping it twice. */
function sharedTwin(bytes: Uint8Array): Uint8Array {
  const at = RELEASE_MEMORY_LIMITS_AT;
  const unshared = [0x00, 0x81, 0x80, 0x80, 0x00];
  if (!unshared.every((x, i) => bytes[at + i] === x))
    throw new WasmLoadError("the inlined release core's memory import is not where the build recorded it", { url: "" });
  const out = bytes.slice();
  out.set([0x03, 0x01, 0x80, 0x80, 0x04], at);
  return out;
}
