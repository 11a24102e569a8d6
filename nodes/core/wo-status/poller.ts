// Polling for CMMSs (or networks) that cannot send webhooks. Each poll asks for work orders
// changed since the persisted watermark minus an overlap, page by page through the client's
// listChangedSince (Maximo changedate, ServiceNow sys_updated_on, MaintainX updatedAt[gte], REST
// changedPath), and commits what it read with the new watermark. The overlap re-reads the last
// stretch so a change stamped in the watermark's own second is never lost; the store's dedupe by
// (work order, change time, status) drops what was already seen.
import type { CmmsClient } from '../cmms/types';
import type { StatusDialect } from './normalise';
import { fromPolled, type RawChange } from './parse';
import type { StatusService } from './service';
import type { StatusStore } from './store';

interface PollResult {
  pages: number;
  read: number;
  accepted: number;
  duplicates: number;
  watermark: string;
  /** True when maxPages stopped the poll before the last page. */
  truncated: boolean;
}

interface PollerDeps {
  client: Pick<CmmsClient, 'listChangedSince'>;
  service: StatusService;
  store: StatusStore;
  dialect: StatusDialect;
  overlapMs: number;
  /** Where the first poll starts when there is no watermark yet. */
  lookbackMs: number;
  now?: () => number;
  /** Pages per poll (each page is one request against the shared budget). */
  maxPages?: number;
}

/** Dialects whose changed-since query is sorted oldest first, so a partial read can still advance the watermark. */
const ORDERED: ReadonlySet<StatusDialect> = new Set(['maximo', 'servicenow']);

export class Poller {
  private readonly now: () => number;

  constructor(private readonly deps: PollerDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** The persisted watermark, or the lookback start on the very first poll. */
  watermark(): string {
    return this.deps.store.meta('watermark') ?? new Date(this.now() - this.deps.lookbackMs).toISOString();
  }

  async pollOnce(): Promise<PollResult> {
    const d = this.deps;
    const start = this.watermark();
    const since = new Date(Date.parse(start) - d.overlapMs).toISOString();
    const maxPages = d.maxPages ?? 50;
    let cursor: string | null = null;
    let pages = 0;
    let read = 0;
    let accepted = 0;
    let duplicates = 0;
    let newest = Date.parse(start);
    let truncated = false;
    d.service.counters.polls += 1;
    do {
      const page = await d.client.listChangedSince(since, cursor);
      pages += 1;
      read += page.items.length;
      const changes: RawChange[] = page.items.map(fromPolled);
      for (const c of changes) {
        const t = Date.parse(c.changedAt);
        if (Number.isFinite(t) && t > newest) newest = t;
      }
      cursor = page.next;
      truncated = cursor !== null && pages >= maxPages;
      // Intermediate pages are committed without moving the watermark: if the poll dies half-way,
      // the next one starts from the same place and dedupe absorbs what is read twice.
      const last = cursor === null || truncated;
      const advance = last && (!truncated || ORDERED.has(d.dialect));
      const r = d.service.ingestPolled(changes, advance ? new Date(newest).toISOString() : null);
      accepted += r.accepted;
      duplicates += r.duplicates;
    } while (cursor !== null && !truncated);
    return { pages, read, accepted, duplicates, watermark: this.watermark(), truncated };
  }
}

/** Next poll delay: the interval while healthy; doubling (to 30 min, or the CMMS's Retry-After) while failing. */
export function nextPollDelay(intervalMs: number, failures: number, retryAfterMs?: number, random: () => number = Math.random): number {
  if (failures <= 0) return intervalMs;
  const backoff = Math.min(30 * 60_000, intervalMs * 2 ** Math.min(failures, 10));
  const jittered = backoff * (0.8 + 0.4 * random());
  return Math.max(jittered, retryAfterMs ?? 0);
}
