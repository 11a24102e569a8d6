import { referenceFor } from '../../nodes/core/cmms/reference';
// Every fault class of the simulator, against every dialect: the client must classify each one the
// way the outbox needs (retry, re-auth, dead-letter, look up before resending).
import assert from 'node:assert/strict';
import { HealthMonitor, type CmmsClient, type CmmsConfig, type HealthTimers } from '../../nodes/core/cmms';
import { SIM_CREDENTIALS, type Dialect, type FaultSpec } from '../../sim/cmms';
import { failure, harness, type Harness } from './cmms-harness';

interface Setup { config: Omit<CmmsConfig, 'baseUrl'> & { baseUrl?: string }; body: Record<string, unknown>; createPath: string }

function setups(simUrl: string): Record<Dialect, Setup> {
  return {
    maximo: {
      config: { dialect: 'maximo', auth: { kind: 'apikey', header: 'apikey', key: SIM_CREDENTIALS.maximo.apiKey }, maximo: { siteId: 'BEDFORD' } },
      body: { description: 'HiHi vibration', assetnum: 'PUMP-101' },
      createPath: '/maximo/api/os/mxapiwodetail',
    },
    servicenow: {
      config: { dialect: 'servicenow', auth: { kind: 'basic', username: 'admin', password: SIM_CREDENTIALS.servicenow.password } },
      body: { short_description: 'HiHi vibration' },
      createPath: '/api/now/table/incident',
    },
    maintainx: {
      config: { dialect: 'maintainx', auth: { kind: 'bearer', token: SIM_CREDENTIALS.maintainx.token } },
      body: { title: 'HiHi vibration' },
      createPath: '/v1/workorders',
    },
    rest: {
      config: { dialect: 'rest', baseUrl: `${simUrl}/rest`, auth: { kind: 'bearer', token: SIM_CREDENTIALS.rest.token } },
      body: { title: 'HiHi vibration' },
      createPath: '/rest/workorders',
    },
  };
}

const DIALECTS: Dialect[] = ['maximo', 'servicenow', 'maintainx', 'rest'];

