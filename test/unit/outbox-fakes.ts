// Test doubles for the outbox unit tests: a manual clock with timers, a scripted CMMS client and a
// temporary folder. Not a spec file; the outbox-*.spec.ts files import it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CmmsError, type CmmsErrorInit } from '../../nodes/core/cmms/errors';
import type {
  CmmsAsset, CmmsClient, CmmsWorkOrder, CreateInput, Page, ProbeResult, SettableStatus, WorkOrderChange, WorkOrderRef,
} from '../../nodes/core/cmms/types';
import { Outbox, type EnqueueInput, type OutboxOptions, type OutboxResult, type Timers } from '../../nodes/core/outbox';

export const T0 = Date.UTC(2025, 0, 6, 8, 0, 0);

interface Pending {
  id: number;
  at: number;
  fn: () => void;
}

/** A clock that only moves when told; timers fire in time order as it moves. */
export class FakeClock implements Timers {
  t = T0;
  private seq = 0;
  private readonly timers = new Map<number, Pending>();

  readonly now = (): number => this.t;

  readonly setTimeout = (fn: () => void, ms: number): unknown => {
    const id = ++this.seq;
    this.timers.set(id, { id, at: this.t + Math.max(0, ms), fn });
    return id;
  };

  readonly clearTimeout = (h: unknown): void => {
    this.timers.delete(h as number);
  };

  get pendingTimers(): number {
    return this.timers.size;
  }

  /** Lets promise chains (the fake client's answers, the engine's continuations) run. */
  async flush(): Promise<void> {
    for (let i = 0; i < 3; i++) await new Promise<void>((r) => setImmediate(r));
  }

  /** Moves the clock forward by `ms`, firing every timer that falls due on the way. */
  async advance(ms: number): Promise<void> {
    const target = this.t + ms;
    for (let guard = 0; guard < 100_000; guard++) {
      await this.flush();
      let next: Pending | undefined;
      for (const p of this.timers.values()) if (p.at <= target && (!next || p.at < next.at || (p.at === next.at && p.id < next.id))) next = p;
      if (!next) break;
      this.timers.delete(next.id);
      this.t = Math.max(this.t, next.at);
      next.fn();
    }
    this.t = target;
    await this.flush();
  }

  /** Fires what is due now (0-ms timers included) until nothing is left to do. */
  settle(): Promise<void> {
    return this.advance(0);
  }
}

export type Step = CmmsError | 'ok' | 'hang' | { commitThen: CmmsError };

export interface Call {
  method: string;
  at: number;
  reference?: string;
  ref?: WorkOrderRef;
  change?: WorkOrderChange;
  status?: SettableStatus;
}

export function cmmsError(init: Partial<CmmsErrorInit> & Pick<CmmsErrorInit, 'kind'>): CmmsError {
  return new CmmsError({ message: `fake ${init.kind} failure`, ...init });
}

/** A CMMS client whose answers are scripted per method; work orders live in a Map. */
export class FakeClient implements CmmsClient {
  readonly dialect = 'rest' as const;
  readonly calls: Call[] = [];
  readonly workOrders = new Map<string, { id: string; href: string }>();
  readonly steps: Record<string, Step[]> = {};
  probeResults: ProbeResult[] = [];
  /** Resolvers of calls scripted to hang, so a test can finish them later. */
  readonly hanging: (() => void)[] = [];
  private seq = 0;

  constructor(private readonly clock: { now(): number }) {}

  script(method: string, ...steps: Step[]): this {
    (this.steps[method] ??= []).push(...steps);
    return this;
  }

  /**
   * The calls that change something in the CMMS, without the lookups. Every create is preceded by
   * a lookup by reference (issue 14 item 1); tests about order and pacing read the writes.
   */
  writes(): Call[] {
    return this.calls.filter((c) => c.method !== 'findByReference' && c.method !== 'probe');
  }

  count(method: string): number {
    return this.calls.filter((c) => c.method === method).length;
  }

