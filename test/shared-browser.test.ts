// Shared runtimes in the browser (docs/shared.md, "Browsers"), in Chromium
// through playwright-core (Debian's /usr/bin/chromium; skipped without it
// unless CI=true, as test/snapshot-worker.test.ts's browser case is).
//
// A page served cross-origin isolated (test/static-server.ts with
// isolated: true: COOP same-origin, COEP require-corp) creates
// Runtime.create({ shared: true }) through dist/browser.js, fills two maps
// and posts rt.share(m) to a module Web Worker (test/workers/shared-
// worker.js), which attaches them — no runtime of its own — and answers
// get/has/getMany/size/iteration by message. The page then updates,
// deletes and inserts enough to grow the memory: the worker sees every
// write; a write on the worker's reader is ReadOnlyMapError; a freed map
// is UseAfterFreeError there; after rt.close() the worker's next lookup
// throws RuntimeClosedError.
//
// The same page served without the headers: Runtime.create({ shared: true })
// throws InvalidOptionError on option "shared", naming both headers.
//
// The explorer's server (scripts/explore.mjs) sends both headers on every
// answer: the explorer page is isolated and a shared runtime works there.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fileURLToPath } from "node:url";
import type { Page } from "playwright-core";
import { CHROMIUM, CI, HAVE_CHROMIUM, launchChromium } from "./chromium.js";
import { startStaticServer, type StaticServer } from "./static-server.js";
import { startServer, type ExploreServer } from "../scripts/explore.mjs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const PAGE = "/test/workers/shared-page.html";

if (!HAVE_CHROMIUM && !CI) {
  console.log(
    `[shared-browser.test] SKIPPED: ${CHROMIUM} is absent (install it with: apt-get install -y chromium). Under CI=true it fails instead.`,
  );
}

interface Answers {
  values?: (bigint | number | null)[];
  has?: boolean[];
  many?: (bigint | number | null)[];
  size?: number;
  error?: { name: string; message: string };
}

interface SharedResult {
  isolated: boolean;
  attached: {
    readers?: Record<string, { reader: boolean; keyType: string; valueType: string; size: number; shared: boolean }>;
    error?: { name: string; message: string };
  };
  first: Answers & { keys: number[]; expected: (bigint | null)[] };
  otherAnswers: Answers;
  grew: boolean;
  second: Answers & { keys: number[]; expected: (bigint | null)[] };
  sum: { got: bigint; size: number; expected: bigint; expectedSize: number };
  write: Answers;
  afterFree: Answers;
  stillThere: Answers;
  afterClose: Answers;
  sizeAfterClose: Answers;
  errors: string[];
}

interface CreateResult {
  ok: boolean;
  isolated: boolean;
  name?: string;
  option?: string;
  message?: string;
}

