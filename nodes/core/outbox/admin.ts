// What the admin endpoints and the sidebar do with the outbox: list the queue, dead letters and
// shadow records, replay or discard dead letters, read the audit log, export JSON lines.
import { wrapStorageError } from './open';
import type { ItemRow, Store } from './store';
import type { AuditRecord, DeadLetter, ItemState, QueueItem, ShadowRecord } from './types';
import { jsonLines, toAuditRecord, toDeadLetter, toQueueItem, toShadowRecord } from './views';

export interface Page {
  afterId?: number;
  limit?: number;
}

interface AdminSettings {
  deadlineMs: number;
  now: () => number;
}

const MAX_PAGE = 1000;

function pageOf(p: Page = {}): { after: number; limit: number } {
  const limit = Math.min(MAX_PAGE, Math.max(1, Math.floor(p.limit ?? 100)));
  return { after: Math.max(0, Math.floor(p.afterId ?? 0)), limit };
}

export class OutboxAdmin {
  constructor(
    private readonly store: () => Store,
    private readonly s: AdminSettings,
    /** Rechecks capacity and wakes the delivery loop after rows were added or removed. */
    private readonly changed: () => void,
  ) {}

  queue(state: ItemState, p?: Page): QueueItem[] {
    const { after, limit } = pageOf(p);
    return this.store().list(state, after, limit).map(toQueueItem);
  }

  deadLetters(p?: Page): DeadLetter[] {
    const { after, limit } = pageOf(p);
    return this.store().list('dead', after, limit).map(toDeadLetter);
  }

  /**
   * Puts dead letters back at the end of the queue with their eventId, attempts reset and a new
   * deadline. A replayed create looks its work order up before sending, so replaying one that
   * did reach the CMMS (or replaying twice) makes no second work order. Returns the new item ids.
   */
  replay(ids: number[] | 'all'): number[] {
    const out: number[] = [];
    const store = this.store();
    const replayOne = (row: ItemRow | undefined): void => {
      if (!row || row.state !== 'dead') return;
      const now = this.s.now();
      try {
        const id = store.replay(row, now, now + this.s.deadlineMs);
        if (id !== null) out.push(id);
      } catch (e) {
        // store.replay rebuilt its counters and order after the rollback.
        throw wrapStorageError(e, `cannot replay item ${row.id}`);
      }
    };
    if (ids === 'all') {
      // Replayed rows get new, larger ids, so paging by id never meets them again.
      let after = 0;
      for (;;) {
        const page = store.list('dead', after, 500);
        // One commit per page, not per row.
        store.atomically(() => { for (const row of page) replayOne(row); });
        if (page.length < 500) break;
        after = page[page.length - 1].id;
      }
    } else {
      for (const id of ids) replayOne(store.byId(id));
    }
    if (out.length > 0) this.changed();
    return out;
  }

  /** Deletes dead letters for good; returns how many went. */
  discard(ids: number[] | 'all'): number {
    return this.drop('dead', ids);
  }

  shadowRecords(p?: Page): ShadowRecord[] {
    const { after, limit } = pageOf(p);
    return this.store().list('shadow', after, limit).map(toShadowRecord);
  }

  clearShadow(ids: number[] | 'all' = 'all'): number {
    return this.drop('shadow', ids);
  }

  auditLog(p: Page & { eventId?: string } = {}): AuditRecord[] {
    const { after, limit } = pageOf(p);
    const store = this.store();
    const rows = p.eventId ? store.auditForEvent(p.eventId, limit) : store.auditList(after, limit);
    return rows.map(toAuditRecord);
  }

  /** One JSON object per line; iterate and write each line out (the file is read page by page). */
  exportDeadLetters(): Generator<string> {
    return jsonLines((after, limit) => this.deadLetters({ afterId: after, limit }), (r) => r.itemId);
  }

  exportShadow(): Generator<string> {
    return jsonLines((after, limit) => this.shadowRecords({ afterId: after, limit }), (r) => r.itemId);
  }

  exportAudit(): Generator<string> {
    return jsonLines((after, limit) => this.auditLog({ afterId: after, limit }), (r) => r.id);
  }

  private drop(state: ItemState, ids: number[] | 'all'): number {
    const store = this.store();
    let n = 0;
    try {
      if (ids === 'all') {
        for (;;) {
          const page = store.list(state, 0, 500);
          store.atomically(() => { for (const row of page) if (store.delete(row, state)) n += 1; });
          if (page.length < 500) break;
        }
      } else {
        for (const id of ids) {
          const row = store.byId(id);
          if (row && row.state === state && store.delete(row, state)) n += 1;
        }
      }
    } catch (e) {
      // A failed page was rolled back and recounted by store.atomically; a single delete changes nothing when it fails.
      throw wrapStorageError(e, `cannot delete ${state} items`);
    }
    if (n > 0) this.changed();
    return n;
  }
}
