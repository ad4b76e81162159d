/**
 * Streamed snapshots and restores (`rt.snapshotStream`, `rt.snapshotTo`,
 * `Runtime.restoreFrom`; docs/snapshot.md, "Streams and files").
 *
 * The image is never held twice: a snapshot reads it out of linear memory
 * a chunk at a time as the destination takes it, and a restore writes it
 * into the new linear memory as the source yields it (src/snapshot.ts,
 * readImage: an ImageReader's readInto fills memory views directly).
 *
 *   destination           how bytes leave linear memory
 *   file path (Node)      views written by fs (no copy), to <path>.tmp-<random>,
 *                         renamed over <path> at the end
 *   Node Writable         a copy per chunk (the Writable keeps what it is
 *                         given); write() false → wait for 'drain'
 *   WritableStream        a copy per chunk, each write awaited
 *   snapshotStream()      a copy per chunk, made when the consumer pulls
 *
 * Copies are made because nothing handed to user code may lead to the
 * `WebAssembly.Memory`; at most one chunk (COPY_CHUNK) is in flight.
 *
 *   source                how bytes reach linear memory
 *   file path (Node)      positional reads straight into memory views
 *   Blob / File           blob.slice(...).arrayBuffer() per piece, copied in
 *   ReadableStream,       each chunk copied in as it comes; a short stream is
 *   async iterable        SnapshotError "truncated", bytes after the last
 *   (Node Readable)       section SnapshotError "sections"
 *
 * While a streamed snapshot is written its runtime is frozen (Boundary
 * freeze/thaw): writes, collections, compaction throw
 * SnapshotInProgressError, lookups go on. The job is thawed on every end:
 * the last byte delivered, an error on either side, a cancel, or the
 * runtime closed (which fails the snapshot with RuntimeClosedError).
 *
 * Files are Node's: the Node entry (src/node.ts) installs SnapshotFiles
 * with setSnapshotFiles, so no `node:` import reaches a browser bundle.
 */
import { InvalidArgumentError, SnapshotError } from "./errors.js";
import type { ImageReader } from "./snapshot.js";

/** Bytes per chunk handed to user code (a copy each). */
export const COPY_CHUNK = 8 * 1024 * 1024;
/** Bytes per fs call (views of linear memory, no copy). */
export const FILE_CHUNK = 64 * 1024 * 1024;

// ------------------------------------------------------------ public types

/** A Node `Writable` (`fs.createWriteStream`, a socket, …) as
 *  `rt.snapshotTo` uses it, declared structurally so that a browser
 *  project needs no Node types. */
export interface SnapshotWritable {
  /** Returns false when the caller should wait for 'drain'. */
  write(chunk: Uint8Array): boolean;
  /** Called once the image is written; the snapshot settles on 'finish'. */
  end(): unknown;
  /** Listens for 'drain', 'error', 'close' and 'finish'. */
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  /** Removes the listeners again. */
  off(event: string, listener: (...args: unknown[]) => void): unknown;
  /** Called (without an error) when the snapshot fails on its side. */
  destroy(): unknown;
}

/** A WHATWG `WritableStream` of bytes (an OPFS file's `createWritable()`,
 *  `new WritableStream(...)`), declared structurally so that a project
 *  needs no DOM lib: the part `rt.snapshotTo` uses. */
export interface SnapshotWritableStream {
  /** Locks the stream to the writer `rt.snapshotTo` writes with. */
  getWriter(): {
    write(chunk: Uint8Array): Promise<void>;
    close(): Promise<void>;
    abort(reason?: unknown): Promise<void>;
    releaseLock(): void;
  };
}

/** A WHATWG `ReadableStream` of bytes, declared structurally (no DOM lib
 *  needed): what `rt.snapshotStream` returns is a real `ReadableStream`
 *  (in TypeScript with the DOM lib, `stream as ReadableStream<Uint8Array>`
 *  for APIs such as `new Response(stream)`), and what `Runtime.restoreFrom`
 *  takes is any object with this `getReader()`. */
export interface SnapshotReadableStream {
  /** Is a reader attached? */
  readonly locked: boolean;
  /** Locks the stream to a reader of its chunks. */
  getReader(): {
    read(): Promise<{ done: boolean; value?: Uint8Array | undefined }>;
    cancel(reason?: unknown): Promise<void>;
    releaseLock(): void;
  };
  /** Stops the stream (a snapshot stream then thaws its runtime). */
  cancel(reason?: unknown): Promise<void>;
}

