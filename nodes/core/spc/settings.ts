// The mw-vision-drift node's settings as the editor stores them (mostly strings), checked once at
// deploy and turned into numbers. The chart parameters that follow from them are in budget.ts.
import { compileValidator } from '../contracts/validate';
import type { Severity } from '../contracts';
import { MAX_ALPHA } from './pchart';
import { errorMessage } from '../error-message';

type RuleChoice = 'none' | 'we' | 'nelson';
type SubgroupMode = 'units' | 'batch' | 'time';
type SeverityKey = 'mean' | 'rules' | 'trend' | 'capMedium' | 'capHigh' | 'defects' | 'spread';

export interface SpecRow {
  /** A product/SKU, or "*" for any product without its own row. */
  product: string;
  characteristic: string;
  lsl?: number;
  usl?: number;
  target?: number;
  /** A fixed baseline instead of a learned one. */
  mean?: number;
  sigma?: number;
  sigmaWithin?: number;
}

export interface DriftSettings {
  site: string;
  specs: SpecRow[];
  monitorUnspecified: boolean;
  /** The false-alarm budget as the user states it: one false alarm per line every this many days … */
  falseAlarmDays: number;
  /** … at this many inspected units per hour. */
  unitsPerHour: number;
  /** The same budget in units: one false alarm per this many units on a line (asset + product). */
  arl0: number;
  /** λ of the one-sided EWMAs: ln s² (spread) and the defect rate. The mean has two CUSUMs, no EWMA. */
  lambda: number;
  /** Reference k of the mean's main CUSUM (small shifts: k = δ/2 for δ = 1σ) … */
  cusumK: number;
  /** … and of its second CUSUM, tuned for large shifts (k = 1: optimal for a 2σ shift). */
  largeShiftK: number;
  fir: boolean;
  rules: RuleChoice;
  subgroupSize: number;
  trendWindow: number;
  horizonUnits: number;
  horizonMinutes: number;
  horizonBatch: boolean;
  capabilityWindow: number;
  capabilityIndex: 'cpk' | 'ppk';
  cpkMedium: number;
  cpkHigh: number;
  defectSubgroup: SubgroupMode;
  defectSubgroupSize: number;
  defectSubgroupSeconds: number;
  perDefectType: boolean;
  minConfidence: number;
  maxDefectTypes: number;
  phase1Units: number;
  phase1Subgroups: number;
  clearAfter: number;
  severity: Record<SeverityKey, Severity>;
  priority: Record<Severity, number | string>;
  maxSeries: number;
  checkpointSeconds: number;
  annotate: boolean;
}

type Loose = string | number | boolean | null | undefined;

const num = { type: ['number', 'string'], maxLength: 40 } as const;
const severity = { enum: ['critical', 'high', 'medium', 'low'] } as const;
const priorityCell = { type: ['number', 'string'], maxLength: 40 } as const;

const schema = {
  type: 'object',
  properties: {
    site: { type: 'string', maxLength: 200 },
    specs: {
      type: 'array',
      maxItems: 2000,
      items: { type: 'object', properties: { product: { type: 'string', maxLength: 200 }, characteristic: { type: 'string', maxLength: 100 } } },
    },
    monitorUnspecified: { type: 'boolean' },
    falseAlarmDays: num, unitsPerHour: num, lambda: num, cusumK: num, largeShiftK: num, fir: { type: 'boolean' },
    rules: { enum: ['none', 'we', 'nelson'] },
    subgroupUnits: num, trendWindowUnits: num, horizonUnits: num, horizonMinutes: num, horizonBatch: { type: 'boolean' },
    capabilityWindowUnits: num, capabilityIndex: { enum: ['cpk', 'ppk'] }, cpkMedium: num, cpkHigh: num,
    defectSubgroup: { enum: ['units', 'batch', 'time'] }, defectSubgroupUnits: num, defectSubgroupSeconds: num,
    perDefectType: { type: 'boolean' }, minConfidence: num, maxDefectTypes: num,
    phase1Units: num, phase1Subgroups: num, clearAfterUnits: num,
    sevMean: severity, sevRules: severity, sevTrend: severity, sevCapMedium: severity, sevCapHigh: severity, sevDefects: severity, sevSpread: severity,
    priorityCritical: priorityCell, priorityHigh: priorityCell, priorityMedium: priorityCell, priorityLow: priorityCell,
    maxSeries: num, checkpointSeconds: num, annotate: { type: 'boolean' },
  },
} as const;

