// Deterministic episode identity: the same site, asset, rule, condition and episode start always
// give the same eventId, the dedupe key all the way to the CMMS. Readable when the parts allow it
// (it ends up in the CMMS's reference field, where people read it), a hash otherwise.
import { createHash } from 'node:crypto';

export type CondKind = 'limit' | 'roc' | 'sensor';

const SAFE = /^[A-Za-z0-9_-]+$/;
const SAFE_RULE = /^[A-Za-z0-9_:-]+$/;
/** Long ids do not fit some CMMS reference fields; beyond this the hash form is used. */
const MAX_READABLE = 120;

/** 2026-03-01T10:15:00.123Z → 20260301T101500123Z */
function compactTime(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:.]/g, '');
}

/** `seq` > 0 numbers episodes that started at the same source time (a frozen clock): `….n2`. */
export function eventIdFor(siteId: string, assetId: string, ruleId: string, cond: CondKind, startMs: number, seq = 0): string {
  const stamp = compactTime(startMs) + (seq > 0 ? `.n${seq}` : '');
  if (SAFE.test(siteId) && SAFE.test(assetId) && SAFE_RULE.test(ruleId)) {
    const id = `${siteId}.${assetId}.${ruleId}.${cond}.${stamp}`;
    if (id.length <= MAX_READABLE) return id;
  }
  const hash = createHash('sha256').update(JSON.stringify(seq > 0 ? [siteId, assetId, ruleId, cond, startMs, seq] : [siteId, assetId, ruleId, cond, startMs])).digest('hex');
  return `mw-${hash.slice(0, 40)}`;
}

export function episodeIdFor(ruleId: string, cond: CondKind, startMs: number, seq = 0): string {
  return `${ruleId}/${cond}/${new Date(startMs).toISOString()}${seq > 0 ? `#${seq}` : ''}`;
}
