// What the fault tests that run a real Node-RED against the CMMS simulator share: an mw-cmms node
// per dialect with that dialect's own sign-in and address (each simulator dialect accepts only its
// own credentials), maintenance events on assets every dialect's master data holds once, and the
// notes a simulated work order carries. Not a spec file.
import assert from 'node:assert/strict';
import { SIM_CREDENTIALS, type Dialect, type SimWorkOrder } from '../../sim/cmms';
import type { NodeRedChild } from './package-runtime';
import { notesOf } from './outbox-dialects';

export { notesOf };

export const DIALECTS: readonly Dialect[] = ['maximo', 'servicenow', 'maintainx', 'rest'];

/**
 * Operating assets, each once in the simulator's master data, with their site. Not PUMP-101: it
 * exists at two sites, so ServiceNow's CI lookup by name is ambiguous and refuses the create (a
 * permanent error: every such event becomes a dead letter).
 */
export const ASSETS: readonly (readonly [asset: string, site: string])[] = [
  ['PUMP-102', 'BEDFORD'], ['MTR-201', 'BEDFORD'], ['MTR-202', 'BEDFORD'], ['CONV-301', 'BEDFORD'], ['CONV-302', 'BEDFORD'],
  ['CMP-401', 'BEDFORD'], ['HX-601', 'BEDFORD'], ['PRS-701', 'BEDFORD'], ['CAM-901', 'BEDFORD'],
  ['PUMP-201', 'NASHUA'], ['MTR-301', 'NASHUA'], ['CONV-101', 'NASHUA'], ['BLR-101', 'NASHUA'], ['FAN-501', 'NASHUA'], ['CAM-911', 'NASHUA'],
  ['PUMP-301', 'LAREDO'], ['MTR-401', 'LAREDO'], ['CONV-501', 'LAREDO'], ['GBX-601', 'LAREDO'], ['EXT-701', 'LAREDO'], ['MIX-801', 'LAREDO'],
];

/** The mw-cmms node of a dialect: the simulator's address for it and the sign-in it accepts. */
export function cmmsNode(dialect: Dialect, simUrl: string, id: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const common = {
    id, type: 'mw-cmms', z: '', name: `${dialect} ${id}`, dialect, timeoutSeconds: 3,
    ratePerMinute: 60000, rateBurst: 500, concurrency: 8, probeIntervalSeconds: 5, ...extra,
  };
  const c = SIM_CREDENTIALS;
  switch (dialect) {
    case 'maximo':
      return { ...common, baseUrl: simUrl, authType: 'apikey', credentials: { apiKey: c.maximo.apiKey } };
    case 'servicenow':
      return { ...common, baseUrl: simUrl, authType: 'basic', credentials: { username: c.servicenow.username, password: c.servicenow.password } };
    case 'maintainx':
      return { ...common, baseUrl: simUrl, authType: 'bearer', credentials: { token: c.maintainx.token } };
    case 'rest':
      return { ...common, baseUrl: `${simUrl}/rest`, authType: 'bearer', credentials: { token: c.rest.token } };
  }
}

export type EventState = 'raised' | 'escalated' | 'cleared';

/** A maintenance event as mw-threshold sends it; the same id and content on every gateway. */
export function maintenanceEvent(eventId: string, [asset, site]: readonly [string, string], state: EventState = 'raised', occurredAt = new Date().toISOString()): object {
  const escalated = state === 'escalated';
  return {
    kind: 'alarm', state, eventId, episodeId: eventId, ruleId: 'vib-hh',
    asset: { id: asset, siteId: site, location: `${site}/AREA1/LINE1/${asset}` },
    metric: 'vibration', value: escalated ? 15.2 : 13.1, limit: 12.5, level: 'HH',
    severity: escalated ? 'critical' : 'high', priority: escalated ? 1 : 2,
    summary: `Vibration high-high ${eventId}`, details: {}, occurredAt,
  };
}

export async function deploy(red: NodeRedChild, body: object[]): Promise<void> {
  const res = await fetch(`${red.url}/flows`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'Node-RED-Deployment-Type': 'full' }, body: JSON.stringify(body),
  });
  assert.ok(res.status === 200 || res.status === 204, `deploy: ${res.status} ${await res.text()}`);
}

interface OutboxNumbers {
  pending: number;
  dead: number;
  outcomes: Record<string, number>;
}

export async function outboxMetrics(red: NodeRedChild, connection: string): Promise<OutboxNumbers | undefined> {
  const res = await fetch(`${red.url}/mw-outbox/${connection}/metrics`).catch(() => undefined);
  return res && res.status === 200 ? ((await res.json()) as OutboxNumbers) : undefined;
}

/**
 * Our compact reference on a simulated work order: the simulator keeps MaintainX's whole
 * externalData (as JSON) as its `ref`, where our reference is `millwrightEventId`.
 */
export function simReference(wo: SimWorkOrder): string | null {
  if (wo.dialect !== 'maintainx' || !wo.ref?.startsWith('{')) return wo.ref;
  try {
    const v = (JSON.parse(wo.ref) as Record<string, unknown>).millwrightEventId;
    return typeof v === 'string' ? v : null;
  } catch {
    return null;
  }
}

/** The `[mw:…]` markers of a work order's notes that occur more than once (a doubled note). */
export function doubledMarkers(wo: SimWorkOrder): string[] {
  const seen = new Map<string, number>();
  for (const n of notesOf(wo)) {
    const m = /\[mw:[A-Z2-7]{16}\]/.exec(n);
    if (m) seen.set(m[0], (seen.get(m[0]) ?? 0) + 1);
  }
  return [...seen].filter(([, k]) => k > 1).map(([marker]) => marker);
}
