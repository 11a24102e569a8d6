// What a CMMS says changed, in one shape whatever the dialect: from a webhook body or from a
// polled work order. Reading only: no normalisation, no linking (those come after).
import type { CmmsWorkOrder } from '../cmms/types';
import { asRecord, referenceValue, text, toIso, type Json } from '../cmms/values';
import { REFERENCE_KEY } from '../cmms/maintainx';
import type { StatusDialect } from './normalise';

export interface RawChange {
  workOrderId: string;
  cmmsStatus: string;
  /** ISO 8601 (UTC); the receipt time when the CMMS did not say. */
  changedAt: string;
  changedBy?: string;
  href?: string;
  /** Our eventId when the CMMS carries it (externalrefid, correlation_id, externalData, reference). */
  reference?: string;
  assetId?: string;
  displayId?: string;
}

export class BodyError extends Error {}

/** At most this many changes in one delivery: a Maximo publish channel may batch, a flood may not. */
const MAX_CHANGES_PER_BODY = 500;

const str = (v: unknown): string | undefined => text(v) ?? undefined;
const clip = (s: string | undefined, n = 200): string | undefined => (s === undefined ? undefined : s.slice(0, n));

function finish(c: Partial<RawChange> & { workOrderId?: string | null; cmmsStatus?: string | null }, receivedIso: string): RawChange {
  if (!c.workOrderId) throw new BodyError('no work-order id in the body');
  if (!c.cmmsStatus) throw new BodyError(`no status for work order ${c.workOrderId}`);
  if (c.workOrderId.length > 200 || c.cmmsStatus.length > 100) throw new BodyError('work-order id or status too long');
  const out: RawChange = { workOrderId: c.workOrderId, cmmsStatus: c.cmmsStatus, changedAt: toIso(c.changedAt, receivedIso) };
  for (const k of ['changedBy', 'href', 'reference', 'assetId', 'displayId'] as const) {
    const v = clip(c[k], k === 'href' ? 2000 : 200);
    if (v) out[k] = v;
  }
  return out;
}

/** Maximo lean work order (publish channel JSON, or our own poll). */
function maximoChange(m: Json, refAttr: string, received: string): RawChange {
  return finish({
    workOrderId: str(m.wonum) ?? str(m.workorderid), cmmsStatus: str(m.status), changedAt: str(m.changedate) ?? str(m.statusdate),
    changedBy: str(m.changeby), href: str(m.href), reference: str(m[refAttr]), assetId: str(m.assetnum),
  }, received);
}

/** ServiceNow record (business rule's JSON of current, or the Table API's `result`). */
function serviceNowChange(m: Json, refField: string, received: string): RawChange {
  return finish({
    workOrderId: referenceValue(m.sys_id) ?? undefined, cmmsStatus: referenceValue(m.state) ?? undefined, changedAt: str(m.sys_updated_on),
    changedBy: str(m.sys_updated_by), reference: referenceValue(m[refField]) ?? undefined, assetId: referenceValue(m.cmdb_ci) ?? undefined,
    displayId: str(m.number), href: str(m.href),
  }, received);
}

function maintainxWorkOrder(w: Json, received: string, at?: string): RawChange {
  const ext = w.externalData;
  return finish({
    workOrderId: str(w.id), cmmsStatus: str(w.status), changedAt: at ?? str(w.updatedAt),
    reference: typeof ext === 'string' ? ext : str(asRecord(ext)?.[REFERENCE_KEY]), assetId: str(w.assetId),
    displayId: str(w.sequentialId),
  }, received);
}

function restChange(d: Json, received: string, at?: string): RawChange {
  const wo = asRecord(d.workOrder) ?? {};
  return finish({
    workOrderId: str(d.id) ?? str(wo.id), cmmsStatus: str(d.status) ?? str(wo.status),
    changedAt: str(d.changedAt) ?? at ?? str(wo.updatedAt), changedBy: str(d.changedBy) ?? str(wo.changedBy),
    reference: str(d.ref) ?? str(d.reference) ?? str(wo.reference), assetId: str(d.assetId) ?? str(wo.assetId) ?? str(wo.asset),
    href: str(d.href) ?? str(wo.href),
  }, received);
}

