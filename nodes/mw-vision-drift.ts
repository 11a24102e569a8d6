// mw-vision-drift: statistical process control on AI-vision inspection records. Learns a frozen
// baseline per (asset, product, characteristic), watches mean, trend, capability, defect rate and
// spread, and sends one maintenance event of kind "drift" per episode. Baselines, detector state
// and open episodes live in a per-node SQLite file: written when something changes state, and
// checkpointed on a timer — never per record.
import path from 'node:path';
import type { MaintenanceEvent } from './core/contracts';
import { compileInputValidator, kindOf, validateAssetReadings, validateInspectionRecord, validateWorkOrderResult, validateWorkOrderStatus, type Validator } from './core/contracts';
import { DurableState } from './core/state/durable-state';
import {
  cusumArl, designFor, DriftEngine, lineSlots, normalizeInput, parseDriftSettings, parseSpecText, RateMeter,
  type DriftSettings, type Family, type GroupState, type SeriesGroup, type Summarize,
} from './core/spc';
import { ChartCache } from './core/spc/chart-cache';
import { sendAdminError } from './lib/admin-error';
import { onClose } from './lib/close';
import { rejected as rejectedMessage } from './lib/reject';
import { readConfinedSync } from './core/storage/confined-file';
import { fileAccess, nodeDataFile } from './lib/files';
import { controlOf, isEmptyPayload, warnLegacyControl } from './lib/control';
import { containPayload, onInput } from './lib/input';
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow, SendFn } from './lib/red';
import { registerNode } from './lib/red';
import { failed, idle, ok, showStatus, warning, throttledStatus } from './lib/status';
import type { Request, Response } from 'express';
import { errorMessage } from './core/error-message';

type DriftNodeDef = NodeDef & Record<string, unknown> & { specSource?: string; specFile?: string };

const STATUS_INTERVAL_MS = 1000;
const GROUPS = 'groups';
/** Work-order statuses that mean the machine was fixed (`closed` once the status contract has it). */
const COMPLETED: readonly string[] = ['done', 'closed'];
/** Warn about a characteristic the series limit keeps out at most this often. */
const UNTRACKED_WARN_MS = 60_000;

/** Each deployed node's measured line rates, for the editor's conversion of days into units. */
const meters = new Map<string, RateMeter>();

const stateFile = (RED: NodeAPI, id: string): string => nodeDataFile(RED, 'mw-vision-drift', id);

const CONTROLS = ['rebaseline', 'baselines'] as const;
/** The old topic form: only when the payload is not data (nothing, an inject timestamp, or a bare filter). */
function legacyControlOk(p: unknown): boolean {
  if (isEmptyPayload(p)) return true;
  // kindOf reads nothing: a Proxy or a Buffer is not a filter (and its traps are never called).
  if (kindOf(p).type !== 'object') return false;
  // A filter names only these keys; anything else (unitId, readings, measurements…) is a record.
  return Object.keys(p as object).every((k) => FILTER_KEYS.includes(k));
}
const FILTER_KEYS = ['assetId', 'asset', 'product', 'characteristic'];
/**
 * The contract a plain-object payload that is not a control must meet, told by `in` tests alone
 * (as normalizeInput tells them apart); null for a work-order status or result (validated whole).
 */
function contractOf(p: unknown): Validator<unknown> | null {
  if (kindOf(p).type !== 'object') return null;
  const o = p as Record<string, unknown>;
  if ('workOrderId' in o) return null;
  return 'inspection' in o && 'asset' in o ? validateAssetReadings : validateInspectionRecord;
}
interface RebaselineFilter { assetId?: string; asset?: string; product?: string; characteristic?: string }
const filterText = { type: 'string', minLength: 1, maxLength: 200 } as const;
const validateFilter = compileInputValidator<RebaselineFilter>({
  type: 'object', additionalProperties: false,
  properties: { assetId: filterText, asset: filterText, product: filterText, characteristic: filterText },
});

