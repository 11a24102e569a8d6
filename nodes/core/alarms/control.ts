// Operator and CMMS input to the engine: shelve / unshelve (OPC UA one-shot and timed shelving
// with a maximum), out of service, acknowledge, and the work-order loop (results of mw-work-order,
// status changes from mw-wo-status). Each is validated, applied, and answered.
import { OPEN_WORK_ORDER_STATES, type WorkOrderResult, type WorkOrderStatus } from '../contracts';
import { compileInputValidator as compileValidator, type Validator } from '../contracts/validate';
import type { AlarmEngine } from './engine';
import { NS_OUT_OF_SERVICE, NS_SHELVES } from './records';
import { shelfKey, type Shelf } from './shelves';
import { ACTIVE, CLEARING, slotKey, type Cond, type KeyState } from './state';

export const CONTROL_TOPICS = ['shelve', 'unshelve', 'out-of-service', 'in-service', 'acknowledge', 'health'] as const;
export type ControlTopic = (typeof CONTROL_TOPICS)[number];

const id = { type: 'string', minLength: 1, maxLength: 200 } as const;
const target = { assetId: id, siteId: id, ruleId: id } as const;

export interface Target {
  assetId: string;
  siteId?: string;
  ruleId?: string;
}
interface ShelveRequest extends Target {
  mode?: 'one-shot' | 'timed';
  seconds?: number;
  reason: string;
  user?: string;
}
interface ServiceRequest extends Target {
  reason?: string;
}
interface AckRequest {
  eventId?: string;
  assetId?: string;
  siteId?: string;
  ruleId?: string;
}
interface HealthRequest {
  /** Seconds between periodic health messages; 0 stops them. */
  interval?: number;
}

// A shelve is an operator decision that must be explainable later (ISA-18.2 §11.7): a reason is required.
const validateShelve = compileValidator<ShelveRequest>({
  type: 'object', additionalProperties: false, required: ['assetId', 'reason'],
  properties: {
    ...target, mode: { enum: ['one-shot', 'timed'] }, seconds: { type: 'number', exclusiveMinimum: 0 },
    reason: { type: 'string', minLength: 1, maxLength: 200, pattern: '\\S' }, user: id,
  },
});
/** A timed shelve without `seconds` lasts this long (never more than the node's longest shelve). */
const DEFAULT_TIMED_SHELVE_S = 3600;
const validateTarget = compileValidator<ServiceRequest>({
  type: 'object', additionalProperties: false, required: ['assetId'],
  properties: { ...target, reason: { type: 'string', maxLength: 500 } },
});
const validateAck = compileValidator<AckRequest>({
  type: 'object', additionalProperties: false,
  properties: { eventId: id, ...target },
});
const validateHealth = compileValidator<HealthRequest>({
  type: 'object', additionalProperties: false,
  properties: { interval: { type: 'number', minimum: 0, maximum: 86_400 } },
});

export class ControlError extends Error {
  constructor(readonly errors: string[]) {
    super(errors.join('; '));
  }
}

function check<T>(v: Validator<T>, payload: unknown): T {
  const r = v(payload ?? {});
  if (!r.ok) throw new ControlError(r.errors);
  return r.value;
}

function forEachKey(engine: AlarmEngine, t: Target, fn: (st: KeyState) => void): number {
  return engine.table.forEachKey(t.siteId ?? null, t.assetId, t.ruleId ?? null, fn);
}

const MAX_SHELVES = 10_000;
const MAX_OUT_OF_SERVICE = 10_000;

