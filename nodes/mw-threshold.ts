// mw-threshold: alarm rules on asset readings → maintenance events, one episode per problem.
// The engine (nodes/core/alarms) does the alarm semantics and AlarmRuntime its timers and commits;
// this adapter wires them to Node-RED: messages in, events and replies out, status and logs.
import { performance } from 'node:perf_hooks';
import {
  AlarmEngine, AlarmRuntime, acknowledge, CONTROL_TOPICS, ControlError, healthRequest, loadRules, loadRulesFile, markClean,
  parseThresholdSettings, restoreFromStore, setService, shelve, surelyValidReadings, unshelve, workOrderUpdate,
  type ControlTopic, type LoadedRules, type ThresholdNodeSettings, type ThresholdOptions,
} from './core/alarms';
import type { MaintenanceEvent } from './core/contracts';
import { kindOf, validateAssetReadings, validateWorkOrderResult, validateWorkOrderStatus, type WorkOrderResult, type WorkOrderStatus } from './core/contracts';
import { DurableState } from './core/state/durable-state';
import { onClose } from './lib/close';
import { rejected } from './lib/reject';
import { fileAccess, nodeDataFile } from './lib/files';
import { LoadingGate } from './lib/held-input';
import { registerThresholdRoutes } from './lib/threshold-routes';
import { controlOf, warnLegacyControl } from './lib/control';
import { containPayload, onInput, standIn } from './lib/input';
import type { DoneFn, Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow, SendFn } from './lib/red';
import { registerNode } from './lib/red';
import { countPart, joinParts, failed, idle, ok, showStatus, warning } from './lib/status';
import { errorMessage } from './core/error-message';

type ThresholdNodeDef = NodeDef & ThresholdNodeSettings;

const stateFile = (RED: NodeAPI, id: string): string => nodeDataFile(RED, 'mw-threshold', id);

interface Rejection {
  reason: 'invalid' | 'invalid-config' | 'invalid-control' | 'loading';
  errors: string[];
}

