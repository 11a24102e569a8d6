// Admin HTTP endpoints for the outboxes, under one prefix, every route guarded: reads need
// `mw-outbox.read`, changes `mw-outbox.write` (as core's debug.write / inject.write). The editor
// calls them with relative URLs, so they work behind httpAdminRoot and adminAuth.
import type { Request, Response } from 'express';
import { KPI_GROUPINGS, type KpiGrouping, type Outbox } from '../core/outbox';
import type { NodeAPI } from './red';
import { errorMessage } from '../core/error-message';
import { sendAdminError } from './admin-error';

const OUTBOX_ROUTE_PREFIX = '/mw-outbox';
/** The answer when a connection has no open outbox (also the sidebar's). */
export const NO_OUTBOX = 'no open outbox for this connection: deploy a flow where an mw-work-order node uses it';

type Lookup = (connectionId: string) => Outbox | undefined;

function page(req: Request): { afterId?: number; limit?: number } {
  const after = Number(req.query.after);
  const limit = Number(req.query.limit);
  return { afterId: Number.isFinite(after) ? after : undefined, limit: Number.isFinite(limit) ? limit : undefined };
}

function ids(body: unknown): number[] | 'all' | null {
  const raw = (body as { ids?: unknown } | undefined)?.ids;
  if (raw === 'all') return 'all';
  if (Array.isArray(raw) && raw.length > 0 && raw.every((v) => Number.isInteger(v) && (v as number) > 0)) return raw as number[];
  return null;
}

/** Streams JSON lines without building the whole export in memory. */
function sendLines(res: Response, name: string, lines: Iterable<string>): void {
  res.setHeader('Content-Type', 'application/x-ndjson; charset=utf-8');
  res.setHeader('Content-Disposition', `attachment; filename="${name}.jsonl"`);
  for (const line of lines) res.write(`${line}\n`);
  res.end();
}

/**
 * The same routes serve the old `/mw-outbox` prefix (kept for scripts that use it) and the
 * sidebar's `/millwright/outbox`, each with its own permission name.
 */
export function registerOutboxRoutes(RED: NodeAPI, lookup: Lookup, prefix = OUTBOX_ROUTE_PREFIX, permission = 'mw-outbox',
  /** The sidebar treats the bulk export of dead letters and shadow records (whole events and bodies) as a write. */
  exportNeeds: 'read' | 'write' = 'read'): void {
  const read = RED.auth.needsPermission(`${permission}.read`);
  const write = RED.auth.needsPermission(`${permission}.write`);
  const bulk = exportNeeds === 'write' ? write : read;

  const withOutbox = (fn: (box: Outbox, req: Request, res: Response) => void) => (req: Request, res: Response): void => {
    const box = lookup(String(req.params.id));
    if (!box) {
      sendAdminError(res, 404, 'not-found', NO_OUTBOX);
      return;
    }
    try {
      fn(box, req, res);
    } catch (e) {
      sendAdminError(res, 500, 'internal', errorMessage(e));
    }
  };

  const p = prefix;
  // `loop`: the loop KPIs per asset group (?by=class|workGroup|area|site|asset, ?since=ms or ISO time).
  RED.httpAdmin.get(`${p}/:id/metrics`, read, withOutbox((box, req, res) => {
    const by = String(req.query.by ?? 'class');
    if (!KPI_GROUPINGS.includes(by as KpiGrouping)) {
      sendAdminError(res, 400, 'bad-request', `by must be one of ${KPI_GROUPINGS.join(', ')}`);
      return;
    }
    let since: number | undefined;
    if (req.query.since !== undefined) {
      const raw = String(req.query.since);
      since = /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
      if (!Number.isFinite(since)) {
        sendAdminError(res, 400, 'bad-request', 'since must be a time in ms since 1970 or an ISO 8601 time');
        return;
      }
    }
    res.json({ ...box.getMetrics(), loop: box.loopKpis({ by: by as KpiGrouping, since }) });
  }));
  RED.httpAdmin.get(`${p}/:id/queue`, read, withOutbox((box, req, res) => {
    const state = String(req.query.state ?? 'pending');
    if (!['pending', 'inflight', 'retry-wait', 'sent'].includes(state)) {
      sendAdminError(res, 400, 'bad-request', 'state must be pending, inflight, retry-wait or sent');
      return;
    }
    res.json(box.admin.queue(state as 'pending', page(req)));
  }));
  RED.httpAdmin.get(`${p}/:id/dead-letters`, read, withOutbox((box, req, res) => { res.json(box.admin.deadLetters(page(req))); }));
  RED.httpAdmin.get(`${p}/:id/dead-letters/export`, bulk, withOutbox((box, req, res) => {
    sendLines(res, `dead-letters-${String(req.params.id)}`, box.admin.exportDeadLetters());
  }));
  RED.httpAdmin.post(`${p}/:id/dead-letters/replay`, write, withOutbox((box, req, res) => {
    const which = ids(req.body);
    if (!which) {
      sendAdminError(res, 400, 'bad-request', 'send {"ids": [itemId, …]} or {"ids": "all"}');
      return;
    }
    res.json({ replayed: box.admin.replay(which) });
  }));
  RED.httpAdmin.post(`${p}/:id/dead-letters/discard`, write, withOutbox((box, req, res) => {
    const which = ids(req.body);
    if (!which) {
      sendAdminError(res, 400, 'bad-request', 'send {"ids": [itemId, …]} or {"ids": "all"}');
      return;
    }
    res.json({ discarded: box.admin.discard(which) });
  }));
  RED.httpAdmin.get(`${p}/:id/shadow`, read, withOutbox((box, req, res) => { res.json(box.admin.shadowRecords(page(req))); }));
  RED.httpAdmin.get(`${p}/:id/shadow/export`, bulk, withOutbox((box, req, res) => {
    sendLines(res, `shadow-${String(req.params.id)}`, box.admin.exportShadow());
  }));
  RED.httpAdmin.get(`${p}/:id/audit`, read, withOutbox((box, req, res) => {
    const eventId = typeof req.query.eventId === 'string' ? req.query.eventId : undefined;
    res.json(box.admin.auditLog({ ...page(req), eventId }));
  }));
  RED.httpAdmin.get(`${p}/:id/audit/export`, read, withOutbox((box, req, res) => {
    sendLines(res, `audit-${String(req.params.id)}`, box.admin.exportAudit());
  }));
}
