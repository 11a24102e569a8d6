// mw-vision-drift: statistical process control on AI-vision inspection records. Learns a frozen
// baseline per (asset, product, characteristic), watches mean, trend, capability, defect rate and
// spread, and sends one maintenance event of kind "drift" per episode. Baselines, detector state
// and open episodes live in a per-node SQLite file: written when something changes state, and
// checkpointed on a timer — never per record.
import path from 'node:path';
import type { MaintenanceEvent } from './core/contracts';
import { validateWorkOrderResult, validateWorkOrderStatus } from './core/contracts';
import { DurableState } from './core/state/durable-state';
import {
  designFor, DriftEngine, normalizeInput, parseDriftSettings, parseSpecText, RateMeter,
  type DriftSettings, type Family, type GroupState, type SeriesGroup, type Summarize,
} from './core/spc';
import { ChartCache } from './core/spc/chart-cache';
import { onClose } from './lib/close';
import { rejected as rejectedMessage } from './lib/reject';
import { readConfined, withoutQuotedContent } from './core/storage/confined-file';
import { LoadingGate } from './lib/held-input';
import { meters, registerDesignRoute } from './lib/vision-drift-routes';
import { CONTROLS, contractOf, legacyControlOk, validateFilter } from './lib/vision-drift-input';
import { fileAccess, nodeDataFile } from './lib/files';
import { controlOf, isEmptyPayload, warnLegacyControl } from './lib/control';
import { containPayload, onInput } from './lib/input';
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow, SendFn } from './lib/red';
import { registerNode } from './lib/red';
import { failed, idle, ok, showStatus, warning, throttledStatus } from './lib/status';
import { errorMessage } from './core/error-message';

type DriftNodeDef = NodeDef & Record<string, unknown> & { specSource?: string; specFile?: string };

const STATUS_INTERVAL_MS = 1000;
const GROUPS = 'groups';
/** Work-order statuses that mean the machine was fixed (`closed` once the status contract has it). */
const COMPLETED: readonly string[] = ['done', 'closed'];
/** Warn about a characteristic the series limit keeps out at most this often. */
const UNTRACKED_WARN_MS = 60_000;

const stateFile = (RED: NodeAPI, id: string): string => nodeDataFile(RED, 'mw-vision-drift', id);

/** The settings that shape detector state: when they change, the running sums start over. */
function fingerprint(s: DriftSettings): string {
  return JSON.stringify([s.arl0, s.lambda, s.cusumK, s.largeShiftK, s.fir, s.rules, s.subgroupSize, s.trendWindow, s.capabilityWindow,
    s.defectSubgroup, s.defectSubgroupSize, s.defectSubgroupSeconds, s.perDefectType, s.minConfidence]);
}

/**
 * Reads the spec file (at deploy, asynchronously, never on the message path) and puts its rows after
 * the table's; resolves with the problems found (none: the settings are complete).
 */
async function withSpecFile(RED: NodeAPI, config: DriftNodeDef, settings: DriftSettings): Promise<string[]> {
  if (config.specSource !== 'file') return [];
  const file = String(config.specFile ?? '').trim();
  if (!file) return [RED._('mw-vision-drift.errors.no-spec-file')];
  // Confined to the user directory (or settings.js millwright.allowedFileDirs), a regular file, capped.
  const read = await readConfined(file, fileAccess(RED));
  if (!read.ok) return [RED._('mw-vision-drift.errors.spec-file', { file, message: read.error })];
  const parsed = parseSpecText(read.text, path.basename(read.path));
  settings.specs = [...settings.specs, ...parsed.rows];
  return parsed.errors.map(withoutQuotedContent);
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
    let problems: string[] = parsed.ok ? [] : parsed.errors;
    let settings: DriftSettings | null = null;
    let engine: DriftEngine | null = null;
    let state: DurableState | null = null;
    let checkpointTimer: NodeJS.Timeout | null = null;
    let lastWarned = 0;
    let rejected = 0;
    let storageProblem = false;
    let fileProblem = '';
    const meter = new RateMeter();
    meters.set(node.id, meter);
    // Recent points per series for the Millwright sidebar's SPC pane (read by the sidebar plugin).
    const charts = new ChartCache();
    (node as Node & { sidebarCharts?: ChartCache }).sidebarCharts = charts;
    // Records that come while the spec file loads wait here (nodes/lib/held-input.ts).
    const gate = new LoadingGate();

    function start(s: DriftSettings): void {
      settings = s;
      engine = new DriftEngine(s, designFor(s), fingerprint(s), summarize);
      try {
        state = new DurableState(stateFile(RED, node.id), {
          onMovedAside: (to, why) => node.warn(RED._('mw-vision-drift.errors.state-moved', { file: to, why })),
        });
        for (const snapshot of state.all<GroupState>(GROUPS).values()) engine.restore(snapshot);
      } catch (e) {
        storageProblem = true;
        node.error(RED._('mw-vision-drift.errors.state', { message: errorMessage(e) }));
      }
      if (s.checkpointSeconds > 0) {
        checkpointTimer = setInterval(checkpoint, s.checkpointSeconds * 1000);
        checkpointTimer.unref?.();
      }
    }

    /** Settings and (once read) the spec file checked: the node starts, or says why not. */
    function settled(found: string[], fromFile: boolean): void {
      problems = [...problems, ...found];
      if (parsed.ok && problems.length === 0) start(parsed.value);
      else node.error(RED._('mw-vision-drift.errors.invalid-config', { errors: problems.join('; ') }));
      if (fromFile && problems.length > 0) fileProblem = problems[0].slice(0, 60);
      if (engine) gate.open((h) => handle(h.msg, h.send, h.done));
      else gate.fail((h) => h.done(reject(h.send, h.msg, 'invalid-config', problems)));
      refreshStatus();
    }

    if (parsed.ok && config.specSource === 'file') {
      // Read without blocking the runtime (a slow share, a large file); records wait in the gate.
      refreshStatus();
      withSpecFile(RED, config, parsed.value).then(
        (found) => { if (gate.state === 'loading') settled(found, true); },
        (e: unknown) => { if (gate.state === 'loading') settled([errorMessage(e)], true); },
      );
    } else {
      settled([], false);
    }

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
      if (gate.state === 'loading') return showStatus(RED, node, idle('mw-vision-drift.status.loading'));
      if (!engine) return showStatus(RED, node, fileProblem ? failed('mw-vision-drift.status.file-failed', { message: fileProblem }) : failed('mw-vision-drift.status.invalid-config'));
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
      if (gate.state !== 'loading') return handle(msg, send, done);
      if (gate.hold({ msg, send, done }) === 'full') {
        const text = RED._('mw-vision-drift.errors.held-full', { count: gate.waiting });
        // The payload is kept for a Catch flow to retry it, unless it is oversized or unreadable (bounded check).
        containPayload(msg);
        done(reject(send, msg, 'loading', [text]));
      }
    });

    function handle(msg: NodeMessageInFlow, send: SendFn, done: (err?: Error) => void): void {
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
    }

    onClose(RED, node, () => {
      // Closed while the spec file loads: held records end now, and the load, when it ends, starts nothing.
      gate.close((h) => h.done(new Error(RED._('mw-vision-drift.errors.closed-while-loading'))));
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
