// Setting names saved in users' flows are a public API: when one is renamed (issue 11: every
// numeric setting names its unit), a flow saved under the old name must keep its value. Each
// node family lists its renames and calls this from its `migrate(config)`.

/** [old name, new name] pairs of one node type. */
export type Renames = ReadonlyArray<readonly [old: string, now: string]>;

const absent = (v: unknown): boolean => v === undefined || v === null || v === '';

/**
 * A copy of a node's config under today's names: an old name's value is used when the new name is
 * absent (a flow saved before the rename), the new name wins when both are set, and the old name
 * is dropped either way. Anything else is left as it is; the saved config is not changed.
 */
export function renameSettings<T>(config: T, renames: Renames): T {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) return config;
  const out: Record<string, unknown> = { ...(config as Record<string, unknown>) };
  for (const [old, now] of renames) {
    if (!(old in out)) continue;
    if (absent(out[now]) && !absent(out[old])) out[now] = out[old];
    delete out[old];
  }
  return out as T;
}
