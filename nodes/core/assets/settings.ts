// The settings of mw-asset-registry and mw-asset-map as the editor saves them, checked once at
// deploy. Rows themselves are checked by the loader, which names the row and field.
import { compileValidator } from '../contracts/validate';
import { parseNamespaces, type NamespaceTable } from './opcua';
import { SOURCE_SETTINGS, type SourceSetting } from './resolve';
import { FILE_FORMATS, formatOf, type FileFormat } from './sources';

/** Editor rows beyond this belong in a file. */
const MAX_EDITOR_ROWS = 20_000;
/** Node timers hold at most 2^31 - 1 ms (24.8 days); beyond that they fire at once. */
export const MAX_AUTO_VERIFY_HOURS = 24 * 24;

export interface RegistryNodeSettings {
  name?: string;
  cmms?: string;
  rows?: unknown[];
  file?: string;
  fileFormat?: (typeof FILE_FORMATS)[number];
  watch?: boolean;
  requireVerified?: boolean;
  opcuaNamespaces?: string;
  autoVerifyHours?: number | string;
}

export interface RegistryOptions {
  cmms: string | null;
  rows: unknown[];
  file: { path: string; format: FileFormat; watch: boolean } | null;
  requireVerified: boolean;
  namespaces: NamespaceTable;
  autoVerifyMs: number;
}

const hours = { anyOf: [{ type: 'number', minimum: 0, maximum: MAX_AUTO_VERIFY_HOURS }, { type: 'string', pattern: '^\\s*\\d*(\\.\\d+)?\\s*$' }] } as const;

const registrySchema = {
  type: 'object',
  properties: {
    name: { type: 'string', maxLength: 200 },
    cmms: { type: 'string', maxLength: 200 },
    rows: { type: 'array', maxItems: MAX_EDITOR_ROWS },
    file: { type: 'string', maxLength: 4096 },
    fileFormat: { enum: [...FILE_FORMATS] },
    watch: { type: 'boolean' },
    requireVerified: { type: 'boolean' },
    opcuaNamespaces: { type: 'string', maxLength: 100_000 },
    autoVerifyHours: hours,
  },
} as const;

const validateRegistry = compileValidator<RegistryNodeSettings>(registrySchema, 'config');

/** `resolvePath` turns a relative file path into an absolute one (Node-RED's user directory). */
export function parseRegistrySettings(raw: unknown, resolvePath: (p: string) => string): { ok: true; value: RegistryOptions } | { ok: false; errors: string[] } {
  const checked = validateRegistry(raw);
  if (!checked.ok) return checked;
  const s = checked.value;
  const errors: string[] = [];
  const ns = parseNamespaces(s.opcuaNamespaces ?? '');
  if (!ns.ok) errors.push(...ns.errors);
  const h = s.autoVerifyHours === undefined || s.autoVerifyHours === '' ? 0 : Number(s.autoVerifyHours);
  if (!Number.isFinite(h) || h < 0 || h > MAX_AUTO_VERIFY_HOURS) errors.push(`config.autoVerifyHours: must be 0 (off) to ${MAX_AUTO_VERIFY_HOURS}`);
  const file = s.file?.trim() ? resolvePath(s.file.trim()) : null;
  if (h > 0 && !s.cmms?.trim()) errors.push('config.autoVerifyHours: verification needs a CMMS connection');
  if (errors.length > 0 || !ns.ok) return { ok: false, errors };
  return {
    ok: true,
    value: {
      cmms: s.cmms?.trim() || null,
      rows: s.rows ?? [],
      file: file ? { path: file, format: formatOf(file, s.fileFormat), watch: s.watch !== false } : null,
      requireVerified: s.requireVerified === true,
      namespaces: ns.value,
      autoVerifyMs: Math.round(h * 3_600_000),
    },
  };
}

export interface MapNodeSettings {
  name?: string;
  registry?: string;
  source?: SourceSetting;
  connection?: string;
}

interface MapOptions {
  source: SourceSetting;
  /** Overrides the Modbus connection name found from the message's read node. */
  connection: string | null;
}

const mapSchema = {
  type: 'object',
  required: ['registry'],
  properties: {
    name: { type: 'string', maxLength: 200 },
    registry: { type: 'string', minLength: 1, maxLength: 200 },
    source: { enum: [...SOURCE_SETTINGS] },
    connection: { type: 'string', maxLength: 200 },
  },
} as const;

const validateMap = compileValidator<MapNodeSettings>(mapSchema, 'config');

export function parseMapSettings(raw: unknown): { ok: true; value: MapOptions } | { ok: false; errors: string[] } {
  const checked = validateMap(raw);
  if (!checked.ok) return checked;
  return { ok: true, value: { source: checked.value.source ?? 'auto', connection: checked.value.connection?.trim() || null } };
}
