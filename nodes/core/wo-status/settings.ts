// The mw-wo-status node's settings, checked once at deploy. Numbers may arrive as strings (flows
// saved by 0.1.0's editor); they are read as numbers and bounded. Names carry their unit; `migrate`
// reads the names 0.1.0 saved when the new ones are absent.
import { compileValidator } from '../contracts/validate';
import { MAPPABLE_STATES, type MappableState, type StatusDialect } from './normalise';
import { DEFAULT_TOLERANCE_SEC, SHARED_SECRET_HEADER, type SignatureScheme } from './verify';
import { renameSettings, type Renames } from '../renamed-settings';

type StatusMode = 'webhook' | 'poll' | 'both';
export type Scope = 'all' | 'ours';

export interface WoStatusNodeSettings {
  cmms?: string;
  mode?: StatusMode;
  path?: string;
  scheme?: SignatureScheme | 'auto';
  secretHeader?: string;
  toleranceSeconds?: number | string;
  maxBodyKB?: number | string;
  pollIntervalSeconds?: number | string;
  overlapSeconds?: number | string;
  lookbackHours?: number | string;
  scope?: Scope;
  table?: 'incident' | 'wm_order';
  referenceField?: string;
  statusMap?: Array<{ cmms: string; status: MappableState }>;
  /** Names saved by 0.1.0 (no unit spelled out); read by `migrate` when the new name is absent. */
  tolerance?: number | string;
  maxBodyKb?: number | string;
  pollInterval?: number | string;
  overlap?: number | string;
}

export interface WoStatusOptions {
  mode: StatusMode;
  /** Route under Node-RED's httpNodeRoot, starting with '/'. */
  path: string;
  /** Null until the dialect is known (schemeFor fills it in). */
  scheme: SignatureScheme | 'auto';
  secretHeader: string;
  toleranceSec: number;
  maxBodyBytes: number;
  pollIntervalMs: number;
  overlapMs: number;
  lookbackMs: number;
  scope: Scope;
  table: 'incident' | 'wm_order';
  referenceField: string | null;
  statusMap: Array<{ cmms: string; status: MappableState }>;
}

const num = { anyOf: [{ type: 'number' }, { type: 'string', maxLength: 20 }] } as const;

const schema = {
  type: 'object',
  required: ['cmms'],
  properties: {
    cmms: { type: 'string', minLength: 1, maxLength: 200 },
    mode: { enum: ['webhook', 'poll', 'both'] },
    path: { type: 'string', maxLength: 200 },
    scheme: { enum: ['auto', 'maintainx', 'standard', 'hmac', 'shared-secret'] },
    secretHeader: { type: 'string', maxLength: 100 },
    toleranceSeconds: num,
    maxBodyKB: num,
    pollIntervalSeconds: num,
    overlapSeconds: num,
    lookbackHours: num,
    scope: { enum: ['all', 'ours'] },
    table: { enum: ['incident', 'wm_order'] },
    referenceField: { type: 'string', maxLength: 100 },
    statusMap: {
      type: 'array', maxItems: 200,
      items: {
        type: 'object', required: ['cmms', 'status'], additionalProperties: false,
        properties: { cmms: { type: 'string', minLength: 1, maxLength: 100 }, status: { enum: [...MAPPABLE_STATES] } },
      },
    },
  },
} as const;

const validate = compileValidator<WoStatusNodeSettings>(schema, 'config');

/** Webhook paths: letters, digits and - _ . / only, so the route is exactly what the CMMS is given. */
const PATH = /^\/[A-Za-z0-9._~\-/]{1,199}$/;

/** The signature scheme a CMMS can actually produce, when the user leaves "auto". */
export function schemeFor(dialect: StatusDialect, chosen: SignatureScheme | 'auto'): SignatureScheme {
  if (chosen !== 'auto') return chosen;
  switch (dialect) {
    case 'maintainx': return 'maintainx';
    case 'rest': return 'standard';
    case 'servicenow': return 'hmac';
    case 'maximo': return 'shared-secret';
  }
}

export function defaultPath(nodeId: string): string {
  return `/millwright/wo-status/${nodeId.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

/** Setting names of flows saved by 0.1.0 and their names today (units spelled out, issue 11). */
export const RENAMED: Renames = [
  ['tolerance', 'toleranceSeconds'], ['maxBodyKb', 'maxBodyKB'], ['pollInterval', 'pollIntervalSeconds'], ['overlap', 'overlapSeconds'],
];

/** A node config under today's setting names: a flow saved by 0.1.0 keeps its values (see renameSettings). */
export function migrate<T>(config: T): T {
  return renameSettings(config, RENAMED);
}

export function parseWoStatusSettings(raw: unknown, nodeId: string): { ok: true; value: WoStatusOptions } | { ok: false; errors: string[] } {
  const checked = validate(migrate(raw));
  if (!checked.ok) return checked;
  const s = checked.value;
  const errors: string[] = [];
  const number = (v: number | string | undefined, name: string, def: number, min: number, max: number): number => {
    if (v === undefined || v === '') return def;
    const n = typeof v === 'number' ? v : Number(v.trim());
    if (!Number.isFinite(n) || n < min || n > max) {
      errors.push(`config.${name}: must be a number from ${min} to ${max}`);
      return def;
    }
    return n;
  };
  const path = s.path?.trim() || defaultPath(nodeId);
  if (!PATH.test(path) || path.includes('//') || path.split('/').includes('..')) errors.push(`config.path: "${path}" must start with / and use only letters, digits and - _ . ~ /`);
  const header = (s.secretHeader?.trim() || SHARED_SECRET_HEADER).toLowerCase();
  if (!/^[a-z0-9-]{1,100}$/.test(header)) errors.push('config.secretHeader: a header name (letters, digits, -)');
  const seen = new Set<string>();
  for (const row of s.statusMap ?? []) {
    const k = row.cmms.trim().toLowerCase();
    if (seen.has(k)) errors.push(`config.statusMap: "${row.cmms}" appears twice`);
    seen.add(k);
  }
  const value: WoStatusOptions = {
    mode: s.mode ?? 'webhook',
    path,
    scheme: s.scheme ?? 'auto',
    secretHeader: header,
    toleranceSec: number(s.toleranceSeconds, 'toleranceSeconds', DEFAULT_TOLERANCE_SEC, 30, 3600),
    maxBodyBytes: Math.round(number(s.maxBodyKB, 'maxBodyKB', 256, 1, 5120) * 1024),
    pollIntervalMs: Math.round(number(s.pollIntervalSeconds, 'pollIntervalSeconds', 60, 5, 86_400) * 1000),
    overlapMs: Math.round(number(s.overlapSeconds, 'overlapSeconds', 120, 0, 86_400) * 1000),
    lookbackMs: Math.round(number(s.lookbackHours, 'lookbackHours', 24, 0, 24 * 90) * 3_600_000),
    scope: s.scope ?? 'all',
    table: s.table ?? 'incident',
    referenceField: s.referenceField?.trim() || null,
    statusMap: (s.statusMap ?? []).map((r) => ({ cmms: r.cmms.trim(), status: r.status })),
  };
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value };
}
