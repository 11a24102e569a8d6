// mw-asset-map: a protocol message in (MQTT, Modbus, OPC UA, vision records), asset readings out, one
// message per asset; whatever cannot be mapped goes to the second output with the reason, and the
// status counts it, so unmapped identifiers are seen at a glance.
import type { NodeMessageInFlow } from 'node-red';
import type { MapNodeSettings } from './core/assets/settings';
import { parseMapSettings } from './core/assets/settings';
import { verificationReport, type RegistryHandle } from './core/assets/handle';
import { namespaceArrayOf } from './core/assets/housekeeping';
import { ModbusFlow, type ModbusLink } from './core/assets/modbus-link';
import { iso, mapMessage, type ExceptionReason, type InputMessage, type MapContext, type MapException, type MapResult } from './core/assets/resolve';
import type { RegistryService } from './core/assets/service';
import { sendAdminError } from './lib/admin-error';
import { onClose } from './lib/close';
import { rejected } from './lib/reject';
import { containPayload, onInput } from './lib/input';
import type { DoneFn, Node, NodeAPI, NodeDef, NodeMessage, SendFn } from './lib/red';
import { registerNode } from './lib/red';
import { countPart, joinParts, failed, idle, ok, showStatus, warning, throttledStatus } from './lib/status';

type MapNodeDef = NodeDef & MapNodeSettings;

const STATUS_INTERVAL_MS = 500;
/** Messages held while the map loads for the first time (a 100 000-row map takes a second or two); more are answered as unmapped. */
const MAX_HELD = 10_000;
const NO_CONNECTIONS: readonly string[] = Object.freeze([]);
/** Distinct unmapped identifiers remembered for the status and the `unmapped` report. */
const MAX_UNMAPPED = 1000;
/** How long the names of a Modbus read node's connection are reused before looking again. */
const CONNECTION_TTL_MS = 60_000;
const CONTROLS = ['verify', 'reload', 'unmapped', 'reset'] as const;
type Control = (typeof CONTROLS)[number];

/** Reasons that mean the message itself was bad: they also go to done(err), so Catch nodes see them. */
const ERROR_REASONS: ReadonlySet<ExceptionReason> = new Set(['invalid', 'decode-error']);
/**
 * A sensor publishing "ERR" every second would fire a Catch node (and the log) every second: a bad
 * message reaches done(err) once per identifier in this interval; output 2 still gets every one, and
 * the status counts every one.
 */
const ERROR_REPORT_INTERVAL_MS = 60_000;

interface Held {
  msg: NodeMessageInFlow;
  send: SendFn;
  done: DoneFn;
}

/** One line for a person: the reason, the identifier and what was wrong (msg.error.message, done(err)). */
function exceptionText(e: MapException): string {
  return `${e.reason}: ${e.identifier ?? ''} ${e.errors.join('; ')}`.trim();
}

/**
 * The Modbus nodes' raw response and request (a Buffer and the polling message) would travel on
 * through mw-threshold into mw-work-order's outbox; the block is named in payload.source.ref, so
 * they are dropped from the readings and exception messages.
 */
const PROTOCOL_PARTS = ['responseBuffer', 'input', 'modbusRequest'] as const;
function dropProtocolParts(msg: NodeMessageInFlow): void {
  const m = msg as unknown as Record<string, unknown>;
  for (const k of PROTOCOL_PARTS) if (m[k] !== undefined) delete m[k];
}

function controlOf(msg: NodeMessageInFlow): Control | null {
  const m = msg as unknown as Record<string, unknown>;
  // Checked on every message: four reads, and only then the exact test.
  if (m.verify === undefined && m.reload === undefined && m.unmapped === undefined && m.reset === undefined) return null;
  for (const c of CONTROLS) if (Object.prototype.hasOwnProperty.call(msg, c)) return c;
  return null;
}

