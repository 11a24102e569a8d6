// The life of one asset registry: load the editor's rows and the mapping file, reload the file when it
// changes (keeping the last good map when the new one is bad), verify the map against the CMMS on
// request or on a timer, and keep the verification results across restarts.
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import type { DialectName } from '../cmms/types';
import { DurableState } from '../state/durable-state';
import type { RegistryOptions } from './settings';
import type { NamespaceTable } from './opcua';
import { RegistryLoader, type Registry } from './registry';
import { VerificationStore, type VerificationSummary } from './results';
import { Slicer } from './slicer';
import { addRecords, loadFile } from './sources';
import type { TargetCheck } from './types';
import { checkTargets, fetchAssets, type AssetLister } from './verify';

/** Quiet time after the last change event before the file is read (editors save in several writes). */
const RELOAD_DEBOUNCE_MS = 500;
/** A change the watcher misses (network shares, some containers) is still seen within this time. */
const POLL_MS = 10_000;
/** Longest a close waits for a load or verification in progress. */
export const CLOSE_WAIT_MS = 3000;

export interface VerifyingClient {
  /** The mw-cmms node's id, stored with the results. */
  id: string;
  dialect: DialectName;
  client: AssetLister;
}

export interface ServiceDeps {
  /** The DurableState file for verification results; null keeps them in memory only. */
  stateFile: string | null;
  /** The CMMS connection to verify against, or why there is none. */
  cmms: () => VerifyingClient | string;
  now?: () => number;
  /**
   * The map this registry served before a redeploy (same node id). It serves again when the new
   * settings do not load — a bad editor row costs the edit, never the whole map — and is dropped by
   * the first good load. Not used while the first load runs: messages then wait for the new map.
   */
  previous?: Registry | null;
}

export interface LoadReport {
  ok: boolean;
  rows: number;
  targets: number;
  ms: number;
  longestSliceMs: number;
  errors: string[];
  errorCount: number;
  at: number;
}

type ServiceState = 'loading' | 'ready' | 'failed';

interface ServiceEvents {
  loaded: [LoadReport];
  'load-failed': [LoadReport];
  verifying: [];
  verified: [VerificationSummary];
  'verify-failed': [Error];
}

export class RegistryService extends EventEmitter<ServiceEvents> {
  registry: Registry | null = null;
  state: ServiceState = 'loading';
  lastLoad: LoadReport | null = null;
  summary: VerificationSummary | null = null;
  lastVerifyError: string | null = null;
  private checks = new Map<string, TargetCheck>();
  private readonly store: VerificationStore | null = null;
  private readonly durable: DurableState | null = null;
  private readonly abort = new AbortController();
  private loading: Promise<LoadReport> | null = null;
  private again = false;
  private verifying: Promise<VerificationSummary> | null = null;
  private watcher: fs.FSWatcher | null = null;
  private debounce: NodeJS.Timeout | null = null;
  private poll: NodeJS.Timeout | null = null;
  private autoVerify: NodeJS.Timeout | null = null;
  private fileStamp = '';
  private learned: string[] = [];
  private readonly now: () => number;
  private closed = false;
  private fallback: Registry | null;

  constructor(private readonly opts: RegistryOptions, private readonly deps: ServiceDeps) {
    super();
    this.now = deps.now ?? Date.now;
    if (deps.stateFile) {
      this.durable = new DurableState(deps.stateFile);
      this.store = new VerificationStore(this.durable);
      const kept = this.store.load(opts.cmms);
      this.summary = kept.summary;
      this.checks = kept.checks;
    }
    this.fallback = deps.previous ?? null;
  }

  /** True while the map in use is an older one because the current settings or file did not load. */
  get keptLastGood(): boolean {
    return this.registry !== null && this.lastLoad !== null && !this.lastLoad.ok;
  }

  /** The dialect of the CMMS the current results came from. */
  get dialect(): string | null {
    return this.summary?.dialect ?? null;
  }

  get requireVerified(): boolean {
    return this.opts.requireVerified;
  }

  get file(): string | null {
    return this.opts.file?.path ?? null;
  }

  start(): void {
    this.reload();
    const file = this.opts.file;
    if (file?.watch) this.watch(file.path);
    if (this.opts.autoVerifyMs > 0) {
      this.autoVerify = setInterval(() => { this.verify().catch(() => undefined); }, this.opts.autoVerifyMs);
    }
  }

  /** The configured table, with the URIs learned from the server for indices the configuration leaves out. */
  private namespaces(): NamespaceTable {
    if (this.learned.length === 0) return this.opts.namespaces;
    const table: NamespaceTable = { uriByIndex: new Map(this.opts.namespaces.uriByIndex), indexByUri: new Map(this.opts.namespaces.indexByUri) };
    this.learned.forEach((uri, i) => {
      if (table.uriByIndex.has(i) || table.indexByUri.has(uri)) return;
      table.uriByIndex.set(i, uri);
      table.indexByUri.set(uri, i);
    });
    return table;
  }

  /**
   * The server's NamespaceArray, read by the OPC UA client node (NodeId ns=0;i=2255) and passed on by
   * the map: rows written with nsu=<uri> then match the ns=<index> topics. Entries the registry's own
   * table gives win. Reloads only when the array differs from the one already learned.
   */
  learnNamespaces(uris: readonly string[]): boolean {
    if (uris.length === this.learned.length && uris.every((u, i) => u === this.learned[i])) return false;
    this.learned = [...uris];
    this.reload();
    return true;
  }

