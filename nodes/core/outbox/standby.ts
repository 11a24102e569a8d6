// Redundant gateways (README "Redundant gateways"): two gateways watch the same line and feed the
// same events into their own outboxes. The standby holds each item for a while after queueing it,
// so that by its first attempt the primary's work order (found by reference) and note (found by
// its marker) are already in the CMMS.

interface StandbySettings {
  role: 'primary' | 'standby';
  standbyDelayMs: number;
}

/**
 * Until when a standby holds an item before its first attempt, or null to send now. Measured from
 * the enqueue, and never more than the delay from now (the wall clock may have been set back).
 * `attempts` is the count after the claim, so 1 is the first attempt.
 */
export function standbyHoldUntil(s: StandbySettings, row: { enqueued_at: number; attempts: number }, now: number): number | null {
  if (s.role !== 'standby' || s.standbyDelayMs <= 0 || row.attempts !== 1) return null;
  const until = Math.min(row.enqueued_at + s.standbyDelayMs, now + s.standbyDelayMs);
  return until > now ? until : null;
}