describe.skipIf(!HAVE_CHROMIUM && !CI)("shared runtimes in Chromium: a page writes, a module Web Worker reads", () => {
  let isolated: StaticServer;
  let plain: StaticServer;
  let explore: ExploreServer;
  let browser: Awaited<ReturnType<typeof launchChromium>> | undefined;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!HAVE_CHROMIUM)
      throw new Error(`CI=true but ${CHROMIUM} is missing: .ci/run installs it with apt-get install -y chromium`);
    isolated = await startStaticServer({ root: ROOT, isolated: true });
    plain = await startStaticServer({ root: ROOT });
    explore = await startServer({ port: 0 });
    browser = await launchChromium(pageErrors);
    page = browser.page;
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await isolated?.close();
    await plain?.close();
    await explore?.close();
  });

  it("the isolated server sends COOP same-origin and COEP require-corp on every answer; the plain one neither", async () => {
    for (const path of [PAGE, "/test/workers/shared-worker.js", "/build/release-inline.js", "/nope"]) {
      const a = await fetch(`${isolated.origin}${path}`);
      expect([
        path,
        a.headers.get("cross-origin-opener-policy"),
        a.headers.get("cross-origin-embedder-policy"),
      ]).toEqual([path, "same-origin", "require-corp"]);
      const b = await fetch(`${plain.origin}${path}`);
      expect([
        path,
        b.headers.get("cross-origin-opener-policy"),
        b.headers.get("cross-origin-embedder-policy"),
      ]).toEqual([path, null, null]);
      await a.arrayBuffer();
      await b.arrayBuffer();
    }
  });

  it("cross-origin isolated: the worker attaches rt.share(m), sees every later write, and throws after free and close", async () => {
    pageErrors.length = 0;
    await page.goto(`${isolated.origin}${PAGE}`, { waitUntil: "load" });
    const r = (await page.evaluate(() =>
      (window as unknown as { shareMapWithWorker(): Promise<unknown> }).shareMapWithWorker(),
    )) as SharedResult;
    expect(pageErrors).toEqual([]);
    expect(r.errors).toEqual([]);
    expect(r.isolated).toBe(true);
    // The page, its worker and the package came from the isolated server.
    const sent = isolated.requests.filter((q) => q.status === 200).map((q) => q.path);
    expect(sent).toEqual(expect.arrayContaining([PAGE, "/test/workers/shared-worker.js", "/dist/browser.js"]));

    expect(r.attached.error).toBeUndefined();
    expect(r.attached.readers).toEqual({
      m: { reader: true, keyType: "u32", valueType: "u64", size: 3750, shared: true },
      other: { reader: true, keyType: "i64", valueType: "f64", size: 2, shared: true },
    });

    expect(r.first.error).toBeUndefined();
    expect(r.first.expected).toEqual([null, 1001n, 2001n, 3001n, null, 4999001n, null, null]);
    expect(r.first.values).toEqual(r.first.expected);
    expect(r.first.many).toEqual(r.first.expected);
    expect(r.first.has).toEqual(r.first.expected.map((v) => v !== null));
    expect(r.first.size).toBe(3750);
    expect(r.otherAnswers.values).toEqual([1.5, -0.25, null]);

    // Written after the worker attached, the memory grown meanwhile.
    expect(r.grew).toBe(true);
    expect(r.second.error).toBeUndefined();
    expect(r.second.expected).toEqual([
      7n,
      null,
      7n,
      3001n,
      null,
      null,
      7n,
      4999001n,
      5000n << 20n,
      150_001n << 20n,
      299_999n << 20n,
      null,
    ]);
    expect(r.second.values).toEqual(r.second.expected);
    expect(r.second.many).toEqual(r.second.expected);
    expect(r.second.size).toBe(r.sum.expectedSize);
    // Iteration in the worker: every entry, once.
    expect(r.sum.size).toBe(r.sum.expectedSize);
    expect(r.sum.got).toBe(r.sum.expected);

    expect(r.write.error?.name).toBe("ReadOnlyMapError");
    expect(r.afterFree.error?.name).toBe("UseAfterFreeError");
    expect(r.stillThere.values).toEqual([299_999n << 20n]);
    expect(r.afterClose.error?.name).toBe("RuntimeClosedError");
    expect(r.sizeAfterClose.error?.name).toBe("RuntimeClosedError");
  });

  it("without COOP/COEP: Runtime.create({ shared: true }) throws InvalidOptionError naming the headers", async () => {
    pageErrors.length = 0;
    await page.goto(`${plain.origin}${PAGE}`, { waitUntil: "load" });
    const r = (await page.evaluate(() =>
      (window as unknown as { createSharedRuntime(): Promise<unknown> }).createSharedRuntime(),
    )) as CreateResult;
    expect(pageErrors).toEqual([]);
    expect(r.isolated).toBe(false);
    expect(r).toMatchObject({ ok: false, name: "InvalidOptionError", option: "shared" });
    expect(r.message).toMatch(/COOP same-origin/);
    expect(r.message).toMatch(/COEP require-corp/);

    // The control: the same page, isolated, creates one.
    await page.goto(`${isolated.origin}${PAGE}`, { waitUntil: "load" });
    const ok = (await page.evaluate(() =>
      (window as unknown as { createSharedRuntime(): Promise<unknown> }).createSharedRuntime(),
    )) as CreateResult;
    expect(ok).toEqual({ ok: true, isolated: true });
  });

  it("the explorer's server isolates its pages: a shared runtime works on the explorer page", async () => {
    for (const path of ["/explorer/", "/dist/browser.js", "/explorer/nope", "/"]) {
      const a = await fetch(`${explore.origin}${path}`, { redirect: "manual" });
      expect([
        path,
        a.headers.get("cross-origin-opener-policy"),
        a.headers.get("cross-origin-embedder-policy"),
      ]).toEqual([path, "same-origin", "require-corp"]);
      await a.arrayBuffer();
    }
    pageErrors.length = 0;
    await page.goto(explore.url, { waitUntil: "load" });
    // A string, not a function: vitest would rewrite a function's import().
    const r = await page.evaluate(`(async () => {
      const { Runtime, attach } = await import("/dist/browser.js");
      const rt = await Runtime.create({ shared: true });
      const m = rt.map({ key: "u32", value: "u32" });
      m.set(7, 49);
      const got = attach(rt.share(m)).get(7);
      rt.close();
      return { isolated: self.crossOriginIsolated, got };
    })()`);
    expect(r).toEqual({ isolated: true, got: 49 });
    expect(pageErrors).toEqual([]);
  });
});
