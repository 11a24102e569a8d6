// What a node that uses an mw-cmms connection sees of it. Kept apart from the config node's
// module so that user nodes import a type, not another node file.
import type { CmmsClient } from '../core/cmms/types';
import type { HealthSnapshot } from '../core/cmms/health';
import type { Outbox, OutboxResult } from '../core/outbox';
import type { Node, NodeStatus } from './red';

/** Called on every change of the link's state, with the status the connection would show. */
export type HealthHandler = (snapshot: HealthSnapshot, status: NodeStatus) => void;

export interface CmmsConnection extends Node {
  /** Null when the connection's settings are invalid; the reason is in `configErrors`. */
  readonly client: CmmsClient | null;
  readonly configErrors: string[];
  /**
   * The secrets the sign-in lacks (empty when all are there): the connection then keeps shadow
   * records only; live sends must be refused.
   */
  readonly missingSecrets: string[];
  readonly health: HealthSnapshot;
  /** The status text for the current link state, translated. */
  healthStatus(): NodeStatus;
  /**
   * Follows the connection state until `user` deregisters; call from the user's constructor.
   * Without a handler the state is shown as the user's status.
   */
  register(user: Node, onHealth?: HealthHandler): void;
  /** Call from the user's close handler. */
  deregister(user: Node): void;
  /**
   * The connection's durable outbox, opened on first use. Throws, with the settings' problems,
   * when the connection is not usable.
   */
  outbox(): Outbox;
  /** Delivers the outbox results of items that `nodeId` enqueued; returns the unsubscribe function. */
  onResult(nodeId: string, handler: (r: OutboxResult) => void): () => void;
}
