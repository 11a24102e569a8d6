// What the Millwright sidebar plugin reads of the running nodes. Node-RED loads the plugin and the
// nodes of this package from the same files, so this module is one instance shared by both: mw-cmms
// adds its connections here, mw-wo-status its statuses; the plugin only reads and listens.
import type { HealthSnapshot } from '../core/cmms/health';
import type { RequestMeter } from '../core/cmms/request-meter';
import type { Outbox } from '../core/outbox';
import { LatestStatuses } from '../core/wo-status/latest';

export interface SidebarConnection {
  id: string;
  name: string;
  dialect: string | null;
  baseUrl: string | null;
  configErrors: string[];
  health(): HealthSnapshot;
  /** The open outbox, or null while no mw-work-order has opened it (the sidebar never opens one). */
  outbox(): Outbox | null;
  meter: RequestMeter;
  budgetPerMinute: number | null;
}

type Listener = (connectionId: string | null) => void;

const connections = new Map<string, SidebarConnection>();
const listeners = new Set<Listener>();

export const woStatuses = new LatestStatuses();

export const sidebarRegistry = {
  add(c: SidebarConnection): void {
    connections.set(c.id, c);
    this.changed(c.id);
  },
  /** Removes `c` if it is still the entry of its id (a redeployed node of the same id may have replaced it). */
  remove(c: SidebarConnection): void {
    if (connections.get(c.id) !== c) return;
    connections.delete(c.id);
    this.changed(null);
  },
  get(id: string): SidebarConnection | undefined {
    return connections.get(id);
  },
  all(): SidebarConnection[] {
    return [...connections.values()];
  },
  /** Something a connection shows has changed (or, with null, the list itself). */
  changed(id: string | null): void {
    for (const l of listeners) {
      try {
        l(id);
      } catch {
        // A listener's failure must not reach the node that reported the change.
      }
    }
  },
  onChange(l: Listener): () => void {
    listeners.add(l);
    return () => listeners.delete(l);
  },
};
