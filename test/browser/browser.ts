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
  /** Errors of Node-RED's own editor that happen with its core nodes too (see `isNodeRedMonacoCloseRace`). */
  upstream: string[];
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
  const upstream: string[] = [];
  const watch = (p: Page): void => {
    // The address says which request failed or which script logged the error.
    p.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()} (${m.location().url})`); });
    p.on('pageerror', (e) => {
      const text = `page error: ${e.message}${e.stack ? `\n${e.stack.split('\n').slice(0, 6).join('\n')}` : ''}`;
      (isNodeRedMonacoCloseRace(e) ? upstream : errors).push(text);
    });
  };
  context.pages().forEach(watch);
  context.on('page', watch);
  const page = context.pages()[0] ?? await context.newPage();
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  return {
    context, page, errors, upstream,
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

/**
 * Node-RED 4.1's editor disposes every Monaco model when an edit dialog closes (its "editor:close"
 * handler in red.js). A dialog with a JSON code editor closed before Monaco's JSON worker has answered
 * (the first dialog of a session on a busy machine) then makes Monaco's folding throw "Model is
 * disposed!" from its own code. Node-RED's core template node in JSON format does the same (checked
 * with the same open-and-close in chromium), so it says nothing about our nodes; only an error whose
 * every stack frame is in Monaco's bundle counts as this race.
 */
export function isNodeRedMonacoCloseRace(e: Error): boolean {
  if (!/^Model is disposed!/.test(e.message)) return false;
  // Frames without an address ("at async Promise.all") say nothing about whose code ran.
  const scripts = (e.stack ?? '').split('\n').filter((l) => /^\s+at .*https?:\/\//.test(l));
  return scripts.length > 0 && scripts.every((l) => l.includes('/vendor/monaco/'));
}