/** A `Blob` (a browser `File` included), declared structurally. */
export interface SnapshotBlob {
  /** Bytes in the Blob (the image's length, checked against its header). */
  readonly size: number;
  /** A part of it (read a piece at a time). */
  slice(start?: number, end?: number): SnapshotBlob;
  /** Its bytes. */
  arrayBuffer(): Promise<ArrayBuffer>;
}

/** Where `rt.snapshotTo` writes: a file path or `file:` URL (Node), a Node
 *  `Writable`, or a WHATWG `WritableStream` (e.g. an OPFS file's
 *  `createWritable()`). */
export type SnapshotTarget = string | URL | SnapshotWritable | SnapshotWritableStream;

/** What `Runtime.restoreFrom` reads: a file path or `file:` URL (Node), a
 *  `Blob` (a browser `File` included), a WHATWG `ReadableStream`, any async
 *  iterable of `Uint8Array` chunks (a Node `Readable`), or the bytes. */
export type SnapshotSource =
  | string
  | URL
  | SnapshotBlob
  | SnapshotReadableStream
  | AsyncIterable<Uint8Array>
  | Uint8Array;

// ------------------------------------------------------------ files (Node)

/** A file being written: the bytes go to a temporary sibling, which
 *  commit() renames over the target; abort() removes it. */
export interface FileSink {
  /** Write all of `bytes` (a view of linear memory: consumed before the
   *  promise settles). */
  write(bytes: Uint8Array): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

/** A file being read. */
export interface FileSource {
  readonly size: number;
  /** Read into `dst` from `position`; bytes read (0 at the end). */
  read(dst: Uint8Array, position: number): Promise<number>;
  close(): Promise<void>;
}

/** What the Node entry installs. */
export interface SnapshotFiles {
  /** The path of a string or a `file:` URL (InvalidArgumentError else). */
  path(target: string | URL, argument: string): string;
  /** Open `<path>.tmp-<random>` for writing (InvalidArgumentError when
   *  `path` is a directory). */
  create(path: string): Promise<FileSink>;
  /** Open `path` for reading (InvalidArgumentError when it is a directory;
   *  Node's error, e.g. ENOENT, when it cannot be opened). */
  open(path: string): Promise<FileSource>;
}

let files: SnapshotFiles | null = null;

/** @internal Installed by node.ts. */
export function setSnapshotFiles(f: SnapshotFiles | null): void {
  files = f;
}

function needFiles(argument: string, what: string): SnapshotFiles {
  if (!files) {
    throw new InvalidArgumentError(argument, `file paths and file: URLs need Node's file system; here, ${what}`);
  }
  return files;
}

// ----------------------------------------------------------- the writing

/** A snapshot being written: its chunks in order (views of linear memory,
 *  or host bytes), and the end of the job (thaw; idempotent). */
export interface ImageJob {
  readonly totalBytes: number;
  /** The next view, or null after the last. Throws RuntimeClosedError
   *  when the runtime was closed meanwhile. */
  next(chunk: number): Uint8Array | null;
  /** Is `v` a view of linear memory (to be copied before it is handed on)? */
  inMemory(v: Uint8Array): boolean;
  finish(): void;
}

const copyOut = (job: ImageJob, v: Uint8Array): Uint8Array => (job.inMemory(v) ? v.slice() : v);

/** `rt.snapshotStream`: pull-based; one chunk per pull, copied then. */
export function imageStream(job: ImageJob): SnapshotReadableStream {
  let sent = 0;
  return new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        try {
          const v = job.next(COPY_CHUNK);
          if (v === null) {
            job.finish();
            controller.close();
            return;
          }
          controller.enqueue(copyOut(job, v));
          sent += v.length;
          if (sent === job.totalBytes) {
            // The last byte is out: writes may go on while the consumer
            // reads it.
            job.finish();
            controller.close();
          }
        } catch (e) {
          job.finish();
          controller.error(e);
        }
      },
      cancel() {
        job.finish();
      },
    },
    { highWaterMark: 0 },
  );
}

/** The kind of destination, found before anything is planned. */
export type WriteTarget =
  | { kind: "path"; path: string; files: SnapshotFiles }
  | { kind: "writable"; w: SnapshotWritable }
  | { kind: "stream"; s: SnapshotWritableStream };

