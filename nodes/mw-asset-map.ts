// mw-asset-map: a protocol message in (MQTT, Modbus, OPC UA, vision records), asset readings out, one
// message per asset; whatever cannot be mapped goes to the second output with the reason, and the
// status counts it, so unmapped identifiers are seen at a glance.
import type { NodeMessageInFlow } from 'node-red';
import type { MapNodeSettings } from './core/assets/config';
import { parseMapSettings } from './core/assets/config';
import { verificationReport, type RegistryHandle } from './core/assets/handle';
import { iso, mapMessage, type ExceptionReason, type InputMessage, type MapContext, type MapException, type MapResult } from './core/assets/resolve';
import type { RegistryService } from './core/assets/service';
import { onClose } from './lib/close';
import { onInput } from './lib/input';
import type { DoneFn, Node, NodeAPI, NodeDef, NodeMessage, SendFn } from './lib/red';
import { registerNode } from './lib/red';
import { failed, idle, ok, showStatus, warning, throttledStatus } from './lib/status';

type MapNodeDef = NodeDef & MapNodeSettings;

const STATUS_INTERVAL_MS = 500;
/** Messages held while the map loads for the first time (a 100 000-row map takes a second or two); more are answered as unmapped. */
const MAX_HELD = 10_000;
const NO_CONNECTIONS: readonly string[] = Object.freeze([]);
/** Distinct unmapped identifiers remembered for the status and the `unmapped` report. */
const MAX_UNMAPPED = 1000;
/** How long the names of a Modbus read node's connection are reused before looking again. */
const CONNECTION_TTL_MS = 60_000;
const MAX_CONNECTIONS = 256;
const CONTROLS = ['verify', 'reload', 'unmapped', 'reset'] as const;
type Control = (typeof CONTROLS)[number];

/** Reasons that mean the message itself was bad: they also go to done(err), so Catch nodes see them. */
const ERROR_REASONS: ReadonlySet<ExceptionReason> = new Set(['invalid', 'decode-error']);

interface Held {
  msg: NodeMessageInFlow;
  send: SendFn;
  done: DoneFn;
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
    const connections = new Map<string, { names: readonly string[]; at: number }>();
    let held: Held[] = [];

    const service = (): RegistryService | null => handle?.service ?? null;

    function refreshStatus(): void {
      if (!settings.ok) return showStatus(RED, node, failed('mw-asset-map.status.invalid-config'));
      const s = service();
      if (!handle) return showStatus(RED, node, failed('mw-asset-map.status.no-registry'));
      if (!s) return showStatus(RED, node, failed('mw-asset-map.status.registry-invalid'));
      if (!s.registry) {
        return showStatus(RED, node, s.state === 'failed' ? failed('mw-asset-map.status.map-failed', { errors: s.lastLoad?.errorCount ?? 0 }) : idle('mw-asset-map.status.loading'));
      }
      const params = { rows: s.registry.rowCount, mapped: counts.readings, unmapped: unmapped.size, errors: counts.exceptions - (counts.unmapped ?? 0) };
      if (s.isVerifying) return showStatus(RED, node, idle('mw-asset-map.status.verifying', params));
      if (s.lastLoad && !s.lastLoad.ok) return showStatus(RED, node, warning('mw-asset-map.status.file-error', params));
      if (unmapped.size > 0 || params.errors > 0) return showStatus(RED, node, warning('mw-asset-map.status.counts', params));
      showStatus(RED, node, ok('mw-asset-map.status.counts', params));
    }
    const status = throttledStatus(STATUS_INTERVAL_MS, refreshStatus);
    const scheduleStatus = (): void => status.schedule();

    /**
     * The names a Modbus read node's connection goes by (client node name, host:port, host, id),
     * found from the message's sendingNodeId in the deployed flow; cached, bounded.
     */
    const fixedConnection: readonly string[] | null = settings.ok && settings.value.connection ? [settings.value.connection] : null;
    function connectionNames(msg: NodeMessageInFlow): readonly string[] {
      if (fixedConnection) return fixedConnection;
      const sender = (msg as { sendingNodeId?: unknown }).sendingNodeId;
      if (typeof sender !== 'string') return NO_CONNECTIONS;
      const now = Date.now();
      const hit = connections.get(sender);
      if (hit && now - hit.at < CONNECTION_TTL_MS) return hit.names;
      let server: string | undefined;
      const configs = new Map<string, Record<string, unknown>>();
      RED.nodes.eachNode((n) => {
        const c = n as unknown as Record<string, unknown>;
        if (c.id === sender && typeof c.server === 'string') server = c.server;
        configs.set(String(c.id), c);
      });
      const client = server ? configs.get(server) : undefined;
      const text = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v.trim() : typeof v === 'number' ? String(v) : null);
      const names = client ? [text(client.name), client.tcpHost ? `${text(client.tcpHost)}:${text(client.tcpPort) ?? '502'}` : null,
        text(client.tcpHost), text(client.serialPort), text(client.id)].filter((n): n is string => n !== null) : [];
      if (connections.size >= MAX_CONNECTIONS) connections.clear();
      connections.set(sender, { names, at: now });
      return names;
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
      ctx.connections = Array.isArray(msg.payload) ? connectionNames(msg) : NO_CONNECTIONS;
      ctx.cmmsDialect = s?.dialect ?? null;
      const result = mapMessage(msg as unknown as InputMessage, ctx);
      count(result, result.exceptions);
      const failures = result.exceptions.length === 0 ? null : result.exceptions.map((e) => ({ ...msg, payload: e, reason: e.reason }) as NodeMessage);
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
      const bad = result.exceptions.filter((e) => ERROR_REASONS.has(e.reason));
      if (bad.length > 0) done(new Error(bad.map((e) => `${e.reason}: ${e.identifier ?? ''} ${e.errors.join('; ')}`).join(' | ')));
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

    onClose(node, () => {
      status.stop();
      unsubscribe?.();
      const waiting = held;
      held = [];
      for (const h of waiting) h.done(new Error(RED._('mw-asset-map.errors.closed-while-loading')));
      unmapped.clear();
      connections.clear();
    });
  }

  registerNode(RED, 'mw-asset-map', MwAssetMapNode);

  RED.httpAdmin.get('/mw-asset-map/:id/unmapped', RED.auth.needsPermission('mw-asset-map.read'), (req, res) => {
    const n = RED.nodes.getNode(String(req.params.id)) as (Node & { unmappedReport?: () => unknown }) | null;
    if (!n || n.type !== 'mw-asset-map') {
      res.status(404).json({ error: RED._('mw-asset-map.errors.not-deployed') });
      return;
    }
    res.json(n.unmappedReport?.() ?? []);
  });
};
