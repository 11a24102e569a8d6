// Behaviour every dialect shares on top of its own calls.
import { isCmmsError } from './errors';
import type { CmmsWorkOrder, SettableStatus, WorkOrderRef } from './types';

/**
 * Setting a status the work order already has is success, not an error: a retried request (after
 * a timeout that hid the first one's success) or a technician who got there first must not send
 * the event to the dead-letter queue. CMMSs refuse "COMP → COMP" with a 400 or 422, so on a
 * permanent refusal we read the work order and compare.
 */
export async function setStatusIdempotent(
  target: SettableStatus | ((current: CmmsWorkOrder) => boolean),
  set: () => Promise<void>,
  read: () => Promise<CmmsWorkOrder>,
): Promise<void> {
  // `closed` is reached only where the dialect says so (it passes a test); as a word it means done.
  const reached = typeof target === 'function' ? target : (wo: CmmsWorkOrder): boolean => wo.status === (target === 'closed' ? 'done' : target);
  try {
    await set();
  } catch (e) {
    if (!isCmmsError(e) || e.kind !== 'permanent' || e.status === undefined) throw e;
    let current: CmmsWorkOrder;
    try {
      current = await read();
    } catch {
      throw e;
    }
    if (!reached(current)) throw e;
  }
}

/**
 * A create answered 409 (a replayed `transactionid` in Maximo, the same Idempotency-Key still
 * running on a REST target) means the first request got through: hand back that work order, found
 * by its reference. Anything else, or a 409 whose work order cannot be found, stays an error.
 */
export async function createOrFindOnConflict(
  reference: string,
  create: () => Promise<WorkOrderRef>,
  findByReference: (reference: string) => Promise<CmmsWorkOrder | null>,
): Promise<WorkOrderRef> {
  try {
    return await create();
  } catch (e) {
    if (isCmmsError(e) && e.kind === 'conflict') {
      const existing = await findByReference(reference);
      if (existing) return { id: existing.id, href: existing.href, status: existing.cmmsStatus, existing: true };
    }
    throw e;
  }
}
