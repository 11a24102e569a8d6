// Setting names saved in users' flows (issue 11): mw-cmms and mw-wo-status name the unit of every
// numeric setting now. A flow saved by 0.1.0 (the fixture: both nodes as 0.1.0's editor saved them,
// numbers as text) must be read with the same values: each family's migrate() reads the old name
// when the new one is absent, the new name wins, and the old name is dropped.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { migrate as migrateCmms, parseCmmsSettings, RENAMED as CMMS_RENAMED } from '../../nodes/core/cmms/settings';
import { migrate as migrateWoStatus, parseWoStatusSettings, RENAMED as WOS_RENAMED } from '../../nodes/core/wo-status/settings';
import { renameSettings } from '../../nodes/core/renamed-settings';

const FIXTURE = path.join(__dirname, '..', '..', '..', 'test', 'unit', 'fixtures', 'cmms-wo-status-0.1.0-flow.json');
const flow = JSON.parse(fs.readFileSync(FIXTURE, 'utf8')) as Array<Record<string, unknown>>;
const savedCmms = flow.find((n) => n.type === 'mw-cmms') as Record<string, unknown>;
const savedWos = flow.find((n) => n.type === 'mw-wo-status') as Record<string, unknown>;

describe('renameSettings', () => {
  const renames = [['old', 'nowName']] as const;
  it('reads the old name when the new one is absent or blank, keeps the new one when set, drops the old one', () => {
    assert.deepEqual(renameSettings({ old: 5, x: 1 }, renames), { nowName: 5, x: 1 });
    assert.deepEqual(renameSettings({ old: 5, nowName: '' }, renames), { nowName: 5 });
    assert.deepEqual(renameSettings({ old: 5, nowName: 7 }, renames), { nowName: 7 });
    assert.deepEqual(renameSettings({ old: '', nowName: 7 }, renames), { nowName: 7 });
    assert.deepEqual(renameSettings({ old: '' }, renames), {});
    assert.deepEqual(renameSettings({ nowName: 7 }, renames), { nowName: 7 });
    for (const odd of [null, 'text', 3, [1]]) assert.deepEqual(renameSettings(odd, renames), odd);
  });
});

describe('mw-cmms: a connection saved by 0.1.0 (timeoutSec, probeIntervalSec)', () => {
  it('the fixture has the old names only', () => {
    assert.equal(savedCmms.timeoutSec, '2');
    assert.equal(savedCmms.probeIntervalSec, '5');
    assert.equal('timeoutSeconds' in savedCmms || 'probeIntervalSeconds' in savedCmms, false);
    assert.deepEqual(CMMS_RENAMED, [['timeoutSec', 'timeoutSeconds'], ['probeIntervalSec', 'probeIntervalSeconds']]);
  });

  it('migrate moves them to timeoutSeconds / probeIntervalSeconds, drops the old names, leaves the saved config alone', () => {
    const m = migrateCmms(savedCmms);
    assert.equal(m.timeoutSeconds, '2');
    assert.equal(m.probeIntervalSeconds, '5');
    assert.equal('timeoutSec' in m, false);
    assert.equal('probeIntervalSec' in m, false);
    assert.equal(savedCmms.timeoutSec, '2', 'the saved config is not changed');
    for (const k of Object.keys(savedCmms).filter((k) => k !== 'timeoutSec' && k !== 'probeIntervalSec')) assert.deepEqual(m[k], savedCmms[k], k);
  });

  it('the saved connection gets the timeout and re-check interval 0.1.0 gave it; the new name wins over the old', () => {
    const r = parseCmmsSettings(savedCmms, { apiKey: 'k' });
    assert.equal(r.ok, true, r.ok ? '' : r.errors.join('; '));
    if (!r.ok) return;
    assert.equal(r.value.client.timeoutMs, 2000);
    assert.equal(r.value.client.connectTimeoutMs, 2000);
    assert.equal(r.value.probeIntervalMs, 5000);
    const both = parseCmmsSettings({ ...savedCmms, timeoutSeconds: 7, probeIntervalSeconds: 60 }, { apiKey: 'k' });
    assert.deepEqual(both.ok && [both.value.client.timeoutMs, both.value.probeIntervalMs], [7000, 60_000]);
    const cleared = parseCmmsSettings({ ...savedCmms, timeoutSec: '', timeoutSeconds: 9 }, { apiKey: 'k' });
    assert.equal(cleared.ok && cleared.value.client.timeoutMs, 9000);
  });

  it('a bad old value is reported under the new name', () => {
    const r = parseCmmsSettings({ ...savedCmms, timeoutSec: 'soon' }, { apiKey: 'k' });
    assert.equal(r.ok, false);
    assert.match(r.ok ? '' : r.errors.join('; '), /config\.timeoutSeconds/);
  });
});

describe('mw-wo-status: a node saved by 0.1.0 (tolerance, maxBodyKb, pollInterval, overlap)', () => {
  const OLD = ['tolerance', 'maxBodyKb', 'pollInterval', 'overlap'];
  it('the fixture has the old names only', () => {
    assert.deepEqual(OLD.map((k) => savedWos[k]), ['60', '4', '5', '600']);
    assert.deepEqual(WOS_RENAMED.map(([old]) => old), OLD);
    for (const [, now] of WOS_RENAMED) assert.equal(now in savedWos, false, now);
  });

  it('migrate moves them to …Seconds / maxBodyKB and drops the old names', () => {
    const m = migrateWoStatus(savedWos);
    assert.deepEqual([m.toleranceSeconds, m.maxBodyKB, m.pollIntervalSeconds, m.overlapSeconds], ['60', '4', '5', '600']);
    for (const k of OLD) assert.equal(k in m, false, k);
    assert.equal(savedWos.tolerance, '60', 'the saved config is not changed');
  });

  it('the saved node gets the tolerance, body limit, poll interval and overlap 0.1.0 gave it; the new name wins', () => {
    const r = parseWoStatusSettings(savedWos, 'mw-old-wos');
    assert.equal(r.ok, true, r.ok ? '' : r.errors.join('; '));
    if (!r.ok) return;
    assert.equal(r.value.toleranceSec, 60);
    assert.equal(r.value.maxBodyBytes, 4 * 1024);
    assert.equal(r.value.pollIntervalMs, 5000);
    assert.equal(r.value.overlapMs, 600_000);
    assert.equal(r.value.lookbackMs, 3_600_000);
    const both = parseWoStatusSettings({ ...savedWos, toleranceSeconds: 90, maxBodyKB: 8, pollIntervalSeconds: 30, overlapSeconds: 0 }, 'mw-old-wos');
    assert.deepEqual(both.ok && [both.value.toleranceSec, both.value.maxBodyBytes, both.value.pollIntervalMs, both.value.overlapMs], [90, 8192, 30_000, 0]);
  });

  it('a bad old value is reported under the new name', () => {
    const r = parseWoStatusSettings({ ...savedWos, pollInterval: '1' }, 'mw-old-wos');
    assert.deepEqual(r.ok ? [] : r.errors, ['config.pollIntervalSeconds: must be a number from 5 to 86400']);
  });
});
