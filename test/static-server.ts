// A small static file server for tests (node:http), in the spirit of
// scripts/explore.mjs but over any folder: GET and HEAD, correct MIME types
// (application/wasm, so the browser may compile while downloading), no
// caching, directories serve their index.html. Symbolic links are followed
// (a consumer project links pprof-format into its node_modules); the
// requested path itself may not climb out of the root.
//
// `fallback: true` makes it behave like a single-page-app host: every
// unknown path is answered with the root's index.html (200, text/html),
// the setup under which a wrong wasm URL used to give a bare CompileError.
//
// `isolated: true` adds the two headers that make a page cross-origin
// isolated (Cross-Origin-Opener-Policy: same-origin, Cross-Origin-Embedder-
// Policy: require-corp) to every answer: SharedArrayBuffer, and so a
// runtime created with { shared: true }, exists only on such a page. Off by
// default, so that the other tests see the server they were written for
// (test/shared-browser.test.ts starts one of each).
import { createServer, type Server } from "node:http";
import { createReadStream, statSync } from "node:fs";
import { pipeline } from "node:stream";
import { extname, join, normalize, sep } from "node:path";
import type { AddressInfo } from "node:net";

export const MIME_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".cjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".wasm": "application/wasm",
  ".map": "application/json; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".ts": "text/plain; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
};

export interface StaticServerOptions {
  root: string;
  /** Answer every unknown path with root/index.html (an SPA host). */
  fallback?: boolean;
  /** Send COOP same-origin and COEP require-corp with every answer: the
   *  pages are cross-origin isolated. */
  isolated?: boolean;
  host?: string;
  port?: number;
}

export interface RequestRecord {
  method: string;
  path: string;
  status: number;
  type: string;
}

export interface StaticServer {
  /** e.g. http://127.0.0.1:40123 */
  readonly origin: string;
  readonly root: string;
  readonly fallback: boolean;
  readonly isolated: boolean;
  /** Every request answered, in order (for diagnostics). */
  readonly requests: RequestRecord[];
  close(): Promise<void>;
}

function fileFor(root: string, urlPath: string): string | null {
  let path: string;
  try {
    path = decodeURIComponent(urlPath.split("?")[0]!.split("#")[0]!);
  } catch {
    return null;
  }
  if (path.includes("\0") || path.includes("\\")) return null;
  let full = normalize(join(root, path));
  if (full !== root && !full.startsWith(root + sep)) return null;
  try {
    if (statSync(full).isDirectory()) full = join(full, "index.html");
    return statSync(full).isFile() ? full : null;
  } catch {
    return null;
  }
}

export function startStaticServer(options: StaticServerOptions): Promise<StaticServer> {
  const root = normalize(options.root).replace(/[/\\]$/, "");
  const fallback = options.fallback ?? false;
  const isolated = options.isolated ?? false;
  const requests: RequestRecord[] = [];
  const sockets = new Set<import("node:net").Socket>();

  const server: Server = createServer((req, res) => {
    const method = req.method ?? "GET";
    const path = req.url ?? "/";
    const answer = (status: number, type: string, file: string | null, body?: string) => {
      requests.push({ method, path, status, type });
      const headers: Record<string, string | number> = { "content-type": type, "cache-control": "no-store" };
      if (isolated) {
        headers["cross-origin-opener-policy"] = "same-origin";
        headers["cross-origin-embedder-policy"] = "require-corp";
      }
      if (file) headers["content-length"] = statSync(file).size;
      else headers["content-length"] = Buffer.byteLength(body ?? "");
      res.writeHead(status, headers);
      if (method === "HEAD") return void res.end();
      if (file) pipeline(createReadStream(file), res, () => {});
      else res.end(body);
    };
    if (method !== "GET" && method !== "HEAD")
      return answer(405, "text/plain; charset=utf-8", null, "method not allowed\n");
    const file = fileFor(root, path);
    if (file) return answer(200, MIME_TYPES[extname(file).toLowerCase()] ?? "application/octet-stream", file);
    if (fallback) {
      const index = fileFor(root, "/index.html");
      if (index) return answer(200, MIME_TYPES[".html"]!, index);
    }
    answer(404, "text/plain; charset=utf-8", null, `not found: ${path}\n`);
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });

  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => {
      const { address, port } = server.address() as AddressInfo;
      resolve({
        origin: `http://${address}:${port}`,
        root,
        fallback,
        isolated,
        requests,
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}
