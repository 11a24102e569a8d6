// Items 6, 16 and 19 of issue 14: a priority every CMMS accepts. The event contract allows 0–1000
// or a word; stock Maximo takes 1–5 (the simulator refuses others with BMXAA4194E), MaintainX only
// NONE/LOW/MEDIUM/HIGH (its OpenAPI enum; the simulator answers 400), ServiceNow computes priority
// from impact × urgency and overwrites an explicit one. These run the default bodies and the
// node's table through the real client against the strict simulator.
import assert from 'node:assert/strict';
import type { CmmsConfig, DialectName } from '../../nodes/core/cmms';
import { checkPriorityTable, resolvePriority } from '../../nodes/core/cmms/priority';
import type { MaintenanceEvent } from '../../nodes/core/contracts';
import { defaultBody, escalationChange } from '../../nodes/core/work-order/body';
import { parseWorkOrderSettings } from '../../nodes/core/work-order/settings';
import { SIM_CREDENTIALS } from '../../sim/cmms';
import { failure, harness, type Harness } from './cmms-harness';

const CONFIGS: Record<Exclude<DialectName, 'rest'>, Omit<CmmsConfig, 'baseUrl'>> = {
  maximo: { dialect: 'maximo', auth: { kind: 'apikey', header: 'apikey', key: SIM_CREDENTIALS.maximo.apiKey }, maximo: { siteId: 'BEDFORD', orgId: 'EAGLENA' } },
  servicenow: { dialect: 'servicenow', auth: { kind: 'basic', username: 'admin', password: SIM_CREDENTIALS.servicenow.password } },
  maintainx: { dialect: 'maintainx', auth: { kind: 'bearer', token: SIM_CREDENTIALS.maintainx.token } },
};

let seq = 0;
function event(over: Partial<MaintenanceEvent> = {}): MaintenanceEvent {
  seq += 1;
  return {
    kind: 'alarm', state: 'raised', eventId: `BEDFORD.PUMP-101.vib-hh.prio-${seq}`, episodeId: `ep-${seq}`, ruleId: 'vib-hh',
    asset: { id: 'PUMP-101', siteId: 'BEDFORD', location: 'BEDFORD/AREA1/LINE2/PUMP-101' },
    metric: 'vibration', value: 13.1, limit: 12.5, level: 'HH', severity: 'high', priority: 2,
    summary: 'Vibration high-high on PUMP-101', details: {}, occurredAt: '2026-03-01T08:00:00.000Z', ...over,
  };
}

