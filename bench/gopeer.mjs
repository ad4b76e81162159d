// The "Go native" peer of bench/maps.mjs: bench/go/maps (Go's own map, built
// with the Go toolchain found here) run as a long-lived subprocess of a
// benchmark child, which hands it the child's key streams through a temp
// file and asks it for one turn at a time, so its turns interleave with the
// JS peers' turns within each repetition. See bench/go/maps/main.go for the
// protocol. Without a Go toolchain the peer is left out, with the reason.
import { spawn, spawnSync } from "node:child_process";
import { openSync, writeSync, closeSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

/** Where a Go toolchain may be: $GO, Debian/Ubuntu's golang-1.19-go (what CI
 *  installs), then `go` on the PATH. */
const GO_CANDIDATES = () =>
  /** @type {string[]} */ (
    [process.env.GO, "/usr/lib/go-1.19/bin/go", "go"].filter((x) => typeof x === "string" && x !== "")
  );

/**
 * Build bench/go/maps into a temp file. Returns the binary and the Go version,
 * or `bin: null` and why not (no toolchain, a failed build).
 * @returns {{ bin: string | null, version: string, why: string }}
 */
export function buildGoPeer() {
  /** @type {string[]} */
  const tried = [];
  for (const go of GO_CANDIDATES()) {
    if (go !== "go" && !existsSync(go)) {
      tried.push(`${go} (absent)`);
      continue;
    }
    const v = spawnSync(go, ["version"], { encoding: "utf8" });
    if (v.status !== 0) {
      tried.push(`${go} (${v.error ? v.error.message : `exit ${v.status}`})`);
      continue;
    }
    const version = (v.stdout.match(/go\d+(\.\d+)*/) ?? ["go?"])[0];
    const bin = join(tmpdir(), `gomap-bench-maps-${process.pid}`);
    const b = spawnSync(go, ["build", "-o", bin, "./maps"], {
      cwd: join(here, "go"),
      encoding: "utf8",
    });
    if (b.status !== 0)
      return { bin: null, version, why: `go build failed: ${(b.stderr || String(b.error)).trim().split("\n")[0]}` };
    return { bin, version, why: "" };
  }
  return { bin: null, version: "", why: `no Go toolchain (tried ${tried.join(", ")})` };
}

/** @param {string | null} bin */
export function removeGoPeer(bin) {
  if (bin) rmSync(bin, { force: true });
}

/**
 * One running Go peer.
 * @typedef {{ ns?: Record<string, number>, checks?: Record<string, string>, mem?: Record<string, number>,
 *   ok?: boolean, go?: string, error?: string }} GoAnswer
 */
export class GoPeer {
  /** @param {string} bin */
  constructor(bin) {
    this.proc = spawn(bin, [], { stdio: ["pipe", "pipe", "inherit"] });
    /** @type {string[]} */
    this.lines = [];
    /** @type {{ resolve: (l: string) => void, reject: (e: Error) => void }[]} */
    this.waiters = [];
    this.ended = false;
    let buf = "";
    const out = /** @type {import("node:stream").Readable} */ (this.proc.stdout);
    out.setEncoding("utf8");
    out.on("data", (/** @type {string} */ chunk) => {
      buf += chunk;
      for (let i = buf.indexOf("\n"); i >= 0; i = buf.indexOf("\n")) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        const w = this.waiters.shift();
        if (w) w.resolve(line);
        else this.lines.push(line);
      }
    });
    out.on("end", () => {
      this.ended = true;
      for (const w of this.waiters.splice(0)) w.reject(new Error("Go peer exited"));
    });
    /** The data whose keys it holds (a key file is written per data). @type {unknown} */
    this.loaded = null;
    this.file = join(tmpdir(), `gomap-bench-keys-${process.pid}`);
  }
  /** Send one command, wait for its answer. @param {string} cmd @returns {Promise<GoAnswer>} */
  async ask(cmd) {
    /** @type {Promise<string>} */
    const line = this.lines.length
      ? Promise.resolve(/** @type {string} */ (this.lines.shift()))
      : this.ended
        ? Promise.reject(new Error("Go peer exited"))
        : new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
    /** @type {import("node:stream").Writable} */ (this.proc.stdin).write(cmd + "\n");
    /** @type {GoAnswer} */
    const a = JSON.parse(await line);
    if (a.error) throw new Error(`Go peer: ${a.error} (after "${cmd}")`);
    return a;
  }
  /**
   * Hand it a key set (once per data object): `write(put)` calls put() with
   * the file's bytes in order (insert keys, lookup keys, absent keys).
   * @param {unknown} data @param {"u32" | "u64" | "str"} kind @param {number} n
   * @param {(put: (b: Uint8Array | string) => void) => void} write
   */
  async load(data, kind, n, write) {
    if (this.loaded === data) return;
    const fd = openSync(this.file, "w");
    try {
      write((b) => {
        if (typeof b === "string") writeSync(fd, b);
        else writeSync(fd, b);
      });
    } finally {
      closeSync(fd);
    }
    await this.ask(`load ${kind} ${n} ${this.file}`);
    rmSync(this.file, { force: true }); // it has read the file
    this.loaded = data;
  }
  /** @param {number} inner @param {string[]} ops @param {boolean} mem */
  turn(inner, ops, mem) {
    return this.ask(`turn ${inner} ${ops.join(",")} ${mem ? 1 : 0}`);
  }
  close() {
    /** @type {import("node:stream").Writable} */ (this.proc.stdin).end();
    rmSync(this.file, { force: true });
  }
}
