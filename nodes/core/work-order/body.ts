// The default translation of a maintenance event into the body each CMMS expects. A plant can
// override any of it (a severity→priority table and a JSONata expression in the editor); these
// defaults are what a maintenance planner would fill in by hand. The reference field that makes a
// work order findable again (externalrefid, correlation_id, externalData, Idempotency-Key) is added
// by the CMMS client, not here, so no mapping can forget it.
import type { MaintenanceEvent, Severity } from '../contracts';
import type { DialectName } from '../cmms/types';
import { resolvePriority, serviceNowPair } from '../cmms/priority';

export interface MappingOptions {
  /** Overrides the event's own priority per severity; values are the CMMS's own (1, "HIGH", …). */
  priorityBySeverity?: Partial<Record<Severity, number | string>>;
  /** Maximo work type; corrective maintenance by default. */
  workType?: string;
  /**
   * Maximo `reportedby`: who the CMMS shows as the requester. It must be an existing person, so it
   * is sent only when set; without it Maximo records the API key's user.
   */
  reportedBy?: string;
}

const DEFAULT_WORK_TYPE = 'CM';
/** The value older editors saved by default; read as "not set" (see settings.ts migrate). */
export const LEGACY_REPORTED_BY = 'MILLWRIGHT';

/** Field lengths of the stock CMMS schemas: longer text is cut, not rejected by the CMMS. */
const MAXIMO_DESCRIPTION = 100;
const SERVICENOW_SHORT = 160;
const MAINTAINX_TITLE = 200;

/** What a cut text ends with: ASCII, so it is one character in every CMMS's counting. */
const CUT_MARKER = '...';

/**
 * `text` in at most `max` UTF-16 code units (how Maximo's Java and ServiceNow count a field's
 * length), ending in an ASCII marker when cut, and never cut between the halves of a surrogate pair.
 */
export function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max - CUT_MARKER.length);
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}${CUT_MARKER}`;
}

/** The priority to send, always one the dialect accepts (priority.ts). */
function priorityFor(event: MaintenanceEvent, opts: MappingOptions, dialect: DialectName = 'rest'): number | string {
  return resolvePriority(dialect, event, opts.priorityBySeverity);
}

/** Human-readable evidence: what a technician reads before walking to the machine. */
export function evidenceText(event: MaintenanceEvent): string {
  const lines = [
    event.summary,
    '',
    `Asset: ${event.asset.id} at ${event.asset.location} (site ${event.asset.siteId})`,
    `Signal: ${event.metric} = ${event.value ?? 'n/a'}${event.limit !== null ? `, limit ${event.limit}` : ''} (${event.level}, ${event.severity})`,
    `Since: ${event.occurredAt}`,
  ];
  const details = Object.entries(event.details);
  if (details.length > 0) {
    lines.push('', 'Evidence:');
    for (const [k, v] of details) lines.push(`- ${k}: ${v === null ? 'n/a' : String(v)}`);
  }
  lines.push('', `Millwright event ${event.eventId} (rule ${event.ruleId}, episode ${event.episodeId})`);
  return lines.join('\n');
}

function customString(event: MaintenanceEvent, key: string): string | undefined {
  const v = event.asset.custom?.[key];
  return typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined;
}

export function defaultBody(dialect: DialectName, event: MaintenanceEvent, opts: MappingOptions = {}): Record<string, unknown> {
  const priority = priorityFor(event, opts, dialect);
  const evidence = evidenceText(event);
  switch (dialect) {
    case 'maximo': {
      const body: Record<string, unknown> = {
        description: cut(event.summary, MAXIMO_DESCRIPTION),
        description_longdescription: evidence,
        assetnum: event.asset.id,
        siteid: event.asset.siteId,
        worktype: opts.workType ?? DEFAULT_WORK_TYPE,
        wopriority: priority,
      };
      if (opts.reportedBy) body.reportedby = opts.reportedBy;
      // Maximo validates location codes; our ISA-95 path is not one, so only an explicit code is sent.
      const location = customString(event, 'cmmsLocation');
      if (location) body.location = location;
      return body;
    }
    case 'servicenow': {
      // ServiceNow computes priority from impact × urgency and overwrites an explicit one: send the pair.
      const { impact, urgency } = serviceNowPair(priority) ?? { impact: 2, urgency: 2 };
      return {
        short_description: cut(event.summary, SERVICENOW_SHORT),
        description: evidence,
        cmdb_ci: customString(event, 'cmdbCi') ?? event.asset.id,
        impact: String(impact),
        urgency: String(urgency),
        category: 'hardware',
      };
    }
    case 'maintainx': {
      const assetId = customString(event, 'maintainxAssetId');
      return {
        title: cut(event.summary, MAINTAINX_TITLE),
        description: evidence,
        priority,
        type: 'REACTIVE',
        ...(assetId && /^\d+$/.test(assetId) ? { assetId: Number(assetId) } : {}),
      };
    }
    case 'rest':
      return {
        title: event.summary,
        description: evidence,
        priority,
        severity: event.severity,
        asset: event.asset,
        event,
      };
  }
}

/** Body of an escalation update: the new priority and a note saying why. */
export function escalationChange(dialect: DialectName, event: MaintenanceEvent, opts: MappingOptions = {}): { priority: number | string; note: string } {
  const priority = priorityFor(event, opts, dialect);
  return { priority, note: `Escalated to ${event.level} (${event.severity}): ${event.summary}\n\n${evidenceText(event)}` };
}

export function clearedNote(event: MaintenanceEvent): string {
  return `Condition cleared: ${event.summary}\n\n${evidenceText(event)}`;
}

/** The note by which a new episode joins the asset's open work order ("one work order per asset"). */
export function joinedNote(event: MaintenanceEvent): string {
  return `Further problem on this asset (${event.level}, ${event.severity}): ${event.summary}\nEvent ${event.eventId}; this work order covers it.\n\n${evidenceText(event)}`;
}
