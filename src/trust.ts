/**
 * The whitelist check behind `Runtime.create({ trusted: true })` — the
 * article's build tags + runtime-version check, translated to JS.
 *
 * Unsafe access needs two things:
 * 1. A named opt-in from the caller: `{ trusted: true }`. In Node the
 *    deployment must also say so: `GOMAP_WASM_TRUSTED=1` in the process
 *    environment (the build tag: code cannot switch it on by itself unless
 *    it also edits its own environment, which is then a visible decision).
 * 2. A host engine we test: Node major >= 20 (the engines field; we run CI
 *    on 20), or a browser whose WebAssembly validates the features the core
 *    is built with (bulk memory: memory.fill/copy) and passes i64 to JS as
 *    BigInt (the hooks receive their keys that way).
 *
 * Each entry (node.ts, browser.ts) installs its probe; the checks run once,
 * when the runtime is created, and trust cannot be switched on later. This
 * is a policy gate against accidents, not a security boundary: code running
 * in the same JS realm can always reach the memory some other way.
 */

/** One check of the whitelist and whether it passed. */
export interface TrustCheck {
  name: string;
  ok: boolean;
}

export type TrustProbe = () => TrustCheck[];

/** The environment variable a Node deployment sets to allow trusted runtimes. */
export const TRUST_ENV_VAR = "GOMAP_WASM_TRUSTED";

let probe: TrustProbe = () => [{ name: "gomap-wasm imported through its node or browser entry", ok: false }];

/** Installed by the node and browser entries. */
export function setTrustProbe(p: TrustProbe): void {
  probe = p;
}

/** Run the whitelist; returns every check with its result. */
export function environmentChecks(): TrustCheck[] {
  try {
    return probe();
  } catch (e) {
    return [{ name: `environment probe (${(e as Error).message})`, ok: false }];
  }
}

/** Does this engine validate a module using bulk memory (memory.fill) and
 *  hand i64 to JS as BigInt? */
export function engineFeatures(): TrustCheck[] {
  // (module (memory 1) (func (memory.fill (i32.const 0) (i32.const 0) (i32.const 0))))
  const bulk = new Uint8Array([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00, // magic, version
    0x01,
    0x04,
    0x01,
    0x60,
    0x00,
    0x00, // type: () -> ()
    0x03,
    0x02,
    0x01,
    0x00, // func 0: type 0
    0x05,
    0x03,
    0x01,
    0x00,
    0x01, // memory: min 1
    0x0a,
    0x0d,
    0x01,
    0x0b,
    0x00, // code: one body of 11 bytes, no locals
    0x41,
    0x00,
    0x41,
    0x00,
    0x41,
    0x00,
    0xfc,
    0x0b,
    0x00,
    0x0b, // i32.const ×3, memory.fill 0, end
  ]);
  let bulkOk = false;
  try {
    bulkOk = WebAssembly.validate(bulk);
  } catch {
    bulkOk = false;
  }
  return [
    { name: "WebAssembly bulk memory", ok: bulkOk },
    { name: "BigInt i64 integration", ok: typeof BigInt64Array === "function" && typeof BigInt === "function" },
  ];
}
