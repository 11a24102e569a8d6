import assert from 'node:assert/strict';
import path from 'node:path';

import { ESLint } from 'eslint';

import { REPO_ROOT } from '../support/package';

// The architecture rests on nodes/core never importing Node-RED; this proves the lint rule bites.
describe('package: lint rule keeping nodes/core pure', function () {
  const eslint = new ESLint({ cwd: REPO_ROOT });

  async function restrictedImports(text: string, file: string): Promise<string[]> {
    const [result] = await eslint.lintText(text, { filePath: path.join(REPO_ROOT, file) });
    return result.messages.filter((m) => m.ruleId === 'no-restricted-imports' && m.severity === 2).map((m) => m.message);
  }

  const importNodeRed = "import x from 'node-red';\nexport const y = x;\n";

  it("rejects `import x from 'node-red'` under nodes/core/", async function () {
    const errors = await restrictedImports(importNodeRed, 'nodes/core/lint-probe.ts');
    assert.equal(errors.length, 1);
    assert.match(errors[0], /pure logic/);
  });

  it('rejects @node-red/* and the Node-RED-aware helpers in nodes/lib under nodes/core/', async function () {
    assert.equal((await restrictedImports("import { log } from '@node-red/util';\nexport const y = log;\n", 'nodes/core/x/lint-probe.ts')).length, 1);
    assert.equal((await restrictedImports("import { onInput } from '../../lib/input';\nexport const y = onInput;\n", 'nodes/core/x/lint-probe.ts')).length, 1);
  });

  it('allows the same import in a node adapter under nodes/', async function () {
    assert.deepEqual(await restrictedImports(importNodeRed, 'nodes/lint-probe.ts'), []);
  });
});
