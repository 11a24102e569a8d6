// Start-up: the engine gets back what the durable store kept, so a restart or redeploy neither
// forgets an active episode (and opens a second work order) nor loses a delay in progress.
import type { AlarmEngine } from './engine';
import type { CondKind } from './ids';
import { shelfKey, type Shelf } from './shelves';
import type { WriteStore } from './committer';
import {
  KEY_CLEAN, NS_KEYS, NS_META, NS_OUT_OF_SERVICE, NS_SHELVES, restoreCond, isKeyRecord, type KeyRecord, type OutOfServiceRecord, type ShelfRecord,
} from './records';
import { buildEvent, removedRuleEvent } from './events';
import { ACTIVE, CLEARING } from './state';

interface RestoreInput {
  keys: Map<string, unknown>;
  shelves: Map<string, unknown>;
  outOfService: Map<string, unknown>;
  /**
   * The last run did not close cleanly (crash, power cut). An event may then have been committed
   * but never sent, so active episodes are announced again: same eventId, `details.restored`, and
   * mw-work-order's dedupe turns the repeat into "existing" rather than a second work order.
   */
  crashed?: boolean;
}

interface RestoreResult {
  keys: number;
  /** Records of rules that no longer exist (or unreadable ones), deleted. */
  dropped: number;
  shelves: number;
  outOfService: number;
  /** Episodes announced again after a crash. */
  reannounced: number;
  /** Active episodes of rules that no longer exist, ended with `cleared` (rule-removed). */
  ended: number;
}

const KINDS: CondKind[] = ['limit', 'roc', 'sensor'];

export function restoreEngine(engine: AlarmEngine, input: RestoreInput): RestoreResult {
  const now = engine.clock.mono();
  const wall = engine.clock.wall();
  let shelves = 0;
  for (const [key, raw] of input.shelves) {
    const r = raw as ShelfRecord;
    if (typeof r?.assetId !== 'string' || r.untilWall <= wall || key !== shelfKey(r.siteId, r.assetId, r.ruleId)) {
      engine.queueWrite({ ns: 'shelf', key, value: null });
      continue;
    }
    const shelf: Shelf = { ...r, reason: typeof r.reason === 'string' ? r.reason : '', user: typeof r.user === 'string' ? r.user : null, until: now + (r.untilWall - wall) };
    engine.shelving.put(shelf);
    shelves++;
  }
  let oos = 0;
  for (const [key, raw] of input.outOfService) {
    const r = raw as OutOfServiceRecord;
    if (typeof r?.assetId !== 'string') continue;
    engine.shelving.setOutOfService(key, r);
    oos++;
  }
  let keys = 0;
  let dropped = 0;
  let reannounced = 0;
  let ended = 0;
  for (const [key, raw] of input.keys) {
    if (!isKeyRecord(raw) || engine.table.full) {
      engine.queueWrite({ ns: NS_KEYS, key, value: null });
      dropped++;
      continue;
    }
    const slot = engine.table.restoredSlot(raw.asset, engine.rules);
    const i = slot ? slot.ruleSet.rules.findIndex((r) => r.id === raw.rule && (raw.metric === undefined || r.metric === raw.metric)) : -1;
    if (!slot || i < 0 || slot.states[i] !== undefined) {
      engine.queueWrite({ ns: NS_KEYS, key, value: null });
      dropped++;
      // The rule was removed (or changed its metric) while the node was down: its open episodes end.
      if (!slot || i < 0) ended += endRemoved(engine, raw, wall);
      continue;
    }
    const st = engine.makeKey(slot, i, now);
    if (!st) continue;
    st.stored = true;
    st.lastTs = raw.lastTs ?? Number.NEGATIVE_INFINITY;
    st.lastValue = raw.lastValue ?? Number.NaN;
    st.unit = raw.unit ?? undefined;
    st.lastBad = raw.lastBad;
    st.stale = raw.stale;
    st.lastEpisodeTs = typeof raw.epTs === 'number' ? raw.epTs : Number.NEGATIVE_INFINITY;
    st.episodeSeq = typeof raw.epSeq === 'number' ? raw.epSeq : 0;
    for (const kind of KINDS) {
      const r = raw.conds[kind];
      if (!r) continue;
      const c = restoreCond(kind, r, now, wall);
      st.setCond(kind, c);
      if (c.eventId) engine.indexEvent(c.eventId, st);
      if (c.woId && c.woOpen) engine.table.linkWorkOrder(c.woId, st);
    }
    // Everything restored is looked at on the first tick: delays that ran out meanwhile fire then.
    engine.rewake(st);
    keys++;
    if (input.crashed) {
      for (const c of [st.sen, st.lim, st.roc]) {
        if (c && (c.phase === ACTIVE || c.phase === CLEARING) && c.announced) {
          engine.emit(buildEvent({ st, c, state: c.kind === 'sensor' ? 'sensor-fault' : 'raised', at: wall, details: { restored: true } }), st, wall, c);
          reannounced++;
        }
      }
    }
  }
  // makeKey marks new keys dirty; restored ones are already on disk.
  engine.takeWrites().filter((w) => w.value === null).forEach((w) => engine.queueWrite(w));
  return { keys, dropped, shelves, outOfService: oos, reannounced, ended };
}

/** `cleared` (rule-removed) for each announced episode of a record whose rule is gone; how many. */
function endRemoved(engine: AlarmEngine, raw: KeyRecord, wall: number): number {
  let n = 0;
  for (const kind of KINDS) {
    const c = raw.conds[kind];
    if (!c || (c.phase !== ACTIVE && c.phase !== CLEARING) || !c.announced || !c.eventId) continue;
    engine.emitDetached(removedRuleEvent(raw, kind, c, wall));
    n++;
  }
  return n;
}

/** What the node's state file offers (DurableState). */
interface StateStore extends WriteStore {
  all<T>(ns: string): Map<string, T>;
  get<T>(ns: string, key: string): T | undefined;
}

/** Start-up from the state file: restore, and tell a crash (no clean-close mark) from a clean restart. */
export function restoreFromStore(engine: AlarmEngine, store: StateStore): RestoreResult & { crashed: boolean } {
  const keys = store.all<unknown>(NS_KEYS);
  const crashed = keys.size > 0 && store.get(NS_META, KEY_CLEAN) === undefined;
  const result = restoreEngine(engine, { keys, shelves: store.all<unknown>(NS_SHELVES), outOfService: store.all<unknown>(NS_OUT_OF_SERVICE), crashed });
  store.delete(NS_META, KEY_CLEAN);
  return { ...result, crashed };
}

/** At close, after the last commit: the next start is a clean restart, not a crash recovery. */
export function markClean(store: StateStore, wall: number): void {
  store.put(NS_META, KEY_CLEAN, { clean: true, at: new Date(wall).toISOString() });
}
