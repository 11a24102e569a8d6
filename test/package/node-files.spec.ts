import assert from 'node:assert/strict';

import { checkNodeSet, unlistedNodeFiles } from '../support/package-checks';
import { nodeSets, REPO_ROOT } from '../support/package';

// One test per entry of package.json's node-red.nodes, so new node types are checked as they land.
describe('package: node files', function () {
  const sets = nodeSets();

  it('package.json lists at least one node file', function () {
    assert.ok(sets.length > 0);
  });

  it('package.json lists every node source and editor file in nodes/', function () {
    assert.deepEqual(unlistedNodeFiles(REPO_ROOT, sets), []);
  });

  for (const set of sets) {
    it(`${set.key}: .js exports function (RED), .html registers literal definitions, icons, catalogue and help exist`, function () {
      assert.deepEqual(checkNodeSet(set), []);
    });
  }
});