  /** Resolves once a load has finished (with or without success). */
  whenSettled(): Promise<LoadReport> {
    return this.loading ?? Promise.resolve(this.lastLoad ?? this.reload());
  }

  /** Loads everything again; a reload asked for during a load runs once after it. */
  reload(): Promise<LoadReport> {
    if (this.loading) {
      this.again = true;
      return this.loading;
    }
    this.loading = this.loadOnce().finally(() => {
      this.loading = null;
      if (this.again && !this.closed) {
        this.again = false;
        this.reload();
      }
    });
    return this.loading;
  }

  private async loadOnce(): Promise<LoadReport> {
    const started = performance.now();
    const slicer = new Slicer();
    const loader = new RegistryLoader(this.namespaces(), this.checks);
    await addRecords(this.opts.rows, 'editor', loader, slicer, this.abort.signal);
    if (this.opts.file) {
      this.fileStamp = await stamp(this.opts.file.path);
      await loadFile(this.opts.file.path, this.opts.file.format, loader, { slicer, signal: this.abort.signal });
    }
    const result = await loader.finishSliced(this.now(), slicer);
    const report: LoadReport = {
      ok: result.ok, rows: result.registry?.rowCount ?? 0, targets: result.registry?.targets.length ?? 0,
      ms: Math.round(performance.now() - started), longestSliceMs: Math.round(slicer.longestMs),
      errors: result.errors, errorCount: result.errorCount, at: this.now(),
    };
    this.lastLoad = report;
    if (this.closed) return report;
    if (result.ok && result.registry) {
      this.registry = result.registry;
      this.fallback = null;
      this.state = 'ready';
      this.emit('loaded', report);
    } else {
      // A bad file or editor row never replaces a good map: the last good one keeps serving (also the
      // one from before a redeploy).
      if (!this.registry && this.fallback) this.registry = this.fallback;
      this.fallback = null;
      this.state = this.registry ? 'ready' : 'failed';
      this.emit('load-failed', report);
    }
    return report;
  }

  private watch(file: string): void {
    const schedule = (): void => {
      if (this.closed) return;
      if (this.debounce) clearTimeout(this.debounce);
      this.debounce = setTimeout(() => {
        this.debounce = null;
        stamp(file).then((s) => { if (s !== this.fileStamp && !this.closed) this.reload(); });
      }, RELOAD_DEBOUNCE_MS);
    };
    try {
      // The directory, not the file: editors replace files by rename, which ends a watch on the file.
      this.watcher = fs.watch(path.dirname(file), { persistent: false }, (_event, name) => {
        if (name === null || name.toString() === path.basename(file)) schedule();
      });
      this.watcher.on('error', () => { this.watcher?.close(); this.watcher = null; });
    } catch {
      this.watcher = null;
    }
    this.poll = setInterval(schedule, POLL_MS);
  }

  /** Reads the CMMS's asset list and marks every target; one run at a time. */
  verify(): Promise<VerificationSummary> {
    if (this.verifying) return this.verifying;
    this.verifying = this.verifyOnce().finally(() => { this.verifying = null; });
    return this.verifying;
  }

  get isVerifying(): boolean {
    return this.verifying !== null;
  }

  private async verifyOnce(): Promise<VerificationSummary> {
    try {
      const cmms = this.deps.cmms();
      if (typeof cmms === 'string') throw new Error(cmms);
      this.emit('verifying');
      const assets = await fetchAssets(cmms.client, { signal: this.abort.signal });
      await this.whenSettled();
      const registry = this.registry;
      if (!registry) throw new Error(`no map is loaded${this.lastLoad ? `: ${this.lastLoad.errors[0] ?? ''}` : ''}`);
      const at = new Date(this.now()).toISOString();
      const run = await checkTargets(registry.targets, assets, at);
      if (this.closed) throw new Error('verification stopped');
      this.checks = run.checks;
      registry.applyChecks(run.checks);
      const summary: VerificationSummary = { at, connection: cmms.id, dialect: cmms.dialect, assets: run.assets, targets: run.checks.size, counts: run.counts };
      this.summary = summary;
      this.lastVerifyError = null;
      await this.store?.save(summary, run.checks);
      this.emit('verified', summary);
      return summary;
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      this.lastVerifyError = err.message;
      if (!this.closed) this.emit('verify-failed', err);
      throw err;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.abort.abort();
    if (this.debounce) clearTimeout(this.debounce);
    if (this.poll) clearInterval(this.poll);
    if (this.autoVerify) clearInterval(this.autoVerify);
    this.watcher?.close();
    this.debounce = this.poll = this.autoVerify = null;
    this.watcher = null;
    // Let a load or a save in progress reach a stop before the file closes; a CMMS request that
    // hangs is not waited for beyond CLOSE_WAIT_MS (its answer is ignored once closed).
    const pending = [this.loading, this.verifying].filter((p): p is Promise<never> => p !== null);
    if (pending.length > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled(pending),
        new Promise<void>((resolve) => { timer = setTimeout(resolve, CLOSE_WAIT_MS); }),
      ]);
      clearTimeout(timer);
    }
    this.durable?.close();
    this.removeAllListeners();
  }
}

/** Size and modification time: enough to tell a changed file from a touched directory. */
async function stamp(file: string): Promise<string> {
  try {
    const st = await fs.promises.stat(file);
    return `${st.size}:${st.mtimeMs}`;
  } catch {
    return 'missing';
  }
}