describe('cmms: priority mapping per dialect against the strict simulator', () => {
  let h: Harness;
  before(async () => { h = await harness(); });
  after(() => h.stop());
  afterEach(() => h.sim.reset());

  it('Maximo: an event priority of 700 becomes the severity default (1–5), and Maximo accepts the work order', async () => {
    const c = h.client(CONFIGS.maximo);
    const e = event({ priority: 700, severity: 'critical' });
    const body = defaultBody('maximo', e);
    assert.equal(body.wopriority, 1);
    await c.createWorkOrder({ reference: e.eventId, body });
    const [wo] = h.sim.workOrders('maximo');
    assert.equal(Number(wo.fields.wopriority), 1);
    // The rule's own priority is kept when Maximo takes it.
    assert.equal(defaultBody('maximo', event({ priority: 4, severity: 'critical' })).wopriority, 4);
  });

  it('Maximo: the simulator refuses a priority outside 1–5 (BMXAA4194E), and the client never sends one', async () => {
    const c = h.client(CONFIGS.maximo);
    const e = event();
    const base = { description: 'x', assetnum: 'PUMP-101' };
    const refused = await failure(c.createWorkOrder({ reference: e.eventId, body: { ...base, wopriority: 9 } }));
    assert.equal(refused.kind, 'permanent');
    assert.equal(h.sim.requests().filter((r) => r.method === 'POST').length, 0, 'a bad priority never reached the CMMS');
    const created = await c.createWorkOrder({ reference: e.eventId, body: { ...base, wopriority: 5 } });
    const update = await failure(c.updateWorkOrder(created, { priority: 0 }));
    assert.equal(update.kind, 'permanent');
    assert.equal(h.sim.requests().filter((r) => r.method === 'POST').length, 1);
    // The simulator's own rule, asked directly.
    const res = await fetch(`${h.sim.url}/maximo/api/os/mxapiwodetail?lean=1`, {
      method: 'POST', headers: { apikey: SIM_CREDENTIALS.maximo.apiKey, 'content-type': 'application/json' },
      body: JSON.stringify({ siteid: 'BEDFORD', description: 'x', wopriority: 7 }),
    });
    assert.equal(res.status, 400);
    assert.match(JSON.stringify(await res.json()), /BMXAA4194E/);
  });

  it('MaintainX: a table cell "high" or 1 is sent as HIGH; an escalation too; a bad word is refused before sending', async () => {
    const c = h.client(CONFIGS.maintainx);
    const e = event({ severity: 'low' });
    const settings = parseWorkOrderSettings({ cmms: 'c', priorityLow: 'high', priorityHigh: '1' }, 'maintainx');
    assert.ok(settings.ok);
    const body = defaultBody('maintainx', e, settings.value.mapping);
    assert.equal(body.priority, 'HIGH');
    const ref = await c.createWorkOrder({ reference: e.eventId, body });
    const change = escalationChange('maintainx', event({ severity: 'high', state: 'escalated' }), settings.value.mapping);
    assert.equal(change.priority, 'HIGH');
    await c.updateWorkOrder(ref, { priority: change.priority });
    assert.equal(h.sim.workOrders('maintainx')[0].fields.priority, 'HIGH');
    const bad = await failure(c.createWorkOrder({ reference: `${e.eventId}-b`, body: { title: 't', priority: 'SEVERE' } }));
    assert.equal(bad.kind, 'permanent');
    assert.equal(h.sim.workOrders('maintainx').length, 1);
  });

  it('ServiceNow: the table gives impact/urgency, never an explicit priority; the instance computes the priority', async () => {
    const c = h.client(CONFIGS.servicenow);
    const settings = parseWorkOrderSettings({ cmms: 'c', priorityHigh: '2', priorityCritical: '1/1' }, 'servicenow');
    assert.ok(settings.ok);
    // PUMP-102: one CI of that name (PUMP-101 exists at two sites, and an ambiguous CI is refused).
    const e = event({ severity: 'high', priority: 900 });
    const body = defaultBody('servicenow', { ...e, asset: { ...e.asset, id: 'PUMP-102' } }, settings.value.mapping);
    assert.equal(body.priority, undefined);
    assert.deepEqual([body.impact, body.urgency], ['2', '1']);
    await c.createWorkOrder({ reference: 'sn-prio-1', body });
    const [wo] = h.sim.workOrders('servicenow');
    assert.equal(wo.fields.priority, '2');
    const refused = await failure(c.createWorkOrder({ reference: 'sn-prio-2', body: { short_description: 'x', impact: 4 } }));
    assert.equal(refused.kind, 'permanent');
  });

  it('a table cell the CMMS refuses is a settings error at deploy, naming the cell', () => {
    assert.deepEqual(checkPriorityTable('maximo', { critical: 1, low: 4 }), []);
    const maximo = parseWorkOrderSettings({ cmms: 'c', priorityCritical: '9' }, 'maximo');
    assert.equal(maximo.ok, false);
    assert.match(maximo.ok ? '' : maximo.errors.join(), /"9" for critical .*1–5/);
    const mx = parseWorkOrderSettings({ cmms: 'c', priorityMedium: 'severe' }, 'maintainx');
    assert.equal(mx.ok, false);
    const sn = parseWorkOrderSettings({ cmms: 'c', priorityLow: '4/1' }, 'servicenow');
    assert.equal(sn.ok, false);
    // REST targets take whatever the plant wrote.
    assert.equal(parseWorkOrderSettings({ cmms: 'c', priorityLow: 'P3' }, 'rest').ok, true);
    assert.equal(resolvePriority('rest', event({ priority: 700 })), 700);
    // Every dialect's default for every severity is one that dialect takes.
    for (const d of ['maximo', 'servicenow', 'maintainx'] as const) {
      for (const severity of ['critical', 'high', 'medium', 'low'] as const) {
        assert.deepEqual(checkPriorityTable(d, { [severity]: resolvePriority(d, event({ severity, priority: 1000 })) }), [], `${d} ${severity}`);
      }
    }
  });
});
