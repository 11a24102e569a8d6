import assert from 'node:assert/strict';
import type { EventEmitter } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startCmmsSim, SIM_CREDENTIALS, type CmmsSim } from '../../sim/cmms';
import type { CmmsConnection } from '../../nodes/lib/cmms-connection';
import type { Node, NodeAPI, NodeDef } from '../../nodes/lib/red';
import { helper, nodeModule } from '../support/node-red';
import { until } from '../support/wait';

type NodeModule = (RED: NodeAPI) => void;

/**
 * A stand-in for the nodes that will use a connection (mw-work-order, mw-wo-status): it registers
 * on start and deregisters on close, exactly as they must.
 */
const userNode: NodeModule = (RED) => {
  function TestCmmsUser(this: Node, config: NodeDef & { cmms: string }): void {
    RED.nodes.createNode(this, config);
    const conn = RED.nodes.getNode(config.cmms) as CmmsConnection | null;
    conn?.register(this);
    this.on('close', (_removed: boolean, done: () => void) => {
      conn?.deregister(this);
      done();
    });
  }
  RED.nodes.registerType('test-cmms-user', TestCmmsUser as unknown as (this: Node, def: NodeDef) => void);
};

const cmmsModule = (): NodeModule => nodeModule('mw-cmms') as NodeModule;

interface StatusCall { fill?: string; shape?: string; text?: string }

/** Resolves with the first status on `node` whose text satisfies `want`. */
function statusMatching(node: Node, want: (text: string) => boolean, timeoutMs = 5000): Promise<StatusCall> {
  return new Promise((resolve, reject) => {
    const seen: string[] = [];
    const timer = setTimeout(() => reject(new Error(`no matching status within ${timeoutMs} ms; saw ${JSON.stringify(seen)}`)), timeoutMs);
    const check = (s: StatusCall): boolean => {
      seen.push(String(s.text));
      if (s.text !== undefined && want(s.text)) {
        clearTimeout(timer);
        resolve(s);
        return true;
      }
      return false;
    };
    const spy = node.status as unknown as { args: StatusCall[][] };
    for (const args of spy.args) if (check(args[0])) return;
    // The test helper emits `call:<method>` for every spied node method.
    (node as unknown as EventEmitter).on('call:status', (call: { args: StatusCall[] }) => { check(call.args[0]); });
  });
}

function flow(cmms: Record<string, unknown>) {
  return [
    { id: 'conn1', type: 'mw-cmms', name: 'plant CMMS', ...cmms },
    { id: 'user1', type: 'test-cmms-user', cmms: 'conn1', wires: [] },
  ];
}

