// In-memory work orders of all dialects, with the status machines enforced in one place so the
// API, the control API and the HTML page cannot disagree about what a valid move is.
import { MACHINES } from './states';
import type { Dialect, SimWorkOrder } from './types';

export interface StatusChange {
  workOrder: SimWorkOrder;
  /** The work order as it was before the move (for payloads carrying old and new). */
  before: SimWorkOrder;
  from: string;
  to: string;
  at: number;
  /** The caller asked not to notify (MaintainX ?skipWebhook=true). */
  silent: boolean;
}

export type StatusResult =
  | { ok: true; workOrder: SimWorkOrder; changed: boolean }
  | { ok: false; reason: 'not-found' | 'unknown-status' | 'invalid-transition'; from?: string; to: string };

/** Lets a dialect keep its own fields (statusdate, resolved_at, completedAt) in step with a move. */
type TransitionHook = (wo: SimWorkOrder, from: string, to: string, at: number) => void;

export class WorkOrderStore {
  private readonly rows = new Map<string, SimWorkOrder>();
  private readonly counters = new Map<string, number>();
  private readonly hooks = new Map<Dialect, TransitionHook>();

  constructor(
    private readonly now: () => number,
    private readonly onStatus: (change: StatusChange) => void,
  ) {}

  onTransition(dialect: Dialect, hook: TransitionHook): void {
    this.hooks.set(dialect, hook);
  }

  /** Next number of a named sequence (work-order numbers, numeric ids), starting at `start`. */
  nextSeq(name: string, start: number): number {
    const n = this.counters.get(name) ?? start;
    this.counters.set(name, n + 1);
    return n;
  }

  create(dialect: Dialect, id: string, ref: string | null, fields: Record<string, unknown>): SimWorkOrder {
    const at = this.now();
    const wo: SimWorkOrder = { dialect, id, ref, status: MACHINES[dialect].initial, fields, createdAt: at, updatedAt: at };
    this.rows.set(key(dialect, id), wo);
    return wo;
  }

  get(dialect: Dialect, id: string): SimWorkOrder | undefined {
    return this.rows.get(key(dialect, id));
  }

  /** Live records in creation order; callers outside the simulator get copies (see index.ts). */
  list(dialect?: Dialect): SimWorkOrder[] {
    const all = [...this.rows.values()];
    return dialect ? all.filter((w) => w.dialect === dialect) : all;
  }

  touch(wo: SimWorkOrder): void {
    wo.updatedAt = Math.max(this.now(), wo.updatedAt);
  }

  changeStatus(dialect: Dialect, id: string, input: string, opts: { silent?: boolean } = {}): StatusResult {
    const machine = MACHINES[dialect];
    const to = machine.normalize(input);
    const wo = this.get(dialect, id);
    if (!wo) return { ok: false, reason: 'not-found', to: input };
    if (to === null) return { ok: false, reason: 'unknown-status', from: wo.status, to: input };
    if (to === wo.status) return { ok: true, workOrder: wo, changed: false };
    if (!machine.allowed(wo.status, to)) return { ok: false, reason: 'invalid-transition', from: wo.status, to };
    const before = structuredClone(wo);
    const from = wo.status;
    const at = this.now();
    wo.status = to;
    this.touch(wo);
    this.hooks.get(dialect)?.(wo, from, to, at);
    this.onStatus({ workOrder: wo, before, from, to, at, silent: opts.silent === true });
    return { ok: true, workOrder: wo, changed: true };
  }

  clear(): void {
    this.rows.clear();
    this.counters.clear();
  }
}

function key(dialect: Dialect, id: string): string {
  return `${dialect}\u0000${id}`;
}