export function writeTarget(target: unknown): WriteTarget {
  if (typeof target === "string" || target instanceof URL) {
    const f = needFiles("target", "pass a WritableStream (e.g. an OPFS file's createWritable())");
    return { kind: "path", path: f.path(target, "target"), files: f };
  }
  const t = target as Record<string, unknown> | null;
  if (typeof t === "object" && t !== null) {
    if (typeof t.getWriter === "function") return { kind: "stream", s: target as SnapshotWritableStream };
    if (
      typeof t.write === "function" &&
      typeof t.end === "function" &&
      typeof t.on === "function" &&
      typeof t.off === "function"
    )
      return { kind: "writable", w: target as SnapshotWritable };
  }
  throw new InvalidArgumentError(
    "target",
    `expected a file path, a file: URL, a Node Writable or a WritableStream, got ${describe(target)}`,
  );
}

/** Write the job to its destination; the job is finished in every case. */
export async function writeJob(job: ImageJob, t: WriteTarget): Promise<number> {
  try {
    if (t.kind === "path") await toFile(job, t.files, t.path);
    else if (t.kind === "writable") await toWritable(job, t.w);
    else await toStream(job, t.s);
    return job.totalBytes;
  } finally {
    job.finish();
  }
}

async function toFile(job: ImageJob, f: SnapshotFiles, path: string): Promise<void> {
  const sink = await f.create(path);
  try {
    for (let v = job.next(FILE_CHUNK); v !== null; v = job.next(FILE_CHUNK)) await sink.write(v);
  } catch (e) {
    await sink.abort().catch(() => {});
    throw e;
  }
  await sink.commit(); // removes the temporary file itself if it fails
}

async function toWritable(job: ImageJob, w: SnapshotWritable): Promise<void> {
  let failed: { e: unknown } | null = null;
  let finished = false;
  let wake: (() => void) | null = null;
  const rouse = () => {
    const f = wake;
    wake = null;
    f?.();
  };
  const onError = (e: unknown) => {
    failed ??= { e };
    rouse();
  };
  const onClose = () => {
    if (!finished) failed ??= { e: new Error("the Writable was closed before the snapshot was written") };
    rouse();
  };
  const onFinish = () => {
    finished = true;
    rouse();
  };
  w.on("error", onError);
  w.on("close", onClose);
  w.on("drain", rouse);
  w.on("finish", onFinish);
  const wait = () => new Promise<void>((resolve) => (wake = resolve));
  try {
    try {
      for (let v = job.next(COPY_CHUNK); v !== null; v = job.next(COPY_CHUNK)) {
        if (failed) break;
        if (!w.write(copyOut(job, v))) await wait();
      }
    } catch (e) {
      // Our side failed (the runtime closed): the Writable goes down with
      // it, as in stream.pipeline, but quietly (the promise carries the
      // reason; an 'error' event nobody listens for would crash Node).
      w.destroy();
      throw e;
    }
    if (!failed) {
      w.end();
      while (!finished && !failed) await wait();
    }
    if (failed) throw (failed as { e: unknown }).e;
  } finally {
    w.off("error", onError);
    w.off("close", onClose);
    w.off("drain", rouse);
    w.off("finish", onFinish);
  }
}

async function toStream(job: ImageJob, s: SnapshotWritableStream): Promise<void> {
  const writer = s.getWriter();
  try {
    for (let v = job.next(COPY_CHUNK); v !== null; v = job.next(COPY_CHUNK)) await writer.write(copyOut(job, v));
    await writer.close();
  } catch (e) {
    // An OPFS writable discards what was written (the file stays as it was).
    await writer.abort(e).catch(() => {});
    throw e;
  } finally {
    writer.releaseLock();
  }
}

// ------------------------------------------------------------ the reading

/** An ImageReader with a way to release its source. */
export interface SourceReader extends ImageReader {
  close(error?: unknown): Promise<void>;
}

const truncated = (msg: string) => new SnapshotError("truncated", msg);

/** The reader for a restoreFrom source, the file opened (Node). */
export async function openSource(source: unknown, bytes: (u8: Uint8Array) => ImageReader): Promise<SourceReader> {
  if (typeof source === "string" || source instanceof URL) {
    const f = needFiles("source", "pass a Blob or a ReadableStream");
    return fileReader(await f.open(f.path(source, "source")));
  }
  if (source instanceof Uint8Array) return { ...bytes(source), close: async () => {} };
  if (isBlob(source)) return blobReader(source);
  const s = source as Record<string | symbol, unknown> | null;
  if (typeof s === "object" && s !== null) {
    if (typeof s.getReader === "function") {
      const r = (source as SnapshotReadableStream).getReader();
      return new ChunkReader(
        () => r.read() as Promise<IteratorResult<unknown>>,
        async (e) => {
          if (e !== undefined) await r.cancel(e).catch(() => {});
          r.releaseLock();
        },
      );
    }
    if (typeof s[Symbol.asyncIterator] === "function") {
      const it = (source as AsyncIterable<unknown>)[Symbol.asyncIterator]();
      return new ChunkReader(
        () => it.next(),
        async (e) => {
          // return() destroys a Node Readable; done already, it does nothing.
          if (e !== undefined) await it.return?.().catch(() => {});
        },
      );
    }
  }
  throw new InvalidArgumentError(
    "source",
    `expected a file path, a file: URL, a Blob, a ReadableStream, an async iterable of Uint8Array chunks ` +
      `(a Node Readable) or a Uint8Array, got ${describe(source)}`,
  );
}

