// Type declarations for scripts/explore.mjs (plain JavaScript), so
// test/explorer.test.ts can start the explorer's server in-process.
import type { IncomingMessage, ServerResponse } from "node:http";

/** The package root the server serves from. */
export declare const ROOT: string;
export declare const DEFAULT_PORT: number;
/** File extension → Content-Type. */
export declare const MIME_TYPES: Readonly<Record<string, string>>;

export interface ExploreServer {
  /** http://host:port */
  origin: string;
  /** The explorer page: origin + "/explorer/". */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Start the static server; `port: 0` picks a free port. */
export declare function startServer(options?: { port?: number; host?: string; root?: string }): Promise<ExploreServer>;

/** The request handler over `root` (default: the package root). */
export declare function handler(root?: string): (req: IncomingMessage, res: ServerResponse) => void;

/** Are dist/browser.js and build/release.wasm there? */
export declare function builtOutputsPresent(root?: string): boolean;
