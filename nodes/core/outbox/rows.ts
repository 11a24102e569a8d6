// What the outbox's item rows and audit rows look like to the code (the table itself is in
// schema.ts): the row as read, a new item as written, and the counters the store keeps beside them.
import type { AuditRecord, DeadReason, ItemState, OutboxAction } from './types';

export interface ItemRow {
  id: number;
  event_id: string;
  action: OutboxAction;
  connection: string;
  asset_key: string;
  node_id: string;
  body: string;
  event: string;
  bytes: number;
  shadow: number;
  state: ItemState;
  occurred_at: number;
  enqueued_at: number;
  deadline_at: number;
  next_at: number;
  attempts: number;
  auth_failures: number;
  lease_until: number | null;
  ambiguous: number;
  link_wait: number;
  work_order_id: string | null;
  href: string | null;
  outcome: string | null;
  dead_reason: DeadReason | null;
  last_error: string | null;
  done_at: number | null;
  /** A note of an episode that joined another event's work order: that event's id (schema 4). */
  target_event_id: string | null;
  /** On creates and joining notes: the rule family the episode belongs to (schema 4). */
  family: string | null;
  /** On creates: 1 once the work order is known to be done, closed or cancelled (schema 4). */
  wo_finished: number;
  /** On creates: when the work order was reported finished (the status's own time), ms. */
  wo_finished_at: number | null;
}

export interface NewItem {
  eventId: string;
  action: OutboxAction;
  connection: string;
  assetKey: string;
  nodeId: string;
  body: string;
  event: string;
  shadow: boolean;
  occurredAt: number;
  enqueuedAt: number;
  deadlineAt: number;
  /** Stored size of body and event, counted against the outbox's byte cap. */
  bytes: number;
  /** Replayed creates look the work order up before sending. */
  ambiguous?: boolean;
  /** The event whose work order this item changes, when not its own (an episode joined it). */
  targetEventId?: string | null;
  /** Creates and joining notes: the rule family, for "one work order per asset and rule family". */
  family?: string | null;
}

/** An audit row before the database gives it an id. */
export type AuditEntry = Omit<AuditRecord, 'id'>;

export interface Held {
  rows: number;
  bytes: number;
}

export function itemBytes(body: string, event: string): number {
  return Buffer.byteLength(body) + Buffer.byteLength(event);
}