async function closedPort(): Promise<number> {
  const srv = http.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('mw-cmms config node', function () {
  this.timeout(20000);
  let sim: CmmsSim;

  before(async () => {
    sim = await startCmmsSim();
  });
  after(async () => {
    await sim.stop();
  });
  beforeEach((done) => { helper.startServer(done); });
  afterEach(async () => {
    await helper.unload();
    await new Promise<void>((r) => helper.stopServer(() => r()));
  });

  it('probes the CMMS when a node starts using it and shows "connected" on that node', async () => {
    await helper.load([cmmsModule(), userNode], flow({ dialect: 'maximo', baseUrl: sim.url, authType: 'apikey' }),
      { conn1: { apiKey: SIM_CREDENTIALS.maximo.apiKey } });
    const user = helper.getNode('user1') as Node;
    await statusMatching(user, (t) => t === 'mw-cmms.status.connected');
    const conn = helper.getNode('conn1') as CmmsConnection;
    assert.equal(conn.health.state, 'connected');
    assert.ok(sim.requests().some((r) => r.path.endsWith('/whoami')), 'the probe is Maximo whoami');
  });

  it('shows "refused the sign-in" for a wrong key, in plant words, and never the key itself', async () => {
    const secret = 'WRONG-KEY-7f3a9';
    await helper.load([cmmsModule(), userNode], flow({ dialect: 'maximo', baseUrl: sim.url, authType: 'apikey' }), { conn1: { apiKey: secret } });
    const user = helper.getNode('user1') as Node;
    const s = await statusMatching(user, (t) => t === 'mw-cmms.status.unauthorised');
    assert.equal(s.fill, 'red');
    const conn = helper.getNode('conn1') as Node & { warn: { args: unknown[][] }; error: { args: unknown[][] }; log: { args: unknown[][] } };
    const said = JSON.stringify([conn.warn.args, conn.error.args, conn.log.args, (user.status as unknown as { args: unknown[] }).args]);
    assert.ok(!said.includes(secret), 'the secret must not appear in logs or status');
    assert.match(said, /BMXAA7901E|log in|unauthori/i, 'the CMMS\'s own reason is logged');
  });

  it('shows "unreachable" when nothing listens, and keeps re-checking without crashing', async () => {
    const port = await closedPort();
    await helper.load([cmmsModule(), userNode], flow({ dialect: 'maximo', baseUrl: `http://127.0.0.1:${port}`, authType: 'apikey', probeIntervalSeconds: 5 }),
      { conn1: { apiKey: 'k' } });
    await statusMatching(helper.getNode('user1') as Node, (t) => t === 'mw-cmms.status.unreachable');
    // Re-checking means a second probe after the first failed (5 s later), and no crash meanwhile.
    const conn = helper.getNode('conn1') as CmmsConnection;
    await until('a second failed probe', () => conn.health.failures >= 2, 15_000, () => JSON.stringify(conn.health), 50);
    assert.equal(conn.health.state, 'unreachable');
  }).timeout(30_000);

  it('refuses invalid settings with a clear error and an "invalid" status, without a client', async () => {
    await helper.load([cmmsModule(), userNode], flow({ dialect: 'maximo', baseUrl: 'maximo.local', authType: 'apikey' }), { conn1: {} });
    const conn = helper.getNode('conn1') as CmmsConnection & { error: { args: unknown[][] } };
    assert.equal(conn.client, null);
    assert.ok(conn.configErrors.some((e) => /baseUrl/.test(e)), JSON.stringify(conn.configErrors));
    assert.equal(conn.error.args[0]?.[0], 'mw-cmms.errors.invalid-config');
    await statusMatching(helper.getNode('user1') as Node, (t) => t === 'mw-cmms.status.invalid-config');
  });

  it('names an unset environment variable in the address: status and log say which, not "invalid URL" (issue 17)', async () => {
    delete process.env.MW_TEST_UNSET_CMMS_URL;
    await helper.load([cmmsModule(), userNode], flow({ dialect: 'maximo', baseUrl: '${MW_TEST_UNSET_CMMS_URL}', authType: 'apikey' }), { conn1: { apiKey: 'k' } });
    const conn = helper.getNode('conn1') as CmmsConnection & { error: { args: unknown[][] } };
    assert.equal(conn.client, null);
    assert.equal(conn.error.args[0]?.[0], 'mw-cmms.errors.env-unset');
    await statusMatching(helper.getNode('user1') as Node, (t) => t === 'mw-cmms.status.env-unset');
  });

  it('connects to each dialect of the simulator with its usual sign-in', async () => {
    const cases: Array<[Record<string, unknown>, Record<string, string>]> = [
      [{ dialect: 'servicenow', authType: 'oauth2', tokenUrl: '/oauth_token.do' },
        { clientId: SIM_CREDENTIALS.servicenow.clientId, clientSecret: SIM_CREDENTIALS.servicenow.clientSecret }],
      [{ dialect: 'servicenow', authType: 'basic' }, { username: SIM_CREDENTIALS.servicenow.username, password: SIM_CREDENTIALS.servicenow.password }],
      [{ dialect: 'maintainx', authType: 'bearer' }, { token: SIM_CREDENTIALS.maintainx.token }],
      [{ dialect: 'rest', authType: 'bearer', restCreatePath: '/rest/workorders', restHealthPath: '/rest/health' }, { token: SIM_CREDENTIALS.rest.token }],
    ];
    for (const [settings, creds] of cases) {
      await helper.load([cmmsModule(), userNode], flow({ baseUrl: sim.url, ...settings }), { conn1: creds });
      await statusMatching(helper.getNode('user1') as Node, (t) => t === 'mw-cmms.status.connected');
      await helper.unload();
    }
  });

  it('stops probing when the last user is gone and releases everything on close', async () => {
    await helper.load([cmmsModule(), userNode], flow({ dialect: 'maximo', baseUrl: sim.url, authType: 'apikey' }),
      { conn1: { apiKey: SIM_CREDENTIALS.maximo.apiKey } });
    await statusMatching(helper.getNode('user1') as Node, (t) => t === 'mw-cmms.status.connected');
    const conn = helper.getNode('conn1') as CmmsConnection;
    conn.deregister(helper.getNode('user1') as Node);
    assert.equal(conn.health.nextProbeAt, null, 'no probe is scheduled without users');
  });

  it('a standby connection says so in the log and its outbox holds a create for the standby wait (issue 14 item 3)', async () => {
    await helper.load([cmmsModule(), userNode], flow({ dialect: 'maintainx', baseUrl: sim.url, authType: 'bearer', gatewayRole: 'standby', standbyDelaySeconds: '60' }),
      { conn1: { token: SIM_CREDENTIALS.maintainx.token } });
    const conn = helper.getNode('conn1') as CmmsConnection & { log: { args: unknown[][] } };
    assert.ok(conn.log.args.some((a) => a[0] === 'mw-cmms.log.standby'), JSON.stringify(conn.log.args));
    const box = conn.outbox();
    box.enqueue({ action: 'create', eventId: 'ev-standby-1', assetKey: 'BEDFORD/PUMP-102', nodeId: 'user1', body: { title: 'HiHi' }, event: null, occurredAt: Date.now() });
    await until('the create is held', () => box.admin.queue('retry-wait').length === 1, 5000);
    assert.match(box.admin.queue('retry-wait')[0].error ?? '', /standby: waiting 1 min/);
    assert.equal(sim.requests().filter((r) => r.path.startsWith('/v1/workorders')).length, 0, 'nothing sent during the wait');
  });

  describe('test-connection endpoint', () => {
    const settings = (baseUrl: string) => ({ dialect: 'maximo', baseUrl, authType: 'apikey', timeoutSeconds: 5 });

    it('runs the probe with the settings on screen and answers in words', async () => {
      await helper.load([cmmsModule()], [{ id: 'conn1', type: 'mw-cmms', ...settings(sim.url) }], { conn1: { apiKey: SIM_CREDENTIALS.maximo.apiKey } });
      const res = await helper.request().post('/mw-cmms/test')
        .send({ id: 'conn1', config: settings(sim.url), credentials: { apiKey: SIM_CREDENTIALS.maximo.apiKey } }).expect(200);
      assert.equal(res.body.ok, true);
      assert.equal(res.body.state, 'connected');
      assert.equal(res.body.text, 'mw-cmms.test.connected');
    });

    it('uses the stored secret when the editor sends the "unchanged" placeholder', async () => {
      await helper.load([cmmsModule()], [{ id: 'conn1', type: 'mw-cmms', ...settings(sim.url) }], { conn1: { apiKey: SIM_CREDENTIALS.maximo.apiKey } });
      const res = await helper.request().post('/mw-cmms/test')
        .send({ id: 'conn1', config: settings(sim.url), credentials: { apiKey: '__PWRD__' } }).expect(200);
      assert.equal(res.body.state, 'connected');
    });

    it('never sends a stored secret to another origin: a changed address needs the secret typed again (issue 12, item 5)', async () => {
      // An echo server that records every request's headers and body.
      const seen: string[] = [];
      const echo = http.createServer((req, res) => {
        let body = '';
        req.on('data', (c: Buffer) => { body += c.toString(); });
        req.on('end', () => { seen.push(JSON.stringify(req.headers) + body); res.writeHead(200, { 'content-type': 'application/json' }); res.end('{}'); });
      });
      await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
      const other = `http://127.0.0.1:${(echo.address() as AddressInfo).port}`;
      try {
        await helper.load([cmmsModule()], [{ id: 'conn1', type: 'mw-cmms', ...settings(sim.url) }], { conn1: { apiKey: SIM_CREDENTIALS.maximo.apiKey } });
        for (const credentials of [{ apiKey: '__PWRD__' }, {}]) {
          const res = await helper.request().post('/mw-cmms/test').send({ id: 'conn1', config: settings(other), credentials }).expect(200);
          assert.equal(res.body.ok, false);
          assert.equal(res.body.state, 'secret-needed');
        }
        // A token URL on another origin is another origin too.
        const viaToken = await helper.request().post('/mw-cmms/test')
          .send({ id: 'conn1', config: { ...settings(sim.url), authType: 'oauth2', tokenUrl: `${other}/token` }, credentials: {} }).expect(200);
        assert.equal(viaToken.body.state, 'secret-needed');
        assert.ok(!seen.some((r) => r.includes(SIM_CREDENTIALS.maximo.apiKey)), 'the stored key never reached the other origin');
        assert.equal(seen.length, 0);
        // A secret typed again may go there (the admin just typed it for that address).
        await helper.request().post('/mw-cmms/test').send({ id: 'conn1', config: settings(other), credentials: { apiKey: 'typed-for-other' } }).expect(200);
        assert.ok(seen.some((r) => r.includes('typed-for-other')));
        // The saved origin still gets the stored secret.
        const same = await helper.request().post('/mw-cmms/test').send({ id: 'conn1', config: settings(sim.url), credentials: { apiKey: '__PWRD__' } }).expect(200);
        assert.equal(same.body.state, 'connected');
      } finally {
        await new Promise<void>((r) => echo.close(() => r()));
      }
    });

    it('resolves ${VAR} in the address as the runtime does, compares resolved addresses for a saved secret, and names an unset variable (issue 17)', async () => {
      const vars = { MW_T17_CMMS_URL: sim.url, MW_T17_OTHER_URL: 'http://127.0.0.1:9', MW_T17_UNSET: undefined };
      const before = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
      for (const [k, v] of Object.entries(vars)) { if (v === undefined) delete process.env[k]; else process.env[k] = v; }
      try {
        // Saved with the variable: the runtime resolved it when it started the node.
        await helper.load([cmmsModule()], [{ id: 'conn1', type: 'mw-cmms', ...settings('${MW_T17_CMMS_URL}') }], { conn1: { apiKey: SIM_CREDENTIALS.maximo.apiKey } });
        const viaEnv = await helper.request().post('/mw-cmms/test')
          .send({ id: 'conn1', config: settings('${MW_T17_CMMS_URL}'), credentials: { apiKey: '__PWRD__' } }).expect(200);
        assert.equal(viaEnv.body.state, 'connected', JSON.stringify(viaEnv.body));
        // The literal address it resolves to is the same address: the saved secret may go there.
        const literal = await helper.request().post('/mw-cmms/test')
          .send({ id: 'conn1', config: settings(sim.url), credentials: { apiKey: '__PWRD__' } }).expect(200);
        assert.equal(literal.body.state, 'connected');
        // A variable that resolves elsewhere is another address: the saved secret is not sent.
        const elsewhere = await helper.request().post('/mw-cmms/test')
          .send({ id: 'conn1', config: settings('${MW_T17_OTHER_URL}'), credentials: { apiKey: '__PWRD__' } }).expect(200);
        assert.equal(elsewhere.body.state, 'secret-needed');
        // A new connection (not deployed yet) with a typed key resolves from process.env.
        const fresh = await helper.request().post('/mw-cmms/test')
          .send({ config: settings('${MW_T17_CMMS_URL}'), credentials: { apiKey: SIM_CREDENTIALS.maximo.apiKey } }).expect(200);
        assert.equal(fresh.body.state, 'connected');
        // An unset variable is named, in the base URL, the token URL or the proxy.
        for (const config of [settings('${MW_T17_UNSET}'), { ...settings(sim.url), proxy: '${MW_T17_UNSET}' }, { ...settings(sim.url), authType: 'oauth2', tokenUrl: '$(MW_T17_UNSET)' }]) {
          const unset = await helper.request().post('/mw-cmms/test').send({ config, credentials: { apiKey: 'typed' } }).expect(200);
          assert.equal(unset.body.ok, false);
          assert.equal(unset.body.state, 'env-unset');
          assert.deepEqual(unset.body.variables, ['MW_T17_UNSET']);
          assert.equal(unset.body.text, 'mw-cmms.test.env-unset');
        }
      } finally {
        for (const [k, v] of Object.entries(before)) { if (v === undefined) delete process.env[k]; else process.env[k] = v; }
      }
    });

    it('reports a refused key and invalid settings without echoing secrets', async () => {
      await helper.load([cmmsModule()], [], {});
      const refused = await helper.request().post('/mw-cmms/test')
        .send({ config: settings(sim.url), credentials: { apiKey: 'nope-secret-123' } }).expect(200);
      assert.equal(refused.body.ok, false);
      assert.equal(refused.body.state, 'unauthorised');
      assert.ok(!JSON.stringify(refused.body).includes('nope-secret-123'));
      const invalid = await helper.request().post('/mw-cmms/test').send({ config: { dialect: 'sap' } }).expect(200);
      assert.equal(invalid.body.state, 'invalid');
      // No settings at all is a bad request, answered in the admin routes' one error shape (docs/contracts.md).
      const garbage = await helper.request().post('/mw-cmms/test').send('not json').set('content-type', 'text/plain').expect(400);
      assert.equal(garbage.body.error.code, 'bad-request');
      assert.match(garbage.body.error.message, /config/);
    });
  });
});
