// The plant simulator's signal model: which assets exist, what each signal reads when healthy, and
// how each scenario bends it over (simulated) time. Pure: the servers (Modbus, OPC UA, MQTT) only
// read `sample()`, so every protocol shows the same plant at the same moment.
//
// Asset ids, sites and locations are those of the CMMS simulator's asset master (sim/cmms/assets.ts),
// so a work order made from these signals is accepted by the simulated CMMS.
import { createRandom, type Random } from '../cmms/random';

export type Protocol = 'modbus' | 'opcua' | 'mqtt';
export type Quality = 'good' | 'bad';

interface PlantAsset {
  assetId: string;
  siteId: string;
  /** Location below the site, as the CMMS keeps it (SITE/<this>). */
  location: string;
  class: string;
}

/** The assets this plant has; each one exists in sim/cmms/assets.ts with the same site and path. */
export const PLANT_ASSETS = {
  pump: { assetId: 'PUMP-101', siteId: 'BEDFORD', location: 'AREA1/LINE2/PUMP-101', class: 'PUMP' },
  motor: { assetId: 'MTR-201', siteId: 'BEDFORD', location: 'AREA1/LINE2/MTR-201', class: 'MOTOR' },
  compressor: { assetId: 'CMP-401', siteId: 'BEDFORD', location: 'AREA2/UTIL/CMP-401', class: 'COMPRESSOR' },
  conveyor: { assetId: 'CONV-301', siteId: 'BEDFORD', location: 'AREA2/LINE1/CONV-301', class: 'CONVEYOR' },
  exchanger: { assetId: 'HX-601', siteId: 'BEDFORD', location: 'AREA2/UTIL/HX-601', class: 'HEATEXCH' },
  press: { assetId: 'PRS-701', siteId: 'BEDFORD', location: 'AREA2/LINE1/PRS-701', class: 'PRESS' },
  camera: { assetId: 'CAM-901', siteId: 'BEDFORD', location: 'AREA2/LINE1/CAM-901', class: 'VISION' },
} as const satisfies Record<string, PlantAsset>;

interface SignalDef {
  /** Stable key, also the OPC UA browse name / MQTT topic leaf. */
  key: string;
  asset: keyof typeof PLANT_ASSETS;
  protocol: Protocol;
  metric: string;
  unit: string;
  base: number;
  /** Standard deviation of the measurement noise, small against the alarm deadbands. */
  noise: number;
  decimals: number;
}

/**
 * The pump skid is read over Modbus (register map in sim/plant/README.md), the compressor and motor
 * over OPC UA, the conveyor and heat exchanger publish to MQTT. Healthy values are typical of the
 * machine class; limits that trip them are in flows/rules.json.
 */
export const SIGNALS: readonly SignalDef[] = [
  { key: 'vibration', asset: 'pump', protocol: 'modbus', metric: 'vibration', unit: 'mm/s', base: 2.8, noise: 0.05, decimals: 2 },
  { key: 'bearing_temp', asset: 'pump', protocol: 'modbus', metric: 'bearing_temp', unit: '°C', base: 62, noise: 0.2, decimals: 1 },
  { key: 'discharge_pressure', asset: 'pump', protocol: 'modbus', metric: 'discharge_pressure', unit: 'bar', base: 4.2, noise: 0.02, decimals: 2 },
  { key: 'motor_current', asset: 'pump', protocol: 'modbus', metric: 'motor_current', unit: 'A', base: 118, noise: 0.5, decimals: 1 },
  { key: 'DischargeTemperature', asset: 'compressor', protocol: 'opcua', metric: 'discharge_temp', unit: '°C', base: 82, noise: 0.2, decimals: 1 },
  { key: 'DischargePressure', asset: 'compressor', protocol: 'opcua', metric: 'discharge_pressure', unit: 'bar', base: 7.5, noise: 0.02, decimals: 2 },
  { key: 'OilTemperature', asset: 'compressor', protocol: 'opcua', metric: 'oil_temp', unit: '°C', base: 60, noise: 0.2, decimals: 1 },
  { key: 'WindingTemperature', asset: 'motor', protocol: 'opcua', metric: 'winding_temp', unit: '°C', base: 75, noise: 0.2, decimals: 1 },
  { key: 'Current', asset: 'motor', protocol: 'opcua', metric: 'current', unit: 'A', base: 118, noise: 0.5, decimals: 1 },
  { key: 'Speed', asset: 'motor', protocol: 'opcua', metric: 'speed', unit: 'rpm', base: 1485, noise: 1, decimals: 0 },
  { key: 'motor_temp', asset: 'conveyor', protocol: 'mqtt', metric: 'motor_temp', unit: '°C', base: 55, noise: 0.2, decimals: 1 },
  { key: 'belt_speed', asset: 'conveyor', protocol: 'mqtt', metric: 'belt_speed', unit: 'm/s', base: 1.6, noise: 0.01, decimals: 2 },
  { key: 'outlet_temp', asset: 'exchanger', protocol: 'mqtt', metric: 'outlet_temp', unit: '°C', base: 28, noise: 0.1, decimals: 1 },
];