const validate = compileValidator<Record<string, Loose | unknown[]>>(schema, 'config');

/** Reads an optional number cell: '' and absent mean "not set"; anything else must be a finite number. */
function cell(v: unknown): number | undefined | 'bad' {
  if (v === undefined || v === null || v === '') return undefined;
  const n = typeof v === 'number' ? v : Number(String(v).trim());
  return Number.isFinite(n) ? n : 'bad';
}

function parseSpecRows(rows: readonly unknown[], where = 'specs'): { rows: SpecRow[]; errors: string[] } {
  const out: SpecRow[] = [];
  const errors: string[] = [];
  rows.forEach((raw, i) => {
    const r = (raw ?? {}) as Record<string, unknown>;
    const at = `${where}[${i + 1}]`;
    const product = String(r.product ?? '').trim() || '*';
    const characteristic = String(r.characteristic ?? '').trim();
    if (!characteristic) {
      errors.push(`${at}: characteristic is empty`);
      return;
    }
    const row: SpecRow = { product, characteristic };
    for (const k of ['lsl', 'usl', 'target', 'mean', 'sigma', 'sigmaWithin'] as const) {
      const v = cell(r[k]);
      if (v === 'bad') errors.push(`${at}: ${k} "${String(r[k])}" is not a number`);
      else if (v !== undefined) row[k] = v;
    }
    if (row.lsl !== undefined && row.usl !== undefined && row.lsl >= row.usl) errors.push(`${at}: LSL ${row.lsl} is not below USL ${row.usl}`);
    if (row.sigma !== undefined && !(row.sigma > 0)) errors.push(`${at}: sigma must be above 0`);
    if (row.sigmaWithin !== undefined && !(row.sigmaWithin > 0)) errors.push(`${at}: sigmaWithin must be above 0`);
    if ((row.mean === undefined) !== (row.sigma === undefined)) errors.push(`${at}: a fixed baseline needs both mean and sigma`);
    out.push(row);
  });
  return { rows: out, errors };
}

/** A spec file: a JSON array of rows, or CSV with a header naming the columns (product, characteristic, lsl, usl, …). */
export function parseSpecText(text: string, fileName: string): { rows: SpecRow[]; errors: string[] } {
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) {
    let data: unknown;
    try {
      data = JSON.parse(trimmed);
    } catch (e) {
      return { rows: [], errors: [`${fileName}: not JSON (${errorMessage(e)})`] };
    }
    if (!Array.isArray(data)) return { rows: [], errors: [`${fileName}: expected an array of rows`] };
    return parseSpecRows(data, fileName);
  }
  const lines = trimmed.split(/\r?\n/).filter((l) => l.trim() !== '' && !l.trim().startsWith('#'));
  if (lines.length === 0) return { rows: [], errors: [] };
  const header = lines[0].split(',').map((h) => h.trim());
  const rows = lines.slice(1).map((line) => {
    const cells = line.split(',');
    return Object.fromEntries(header.map((h, i) => [h, (cells[i] ?? '').trim()]));
  });
  if (!header.includes('characteristic')) return { rows: [], errors: [`${fileName}: the CSV header needs a "characteristic" column`] };
  return parseSpecRows(rows, fileName);
}

/** The spec row for a product and characteristic: the product's own, else the "*" row. */
export function findSpec(rows: readonly SpecRow[], product: string, characteristic: string): SpecRow | undefined {
  let wildcard: SpecRow | undefined;
  for (const r of rows) {
    if (r.characteristic !== characteristic) continue;
    if (r.product === product) return r;
    if (r.product === '*') wildcard = r;
  }
  return wildcard;
}

function priorityValue(v: unknown, fallback: number): number | string {
  const s = v === undefined || v === null ? '' : String(v).trim();
  if (!s) return fallback;
  return /^\d+$/.test(s) ? Number(s) : s;
}

