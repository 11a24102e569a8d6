import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import sinon from 'sinon';
import { onClose } from '../../nodes/lib/close';
import { onInput } from '../../nodes/lib/input';
import type { Node } from '../../nodes/lib/red';
import { busy, countPart, failed, fitStatus, joinParts, showStatus, STATUS_MAX_CHARS, throttledStatus } from '../../nodes/lib/status';

/** Just enough of a node for the wrappers: an emitter with warn/error/status spies. */
function fakeNode(): Node & { warn: sinon.SinonSpy; error: sinon.SinonSpy; status: sinon.SinonSpy } {
  const n = new EventEmitter() as unknown as Node & { warn: sinon.SinonSpy; error: sinon.SinonSpy; status: sinon.SinonSpy };
  n.warn = sinon.spy();
  n.error = sinon.spy();
  n.status = sinon.spy();
  return n;
}

function handlerOf(node: Node, event: string): (...args: unknown[]) => void {
  const [h] = node.listeners(event) as Array<(...args: unknown[]) => void>;
  return h;
}

/** Like the test helper's RED._: returns the key, so a test sees which message was chosen. */
const FAKE_RED = { _: (key: string): string => key } as unknown as Parameters<typeof onClose>[0];

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('nodes/lib handlers', () => {
  describe('onInput', () => {
    it('registers a handler of arity 3, so Node-RED passes send and done', () => {
      const node = fakeNode();
      onInput(node, () => undefined);
      assert.equal(handlerOf(node, 'input').length, 3);
    });

    it('turns a synchronous throw into done(err)', () => {
      const node = fakeNode();
      onInput(node, () => { throw new Error('bad register'); });
      const done = sinon.spy();
      handlerOf(node, 'input')({}, () => undefined, done);
      assert.equal(done.callCount, 1);
      assert.equal((done.firstCall.args[0] as Error).message, 'bad register');
    });

    it('turns a rejected promise into done(err) instead of an unhandled rejection', async () => {
      const node = fakeNode();
      const unhandled = sinon.spy();
      process.on('unhandledRejection', unhandled);
      try {
        onInput(node, async () => { throw new Error('CMMS down'); });
        const done = sinon.spy();
        handlerOf(node, 'input')({}, () => undefined, done);
        await tick();
        await tick();
        assert.equal(done.callCount, 1);
        assert.equal((done.firstCall.args[0] as Error).message, 'CMMS down');
        assert.equal(unhandled.callCount, 0);
      } finally {
        process.off('unhandledRejection', unhandled);
      }
    });

    it('wraps a thrown non-Error value into an Error', async () => {
      const node = fakeNode();
      onInput(node, () => Promise.reject({ code: 42 }));
      const done = sinon.spy();
      handlerOf(node, 'input')({}, () => undefined, done);
      await tick();
      assert.ok(done.firstCall.args[0] instanceof Error);
      assert.match((done.firstCall.args[0] as Error).message, /42/);
    });

    it('calls done once when the handler resolves, and once only if it also called done', async () => {
      const node = fakeNode();
      onInput(node, async (_m, _s, d) => { d(); });
      const done = sinon.spy();
      handlerOf(node, 'input')({}, () => undefined, done);
      await tick();
      assert.equal(done.callCount, 1);
      assert.equal(done.firstCall.args.length, 0);
    });

    it('leaves done to a synchronous handler that returns nothing', () => {
      const node = fakeNode();
      let saved: (() => void) | undefined;
      onInput(node, (_m, _s, d) => { saved = d; });
      const done = sinon.spy();
      handlerOf(node, 'input')({}, () => undefined, done);
      assert.equal(done.callCount, 0, 'must not finish messages the handler still owns');
      saved?.();
      assert.equal(done.callCount, 1);
    });
  });

  describe('onClose', () => {
    it('registers a handler of arity 2, so Node-RED passes (removed, done)', () => {
      const node = fakeNode();
      onClose(FAKE_RED, node, async () => undefined);
      assert.equal(handlerOf(node, 'close').length, 2);
    });

    it('waits for an async cleanup before calling done, and passes removed', async () => {
      const node = fakeNode();
      let finishCleanup: (() => void) | undefined;
      const seen: boolean[] = [];
      onClose(FAKE_RED, node, (removed) => { seen.push(removed); return new Promise<void>((r) => { finishCleanup = r; }); });
      const done = sinon.spy();
      handlerOf(node, 'close')(true, done);
      await tick();
      assert.equal(done.callCount, 0);
      finishCleanup?.();
      await tick();
      assert.equal(done.callCount, 1);
      assert.deepEqual(seen, [true]);
    });

    it('calls done after a failing cleanup and reports the error', async () => {
      const node = fakeNode();
      onClose(FAKE_RED, node, async () => { throw new Error('socket stuck'); });
      const done = sinon.spy();
      handlerOf(node, 'close')(false, done);
      await tick();
      assert.equal(done.callCount, 1);
      assert.match(String(node.error.firstCall.args[0]), /socket stuck/);
    });

    it('gives up after its budget so a redeploy never waits 15 s', () => {
      const clock = sinon.useFakeTimers();
      try {
        const node = fakeNode();
        onClose(FAKE_RED, node, () => new Promise<void>(() => undefined), 2000);
        const done = sinon.spy();
        handlerOf(node, 'close')(false, done);
        clock.tick(1999);
        assert.equal(done.callCount, 0);
        clock.tick(1);
        assert.equal(done.callCount, 1);
        assert.equal(node.warn.callCount, 1);
        assert.equal(node.warn.firstCall.args[0], '@millwright/node-red-maintenance/mw-cmms:mw-cmms.common.close-timeout');
      } finally {
        clock.restore();
      }
    });
  });

  describe('status helpers', () => {
    it('translate the key with its parameters through RED._', () => {
      const node = fakeNode();
      const RED = { _: sinon.stub().returns('3 pending') } as unknown as Parameters<typeof showStatus>[0];
      showStatus(RED, node, busy('mw-work-order.status.pending', { count: 3 }));
      assert.deepEqual(node.status.firstCall.args[0], { fill: 'blue', shape: 'dot', text: '3 pending' });
      assert.deepEqual((RED._ as sinon.SinonStub).firstCall.args, ['mw-work-order.status.pending', { count: 3 }]);
    });

    it('countPart leaves out a zero count and passes the count for i18next to pick singular or plural', () => {
      const _ = sinon.stub().callsFake((key: string, p: { count: number }) => `${p.count} ${key}`);
      const RED = { _ } as unknown as Parameters<typeof countPart>[0];
      assert.equal(countPart(RED, 'unmapped', 0), '');
      assert.equal(_.callCount, 0);
      assert.equal(countPart(RED, 'unmapped', 2), '2 unmapped');
      assert.deepEqual(_.firstCall.args, ['unmapped', { count: 2 }]);
      assert.equal(joinParts('created 1', '', '2 pending'), 'created 1 · 2 pending');
      assert.equal(joinParts('', ''), '');
    });

    it('a long status is cut to one short line (the next node sits about 200 px to the right), never mid-character', () => {
      const node = fakeNode();
      const reason = 'dead: BMXAA4195E - A value is required for the Site field on the WORKORDER object.';
      const RED = { _: sinon.stub().returns(`2 dead · ${reason}`) } as unknown as Parameters<typeof showStatus>[0];
      showStatus(RED, node, failed('mw-work-order.status.counts'));
      const text = String(node.status.firstCall.args[0].text);
      assert.equal(Array.from(text).length, STATUS_MAX_CHARS);
      assert.ok(text.startsWith('2 dead · dead: BMXAA4195E') && text.endsWith('…'), text);
      assert.equal(fitStatus('ready'), 'ready');
      // An emoji is two UTF-16 units: the cut counts characters and keeps it whole or drops it whole.
      const cut = fitStatus(`${'x'.repeat(STATUS_MAX_CHARS - 2)}\u{1F527}\u{1F527}\u{1F527}`);
      assert.equal(cut, `${'x'.repeat(STATUS_MAX_CHARS - 2)}\u{1F527}…`);
    });

    it('failed statuses are red rings', () => {
      assert.deepEqual(failed('k'), { fill: 'red', shape: 'ring', key: 'k', params: undefined });
    });
  });

  describe('throttledStatus', () => {
    it('folds the requests of one interval into one refresh, and none after stop', () => {
      const clock = sinon.useFakeTimers();
      try {
        const refresh = sinon.spy();
        const status = throttledStatus(500, refresh);
        for (let i = 0; i < 10; i++) status.schedule();
        clock.tick(499);
        assert.equal(refresh.callCount, 0);
        clock.tick(1);
        assert.equal(refresh.callCount, 1);
        status.schedule();
        clock.tick(500);
        assert.equal(refresh.callCount, 2);
        status.schedule();
        status.stop();
        status.schedule();
        clock.tick(5000);
        assert.equal(refresh.callCount, 2);
      } finally {
        clock.restore();
      }
    });
  });
});
