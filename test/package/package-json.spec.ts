import assert from 'node:assert/strict';

import { checkPackageJson } from '../support/package-checks';
import { readPackageJson, REPO_ROOT } from '../support/package';

describe('package: package.json', function () {
  it('meets the Flow Library and palette manager rules (license, engines, deps, files, scripts)', function () {
    assert.deepEqual(checkPackageJson(readPackageJson(), REPO_ROOT), []);
  });
});
