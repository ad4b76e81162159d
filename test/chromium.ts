// Debian's Chromium for the browser tests (explorer, bundlers), driven by
// playwright-core, which downloads no browser: where it is, whether it is
// there, and the flags it needs on a machine with a closed network (without
// the background-networking ones its connections are refused, many at a
// time). Headless is playwright's own option. Without Chromium the browser
// tests skip with a printed reason, except under CI=true, where they fail
// (.ci/run installs it).
import { existsSync } from "node:fs";

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