/** Setting names of flows saved before units were spelled out in them (issue 11), and their new names. */
export const RENAMED: Readonly<Record<string, string>> = {
  subgroupSize: 'subgroupUnits', trendWindow: 'trendWindowUnits', capabilityWindow: 'capabilityWindowUnits',
  defectSubgroupSize: 'defectSubgroupUnits', clearAfter: 'clearAfterUnits',
};
/** Units per hour assumed when an old flow's `arl0` (units between false alarms) becomes days. */
const DEFAULT_UNITS_PER_HOUR = 3600;
const NUMBER_TEXT = /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/;

/**
 * A node's config as saved by any version, in today's names and types: old names are read when
 * the new ones are absent, numbers saved as text become numbers, empty text means "not set", and
 * the old `arl0` (units between false alarms) becomes days at DEFAULT_UNITS_PER_HOUR — the same
 * budget. Text that is not a number is kept, for the parser to reject with its name.
 */
export function migrate(config: unknown): Record<string, unknown> {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) return {};
  const out: Record<string, unknown> = { ...(config as Record<string, unknown>) };
  for (const [old, name] of Object.entries(RENAMED)) {
    if (old in out) {
      if (out[name] === undefined || out[name] === '') out[name] = out[old];
      delete out[old];
    }
  }
  const numbers = new Set(Object.entries(schema.properties).filter(([, v]) => v === num || v === priorityCell).map(([k]) => k));
  for (const k of numbers) {
    const v = out[k];
    if (v === '' || v === null) delete out[k];
    else if (typeof v === 'string' && NUMBER_TEXT.test(v)) out[k] = Number(v);
  }
  const oldArl0 = out.arl0 === '' || out.arl0 === null || out.arl0 === undefined ? undefined : Number(out.arl0);
  delete out.arl0;
  if (oldArl0 !== undefined && out.falseAlarmDays === undefined) {
    out.unitsPerHour = out.unitsPerHour ?? DEFAULT_UNITS_PER_HOUR;
    out.falseAlarmDays = Number.isFinite(oldArl0) ? oldArl0 / (24 * Number(out.unitsPerHour)) : String(config && (config as Record<string, unknown>).arl0);
  }
  return out;
}

