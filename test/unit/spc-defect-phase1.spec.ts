// Issue 15 item 15: at defaults the first defect baseline took 20 subgroups × 500 units = 10 000
// blind units. Subgroups of 100 units make it 2 000, and the settings still refuse a subgroup whose
// false-alarm chance would be meaningless.
import assert from 'node:assert/strict';
import type { Asset } from '../../nodes/core/contracts';
import { designFor, DriftEngine, parseDriftSettings } from '../../nodes/core/spc';
import { PartStream, partSpecRows } from '../support/spc-parts';

const ASSET: Asset = { id: 'CNC-07', siteId: 'BEDFORD', location: 'BEDFORD/MACHINING/CNC-07' };

describe('spc: the first defect baseline at defaults (issue 15 item 15)', function () {
  this.timeout(30000);

  it('the defect charts monitor after 2 000 units at defaults (0.2: 10 000)', () => {
    const r = parseDriftSettings({ site: 'BEDFORD', specs: partSpecRows() });
    assert.ok(r.ok);
    const s = r.value;
    assert.equal(s.defectSubgroupSize * s.phase1Subgroups, 2000);
    const engine = new DriftEngine(s, designFor(s), 'fp');
    const stream = new PartStream({ seed: 41 });
    for (let i = 0; i < 2000; i++) {
      const u = stream.next();
      engine.process({ record: u.record, asset: ASSET, product: u.record.product as string, tMs: u.tMs });
    }
    const g = [...engine.groups.values()][0];
    assert.equal(g.defects.learning, false, 'the defect baseline is frozen at unit 2 000');
  });
});
