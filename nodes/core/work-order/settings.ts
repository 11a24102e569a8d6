// The mw-work-order node's settings, checked once at deploy.
import { compileValidator } from '../contracts/validate';
import type { Severity } from '../contracts';
import { LEGACY_REPORTED_BY, type MappingOptions } from './body';
import type { DialectName } from '../cmms/types';
import { checkPriorityTable, normalisePriority } from '../cmms/priority';
import type { WorkOrderGrouping } from '../outbox/types';

/** `complete`: Maximo COMP, ServiceNow Resolved, MaintainX DONE; `close`: Maximo CLOSE, ServiceNow Closed (MaintainX DONE). */
export type ClearedAction = 'ignore' | 'note' | 'complete' | 'close';

export interface WorkOrderNodeSettings {
  cmms?: string;
  onCleared?: ClearedAction;
  priorityCritical?: string;
  priorityHigh?: string;
  priorityMedium?: string;
  priorityLow?: string;
  workType?: string;
  reportedBy?: string;
  bodyExpression?: string;
  shadow?: boolean;
  /** One work order per episode (default), per asset, or per asset and rule family. */
  onePer?: WorkOrderGrouping;
}

interface WorkOrderOptions {
  onCleared: ClearedAction;
  mapping: MappingOptions;
  /** A JSONata expression over { event, body, dialect } whose result replaces the body; empty = none. */
  bodyExpression: string | null;
  shadow: boolean;
  onePer: WorkOrderGrouping;
}

const priorityCell = { type: 'string', maxLength: 40 } as const;

const schema = {
  type: 'object',
  required: ['cmms'],
  properties: {
    cmms: { type: 'string', minLength: 1, maxLength: 200 },
    onCleared: { enum: ['ignore', 'note', 'complete', 'close'] },
    priorityCritical: priorityCell,
    priorityHigh: priorityCell,
    priorityMedium: priorityCell,
    priorityLow: priorityCell,
    workType: { type: 'string', maxLength: 40 },
    reportedBy: { type: 'string', maxLength: 100 },
    bodyExpression: { type: 'string', maxLength: 50_000 },
    shadow: { type: 'boolean' },
    onePer: { enum: ['episode', 'asset', 'asset-family'] },
  },
} as const;

const validate = compileValidator<WorkOrderNodeSettings>(schema, 'config');

/** A table cell: empty keeps the event's own priority; digits become a number (Maximo, ServiceNow). */
function priority(cell: string | undefined): number | string | undefined {
  const v = cell?.trim();
  if (!v) return undefined;
  return /^\d+$/.test(v) ? Number(v) : v;
}

/**
 * `dialect` is the connection's, when known at deploy: then every priority cell is checked against
 * what that CMMS accepts (priority.ts) and a bad one makes the whole node's settings invalid.
 */
export function parseWorkOrderSettings(raw: unknown, dialect?: DialectName): { ok: true; value: WorkOrderOptions } | { ok: false; errors: string[] } {
  const checked = validate(raw);
  if (!checked.ok) return checked;
  const s = checked.value;
  const table: Partial<Record<Severity, number | string>> = {};
  const cells: Array<[Severity, string | undefined]> = [
    ['critical', s.priorityCritical], ['high', s.priorityHigh], ['medium', s.priorityMedium], ['low', s.priorityLow],
  ];
  for (const [severity, cell] of cells) {
    const p = priority(cell);
    if (p !== undefined) table[severity] = p;
  }
  if (dialect) {
    const errors = checkPriorityTable(dialect, table).map((e) => `config: ${e}`);
    if (errors.length > 0) return { ok: false, errors };
    for (const [severity, p] of Object.entries(table) as Array<[Severity, number | string]>) table[severity] = normalisePriority(dialect, p) ?? p;
  }
  return {
    ok: true,
    value: {
      onCleared: s.onCleared ?? 'ignore',
      mapping: {
        priorityBySeverity: Object.keys(table).length > 0 ? table : undefined,
        workType: s.workType?.trim() || undefined,
        // The old editors' default "MILLWRIGHT" was never a person the plant chose: not sent.
        reportedBy: s.reportedBy?.trim() && s.reportedBy.trim() !== LEGACY_REPORTED_BY ? s.reportedBy.trim() : undefined,
      },
      bodyExpression: s.bodyExpression?.trim() || null,
      shadow: s.shadow === true,
      onePer: migrate(s).onePer,
    },
  };
}

/**
 * Settings of flows saved before a setting existed: `onePer` absent means one work order per
 * episode, as every earlier version did.
 */
export function migrate(s: WorkOrderNodeSettings): WorkOrderNodeSettings & { onePer: WorkOrderGrouping } {
  return { ...s, onePer: s.onePer ?? 'episode' };
}
