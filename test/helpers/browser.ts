import fs from 'node:fs';
import { chromium, type BrowserContext } from 'playwright-core';

/**
 * Debian's Chromium driven by playwright-core (never `npx playwright install`: no browser downloads here).
 * Missing Chromium fails loudly in CI (.ci/run installs it) and skips with a warning on a developer machine.
 */
export const chromiumPath = '/usr/bin/chromium';
export const chromiumFlags = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export const chromiumAvailable = fs.existsSync(chromiumPath);
const inCi = Boolean(process.env.CI);

/** True when the browser tests should run; throws in CI without Chromium so the gap cannot go unnoticed. */
export function requireChromium(suite: string): boolean {
  if (chromiumAvailable) return true;
  if (inCi) throw new Error(`${chromiumPath} is missing, so ${suite} cannot run: .ci/run must apt-get install chromium.`);
  const bar = '!'.repeat(78);
  console.warn(`\n${bar}\n!! ${chromiumPath} is missing: SKIPPING ${suite}.\n!! Install it (apt-get install -y chromium); CI does, and fails without it.\n${bar}\n`);
  return false;
}

export interface RunningBrowser {
  /** A fresh context: its own cookies, as another browser would have. */
  context(): Promise<BrowserContext>;
  close(): Promise<void>;
}

/**
 * Chromium on a fresh, throwaway profile: playwright-core's launch() makes a new user-data dir per launch
 * and deletes it on close (it refuses a --user-data-dir argument), and each context has its own cookies.
 */
export async function launchChromium(): Promise<RunningBrowser> {
  const browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumFlags, timeout: 60_000 });
  return {
    context: () => browser.newContext({ viewport: { width: 1280, height: 860 } }),
    async close() {
      await browser.close();
    },
  };
}
