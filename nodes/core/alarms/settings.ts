// The mw-threshold node's settings, checked once at deploy. The editor stores numbers typed into
// text boxes as strings, so numeric settings accept both. Names carry their unit (…Seconds,
// …Hours); `migrate` reads the names flows saved by 0.1.0 when the new ones are absent.
import { compileValidator } from '../contracts/validate';
import { renameSettings, type Renames } from '../renamed-settings';

export interface ThresholdNodeSettings {
  rules?: string;
  rulesFile?: string;
  holdWhileWorkOrderOpen?: boolean;
  maxShelveHours?: number | string;
  maxClockSkewSeconds?: number | string;
  maxKeys?: number | string;
  healthIntervalSeconds?: number | string;
  /** 0.1.0's name of healthIntervalSeconds (no unit in the name); read by `migrate`. */
  healthInterval?: number | string;
}

export interface ThresholdOptions {
  rulesText: string;
  rulesFile: string;
  holdWhileWorkOrderOpen: boolean;
  maxShelveMs: number;
  maxClockSkewMs: number;
  maxKeys: number;
  /** Seconds between periodic health messages; 0 = only on request. */
  healthIntervalS: number;
}

const num = { type: ['number', 'string'], maxLength: 20 } as const;

const schema = {
  type: 'object',
  properties: {
    rules: { type: 'string', maxLength: 5_000_000 },
    rulesFile: { type: 'string', maxLength: 1000 },
    holdWhileWorkOrderOpen: { type: 'boolean' },
    maxShelveHours: num,
    maxClockSkewSeconds: num,
    maxKeys: num,
    healthIntervalSeconds: num,
    healthInterval: num,
  },
} as const;

const validate = compileValidator<ThresholdNodeSettings>(schema, 'config');

function numberIn(errors: string[], name: string, raw: number | string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined || raw === '') return fallback;
  const n = typeof raw === 'number' ? raw : Number(raw);
  if (!Number.isFinite(n) || n < min || n > max) {
    errors.push(`config.${name}: must be a number from ${min} to ${max}, not "${String(raw)}"`);
    return fallback;
  }
  return n;
}

const RENAMED: Renames = [['healthInterval', 'healthIntervalSeconds']];

/** A node config with today's setting names (a flow saved by 0.1.0 keeps its values); see renameSettings. */
export function migrate<T>(config: T): T {
  return renameSettings(config, RENAMED);
}

export function parseThresholdSettings(raw: unknown): { ok: true; value: ThresholdOptions } | { ok: false; errors: string[] } {
  const checked = validate(migrate(raw));
  if (!checked.ok) return checked;
  const s = checked.value;
  const errors: string[] = [];
  const value: ThresholdOptions = {
    rulesText: s.rules ?? '',
    rulesFile: (s.rulesFile ?? '').trim(),
    holdWhileWorkOrderOpen: s.holdWhileWorkOrderOpen !== false,
    maxShelveMs: numberIn(errors, 'maxShelveHours', s.maxShelveHours, 8, 0.01, 24 * 30) * 3600_000,
    maxClockSkewMs: numberIn(errors, 'maxClockSkewSeconds', s.maxClockSkewSeconds, 300, 0, 365 * 86_400) * 1000,
    maxKeys: Math.floor(numberIn(errors, 'maxKeys', s.maxKeys, 50_000, 1, 1_000_000)),
    healthIntervalS: numberIn(errors, 'healthIntervalSeconds', s.healthIntervalSeconds, 0, 0, 86_400),
  };
  if (value.healthIntervalS > 0 && value.healthIntervalS < 1) errors.push('config.healthIntervalSeconds: at least 1 second, or 0 for reports only on request');
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value };
}
