// Issue 12 item 4: mw-threshold's rules file and mw-vision-drift's spec file are read
// asynchronously at deploy. Input that arrives while the file loads is held (bounded) and handled in
// order once it is loaded; a failed load, an overflow or a stop while loading rejects it, never
// silently; a read that never ends does not stop the runtime, and gives up after its timeout.
//
// A slow or hung read cannot be made on this machine (no network share, no FUSE): the tests hold the
// reads of the one file they name in fs.promises' FileHandle.read until they release them — the
// same place a hung share would stop. Every other read goes through untouched.
import assert from 'node:assert/strict';
import type { EventEmitter } from 'node:events';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import sinon from 'sinon';
import type { MaintenanceEvent } from '../../nodes/core/contracts';
import type { RuleSet } from '../../nodes/core/alarms';
import { MAX_HELD_WHILE_LOADING } from '../../nodes/lib/held-input';
import type { Node, NodeAPI } from '../../nodes/lib/red';
import { helper, nodeModule, withUserDir } from '../support/node-red';
import { PartStream, partSpecRows } from '../support/spc-parts';

type NodeModule = (RED: NodeAPI) => void;
type Msg = { topic?: string; payload: unknown; reason?: string; errors?: string[]; spc?: { series: Record<string, unknown> } };
type Spied = Node & { error: { args: unknown[][] }; status: { args: unknown[][] } };

const RULES: RuleSet = {
  classes: { pump: [{ id: 'bearing-temp', metric: 'bearing_temp', limits: { H: { value: 85, severity: 'high', priority: 2 } }, deadband: 2 }] },
};
const MARKER = 'SECRET-MARKER-7f3a9c';

function reading(id: string, value: number): object {
  return {
    asset: { id, siteId: 'BEDFORD', location: `BEDFORD/LINE1/${id}`, class: 'pump' },
    readings: [{ metric: 'bearing_temp', value, unit: '°C', quality: 'good', timestamp: new Date().toISOString() }],
    source: { kind: 'opcua', ref: 'ns=2;s=x' },
  };
}

/** Holds every FileHandle.read of `file` until release(); other reads pass. */
async function holdReadsOf(file: string): Promise<{ release: () => void; restore: () => void; held: () => number }> {
  const probe = await fs.promises.open(file, 'r');
  const proto = Object.getPrototypeOf(probe) as { read: (...a: unknown[]) => Promise<unknown> };
  await probe.close();
  const original = proto.read;
  const real = fs.realpathSync(file);
  let released = false;
  let open: () => void = () => undefined;
  const gate = new Promise<void>((r) => { open = r; });
  let held = 0;
  const stub = sinon.stub(proto, 'read').callsFake(function (this: { fd: number }, ...args: unknown[]) {
    let target = '';
    try { target = fs.readlinkSync(`/proc/self/fd/${this.fd}`); } catch { /* not ours */ }
    if (target !== real || released) return original.apply(this, args);
    held++;
    return gate.then(() => original.apply(this, args));
  });
  return {
    release: () => { released = true; open(); },
    restore: () => stub.restore(),
    held: () => held,
  };
}

const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
async function until(what: string, test: () => boolean, ms = 5000): Promise<void> {
  for (let t = 0; !test(); t += 10) {
    if (t > ms) throw new Error(`timed out waiting for ${what}`);
    await wait(10);
  }
}
const lastStatus = (n: Spied): string => String((n.status.args[n.status.args.length - 1]?.[0] as { text?: string } | undefined)?.text);
const errorsOf = (n: Spied): string => n.error.args.map((a) => String(a[0] instanceof Error ? a[0].message : a[0])).join('\n');

