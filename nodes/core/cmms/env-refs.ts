// `${VAR}` in a connection's address fields. Node-RED replaces a string property that is exactly
// `${VAR}` (or the old `$(VAR)`) with the variable's value when it starts a node (runtime
// flows/util.js mapEnvVarProperties: flow env, then global env, then process.env), and leaves it
// as typed when the variable is unset. The editor's Test connection route receives the typed
// settings, so it resolves them the same way before it checks or calls the address.

/** The fields that hold an address: the ones a `${VAR}` must be resolved in before a test call. */
export const ADDRESS_FIELDS = ['baseUrl', 'tokenUrl', 'proxy'] as const;

/** The same patterns as Node-RED's runtime: the whole value is one reference, no spaces. */
const ENV_REF = /^\$\{(\S+)\}$/;
const ENV_REF_OLD = /^\$\((\S+)\)$/;

/** The variable a value names, or null when the value is not a whole `${VAR}` reference. */
export function envRefName(value: unknown): string | null {
  if (typeof value !== 'string' || value[0] !== '$') return null;
  const m = ENV_REF.exec(value) ?? ENV_REF_OLD.exec(value);
  return m ? m[1] : null;
}

interface ResolvedEnvRefs {
  /** The settings with every resolvable reference in the address fields replaced by its value. */
  settings: Record<string, unknown>;
  /** Variables named in an address field that have no value (each once, in field order). */
  unset: string[];
}

/**
 * Resolves `${VAR}` references in the address fields of `settings` with `lookup` (which answers
 * undefined for an unset variable); other fields are left as they are.
 */
export function resolveAddressRefs(settings: unknown, lookup: (name: string) => string | undefined): ResolvedEnvRefs {
  const src = settings !== null && typeof settings === 'object' && !Array.isArray(settings) ? (settings as Record<string, unknown>) : {};
  const out: Record<string, unknown> = { ...src };
  const unset: string[] = [];
  for (const field of ADDRESS_FIELDS) {
    const name = envRefName(src[field]);
    if (name === null) continue;
    const value = lookup(name);
    if (value === undefined) {
      if (!unset.includes(name)) unset.push(name);
    } else {
      out[field] = value;
    }
  }
  return { settings: out, unset };
}
