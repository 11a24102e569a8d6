// One browser test's own Node-RED (runtime-child in a child process, free port, temp user dir) and
// the editor opened in Debian's chromium.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { BUILD_ROOT } from '../../sim/paths';
import { REPO_ROOT } from '../support/package';
import { startChild, waitFor, type Child } from '../support/package-runtime';
import { findChromium, launch, loudSkipMessage, type Browser } from './browser';

interface EditorSession {
  url: string;
  browser: Browser;
  child: Child;
  userDir: string;
  close(): Promise<void>;
}

export async function openEditor(chromium: string, flows: object[], prefix: string): Promise<EditorSession> {
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const flowsFile = path.join(userDir, 'start-flows.json');
  fs.writeFileSync(flowsFile, JSON.stringify(flows));
  const child = startChild([path.join(BUILD_ROOT, 'test', 'browser', 'runtime-child.js')], {
    cwd: REPO_ROOT, env: { ...process.env, MW_USER_DIR: userDir, MW_FLOWS: flowsFile },
  });
  const close = async (browser?: Browser): Promise<void> => {
    await browser?.close().catch(() => undefined);
    await child.stop('SIGINT', 15_000).catch(() => child.stop('SIGKILL'));
    fs.rmSync(userDir, { recursive: true, force: true });
  };
  let url: string;
  try {
    url = await waitFor('editor URL', async () => /Node-RED editor: (http:\/\/\S+?)\/?$/m.exec(child.log())?.[1], 60_000,
      () => (child.exited() ? `runtime exited early:\n${child.log()}` : undefined));
  } catch (e) {
    await close();
    throw e;
  }
  const browser = await launch(chromium);
  await browser.page.goto(`${url}/`);
  // Every node of the suite's flow must be in the editor before a test opens one: Node-RED's
  // editConfig() on an id it does not know yet opens a blank new config node instead (seen in CI:
  // the registry dialog with no rows on a loaded machine).
  const ids = flows.map((n) => (n as { id?: unknown }).id).filter((id): id is string => typeof id === 'string');
  await browser.page.waitForFunction((want) => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the editor's global RED has no types here
    const RED = (window as any).RED;
    return !!RED?.nodes?.getType?.('mw-asset-registry') && !!RED.nodes.workspace && !!document.querySelector('.red-ui-palette-node[data-palette-type="mw-threshold"]')
      && want.every((id) => !!RED.nodes.node(id) || !!RED.nodes.workspace(id));
  }, ids, { timeout: 60_000 });
  // The editor finishes drawing the flows after the palette; a dialog opened before may be closed by it.
  await browser.page.waitForTimeout(1500);
  return { url, browser, child, userDir, close: () => close(browser) };
}

/**
 * The suite's editor session as mocha hooks: started before the first test (or the suite skipped with
 * the loud banner when there is no chromium), closed after the last. Returns a getter for the tests.
 */
export function editorForSuite(suite: Mocha.Suite, flows: object[], prefix: string): () => EditorSession {
  let session: EditorSession | undefined;
  suite.beforeAll(async function () {
    const chromium = findChromium();
    if (!chromium) {
      console.error(loudSkipMessage());
      this.skip();
    }
    session = await openEditor(chromium as string, flows, prefix);
  });
  suite.afterAll(async () => { await session?.close(); });
  return () => {
    if (!session) throw new Error('the editor session is not open');
    return session;
  };
}