describe('files read asynchronously at deploy (issue 12 item 4)', function () {
  this.timeout(30_000);
  const userDirOf = withUserDir('mw-fla-');
  let restore: (() => void) | null = null;
  afterEach(() => { restore?.(); restore = null; });

  const outputs = (): Record<'a' | 'b' | 'rejected', Msg[]> => {
    const got = { a: [] as Msg[], b: [] as Msg[], rejected: [] as Msg[] };
    for (const k of ['a', 'b', 'rejected'] as const) (helper.getNode(k) as unknown as EventEmitter).on('input', (m: Msg) => got[k].push(m));
    return got;
  };
  const wires = [['a'], ['b'], ['rejected']];
  const sinks = [{ id: 'a', type: 'helper' }, { id: 'b', type: 'helper' }, { id: 'rejected', type: 'helper' }];
  const threshold = (over: Record<string, unknown>) => [{ id: 'th1', type: 'mw-threshold', rules: '', wires, ...over }, ...sinks];
  const th = (): Spied => helper.getNode('th1') as unknown as Spied;

  describe('mw-threshold rules file', () => {
    const mods = (): NodeModule[] => [nodeModule('mw-threshold') as NodeModule];

    it('readings sent right after deploy wait ("loading" status, timers run) and are handled in order once the file is loaded', async () => {
      const file = path.join(userDirOf(), 'rules.json');
      fs.writeFileSync(file, JSON.stringify(RULES));
      const hold = await holdReadsOf(file);
      restore = hold.restore;
      await helper.load(mods(), threshold({ rulesFile: 'rules.json' }));
      const out = outputs();
      for (const id of ['P-101', 'P-102', 'P-103']) th().receive({ payload: reading(id, 90) } as never);
      let ticks = 0;
      const timer = setInterval(() => { ticks++; }, 5);
      await wait(150);
      clearInterval(timer);
      assert.ok(hold.held() >= 1, 'the read of the rules file is under way');
      assert.ok(ticks >= 3, `the event loop ran while the file loaded (${ticks} ticks)`);
      assert.equal(lastStatus(th()), 'mw-threshold.status.loading');
      assert.deepEqual([out.a.length, out.rejected.length], [0, 0], 'nothing answered before the rules are known');
      hold.release();
      await until('three raised events', () => out.a.length >= 3);
      assert.deepEqual(out.a.map((m) => (m.payload as MaintenanceEvent).asset.id), ['P-101', 'P-102', 'P-103'], 'in the order they came');
      assert.ok(out.a.every((m) => (m.payload as MaintenanceEvent).state === 'raised'));
      assert.equal(out.rejected.length, 0);
    });

    it('a rules file that fails to load rejects the held messages with the load error, quoting nothing of the file', async () => {
      const file = path.join(userDirOf(), 'rules.json');
      fs.writeFileSync(file, `{"classes": ${MARKER} "pump": []}`);
      const hold = await holdReadsOf(file);
      restore = hold.restore;
      await helper.load(mods(), threshold({ rulesFile: 'rules.json' }));
      const out = outputs();
      th().receive({ payload: reading('P-101', 90) } as never);
      th().receive({ payload: reading('P-102', 90) } as never);
      await wait(50);
      assert.equal(out.rejected.length, 0, 'held while loading');
      hold.release();
      await until('two rejections', () => out.rejected.length >= 2);
      assert.deepEqual(out.rejected.map((m) => m.reason), ['invalid-config', 'invalid-config']);
      assert.match(out.rejected[0].errors?.join(' ') ?? '', /rules file rules\.json/);
      assert.ok(!JSON.stringify(out.rejected).includes(MARKER), 'no file content in the rejection');
      assert.ok(!errorsOf(th()).includes(MARKER), 'no file content in the log');
      // done(err) for each held message: the helper's node.error spy sees them.
      assert.ok(th().error.args.filter((a) => /mw-threshold\.errors\.invalid-config/.test(String(a[0] instanceof Error ? a[0].message : a[0]))).length >= 3, errorsOf(th()));
      assert.match(lastStatus(th()), /mw-threshold\.status\.file-failed/);
      assert.equal(out.a.length, 0);
    });

    it('a FIFO as rules file is refused at once (never waits for a writer); the message sent meanwhile is rejected with that error', async () => {
      execFileSync('mkfifo', [path.join(userDirOf(), 'pipe.json')]);
      await helper.load(mods(), threshold({ rulesFile: 'pipe.json' }));
      const out = outputs();
      th().receive({ payload: reading('P-101', 90) } as never);
      await until('the rejection', () => out.rejected.length >= 1);
      assert.match(out.rejected[0].errors?.join(' ') ?? '', /pipe\.json: not a regular file/);
    });

    it('a read that never ends: the queue is bounded (the overflow is rejected at once), and the timeout rejects the held messages', async () => {
      const file = path.join(userDirOf(), 'rules.json');
      fs.writeFileSync(file, JSON.stringify(RULES));
      const hold = await holdReadsOf(file); // never released: a hung share
      restore = hold.restore;
      // settings.js: millwright.fileReadTimeoutMs (not in the helper's settings type).
      helper.settings({ userDir: userDirOf(), millwright: { fileReadTimeoutMs: 1500 } } as never);
      await helper.load(mods(), threshold({ rulesFile: 'rules.json' }));
      const out = outputs();
      for (let i = 0; i <= MAX_HELD_WHILE_LOADING; i++) th().receive({ payload: reading(`P-${i}`, 90) } as never);
      await until('the overflow rejection', () => out.rejected.length >= 1);
      assert.equal(out.rejected.length, 1, 'exactly the one past the bound');
      assert.equal(out.rejected[0].reason, 'loading');
      assert.equal((out.rejected[0].payload as { asset: { id: string } }).asset.id, `P-${MAX_HELD_WHILE_LOADING}`, 'the refused message itself, payload kept for a retry');
      assert.match(errorsOf(th()), /mw-threshold\.errors\.held-full/);
      assert.equal(lastStatus(th()), 'mw-threshold.status.loading');
      await until('the timeout', () => out.rejected.length >= MAX_HELD_WHILE_LOADING + 1, 10_000);
      assert.ok(out.rejected.slice(1).every((m) => m.reason === 'invalid-config' && /rules\.json: not read within 2 s/.test(m.errors?.join(' ') ?? '')), JSON.stringify(out.rejected[1]));
      assert.match(lastStatus(th()), /mw-threshold\.status\.file-failed/);
      assert.equal(out.a.length, 0);
    });

    it('stopped while loading: held messages end with an error, nothing throws, and the late load opens no state file', async () => {
      const file = path.join(userDirOf(), 'rules.json');
      fs.writeFileSync(file, JSON.stringify(RULES));
      const hold = await holdReadsOf(file);
      restore = hold.restore;
      await helper.load(mods(), threshold({ rulesFile: 'rules.json' }));
      const node = th();
      // The helper resets its spies at unload: record the errors (done(err) reports through node.error) here.
      const seen: string[] = [];
      const spied = node.error as unknown as (...a: unknown[]) => void;
      (node as unknown as { error: (...a: unknown[]) => void }).error = function (this: unknown, ...a: unknown[]) {
        seen.push(String(a[0] instanceof Error ? a[0].message : a[0]));
        return spied.apply(this, a);
      };
      node.receive({ payload: reading('P-101', 90) } as never);
      node.receive({ payload: reading('P-102', 90) } as never);
      await wait(50);
      await helper.unload();
      assert.equal(seen.filter((e) => /closed-while-loading/.test(e)).length, 2, JSON.stringify(seen));
      hold.release();
      await wait(200);
      assert.ok(!fs.existsSync(path.join(userDirOf(), 'millwright', 'mw-threshold-th1.db')), 'no state database opened after the close');
    });
  });

  describe('mw-vision-drift spec file', () => {
    const mods = (): NodeModule[] => [nodeModule('mw-vision-drift') as NodeModule];
    const drift = (over: Record<string, unknown>) => [{
      id: 'vd1', type: 'mw-vision-drift', site: 'BEDFORD', phase1Units: '200', phase1Subgroups: '3', defectSubgroupSize: '100',
      arl0: '1000000', checkpointSeconds: '0', specs: [], specSource: 'file', specFile: 'specs.csv', monitorUnspecified: false, wires, ...over,
    }, ...sinks];
    const vd = (): Spied => helper.getNode('vd1') as unknown as Spied;

    it('records sent right after deploy wait for the spec file and then pass, in order, with its limits', async () => {
      assert.ok(partSpecRows().some((r) => r.characteristic === 'bore'));
      const file = path.join(userDirOf(), 'specs.csv');
      fs.writeFileSync(file, 'product,characteristic,lsl,usl,target\n*,bore,11.98,12.02,12\n');
      const hold = await holdReadsOf(file);
      restore = hold.restore;
      await helper.load(mods(), drift({}));
      const out = outputs();
      const stream = new PartStream({ seed: 8 });
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const u = stream.next();
        ids.push(String((u.record as { unitId?: unknown }).unitId));
        vd().receive({ payload: u.record } as never);
      }
      await wait(100);
      assert.equal(lastStatus(vd()), 'mw-vision-drift.status.loading');
      assert.equal(out.b.length, 0, 'held while loading');
      hold.release();
      await until('five records', () => out.b.length >= 5);
      assert.deepEqual(out.b.map((m) => String((m.payload as { unitId?: unknown }).unitId)), ids);
      assert.deepEqual(Object.keys(out.b[0].spc?.series ?? {}), ['bore'], 'the spec file was applied to the first record');
    });

    it('a spec file that fails to load rejects the held records with the error, quoting nothing of the file', async () => {
      const file = path.join(userDirOf(), 'specs.csv');
      fs.writeFileSync(file, `product,${MARKER},lsl\n*,1,2\n`);
      const hold = await holdReadsOf(file);
      restore = hold.restore;
      await helper.load(mods(), drift({}));
      const out = outputs();
      vd().receive({ payload: new PartStream({ seed: 3 }).next().record } as never);
      await wait(50);
      assert.equal(out.rejected.length, 0, 'held while loading');
      hold.release();
      await until('the rejection', () => out.rejected.length >= 1);
      assert.equal(out.rejected[0].reason, 'invalid-config');
      assert.match(out.rejected[0].errors?.join(' ') ?? '', /characteristic/);
      assert.ok(!JSON.stringify(out.rejected).includes(MARKER) && !errorsOf(vd()).includes(MARKER), 'no file content quoted');
      assert.match(lastStatus(vd()), /mw-vision-drift\.status\.file-failed/);
    });
  });
});