  private async step(method: string, commit?: () => void): Promise<void> {
    const s = this.steps[method]?.shift() ?? 'ok';
    if (s === 'ok') return commit?.();
    if (s === 'hang') {
      await new Promise<void>((resolve) => this.hanging.push(resolve));
      return commit?.();
    }
    if (s instanceof CmmsError) throw s;
    commit?.();
    throw s.commitThen;
  }

  async createWorkOrder(input: CreateInput): Promise<WorkOrderRef> {
    this.calls.push({ method: 'createWorkOrder', at: this.clock.now(), reference: input.reference });
    let made: { id: string; href: string } | undefined;
    await this.step('createWorkOrder', () => {
      made = { id: `WO-${++this.seq}`, href: `http://cmms.invalid/wo/${this.seq}` };
      this.workOrders.set(input.reference, made);
    });
    if (!made) throw new Error('unreachable');
    return { ...made };
  }

  async findByReference(reference: string): Promise<CmmsWorkOrder | null> {
    this.calls.push({ method: 'findByReference', at: this.clock.now(), reference });
    await this.step('findByReference');
    const wo = this.workOrders.get(reference);
    if (!wo) return null;
    return { ...wo, reference, cmmsStatus: 'OPEN', status: 'open', assetId: null, changedAt: new Date(this.clock.now()).toISOString() };
  }

  async updateWorkOrder(ref: WorkOrderRef, change: WorkOrderChange): Promise<void> {
    this.calls.push({ method: 'updateWorkOrder', at: this.clock.now(), ref, change });
    await this.step('updateWorkOrder');
  }

  async setStatus(ref: WorkOrderRef, status: SettableStatus): Promise<void> {
    this.calls.push({ method: 'setStatus', at: this.clock.now(), ref, status });
    await this.step('setStatus');
  }

  async probe(): Promise<ProbeResult> {
    this.calls.push({ method: 'probe', at: this.clock.now() });
    return this.probeResults.shift() ?? { ok: true, state: 'connected', message: 'connected', latencyMs: 1 };
  }

  getWorkOrder(): Promise<CmmsWorkOrder> {
    return Promise.reject(new Error('not used by the outbox'));
  }

  listAssets(): Promise<Page<CmmsAsset>> {
    return Promise.reject(new Error('not used by the outbox'));
  }

  listChangedSince(): Promise<Page<CmmsWorkOrder>> {
    return Promise.reject(new Error('not used by the outbox'));
  }

  close(): void {
    for (const resolve of this.hanging.splice(0)) resolve();
  }
}

export function tempDir(prefix = 'mw-outbox-'): { dir: string; cleanup(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export function event(eventId: string, assetKey = 'P-101', action: EnqueueInput['action'] = 'create', extra: Partial<EnqueueInput> = {}): EnqueueInput {
  return {
    action, eventId, assetKey, nodeId: 'node-1',
    body: action === 'create' ? { title: `alarm ${eventId}`, asset: assetKey } : { priority: 1, note: `escalated ${eventId}` },
    event: { eventId, asset: { id: assetKey }, state: action === 'create' ? 'raised' : 'escalated' },
    occurredAt: T0 - 1000,
    ...extra,
  };
}

/** An outbox on a fresh file with a fake clock, client and random source (0.5 unless set). */
export function harness(opts: Partial<OutboxOptions> = {}): {
  outbox: Outbox; clock: FakeClock; client: FakeClient; results: OutboxResult[]; file: string; cleanup(): Promise<void>;
} {
  const clock = new FakeClock();
  const client = (opts.client as FakeClient | undefined) ?? new FakeClient(clock);
  const tmp = tempDir();
  const file = opts.file ?? path.join(tmp.dir, 'outbox-test.db');
  const outbox = new Outbox({ connection: 'cmms-1', random: () => 0.5, now: clock.now, timers: clock, ...opts, file, client });
  const results: OutboxResult[] = [];
  outbox.on('result', (r) => results.push(r));
  return {
    outbox, clock, client, results, file,
    cleanup: async () => {
      client.close();
      outbox.close();
      await clock.flush();
      tmp.cleanup();
    },
  };
}