export type ScenarioId = 'bearing-wear' | 'cooling-fault' | 'sensor-freeze' | 'bad-quality' | 'tool-wear' | 'coating-drift';

interface ScenarioDef {
  id: ScenarioId;
  title: string;
  description: string;
  /** How long the fault takes to develop, in plant time; the acceleration factor shortens it. */
  durationSimSec: number;
}

export const SCENARIOS: readonly ScenarioDef[] = [
  { id: 'bearing-wear', title: 'Bearing wear (PUMP-101, Modbus)', durationSimSec: 8 * 3600,
    description: 'Vibration climbs from 2.8 to 12 mm/s and the bearing from 62 to 98 °C over 8 h of plant time.' },
  { id: 'cooling-fault', title: 'Cooling fault (CMP-401, OPC UA)', durationSimSec: 4 * 3600,
    description: 'The compressor discharge temperature climbs from 82 to 114 °C over 4 h of plant time.' },
  { id: 'sensor-freeze', title: 'Sensor freeze (MTR-201 winding temperature, OPC UA)', durationSimSec: 60,
    description: 'The winding temperature stops updating: same value, same source timestamp, status still Good.' },
  { id: 'bad-quality', title: 'Bad quality (MTR-201 current, OPC UA)', durationSimSec: 60,
    description: 'The current transducer fails: status BadSensorFailure on MTR-201 Current.' },
  { id: 'tool-wear', title: 'Tool wear (PRS-701, camera CAM-901 over MQTT)', durationSimSec: 6 * 3600,
    description: 'The punch wears: hole diameter creeps from 12.000 toward the 12.020 mm limit, burrs become more frequent.' },
  { id: 'coating-drift', title: 'Coating drift (PRS-701, camera CAM-901 over MQTT)', durationSimSec: 6 * 3600,
    description: 'The coating spread across the 5 measuring points widens and its level sinks toward 20 µm.' },
];

/** Plant seconds per real second unless a scenario is started with its own factor. */
export const DEFAULT_FACTOR = 480;

interface SignalSample {
  key: string;
  assetId: string;
  protocol: Protocol;
  metric: string;
  unit: string;
  value: number;
  quality: Quality;
  /** When the sensor last produced the value (frozen sensors keep an old one). */
  sourceTime: number;
}

export interface InspectionRecord {
  cameraId: string;
  station: string;
  unitId: string;
  timestamp: string;
  product: string;
  batch: string;
  modelVersion: string;
  result: 'pass' | 'fail';
  defects: Array<{ type: string; severity: 'minor' | 'major'; confidence: number }>;
  measurements: { bore: number; coating: number[] };
}

interface Running {
  startedAt: number;
  factor: number;
}

interface ScenarioState extends ScenarioDef {
  running: boolean;
  factor: number | null;
  /** 0 … 1: how far the fault has developed. */
  progress: number;
}

const round = (v: number, d: number): number => Math.round(v * 10 ** d) / 10 ** d;
const lerp = (a: number, b: number, p: number): number => a + (b - a) * p;

/** The plant: scenarios and signal values at a given wall-clock time. */
export class PlantModel {
  private readonly running = new Map<ScenarioId, Running>();
  private readonly random: Random;
  private readonly frozen = new Map<string, SignalSample>();
  private unit = 0;

  constructor(seed = 20261204, private readonly now: () => number = Date.now) {
    this.random = createRandom(seed);
  }

  start(id: string, factor: number = DEFAULT_FACTOR): ScenarioState {
    const def = SCENARIOS.find((s) => s.id === id);
    if (!def) throw new Error(`unknown scenario "${id}": one of ${SCENARIOS.map((s) => s.id).join(', ')}`);
    if (!Number.isFinite(factor) || factor < 1 || factor > 100_000) throw new Error(`factor must be a number from 1 to 100000, got ${String(factor)}`);
    this.running.set(def.id, { startedAt: this.now(), factor });
    return this.state(def);
  }