export function parseDriftSettings(raw: unknown): { ok: true; value: DriftSettings } | { ok: false; errors: string[] } {
  const checked = validate(migrate(raw));
  if (!checked.ok) return checked;
  const s = checked.value as Record<string, unknown>;
  const errors: string[] = [];
  const number = (key: string, fallback: number, min: number, max: number, integer = false): number => {
    const v = cell(s[key]);
    if (v === undefined) return fallback;
    if (v === 'bad' || v < min || v > max || (integer && !Number.isInteger(v))) {
      errors.push(`config.${key}: "${String(s[key])}" must be ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}`);
      return fallback;
    }
    return v;
  };
  const specs = parseSpecRows(Array.isArray(s.specs) ? s.specs : []);
  errors.push(...specs.errors);
  const value: DriftSettings = {
    site: String(s.site ?? '').trim() || 'SITE',
    specs: specs.rows,
    monitorUnspecified: s.monitorUnspecified !== false,
    falseAlarmDays: number('falseAlarmDays', 30, 0.001, 36_500),
    unitsPerHour: number('unitsPerHour', DEFAULT_UNITS_PER_HOUR, 0.01, 1e8),
    arl0: 0,
    lambda: number('lambda', 0.05, 0.01, 1),
    cusumK: number('cusumK', 0.5, 0.05, 3),
    largeShiftK: number('largeShiftK', 1, 0.25, 5),
    fir: s.fir !== false,
    rules: (s.rules as RuleChoice | undefined) ?? 'none',
    subgroupSize: number('subgroupUnits', 10, 2, 1000, true),
    trendWindow: number('trendWindowUnits', 500, 40, 100_000_000, true),
    horizonUnits: number('horizonUnits', 0, 0, 1e12),
    horizonMinutes: number('horizonMinutes', 60, 0, 1e9),
    horizonBatch: s.horizonBatch !== false,
    capabilityWindow: number('capabilityWindowUnits', 500, 4, 1_000_000, true),
    capabilityIndex: (s.capabilityIndex as 'cpk' | 'ppk' | undefined) ?? 'cpk',
    cpkMedium: number('cpkMedium', 1.33, 0, 10),
    cpkHigh: number('cpkHigh', 1.0, 0, 10),
    defectSubgroup: (s.defectSubgroup as SubgroupMode | undefined) ?? 'units',
    // 100 × 20 subgroups: the first defect baseline after 2 000 units (0.2: 500, so 10 000 blind units).
    defectSubgroupSize: number('defectSubgroupUnits', 100, 10, 10_000_000, true),
    defectSubgroupSeconds: number('defectSubgroupSeconds', 300, 1, 86_400 * 7),
    perDefectType: s.perDefectType !== false,
    minConfidence: number('minConfidence', 0.5, 0, 1),
    maxDefectTypes: number('maxDefectTypes', 20, 0, 200, true),
    phase1Units: number('phase1Units', 1000, 20, 100_000, true),
    phase1Subgroups: number('phase1Subgroups', 20, 2, 1000, true),
    clearAfter: number('clearAfterUnits', 500, 1, 1e9, true),
    severity: {
      mean: (s.sevMean as Severity | undefined) ?? 'medium',
      rules: (s.sevRules as Severity | undefined) ?? 'low',
      trend: (s.sevTrend as Severity | undefined) ?? 'high',
      capMedium: (s.sevCapMedium as Severity | undefined) ?? 'medium',
      capHigh: (s.sevCapHigh as Severity | undefined) ?? 'high',
      defects: (s.sevDefects as Severity | undefined) ?? 'medium',
      spread: (s.sevSpread as Severity | undefined) ?? 'medium',
    },
    priority: {
      critical: priorityValue(s.priorityCritical, 1),
      high: priorityValue(s.priorityHigh, 2),
      medium: priorityValue(s.priorityMedium, 3),
      low: priorityValue(s.priorityLow, 4),
    },
    maxSeries: number('maxSeries', 1000, 1, 100_000, true),
    checkpointSeconds: number('checkpointSeconds', 60, 0, 86_400),
    annotate: s.annotate !== false,
  };
  value.arl0 = Math.round(value.falseAlarmDays * 24 * value.unitsPerHour);
  if (value.arl0 < 100) errors.push(`config.falseAlarmDays: one false alarm every ${value.falseAlarmDays} days at ${value.unitsPerHour} units per hour is one per ${Math.round(value.arl0)} units; at least 100 units are needed`);
  const blocks = value.capabilityWindow / value.subgroupSize;
  if (blocks < 2 || blocks > 1000) errors.push(`config.capabilityWindowUnits: ${value.capabilityWindow} units make ${Math.floor(blocks)} subgroups of ${value.subgroupSize}; keep it between 2 and 1000 subgroups`);
  for (const [severity, p] of Object.entries(value.priority)) {
    if (typeof p === 'number' && p > 1000) errors.push(`config: priority ${p} for ${severity} is above 1000`);
  }
  if (value.defectSubgroup === 'units' && value.defectSubgroupSize / value.arl0 > MAX_ALPHA) {
    // α = n / N per subgroup: at n ≥ N the probability limit would sit below one defect and signal on a perfect subgroup.
    errors.push(`config.defectSubgroupUnits: subgroups of ${value.defectSubgroupSize} units with one false alarm per ${value.arl0} units give each subgroup a ${(100 * value.defectSubgroupSize / value.arl0).toFixed(1)} % false-alarm chance (at most ${100 * MAX_ALPHA} %): use smaller subgroups or fewer false alarms`);
  }
  if (value.largeShiftK <= value.cusumK) errors.push(`config.largeShiftK (${value.largeShiftK}) must be above cusumK (${value.cusumK}): the second CUSUM is for larger shifts than the first`);
  if (value.cpkHigh > value.cpkMedium) errors.push(`config.cpkHigh (${value.cpkHigh}) must not be above cpkMedium (${value.cpkMedium})`);
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value };
}
