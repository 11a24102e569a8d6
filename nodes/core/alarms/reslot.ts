// An asset whose class changed (a registry edit, or rows of one asset that disagree) gets its rules
// looked up again — without losing its episodes (issue 13): a rule that still applies (same id,
// same metric) keeps its key, so its episode, delays and eventId carry on and a sustained problem
// never becomes a second episode or a second work order. A rule that no longer applies ends its
// episode with `cleared` (reason rule-removed).
import type { Asset } from '../contracts';
import type { RuleBook } from './rules';
import { AssetSlot, type Cond, type KeyState } from './state';
import type { KeyTable } from './keys';

interface ReslotHost {
  readonly rules: RuleBook;
  readonly table: KeyTable;
  /** Ends every condition of a key whose rule is gone, and forgets the key. */
  dropKey(st: KeyState): void;
  /** Ends one condition (cleared, rule-removed) and forgets it. */
  endCond(st: KeyState, c: Cond): void;
  touch(st: KeyState): void;
  rewake(st: KeyState): void;
}

/** The asset's new slot; undefined when no rule applies to it any more. */
export function reslot(host: ReslotHost, old: AssetSlot, a: Asset, cls: string): AssetSlot | undefined {
  const ruleSet = host.rules.rulesFor(a);
  const slot = new AssetSlot(old.key, a, ruleSet, cls);
  for (const st of old.states) {
    if (!st) continue;
    const i = ruleSet.rules.findIndex((r) => r.id === st.rule.id && r.metric === st.rule.metric);
    if (i < 0 || slot.states[i] !== undefined) {
      host.dropKey(st);
      continue;
    }
    const next = ruleSet.rules[i];
    // Conditions the rule's new form no longer has end under the old form (which describes them).
    const owns = (ruleSet.byMetric.get(next.metric) ?? [i])[0] === i;
    if (st.sen !== null && !owns) host.endCond(st, st.sen);
    if (st.lim !== null && Object.keys(next.limitOut).length === 0) host.endCond(st, st.lim);
    if (st.roc !== null && next.roc === null) host.endCond(st, st.roc);
    st.rebind(slot, next);
    st.ownsSensor = owns;
    slot.states[i] = st;
    // The record carries the asset (and so its class): rewritten; timers are looked at again.
    host.touch(st);
    host.rewake(st);
  }
  host.table.removeSlot(old);
  if (ruleSet.rules.length === 0) return undefined;
  host.table.addSlot(slot);
  return slot;
}
