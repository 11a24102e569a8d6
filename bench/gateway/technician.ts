// The technician of the gateway-day benchmark: completes each alarm work order in the CMMS simulator
// some seconds after it appears, as a person would after fixing the fault, through the simulator's
// status API (POST /__sim/status, the same call its page's buttons make). mw-wo-status then reports
// the completion to mw-threshold, which re-arms the rule, so the next episode of the same tag makes
// a new work order instead of continuing the old episode (holdWhileWorkOrderOpen).
import type { CmmsSim } from '../../sim/cmms';

export interface Technician {
  /** Ids of the work orders completed so far. */
  completed: Set<string>;
  stop(): Promise<void>;
}

const DONE = new Set(['COMP', 'CLOSE', 'CAN']);

export function startTechnician(cmms: CmmsSim, opts: { assets: string[]; afterMs: number; log: (s: string) => void }): Technician {
  const assets = new Set(opts.assets);
  const completed = new Set<string>();
  const busy = new Set<string>(); // taken up (completed, refused or failing)
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  const complete = async (id: string): Promise<void> => {
    const res = await fetch(`${cmms.url}/__sim/status`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ dialect: 'maximo', id, status: 'COMP' }),
    });
    if (res.ok) completed.add(id);
    else opts.log(`technician: completing work order ${id} answered ${res.status} ${(await res.text()).slice(0, 200)}`);
  };
  const timer = setInterval(() => {
    const now = Date.now();
    for (const w of cmms.workOrders('maximo')) {
      if (stopped || completed.has(w.id) || busy.has(w.id) || DONE.has(w.status) || !assets.has(String(w.fields.assetnum))) continue;
      if (now - w.createdAt < opts.afterMs) continue;
      busy.add(w.id);
      // Tried once: a refusal is logged, not retried every second.
      running = running.then(() => complete(w.id)).catch((e: unknown) => opts.log(`technician: ${(e as Error).message}`));
    }
  }, 1000);
  return {
    completed,
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
