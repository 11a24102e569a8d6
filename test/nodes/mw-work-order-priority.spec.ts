// Item 6 of issue 14 in a real Node-RED: a priority cell the connection's CMMS refuses is a
// settings error at deploy (the node rejects events and says why), never a work order that Maximo
// would refuse with BMXAA4194E.
import assert from 'node:assert/strict';
import type { EventEmitter } from 'node:events';
import { startCmmsSim, SIM_CREDENTIALS, type CmmsSim } from '../../sim/cmms';
import type { Node, NodeAPI } from '../../nodes/lib/red';
import { helper, nodeModule, withUserDir } from '../support/node-red';

type NodeModule = (RED: NodeAPI) => void;
type Msg = { payload: { reason?: string; errors?: string[]; outcome?: string } };

describe('mw-work-order node: priority table checked at deploy', function () {
  this.timeout(30000);
  let sim: CmmsSim;
  before(async () => { sim = await startCmmsSim(); });
  after(async () => { await sim.stop(); });
  withUserDir('mw-wo-prio-', () => { sim.reset(); });

  const flow = (wo: Record<string, unknown>) => [
    { id: 'connP', type: 'mw-cmms', name: 'Maximo', dialect: 'maximo', baseUrl: sim.url, authType: 'apikey' },
    { id: 'woP', type: 'mw-work-order', cmms: 'connP', wires: [['okP'], ['badP']], ...wo },
    { id: 'okP', type: 'helper' },
    { id: 'badP', type: 'helper' },
  ];

  it('a Maximo table with 9 for critical rejects events as invalid-config, naming the cell; nothing reaches the CMMS', async () => {
    await helper.load([nodeModule('mw-cmms') as NodeModule, nodeModule('mw-work-order') as NodeModule], flow({ priorityCritical: '9' }), { connP: { apiKey: SIM_CREDENTIALS.maximo.apiKey } });
    const got = new Promise<Msg>((resolve) => (helper.getNode('badP') as unknown as EventEmitter).once('input', resolve));
    (helper.getNode('woP') as Node).receive({ payload: {
      kind: 'alarm', state: 'raised', eventId: 'BEDFORD.PUMP-101.prio-node-1', episodeId: 'ep-p1', ruleId: 'r',
      asset: { id: 'PUMP-101', siteId: 'BEDFORD', location: 'BEDFORD/AREA1/LINE2/PUMP-101' },
      metric: 'vibration', value: 13, limit: 12, level: 'HH', severity: 'critical', priority: 1,
      summary: 'Vibration', details: {}, occurredAt: new Date().toISOString(),
    } } as never);
    const m = await got;
    assert.equal(m.payload.reason, 'invalid-config');
    // The test helper answers i18n keys, so the text naming the cell is checked in cmms-priority.spec.ts.
    assert.match(String(m.payload.errors), /invalid-config/);
    assert.equal(sim.workOrders('maximo').length, 0);
  });
});
