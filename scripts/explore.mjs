#!/usr/bin/env node
// `npm run explore`: serves the explorer (explorer/index.html), a page that
// runs gomap-wasm in the browser through the package's browser entry
// (dist/browser.js, with the release core inlined: build/release-inline.js).
//
// A small static file server over the package root, of our own: GET and
// HEAD only, a fixed set of top-level directories (what the page and the
// source maps need), never a dotfile, correct MIME types (application/wasm
// lets the browser compile the core while it downloads), no caching (a
// rebuild shows up on reload), and the two headers that make the page
// cross-origin isolated (COOP same-origin, COEP require-corp), so that a
// shared runtime can be tried in its console.
//
//   npm run explore                  http://127.0.0.1:5180/explorer/
//   npm run explore -- --port 8080   another port (0 picks a free one)
//   npm run explore -- --host 0.0.0.0
//   npm run explore -- --build       run the (incremental) build first
//
// Builds first when dist/ or build/ is missing. test/explorer.test.ts
// starts the same server in-process with startServer().
import { createServer } from "node:http";
import { createReadStream, existsSync, realpathSync, statSync } from "node:fs";
import { pipeline } from "node:stream";
import { extname, join, normalize, sep, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { spawnSync } from "node:child_process";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
export const DEFAULT_PORT = 5180;

/** Top-level directories the server exposes: the page, the host library
 *  and the core it loads, and the sources its source maps name. */
const SERVED = new Set(["explorer", "dist", "build", "src", "assembly", "docs"]);

/** @type {Readonly<Record<string, string>>} */
export const MIME_TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".wasm": "application/wasm",
  ".map": "application/json; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".ts": "text/plain; charset=utf-8",
  ".wat": "text/plain; charset=utf-8",
  ".md": "text/markdown; charset=utf-8",
  ".png": "image/png",
  ".svg": "image/svg+xml",
  ".ico": "image/x-icon",
};

/**
 * The file a URL path names, or null when it is outside what we serve.
 * @param {string} root
 * @param {string} urlPath
 * @returns {string | null}
 */
function resolvePath(root, urlPath) {
  let path;
  try {
    // (split() returns at least one element.)
    path = decodeURIComponent(/** @type {string} */ (/** @type {string} */ (urlPath.split("?")[0]).split("#")[0]));
  } catch {
    return null;
  }
  const parts = path.split("/").filter((p) => p !== "");
  if (parts.length === 0 || !SERVED.has(/** @type {string} */ (parts[0]))) return null;
  if (parts.some((p) => p.startsWith(".") || p.includes("\\") || p.includes("\0"))) return null;
  const full = normalize(join(root, ...parts));
  if (!full.startsWith(root + sep)) return null;
  // Symbolic links must not lead out of the served folder.
  let real;
  try {
    real = realpathSync(full);
  } catch {
    return null;
  }
  const top = realpathSync(join(root, /** @type {string} */ (parts[0])));
  if (real !== top && !real.startsWith(top + sep)) return null;
  return real;
}

/**
 * @param {import("node:http").ServerResponse} res
 * @param {number} status
 * @param {string} body
 */
function send(res, status, body, type = "text/plain; charset=utf-8") {
  res.writeHead(status, {
    "content-type": type,
    "content-length": Buffer.byteLength(body),
    "cache-control": "no-store",
  });
  res.end(body);
}

/**
 * The request handler (exported for tests of the server itself).
 * @returns {(req: import("node:http").IncomingMessage, res: import("node:http").ServerResponse) => void}
 */
export function handler(root = ROOT) {
  return (req, res) => {
    // Cross-origin isolation (every answer): SharedArrayBuffer, and so
    // Runtime.create({ shared: true }), exists only on an isolated page.
    // The explorer loads nothing from another origin, so it costs nothing.
    res.setHeader("cross-origin-opener-policy", "same-origin");
    res.setHeader("cross-origin-embedder-policy", "require-corp");
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.setHeader("allow", "GET, HEAD");
      return send(res, 405, "method not allowed\n");
    }
    const url = req.url ?? "/";
    if (url === "/" || url.startsWith("/?")) {
      res.writeHead(302, { location: "/explorer/" + url.slice(1), "cache-control": "no-store" });
      return res.end();
    }
    let file = resolvePath(root, url);
    /** @param {string} f */
    const stat = (f) => {
      try {
        return statSync(f);
      } catch {
        return null; // gone, or unreadable
      }
    };
    let st = file ? stat(file) : null;
    if (!file || !st) return send(res, 404, `not found: ${url}\n`);
    if (st.isDirectory()) {
      if (!(/** @type {string} */ (url.split("?")[0]).endsWith("/"))) {
        const [p, q] = url.split("?");
        // A path-absolute redirect: "//docs" must not become "//docs/",
        // which a browser reads as the host "docs" (an open redirect).
        const path = "/" + /** @type {string} */ (p).replace(/^\/+/, "");
        res.writeHead(301, { location: `${path}/${q === undefined ? "" : "?" + q}`, "cache-control": "no-store" });
        return res.end();
      }
      file = join(file, "index.html");
      st = stat(file);
      if (!st?.isFile()) return send(res, 404, `not found: ${url}\n`);
    }
    if (!st.isFile()) return send(res, 404, `not found: ${url}\n`);
    res.writeHead(200, {
      "content-type": MIME_TYPES[extname(file).toLowerCase()] ?? "application/octet-stream",
      "content-length": st.size,
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
    });
    if (req.method === "HEAD") return res.end();
    // pipeline closes the file when the client hangs up, and a read error
    // ends this response instead of the server.
    pipeline(createReadStream(file), res, () => {});
  };
}

