// Shared set-up for the CMMS client tests against the simulator: one clock that both the
// simulator and the client read, and a sleep that moves that clock instead of waiting, so token
// expiry, rate-limit resets and Retry-After are exact and instant.
import assert from 'node:assert/strict';
import { createCmmsClient, type ClientDeps, type CmmsClient, type CmmsConfig } from '../../nodes/core/cmms';
import { startCmmsSim, type CmmsSim, type CmmsSimOptions } from '../../sim/cmms';

export interface Harness {
  sim: CmmsSim;
  clock: { now(): number; advance(ms: number): void; sleeps: number[] };
  client(config: Omit<CmmsConfig, 'baseUrl'> & { baseUrl?: string }, deps?: ClientDeps): CmmsClient;
  stop(): Promise<void>;
}

export const START = Date.parse('2026-03-01T08:00:00Z');

export async function harness(opts: CmmsSimOptions = {}): Promise<Harness> {
  let t = START;
  const sleeps: number[] = [];
  const clock = { now: () => t, advance: (ms: number) => { t += ms; }, sleeps };
  const sim = await startCmmsSim({ seed: 7, now: clock.now, ...opts });
  const clients: CmmsClient[] = [];
  return {
    sim,
    clock,
    client(config, deps = {}) {
      const c = createCmmsClient({
        baseUrl: sim.url,
        timeoutMs: 3000,
        connectTimeoutMs: 3000,
        // Generous so only the CMMS's own limits shape the traffic in these tests.
        rate: { perMinute: 100_000, burst: 1000, concurrency: 8 },
        ...config,
      } as CmmsConfig, {
        now: clock.now,
        sleep: async (ms) => { sleeps.push(ms); t += ms; },
        ...deps,
      });
      clients.push(c);
      return c;
    },
    async stop() {
      for (const c of clients) c.close();
      await sim.stop();
    },
  };
}

export { failure } from '../support/wait';

/** Every page of a listing, following `next` until it is null (with a guard against loops). */
export async function allPages<T>(first: (cursor: string | null) => Promise<{ items: T[]; next: string | null }>): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let cursor: string | null = null;
  for (let pages = 1; pages <= 100; pages++) {
    const page = await first(cursor);
    items.push(...page.items);
    if (!page.next) return { items, pages };
    cursor = page.next;
  }
  assert.fail('more than 100 pages: the cursor does not advance');
}
