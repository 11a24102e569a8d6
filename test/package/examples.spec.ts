import assert from 'node:assert/strict';

import { checkExamples } from '../support/package-checks';
import { nodeSets, REPO_ROOT } from '../support/package';

describe('package: examples', function () {
  it('examples/**/*.json are node arrays and use every non-config node type', function () {
    assert.deepEqual(checkExamples(REPO_ROOT, nodeSets()), []);
  });
});