/** `user`: who sent the message, where the message says (payload.user wins). */
export function shelve(engine: AlarmEngine, payload: unknown, user?: string): Record<string, unknown> {
  const req = check(validateShelve, payload);
  const mode = req.mode ?? (req.seconds !== undefined ? 'timed' : 'one-shot');
  const by = req.user ?? (typeof user === 'string' && user !== '' ? user.slice(0, 200) : null);
  const now = engine.clock.mono();
  const wall = engine.clock.wall();
  // OPC UA MaxTimeShelved: no shelf lasts longer, one-shot ones included.
  const ms = Math.min(mode === 'timed' ? (req.seconds ?? DEFAULT_TIMED_SHELVE_S) * 1000 : engine.maxShelveMs, engine.maxShelveMs);
  const key = shelfKey(req.siteId ?? null, req.assetId, req.ruleId ?? null);
  if (!engine.shelving.get(key) && engine.shelving.shelved >= MAX_SHELVES) throw new ControlError([`too many shelved alarms (${MAX_SHELVES}); unshelve some first`]);
  const shelf: Shelf = {
    key, siteId: req.siteId ?? null, assetId: req.assetId, ruleId: req.ruleId ?? null, mode,
    until: now + ms, untilWall: wall + ms, sinceWall: wall, reason: req.reason, user: by,
  };
  engine.shelving.put(shelf);
  const { until: _until, ...record } = shelf;
  engine.queueWrite({ ns: NS_SHELVES, key, value: record });
  // A one-shot shelf on an alarm that is active ends when that episode clears.
  const active = forEachKey(engine, req, (st) => {
    for (const c of [st.lim, st.roc, st.sen]) if (c && (c.phase === ACTIVE || c.phase === CLEARING) && mode === 'one-shot') c.oneShotSeen = true;
  });
  return { shelved: true, mode, assetId: req.assetId, siteId: req.siteId ?? null, ruleId: req.ruleId ?? null, until: new Date(wall + ms).toISOString(), reason: req.reason, user: by, keys: active };
}

export function unshelve(engine: AlarmEngine, payload: unknown): Record<string, unknown> {
  const req = check(validateTarget, payload);
  const shelf = engine.shelving.get(shelfKey(req.siteId ?? null, req.assetId, req.ruleId ?? null));
  if (shelf) engine.unshelve(shelf, engine.clock.mono());
  return { unshelved: Boolean(shelf), assetId: req.assetId, siteId: req.siteId ?? null, ruleId: req.ruleId ?? null };
}

export function setService(engine: AlarmEngine, payload: unknown, outOfService: boolean): Record<string, unknown> {
  const req = check(validateTarget, payload);
  if (req.ruleId !== undefined) throw new ControlError(['payload.ruleId: out of service applies to a whole asset; shelve a single alarm instead']);
  const key = slotKey(req.siteId ?? '*', req.assetId);
  const wall = engine.clock.wall();
  if (outOfService) {
    if (!engine.shelving.hasOutOfService(key) && engine.shelving.outOfService >= MAX_OUT_OF_SERVICE) throw new ControlError([`too many assets out of service (${MAX_OUT_OF_SERVICE})`]);
    const record = { siteId: req.siteId ?? null, assetId: req.assetId, sinceWall: wall, reason: req.reason ?? '' };
    engine.shelving.setOutOfService(key, record);
    engine.queueWrite({ ns: NS_OUT_OF_SERVICE, key, value: record });
    return { outOfService: true, assetId: req.assetId, siteId: req.siteId ?? null, since: new Date(wall).toISOString() };
  }
  const had = engine.shelving.clearOutOfService(key);
  if (had) engine.queueWrite({ ns: NS_OUT_OF_SERVICE, key, value: null });
  // Back in service: staleness counts from now, and every key gets its timers back.
  const now = engine.clock.mono();
  const keys = forEachKey(engine, req, (st) => {
    if (engine.shelving.isOutOfService(st.slot)) return;
    st.lastSeen = now;
    engine.rewake(st);
  });
  return { outOfService: false, wasOutOfService: had, assetId: req.assetId, siteId: req.siteId ?? null, keys };
}

function episodeOf(st: KeyState, eventId: string): Cond | null {
  for (const c of [st.lim, st.roc, st.sen]) if (c && c.eventId === eventId) return c;
  return null;
}