export = function (RED: NodeAPI): void {
  registerThresholdRoutes(RED);

  function MwThresholdNode(this: Node, config: ThresholdNodeDef): void {
    RED.nodes.createNode(this, config);
    const node = this;
    const settings = parseThresholdSettings(config);
    const options = settings.ok ? settings.value : null;
    let loaded: LoadedRules | null = null;
    let configErrors: string[] = settings.ok ? [] : settings.errors;
    let engine: AlarmEngine | null = null;
    let store: DurableState | null = null;
    let runtime: AlarmRuntime | null = null;
    // Messages that come while the rules file loads wait here (nodes/lib/held-input.ts).
    const gate = new LoadingGate();

    function start(rules: LoadedRules & { ok: true }, opts: ThresholdOptions): void {
      loaded = rules;
      engine = new AlarmEngine({
        rules: rules.book,
        clock: { mono: () => performance.now(), wall: () => Date.now() },
        holdWhileWorkOrderOpen: opts.holdWhileWorkOrderOpen,
        maxKeys: opts.maxKeys,
        maxClockSkewMs: opts.maxClockSkewMs,
        maxShelveMs: opts.maxShelveMs,
      });
      try {
        store = new DurableState(stateFile(RED, node.id), {
          onMovedAside: (to, why) => node.warn(RED._('mw-threshold.errors.state-moved', { file: to, why })),
        });
        const restored = restoreFromStore(engine, store);
        if (restored.keys > 0) node.log(RED._('mw-threshold.log.restored', { keys: restored.keys, shelves: restored.shelves, oos: restored.outOfService }));
        if (restored.reannounced > 0) node.warn(RED._('mw-threshold.log.reannounced', { count: restored.reannounced }));
      } catch (e) {
        // Alarms still work without the state file; they just would not survive a restart.
        node.error(RED._('mw-threshold.errors.state-open', { message: errorMessage(e) }));
        store?.close();
        store = null;
      }
      runtime = new AlarmRuntime(engine, store, {
        soon: (fn) => setImmediate(fn),
        later: (fn, ms) => {
          const t = setTimeout(fn, ms);
          return () => clearTimeout(t);
        },
        every: (fn, ms) => {
          const t = setInterval(fn, ms);
          return () => clearInterval(t);
        },
        mono: () => performance.now(),
      }, {
        events: (events) => sendEvents(events, null, (m) => node.send(m)),
        commitFailed: (err) => node.error(RED._('mw-threshold.errors.state-write', { message: err.message })),
        health: () => node.send([null, healthMessage(), null]),
        status: refreshStatus,
        capReached: () => node.warn(RED._('mw-threshold.log.cap', { max: opts.maxKeys })),
      });
      runtime.start(opts.healthIntervalS);
      for (const risk of rules.chatterRisks) node.warn(RED._('mw-threshold.log.chatter-risk', { risk }));
    }

    /** Settings, rules and (once read) the rules file checked: the node starts, or says why not. */
    function settled(rules: LoadedRules | null): void {
      if (rules?.ok && options) start(rules, options);
      else if (rules && !rules.ok) configErrors = rules.errors;
      if (configErrors.length > 0) {
        node.error(RED._('mw-threshold.errors.invalid-config', { errors: configErrors.join('; ') }));
        if (options?.rulesFile && rules && !rules.ok) showStatus(RED, node, failed('mw-threshold.status.file-failed', { message: configErrors[0].slice(0, 60) }));
        else showStatus(RED, node, failed('mw-threshold.status.invalid-config'));
        gate.fail((h) => reject(h.msg, h.send, h.done, { reason: 'invalid-config', errors: configErrors }));
      } else {
        gate.open((h) => handle(h.msg, h.send, h.done));
      }
    }

    if (options && options.rulesFile !== '') {
      // Read without blocking the runtime (a slow share, a large file); input waits in the gate.
      showStatus(RED, node, idle('mw-threshold.status.loading'));
      loadRulesFile(options.rulesText, options.rulesFile, fileAccess(RED)).then(
        (rules) => { if (gate.state === 'loading') settled(rules); },
        (e: unknown) => { if (gate.state === 'loading') settled({ ok: false, errors: [`rules file ${options.rulesFile}: ${errorMessage(e)}`] }); },
      );
    } else {
      settled(options ? loadRules(options.rulesText, '', undefined) : null);
    }

    function eventMessage(event: MaintenanceEvent, base: NodeMessageInFlow | null): NodeMessage {
      // An event caused by a reading keeps that message's other properties, as Node-RED nodes do.
      return { ...(base ?? {}), topic: `${event.asset.id}/${event.ruleId}`, payload: event } as NodeMessage;
    }

    function sendEvents(events: MaintenanceEvent[], base: NodeMessageInFlow | null, send: SendFn): void {
      if (events.length === 0) return;
      const msgs = events.map((ev) => eventMessage(ev, base));
      send([msgs.length === 1 ? msgs[0] : msgs as unknown as NodeMessage, null, null]);
    }

    /** Commit, then send the events with this message's `send`, then finish it. */
    function settle(events: MaintenanceEvent[], base: NodeMessageInFlow | null, send: SendFn, done: DoneFn | null, urgent = false): void {
      (runtime as AlarmRuntime).settle(events, (ev) => sendEvents(ev, base, send), done, urgent);
    }

    function healthMessage(): NodeMessage {
      const h = (engine as AlarmEngine).health();
      return { topic: 'health', payload: { nodeId: node.id, at: new Date().toISOString(), ...h, counters: { ...(engine as AlarmEngine).counters } } } as NodeMessage;
    }

    function refreshStatus(): void {
      if (!engine) return showStatus(RED, node, failed('mw-threshold.status.invalid-config'));
      const lastError = runtime?.committer.lastError;
      if (lastError) return showStatus(RED, node, failed('mw-threshold.status.not-saved', { message: lastError.message.slice(0, 18) }));
      const h = engine.health();
      const part = (key: string, n: number): string => countPart(RED, `mw-threshold.status.${key}`, n);
      const params = { count: h.keys, rate: h.alarmsLast10Min, keys: h.keys, active: h.active,
        summary: joinParts(part('active', h.active), part('signals', h.keys)) || RED._('mw-threshold.status.ready'),
        attention: joinParts(part('active', h.active), part('chattering', h.chattering), part('stale', h.stale), part('shelved', h.shelved), part('oos', h.outOfService)) };
      if (loaded?.ok && loaded.warnings.length > 0) return showStatus(RED, node, warning('mw-threshold.status.no-rules'));
      if (h.flood) return showStatus(RED, node, failed('mw-threshold.status.flood', params));
      if (engine.counters.refused > 0) return showStatus(RED, node, warning('mw-threshold.status.full', { keys: h.keys }));
      if (h.chattering > 0 || h.stale > 0 || h.shelved > 0 || h.outOfService > 0) return showStatus(RED, node, warning('mw-threshold.status.attention', params));
      showStatus(RED, node, ok('mw-threshold.status.ok', params));
    }

    function reject(msg: NodeMessageInFlow, send: SendFn, done: DoneFn, r: Rejection): void {
      const key = r.reason === 'invalid-control' ? 'mw-threshold.errors.invalid-control' : r.reason === 'invalid-config' ? 'mw-threshold.errors.invalid-config' : 'mw-threshold.errors.invalid-input';
      const message = r.reason === 'loading' ? r.errors.join('; ') : RED._(key, { errors: r.errors.join('; ') });
      send([null, null, rejected(msg, { reason: r.reason, errors: r.errors }, r.reason, message, r.errors) as NodeMessage]);
      done(new Error(message));
    }

    function control(topic: ControlTopic, msg: NodeMessageInFlow, send: SendFn, done: DoneFn): void {
      const e = engine as AlarmEngine;
      let reply: unknown;
      try {
        switch (topic) {
          // The user, where the message carries one (a dashboard or an HTTP flow puts it in msg.user).
          case 'shelve': reply = shelve(e, msg.payload, typeof msg.user === 'string' ? msg.user : undefined); break;
          case 'unshelve': reply = unshelve(e, msg.payload); break;
          case 'out-of-service': reply = setService(e, msg.payload, true); break;
          case 'in-service': reply = setService(e, msg.payload, false); break;
          case 'acknowledge': reply = acknowledge(e, msg.payload); break;
          case 'health': {
            const req = healthRequest(msg.payload);
            if (req.interval !== undefined) runtime?.setHealthInterval(req.interval);
            send([null, { ...healthMessage(), _msgid: msg._msgid } as NodeMessage, null]);
            done();
            return;
          }
        }
      } catch (err) {
        if (err instanceof ControlError) return reject(msg, send, done, { reason: 'invalid-control', errors: err.errors });
        throw err;
      }
      send([null, { ...msg, payload: reply } as NodeMessage, null]);
      settle(e.drain(), null, send, done, true);
    }

    onInput(node, (msg, send, done) => {
      if (gate.state !== 'loading') return handle(msg, send, done);
      if (gate.hold({ msg, send, done }) === 'full') {
        const text = RED._('mw-threshold.errors.held-full', { count: gate.waiting });
        // The payload is kept for a Catch flow to retry it, unless it is oversized or unreadable (bounded check).
        containPayload(msg);
        reject(msg, send, done, { reason: 'loading', errors: [text] });
      }
    });

    function handle(msg: NodeMessageInFlow, send: SendFn, done: DoneFn): void {
      if (!engine) return reject(msg, send, done, { reason: 'invalid-config', errors: configErrors });
      const p = msg.payload as Record<string, unknown> | null;
      // kindOf is O(1) and reads nothing: a Buffer or Proxy never reaches the `in` test or the fast path.
      const obj = kindOf(p).type === 'object' ? (p as Record<string, unknown>) : null;
      const hasReadings = obj !== null && 'readings' in obj;
      // The common well-formed message skips ajv and the size walk (surelyValidReadings is bounded itself).
      if (hasReadings && surelyValidReadings(obj)) return settle(engine.ingest(obj), msg, send, done);
      // Readings win over the topic: an MQTT topic that happens to be called "health" is still data.
      // Control by msg.control; the old msg.topic form only when the payload is not a work-order
      // status or result (those are data, whatever the topic says).
      const isWorkOrder = obj !== null && !hasReadings && 'workOrderId' in obj && ('status' in obj || 'outcome' in obj);
      const which = hasReadings ? null : controlOf(msg, CONTROL_TOPICS, () => !isWorkOrder);
      if (obj && !hasReadings && !isWorkOrder && !which) {
        // An object that is none of what this node takes is refused by those `in` tests alone: its
        // size is never examined (listing a million keys costs V8 half a second), and the rejected
        // message carries a stand-in, since Node-RED copies it for Catch nodes.
        const text = RED._('mw-threshold.errors.unknown-input');
        standIn(msg, text);
        return reject(msg, send, done, { reason: 'invalid', errors: [text] });
      }
      // Size and shape next: nothing oversized, too deep or unreadable reaches a validator, and the
      // rejected message carries a small stand-in that Catch nodes can copy. Readings lacking a
      // required property are refused before the walk, for the same reason as above.
      const shape = containPayload(msg, hasReadings ? validateAssetReadings : null);
      if (shape) return reject(msg, send, done, { reason: 'invalid', errors: [shape.error] });
      if (hasReadings) {
        const checked = validateAssetReadings(obj);
        if (!checked.ok) return reject(msg, send, done, { reason: 'invalid', errors: checked.errors });
        return settle(engine.ingest(checked.value), msg, send, done);
      }
      if (which && 'invalid' in which) return reject(msg, send, done, { reason: 'invalid-control', errors: [which.invalid] });
      if (which) {
        if (which.legacy) warnLegacyControl(RED, node, which.name);
        return control(which.name, msg, send, done);
      }
      if (isWorkOrder) {
        const checked = 'status' in obj ? validateWorkOrderStatus(obj) : validateWorkOrderResult(obj);
        if (!checked.ok) return reject(msg, send, done, { reason: 'invalid', errors: checked.errors });
        let update: WorkOrderStatus | WorkOrderResult = checked.value;
        // mw-work-order's own close (clear action "close"), once delivered, ends the work order like a
        // closed status from the CMMS would: the next excursion is a new episode and a new work order.
        const r = checked.value as WorkOrderResult;
        if ((msg as { action?: unknown }).action === 'close' && 'outcome' in r && (r.outcome === 'created' || r.outcome === 'existing') && r.workOrderId) {
          update = { workOrderId: r.workOrderId, eventId: r.eventId, status: 'closed', cmmsStatus: 'closed by mw-work-order', changedAt: new Date().toISOString() };
        }
        const reply = workOrderUpdate(engine, update);
        send([null, { ...msg, topic: 'work-order', payload: reply } as NodeMessage, null]);
        return settle(engine.drain(), null, send, done, true);
      }
      reject(msg, send, done, { reason: 'invalid', errors: [RED._('mw-threshold.errors.unknown-input')] });
    }

    onClose(RED, node, () => {
      // Closed while the rules file loads: held messages end now, and the load, when it ends, starts nothing.
      gate.close((h) => h.done(new Error(RED._('mw-threshold.errors.closed-while-loading'))));
      try {
        // Whatever changed since the last commit reaches disk before the redeploy starts a new node.
        runtime?.close();
        if (store && !runtime?.committer.lastError) markClean(store, Date.now());
      } finally {
        store?.close();
      }
    });
  }

  registerNode(RED, 'mw-threshold', MwThresholdNode);
};
