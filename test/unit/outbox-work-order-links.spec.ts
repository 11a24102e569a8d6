// The outbox's read-only lookup for mw-wo-status: which events a work order was made from.
import assert from 'node:assert/strict';
import { event, harness } from './outbox-fakes';

describe('outbox: work-order links (read-only, for mw-wo-status)', () => {
  let h: ReturnType<typeof harness>;
  afterEach(async () => { await h.cleanup(); });

  it('finds the events of a delivered work order by its id, and a create in flight by our reference', async () => {
    h = harness();
    h.outbox.start();
    h.outbox.enqueue(event('ev-1', 'BEDFORD/P-101'));
    await h.clock.settle();
    h.outbox.enqueue(event('ev-1', 'BEDFORD/P-101', 'note'));
    await h.clock.settle();
    const links = h.outbox.linksFor('WO-1');
    assert.deepEqual(links?.eventIds, ['ev-1']);
    assert.equal(links?.assetId, 'BEDFORD/P-101', 'the asset as the first event named it');
    assert.equal(h.outbox.linksFor('WO-404'), null);
    assert.equal(h.outbox.linksFor('WO-404', 'ev-unknown'), null);
    // A create not delivered yet: known by reference (the eventId the CMMS carries), not by id.
    h.client.script('createWorkOrder', 'hang');
    h.outbox.enqueue(event('ev-2', 'BEDFORD/P-102'));
    assert.deepEqual(h.outbox.linksFor('WO-2', 'ev-2')?.eventIds, ['ev-2']);
    assert.equal(h.outbox.linksFor('WO-2'), null);
    // Our reference on another work order than the one the outbox recorded: not ours.
    assert.equal(h.outbox.linksFor('WO-999', 'ev-1')?.eventIds.includes('ev-1') ?? false, false);
  });
});
