// The Millwright sidebar's runtime half (a Node-RED plugin, see package.json "plugins"): read
// routes for the panes and the live feed. Every route sits under /millwright and needs
// `millwright.read`; the outbox changes (replay, discard) and the bulk export of dead letters and
// shadow records need `millwright.write`; they are the outbox admin routes, mounted under this prefix. The editor half is mw-sidebar.html.
import type { Request, Response } from 'express';
import { verificationReport, type RegistryHandle } from './core/assets/handle';
import { guardedRoute, sendAdminError } from './lib/admin-error';
import { summarize, type ConnectionSummary } from './core/sidebar/summary';
import type { ChartCache } from './core/spc/chart-cache';
import { NO_OUTBOX, registerOutboxRoutes } from './lib/outbox-routes';
import type { Node, NodeAPI } from './lib/red';
import { sidebarRegistry, woStatuses, type SidebarConnection } from './lib/sidebar-registry';

const SIDEBAR_PREFIX = '/millwright';
/** The editor subscribes to this comms topic. */
const SIDEBAR_TOPIC = 'millwright/connections';
/** Changes come in bursts (a drained queue is one result per item): one publish per this many ms. */
const PUBLISH_MS = 500;
/** Ages and per-minute rates move without events: refreshed this often while there are connections. */
const REFRESH_MS = 5000;
/** Stops the live feed of the previous load of this plugin in this process, if any. */
let stopFeed: (() => void) | null = null;

function connectionSummary(c: SidebarConnection): ConnectionSummary {
  const box = c.outbox();
  let figures = null;
  if (box?.isOpen) {
    const m = box.getMetrics();
    figures = { pending: m.pending, inflight: m.inflight, dead: m.dead, shadow: m.shadow, oldestPendingAgeMs: m.oldestPendingAgeMs };
  }
  return summarize({
    id: c.id, name: c.name, dialect: c.dialect, baseUrl: c.baseUrl, configErrors: c.configErrors, health: c.health(), figures,
    requestsLastMinute: c.meter.lastMinute(), budgetPerMinute: c.budgetPerMinute, lastError: c.meter.last,
  });
}

