// mw-work-order: a maintenance event becomes exactly one work order. The event is committed to the
// connection's durable outbox before the message is acknowledged; delivery, retries and the
// lookup-before-resend happen in the outbox, and results come back here to be sent on.
import type { MaintenanceEvent } from './core/contracts';
import { FINISHED_WORK_ORDER_STATES, validateMaintenanceEvent, validateWorkOrderStatus, type WorkOrderResult } from './core/contracts';
import { parseWorkOrderSettings, type WorkOrderNodeSettings } from './core/work-order/settings';
import { assetKey, planFor, ruleFamily } from './core/work-order/plan';
import { joinedNote } from './core/work-order/body';
import type { EnqueueResult, Outbox, OutboxResult } from './core/outbox';
import type { CmmsConnection } from './lib/cmms-connection';
import { onClose } from './lib/close';
import { controlOf, isEmptyPayload, warnLegacyControl } from './lib/control';
import { containPayload, onInput } from './lib/input';
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow, SendFn } from './lib/red';
import { registerNode } from './lib/red';
import { rejected } from './lib/reject';
import { countPart, fitStatus, joinParts, failed, idle, ok, showStatus, warning, throttledStatus } from './lib/status';
import { errorMessage } from './core/error-message';

type WorkOrderNodeDef = NodeDef & WorkOrderNodeSettings;

/** Control topics: operate on this node's dead letters and shadow records. */
const CONTROL_TOPICS = ['replay', 'discard', 'dead-letters', 'export-dead-letters', 'export-shadow', 'metrics'] as const;
type ControlTopic = (typeof CONTROL_TOPICS)[number];

/** The status shows counts; recomputing them on every message would cost a query each. */
const STATUS_INTERVAL_MS = 500;

interface Rejection {
  eventId: string | null;
  outcome: 'rejected';
  reason: 'invalid' | 'invalid-config' | 'refused' | 'no-connection' | 'dead-letter';
  errors: string[];
}

/**
 * A work-order status fed back (mw-wo-status's output), told from an event by two own properties:
 * cheap on any object (no key listing), and a Proxy or throwing getter counts as "no".
 */
function looksLikeStatus(p: unknown): boolean {
  try {
    const own = Object.prototype.hasOwnProperty;
    return typeof p === 'object' && p !== null && own.call(p, 'workOrderId') && own.call(p, 'cmmsStatus');
  } catch {
    return false;
  }
}

function toContract(r: OutboxResult): WorkOrderResult {
  return { eventId: r.eventId, cmms: r.cmms, workOrderId: r.workOrderId, href: r.href, outcome: r.outcome, attempts: r.attempts, latencyMs: r.latencyMs };
}

/**
 * The old topic form is honoured only when the payload is not data (so an event on an MQTT topic
 * called "discard" is an event), and `discard` by topic only with an explicit list of item ids.
 */
function legacyOk(p: unknown, name: ControlTopic): boolean {
  if (name === 'discard') return Array.isArray(p);
  // Events are objects: anything else (nothing, "all", a timestamp, a list of ids) is not data.
  return typeof p !== 'object' || p === null || Array.isArray(p);
}

/** replay / discard: nothing (all of this node's dead letters) or a list of item ids; other commands take no payload. */
function controlIds(p: unknown, name: ControlTopic): number[] | null | string {
  if (name !== 'replay' && name !== 'discard') return typeof p !== 'object' || p === null ? null : `msg.payload must be empty for "${name}"`;
  if (isEmptyPayload(p) || p === 'all') return null;
  if (Array.isArray(p) && p.length <= 100_000 && p.every((v) => Number.isSafeInteger(v) && (v as number) > 0)) return p as number[];
  return `msg.payload for "${name}" must be empty or "all" (all of this node's dead letters) or an array of item ids (positive integers)`;
}

