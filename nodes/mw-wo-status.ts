// mw-wo-status: work-order status changes come back from the CMMS, by signed webhook, by polling
// or both, and leave as one message each in the work-order-status contract — ready for
// mw-threshold and mw-vision-drift (the loop closes) and for a dashboard. Every change is
// committed to the node's SQLite file before the CMMS gets its 2xx and before it is emitted.
import type { Request, Response } from 'express';
import { isCmmsError } from './core/cmms/errors';
import { errorMessage } from './core/error-message';
import { FINISHED_WORK_ORDER_STATES } from './core/contracts';
import type { FinishedWorkOrder } from './core/outbox';
import { stockTable, type StatusDialect } from './core/wo-status/normalise';
import { nextPollDelay, Poller } from './core/wo-status/poller';
import { StatusService, type WebhookAnswer } from './core/wo-status/service';
import { parseWoStatusSettings, schemeFor, type WoStatusNodeSettings, type WoStatusOptions } from './core/wo-status/settings';
import { StatusStore } from './core/wo-status/store';
import type { CmmsConnection } from './lib/cmms-connection';
import { sendAdminError } from './lib/admin-error';
import { onClose } from './lib/close';
import { nodeDataFile } from './lib/files';
import { controlOf } from './lib/control';
import { onInput } from './lib/input';
import { registerNode, type Node, type NodeAPI, type NodeDef, type NodeMessage } from './lib/red';
import { countPart, joinParts, failed, ok, showStatus, warning } from './lib/status';
import { addWebhookRoute, type RouteHandle } from './lib/webhook-route';
import { woStatuses } from './lib/sidebar-registry';

type WoStatusNodeDef = NodeDef & WoStatusNodeSettings;
interface Credentials { secret?: string; previousSecret?: string }

const STATUS_INTERVAL_MS = 500;
/** Changes emitted per turn of the event loop, so a backlog after a restart does not block it. */
const EMIT_BATCH = 100;
/** How long the first webhook of a group waits for others to share its commit. */
const GROUP_COMMIT_MS = 5;
/**
 * Processing of recorded bodies waits until webhooks have stopped arriving for this long (at most
 * PROCESS_MAX_WAIT_MS): each processing and emitting pass is a commit (an fsync that holds the event
 * loop), so during a burst they come in a few large batches instead of one pair per group commit.
 */
const PROCESS_QUIET_MS = 25;
const PROCESS_MAX_WAIT_MS = 250;

