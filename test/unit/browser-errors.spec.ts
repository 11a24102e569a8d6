import assert from 'node:assert/strict';

import { isNodeRedMonacoCloseRace } from '../browser/browser';

// The browser tests set aside one error of Node-RED's own editor; nothing else may be set aside.
describe('browser tests: which page errors count as Node-RED\'s Monaco close race', () => {
  const error = (message: string, frames: string[]): Error => {
    const e = new Error(message);
    e.stack = [`Error: ${message}`, ...frames.map((f) => `    at ${f}`)].join('\n');
    return e;
  };
  const monaco = 'http://127.0.0.1:1880/vendor/monaco/dist/editor.js:2:4085096';

  it('is the race when Monaco alone threw "Model is disposed!"', () => {
    assert.equal(isNodeRedMonacoCloseRace(error('Model is disposed!', [`Wt._assertNotDisposed (${monaco})`, `Wt.getOptions (${monaco})`, 'async Promise.all (index 0)'])), true);
  });

  it('is not the race when our editor code is on the stack, when the message differs, or when there is no stack', () => {
    assert.equal(isNodeRedMonacoCloseRace(error('Model is disposed!', [`Wt.getOptions (${monaco})`, 'closeEditor (http://127.0.0.1:1880/nodes/mw-threshold.html:12:3)'])), false);
    assert.equal(isNodeRedMonacoCloseRace(error('Cannot read properties of undefined', [`Wt.getOptions (${monaco})`])), false);
    assert.equal(isNodeRedMonacoCloseRace(error('Model is disposed!', ['async Promise.all (index 0)'])), false);
  });
});
