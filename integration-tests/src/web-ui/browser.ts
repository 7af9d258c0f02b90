// Headless Chromium (Debian's /usr/bin/chromium) driven by playwright-core, with a fresh profile in
// a temp dir and the flags that keep it off the network (no background, update or sync traffic).
// Every request the page makes is recorded, so a test can prove the UI loads nothing from outside.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** Where the screenshots go (gitignored): integration-tests/screenshots/, or $AAMI_SCREENSHOT_DIR. */
export const SCREENSHOT_DIR = process.env.AAMI_SCREENSHOT_DIR ?? fileURLToPath(new URL('../../screenshots/', import.meta.url));

export interface UiBrowser {
  context: BrowserContext;
  /** A new tab; dialogs (alert/confirm) are recorded and dismissed, so an XSS shows up as one. */
  newPage(): Promise<Page>;
  /** Texts of every dialog any page opened. */
  dialogs: string[];
  /** Every URL any page requested. */
  requests: string[];
  /** Errors thrown in any page (uncaught exceptions), and CSP violations from the console. */
  pageErrors: string[];
  /** A full-page screenshot (or of one element, given a locator) named `<name>.png`. */
  screenshot(target: Page | Locator, name: string): Promise<string>;
  close(): Promise<void>;
}

export async function launchUiBrowser(): Promise<UiBrowser> {
  const profile = await mkdtemp(join(tmpdir(), 'aami-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-quic', '--disable-dev-shm-usage',
    ],
    viewport: { width: 1280, height: 860 },
    timeout: 60_000,
  });
  context.setDefaultTimeout(15_000);
  const dialogs: string[] = [];
  const requests: string[] = [];
  const pageErrors: string[] = [];
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const watch = (page: Page) => {
    page.on('dialog', (d) => { dialogs.push(d.message()); void d.dismiss(); });
    page.on('request', (r) => { requests.push(r.url()); });
    page.on('pageerror', (e) => { pageErrors.push(e.message); });
    page.on('console', (m) => { if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) pageErrors.push(m.text()); });
  };
  context.on('page', watch);
  for (const p of context.pages()) watch(p);
  return {
    context,
    dialogs,
    requests,
    pageErrors,
    newPage: () => context.newPage(),
    async screenshot(target, name) {
      const path = join(SCREENSHOT_DIR, `${name}.png`);
      if ('goto' in target) await target.screenshot({ path, fullPage: true });
      else await target.screenshot({ path });
      return path;
    },
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/**
 * A new tab of the UI at `base`, signed in with `token`: it opens `#/<screen>` (the sign-in form
 * shows first, then that screen) and resolves once the screen's heading `heading` is shown.
 */
export async function signedInTab(browser: UiBrowser, base: string, token: string, screen = 'nodes', heading = 'Nodes'): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(`${base}/#/${screen}`);
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { level: 1, name: heading }).waitFor();
  return page;
}
