// The "409 → look up by reference" recovery every dialect with a replay guard shares.
import assert from 'node:assert/strict';
import { CmmsError } from '../../nodes/core/cmms/errors';
import type { CmmsWorkOrder } from '../../nodes/core/cmms/types';
import { createOrFindOnConflict } from '../../nodes/core/cmms/workflow';

const found = { id: 'WO-7', href: 'http://x/wo/7', cmmsStatus: 'WAPPR' } as unknown as CmmsWorkOrder;

describe('cmms workflow: a create answered 409', () => {
  it('hands back the work order the first request made, marked existing', async () => {
    const asked: string[] = [];
    const r = await createOrFindOnConflict('ev-1', () => Promise.reject(new CmmsError({ kind: 'conflict', status: 409, message: 'replay' })),
      async (ref) => { asked.push(ref); return found; });
    assert.deepEqual(r, { id: 'WO-7', href: 'http://x/wo/7', status: 'WAPPR', existing: true });
    assert.deepEqual(asked, ['ev-1']);
  });

  it('keeps the 409 when the work order cannot be found, and never looks up after other errors', async () => {
    const conflict = new CmmsError({ kind: 'conflict', status: 409, message: 'replay' });
    await assert.rejects(createOrFindOnConflict('ev-2', () => Promise.reject(conflict), async () => null), (e) => e === conflict);
    let looked = false;
    const refused = new CmmsError({ kind: 'permanent', status: 400, message: 'bad' });
    await assert.rejects(createOrFindOnConflict('ev-3', () => Promise.reject(refused), async () => { looked = true; return found; }), (e) => e === refused);
    assert.equal(looked, false);
  });

  it('passes a successful create through untouched', async () => {
    const r = await createOrFindOnConflict('ev-4', async () => ({ id: 'WO-1', href: null }), async () => found);
    assert.deepEqual(r, { id: 'WO-1', href: null });
  });
});
