// mw-wo-status's durable memory, one SQLite file per node: received changes not yet emitted (the
// inbox), webhook ids already seen (the replay cache), the polling watermark, the newest change
// per work order (so an out-of-order delivery does not turn a closed work order back to open) and
// the work-order → event links already resolved. A change is committed here before the CMMS gets
// its 2xx, so a crash between the answer and the emit loses nothing: the next start emits it.
import type { Database, Statement } from '../storage/sqlite';
import { openStateFile } from '../storage/state-file';

interface StoredChange {
  seq: number;
  /** The contract message, as JSON. */
  payload: string;
}

export interface Limits {
  /** Replay-cache entries kept (oldest dropped first). */
  replayMax: number;
  /** Emitted changes kept for dedupe. */
  seenMax: number;
  /** Work orders remembered (newest change, links). */
  workOrdersMax: number;
}

const DEFAULT_LIMITS: Limits = { replayMax: 10_000, seenMax: 20_000, workOrdersMax: 50_000 };

interface NewChange {
  /** (work-order id, change time, CMMS status): the same change seen twice is one change. */
  dedupe: string;
  workOrderId: string;
  changedAtMs: number;
  payload: string;
}

export interface AcceptResult {
  /** Stored, to be emitted. */
  accepted: number;
  /** Seen before (overlapping poll window, repeated delivery). */
  duplicates: number;
  /** Older than a change already stored for the same work order. */
  outOfOrder: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS changes (
  seq INTEGER PRIMARY KEY, dedupe TEXT NOT NULL UNIQUE, payload TEXT NOT NULL,
  received_at INTEGER NOT NULL, emitted INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS changes_pending ON changes (emitted, seq);
CREATE TABLE IF NOT EXISTS replay (key TEXT PRIMARY KEY, at INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS replay_at ON replay (at);
CREATE TABLE IF NOT EXISTS work_orders (
  id TEXT PRIMARY KEY, latest INTEGER NOT NULL, links TEXT, asset_id TEXT, updated_at INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS work_orders_updated ON work_orders (updated_at);
-- Verified webhook bodies, committed before the 2xx and processed (linked, normalised, stored as
-- changes) after it: the answer does not wait for the outbox lookup, and a crash in between leaves
-- the body here for the next start.
CREATE TABLE IF NOT EXISTS inbox (
  seq INTEGER PRIMARY KEY, body BLOB NOT NULL, webhook_id TEXT, received_at INTEGER NOT NULL);
`;

interface InboxRow {
  seq: number;
  body: Buffer;
  webhookId: string | null;
  receivedAt: number;
}

export class StatusStore {
  private readonly db: Database;
  private readonly s: Record<string, Statement>;

  constructor(readonly file: string, private readonly limits: Limits = DEFAULT_LIMITS, onMovedAside?: (to: string, why: string) => void) {
    // FULL (in openStateFile): the commit before a 2xx must survive a power cut, or the CMMS stops
    // retrying a change we lost. The folder 0700 and the file 0600, like every database of the package.
    const db = openStateFile(file, SCHEMA, { onMovedAside });
    this.db = db;
    const p = (sql: string): Statement => db.prepare(sql);
    this.s = {
      metaGet: p('SELECT value FROM meta WHERE key = ?'),
      metaSet: p('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
      replayHas: p('SELECT 1 FROM replay WHERE key = ?'),
      replayAdd: p('INSERT INTO replay (key, at) VALUES (?, ?)'),
      replayCount: p('SELECT COUNT(*) AS n FROM replay'),
      replayPrune: p('DELETE FROM replay WHERE key IN (SELECT key FROM replay ORDER BY at LIMIT ?)'),
      insert: p('INSERT INTO changes (dedupe, payload, received_at) VALUES (?, ?, ?) ON CONFLICT (dedupe) DO NOTHING'),
      latest: p('SELECT latest FROM work_orders WHERE id = ?'),
      setLatest: p(`INSERT INTO work_orders (id, latest, updated_at) VALUES (?, ?, ?)
        ON CONFLICT (id) DO UPDATE SET latest = MAX(latest, excluded.latest), updated_at = excluded.updated_at`),
      pending: p('SELECT seq, payload FROM changes WHERE emitted = 0 ORDER BY seq LIMIT ?'),
      markEmitted: p('UPDATE changes SET emitted = 1 WHERE seq = ?'),
      countPending: p('SELECT COUNT(*) AS n FROM changes WHERE emitted = 0'),
      seenCount: p('SELECT COUNT(*) AS n FROM changes WHERE emitted = 1'),
      seenPrune: p('DELETE FROM changes WHERE seq IN (SELECT seq FROM changes WHERE emitted = 1 ORDER BY seq LIMIT ?)'),
      linkGet: p('SELECT links, asset_id FROM work_orders WHERE id = ?'),
      linkSet: p(`INSERT INTO work_orders (id, latest, links, asset_id, updated_at) VALUES (?, 0, ?, ?, ?)
        ON CONFLICT (id) DO UPDATE SET links = excluded.links, asset_id = COALESCE(excluded.asset_id, asset_id), updated_at = excluded.updated_at`),
      woCount: p('SELECT COUNT(*) AS n FROM work_orders'),
      inboxAdd: p('INSERT INTO inbox (body, webhook_id, received_at) VALUES (?, ?, ?)'),
      inboxGet: p('SELECT seq, body, webhook_id AS webhookId, received_at AS receivedAt FROM inbox ORDER BY seq LIMIT ?'),
      inboxDel: p('DELETE FROM inbox WHERE seq = ?'),
      inboxCount: p('SELECT COUNT(*) AS n FROM inbox'),
      woPrune: p('DELETE FROM work_orders WHERE id IN (SELECT id FROM work_orders ORDER BY updated_at LIMIT ?)'),
    };
  }

  meta(key: string): string | null {
    return (this.s.metaGet.get(key) as { value: string } | undefined)?.value ?? null;
  }

  setMeta(key: string, value: string): void {
    this.s.metaSet.run(key, value);
  }

  /**
   * One committed transaction: the replay key (if any) is recorded and the changes stored. Answers
   * 'replay' (and stores nothing) when the key was seen before.
   */
  receive(replayKey: string | null, changes: readonly NewChange[], now: number, extra?: () => void): AcceptResult | 'replay' {
    return this.db.transaction((): AcceptResult | 'replay' => {
      if (replayKey !== null) {
        if (this.s.replayHas.get(replayKey)) return 'replay';
        this.s.replayAdd.run(replayKey, now);
      }
      const r: AcceptResult = { accepted: 0, duplicates: 0, outOfOrder: 0 };
      for (const c of changes) {
        const latest = (this.s.latest.get(c.workOrderId) as { latest: number } | undefined)?.latest ?? -Infinity;
        if (c.changedAtMs < latest) {
          r.outOfOrder += 1;
          continue;
        }
        if (this.s.insert.run(c.dedupe, c.payload, now).changes === 0) {
          r.duplicates += 1;
          continue;
        }
        this.s.setLatest.run(c.workOrderId, c.changedAtMs, now);
        r.accepted += 1;
      }
      extra?.();
      return r;
    })();
  }

  /**
   * One committed transaction: the replay key (if any) is recorded and the verified raw body kept in
   * the inbox. Answers 'replay' (and keeps nothing) when the key was seen before.
   */
  record(replayKey: string | null, body: Buffer, webhookId: string | null, now: number): number | 'replay' {
    return this.db.transaction((): number | 'replay' => {
      if (replayKey !== null) {
        if (this.s.replayHas.get(replayKey)) return 'replay';
        this.s.replayAdd.run(replayKey, now);
      }
      return Number(this.s.inboxAdd.run(body, webhookId, now).lastInsertRowid);
    })();
  }

  /** Recorded webhook bodies not yet processed, oldest first. */
  inbox(limit = 100): InboxRow[] {
    return this.s.inboxGet.all(limit) as InboxRow[];
  }

  /** Forgets an inbox row; called inside the transaction that stores its changes. */
  processed(seq: number): void {
    this.s.inboxDel.run(seq);
  }

  inboxCount(): number {
    return (this.s.inboxCount.get() as { n: number }).n;
  }

  /** Runs `fn` as one transaction (each receive() inside becomes a savepoint): one fsync for a burst. */
  batch<R>(fn: () => R): R {
    return this.db.transaction(fn)();
  }

  /** Stored changes not yet emitted, oldest first. */
  pending(limit = 100): StoredChange[] {
    return this.s.pending.all(limit) as StoredChange[];
  }

  pendingCount(): number {
    return (this.s.countPending.get() as { n: number }).n;
  }

  markEmitted(seq: number): void {
    this.s.markEmitted.run(seq);
  }

  links(workOrderId: string): { eventIds: string[]; assetId: string | null } | null {
    const row = this.s.linkGet.get(workOrderId) as { links: string | null; asset_id: string | null } | undefined;
    if (!row || row.links === null) return null;
    return { eventIds: JSON.parse(row.links) as string[], assetId: row.asset_id };
  }

  setLinks(workOrderId: string, eventIds: readonly string[], assetId: string | null, now: number): void {
    this.s.linkSet.run(workOrderId, JSON.stringify(eventIds), assetId, now);
  }

  replayCount(): number {
    return (this.s.replayCount.get() as { n: number }).n;
  }

  /** Keeps every table within its bound; cheap when nothing is over. */
  trim(): void {
    const over = (count: Statement, max: number): number => Math.max(0, (count.get() as { n: number }).n - max);
    const r = over(this.s.replayCount, this.limits.replayMax);
    if (r > 0) this.s.replayPrune.run(r);
    const seen = over(this.s.seenCount, this.limits.seenMax);
    if (seen > 0) this.s.seenPrune.run(seen);
    const wo = over(this.s.woCount, this.limits.workOrdersMax);
    if (wo > 0) this.s.woPrune.run(wo);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
