// Options with their defaults filled in, and the checks on what enqueue() is given.
import type { Held } from './store';
import type { EnqueueInput, OutboxOptions, Timers } from './types';

export const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export type Settings = Required<Omit<OutboxOptions, 'maxDatabasePages' | 'client'>> & Pick<OutboxOptions, 'maxDatabasePages'>;

export function settle(o: OutboxOptions): Settings {
  return {
    file: o.file, connection: o.connection, concurrency: Math.max(1, o.concurrency ?? 4),
    deadlineMs: o.deadlineMs ?? 72 * 3600_000, backoffBaseMs: o.backoffBaseMs ?? 2000, backoffCapMs: o.backoffCapMs ?? 600_000,
    authRetries: Math.max(1, o.authRetries ?? 3), linkDownAfter: Math.max(1, o.linkDownAfter ?? 2), leaseMs: o.leaseMs ?? 60_000,
    maxRows: o.maxRows ?? 100_000, maxBytes: o.maxBytes ?? 256 * 1024 * 1024, highWater: o.highWater ?? 0.8,
    sentRetentionDays: o.sentRetentionDays ?? 7, auditRetentionDays: o.auditRetentionDays ?? 30, shadow: o.shadow ?? false,
    role: o.role ?? 'primary', standbyDelayMs: Math.max(0, o.standbyDelayMs ?? 30_000),
    maxDatabasePages: o.maxDatabasePages, checkOnOpen: o.checkOnOpen ?? 'quick', housekeepingMs: o.housekeepingMs ?? 60_000,
    latencyWindow: o.latencyWindow ?? 1000, now: o.now ?? Date.now, random: o.random ?? Math.random, timers: o.timers ?? realTimers,
    // An injected wall clock (tests, simulations) usually drives the injected timers too.
    monotonic: o.monotonic ?? o.now ?? (() => performance.now()),
  };
}

export function occurredMs(v: number | string, fallback: number): number {
  const t = typeof v === 'number' ? v : Date.parse(v);
  return Number.isFinite(t) ? t : fallback;
}

/** "72 h", "1 min", "30 s": for messages people read. */
export function duration(ms: number): string {
  if (ms >= 3600_000) return `${Math.round(ms / 360_000) / 10} h`;
  if (ms >= 60_000) return `${Math.round(ms / 6_000) / 10} min`;
  return `${Math.round(ms / 100) / 10} s`;
}

const ACTIONS = new Set(['create', 'update', 'note', 'close']);

export function checkInput(i: EnqueueInput): void {
  if (!i || typeof i !== 'object') throw new TypeError('enqueue needs an item');
  if (!ACTIONS.has(i.action)) throw new TypeError(`unknown outbox action "${String(i.action)}" (create, update, note or close)`);
  for (const k of ['eventId', 'assetKey', 'nodeId'] as const) {
    if (typeof i[k] !== 'string' || i[k] === '') throw new TypeError(`an outbox item needs a non-empty ${k}`);
  }
  if (!i.body || typeof i.body !== 'object' || Array.isArray(i.body)) throw new TypeError('an outbox item body must be an object');
  if (i.onePer !== undefined && !['episode', 'asset', 'asset-family'].includes(i.onePer)) throw new TypeError(`unknown grouping "${String(i.onePer)}" (episode, asset or asset-family)`);
}

export function fullMessage(s: Settings, held: Held, eventId: string): string {
  const mib = (b: number): number => Math.round(b / 1048576);
  return `the outbox for ${s.connection} is full (${held.rows} items, ${mib(held.bytes)} MiB; limits ${s.maxRows} items, ${mib(s.maxBytes)} MiB): `
    + `the CMMS has not taken work for a while. Event ${eventId} was refused, not stored.`;
}
