/**
 * Node entry: installs what differs from browsers — `file:` URLs are read
 * with fs (Node's fetch refuses them) and relative strings are paths; heap
 * profiles are gzipped with node:zlib; the trusted-runtime whitelist reads
 * the deployment's environment — then re-exports the package.
 */
import { randomBytes } from "node:crypto";
import { open, readFile, rename, rm, stat } from "node:fs/promises";
import { fileURLToPath, pathToFileURL } from "node:url";
import { gzip } from "node:zlib";
import { setPlatform } from "./loader.js";
import { engineFeatures, setTrustProbe, TRUST_ENV_VAR } from "./trust.js";
import { setGzip } from "./profile.js";
import { setSnapshotFiles } from "./snapstream.js";
import { InvalidArgumentError } from "./errors.js";

setPlatform({
  readFile: async (url) => {
    const b = await readFile(url);
    return new Uint8Array(b.buffer, b.byteOffset, b.length);
  },
  // A URL with a scheme of two or more letters ("https:", "file:", "data:") as is; anything else is a path.
  resolve: (s) => (/^[a-z][a-z\d+.-]+:/i.test(s) ? new URL(s) : pathToFileURL(s)),
});

// Streamed snapshots to and from files (src/snapstream.ts): positional
// reads straight into linear memory; writes to a temporary sibling,
// flushed, then renamed over the target (it appears whole or not at all).
setSnapshotFiles({
  path: (target, argument) => {
    if (typeof target === "string") {
      if (target === "") throw new InvalidArgumentError(argument, "an empty path");
      return target;
    }
    if (target.protocol !== "file:")
      throw new InvalidArgumentError(argument, `${target.protocol} URLs are not files; pass a path or a file: URL`);
    return fileURLToPath(target);
  },
  create: async (path) => {
    const st = await stat(path).catch(() => null);
    if (st?.isDirectory()) throw new InvalidArgumentError("target", `${path} is a directory`);
    const tmp = `${path}.tmp-${randomBytes(6).toString("hex")}`;
    const fh = await open(tmp, "wx");
    const abort = async () => {
      await fh.close().catch(() => {});
      await rm(tmp, { force: true });
    };
    return {
      write: async (bytes) => {
        for (let off = 0; off < bytes.length; ) {
          const { bytesWritten } = await fh.write(bytes, off, bytes.length - off, null);
          off += bytesWritten;
        }
      },
      commit: async () => {
        try {
          await fh.datasync();
          await fh.close();
          await rename(tmp, path);
        } catch (e) {
          await abort();
          throw e;
        }
      },
      abort,
    };
  },
  open: async (path) => {
    const fh = await open(path, "r");
    try {
      const st = await fh.stat();
      if (st.isDirectory()) throw new InvalidArgumentError("source", `${path} is a directory`);
      return {
        size: st.size,
        read: async (dst, position) => (await fh.read(dst, 0, dst.length, position)).bytesRead,
        close: () => fh.close(),
      };
    } catch (e) {
      await fh.close();
      throw e;
    }
  },
});

// Heap profiles are gzipped with node:zlib here (CompressionStream elsewhere).
setGzip(
  (data) =>
    new Promise((resolve, reject) =>
      gzip(data, (e, out) => (e ? reject(e) : resolve(new Uint8Array(out.buffer, out.byteOffset, out.length)))),
    ),
);

// The whitelist for trusted runtimes (src/trust.ts): the deployment's
// opt-in, a Node we test, the engine features the core uses.
setTrustProbe(() => [
  { name: `${TRUST_ENV_VAR}=1 in the environment`, ok: process.env[TRUST_ENV_VAR] === "1" },
  { name: `Node >= 20 (this is ${process.versions.node})`, ok: Number(process.versions.node.split(".")[0]) >= 20 },
  ...engineFeatures(),
]);

export * from "./index.js";
