// A seeded camera: inspection records of a machined, coated part, in control or with a wearing
// tool. Used by the tests (run lengths, lead time before the first bad part), the benchmark and
// the example flow's description. A test fixture: it lives outside nodes/ so npm pack does not ship it.
import type { InspectionRecord } from '../../nodes/core/contracts';
import { seeded, type Random } from '../../nodes/core/spc/random';

interface PartSpec {
  /** Bore diameter, mm: one value per part. */
  boreMean: number;
  boreSigma: number;
  boreLsl: number;
  boreUsl: number;
  /** Coating thickness, µm: `coatingPoints` values across each part. */
  coatingMean: number;
  coatingSigma: number;
  coatingPointSigma: number;
  coatingLsl: number;
  coatingUsl: number;
  coatingPoints: number;
  /** Chance a good part shows a cosmetic defect the camera fails it for. */
  defectRate: number;
}

/** Cpk 1.67 for the bore, comfortably capable coating, 0.5 % cosmetic rejects. */
export const PART: PartSpec = {
  boreMean: 12.0, boreSigma: 0.004, boreLsl: 11.98, boreUsl: 12.02,
  coatingMean: 25, coatingSigma: 0.4, coatingPointSigma: 0.6, coatingLsl: 20, coatingUsl: 30, coatingPoints: 5,
  defectRate: 0.005,
};

interface Wear {
  /** Unit from which the tool wears. */
  startUnit: number;
  /** Bore growth per unit, mm. */
  boreDriftPerUnit: number;
  /** Relative growth of the within-part coating σ per unit (0.0001 = +1 % per 100 units). */
  spreadGrowthPerUnit: number;
  /** Relative growth of the defect rate per unit. */
  defectGrowthPerUnit: number;
}

/**
 * Tool wear: the bore creeps up 0.02 mm (5σ, all the margin) over 20 000 units, the coating
 * spread and the cosmetic defect rate grow by half over the same span.
 */
export const TOOL_WEAR: Wear = { startUnit: 3000, boreDriftPerUnit: 0.02 / 20_000, spreadGrowthPerUnit: 0.5 / 20_000, defectGrowthPerUnit: 0.5 / 20_000 };

interface StreamOptions {
  seed: number;
  asset?: string;
  product?: string;
  part?: PartSpec;
  wear?: Wear | null;
  unitsPerSecond?: number;
  startMs?: number;
  batchSize?: number;
  modelVersion?: string;
}

interface SimulatedUnit {
  record: InspectionRecord;
  tMs: number;
  /** True when a measurement is outside its spec limits: a part that must not ship. */
  outOfSpec: boolean;
}

export class PartStream {
  private readonly rnd: Random;
  private readonly part: PartSpec;
  private unit = 0;
  private readonly stepMs: number;
  private readonly startMs: number;

  constructor(private readonly opts: StreamOptions) {
    this.rnd = seeded(opts.seed);
    this.part = opts.part ?? PART;
    this.stepMs = 1000 / (opts.unitsPerSecond ?? 125);
    this.startMs = opts.startMs ?? Date.UTC(2026, 0, 5, 6, 0, 0);
  }

  get units(): number {
    return this.unit;
  }

  next(): SimulatedUnit {
    const u = this.unit++;
    const p = this.part;
    const w = this.opts.wear;
    const worn = w && u >= w.startUnit ? u - w.startUnit : 0;
    const r = this.rnd;
    const bore = p.boreMean + (w ? worn * w.boreDriftPerUnit : 0) + p.boreSigma * r.normal();
    const spread = p.coatingPointSigma * (1 + (w ? worn * w.spreadGrowthPerUnit : 0));
    const coatingLevel = p.coatingMean + p.coatingSigma * r.normal();
    const coating: number[] = [];
    let coatingBad = false;
    for (let i = 0; i < p.coatingPoints; i++) {
      const v = Math.round((coatingLevel + spread * r.normal()) * 1000) / 1000;
      if (v < p.coatingLsl || v > p.coatingUsl) coatingBad = true;
      coating.push(v);
    }
    const boreRounded = Math.round(bore * 1e5) / 1e5;
    const boreBad = boreRounded < p.boreLsl || boreRounded > p.boreUsl;
    const defectRate = p.defectRate * (1 + (w ? worn * w.defectGrowthPerUnit : 0));
    const cosmetic = r.next() < defectRate;
    const tMs = this.startMs + Math.round(u * this.stepMs);
    const batchSize = this.opts.batchSize ?? 5000;
    const record: InspectionRecord = {
      unitId: `U${u}`,
      timestamp: new Date(tMs).toISOString(),
      asset: this.opts.asset ?? 'CNC-07',
      product: this.opts.product ?? 'HSG-4410',
      batch: `B${Math.floor(u / batchSize) + 1}`,
      batchSize,
      modelVersion: this.opts.modelVersion ?? 'v3.2',
      result: boreBad || coatingBad || cosmetic ? 'fail' : 'pass',
      defects: cosmetic ? [{ type: r.next() < 0.5 ? 'scratch' : 'burr', severity: 'minor', confidence: 0.9 }] : [],
      measurements: { bore: boreRounded, coating },
    };
    return { record, tMs, outOfSpec: boreBad || coatingBad };
  }
}

/** The spec rows that match PART, as the node's configuration would hold them. */
export function partSpecRows(part: PartSpec = PART): Array<{ product: string; characteristic: string; lsl: number; usl: number; target: number }> {
  return [
    { product: '*', characteristic: 'bore', lsl: part.boreLsl, usl: part.boreUsl, target: part.boreMean },
    { product: '*', characteristic: 'coating', lsl: part.coatingLsl, usl: part.coatingUsl, target: part.coatingMean },
  ];
}