export = function (RED: NodeAPI): void {
  function MwAssetMapNode(this: Node, config: MapNodeDef): void {
    RED.nodes.createNode(this, config);
    const node = this;
    const settings = parseMapSettings(config);
    const handle = RED.nodes.getNode(config.registry ?? '') as (Node & RegistryHandle) | null;
    const counts = { messages: 0, readings: 0, exceptions: 0 } as Record<string, number>;
    const unmapped = new Map<string, { kind: string; count: number; lastSeen: string }>();
    let held: Held[] = [];

    const service = (): RegistryService | null => handle?.service ?? null;

    function refreshStatus(): void {
      if (!settings.ok) return showStatus(RED, node, failed('mw-asset-map.status.invalid-config'));
      const s = service();
      if (!handle) return showStatus(RED, node, failed('mw-asset-map.status.no-registry'));
      if (!s) return showStatus(RED, node, failed('mw-asset-map.status.registry-invalid'));
      if (!s.registry) {
        return showStatus(RED, node, s.state === 'failed' ? failed('mw-asset-map.status.map-failed', { count: s.lastLoad?.errorCount ?? 0 }) : idle('mw-asset-map.status.loading'));
      }
      const errors = counts.exceptions - (counts.unmapped ?? 0);
      // Short parts, only the non-zero ones, so the text stays clear of the neighbouring nodes.
      const problems = joinParts(countPart(RED, 'mw-asset-map.status.unmapped', unmapped.size), countPart(RED, 'mw-asset-map.status.exceptions', errors));
      const params = { mapped: counts.readings, count: counts.readings, problems: problems === '' ? '' : ` · ${problems}` };
      if (s.isVerifying) return showStatus(RED, node, idle('mw-asset-map.status.verifying', params));
      if (s.lastLoad && !s.lastLoad.ok) {
        // Which row broke the new map ("editor row 9", "map.csv line 3"); the whole list is in the log.
        const first = s.lastLoad.errors[0] ?? '';
        const where = first.includes(':') ? first.slice(0, first.indexOf(':')) : first;
        return showStatus(RED, node, warning('mw-asset-map.status.map-kept', { ...params, where: where.slice(0, 40), count: s.lastLoad.errorCount }));
      }
      if (unmapped.size > 0 || errors > 0) return showStatus(RED, node, warning('mw-asset-map.status.counts', params));
      showStatus(RED, node, ok('mw-asset-map.status.counts', params));
    }
    const status = throttledStatus(STATUS_INTERVAL_MS, refreshStatus);
    const scheduleStatus = (): void => status.schedule();

    /**
     * What the deployed flow says about a Modbus message's node: its client connection's names and
     * unit, and its request (for failure messages that lost it). Read from the flow's node
     * configurations, again after CONNECTION_TTL_MS so that a redeploy is seen.
     */
    const fixedConnection = settings.ok && settings.value.connection ? settings.value.connection : null;
    let flow: { index: ModbusFlow; at: number } | null = null;
    function modbusFlow(now: number): ModbusFlow {
      if (flow === null || now - flow.at >= CONNECTION_TTL_MS) {
        const configs: Array<Record<string, unknown>> = [];
        RED.nodes.eachNode((n) => { configs.push(n as unknown as Record<string, unknown>); });
        flow = { index: new ModbusFlow(configs), at: now };
      }
      return flow.index;
    }
    function modbusLink(msg: NodeMessageInFlow, now: number): ModbusLink | null {
      const m = msg as unknown as { sendingNodeId?: unknown; error?: unknown; from?: unknown; topic?: unknown; payload?: unknown };
      const failure = m.error !== undefined && m.error !== null && (m.payload === '' || typeof m.payload === 'object');
      if (!Array.isArray(m.payload) && !failure) return null;
      const index = modbusFlow(now);
      if (failure) {
        const failed = index.ofFailure(m);
        return fixedConnection ? { ...index.ofConnection(fixedConnection), request: failed?.request ?? null } : failed;
      }
      if (fixedConnection) return index.ofConnection(fixedConnection);
      return typeof m.sendingNodeId === 'string' ? index.ofNode(m.sendingNodeId) : null;
    }

    /** True when this identifier's bad messages were not reported to done(err) in the last interval. */
    const reported = new Map<string, number>();
    function reportNow(identifier: string, now: number): boolean {
      const last = reported.get(identifier);
      if (last !== undefined && now - last < ERROR_REPORT_INTERVAL_MS) {
        counts.quieted = (counts.quieted ?? 0) + 1;
        return false;
      }
      if (reported.size >= MAX_UNMAPPED) reported.clear();
      reported.set(identifier, now);
      return true;
    }

    function count(result: MapResult, exceptions: readonly MapException[]): void {
      counts.messages += 1;
      counts.readings += result.readings.length;
      for (const e of exceptions) {
        counts.exceptions += 1;
        counts[e.reason] = (counts[e.reason] ?? 0) + 1;
        if (e.reason === 'unmapped' && e.identifier !== null) {
          const u = unmapped.get(e.identifier);
          if (u) {
            u.count += 1;
            u.lastSeen = iso(ctx.now);
          } else if (unmapped.size < MAX_UNMAPPED) {
            unmapped.set(e.identifier, { kind: e.source.kind, count: 1, lastSeen: iso(ctx.now) });
          }
        }
      }
    }

    // One context object, refreshed per message: mapMessage is synchronous and keeps no reference.
    const ctx: MapContext = { registry: null, requireVerified: false, source: settings.ok ? settings.value.source : 'auto', now: 0, connections: NO_CONNECTIONS, cmmsDialect: null };

    function handle1(msg: NodeMessageInFlow, send: SendFn, done: DoneFn): void {
      const s = service();
      ctx.registry = s?.registry ?? null;
      ctx.noRegistry = ctx.registry ? undefined : !handle ? RED._('mw-asset-map.errors.no-registry')
        : !s ? RED._('mw-asset-map.errors.registry-invalid', { errors: handle.configErrors.join('; ') })
          : s.lastLoad?.errors[0];
      ctx.requireVerified = s?.requireVerified ?? false;
      ctx.now = Date.now();
      const link = modbusLink(msg, ctx.now);
      ctx.connections = link?.names ?? NO_CONNECTIONS;
      ctx.clientUnit = link?.clientUnit ?? null;
      ctx.failedRequest = link?.request ?? null;
      ctx.cmmsDialect = s?.dialect ?? null;
      const result = mapMessage(msg as unknown as InputMessage, ctx);
      if (result.housekeeping !== undefined) {
        // A protocol node's own message (subscription id, raw response): counted, not flagged.
        counts.housekeeping = (counts.housekeeping ?? 0) + 1;
        if (result.housekeeping === 'opcua-namespace-array') s?.learnNamespaces(namespaceArrayOf(msg as unknown as InputMessage) ?? []);
        done();
        return;
      }
      if (result.kind === 'modbus') dropProtocolParts(msg);
      count(result, result.exceptions);
      if (result.failure !== undefined) counts.modbusErrors = (counts.modbusErrors ?? 0) + 1;
      const failures = result.exceptions.length === 0 ? null : result.exceptions.map((e) => rejected(msg, { payload: e, reason: e.reason }, e.reason, exceptionText(e), e.errors) as NodeMessage);
      let first: NodeMessage[] | NodeMessage | null = null;
      if (result.readings.length === 1) {
        // One asset: the message itself carries the readings on (no copy, as Node-RED does).
        msg.payload = result.readings[0];
        first = msg;
      } else if (result.readings.length > 1) {
        first = result.readings.map((r, i) => (i === 0 ? Object.assign(msg, { payload: r }) : ({ ...msg, payload: r }) as NodeMessage));
      }
      if (failures === null) {
        if (first) send([first, null]);
        scheduleStatus();
        done();
        return;
      }
      send([first, failures.length === 1 ? failures[0] : failures]);
      scheduleStatus();
      const bad = result.exceptions.filter((e) => ERROR_REASONS.has(e.reason) && reportNow(e.identifier ?? '', ctx.now));
      // A rejected message whose payload is huge, deep or unreadable reaches Catch nodes with a small
      // stand-in (Node-RED copies the message for them). Only when no reading reuses the message.
      if (bad.length > 0 && result.readings.length === 0) containPayload(msg);
      if (bad.length > 0) done(new Error(bad.map(exceptionText).join(' | ')));
      else done();
    }

    function release(): void {
      const waiting = held;
      held = [];
      for (const h of waiting) {
        try {
          handle1(h.msg, h.send, h.done);
        } catch (e) {
          h.done(e instanceof Error ? e : new Error(String(e)));
        }
      }
    }

    function unmappedList(): Array<{ identifier: string; kind: string; count: number; lastSeen: string }> {
      return [...unmapped].map(([identifier, u]) => ({ identifier, ...u })).sort((a, b) => b.count - a.count);
    }

    async function control(which: Control, msg: NodeMessageInFlow, send: SendFn): Promise<void> {
      const s = service();
      const reply = (payload: unknown): void => send([null, { ...msg, topic: which, payload } as NodeMessage]);
      switch (which) {
        case 'unmapped':
          reply(unmappedList());
          return;
        case 'reset':
          for (const k of Object.keys(counts)) counts[k] = 0;
          unmapped.clear();
          reported.clear();
          reply({ reset: true });
          scheduleStatus();
          return;
        case 'reload':
          if (!s) throw new Error(RED._('mw-asset-map.errors.registry-invalid', { errors: handle?.configErrors.join('; ') ?? '' }));
          reply(await s.reload());
          return;
        case 'verify':
          if (!s) throw new Error(RED._('mw-asset-map.errors.registry-invalid', { errors: handle?.configErrors.join('; ') ?? '' }));
          await s.verify();
          reply(verificationReport(s));
          return;
      }
    }

    if (!settings.ok) node.error(RED._('mw-asset-map.errors.invalid-config', { errors: settings.errors.join('; ') }));
    else if (!handle) node.error(RED._('mw-asset-map.errors.no-registry'));
    const unsubscribe = handle?.subscribe(() => {
      if (held.length > 0 && service()?.state !== 'loading') release();
      scheduleStatus();
    });
    scheduleStatus();

    // Synchronous for readings (no promise per message); a control message returns the promise of
    // its work, and the wrapper ends the message when that settles.
    onInput(node, (msg, send, done) => {
      const which = controlOf(msg);
      if (which) return control(which, msg, send);
      const s = service();
      if (s && !s.registry && s.state === 'loading') {
        if (held.length < MAX_HELD) {
          held.push({ msg, send, done });
          return;
        }
      }
      handle1(msg, send, done);
    });

    (node as Node & { unmappedReport?: () => unknown }).unmappedReport = unmappedList;
    /** The counters behind the status (messages, readings, each exception reason, housekeeping), for tests and diagnostics. */
    (node as Node & { counters?: () => Record<string, number> }).counters = () => ({ ...counts });

    onClose(RED, node, () => {
      status.stop();
      unsubscribe?.();
      const waiting = held;
      held = [];
      for (const h of waiting) h.done(new Error(RED._('mw-asset-map.errors.closed-while-loading')));
      unmapped.clear();
      reported.clear();
      flow = null;
    });
  }

  registerNode(RED, 'mw-asset-map', MwAssetMapNode);

  RED.httpAdmin.get('/mw-asset-map/:id/unmapped', RED.auth.needsPermission('mw-asset-map.read'), (req, res) => {
    const n = RED.nodes.getNode(String(req.params.id)) as (Node & { unmappedReport?: () => unknown }) | null;
    if (!n || n.type !== 'mw-asset-map') {
      sendAdminError(res, 404, 'not-found', RED._('mw-asset-map.errors.not-deployed'));
      return;
    }
    res.json(n.unmappedReport?.() ?? []);
  });
};