/**
 * Start the server. `port: 0` picks a free port. Resolves to its URL
 * (the explorer's) and a close function.
 * @param {{ port?: number, host?: string, root?: string }} [options]
 * @returns {Promise<import("./explore.d.mts").ExploreServer>}
 */
export function startServer({ port = DEFAULT_PORT, host = "127.0.0.1", root = ROOT } = {}) {
  const server = createServer(handler(root));
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      // Listening on a TCP host and port: an AddressInfo, never a pipe's name.
      const addr = /** @type {import("node:net").AddressInfo} */ (server.address());
      const shownHost = host === "0.0.0.0" || host === "::" ? "localhost" : host.includes(":") ? `[${host}]` : host;
      const origin = `http://${shownHost}:${addr.port}`;
      resolve({
        origin,
        url: `${origin}/explorer/`,
        port: addr.port,
        close: () =>
          /** @type {Promise<void>} */ (
            new Promise((done) => {
              server.closeAllConnections?.();
              server.close(() => done());
            })
          ),
      });
    });
  });
}

/** Are the files the page loads there? */
export function builtOutputsPresent(root = ROOT) {
  return ["dist/browser.js", "build/release-inline.js"].every((f) => existsSync(join(root, f)));
}

function runBuild() {
  const r = spawnSync(process.execPath, [join(ROOT, "scripts", "build.mjs")], { cwd: ROOT, stdio: "inherit" });
  if (r.status !== 0) {
    console.error("explore: the build failed (node scripts/build.mjs)");
    process.exit(1);
  }
}

const HELP = `npm run explore [-- --port N] [--host H] [--build]

Serves the gomap-wasm explorer (explorer/index.html): drive the article's
experiment in the browser and watch the buckets, the heap and MemStats.

  --port N   port to listen on (default ${DEFAULT_PORT}; 0 picks a free one)
  --host H   address to bind (default 127.0.0.1)
  --build    run the incremental build first (it runs anyway when dist/ or
             build/ is missing)
  --help     this text`;

/**
 * @param {string[]} argv
 * @returns {{ port: number, host: string, build: boolean } | null} null: --help
 */
function parseArgs(argv) {
  const o = { port: DEFAULT_PORT, host: "127.0.0.1", build: false };
  for (let i = 0; i < argv.length; i++) {
    const a = /** @type {string} */ (argv[i]);
    const [flag, inline] = a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    if (flag === "--help" || flag === "-h") return null;
    else if (flag === "--build") o.build = true;
    else if (flag === "--host") o.host = value();
    else if (flag === "--port") {
      const v = value();
      const p = Number(v);
      if (!/^\d+$/.test(v) || p > 65535) throw new Error(`--port needs a port number from 0 to 65535, got ${v}`);
      o.port = p;
    } else throw new Error(`unknown option ${a} (try --help)`);
  }
  return o;
}

async function main() {
  let o;
  try {
    o = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`explore: ${/** @type {Error} */ (e).message}`);
    process.exit(2);
  }
  if (!o) {
    console.log(HELP);
    return;
  }
  if (o.build || !builtOutputsPresent()) {
    if (!o.build) console.log("explore: dist/ or build/ is missing; building first");
    runBuild();
  }
  let s;
  try {
    s = await startServer(o);
  } catch (e) {
    const hint =
      /** @type {NodeJS.ErrnoException} */ (e).code === "EADDRINUSE"
        ? ` (port ${o.port} is taken: try --port 0 or another port)`
        : "";
    console.error(`explore: cannot listen on ${o.host}:${o.port}: ${/** @type {Error} */ (e).message}${hint}`);
    process.exit(1);
  }
  console.log(`gomap-wasm explorer: ${s.url}`);
  console.log("(Ctrl-C stops the server)");
  const stop = () => s.close().then(() => process.exit(0));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === normalize(process.argv[1])) await main();