function allSummaries(): ConnectionSummary[] {
  const out: ConnectionSummary[] = [];
  for (const c of sidebarRegistry.all()) {
    try {
      out.push(connectionSummary(c));
    } catch {
      // A connection whose file just closed (redeploy) is left out of this round, not the whole list.
    }
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

const num = (v: unknown): number | undefined => {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
};

/** The deployed nodes of one type, with their live instance (null when not constructed). */
function deployed<T>(RED: NodeAPI, type: string): Array<{ id: string; name: string; def: Record<string, unknown>; live: (Node & T) | null }> {
  const out: Array<{ id: string; name: string; def: Record<string, unknown>; live: (Node & T) | null }> = [];
  const tabs = new Map<string, string>();
  const found: Array<Record<string, unknown>> = [];
  RED.nodes.eachNode((d) => {
    const def = d as unknown as Record<string, unknown>;
    if (d.type === 'tab' && typeof def.label === 'string') tabs.set(d.id, def.label);
    if (d.type === type) found.push(def);
  });
  for (const def of found) {
    const id = String(def.id);
    // A node without a name is shown by its flow tab's label, as a plant engineer finds it in the editor.
    const name = typeof def.name === 'string' && def.name ? def.name : `${type} (${tabs.get(String(def.z)) ?? id})`;
    out.push({ id, name, def, live: RED.nodes.getNode(id) as (Node & T) | null });
  }
  return out;
}

export = function (RED: NodeAPI): void {
  const read = RED.auth.needsPermission('millwright.read');
  const p = SIDEBAR_PREFIX;

  const guarded = guardedRoute<Request, Response>;
  const openOutbox = (req: Request, res: Response): ReturnType<SidebarConnection['outbox']> => {
    const box = sidebarRegistry.get(String(req.params.id))?.outbox() ?? null;
    if (!box?.isOpen) sendAdminError(res, 404, 'not-found', NO_OUTBOX);
    return box?.isOpen ? box : null;
  };

  RED.httpAdmin.get(`${p}/connections`, read, guarded((_req, res) => { res.json(allSummaries()); }));

  RED.httpAdmin.get(`${p}/connections/:id/work-orders`, read, guarded((req, res) => {
    const box = openOutbox(req, res);
    if (!box) return;
    const id = String(req.params.id);
    res.json(box.recentWorkOrders(num(req.query.limit)).map((w) => ({ ...w, status: w.workOrderId ? woStatuses.get(id, w.workOrderId) : null })));
  }));

  RED.httpAdmin.get(`${p}/connections/:id/audit`, read, guarded((req, res) => {
    const box = openOutbox(req, res);
    if (!box) return;
    const q = req.query;
    res.json(box.auditFiltered({
      since: num(q.since), until: num(q.until), beforeId: num(q.before), limit: num(q.limit),
      outcome: typeof q.outcome === 'string' && q.outcome ? q.outcome : undefined,
      eventId: typeof q.eventId === 'string' && q.eventId ? q.eventId : undefined,
    }));
  }));

  // Dead letters, replay / discard (write), shadow records, exports: the outbox admin routes.
  registerOutboxRoutes(RED, (id) => {
    const box = sidebarRegistry.get(id)?.outbox() ?? null;
    return box?.isOpen ? box : undefined;
  }, `${p}/outbox`, 'millwright', 'write');

  RED.httpAdmin.get(`${p}/assets`, read, guarded((_req, res) => {
    const registries = deployed<RegistryHandle>(RED, 'mw-asset-registry').map((r) => ({
      id: r.id, name: r.name,
      report: r.live?.service ? verificationReport(r.live.service, 200) : null,
      errors: r.live ? r.live.configErrors : ['not running'],
    }));
    const maps = deployed<{ unmappedReport?: () => unknown }>(RED, 'mw-asset-map').map((m) => ({
      id: m.id, name: m.name, registry: typeof m.def.registry === 'string' ? m.def.registry : null,
      unmapped: m.live?.unmappedReport?.() ?? [],
    }));
    res.json({ registries, maps });
  }));

  RED.httpAdmin.get(`${p}/spc`, read, guarded((_req, res) => {
    res.json(deployed<{ sidebarCharts?: ChartCache }>(RED, 'mw-vision-drift').map((n) => ({
      id: n.id, name: n.name, series: n.live?.sidebarCharts?.list() ?? [],
    })));
  }));

  RED.httpAdmin.get(`${p}/spc/:id/chart`, read, guarded((req, res) => {
    const n = RED.nodes.getNode(String(req.params.id)) as (Node & { sidebarCharts?: ChartCache }) | null;
    const chart = n?.type === 'mw-vision-drift' && typeof req.query.key === 'string' ? n.sidebarCharts?.chart(req.query.key) : null;
    if (!chart) {
      sendAdminError(res, 404, 'not-found', 'no such series on a deployed mw-vision-drift node');
      return;
    }
    res.json(chart);
  }));

  // The live feed: connection summaries after each change (coalesced), and on a slow refresh for
  // the figures that move by themselves (ages, requests per minute).
  // A runtime started again in the same process (tests, embedding) loads the plugin again: the
  // previous feed stops first, so listeners and timers do not pile up.
  stopFeed?.();
  let timer: NodeJS.Timeout | null = null;
  const publish = (): void => {
    timer = null;
    RED.comms.publish(SIDEBAR_TOPIC, allSummaries(), true);
  };
  const unsubscribe = sidebarRegistry.onChange(() => {
    if (!timer) {
      timer = setTimeout(publish, PUBLISH_MS);
      timer.unref?.();
    }
  });
  const refresh = setInterval(() => { if (sidebarRegistry.all().length > 0) publish(); }, REFRESH_MS);
  refresh.unref?.();
  stopFeed = (): void => {
    unsubscribe();
    clearInterval(refresh);
    if (timer) clearTimeout(timer);
    timer = null;
  };
};
