import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CmmsAsset, Page } from '../../nodes/core/cmms/types';
import { VerificationStore, type VerificationSummary } from '../../nodes/core/assets/results';
import { Target, type TargetCheck } from '../../nodes/core/assets/types';
import { checkTargets, editDistance, fetchAssets, skeleton } from '../../nodes/core/assets/verify';
import { DurableState } from '../../nodes/core/state/durable-state';
import { DEFAULT_ASSETS } from '../../sim/cmms/assets';

/** The simulator's master data as a Maximo-style client returns it. */
const CMMS: CmmsAsset[] = DEFAULT_ASSETS.map((a) => ({
  id: a.assetnum, siteId: a.siteid, location: a.location, cmmsStatus: a.status,
  status: a.status === 'OPERATING' ? 'active' : a.status === 'DECOMMISSIONED' ? 'decommissioned' : 'inactive',
}));

function target(assetId: string, siteId: string, location: string): Target {
  const t = new Target(assetId, siteId, location, { status: 'unchecked', checkedAt: null });
  t.rowCount = 1;
  return t;
}

describe('assets: verification against the CMMS asset list', () => {
  const AT = '2026-03-01T10:00:00.000Z';

  it('marks ok, missing, wrong site, wrong location, inactive and decommissioned', async () => {
    const targets = [
      target('PUMP-101', 'BEDFORD', 'BEDFORD/AREA1/LINE2/PUMP-101'),
      target('PUMP-101', 'BEDFORD', 'BEDFORD/AREA1/LINE2'),
      target('PUMP-999', 'BEDFORD', 'BEDFORD/AREA1'),
      target('PUMP-201', 'BEDFORD', 'BEDFORD/AREA1/LINE1/PUMP-201'),
      target('PUMP-102', 'BEDFORD', 'BEDFORD/AREA9/LINE2/PUMP-102'),
      target('PUMP-110', 'BEDFORD', 'BEDFORD/AREA1/LINE3/PUMP-110'),
      target('PUMP-1O1', 'BEDFORD', 'BEDFORD/AREA1/LINE2/PUMP-1O1'),
    ];
    const run = await checkTargets(targets, CMMS, AT);
    const status = (t: Target): TargetCheck => run.checks.get(t.key)!;
    assert.deepEqual(targets.map((t) => status(t).status), ['ok', 'ok', 'missing', 'wrong-site', 'wrong-location', 'inactive', 'decommissioned']);
    assert.equal(status(targets[0]).cmmsStatus, 'OPERATING');
    assert.equal(status(targets[0]).checkedAt, AT);
    assert.equal(status(targets[3]).found, 'NASHUA');
    assert.deepEqual(status(targets[3]).suggestions, [{ assetId: 'PUMP-201', siteId: 'NASHUA', location: 'NASHUA/AREA1/LINE1/PUMP-201', status: 'OPERATING', why: 'other-site' }]);
    assert.equal(status(targets[4]).found, 'BEDFORD/AREA1/LINE2/PUMP-102');
    assert.deepEqual(status(targets[6]).suggestions?.map((s) => [s.assetId, s.siteId, s.why]), [['PUMP-101', 'BEDFORD', 'active-replacement'], ['PUMP-101', 'NASHUA', 'active-replacement']]);
    assert.deepEqual(run.counts, { unchecked: 0, ok: 2, missing: 1, 'wrong-site': 1, 'wrong-location': 1, inactive: 1, decommissioned: 1 });
    assert.equal(run.assets, CMMS.length);
  });

  it('suggests near-identical asset numbers for missing ones: O for 0, a letter more or less, case, separators', async () => {
    const targets = [target('PUMP-1OI', 'NASHUA', 'NASHUA/A'), target('HX-601B', 'BEDFORD', 'BEDFORD/A'), target('pump_102', 'BEDFORD', 'BEDFORD/A'), target('ZZZ-1', 'BEDFORD', 'BEDFORD/A')];
    const run = await checkTargets(targets, CMMS, AT);
    const sug = (t: Target): string[] => (run.checks.get(t.key)!.suggestions ?? []).map((s) => `${s.assetId}@${s.siteId}`);
    assert.deepEqual(sug(targets[0]), ['PUMP-101@NASHUA', 'PUMP-101@BEDFORD', 'PUMP-1O1@BEDFORD']);
    assert.deepEqual(sug(targets[1]), ['HX-601@BEDFORD', 'HX-601A@BEDFORD']);
    assert.deepEqual(sug(targets[2]), ['PUMP-102@BEDFORD']);
    assert.deepEqual(sug(targets[3]), []);
    assert.ok(run.checks.get(targets[0].key)!.suggestions!.every((s) => s.why === 'similar-id'));
  });

  it('recognises an asset by its tag when the CMMS id is internal, and keeps that id', async () => {
    const sn: CmmsAsset[] = [{ id: '9f1c0a', tag: 'PUMP-101', siteId: 'BEDFORD', location: 'BEDFORD/AREA1/LINE2/PUMP-101', status: 'active', cmmsStatus: '1' },
      { id: '5005', tag: 'MTR-201', siteId: null, location: '7001', status: 'active', cmmsStatus: 'ONLINE' }];
    const targets = [target('PUMP-101', 'BEDFORD', 'BEDFORD/AREA1/LINE2/PUMP-101'), target('MTR-201', 'BEDFORD', 'BEDFORD/AREA1/LINE2/MTR-201')];
    const run = await checkTargets(targets, sn, AT);
    assert.deepEqual(targets.map((t) => [run.checks.get(t.key)!.status, run.checks.get(t.key)!.cmmsId]), [['ok', '9f1c0a'], ['ok', '5005']],
      'a CMMS without sites matches any site; a location that is a bare id is not compared');
  });

  it('helpers: skeleton and edit distance', () => {
    assert.equal(skeleton('pump-1O1'), skeleton('PUMP_101'));
    assert.equal(skeleton('HX 6O1l'), 'HX6011');
    assert.equal(editDistance('HX-601', 'HX-601A'), 1);
    assert.equal(editDistance('PUMP-101', 'PUMP-110'), 1, 'a swap of neighbours is one edit');
    assert.equal(editDistance('PUMP-101', 'PUMP-202'), 2);
    assert.equal(editDistance('A', 'ABCD'), 2);
  });

  it('reads every page and refuses a CMMS that repeats a page', async () => {
    const pages: Array<Page<CmmsAsset>> = [{ items: CMMS.slice(0, 10), next: 'c1' }, { items: CMMS.slice(10, 20), next: 'c2' }, { items: CMMS.slice(20), next: null }];
    const seen: Array<string | null | undefined> = [];
    const all = await fetchAssets({ listAssets: async (c) => { seen.push(c); return pages[seen.length - 1]; } });
    assert.equal(all.length, CMMS.length);
    assert.deepEqual(seen, [null, 'c1', 'c2']);
    let n = 0;
    await assert.rejects(fetchAssets({ listAssets: async () => ({ items: [CMMS[n++ % 3]], next: 'same' }) }), /same next-page link twice \(same\); stopped after 2 pages/);
    await assert.rejects(fetchAssets({ listAssets: async () => { throw new Error('503 from Maximo'); } }), /503 from Maximo/);
  });

  it('keeps results across a reopen, switches runs in one commit, and forgets results of another connection', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-assets-verify-'));
    try {
      const file = path.join(dir, 'reg.db');
      const summary = (at: string): VerificationSummary => ({ at, connection: 'conn1', dialect: 'maximo', assets: 30, targets: 2, counts: { unchecked: 0, ok: 1, missing: 1, 'wrong-site': 0, 'wrong-location': 0, inactive: 0, decommissioned: 0 } });
      let state = new DurableState(file);
      let store = new VerificationStore(state);
      await store.save(summary(AT), new Map<string, TargetCheck>([['a|S|L', { status: 'ok', checkedAt: AT }], ['b|S|L', { status: 'missing', checkedAt: AT }]]));
      await store.save(summary('2026-03-02T00:00:00.000Z'), new Map<string, TargetCheck>([['a|S|L', { status: 'wrong-site', checkedAt: '2026-03-02T00:00:00.000Z', found: 'NASHUA' }]]));
      state.close();
      state = new DurableState(file);
      store = new VerificationStore(state);
      const kept = store.load('conn1');
      assert.equal(kept.summary?.at, '2026-03-02T00:00:00.000Z');
      assert.deepEqual([...kept.checks], [['a|S|L', { status: 'wrong-site', checkedAt: '2026-03-02T00:00:00.000Z', found: 'NASHUA' }]]);
      assert.equal(store.load('conn2').summary, null);
      assert.equal(store.load(null).checks.size, 0);
      store.clear();
      assert.equal(store.load('conn1').summary, null);
      state.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