function isBlob(x: unknown): x is SnapshotBlob {
  return typeof Blob === "function" && x instanceof Blob;
}

function describe(x: unknown): string {
  if (x === null) return "null";
  if (typeof x !== "object") return typeof x;
  const name = (x as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === "string" && name ? `a ${name}` : "an object";
}

function fileReader(f: FileSource): SourceReader {
  let pos = 0;
  const readInto = async (dst: Uint8Array): Promise<void> => {
    for (let off = 0; off < dst.length; ) {
      const n = Math.min(dst.length - off, FILE_CHUNK);
      const got = await f.read(dst.subarray(off, off + n), pos);
      if (got === 0) throw truncated(`the file ends at ${pos} bytes (it shrank while being read)`);
      off += got;
      pos += got;
    }
  };
  return positionalReader(f.size, readInto, () => f.close());
}

function blobReader(blob: SnapshotBlob): SourceReader {
  let pos = 0;
  const readInto = async (dst: Uint8Array): Promise<void> => {
    for (let off = 0; off < dst.length; ) {
      const n = Math.min(dst.length - off, FILE_CHUNK);
      const piece = new Uint8Array(await blob.slice(pos, pos + n).arrayBuffer());
      if (piece.length !== n) throw truncated(`the Blob ends at ${pos + piece.length} bytes`);
      dst.set(piece, off);
      off += n;
      pos += n;
    }
  };
  return positionalReader(blob.size, readInto, async () => {});
}

/** A SourceReader of known size over its readInto (read: into a new array). */
function positionalReader(
  size: number,
  readInto: (dst: Uint8Array) => Promise<void>,
  close: SourceReader["close"],
): SourceReader {
  return {
    size,
    read: async (n) => {
      const out = new Uint8Array(n);
      await readInto(out);
      return out;
    },
    readInto,
    close,
  };
}

/** A reader over a stream of chunks of unknown total length. */
class ChunkReader implements SourceReader {
  readonly size = undefined;
  #next: () => Promise<IteratorResult<unknown>>;
  #release: (error: unknown) => Promise<void>;
  #chunk: Uint8Array = new Uint8Array(0);
  #at = 0;
  /** Bytes taken so far. */
  #pos = 0;
  #done = false;

  constructor(next: () => Promise<IteratorResult<unknown>>, release: (error: unknown) => Promise<void>) {
    this.#next = next;
    this.#release = release;
  }

  /** A current chunk with bytes left in it, or false at the stream's end. */
  async #fill(): Promise<boolean> {
    while (this.#at >= this.#chunk.length) {
      if (this.#done) return false;
      const r = await this.#next();
      if (r.done) {
        this.#done = true;
        return false;
      }
      const c = r.value;
      if (!(c instanceof Uint8Array))
        throw new InvalidArgumentError(
          "source",
          `the stream gave ${describe(c)} as a chunk; expected Uint8Array chunks`,
        );
      this.#chunk = c;
      this.#at = 0;
    }
    return true;
  }

  async readInto(dst: Uint8Array): Promise<void> {
    for (let off = 0; off < dst.length; ) {
      if (!(await this.#fill())) throw truncated(`the stream ended after ${this.#pos + off} bytes, inside the image`);
      const n = Math.min(dst.length - off, this.#chunk.length - this.#at);
      dst.set(this.#chunk.subarray(this.#at, this.#at + n), off);
      this.#at += n;
      off += n;
    }
    this.#pos += dst.length;
  }

  async read(n: number): Promise<Uint8Array> {
    const out = new Uint8Array(n);
    await this.readInto(out);
    return out;
  }

  /** After the last section: the stream must end here. */
  async end(): Promise<void> {
    if (await this.#fill())
      throw new SnapshotError("sections", `the stream goes on after the image's last section (byte ${this.#pos})`);
  }

  close(error?: unknown): Promise<void> {
    return this.#release(this.#done ? undefined : (error ?? new Error("restoreFrom stopped reading")));
  }
}
