// The series of one (asset, product): a monitor per measured characteristic, the defect-rate
// charts, the vision model version the baselines belong to, and the recent batches. It is also
// the context the detectors read the current unit from, so a record allocates nothing for it.
import type { Asset } from '../contracts';
import { lineSlots } from './budget';
import { DefectMonitor, type DefectState } from './defects';
import { CharacteristicMonitor, type MonitorState } from './monitor';
import type { Draft, UnitContext } from './monitor-report';
import { findSpec, type DriftSettings } from './settings';

/** Batches remembered for the evidence ("affected batch ids"). */
const BATCH_MEMORY = 10;

export interface GroupState {
  v: 1;
  fingerprint: string;
  asset: Asset;
  product: string;
  modelVersion: string | null;
  units: number;
  batches: Array<{ id: string; fromMs: number }>;
  monitors: Record<string, MonitorState>;
  defects: DefectState;
}

export class SeriesGroup implements UnitContext {
  readonly monitors = new Map<string, CharacteristicMonitor>();
  readonly defects: DefectMonitor;
  modelVersion: string | null = null;
  /** Records seen (all results). */
  units = 0;
  tMs = 0;
  unitId = '';
  batchRemaining: number | null = null;
  private batch: string | null = null;
  private batchSize: number | null = null;
  private batchSeen = 0;
  private batches: Array<{ id: string; fromMs: number }> = [];
  /** Changed since the last checkpoint. */
  dirty = false;

  constructor(
    readonly key: string,
    public asset: Asset,
    readonly product: string,
    private readonly settings: DriftSettings,
  ) {
    this.defects = new DefectMonitor(settings, this.slots);
    this.specified = new Set(settings.specs.filter((r) => r.product === product || r.product === '*').map((r) => r.characteristic)).size;
  }

  /**
   * Slots of this line's false-alarm budget (budget.ts): one per characteristic — those the spec
   * table names for the product, or those monitored if more — and a fraction for the defect rate.
   * Read when a baseline freezes.
   */
  readonly slots = (): number => lineSlots(Math.max(this.specified, this.monitors.size));
  /** Characteristics the spec table names for this product: counted from the start, so a design does not depend on arrival order. */
  private readonly specified: number;

  /** Sets the current unit; returns the batch size when the record gave one. */
  enter(tMs: number, unitId: string, batch: string | undefined, batchSize: number | undefined): void {
    this.units++;
    this.tMs = tMs;
    this.unitId = unitId;
    const id = batch ?? null;
    if (id !== this.batch) {
      this.batch = id;
      this.batchSeen = 0;
      if (id !== null) {
        this.batches.push({ id, fromMs: tMs });
        if (this.batches.length > BATCH_MEMORY) this.batches.shift();
      }
    }
    this.batchSeen++;
    this.batchSize = batchSize ?? null;
    this.batchRemaining = this.batchSize !== null ? Math.max(0, this.batchSize - this.batchSeen) : null;
  }

  get currentBatch(): string | null {
    return this.batch;
  }

  get currentBatchSize(): number | null {
    return this.batchSize;
  }

  batchesSince(ms: number): string {
    const ids: string[] = [];
    for (let i = 0; i < this.batches.length; i++) {
      const next = this.batches[i + 1];
      // A batch counts when it was still running at or after `ms`.
      if (!next || next.fromMs >= ms) ids.push(this.batches[i].id);
    }
    return ids.join(',');
  }

  /** The monitor for a characteristic; null when it has no spec row and those are not monitored. */
  monitor(characteristic: string, create: boolean): CharacteristicMonitor | null {
    let m = this.monitors.get(characteristic);
    if (m || !create) return m ?? null;
    const spec = findSpec(this.settings.specs, this.product, characteristic);
    if (!spec && !this.settings.monitorUnspecified) return null;
    m = new CharacteristicMonitor(characteristic, spec, this.settings, this.slots, new Date(this.tMs).toISOString(), this.modelVersion);
    this.monitors.set(characteristic, m);
    return m;
  }

  /**
   * Re-baselines the characteristics named (all when none) and, for all, the defect charts.
   * `newInstrument`: a new vision model, whose defect rates are not comparable with the old ones.
   */
  rebaseline(reason: string, characteristic: string | null, out: Draft[], newInstrument = false): void {
    for (const m of this.monitors.values()) {
      if (characteristic === null || m.characteristic === characteristic) m.rebaseline(reason, this.modelVersion, this, out);
    }
    if (characteristic === null) this.defects.rebaseline(reason, this, out, !newInstrument);
    this.dirty = true;
  }

  get openEpisodes(): number {
    let n = this.defects.openEpisodes;
    for (const m of this.monitors.values()) n += m.openEpisodes;
    return n;
  }

  snapshot(fingerprint: string): GroupState {
    const monitors: Record<string, MonitorState> = {};
    for (const [c, m] of this.monitors) monitors[c] = m.snapshot();
    return {
      v: 1, fingerprint, asset: this.asset, product: this.product, modelVersion: this.modelVersion, units: this.units,
      batches: [...this.batches], monitors, defects: this.defects.snapshot(),
    };
  }

  restore(s: GroupState, fingerprint: string, maxMonitors: number): number {
    const detectorsToo = s.fingerprint === fingerprint;
    this.modelVersion = s.modelVersion;
    this.units = s.units;
    this.batches = s.batches.slice(-BATCH_MEMORY);
    let added = 0;
    for (const [c, ms] of Object.entries(s.monitors)) {
      if (added >= maxMonitors) break;
      const m = this.monitor(c, true);
      if (!m) continue;
      m.restore(ms, detectorsToo);
      added++;
    }
    this.defects.restore(s.defects, detectorsToo);
    return added;
  }
}