export interface ParseOptions {
  dialect: StatusDialect;
  receivedIso: string;
  /** Maximo reference attribute (default externalrefid); ServiceNow reference field (default correlation_id). */
  referenceField?: string;
}

function records(body: unknown): Json[] {
  const list = Array.isArray(body) ? body : asRecord(body)?.member !== undefined ? asRecord(body)?.member : [body];
  if (!Array.isArray(list)) throw new BodyError('member must be a list');
  if (list.length === 0) throw new BodyError('no work order in the body');
  if (list.length > MAX_CHANGES_PER_BODY) throw new BodyError(`more than ${MAX_CHANGES_PER_BODY} work orders in one body`);
  return list.map((r) => {
    const m = asRecord(r);
    if (!m) throw new BodyError('each work order must be an object');
    return m;
  });
}

/**
 * A webhook body (already JSON-parsed) to changes. Shapes, per sender:
 * - MaintainX: `{type: "WORK_ORDER_STATUS_CHANGE", workOrderId, occurredAt, newWorkOrder}` (other types are ignored: []);
 * - Standard Webhooks (any dialect): `{type, timestamp, data: {id, status, changedAt?, changedBy?, ref?, assetId?, href?, workOrder?}}`;
 * - Maximo publish channel: one lean work order, a list of them, or `{member: […]}`;
 * - ServiceNow business rule: one record (`sys_id`, `state`, `sys_updated_on`, …), a list, or `{result: …}`.
 */
export function parseWebhookBody(body: unknown, opts: ParseOptions, standard: boolean): RawChange[] {
  const root = asRecord(body);
  if (standard || (root && asRecord(root.data) && typeof root.type === 'string')) {
    if (!root) throw new BodyError('the body must be a JSON object');
    const data = asRecord(root.data);
    if (!data) throw new BodyError('no data object');
    if (typeof root.type === 'string' && !/status|changed|updated/i.test(root.type)) return [];
    if (opts.dialect === 'maintainx' && asRecord(data.workOrder)) return [maintainxWorkOrder(asRecord(data.workOrder) as Json, opts.receivedIso, str(root.timestamp))];
    return [restChange(data, opts.receivedIso, str(root.timestamp))];
  }
  switch (opts.dialect) {
    case 'maintainx': {
      if (!root) throw new BodyError('the body must be a JSON object');
      if (root.type !== 'WORK_ORDER_STATUS_CHANGE' && root.type !== 'WORK_ORDER_CHANGE') return [];
      const wo = asRecord(root.newWorkOrder);
      if (!wo) throw new BodyError('no newWorkOrder');
      return [maintainxWorkOrder({ ...wo, id: wo.id ?? root.workOrderId }, opts.receivedIso, str(root.occurredAt))];
    }
    case 'maximo':
      return records(body).map((m) => maximoChange(m, (opts.referenceField ?? 'externalrefid').toLowerCase(), opts.receivedIso));
    case 'servicenow': {
      const inner = root && root.result !== undefined ? root.result : body;
      return records(inner).map((m) => serviceNowChange(m, opts.referenceField ?? 'correlation_id', opts.receivedIso));
    }
    case 'rest':
      return records(body).map((m) => restChange(m, opts.receivedIso));
  }
}

/** A work order from the client's listChangedSince (already in the client's neutral shape). */
export function fromPolled(wo: CmmsWorkOrder): RawChange {
  const out: RawChange = { workOrderId: wo.id, cmmsStatus: wo.cmmsStatus, changedAt: wo.changedAt };
  if (wo.href) out.href = wo.href;
  if (wo.reference) out.reference = wo.reference;
  if (wo.assetId) out.assetId = wo.assetId;
  if (wo.displayId) out.displayId = wo.displayId;
  return out;
}
