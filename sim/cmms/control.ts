// The control API under /__sim/ and the HTML page at /. Not authenticated, never faulted and not
// recorded: it is the test's and the demo operator's side door, not part of any vendor API.
import { FaultSpecError, type FaultRegistry } from './faults';
import { isRecord, json, jsonBody, type SimRequest, type SimResponse } from './http';
import { renderPage } from './page';
import type { StatusResult } from './store';
import { DIALECTS, type Dialect, type RecordedRequest, type SimWorkOrder } from './types';
import type { WebhookDispatcher } from './webhooks';

export interface ControlDeps {
  now(): number;
  requests(): RecordedRequest[];
  clearRequests(): void;
  faults: FaultRegistry;
  webhooks: WebhookDispatcher;
  workOrders(): SimWorkOrder[];
  wire(wo: SimWorkOrder, baseUrl: string): unknown;
  setStatus(dialect: Dialect, id: string, status: string): StatusResult;
  /** Adds an asset to the master data (Maximo's view); an error text when the body is not one. */
  addAsset(body: unknown): string | null;
  reset(): void;
}

export function isControlPath(path: string): boolean {
  return path === '/' || path === '/favicon.ico' || path === '/__sim' || path.startsWith('/__sim/');
}

const bad = (status: number, message: string): SimResponse => json(status, { error: message });

export function handleControl(req: SimRequest, deps: ControlDeps): SimResponse {
  const { method, path } = req;
  if (path === '/') {
    if (method !== 'GET') return bad(405, 'GET only');
    return { status: 200, headers: { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' }, body: renderPage(deps.workOrders()) };
  }
  if (path === '/favicon.ico') return { status: 204 };
  const route = path.replace(/\/+$/, '');
  if (route === '/__sim/requests') {
    if (method === 'GET') return json(200, deps.requests());
    if (method === 'DELETE') { deps.clearRequests(); return { status: 204 }; }
    return bad(405, 'GET or DELETE');
  }
  if (route === '/__sim/state' && method === 'GET') {
    const workOrders = deps.workOrders();
    const requests = deps.requests();
    const byDialect: Record<string, number> = {};
    for (const r of requests) byDialect[r.dialect ?? 'none'] = (byDialect[r.dialect ?? 'none'] ?? 0) + 1;
    return json(200, {
      now: deps.now(),
      workOrders: workOrders.map((wo) => ({ ...structuredClone(wo), wire: deps.wire(wo, req.baseUrl) })),
      faults: deps.faults.list(),
      webhooks: { targets: deps.webhooks.list(), deliveries: deps.webhooks.deliveries() },
      counters: { requests: requests.length, byDialect, workOrders: workOrders.length },
    });
  }
  if (route === '/__sim/faults') {
    if (method === 'DELETE') { deps.faults.clear(); return { status: 204 }; }
    if (method === 'GET') return json(200, deps.faults.list());
    if (method !== 'POST') return bad(405, 'GET, POST or DELETE');
    const parsed = jsonBody(req);
    if (!parsed.ok) return bad(400, parsed.error);
    try {
      return json(201, { id: deps.faults.add(parsed.value) });
    } catch (err) {
      if (err instanceof FaultSpecError) return bad(400, err.message);
      throw err;
    }
  }
  const one = /^\/__sim\/faults\/([^/]+)$/.exec(route);
  if (one && method === 'DELETE') return deps.faults.remove(one[1]) ? { status: 204 } : bad(404, `no fault ${one[1]}`);
  if (route === '/__sim/webhooks' && method === 'POST') {
    const parsed = jsonBody(req);
    if (!parsed.ok) return bad(400, parsed.error);
    try {
      return json(201, { id: deps.webhooks.add(parsed.value) });
    } catch (err) {
      return bad(400, (err as Error).message);
    }
  }
  if (route === '/__sim/status' && method === 'POST') {
    const parsed = jsonBody(req);
    const b = parsed.ok && isRecord(parsed.value) ? parsed.value : null;
    if (!b || !DIALECTS.includes(b.dialect as Dialect) || typeof b.id !== 'string' || typeof b.status !== 'string') {
      return bad(400, 'body must be {dialect, id, status}');
    }
    const r = deps.setStatus(b.dialect as Dialect, b.id, b.status);
    if (r.ok) return json(200, structuredClone(r.workOrder));
    if (r.reason === 'not-found') return bad(404, `no ${String(b.dialect)} work order ${b.id}`);
    return bad(409, r.reason === 'unknown-status' ? `unknown status ${r.to}` : `cannot move from ${r.from} to ${r.to}`);
  }
  if (route === '/__sim/assets' && method === 'POST') {
    // Master data changes as a CMMS administrator would make them (a new asset entered in Maximo),
    // e.g. to fix the cause of a dead letter and replay it. Reset restores the default assets.
    const parsed = jsonBody(req);
    if (!parsed.ok) return bad(400, parsed.error);
    const problem = deps.addAsset(parsed.value);
    return problem ? bad(400, problem) : { status: 201 };
  }
  if (route === '/__sim/reset' && method === 'POST') {
    deps.reset();
    return { status: 204 };
  }
  return bad(404, `no control endpoint ${method} ${path}`);
}