/** The settings that shape detector state: when they change, the running sums start over. */
function fingerprint(s: DriftSettings): string {
  return JSON.stringify([s.arl0, s.lambda, s.cusumK, s.largeShiftK, s.fir, s.rules, s.subgroupSize, s.trendWindow, s.capabilityWindow,
    s.defectSubgroup, s.defectSubgroupSize, s.defectSubgroupSeconds, s.perDefectType, s.minConfidence]);
}

/** Loads the spec file (at deploy, not on the message path) and puts its rows after the table's. */
function withSpecFile(RED: NodeAPI, config: DriftNodeDef, settings: DriftSettings): string[] {
  if (config.specSource !== 'file') return [];
  const file = String(config.specFile ?? '').trim();
  if (!file) return [RED._('mw-vision-drift.errors.no-spec-file')];
  // Confined to the user directory (or settings.js millwright.allowedFileDirs), a regular file, capped.
  const read = readConfinedSync(file, fileAccess(RED));
  if (!read.ok) return [RED._('mw-vision-drift.errors.spec-file', { file, message: read.error })];
  const parsed = parseSpecText(read.text, path.basename(read.path));
  settings.specs = [...settings.specs, ...parsed.rows];
  return parsed.errors;
}

function registerDesignRoute(RED: NodeAPI): void {
  // The editor shows what a setting costs before it is deployed: the budget in units, and the
  // parts it takes to detect a mean shift that arises mid-run (zero-state, no FIR head start:
  // the head start only helps right after a baseline).
  // The days → units conversion uses the rate the deployed node measured on its lines (the
  // fastest one) when it has one and the editor did not ask for the typed rate (`rate=typed`).
  RED.httpAdmin.get('/mw-vision-drift/design', RED.auth.needsPermission('mw-vision-drift.read'), (req: Request, res: Response) => {
    const q = req.query;
    const measured = typeof q.node === 'string' && q.rate !== 'typed' ? meters.get(q.node)?.fastest() ?? null : null;
    const parsed = parseDriftSettings({
      falseAlarmDays: q.falseAlarmDays, unitsPerHour: measured ? Number(measured.unitsPerHour.toPrecision(4)) : q.unitsPerHour, arl0: q.arl0,
      lambda: q.lambda, cusumK: q.k, largeShiftK: q.largeShiftK, fir: q.fir !== 'false',
      // The defect subgroup is checked against the budget only when the editor sends it.
      defectSubgroupUnits: q.defectSubgroupUnits, defectSubgroup: q.defectSubgroupUnits ? 'units' : 'batch',
    });
    const characteristics = Number(q.characteristics ?? 1);
    if (!parsed.ok || !Number.isInteger(characteristics) || characteristics < 0 || characteristics > 1000) {
      const errors = parsed.ok ? ['characteristics: a whole number from 0 to 1000'] : parsed.errors;
      sendAdminError(res, 400, 'bad-request', errors.join('; '), errors);
      return;
    }
    const s = parsed.value;
    const slots = lineSlots(characteristics);
    const d = designFor(s, slots, q.multiPoint === 'true');
    res.json({
      arl0: s.arl0, falseAlarmDays: s.falseAlarmDays, unitsPerHour: s.unitsPerHour, slots,
      rateSource: measured ? 'measured' : 'typed', measuredLines: measured ? measured.lines : 0,
      h: d.cusumH, hLarge: d.cusumLargeH, k: s.cusumK, kLarge: s.largeShiftK, cusumArl0: d.arl0.cusum, cusumLargeArl0: d.arl0.cusumLarge,
      arl: [0.5, 1, 2, 3].map((shift) => {
        const cusum = cusumArl({ k: s.cusumK, h: d.cusumH, fir: false }, shift, 80);
        const cusumLarge = cusumArl({ k: s.largeShiftK, h: d.cusumLargeH, fir: false }, shift, 80);
        return { shift, cusum, cusumLarge, fastest: Math.min(cusum, cusumLarge) };
      }),
    });
  });
}

