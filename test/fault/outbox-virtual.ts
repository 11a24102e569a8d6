// Virtual time for the outbox fault tests: the outbox, the real CMMS client and the simulator share
// one clock that moves only when nothing is on the wire, so hours of outage and backoff pass in
// moments while every HTTP request still really goes over loopback. Not a spec file.
//
// The rule that makes the figures exact: time jumps to the next timer only when every request the
// client started has been answered and reported (its onOutcome ran) and the simulator holds no
// open request. So all requests of one "epoch" (between two timer firings) share one instant, and
// whatever a request's answer causes happens in a later epoch or from a timer.
import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import fs from 'node:fs';
import type http from 'node:http';
import type { Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createCmmsClient, type ClientDeps, type CmmsClient, type CmmsConfig, type RequestOutcome } from '../../nodes/core/cmms';
import type { Timers } from '../../nodes/core/outbox';
import { loadSqlite } from '../../nodes/core/storage/sqlite';
import { SIM_CREDENTIALS, startCmmsSim, type CmmsSim } from '../../sim/cmms';
import { dialectOf } from '../../sim/cmms/server';

interface Timer {
  id: number;
  at: number;
  fn: () => void;
}

const immediate = (): Promise<void> => new Promise((r) => setImmediate(r));
const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A clock and timers that move only when the driver says so, and only when the wire is quiet. */
class VirtualTime implements Timers {
  /** Monotonic virtual time (ms); the wall clock is this plus `offset`. */
  t: number;
  /** Added to `t` for the wall clock; a test steps it to set the clock forward or back. */
  offset = 0;
  /** Timer firings so far; requests of different epochs are separated by at least one. */
  epoch = 0;
  private seq = 0;
  private readonly timers = new Map<number, Timer>();
  /** Set by the wire watch: true while a request is on its way or being answered. */
  busy: () => boolean = () => false;
  /** Called as each timer is about to fire, at its time, with the wire quiet (a test may re-arm faults here). */
  onFire: () => void = () => undefined;

  constructor(start: number) {
    this.t = start;
  }

  readonly now = (): number => this.t + this.offset;
  readonly monotonic = (): number => this.t;

  readonly setTimeout = (fn: () => void, ms: number): unknown => {
    const id = ++this.seq;
    this.timers.set(id, { id, at: this.t + Math.max(0, Number.isFinite(ms) ? ms : 0), fn });
    return id;
  };

  readonly clearTimeout = (h: unknown): void => {
    this.timers.delete(h as number);
  };