export function acknowledge(engine: AlarmEngine, payload: unknown): Record<string, unknown> {
  const req = check(validateAck, payload);
  if (req.eventId === undefined && req.assetId === undefined) throw new ControlError(['payload: give "eventId", or "assetId" (with "ruleId" and "siteId" to narrow it)']);
  const acked: string[] = [];
  const ack = (st: KeyState, c: Cond): void => {
    if ((c.phase !== ACTIVE && c.phase !== CLEARING) || c.acked) return;
    c.acked = true;
    engine.touch(st);
    acked.push(c.eventId);
  };
  if (req.eventId !== undefined) {
    const st = engine.table.keyForEvent(req.eventId);
    const c = st ? episodeOf(st, req.eventId) : null;
    if (st && c) ack(st, c);
  } else {
    forEachKey(engine, req as Target, (st) => {
      for (const c of [st.lim, st.roc, st.sen]) if (c) ack(st, c);
    });
  }
  return { acknowledged: acked };
}

// Still to be done: mw-wo-status's open, approved, in-progress, waiting (on-hold in v1), and mw-work-order's outcomes.
const OPEN = new Set([...OPEN_WORK_ORDER_STATES, 'created', 'existing', 'queued']);

/**
 * A work-order result (mw-work-order) or status (mw-wo-status). While the episode's work order is
 * open a return of the problem continues the episode; when it is done or cancelled the alarm re-arms:
 * a problem still present then is a new episode (after the on-delay), so a new work order.
 */
export function workOrderUpdate(engine: AlarmEngine, update: WorkOrderStatus | WorkOrderResult): Record<string, unknown> {
  const status = 'status' in update ? update.status : update.outcome;
  const woId = update.workOrderId ?? '';
  let st: KeyState | undefined = update.eventId ? engine.table.keyForEvent(update.eventId) : undefined;
  if (!st && woId) st = engine.table.keyForWorkOrder(woId);
  const c = st ? (update.eventId ? episodeOf(st, update.eventId) : [st.lim, st.roc, st.sen].find((x) => x?.woId === woId) ?? null) : null;
  if (!st || !c) return { matched: false, eventId: update.eventId ?? null, workOrderId: woId || null, status };
  const isResult = !('status' in update);
  // mw-work-order also answers notes and updates of a closed work order; only the CMMS's own status reopens one.
  // A status no table knew says nothing about whether the work is over: change nothing.
  if (status === 'unknown' || status === 'dead' || (isResult && c.woClosed)) return { matched: true, eventId: c.eventId, workOrderId: woId || null, status, open: c.woOpen };
  if (woId && c.woId !== woId) {
    if (c.woId) engine.table.unlinkWorkOrder(c.woId);
    c.woId = woId;
    engine.table.linkWorkOrder(woId, st);
  }
  const open = OPEN.has(status);
  if (open !== c.woOpen || c.woClosed === open) {
    c.woOpen = open;
    c.woClosed = !open;
    engine.touch(st);
  }
  let rearmed = false;
  if (!open) {
    if (c.woId) engine.table.unlinkWorkOrder(c.woId);
    if (c.phase === ACTIVE || c.phase === CLEARING) {
      engine.clearEpisode(st, c, 'work-order-closed');
      rearmed = true;
    }
  }
  engine.touch(st);
  return { matched: true, eventId: c.eventId, workOrderId: woId || null, status, open, rearmed };
}

/** Faster health reports would only add load; 0 stops them. */
const MIN_HEALTH_INTERVAL_S = 1;

export function healthRequest(payload: unknown): HealthRequest {
  const req = check(validateHealth, payload);
  if (req.interval !== undefined && req.interval > 0 && req.interval < MIN_HEALTH_INTERVAL_S) {
    throw new ControlError([`payload.interval: at least ${MIN_HEALTH_INTERVAL_S} s (0 stops the reports)`]);
  }
  return req;
}