export = function (RED: NodeAPI): void {
  registerDesignRoute(RED);

  const summaryKeys: Record<MaintenanceEvent['state'], string> = {
    raised: 'mw-vision-drift.summary.raised',
    escalated: 'mw-vision-drift.summary.escalated',
    cleared: 'mw-vision-drift.summary.cleared',
    'sensor-fault': 'mw-vision-drift.summary.raised',
  };
  const familyKeys: Record<Family, string> = {
    mean: 'mw-vision-drift.family.mean', rules: 'mw-vision-drift.family.rules', trend: 'mw-vision-drift.family.trend',
    capability: 'mw-vision-drift.family.capability', spread: 'mw-vision-drift.family.spread', defects: 'mw-vision-drift.family.defects',
  };
  const translate = RED._ as (key: string, params?: Record<string, string | number>) => string;
  const summarize: Summarize = (state, family, params) => {
    const text = translate(summaryKeys[state], { ...params, family: translate(familyKeys[family]) });
    return params.reason ? `${text} (${params.reason})` : text;
  };

  function MwVisionDriftNode(this: Node, config: DriftNodeDef): void {
    RED.nodes.createNode(this, config);
    const node = this;
    const parsed = parseDriftSettings(config);
    const problems = parsed.ok ? withSpecFile(RED, config, parsed.value) : parsed.errors;
    const settings = parsed.ok && problems.length === 0 ? parsed.value : null;
    let engine: DriftEngine | null = null;
    let state: DurableState | null = null;
    let checkpointTimer: NodeJS.Timeout | null = null;
    let lastWarned = 0;
    let rejected = 0;
    let storageProblem = false;
    const meter = new RateMeter();
    meters.set(node.id, meter);
    // Recent points per series for the Millwright sidebar's SPC pane (read by the sidebar plugin).
    const charts = new ChartCache();
    (node as Node & { sidebarCharts?: ChartCache }).sidebarCharts = charts;

    if (settings) {
      const design = designFor(settings);
      engine = new DriftEngine(settings, design, fingerprint(settings), summarize);
      try {
        state = new DurableState(stateFile(RED, node.id), {
          onMovedAside: (to, why) => node.warn(RED._('mw-vision-drift.errors.state-moved', { file: to, why })),
        });
        for (const snapshot of state.all<GroupState>(GROUPS).values()) engine.restore(snapshot);
      } catch (e) {
        storageProblem = true;
        node.error(RED._('mw-vision-drift.errors.state', { message: errorMessage(e) }));
      }
      if (settings.checkpointSeconds > 0) {
        checkpointTimer = setInterval(checkpoint, settings.checkpointSeconds * 1000);
        checkpointTimer.unref?.();
      }
    } else {
      node.error(RED._('mw-vision-drift.errors.invalid-config', { errors: problems.join('; ') }));
    }
    refreshStatus();

    /** Writes the groups that changed since the last write, in one transaction. */
    function checkpoint(): void {
      if (!engine || !state) return;
      const dirty: SeriesGroup[] = [];
      for (const g of engine.groups.values()) if (g.dirty) dirty.push(g);
      if (dirty.length > 0) persist(dirty);
    }

    function persist(groups: readonly SeriesGroup[]): void {
      if (!engine || !state) return;
      const e = engine;
      const s = state;
      try {
        s.batch(() => {
          for (const g of groups) {
            s.put(GROUPS, g.key, e.snapshot(g));
            g.dirty = false;
          }
        });
        storageProblem = false;
      } catch (err) {
        if (!storageProblem) node.error(RED._('mw-vision-drift.errors.state', { message: errorMessage(err) }));
        storageProblem = true;
      }
    }

    function refreshStatus(): void {
      if (!engine) return showStatus(RED, node, failed('mw-vision-drift.status.invalid-config'));
      const c = engine.counts();
      const params = { series: c.series, learning: c.learning, open: c.open, count: c.open, rejected };
      if (storageProblem) return showStatus(RED, node, failed('mw-vision-drift.status.storage', params));
      if (c.series === 0) return showStatus(RED, node, idle('mw-vision-drift.status.waiting'));
      if (c.open > 0) return showStatus(RED, node, warning('mw-vision-drift.status.drift', params));
      if (c.learning > 0) return showStatus(RED, node, idle('mw-vision-drift.status.learning', params));
      showStatus(RED, node, ok('mw-vision-drift.status.monitoring', params));
    }

    const status = throttledStatus(STATUS_INTERVAL_MS, refreshStatus);
    const scheduleStatus = (): void => status.schedule();

    function eventMessages(events: MaintenanceEvent[]): NodeMessage[] {
      return events.map((e) => ({ topic: 'drift', payload: e } as NodeMessage));
    }

    function reject(send: SendFn, msg: NodeMessageInFlow, reason: string, errors: string[]): Error {
      rejected++;
      const message = RED._('mw-vision-drift.errors.rejected', { reason, errors: errors.join('; ') });
      send([null, null, rejectedMessage(msg, { reason, errors }, reason, message, errors) as NodeMessage]);
      scheduleStatus();
      return new Error(message);
    }

    function rebaseline(send: SendFn, msg: NodeMessageInFlow, filter: { assetId?: string; product?: string; characteristic?: string }, reason: string, atMs: number): void {
      const e = engine as DriftEngine;
      const r = e.rebaseline(filter, reason, atMs);
      persist(r.groups);
      for (const ev of r.events) charts.mark(ev.asset.id, String(ev.details.product ?? ''), ev);
      send([eventMessages(r.events), { ...msg, payload: { rebaselined: r.groups.map((g) => ({ asset: g.asset.id, product: g.product })), reason } } as NodeMessage, null]);
      scheduleStatus();
    }

    /**
     * Messages from the work-order side, wired back into this node: mw-work-order's results
     * (`outcome`) and work-order status changes (`status`, from mw-wo-status). Only a completed work
     * order for an asset this node watches matters — the machine was fixed, what comes next is a
     * new normal; everything else that is well-formed is ignored without a word. Malformed ones are
     * rejected like any bad input.
     */
    function workOrderMessage(payload: Record<string, unknown>, msg: NodeMessageInFlow, send: SendFn, done: (err?: Error) => void): void {
      if ('outcome' in payload && !('status' in payload)) {
        const result = validateWorkOrderResult(payload);
        done(result.ok ? undefined : reject(send, msg, 'invalid', result.errors));
        return;
      }
      const wo = validateWorkOrderStatus(payload);
      if (!wo.ok) {
        done(reject(send, msg, 'invalid', wo.errors));
        return;
      }
      const e = engine as DriftEngine;
      const watched = [...e.groups.values()].some((g) => g.asset.id === wo.value.assetId);
      if (COMPLETED.includes(wo.value.status) && watched) {
        const at = Date.parse(wo.value.changedAt);
        rebaseline(send, msg, { assetId: wo.value.assetId }, RED._('mw-vision-drift.reason.work-order', { id: wo.value.workOrderId }), Number.isFinite(at) ? at : Date.now());
      }
      done();
    }

    function report(): object[] {
      const e = engine as DriftEngine;
      const out: object[] = [];
      for (const g of e.groups.values()) {
        const series: Record<string, unknown> = {};
        for (const [c, m] of g.monitors) series[c] = { learning: m.learning, baseline: m.baseline, unitsSinceBaseline: m.units, spec: m.spec ?? null };
        out.push({ asset: g.asset.id, siteId: g.asset.siteId, product: g.product, modelVersion: g.modelVersion, units: g.units, series, defects: { learning: g.defects.learning, baseline: g.defects.baseline } });
      }
      return out;
    }

    onInput(node, (msg, send, done) => {
      if (!engine) {
        done(reject(send, msg, 'invalid-config', problems));
        return;
      }
      // Control by msg.control; the old msg.topic form only when the payload is not a record (an
      // inspection record on a topic called "rebaseline" is a record, and is never swallowed).
      const which = controlOf(msg, CONTROLS, legacyControlOk);
      // Size and shape first (an image Buffer wired in by mistake is the classic): rejected before
      // any validator, with a small stand-in payload that Catch nodes can copy. A record (or mapped
      // readings) lacking a required property is refused by name lookups before the walk: listing
      // the keys of a million-key object alone costs V8 half a second.
      const shape = containPayload(msg, which ? null : contractOf(msg.payload));
      if (shape) {
        done(reject(send, msg, 'invalid', [shape.error]));
        return;
      }
      const payload = msg.payload as Record<string, unknown> | null;
      if (which && 'invalid' in which) {
        done(reject(send, msg, 'invalid-control', [which.invalid]));
        return;
      }
      if (which?.name === 'rebaseline') {
        // The filter is validated as strictly as a record: {assetId: 123} is an error, not "everything".
        const f = validateFilter(isEmptyPayload(payload) ? {} : payload);
        if (!f.ok) {
          done(reject(send, msg, 'invalid-control', f.errors));
          return;
        }
        const filter = f.value;
        if (which.legacy) warnLegacyControl(RED, node, which.name);
        rebaseline(send, msg, { assetId: filter.assetId ?? filter.asset, product: filter.product, characteristic: filter.characteristic }, RED._('mw-vision-drift.reason.control'), Date.now());
        done();
        return;
      }
      if (which?.name === 'baselines') {
        if (which.legacy) warnLegacyControl(RED, node, which.name);
        send([null, { ...msg, payload: report() } as NodeMessage, null]);
        done();
        return;
      }
      if (payload && typeof payload === 'object' && !Array.isArray(payload) && 'workOrderId' in payload) {
        workOrderMessage(payload, msg, send, done);
        return;
      }
      const unit = normalizeInput(payload, (settings as DriftSettings).site);
      if (!unit.ok) {
        done(reject(send, msg, unit.reason, unit.errors));
        return;
      }
      const r = engine.process(unit.value);
      meter.add(`${unit.value.asset.id}\u0000${unit.value.product}`, unit.value.tMs);
      if (r.transition && r.group) persist([r.group]);
      if (r.group) {
        const g = r.group;
        for (const c in unit.value.record.measurements ?? {}) {
          const m = g.monitors.get(c);
          if (m) charts.point(g.asset.id, g.product, m, unit.value.tMs);
        }
        for (const e of r.events) charts.mark(g.asset.id, g.product, e);
      }
      if (r.untracked.length > 0) {
        const now = Date.now();
        if (now - lastWarned > UNTRACKED_WARN_MS) {
          lastWarned = now;
          node.warn(RED._('mw-vision-drift.errors.untracked', { max: (settings as DriftSettings).maxSeries, names: r.untracked.join(', ') }));
        }
      }
      if ((settings as DriftSettings).annotate && r.group) {
        const series: Record<string, unknown> = {};
        for (const c in unit.value.record.measurements ?? {}) {
          const m = r.group.monitors.get(c);
          if (m) series[c] = m.stats();
        }
        // `defects` stays the phase word of earlier versions; `defectCharts` carries the p charts' points and limits.
        (msg as NodeMessageInFlow & { spc?: unknown }).spc = {
          asset: unit.value.asset.id, product: unit.value.product, series,
          defects: r.group.defects.learning ? 'learning' : 'monitoring', defectCharts: r.group.defects.stats(),
        };
      }
      send([r.events.length > 0 ? eventMessages(r.events) : null, msg as NodeMessage, null]);
      scheduleStatus();
      done();
    });

    onClose(RED, node, () => {
      if (meters.get(node.id) === meter) meters.delete(node.id);
      if (checkpointTimer) clearInterval(checkpointTimer);
      status.stop();
      checkpointTimer = null;
      charts.clear();
      checkpoint();
      state?.close();
      state = null;
    });
  }

  registerNode(RED, 'mw-vision-drift', MwVisionDriftNode);
};
