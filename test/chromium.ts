// Debian's Chromium for the browser tests (explorer, bundlers), driven by
// playwright-core, which downloads no browser: where it is, whether it is
// there, and the flags it needs on a machine with a closed network (without
// the background-networking ones its connections are refused, many at a
// time). Headless is playwright's own option. Without Chromium the browser
// tests skip with a printed reason, except under CI=true, where they fail
// (.ci/run installs it).
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";

/** GOMAP_TEST_CHROMIUM points at another Chromium (or none, to try the skip
 *  and CI-failure paths). */
export const CHROMIUM = process.env.GOMAP_TEST_CHROMIUM ?? "/usr/bin/chromium";
export const CI = process.env.CI === "true" || process.env.CI === "1";
export const HAVE_CHROMIUM = existsSync(CHROMIUM);
export const CHROMIUM_FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** A headless Chromium with a fresh profile and one page whose uncaught
 *  errors (and, with `consoleErrors`, console.error lines) are pushed to
 *  `errors`; `close()` ends it and removes the profile. */
export async function launchChromium(
  errors: string[],
  options: { pageTimeout?: number; consoleErrors?: boolean } = {},
): Promise<{ context: BrowserContext; page: Page; close(): Promise<void> }> {
  const { chromium } = await import("playwright-core");
  const userDataDir = mkdtempSync(join(tmpdir(), "gomap-chromium-"));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_FLAGS,
    timeout: 60_000,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(options.pageTimeout ?? 30_000);
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  if (options.consoleErrors !== false)
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(`console.error: ${m.text()}`);
    });
  return {
    context,
    page,
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
