import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DurableState } from '../../nodes/core/state/durable-state';

describe('durable state', () => {
  let dir: string;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-state-')); });
  afterEach(() => { fs.rmSync(dir, { recursive: true, force: true }); });

  it('keeps values across close and reopen, per namespace', () => {
    const file = path.join(dir, 'a', 'state.db');
    const s = new DurableState(file);
    s.put('episodes', 'PUMP-101/vib', { active: true, since: 5 });
    s.put('episodes', 'PUMP-102/vib', { active: false });
    s.put('shelved', 'PUMP-101/vib', { until: 10 });
    s.delete('episodes', 'PUMP-102/vib');
    s.close();
    const again = new DurableState(file);
    assert.deepEqual([...again.all('episodes')], [['PUMP-101/vib', { active: true, since: 5 }]]);
    assert.deepEqual(again.get('shelved', 'PUMP-101/vib'), { until: 10 });
    assert.equal(again.get('shelved', 'nope'), undefined);
    again.clear('episodes');
    assert.equal(again.all('episodes').size, 0);
    again.close();
  });

  it('runs a batch as one transaction: a throw inside leaves nothing behind', () => {
    const s = new DurableState(path.join(dir, 'b.db'));
    assert.throws(() => s.batch(() => { s.put('n', 'k1', 1); throw new Error('stop'); }), /stop/);
    assert.equal(s.get('n', 'k1'), undefined);
    s.batch(() => { s.put('n', 'k1', 1); s.put('n', 'k2', 2); });
    assert.equal(s.all('n').size, 2);
    s.close();
  });

  it('moves a corrupt file aside and starts fresh instead of failing for ever', () => {
    const file = path.join(dir, 'c.db');
    fs.writeFileSync(file, 'this is not a database, it is a crash leftover'.repeat(200));
    const moved: string[] = [];
    const s = new DurableState(file, { onMovedAside: (to) => moved.push(to) });
    assert.equal(moved.length, 1);
    assert.ok(fs.existsSync(moved[0]));
    s.put('n', 'k', 'v');
    assert.equal(s.get('n', 'k'), 'v');
    s.close();
  });
});
