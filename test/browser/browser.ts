// Shared pieces of the browser tests: finding Debian's chromium (Playwright's own download cannot
// run here), launching it headless with a fresh profile, collecting console errors, screenshots.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

import { REPO_ROOT } from '../support/package';

/** Chromium from CHROMIUM_PATH, or the first of the usual Debian/Ubuntu names on PATH. */
export function findChromium(): string | null {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) return fs.existsSync(fromEnv) ? fromEnv : null;
  for (const name of ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable']) {
    try {
      const found = execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
      if (found) return found;
    } catch {
      // not this one
    }
  }
  return null;
}

/** Skipping is allowed only when there is no browser at all, and then it must be impossible to miss. */
export function loudSkipMessage(): string {
  const bar = '!'.repeat(78);
  return `\n${bar}\n!! BROWSER TESTS SKIPPED: no chromium found (set CHROMIUM_PATH, or as root: apt-get install -y chromium).\n`
    + `!! The editor, the demo and the examples were NOT checked in a browser.\n${bar}\n`;
}

export const SCREENSHOT_DIR = path.resolve(process.env.MW_SCREENSHOTS || path.join(REPO_ROOT, '.ci-artifacts', 'screenshots'));

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Console errors and uncaught page errors seen so far, on every page of the context. */
  errors: string[];
  shot(name: string, page?: Page): Promise<string>;
  close(): Promise<void>;
}

/** `locale` sets the browser's language (navigator.language and Accept-Language), e.g. 'de-DE'. */
export async function launch(executablePath: string, opts: { locale?: string } = {}): Promise<Browser> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath, headless: true, viewport: { width: 1600, height: 1000 }, locale: opts.locale,
    args: [...(opts.locale ? [`--lang=${opts.locale}`] : []), '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  const errors: string[] = [];
  const watch = (p: Page): void => {
    p.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
    p.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  };
  context.pages().forEach(watch);
  context.on('page', watch);
  const page = context.pages()[0] ?? await context.newPage();
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  return {
    context, page, errors,
    async shot(name, p = page) {
      const file = path.join(SCREENSHOT_DIR, `${name}.png`);
      await p.screenshot({ path: file });
      return file;
    },
    async close() {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}