export = function (RED: NodeAPI): void {
  function MwWoStatusNode(this: Node<Credentials>, config: WoStatusNodeDef): void {
    RED.nodes.createNode(this, config);
    const node = this;
    const conn = RED.nodes.getNode(config.cmms ?? '') as CmmsConnection | null;
    const parsed = parseWoStatusSettings(config, node.id);
    let store: StatusStore | null = null;
    let service: StatusService | null = null;
    let route: RouteHandle | null = null;
    let pollTimer: NodeJS.Timeout | null = null;
    let statusTimer: NodeJS.Timeout | null = null;
    let emitTimer: NodeJS.Immediate | null = null;
    let processTimer: ReturnType<typeof setTimeout> | null = null;
    /** When the first body not yet processed was scheduled (for PROCESS_MAX_WAIT_MS). */
    let processWaitingSince: number | null = null;
    let polling = false;
    let pollAgain = false;
    let failures = 0;
    let lastProblem = '';
    let closed = false;

    const problem = (key: string, params?: Record<string, string>): void => {
      lastProblem = RED._(key, params);
      node.error(lastProblem);
      // The status names the problem in a few words (the full text is in the log): a long status runs into the next node.
      showStatus(RED, node, failed(`mw-wo-status.status.${key.replace('mw-wo-status.errors.', 'problem-')}`));
    };

    function refreshStatus(): void {
      statusTimer = null;
      if (!service || closed) return;
      const c = service.counters;
      const refused = Object.values(c.refused).reduce((a, b) => a + b, 0);
      const pending = (store?.pendingCount() ?? 0) + (store?.inboxCount() ?? 0);
      const changes = countPart(RED, 'mw-wo-status.status.changes', c.emitted);
      const params = { failures, summary: joinParts(changes, countPart(RED, 'mw-wo-status.status.pending', pending), countPart(RED, 'mw-wo-status.status.refused', refused)) || RED._('mw-wo-status.status.ready') };
      if (failures > 0) return showStatus(RED, node, warning('mw-wo-status.status.poll-failing', params));
      if (refused > 0) return showStatus(RED, node, warning('mw-wo-status.status.counts-refused', params));
      showStatus(RED, node, ok('mw-wo-status.status.counts', params));
    }
    const scheduleStatus = (): void => {
      if (statusTimer === null && !closed) statusTimer = setTimeout(refreshStatus, STATUS_INTERVAL_MS);
    };

    /** Sends what is committed and not yet emitted, then marks it; a crash in between re-sends it at the next start. */
    function drain(): void {
      emitTimer = null;
      if (!service || closed) return;
      const batch = service.pending(EMIT_BATCH);
      const finished: FinishedWorkOrder[] = [];
      for (const { status } of batch) {
        node.send({ topic: 'work-order-status', payload: status } as NodeMessage);
        // The sidebar's work-order list shows the last status of each work order of this connection.
        if (conn) woStatuses.record(conn.id, status);
        if (FINISHED_WORK_ORDER_STATES.has(status.status)) {
          const at = Date.parse(String(status.changedAt));
          finished.push({ workOrderId: status.workOrderId, eventIds: status.eventIds ?? [], at: Number.isFinite(at) ? at : undefined });
        }
      }
      // One commit for the batch's marks (not one fsync per message: that held up the next answers).
      service.emittedAll(batch.map((b) => b.seq));
      // A finished work order of this connection takes no more joining episodes (mw-work-order's
      // "one work order per asset"): the outbox learns it here, without wiring the status back.
      if (conn && finished.length > 0) {
        try {
          conn.outbox().workOrdersFinished(finished);
        } catch (e) {
          node.warn(errorMessage(e));
        }
      }
      if (batch.length === EMIT_BATCH) emitTimer = setImmediate(drain);
      scheduleStatus();
    }
    const scheduleDrain = (): void => {
      if (emitTimer === null && !closed) emitTimer = setImmediate(drain);
    };

    /**
     * Webhook bodies recorded (and answered) but not yet processed: linked to the outbox, normalised
     * and stored as changes, a batch per turn of the event loop so answers to a burst are not held up.
     */
    function processRecorded(): void {
      processTimer = null;
      processWaitingSince = null;
      if (!service || closed) return;
      let done: Map<number, number>;
      try {
        done = service.processInbox(EMIT_BATCH);
      } catch (e) {
        // The file is locked or full: the bodies stay recorded; the next webhook or start tries again.
        node.error(errorMessage(e));
        return;
      }
      if ([...done.values()].some((n) => n > 0)) scheduleDrain();
      if (done.size === EMIT_BATCH) processTimer = setTimeout(processRecorded, 0);
      scheduleStatus();
    }
    /** Called at start and after each group commit: processes once the burst is quiet (or has waited long enough). */
    const scheduleProcess = (): void => {
      if (closed) return;
      const now = Date.now();
      processWaitingSince ??= now;
      if (processTimer) clearTimeout(processTimer);
      processTimer = setTimeout(processRecorded, Math.max(0, Math.min(PROCESS_QUIET_MS, processWaitingSince + PROCESS_MAX_WAIT_MS - now)));
    };

    if (!parsed.ok) {
      problem('mw-wo-status.errors.invalid-config', { errors: parsed.errors.join('; ') });
    } else if (!conn) {
      problem('mw-wo-status.errors.no-connection');
    } else if (!conn.client || conn.missingSecrets.length > 0) {
      // A connection without its secret serves shadow mode only: nothing to poll or sign with.
      problem('mw-wo-status.errors.connection-invalid', { errors: [...conn.configErrors, ...conn.missingSecrets].join('; ') });
    } else {
      const options: WoStatusOptions = parsed.value;
      const client = conn.client;
      const dialect = client.dialect as StatusDialect;
      const scheme = schemeFor(dialect, options.scheme);
      try {
        store = new StatusStore(nodeDataFile(RED, 'wo-status', node.id), undefined, (to, why) => node.warn(RED._('mw-wo-status.errors.corrupt', { file: to, why })));
      } catch (e) {
        problem('mw-wo-status.errors.storage', { message: errorMessage(e) });
      }
      if (store) {
        const st = store;
        service = new StatusService({
          store: st, dialect, scheme, options, cmmsName: conn.name || conn.id,
          secrets: () => [node.credentials?.secret ?? '', node.credentials?.previousSecret ?? ''],
          links: (woId, ref) => conn.outbox().linksFor(woId, ref),
        });
        const svc = service;
        conn.register(node, () => scheduleStatus());

        if (options.mode !== 'poll') {
          if (!node.credentials?.secret && !node.credentials?.previousSecret) node.warn(RED._('mw-wo-status.errors.no-secret'));
          try {
            // Requests that arrive within a few ms share one commit (group commit): under a burst each
            // answer still waits for its verified body to be on disk, but the burst pays one fsync per
            // group; linking and storing the changes come after the answers (processRecorded).
            let queue: Array<{ req: Request; res: Response; raw: Buffer | null }> = [];
            const flush = (): void => {
              const batch = queue;
              queue = [];
              if (closed || !service) {
                for (const q of batch) q.res.status(503).json({ error: 'stopping' });
                return;
              }
              let answers: WebhookAnswer[];
              try {
                answers = svc.receiveWebhooks(batch.map((q) => ({ headers: q.req.headers, rawBody: q.raw })));
              } catch (e) {
                node.error(errorMessage(e));
                answers = batch.map(() => ({ status: 500, body: { error: 'internal' }, accepted: 0 }));
              }
              batch.forEach((q, i) => q.res.status(answers[i].status).json(answers[i].body));
              if (answers.some((a) => a.inboxSeq !== undefined)) scheduleProcess();
              scheduleStatus();
            };
            route = addWebhookRoute(RED, options.path, options.maxBodyBytes, (req: Request, res: Response, raw: Buffer | null) => {
              queue.push({ req, res, raw });
              if (queue.length === 1) setTimeout(flush, GROUP_COMMIT_MS);
            });
          } catch (e) {
            problem('mw-wo-status.errors.route', { message: errorMessage(e) });
          }
        }

        if (options.mode !== 'webhook') {
          const poller = new Poller({ client, service: svc, store: st, dialect, overlapMs: options.overlapMs, lookbackMs: options.lookbackMs });
          const runPoll = async (): Promise<void> => {
            if (closed) return;
            if (polling) {
              // "Poll now" during a poll: the running one may have asked before the change; ask again after it.
              pollAgain = true;
              return;
            }
            polling = true;
            let retryAfter: number | undefined;
            try {
              const r = await poller.pollOnce();
              failures = 0;
              if (r.truncated) node.warn(RED._('mw-wo-status.errors.poll-truncated', { pages: r.pages }));
              if (r.accepted > 0) scheduleDrain();
            } catch (e) {
              if (closed) return; // the store closed under a poll still in flight: nothing to report
              failures += 1;
              svc.counters.pollErrors += 1;
              retryAfter = isCmmsError(e) ? e.retryAfterMs ?? undefined : undefined;
              // Once per outage, not once per poll: the connection's own status shows the rest.
              if (failures === 1) node.warn(RED._('mw-wo-status.errors.poll', { message: errorMessage(e) }));
            } finally {
              polling = false;
            }
            scheduleStatus();
            if (closed) return;
            if (pollTimer) clearTimeout(pollTimer);
            const delay = pollAgain && failures === 0 ? 0 : nextPollDelay(options.pollIntervalMs, failures, retryAfter);
            pollAgain = false;
            pollTimer = setTimeout(() => void runPoll(), delay);
          };
          (node as Node & { pollNow?: () => Promise<void> }).pollNow = runPoll;
          pollTimer = setTimeout(() => void runPoll(), 0);
        }
        // Whatever a previous run recorded but did not process, or committed but did not emit (a
        // crash, a kill), goes out now.
        scheduleProcess();
        scheduleDrain();
        scheduleStatus();
      }
    }

    onInput(node, (msg, send, done) => {
      if (!service) return done(new Error(lastProblem || RED._('mw-wo-status.errors.not-running')));
      // msg.control, as on every node of the package; this node takes no data, so the topic form
      // cannot swallow anything and stays accepted without a warning.
      const which = controlOf(msg, ['poll', 'metrics'] as const, () => true);
      if (which && 'invalid' in which) return done(new Error(which.invalid));
      if (which?.name === 'poll') {
        const pollNow = (node as Node & { pollNow?: () => Promise<void> }).pollNow;
        if (!pollNow) return done(new Error(RED._('mw-wo-status.errors.not-polling')));
        if (pollTimer) clearTimeout(pollTimer);
        return pollNow();
      }
      if (which?.name === 'metrics') {
        send({ ...msg, payload: { ...service.counters, refused: { ...service.counters.refused }, pending: store?.pendingCount() ?? 0, unprocessed: store?.inboxCount() ?? 0, watermark: store?.meta('watermark') ?? null, path: route?.fullPath ?? null } } as NodeMessage);
        return done();
      }
      done(new Error(RED._('mw-wo-status.errors.unknown-input')));
    });

    onClose(RED, node, () => {
      closed = true;
      route?.remove();
      for (const t of [pollTimer, statusTimer]) if (t) clearTimeout(t);
      if (emitTimer) clearImmediate(emitTimer);
      if (processTimer) clearTimeout(processTimer);
      conn?.deregister(node);
      store?.close();
      store = null;
      service = null;
    });
  }

  registerNode(RED, 'mw-wo-status', MwWoStatusNode, {
    credentials: { secret: { type: 'password' }, previousSecret: { type: 'password' } },
  });

  // The editor's "Load stock statuses" button: the tables live in the core, not copied into the HTML.
  RED.httpAdmin.get('/mw-wo-status/stock/:dialect', RED.auth.needsPermission('mw-wo-status.read'), (req: Request, res: Response) => {
    const dialect = String(req.params.dialect);
    if (!['maximo', 'servicenow', 'maintainx', 'rest'].includes(dialect)) {
      sendAdminError(res, 404, 'not-found', `unknown dialect "${dialect}": maximo, servicenow, maintainx or rest`);
      return;
    }
    const table = stockTable(dialect as StatusDialect, req.query.table === 'wm_order' ? 'wm_order' : 'incident');
    res.json(Object.entries(table).map(([cmms, status]) => ({ cmms, status })));
  });
};
