// What mw-work-order does with one maintenance event: which outbox action, with which body.
import type { MaintenanceEvent } from '../contracts';
import type { DialectName } from '../cmms/types';
import type { OutboxAction } from '../outbox/types';
import type { ClearedAction } from './settings';
import { clearedNote, defaultBody, escalationChange, type MappingOptions } from './body';

type Plan =
  | { kind: 'enqueue'; action: OutboxAction; body: Record<string, unknown> }
  | { kind: 'ignore'; reason: string };

export function planFor(event: MaintenanceEvent, dialect: DialectName, mapping: MappingOptions, onCleared: ClearedAction): Plan {
  switch (event.state) {
    // A failed sensor is work for the instrument technician, so it gets a work order too.
    case 'raised':
    case 'sensor-fault':
      return { kind: 'enqueue', action: 'create', body: defaultBody(dialect, event, mapping) };
    case 'escalated':
      return { kind: 'enqueue', action: 'update', body: escalationChange(dialect, event, mapping) };
    case 'cleared':
      if (onCleared === 'note') return { kind: 'enqueue', action: 'note', body: { note: clearedNote(event) } };
      if (onCleared === 'complete') return { kind: 'enqueue', action: 'close', body: { status: 'done', note: clearedNote(event) } };
      if (onCleared === 'close') return { kind: 'enqueue', action: 'close', body: { status: 'closed', note: clearedNote(event) } };
      return { kind: 'ignore', reason: 'cleared events are not sent (see "When it clears")' };
  }
}

/**
 * The rule family for "one work order per asset and rule family": the kind and the metric, so the
 * H, HH and rate-of-change rules of one bearing temperature are one family, its vibration another.
 */
export function ruleFamily(event: MaintenanceEvent): string {
  return `${event.kind}/${event.metric}`;
}

/** Items of one asset are delivered in order; the key names the asset unambiguously across sites. */
export function assetKey(event: MaintenanceEvent): string {
  return `${event.asset.siteId}/${event.asset.id}`;
}
