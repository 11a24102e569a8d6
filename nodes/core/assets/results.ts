// Verification results survive restarts and redeploys: kept in the registry's DurableState file, one
// entry per target. A new run is written beside the previous one and switched to in one commit, so a
// power cut during the write leaves the previous results whole.
import type { DurableState } from '../state/durable-state';
import { Slicer } from './slicer';
import type { TargetCheck, VerificationStatus } from './types';

export interface VerificationSummary {
  /** ISO time the CMMS asset list was read. */
  at: string;
  /** The mw-cmms connection (id) that was asked, and its dialect. */
  connection: string;
  dialect: string;
  /** Assets the CMMS listed. */
  assets: number;
  targets: number;
  counts: Record<VerificationStatus, number>;
}

const RUN = 'run';
const SLOTS = ['checks-a', 'checks-b'] as const;
type Slot = (typeof SLOTS)[number];
const CHUNK = 2000;

interface RunRecord {
  summary: VerificationSummary;
  slot: Slot;
}

export class VerificationStore {
  constructor(private readonly state: DurableState) {}

  /** The last run's results, or nothing when it was made through another connection. */
  load(connection: string | null): { summary: VerificationSummary | null; checks: Map<string, TargetCheck> } {
    const run = this.state.get<RunRecord>(RUN, 'last');
    if (!run || !connection || run.summary.connection !== connection || !SLOTS.includes(run.slot)) return { summary: null, checks: new Map() };
    return { summary: run.summary, checks: this.state.all<TargetCheck>(run.slot) };
  }

  async save(summary: VerificationSummary, checks: ReadonlyMap<string, TargetCheck>): Promise<void> {
    const last = this.state.get<RunRecord>(RUN, 'last');
    const slot: Slot = last?.slot === 'checks-a' ? 'checks-b' : 'checks-a';
    const slicer = new Slicer();
    this.state.clear(slot);
    const entries = [...checks];
    for (let i = 0; i < entries.length; i += CHUNK) {
      const part = entries.slice(i, i + CHUNK);
      this.state.batch(() => {
        for (const [key, check] of part) this.state.put(slot, key, check);
      });
      await slicer.tick();
    }
    this.state.batch(() => {
      this.state.put(RUN, 'last', { summary, slot } satisfies RunRecord);
      this.state.clear(slot === 'checks-a' ? 'checks-b' : 'checks-a');
    });
  }

  /** Forgets every result (the CMMS connection changed, or the user asked). */
  clear(): void {
    this.state.batch(() => {
      this.state.delete(RUN, 'last');
      for (const s of SLOTS) this.state.clear(s);
    });
  }
}