describe('cmms client: fault classes against the simulator', function () {
  this.timeout(20_000);
  let h: Harness;
  before(async () => { h = await harness(); });
  after(() => h.stop());
  afterEach(() => h.sim.reset());

  for (const dialect of DIALECTS) {
    describe(dialect, () => {
      let client: CmmsClient;
      let setup: Setup;
      let n = 0;
      before(() => {
        setup = setups(h.sim.url)[dialect];
        client = h.client({ ...setup.config, timeoutMs: 250, maxResponseBytes: 100_000 });
      });
      const fault = (f: Omit<FaultSpec, 'dialect' | 'pathIncludes' | 'method'>): void => {
        h.sim.faults.add({ dialect, method: 'POST', pathIncludes: setup.createPath, times: 1, ...f });
      };
      const create = () => client.createWorkOrder({ reference: `ev-${dialect}-${++n}`, body: setup.body });
      const committed = () => h.sim.workOrders(dialect).length;

      it('500: transient and ambiguous (it may have committed)', async () => {
        fault({ kind: 'status', status: 500 });
        const e = await failure(create());
        assert.equal(e.kind, 'transient');
        assert.equal(e.status, 500);
        assert.equal(e.ambiguous, true);
        assert.match(e.message, /Injected fault: HTTP 500/);
      });

      it('503 with Retry-After seconds: transient, not ambiguous, retryAfterMs, and the next request waits', async () => {
        fault({ kind: 'status', status: 503, retryAfter: { seconds: 7 } });
        const e = await failure(create());
        assert.equal(e.kind, 'transient');
        assert.equal(e.ambiguous, false);
        assert.equal(e.retryAfterMs, 7000);
        const before = h.clock.sleeps.length;
        await create();
        assert.deepEqual(h.clock.sleeps.slice(before), [7000]);
      });

      it('429 with Retry-After as an HTTP-date', async () => {
        const at = Math.ceil(h.clock.now() / 1000) * 1000 + 9000;
        fault({ kind: 'status', status: 429, retryAfter: { httpDate: at } });
        const e = await failure(create());
        assert.equal(e.kind, 'transient');
        assert.equal(e.retryAfterMs, at - h.clock.now());
      });

      it('429 with the vendor reset header', async () => {
        const reset = dialect === 'maintainx' ? 30 : Math.floor(h.clock.now() / 1000) + 30;
        fault({ kind: 'status', status: 429, resetHeader: reset });
        const e = await failure(create());
        assert.equal(e.kind, 'transient');
        assert.equal(e.retryAfterMs, dialect === 'maintainx' ? 30_000 : reset * 1000 - h.clock.now());
      });

      it('hang: times out within the configured 250 ms, ambiguous', async () => {
        fault({ kind: 'hang' });
        const e = await failure(create());
        assert.equal(e.code, 'ETIMEDOUT');
        assert.equal(e.kind, 'transient');
        assert.equal(e.ambiguous, true);
      });

      it('slow body: a trickle cannot stretch the deadline', async () => {
        fault({ kind: 'slow-body', delayMs: 100 });
        const e = await failure(create());
        assert.equal(e.code, 'ETIMEDOUT');
      });

      it('reset: transient and ambiguous', async () => {
        fault({ kind: 'reset' });
        const e = await failure(create());
        assert.equal(e.kind, 'transient');
        assert.equal(e.ambiguous, true);
        assert.equal(committed(), 0);
      });

      it('commit-then-drop: ambiguous, and the lookup finds what was committed', async () => {
        fault({ kind: 'commit-then-drop' });
        const reference = `ev-${dialect}-ctd`;
        const e = await failure(client.createWorkOrder({ reference, body: setup.body }));
        assert.equal(e.ambiguous, true);
        assert.equal(e.kind, 'transient');
        assert.equal(committed(), 1);
        const found = await client.findByReference(reference);
        assert.equal(found?.reference, referenceFor(dialect, reference));
        if (dialect === 'maximo' || dialect === 'rest') {
          // transactionid / Idempotency-Key: even a blind resend comes back as the same work order.
          const again = await client.createWorkOrder({ reference, body: setup.body });
          assert.equal(again.existing, true);
          assert.equal(again.id, found?.id);
          assert.equal(committed(), 1);
        }
      });

      it('422: permanent with the message in the vendor shape', async () => {
        fault({ kind: 'status', status: 422 });
        const e = await failure(create());
        assert.equal(e.kind, 'permanent');
        assert.equal(e.status, 422);
        assert.equal(e.ambiguous, false);
        assert.match(e.message, /Injected fault: HTTP 422/);
        if (dialect === 'maximo') assert.match(String(e.vendorCode), /^BMXAA/);
      });

      it('garbage (truncated JSON after a commit): permanent, ambiguous, never a crash', async () => {
        fault({ kind: 'garbage' });
        const e = await failure(create());
        assert.equal(e.code, 'EBAD_BODY');
        assert.equal(e.kind, 'permanent');
        assert.equal(e.ambiguous, true);
        assert.equal(committed(), 1);
      });

      it('garbage (an HTML error page): the page title is in the message', async () => {
        fault({ kind: 'garbage', status: 502, body: '<html><head><title>502 Proxy Error</title></head><body>upstream</body></html>' });
        const e = await failure(create());
        assert.equal(e.kind, 'transient');
        assert.match(e.message, /an HTML page \("502 Proxy Error"\)/);
      });

      it('huge body: refused at the cap', async () => {
        fault({ kind: 'huge-body', bytes: 1_000_000 });
        const e = await failure(create());
        assert.equal(e.code, 'ERESPONSE_TOO_LARGE');
        assert.equal(e.kind, 'permanent');
      });

      it('outage: unreachable for the probe and transient for work', async () => {
        h.sim.faults.add({ dialect, kind: 'outage' });
        assert.equal((await client.probe()).state, 'unreachable');
        const e = await failure(create());
        assert.equal(e.kind, 'transient');
        assert.equal(e.status, 503);
      });
    });
  }

  it('the health monitor follows an outage and its end on the simulator clock', async () => {
    const client = h.client(setups(h.sim.url).maintainx.config);
    const pending: Array<{ at: number; fn: () => void }> = [];
    const timers: HealthTimers = {
      setTimeout: (fn, ms) => { const t = { at: h.clock.now() + ms, fn }; pending.push(t); return t; },
      clearTimeout: (t) => { const i = pending.indexOf(t as { at: number; fn: () => void }); if (i >= 0) pending.splice(i, 1); },
    };
    const fire = async (): Promise<void> => {
      pending.sort((a, b) => a.at - b.at);
      const t = pending.shift();
      assert.ok(t);
      if (t.at > h.clock.now()) h.clock.advance(t.at - h.clock.now());
      t.fn();
      for (let i = 0; i < 50 && monitor.snapshot.nextProbeAt === null; i++) await new Promise((r) => setTimeout(r, 5));
    };
    h.sim.faults.add({ dialect: 'maintainx', kind: 'outage', untilMs: h.clock.now() + 20_000 });
    const monitor = new HealthMonitor({ probe: () => client.probe(), timers, now: h.clock.now, downInitialMs: 5000, upIntervalMs: 60_000 });
    const states: string[] = [];
    monitor.onChange((s) => states.push(s.state));
    monitor.start();
    await fire();
    assert.equal(monitor.snapshot.state, 'unreachable');
    await fire(); // +5 s
    await fire(); // +10 s → t+15 s, still down
    assert.equal(monitor.snapshot.failures, 3);
    await fire(); // +20 s → t+35 s, outage over
    assert.equal(monitor.snapshot.state, 'connected');
    assert.deepEqual(states, ['unreachable', 'connected']);
    monitor.stop();
  });
});
