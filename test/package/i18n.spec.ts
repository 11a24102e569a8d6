import assert from 'node:assert/strict';

import { checkI18n } from '../support/package-checks';
import { nodeSets, REPO_ROOT } from '../support/package';

describe('package: message catalogues', function () {
  it('every i18n key used in nodes/*.ts and the editor .html files is in its en-US catalogue', function () {
    assert.deepEqual(checkI18n(REPO_ROOT, nodeSets()), []);
  });
});