export = function (RED: NodeAPI): void {
  function MwWorkOrderNode(this: Node, config: WorkOrderNodeDef): void {
    RED.nodes.createNode(this, config);
    const node = this;
    const conn = RED.nodes.getNode(config.cmms ?? '') as CmmsConnection | null;
    // Checked against the connection's dialect, so a priority that CMMS refuses fails at deploy.
    const settings = parseWorkOrderSettings(config, conn?.client?.dialect);
    const options = settings.ok ? settings.value : null;
    const expression = options?.bodyExpression ? RED.util.prepareJSONataExpression(options.bodyExpression, node) : null;
    let lastOutcome = '';
    /** The CMMS's words for the latest dead letter: beside the dead count, they say what to fix. */
    let lastDeadReason = '';
    let linkDown = false;

    const box = (): Outbox => {
      if (!conn) throw new Error(RED._('mw-work-order.errors.no-connection'));
      return conn.outbox();
    };

    function refreshStatus(): void {
      if (!options) return showStatus(RED, node, failed('mw-work-order.status.invalid-config'));
      if (!conn) return showStatus(RED, node, failed('mw-work-order.status.no-connection'));
      let pending = 0;
      let dead = 0;
      let shadow = 0;
      try {
        const m = box().getMetrics();
        pending = m.pending;
        dead = m.dead;
        shadow = m.shadow;
      } catch {
        return node.status({ ...conn.healthStatus(), text: fitStatus(String(conn.healthStatus().text ?? '')) });
      }
      const counted = joinParts(countPart(RED, 'mw-work-order.status.pending', pending), countPart(RED, 'mw-work-order.status.dead', dead));
      // With dead letters the counts come first: the status is cut at its end, and the count of
      // letters waiting for a person matters more than the start of the last reason.
      const summary = dead > 0 ? joinParts(counted, lastDeadReason || lastOutcome) : joinParts(lastOutcome, counted);
      const params = { count: shadow, last: lastOutcome, summary: summary || RED._('mw-work-order.status.ready') };
      if (!options.shadow && conn.missingSecrets.length > 0) return showStatus(RED, node, failed('mw-work-order.status.no-secret'));
      if (linkDown) return node.status({ ...conn.healthStatus(), text: fitStatus(joinParts(String(conn.healthStatus().text ?? ''), counted)) });
      if (options.shadow) return showStatus(RED, node, idle('mw-work-order.status.shadow', params));
      if (dead > 0) return showStatus(RED, node, warning('mw-work-order.status.counts', params));
      showStatus(RED, node, ok('mw-work-order.status.counts', params));
    }

    const status = throttledStatus(STATUS_INTERVAL_MS, refreshStatus);
    const scheduleStatus = (): void => status.schedule();

    function resultMessage(r: OutboxResult): NodeMessage {
      const base = { topic: 'work-order', payload: toContract(r), action: r.action, itemId: r.itemId };
      if (r.outcome !== 'dead') return base as NodeMessage;
      // A dead work order leaves on the reject output: the same msg.error shape as a rejection, with the CMMS's words.
      const words = r.error ?? '';
      return rejected(base, { reason: r.deadReason }, r.deadReason ?? 'dead', words, words ? [words] : []) as NodeMessage;
    }

    function reject(send: SendFn, msg: NodeMessageInFlow, rejection: Rejection): void {
      const reasonText = RED._(`mw-work-order.outcome.${rejection.reason}`);
      send([null, rejected(msg, { payload: rejection, reason: rejection.reason }, rejection.reason, `${reasonText}: ${rejection.errors.join('; ')}`, rejection.errors) as NodeMessage]);
      lastOutcome = reasonText;
      scheduleStatus();
    }

    if (!options) {
      node.error(RED._('mw-work-order.errors.invalid-config', { errors: settings.ok ? '' : settings.errors.join('; ') }));
    }
    let unsubscribe: (() => void) | null = null;
    if (conn) {
      conn.register(node, (snap) => {
        linkDown = snap.state !== 'connected' && snap.state !== 'unknown';
        scheduleStatus();
      });
      unsubscribe = conn.onResult(node.id, (r) => {
        lastOutcome = r.workOrderId ? `${RED._(`mw-work-order.outcome.${r.outcome}`)} ${r.workOrderId}` : RED._(`mw-work-order.outcome.${r.outcome}`);
        if (r.outcome === 'dead') {
          // A dead letter needs a person: one log line with the CMMS's own words, and the status
          // keeps the reason, so nobody has to open a collapsed debug message to learn why.
          const reason = r.error || r.deadReason || '';
          node.warn(RED._('mw-work-order.warnings.dead-letter', { eventId: r.eventId, reason }));
          lastOutcome = `${RED._('mw-work-order.outcome.dead')}: ${reason}`;
          lastDeadReason = reason;
        }
        if (r.outcome === 'dead') node.send([null, resultMessage(r)]);
        else node.send([resultMessage(r), null]);
        scheduleStatus();
      });
      // Opening the outbox at deploy (not on the first event) delivers what a previous run left behind.
      try {
        if (options) box();
      } catch (e) {
        node.error(errorMessage(e));
      }
    }
    scheduleStatus();

    /** This node's records of a JSON-lines export, one per line, each line ending in a newline. */
    function ownLines(lines: Iterable<string>): string {
      let out = '';
      for (const line of lines) {
        const text = line.trimEnd();
        if (text && (JSON.parse(text) as { nodeId?: string }).nodeId === node.id) out += `${text}\n`;
      }
      return out;
    }

    function control(name: ControlTopic, requested: number[] | null, msg: NodeMessageInFlow, send: SendFn): void {
      const outbox = box();
      const own = (): number[] => {
        const mine: number[] = [];
        for (let after = 0; ;) {
          const page = outbox.admin.deadLetters({ afterId: after, limit: 500 });
          for (const d of page) if (d.nodeId === node.id) mine.push(d.itemId);
          if (page.length < 500) return mine;
          after = page[page.length - 1].itemId;
        }
      };
      const selected = (): number[] => (requested ? own().filter((id) => requested.includes(id)) : own());
      let payload: unknown;
      switch (name) {
        case 'replay': payload = { replayed: outbox.admin.replay(selected()) }; break;
        case 'discard': payload = { discarded: outbox.admin.discard(selected()) }; break;
        case 'dead-letters': payload = outbox.admin.deadLetters({ limit: 1000 }).filter((d) => d.nodeId === node.id); break;
        case 'export-dead-letters': payload = ownLines(outbox.admin.exportDeadLetters()); break;
        case 'export-shadow': payload = ownLines(outbox.admin.exportShadow()); break;
        case 'metrics': payload = { ...outbox.getMetrics(), loop: outbox.loopKpis() }; break;
      }
      send([{ ...msg, payload } as NodeMessage, null]);
      scheduleStatus();
    }

    async function renderBody(event: MaintenanceEvent, body: Record<string, unknown>, dialect: string): Promise<Record<string, unknown>> {
      if (!expression) return body;
      const out = await new Promise<unknown>((resolve, reject) => {
        RED.util.evaluateJSONataExpression(expression, { event, body, dialect } as unknown as NodeMessage, (err, value) => (err ? reject(err) : resolve(value)));
      });
      if (!out || typeof out !== 'object' || Array.isArray(out)) throw new Error(RED._('mw-work-order.errors.expression-not-object'));
      return out as Record<string, unknown>;
    }

    function reply(send: SendFn, msg: NodeMessageInFlow, event: MaintenanceEvent, r: EnqueueResult): void {
      const base = { eventId: event.eventId, cmms: conn?.name || conn?.id || '', attempts: 0, latencyMs: null };
      switch (r.outcome) {
        case 'existing':
          send([{ ...msg, topic: 'work-order', payload: { ...base, workOrderId: r.workOrderId, href: r.href, outcome: 'existing' } } as NodeMessage, null]);
          lastOutcome = `${RED._('mw-work-order.outcome.existing')} ${r.workOrderId}`;
          break;
        case 'duplicate-pending':
          send([{ ...msg, topic: 'work-order', payload: { ...base, workOrderId: null, href: null, outcome: 'queued' } } as NodeMessage, null]);
          break;
        case 'duplicate-dead':
          reject(send, msg, { eventId: event.eventId, outcome: 'rejected', reason: 'dead-letter', errors: [RED._('mw-work-order.errors.already-dead', { reason: r.reason ?? '' })] });
          break;
        default:
          // queued (its result arrives from the outbox) and shadow records need no message here.
          break;
      }
    }

    onInput(node, async (msg, send, done) => {
      if (!conn || !options) {
        const reason = conn ? 'invalid-config' : 'no-connection';
        const message = conn ? RED._('mw-work-order.errors.invalid-config', { errors: settings.ok ? '' : settings.errors.join('; ') }) : RED._('mw-work-order.errors.no-connection');
        const eventId = typeof (msg.payload as { eventId?: unknown } | null)?.eventId === 'string' ? (msg.payload as { eventId: string }).eventId : null;
        reject(send, msg, { eventId, outcome: 'rejected', reason, errors: [message] });
        done(new Error(message));
        return;
      }
      // Size and shape first: a Buffer, a huge array or 10 000-deep nesting never reaches the
      // validator, and the rejected message carries a small stand-in that Catch nodes can copy. An
      // object payload without msg.control must be an event: lacking an event's required properties
      // it is refused by name before any walk, so a million-key object costs no key listing.
      const shape = containPayload(msg, (msg as { control?: unknown }).control === undefined ? (looksLikeStatus(msg.payload) ? validateWorkOrderStatus : validateMaintenanceEvent) : null);
      if (shape) {
        reject(send, msg, { eventId: null, outcome: 'rejected', reason: 'invalid', errors: [shape.error] });
        done(new Error(RED._('mw-work-order.errors.invalid-event', { errors: shape.error })));
        return;
      }
      const which = controlOf(msg, CONTROL_TOPICS, legacyOk);
      if (which && 'invalid' in which) {
        reject(send, msg, { eventId: null, outcome: 'rejected', reason: 'invalid', errors: [which.invalid] });
        done(new Error(which.invalid));
        return;
      }
      if (which) {
        const ids = controlIds(msg.payload, which.name);
        if (typeof ids === 'string') {
          reject(send, msg, { eventId: null, outcome: 'rejected', reason: 'invalid', errors: [ids] });
          done(new Error(ids));
          return;
        }
        if (which.legacy) warnLegacyControl(RED, node, which.name);
        control(which.name, ids, msg, send);
        done();
        return;
      }
      if (msg.topic === 'discard' && isEmptyPayload(msg.payload)) {
        // The old "discard everything" by topic alone: refused with a clear word, never silence.
        const message = RED._('mw-work-order.errors.discard-needs-control');
        reject(send, msg, { eventId: null, outcome: 'rejected', reason: 'invalid', errors: [message] });
        done(new Error(message));
        return;
      }
      const p = msg.payload as Record<string, unknown> | null;
      if (p && typeof p === 'object' && 'workOrderId' in p && 'cmmsStatus' in p) {
        // A work-order status (mw-wo-status wired back): a finished work order takes no more
        // joining episodes. Nothing is sent; the status is data, not an event.
        const st = validateWorkOrderStatus(p);
        if (!st.ok) {
          reject(send, msg, { eventId: null, outcome: 'rejected', reason: 'invalid', errors: st.errors });
          done(new Error(RED._('mw-work-order.errors.invalid-event', { errors: st.errors.join('; ') })));
          return;
        }
        if (FINISHED_WORK_ORDER_STATES.has(st.value.status)) {
          const at = Date.parse(String(st.value.changedAt));
          box().workOrderFinished(st.value.workOrderId, st.value.eventIds ?? (st.value.eventId ? [st.value.eventId] : []), Number.isFinite(at) ? at : undefined);
        }
        done();
        return;
      }
      const checked = validateMaintenanceEvent(msg.payload);
      if (!checked.ok) {
        const eventId = typeof (msg.payload as { eventId?: unknown } | null)?.eventId === 'string' ? (msg.payload as { eventId: string }).eventId : null;
        reject(send, msg, { eventId, outcome: 'rejected', reason: 'invalid', errors: checked.errors });
        done(new Error(RED._('mw-work-order.errors.invalid-event', { errors: checked.errors.join('; ') })));
        return;
      }
      const event = checked.value;
      let outbox: Outbox;
      try {
        outbox = box();
      } catch (e) {
        const message = errorMessage(e);
        reject(send, msg, { eventId: event.eventId, outcome: 'rejected', reason: 'no-connection', errors: [message] });
        done(e instanceof Error ? e : new Error(message));
        return;
      }
      if (!options.shadow && conn.missingSecrets.length > 0) {
        // Sending with an empty key would only make a dead letter 'auth' at the CMMS; say it here.
        const message = RED._('mw-work-order.errors.no-secret', { missing: conn.missingSecrets.join('; ') });
        reject(send, msg, { eventId: event.eventId, outcome: 'rejected', reason: 'no-connection', errors: [message] });
        done(new Error(message));
        return;
      }
      const dialect = conn?.client?.dialect ?? 'rest';
      const plan = planFor(event, dialect, options.mapping, options.onCleared);
      if (plan.kind === 'ignore') {
        done();
        return;
      }
      try {
        const body = plan.action === 'create' ? await renderBody(event, plan.body, dialect) : plan.body;
        const r = outbox.enqueue({
          action: plan.action, eventId: event.eventId, assetKey: assetKey(event), nodeId: node.id,
          body, event, occurredAt: event.occurredAt, shadow: options.shadow,
          onePer: options.onePer, family: ruleFamily(event), joinBody: { note: joinedNote(event) },
        });
        reply(send, msg, event, r);
      } catch (e) {
        const message = errorMessage(e);
        reject(send, msg, { eventId: event.eventId, outcome: 'rejected', reason: 'refused', errors: [message] });
        throw e;
      }
      scheduleStatus();
      // Only now, with the event on disk, is the message finished.
      done();
    });

    onClose(RED, node, () => {
      status.stop();
      unsubscribe?.();
      conn?.deregister(node);
    });
  }

  registerNode(RED, 'mw-work-order', MwWorkOrderNode);
};
