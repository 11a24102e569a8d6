// What a node that uses an mw-cmms connection sees of it. Kept apart from the config node's
// module so that user nodes import a type, not another node file.
import type { CmmsClient } from '../core/cmms/types';
import type { HealthSnapshot } from '../core/cmms/health';
import type { Node } from './red';

export interface CmmsConnection extends Node {
  /** Null when the connection's settings are invalid; the reason is in `configErrors`. */
  readonly client: CmmsClient | null;
  readonly configErrors: string[];
  readonly health: HealthSnapshot;
  /** Shows the connection state on `user` until it deregisters; call from the user's constructor. */
  register(user: Node): void;
  /** Call from the user's close handler. */
  deregister(user: Node): void;
}
