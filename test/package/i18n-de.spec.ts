// German beside English: the package test that keeps every catalogue and help page translated, a
// fixture proving that check can fail, and Node-RED's own i18n (the code the editor and the runtime
// use) choosing singular and plural from a count in both languages.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { checkTranslation } from '../support/package-checks';
import { REPO_ROOT } from '../support/package';

const LOCALES = path.join(REPO_ROOT, 'locales');

describe('package: German translation (locales/de)', function () {
  it('every en-US catalogue key and help page exists in de and vice versa, with the same placeholders', function () {
    assert.deepEqual(checkTranslation(LOCALES, 'de'), []);
  });

  it('the check reports a missing file, a missing or extra key, a lost placeholder and a missing help page', function () {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-i18n-'));
    try {
      const write = (rel: string, text: string): void => {
        fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
        fs.writeFileSync(path.join(root, rel), text);
      };
      write('en-US/a.json', JSON.stringify({ a: { x: 'one __n__', y: 'two', z: 'three' } }));
      write('en-US/a.html', '<script type="text/html" data-help-name="mw-a"></script>');
      write('en-US/b.json', JSON.stringify({ b: { x: 'b' } }));
      write('de/a.json', JSON.stringify({ a: { x: 'eins', y: 'zwei', extra: 'mehr' } }));
      write('de/a.html', '<script type="text/html" data-help-name="mw-other"></script>');
      const problems = checkTranslation(root, 'de');
      assert.deepEqual(problems.sort(), [
        'de/a.html: help for [mw-other], en-US has [mw-a]',
        'de/a.json: "a.extra" is not in en-US',
        'de/a.json: "a.x" has placeholders [], en-US [__n__]',
        'de/a.json: "a.z" is missing',
        'de/b.json is missing',
      ]);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('status texts are short in every language (a long status runs into the neighbouring node)', function () {
    // Each part as it renders with two-digit counts; texts made only of parts (__summary__) are checked per part.
    const MAX = 30;
    const long: string[] = [];
    for (const lang of ['en-US', 'de']) {
      for (const f of fs.readdirSync(path.join(LOCALES, lang)).filter((x) => x.endsWith('.json'))) {
        const catalogue = JSON.parse(fs.readFileSync(path.join(LOCALES, lang, f), 'utf8')) as Record<string, { status?: Record<string, string> }>;
        for (const [node, section] of Object.entries(catalogue)) {
          for (const [key, text] of Object.entries(section.status ?? {})) {
            const shown = text.replace(/__(summary|attention|problems|problem)__/g, '').replace(/__[A-Za-z0-9]+__/g, '12');
            if (shown.length > MAX) long.push(`${lang} ${node}.status.${key}: "${shown}" (${shown.length})`);
          }
        }
      }
    }
    assert.deepEqual(long, []);
  });

  it("Node-RED's i18n picks singular and plural by count from our catalogues, in en-US and de", async function () {
    // The same module the runtime uses to serve catalogues to the editor (it maps FOO_plural for i18next v4).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { i18n } = require('@node-red/util') as { i18n: {
      init(s: object): void;
      registerMessageCatalog(ns: string, dir: string, file: string): Promise<void>;
      i: { loadLanguages(l: string[]): Promise<unknown>; getFixedT(lng: string, ns: string): (key: string, p?: object) => string };
    } };
    i18n.init({});
    await i18n.registerMessageCatalog('mw-test-asset-map', LOCALES, 'mw-asset-map.json');
    await i18n.i.loadLanguages(['en-US', 'de']);
    // Fixed to one language each, so the process-wide language (other tests' runtimes) is left alone.
    const en = i18n.i.getFixedT('en-US', 'mw-test-asset-map');
    const de = i18n.i.getFixedT('de', 'mw-test-asset-map');
    assert.equal(en('mw-asset-map.status.unmapped', { count: 1 }), '1 unmapped id');
    assert.equal(en('mw-asset-map.status.unmapped', { count: 2 }), '2 unmapped ids');
    assert.equal(de('mw-asset-map.status.unmapped', { count: 1 }), '1 unbekannte ID');
    assert.equal(de('mw-asset-map.status.unmapped', { count: 2 }), '2 unbekannte IDs');
  });
});
