import assert from 'node:assert/strict';
import { envRefName, resolveAddressRefs } from '../../nodes/core/cmms/env-refs';

describe('cmms env refs: ${VAR} in address fields (issue 17)', () => {
  it('recognises only a whole-field reference, like the Node-RED runtime', () => {
    assert.equal(envRefName('${CMMS_URL}'), 'CMMS_URL');
    assert.equal(envRefName('$(CMMS_URL)'), 'CMMS_URL');
    assert.equal(envRefName('https://${HOST}/api'), null);
    assert.equal(envRefName('${A B}'), null);
    assert.equal(envRefName(42), null);
  });

  it('resolves address fields, leaves other fields alone and lists unset variables once', () => {
    const env: Record<string, string> = { CMMS_URL: 'http://127.0.0.1:8080' };
    const r = resolveAddressRefs(
      { baseUrl: '${CMMS_URL}', tokenUrl: '${NOPE}', proxy: '$(NOPE)', name: '${CMMS_URL}' },
      (n) => env[n],
    );
    assert.equal(r.settings.baseUrl, 'http://127.0.0.1:8080');
    assert.equal(r.settings.name, '${CMMS_URL}');
    assert.equal(r.settings.tokenUrl, '${NOPE}');
    assert.deepEqual(r.unset, ['NOPE']);
    assert.deepEqual(resolveAddressRefs('garbage', () => undefined), { settings: {}, unset: [] });
  });
});