  stop(id: string): void {
    this.running.delete(id as ScenarioId);
    this.frozen.clear();
  }

  reset(): void {
    this.running.clear();
    this.frozen.clear();
  }

  progress(id: ScenarioId): number {
    const r = this.running.get(id);
    if (!r) return 0;
    const def = SCENARIOS.find((s) => s.id === id) as ScenarioDef;
    return Math.min(1, ((this.now() - r.startedAt) / 1000) * r.factor / def.durationSimSec);
  }

  isRunning(id: ScenarioId): boolean {
    return this.running.has(id);
  }

  scenarios(): ScenarioState[] {
    return SCENARIOS.map((s) => this.state(s));
  }

  private state(def: ScenarioDef): ScenarioState {
    const r = this.running.get(def.id);
    return { ...def, running: !!r, factor: r?.factor ?? null, progress: round(this.progress(def.id), 3) };
  }

  private gauss(): number {
    let u = 0;
    while (u === 0) u = this.random.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.random.next());
  }

  /** What the sensor reads now, without noise: the healthy value bent by any running scenario. */
  private ideal(s: SignalDef): number {
    const p = (id: ScenarioId): number => this.progress(id);
    switch (s.key) {
      case 'vibration': return lerp(s.base, 12, p('bearing-wear') ** 1.5);
      case 'bearing_temp': return lerp(s.base, 98, p('bearing-wear') ** 2);
      case 'motor_current': return lerp(s.base, 124, p('bearing-wear'));
      case 'DischargeTemperature': return lerp(s.base, 114, p('cooling-fault'));
      case 'OilTemperature': return lerp(s.base, 78, p('cooling-fault'));
      default: return s.base;
    }
  }

  sample(): SignalSample[] {
    const t = this.now();
    return SIGNALS.map((s) => {
      const asset = PLANT_ASSETS[s.asset];
      const fresh: SignalSample = {
        key: s.key, assetId: asset.assetId, protocol: s.protocol, metric: s.metric, unit: s.unit,
        value: round(this.ideal(s) + s.noise * this.gauss(), s.decimals), quality: 'good', sourceTime: t,
      };
      if (s.key === 'WindingTemperature' && this.isRunning('sensor-freeze')) {
        // A frozen transmitter keeps answering with its last value and timestamp, and says Good.
        if (!this.frozen.has(s.key)) this.frozen.set(s.key, fresh);
        return this.frozen.get(s.key) as SignalSample;
      }
      // A failed transducer keeps sending (noise on a dead input), every value marked Bad.
      if (s.key === 'Current' && this.isRunning('bad-quality')) return { ...fresh, quality: 'bad' };
      return fresh;
    });
  }

  /** One inspected part from camera CAM-901 at press PRS-701. */
  inspect(): InspectionRecord {
    const wear = this.progress('tool-wear');
    const drift = this.progress('coating-drift');
    const u = this.unit++;
    // A worn punch makes bigger holes and more burrs; a drifting coater spreads unevenly and thin.
    const bore = round(12 + 0.022 * wear + 0.002 * this.gauss(), 5);
    const level = 25 - 4 * drift;
    const spread = 0.4 + 1.8 * drift;
    const coating = [0, 1, 2, 3, 4].map((i) => round(level + spread * (i - 2) / 2 + 0.3 * this.gauss(), 3));
    const defects: InspectionRecord['defects'] = [];
    if (this.random.next() < 0.004 + 0.05 * wear) defects.push({ type: 'burr', severity: 'minor', confidence: 0.92 });
    if (this.random.next() < 0.003) defects.push({ type: 'scratch', severity: 'minor', confidence: 0.88 });
    if (this.random.next() < 0.002 + 0.04 * drift) defects.push({ type: 'coating-void', severity: 'major', confidence: 0.9 });
    const outOfSpec = bore > 12.02 || bore < 11.98 || coating.some((c) => c < 20 || c > 30);
    return {
      cameraId: PLANT_ASSETS.camera.assetId, station: PLANT_ASSETS.press.assetId, unitId: `U${u}`,
      timestamp: new Date(this.now()).toISOString(), product: 'BRKT-9', batch: `B${Math.floor(u / 5000) + 1}`, modelVersion: 'v3.2',
      result: outOfSpec || defects.some((d) => d.severity === 'major') ? 'fail' : 'pass', defects, measurements: { bore, coating },
    };
  }
}