  /** The client's sleep (rate budget, Retry-After): a virtual timer an AbortSignal can cancel. */
  readonly sleep: NonNullable<ClientDeps['sleep']> = (ms, signal) => new Promise<void>((resolve, reject) => {
    const fail = (): void => reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
    if (signal?.aborted) { fail(); return; }
    const onAbort = (): void => { this.clearTimeout(id); fail(); };
    const id = this.setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

  /** Waits (in real time) until nothing is on the wire and promise chains have run out. */
  async settle(): Promise<void> {
    let quiet = 0;
    for (let guard = 0; quiet < 3; guard++) {
      assert.ok(guard < 2_000_000, 'the system never went quiet');
      if (this.busy()) {
        quiet = 0;
        await pause(1);
      } else {
        await immediate();
        quiet = this.busy() ? 0 : quiet + 1;
      }
    }
  }

  private next(limit: number): Timer | undefined {
    let best: Timer | undefined;
    for (const tm of this.timers.values()) {
      if (tm.at <= limit && (!best || tm.at < best.at || (tm.at === best.at && tm.id < best.id))) best = tm;
    }
    return best;
  }

  /** Fires the earliest timer due by `limit`; false when there is none. */
  private async fire(limit: number): Promise<boolean> {
    await this.settle();
    const tm = this.next(limit);
    if (!tm) return false;
    this.timers.delete(tm.id);
    this.t = Math.max(this.t, tm.at);
    this.epoch += 1;
    this.onFire();
    tm.fn();
    return true;
  }

  /** Moves time on by `ms`, firing every timer on the way, each once the wire is quiet. */
  async advance(ms: number): Promise<void> {
    const target = this.t + ms;
    while (await this.fire(target));
    this.t = Math.max(this.t, target);
    this.epoch += 1;
    await this.settle();
  }

  /** Runs timers until `done()` holds; fails after `maxMs` of virtual time. */
  async until(what: string, done: () => boolean, maxMs: number): Promise<void> {
    const limit = this.t + maxMs;
    for (;;) {
      await this.settle();
      if (done()) return;
      assert.ok(await this.fire(limit), `${what}: not reached within ${maxMs / 1000} s of virtual time`);
    }
  }
}

/** One request as the simulator received it. */
interface WireRequest {
  epoch: number;
  /** Virtual monotonic time. */
  at: number;
  dialect: string;
  method: string;
  path: string;
  /** Requests of the same dialect open at the simulator when this one arrived, itself included. */
  concurrent: number;
}

/** An answer that told the client to wait: Retry-After or a vendor reset header. */
interface WaitHint {
  epoch: number;
  at: number;
  dialect: string;
  status: number;
  header: string;
  /** Virtual monotonic time before which the client must send nothing more. */
  notBefore: number;
}

interface Open {
  dialect: string;
  remotePort: number | undefined;
  closed: boolean;
}

function header(res: http.IncomingMessage, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** How long an answer asked us to wait (ms), read straight from its headers; undefined if it did not. */
function askedWait(res: http.IncomingMessage, wallNow: number): { header: string; ms: number } | undefined {
  const retryAfter = header(res, 'retry-after');
  if (retryAfter !== undefined) {
    const ms = /^\d+$/.test(retryAfter.trim()) ? Number(retryAfter) * 1000 : Date.parse(retryAfter) - wallNow;
    return { header: `Retry-After: ${retryAfter}`, ms };
  }
  for (const name of ['x-ratelimit-reset', 'x-rate-limit-reset']) {
    const v = header(res, name);
    if (v === undefined) continue;
    const n = Number(v);
    return { header: `${name}: ${v}`, ms: n >= 1e9 ? n * 1000 - wallNow : n * 1000 };
  }
  return undefined;
}

/**
 * Watches the loopback traffic to the simulator through Node's HTTP diagnostics channels: what
 * the simulator received and when, how many requests it had open per dialect, and every answer
 * that asked for a wait. A request counts as open from its arrival until the simulator finished
 * or closed it, or the client destroyed its socket (a client-side timeout), whichever is first.
 */
class WireWatch {
  readonly requests: WireRequest[] = [];
  readonly hints: WaitHint[] = [];
  started = 0;
  outcomes = 0;
  private readonly open = new Set<Open>();
  private readonly clientSockets = new Map<number, Socket>();
  private readonly host: string;

  private readonly onClientStart = (m: unknown): void => {
    const request = (m as { request: http.ClientRequest }).request;
    if (request.getHeader('host') !== this.host) return;
    this.started += 1;
    const note = (s: Socket): void => {
      if (s.localPort !== undefined) this.clientSockets.set(s.localPort, s);
      else s.once('connect', () => note(s));
    };
    // Node publishes this once the request has its socket; older versions did so before.
    if (request.socket) note(request.socket);
    else request.once('socket', note);
  };

  private readonly onClientResponse = (m: unknown): void => {
    const { request, response } = m as { request: http.ClientRequest; response: http.IncomingMessage };
    if (request.getHeader('host') !== this.host) return;
    const asked = askedWait(response, this.clock.now());
    if (!asked) return;
    const dialect = dialectOf(request.path.split('?')[0]) ?? 'none';
    const at = this.clock.monotonic();
    this.hints.push({ epoch: this.clock.epoch, at, dialect, status: response.statusCode ?? 0, header: asked.header, notBefore: at + Math.max(0, asked.ms) });
  };

  private readonly onServerStart = (m: unknown): void => {
    const { request, response, server } = m as { request: http.IncomingMessage; response: http.ServerResponse; server: http.Server };
    const address = server.address();
    if (!address || typeof address === 'string' || address.port !== this.port) return;
    const path = (request.url ?? '/').split('?')[0];
    const dialect = dialectOf(path);
    if (!dialect) return;
    const rec: Open = { dialect, remotePort: request.socket.remotePort, closed: false };
    this.open.add(rec);
    const close = (): void => { rec.closed = true; this.open.delete(rec); };
    response.once('finish', close);
    response.once('close', close);
    this.requests.push({
      epoch: this.clock.epoch, at: this.clock.monotonic(), dialect, method: request.method ?? '', path,
      concurrent: [...this.open].filter((o) => o.dialect === dialect && this.isOpen(o)).length,
    });
  };

  constructor(private readonly port: number, private readonly clock: VirtualTime) {
    this.host = `127.0.0.1:${port}`;
    diagnostics.subscribe('http.client.request.start', this.onClientStart);
    diagnostics.subscribe('http.client.response.finish', this.onClientResponse);
    diagnostics.subscribe('http.server.request.start', this.onServerStart);
    clock.busy = () => this.busy;
  }

  private isOpen(o: Open): boolean {
    if (o.closed) return false;
    const s = o.remotePort === undefined ? undefined : this.clientSockets.get(o.remotePort);
    return !(s && s.destroyed);
  }

  /** Hand this every client outcome (onOutcome): a request counts as done once its outcome is in. */
  outcome(): void {
    this.outcomes += 1;
  }

  get busy(): boolean {
    if (this.started !== this.outcomes) return true;
    for (const o of this.open) if (this.isOpen(o)) return true;
    return false;
  }

  /** Highest number of requests the simulator had open at once, per dialect. */
  peakConcurrency(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const r of this.requests) out[r.dialect] = Math.max(out[r.dialect] ?? 0, r.concurrent);
    return out;
  }

  /** Requests sent after an answer asked for a wait, yet before that wait ran out. */
  earlyRequests(): { hint: WaitHint; request: WireRequest }[] {
    const out: { hint: WaitHint; request: WireRequest }[] = [];
    for (const hint of this.hints) {
      for (const r of this.requests) {
        if (r.dialect === hint.dialect && r.epoch > hint.epoch && r.at < hint.notBefore) out.push({ hint, request: r });
      }
    }
    return out;
  }

  stop(): void {
    diagnostics.unsubscribe('http.client.request.start', this.onClientStart);
    diagnostics.unsubscribe('http.client.response.finish', this.onClientResponse);
    diagnostics.unsubscribe('http.server.request.start', this.onServerStart);
    this.clock.busy = () => false;
  }
}

/** Deterministic uniform numbers in [0, 1) (mulberry32), for the backoff jitter. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** PRAGMA integrity_check of a closed outbox file. */
export function integrity(file: string): string {
  const Sqlite = loadSqlite();
  const db = new Sqlite(file, { fileMustExist: true });
  try {
    return (db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check).join('; ');
  } finally {
    db.close();
  }
}

const SIM_START = Date.parse('2026-03-02T06:00:00Z');

/** Connection settings of the simulator's dialects, with their usual sign-in. */
export function simConfig(dialect: 'maximo' | 'maintainx', baseUrl: string): CmmsConfig {
  return dialect === 'maximo'
    ? { dialect, baseUrl, auth: { kind: 'apikey', header: 'apikey', key: SIM_CREDENTIALS.maximo.apiKey }, maximo: { siteId: 'BEDFORD', orgId: 'EAGLENA' } }
    : { dialect, baseUrl, auth: { kind: 'bearer', token: SIM_CREDENTIALS.maintainx.token } };
}

export interface World {
  vt: VirtualTime;
  sim: CmmsSim;
  wire: WireWatch;
  dir: string;
  /** A real client on the virtual clock whose outcomes reach the wire watch and `observe`. */
  client(config: Partial<CmmsConfig> & Pick<CmmsConfig, 'dialect'>, observe?: (o: RequestOutcome) => void): CmmsClient;
  /**
   * Closes a client as a restart would, with the wire quiet: what it still had waiting for the
   * rate budget fails without reaching the wire, so those outcomes are not counted.
   */
  retire(client: CmmsClient): void;
  stop(): Promise<void>;
}

export async function startWorld(seed: number): Promise<World> {
  const vt = new VirtualTime(SIM_START);
  const sim = await startCmmsSim({ seed, now: vt.now });
  const wire = new WireWatch(Number(new URL(sim.url).port), vt);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-outbox-fault-'));
  const clients: CmmsClient[] = [];
  const retired = new Set<CmmsClient>();
  return {
    vt, sim, wire, dir,
    client(config, observe) {
      const base = simConfig(config.dialect === 'maintainx' ? 'maintainx' : 'maximo', sim.url);
      const c: CmmsClient = createCmmsClient({ ...base, timeoutMs: 2000, connectTimeoutMs: 2000, ...config } as CmmsConfig, {
        now: vt.now,
        monotonic: vt.monotonic,
        sleep: vt.sleep,
        onOutcome: (o) => {
          if (!retired.has(c)) wire.outcome();
          observe?.(o);
        },
      });
      clients.push(c);
      return c;
    },
    retire(c) {
      assert.ok(!wire.busy, 'retire a client only while the wire is quiet');
      retired.add(c);
      c.close();
    },
    async stop() {
      for (const c of clients) c.close();
      wire.stop();
      await sim.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
