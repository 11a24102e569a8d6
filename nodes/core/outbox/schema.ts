// The outbox database: one file per CMMS connection. `items` is the queue and its history,
// `audit` the log of every CMMS call. Bump SCHEMA_VERSION and add a step to MIGRATIONS for any change.
import type { Database } from '../storage/sqlite';

export const SCHEMA_VERSION = 4;

const V1 = `
CREATE TABLE IF NOT EXISTS meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

-- One row per action for one event. The id is the delivery order (oldest first).
CREATE TABLE IF NOT EXISTS items (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id      TEXT    NOT NULL,
  action        TEXT    NOT NULL CHECK (action IN ('create', 'update', 'note', 'close')),
  connection    TEXT    NOT NULL,
  asset_key     TEXT    NOT NULL,
  node_id       TEXT    NOT NULL,
  body          TEXT    NOT NULL,
  event         TEXT    NOT NULL,
  bytes         INTEGER NOT NULL,
  shadow        INTEGER NOT NULL DEFAULT 0,
  state         TEXT    NOT NULL CHECK (state IN ('pending', 'inflight', 'retry-wait', 'sent', 'dead', 'shadow')),
  occurred_at   INTEGER NOT NULL,
  enqueued_at   INTEGER NOT NULL,
  deadline_at   INTEGER NOT NULL,
  next_at       INTEGER NOT NULL,
  attempts      INTEGER NOT NULL DEFAULT 0,
  auth_failures INTEGER NOT NULL DEFAULT 0,
  lease_until   INTEGER,
  -- The last request may have reached the CMMS: look the work order up before sending again.
  ambiguous     INTEGER NOT NULL DEFAULT 0,
  -- Waiting because the CMMS was unreachable: due again as soon as a probe succeeds.
  link_wait     INTEGER NOT NULL DEFAULT 0,
  work_order_id TEXT,
  href          TEXT,
  outcome       TEXT,
  dead_reason   TEXT,
  last_error    TEXT,
  done_at       INTEGER
);
-- Picking work, counting, listing dead letters and shadow records.
CREATE INDEX IF NOT EXISTS items_state ON items (state, id);
-- At most one real create (and one shadow create) per event: the dedupe key.
CREATE UNIQUE INDEX IF NOT EXISTS items_create ON items (event_id, shadow) WHERE action = 'create';
-- Per-asset order: is there an earlier undelivered item for this asset?
CREATE INDEX IF NOT EXISTS items_asset ON items (asset_key, id) WHERE state IN ('pending', 'inflight', 'retry-wait');

CREATE TABLE IF NOT EXISTS audit (
  id            INTEGER PRIMARY KEY,
  at            INTEGER NOT NULL,
  connection    TEXT    NOT NULL,
  call          TEXT    NOT NULL,
  action        TEXT    NOT NULL,
  path          TEXT,
  status        INTEGER,
  latency_ms    INTEGER NOT NULL,
  event_id      TEXT,
  item_id       INTEGER,
  attempt       INTEGER,
  outcome       TEXT    NOT NULL,
  error_class   TEXT,
  error_message TEXT
);
CREATE INDEX IF NOT EXISTS audit_at ON audit (at);
`;

// The HTTP method of each audited request (the path and status were there from the start).
const V2 = 'ALTER TABLE audit ADD COLUMN method TEXT;';

// Fewer pages per enqueue, so each commit's fsync writes less (an SD card on a gateway wears by
// the page): items drops AUTOINCREMENT (the store numbers items itself and keeps the high-water
// mark in meta, so ids are still never reused), and the per-asset order index goes (the store keeps
// that order in memory). SQLite cannot drop AUTOINCREMENT in place, so the table is rebuilt.
const ITEM_COLUMNS = `id, event_id, action, connection, asset_key, node_id, body, event, bytes, shadow, state,
  occurred_at, enqueued_at, deadline_at, next_at, attempts, auth_failures, lease_until, ambiguous, link_wait,
  work_order_id, href, outcome, dead_reason, last_error, done_at`;
const V3 = `
INSERT INTO meta (key, value)
  SELECT 'id_floor', CAST(seq AS TEXT) FROM sqlite_sequence WHERE name = 'items'
  ON CONFLICT (key) DO UPDATE SET value = excluded.value;
${V1.slice(V1.indexOf('CREATE TABLE IF NOT EXISTS items'), V1.indexOf('-- Picking work'))
    .replace('CREATE TABLE IF NOT EXISTS items', 'CREATE TABLE items_v3')
    .replace('INTEGER PRIMARY KEY AUTOINCREMENT', 'INTEGER PRIMARY KEY')}
INSERT INTO items_v3 (${ITEM_COLUMNS}) SELECT ${ITEM_COLUMNS} FROM items;
DROP TABLE items;
ALTER TABLE items_v3 RENAME TO items;
CREATE INDEX items_state ON items (state, id);
CREATE UNIQUE INDEX items_create ON items (event_id, shadow) WHERE action = 'create';
`;

// One open work order per asset (mw-work-order's "one work order per" setting): an episode that
// joins the asset's open work order is stored as a note whose target is the event that made it
// (target_event_id; its work order is resolved at delivery, so the note can be queued before the
// create is delivered). Creates record their rule family and whether their work order is finished
// (done, closed or cancelled, from mw-wo-status or a status fed into mw-work-order) and when, for
// the loop KPIs (loop-kpis.ts). The index on
// work_order_id serves marking a work order finished and mw-wo-status's linking back; it is partial,
// so an enqueue (work_order_id still NULL) writes no page of it. The unique index on joining notes
// keeps one per event (the dedupe key for an episode that became a note). No index serves "the
// asset's open work order": it would cost a page on every create, and the lookup runs only under the
// non-default setting, once per raised event, over the rows kept (delivered rows go after 7 days).
const V4 = `
ALTER TABLE items ADD COLUMN target_event_id TEXT;
ALTER TABLE items ADD COLUMN family TEXT;
ALTER TABLE items ADD COLUMN wo_finished INTEGER NOT NULL DEFAULT 0;
ALTER TABLE items ADD COLUMN wo_finished_at INTEGER;
CREATE INDEX IF NOT EXISTS items_work_order ON items (work_order_id) WHERE work_order_id IS NOT NULL;
CREATE UNIQUE INDEX IF NOT EXISTS items_join ON items (event_id, shadow) WHERE action = 'note' AND family IS NOT NULL;
`;

/** The SQL of each schema version's step; exported so tests can write files as older versions did. */
export const MIGRATIONS: Readonly<Record<number, string>> = { 1: V1, 2: V2, 3: V3, 4: V4 };

/** Creates or upgrades the schema; refuses a file written by a newer version of the package. */
export function migrate(db: Database): void {
  db.exec('CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID');
  const row = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as { value: string } | undefined;
  const current = row ? Number(row.value) : 0;
  if (current > SCHEMA_VERSION) {
    throw new Error(`the outbox file was written by a newer version (schema ${current}, this one knows ${SCHEMA_VERSION}); upgrade the package or move the file away`);
  }
  if (current === SCHEMA_VERSION) return;
  db.transaction(() => {
    for (let v = current + 1; v <= SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v]);
    db.prepare("INSERT INTO meta (key, value) VALUES ('schema_version', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
      .run(String(SCHEMA_VERSION));
  })();
}
