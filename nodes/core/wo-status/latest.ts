// The last status seen per work order, for the sidebar's work-order list: mw-wo-status records each
// status it emits, the sidebar reads it beside the outbox's delivered creates. Bounded (oldest
// entry out first), in memory: the CMMS stays the record; this is only what came back since start.
import type { WorkOrderStatus } from '../contracts';

interface LatestStatus {
  status: WorkOrderStatus['status'];
  cmmsStatus: string;
  changedAt: string;
}

export class LatestStatuses {
  private readonly map = new Map<string, LatestStatus>();

  constructor(private readonly max = 5000) {}

  record(connectionId: string, s: Pick<WorkOrderStatus, 'workOrderId' | 'status' | 'cmmsStatus' | 'changedAt'>): void {
    const key = `${connectionId}|${s.workOrderId}`;
    const old = this.map.get(key);
    // A late, older change (webhook after a poll) does not hide the newer one.
    if (old && Date.parse(old.changedAt) > Date.parse(s.changedAt)) return;
    this.map.delete(key);
    this.map.set(key, { status: s.status, cmmsStatus: s.cmmsStatus, changedAt: s.changedAt });
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value as string);
  }

  get(connectionId: string, workOrderId: string): LatestStatus | null {
    return this.map.get(`${connectionId}|${workOrderId}`) ?? null;
  }
}
