// Fault registry: which injected failure, if any, hits a request. Faults are checked in the order
// they were added; the first one that matches and wins its (seeded) probability roll applies.
import { isRecord } from './http';
import type { Random } from './random';
import { DIALECTS, type Dialect, type FaultKind, type FaultSpec } from './types';

const KINDS: readonly FaultKind[] = [
  'status', 'hang', 'slow-body', 'reset', 'commit-then-drop', 'expire-token', 'garbage', 'huge-body', 'outage', 'latency',
];

const FIELDS = [
  'dialect', 'method', 'pathIncludes', 'kind', 'status', 'retryAfter', 'resetHeader', 'body', 'contentType',
  'bytes', 'delayMs', 'times', 'probability', 'untilMs',
];

export type StoredFault = FaultSpec & { id: string };

export class FaultRegistry {
  private faults: StoredFault[] = [];
  private seq = 0;

  constructor(
    private readonly random: Random,
    private readonly now: () => number,
  ) {}

  add(input: unknown): string {
    const spec = validateFault(input);
    const id = `f${++this.seq}`;
    this.faults.push({ ...spec, id });
    return id;
  }

  remove(id: string): boolean {
    const before = this.faults.length;
    this.faults = this.faults.filter((f) => f.id !== id);
    return this.faults.length !== before;
  }

  clear(): void {
    this.faults = [];
  }

  list(): StoredFault[] {
    return this.faults.map((f) => ({ ...f }));
  }

  /** The fault hitting this request, consuming one of its `times`; null when none applies. */
  pick(dialect: Dialect, method: string, path: string): StoredFault | null {
    const now = this.now();
    // An outage whose window has passed is gone for good.
    this.faults = this.faults.filter((f) => !(f.kind === 'outage' && f.untilMs !== undefined && now >= f.untilMs));
    for (const f of this.faults) {
      if (f.dialect && f.dialect !== dialect) continue;
      if (f.method && f.method.toUpperCase() !== method.toUpperCase()) continue;
      if (f.pathIncludes && !path.includes(f.pathIncludes)) continue;
      // Only matching requests draw from the generator, so unrelated traffic does not shift the rolls.
      if (f.probability !== undefined && f.probability < 1 && this.random.next() >= f.probability) continue;
      if (f.times !== undefined) {
        f.times -= 1;
        if (f.times <= 0) this.remove(f.id);
      }
      return { ...f };
    }
    return null;
  }
}

export class FaultSpecError extends Error {}

/** Checks a fault from the control API or from code; throws FaultSpecError with a plain message. */
function validateFault(input: unknown): FaultSpec {
  if (!isRecord(input)) throw new FaultSpecError('a fault must be a JSON object');
  const f = input as Partial<FaultSpec> & Record<string, unknown>;
  // A misspelt field would silently turn a targeted fault into a global one.
  const unknown = Object.keys(f).filter((k) => !FIELDS.includes(k));
  if (unknown.length > 0) throw new FaultSpecError(`unknown fault field(s): ${unknown.join(', ')}`);
  if (!KINDS.includes(f.kind as FaultKind)) throw new FaultSpecError(`kind must be one of ${KINDS.join(', ')}`);
  if (f.dialect !== undefined && !DIALECTS.includes(f.dialect)) throw new FaultSpecError(`dialect must be one of ${DIALECTS.join(', ')}`);
  for (const k of ['status', 'resetHeader', 'bytes', 'delayMs', 'times', 'probability', 'untilMs'] as const) {
    if (f[k] !== undefined && (typeof f[k] !== 'number' || !Number.isFinite(f[k]) || (f[k] as number) < 0)) {
      throw new FaultSpecError(`${k} must be a non-negative number`);
    }
  }
  for (const k of ['method', 'pathIncludes', 'body', 'contentType'] as const) {
    if (f[k] !== undefined && typeof f[k] !== 'string') throw new FaultSpecError(`${k} must be a string`);
  }
  if (f.kind === 'status' && (f.status === undefined || f.status < 100 || f.status > 599)) {
    throw new FaultSpecError("kind 'status' needs a status between 100 and 599");
  }
  if (f.probability !== undefined && f.probability > 1) throw new FaultSpecError('probability must be between 0 and 1');
  if (f.times !== undefined && (!Number.isInteger(f.times) || f.times < 1)) throw new FaultSpecError('times must be a positive integer');
  if (f.retryAfter !== undefined) {
    const r = f.retryAfter as unknown;
    const ok = isRecord(r) && (typeof r.seconds === 'number' || typeof r.httpDate === 'number');
    if (!ok) throw new FaultSpecError('retryAfter must be {seconds} or {httpDate}');
  }
  if ((f.kind === 'slow-body' || f.kind === 'latency') && f.delayMs === undefined) {
    throw new FaultSpecError(`kind '${f.kind}' needs delayMs`);
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(f)) if (v !== undefined) out[k] = v;
  return out as unknown as FaultSpec;
}

/** The Retry-After value a fault asks for: delay-seconds or an IMF-fixdate (RFC 9110 §10.2.3). */
export function retryAfterValue(f: FaultSpec): string | undefined {
  const r = f.retryAfter;
  if (!r) return undefined;
  if ('seconds' in r) return String(Math.max(0, Math.round(r.seconds)));
  return new Date(r.httpDate).toUTCString();
}
