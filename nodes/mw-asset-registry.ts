// mw-asset-registry: the verified map from IoT identifiers to CMMS assets. It owns the loaded map (rows
// from the editor and a CSV/JSON file that is reloaded when it changes), the verification against the
// CMMS through an mw-cmms connection, and the results of that verification, kept across restarts.
import type { Request, Response } from 'express';
import { parseRegistrySettings, type RegistryNodeSettings } from './core/assets/settings';
import { verificationReport, type RegistryHandle } from './core/assets/handle';
import { emptyNamespaces, parseNamespaces } from './core/assets/opcua';
import { RegistryLoader, type Registry } from './core/assets/registry';
import { rowKey } from './core/assets/rows';
import { RegistryService, type VerifyingClient } from './core/assets/service';
import { addRecords, importText, type FileFormat } from './core/assets/sources';
import type { VerificationStatus } from './core/assets/types';
import type { CmmsConnection } from './lib/cmms-connection';
import { sendAdminError } from './lib/admin-error';
import { onClose } from './lib/close';
import { confine } from './core/storage/confined-file';
import { fileAccess, inUserDir, nodeDataFile } from './lib/files';
import type { Node, NodeAPI, NodeDef } from './lib/red';
import { callerMay } from './lib/permissions';
import { registerNode } from './lib/red';
import { errorMessage } from './core/error-message';

type RegistryNodeDef = NodeDef & RegistryNodeSettings;
type RegistryNode = Node & RegistryHandle & { service: RegistryService | null; configErrors: string[] };

/** One DurableState file per registry, beside the flows. */
const stateFile = (RED: NodeAPI, id: string): string => nodeDataFile(RED, 'mw-asset-registry', id);

const STATUSES: readonly VerificationStatus[] = ['unchecked', 'ok', 'missing', 'wrong-site', 'wrong-location', 'inactive', 'decommissioned'];

/**
 * The last map each registry node loaded well, by node id, kept across redeploys (a redeploy makes a
 * new node with the same id): a deploy whose rows have an error keeps mapping with it instead of
 * sending every reading out as unmapped. Dropped when the node is deleted. In memory only: after a
 * restart of Node-RED the deployed settings must load.
 */
const lastGood = new Map<string, Registry>();

function intParam(v: unknown, fallback: number, max: number): number {
  const n = Number(v);
  return Number.isInteger(n) && n >= 0 ? Math.min(n, max) : fallback;
}

export = function (RED: NodeAPI): void {
  function MwAssetRegistryNode(this: RegistryNode, config: RegistryNodeDef): void {
    RED.nodes.createNode(this, config);
    const node = this;
    const listeners = new Set<() => void>();
    const notify = (): void => { for (const l of [...listeners]) l(); };
    let usedConn: CmmsConnection | null = null;
    node.service = null;
    node.configErrors = [];
    node.subscribe = (listener) => {
      listeners.add(listener);
      return () => { listeners.delete(listener); };
    };

    // The mapping file is confined to the user directory (or settings.js millwright.allowedFileDirs).
    const fileProblems: string[] = [];
    const parsed0 = parseRegistrySettings(config, (p) => {
      const c = confine(p, fileAccess(RED));
      if (!c.ok) fileProblems.push(`file ${c.error}`);
      return c.ok ? c.path : inUserDir(RED, p);
    });
    const parsed: typeof parsed0 = fileProblems.length === 0 ? parsed0 : { ok: false, errors: [...(parsed0.ok ? [] : parsed0.errors), ...fileProblems] };
    if (!parsed.ok) {
      node.configErrors = parsed.errors;
      node.error(RED._('mw-asset-registry.errors.invalid-config', { errors: parsed.errors.join('; ') }));
    } else {
      const options = parsed.value;
      const cmms = (): VerifyingClient | string => {
        if (!options.cmms) return RED._('mw-asset-registry.errors.no-cmms');
        const conn = RED.nodes.getNode(options.cmms) as CmmsConnection | null;
        if (!conn) return RED._('mw-asset-registry.errors.no-cmms');
        // Registered as a user like every other node of the connection (on first use: config
        // nodes are created in flow order, so it may not exist yet in the constructor); a config
        // node shows no status, so the link state is not shown here.
        if (usedConn !== conn) {
          usedConn?.deregister(node);
          conn.register(node, () => undefined);
          usedConn = conn;
        }
        if (!conn.client || conn.missingSecrets.length > 0) return RED._('mw-asset-registry.errors.cmms-invalid', { errors: [...conn.configErrors, ...conn.missingSecrets].join('; ') });
        return { id: conn.id, dialect: conn.client.dialect, client: conn.client };
      };
      let service: RegistryService;
      try {
        service = new RegistryService(options, { stateFile: stateFile(RED, node.id), cmms, previous: lastGood.get(node.id) ?? null });
      } catch (e) {
        // A disk problem must not cost the map: verification results then live in memory only.
        node.warn(RED._('mw-asset-registry.errors.state-file', { message: errorMessage(e) }));
        service = new RegistryService(options, { stateFile: null, cmms, previous: lastGood.get(node.id) ?? null });
      }
      node.service = service;
      service.on('loaded', (r) => {
        if (service.registry) lastGood.set(node.id, service.registry);
        node.log(RED._('mw-asset-registry.log.loaded', { rows: r.rows, targets: r.targets, ms: r.ms, slice: r.longestSliceMs }));
        notify();
      });
      service.on('load-failed', (r) => {
        const key = service.registry ? 'mw-asset-registry.errors.load-kept' : 'mw-asset-registry.errors.load-failed';
        node.error(RED._(key, { count: r.errorCount, errors: r.errors.slice(0, 10).join('\n') }));
        notify();
      });
      service.on('verifying', notify);
      service.on('verified', (s) => {
        node.log(RED._('mw-asset-registry.log.verified', { ok: s.counts.ok, targets: s.targets, assets: s.assets }));
        notify();
      });
      service.on('verify-failed', (e) => {
        node.warn(RED._('mw-asset-registry.errors.verify-failed', { message: e.message }));
        notify();
      });
      service.start();
    }

    onClose(RED, node, async (removed) => {
      if (removed) lastGood.delete(node.id);
      listeners.clear();
      usedConn?.deregister(node);
      usedConn = null;
      await node.service?.close();
    });
  }

  registerNode(RED, 'mw-asset-registry', MwAssetRegistryNode);

  const read = RED.auth.needsPermission('mw-asset-registry.read');
  const write = RED.auth.needsPermission('mw-asset-registry.write');
  const serviceOf = (req: Request, res: Response): RegistryService | null => {
    const n = RED.nodes.getNode(String(req.params.id)) as RegistryNode | null;
    if (!n || n.type !== 'mw-asset-registry') {
      sendAdminError(res, 404, 'not-found', RED._('mw-asset-registry.errors.not-deployed'));
      return null;
    }
    if (!n.service) {
      sendAdminError(res, 409, 'invalid-config', RED._('mw-asset-registry.errors.invalid-config', { errors: n.configErrors.join('; ') }), n.configErrors);
      return null;
    }
    return n.service;
  };

  // The editor's import (paste or upload) and "check rows": parsed and checked by the same code the
  // runtime loads with, so the editor shows the errors a deploy would give, with their line numbers.
  RED.httpAdmin.post('/mw-asset-registry/check', write, (req: Request, res: Response) => {
    const body = (req.body ?? {}) as { text?: unknown; format?: unknown; rows?: unknown; opcuaNamespaces?: unknown };
    const ns = parseNamespaces(typeof body.opcuaNamespaces === 'string' ? body.opcuaNamespaces : '');
    const loader = new RegistryLoader(ns.ok ? ns.value : emptyNamespaces());
    const nsErrors = ns.ok ? [] : ns.errors;
    let work: Promise<unknown[]>;
    let keys: Array<string | null> | undefined;
    if (typeof body.text === 'string') {
      const format = (['csv', 'json', 'jsonl'].includes(String(body.format)) ? body.format : 'auto') as FileFormat | 'auto';
      work = importText(body.text, format, loader);
    } else if (Array.isArray(body.rows)) {
      const posted = body.rows;
      work = addRecords(posted, 'editor', loader).then(() => []);
      // The target key (assetId|siteId|location) of each posted row, as the runtime stores verification
      // results: the editor shows each row's status by it without a browser copy of the key rules.
      work = work.then((r) => { keys = posted.map(rowKey); return r; });
    } else {
      sendAdminError(res, 400, 'bad-request', 'send {"text": "...", "format": "csv|json|jsonl|auto"} or {"rows": [...]}');
      return;
    }
    work.then((rows) => {
      const result = loader.finish(Date.now());
      res.json({ rows, errors: nsErrors.concat(result.errors), errorCount: nsErrors.length + result.errorCount, ...(keys ? { keys } : {}) });
    }, (e: unknown) => sendAdminError(res, 500, 'internal', errorMessage(e)));
  });

  RED.httpAdmin.get('/mw-asset-registry/:id/verification', read, (req: Request, res: Response) => {
    // The editor asks as the dialog opens; a registry added but not deployed yet is a normal state of
    // the editor, not a failed request (a 404 shows as a red "Failed to load resource" in the console).
    const deployed = RED.nodes.getNode(String(req.params.id)) as RegistryNode | null;
    if (!deployed || deployed.type !== 'mw-asset-registry') {
      res.json({ state: 'not-deployed', notice: RED._('mw-asset-registry.errors.not-deployed'), total: 0, offset: 0, results: [] });
      return;
    }
    const service = serviceOf(req, res);
    if (!service) return;
    const status = typeof req.query.status === 'string' && (STATUSES as readonly string[]).includes(req.query.status) ? req.query.status : null;
    const offset = intParam(req.query.offset, 0, 10_000_000);
    const limit = intParam(req.query.limit, 500, 5000);
    const results: Array<Record<string, unknown>> = [];
    let total = 0;
    for (const t of service.registry?.targets ?? []) {
      if (status && t.check.status !== status) continue;
      total += 1;
      if (total <= offset || results.length >= limit) continue;
      results.push({ key: t.key, assetId: t.assetId, siteId: t.siteId, location: t.location, rows: t.rowCount, where: t.describeRows(), ...t.check });
    }
    // The reasons a file did not load quote its lines (a CSV header, a row): only for a user who may
    // change the file setting. A reader gets the count and where to look (issue 12 item 4).
    const load = service.lastLoad && !callerMay(RED, req, 'mw-asset-registry.write')
      ? { ...service.lastLoad, errors: service.lastLoad.errorCount > 0 ? [RED._('mw-asset-registry.errors.details-need-write', { count: service.lastLoad.errorCount })] : [] }
      : service.lastLoad;
    res.json({
      state: service.state, verifying: service.isVerifying, load, summary: service.summary,
      error: service.lastVerifyError, total, offset, results,
    });
  });

  RED.httpAdmin.post('/mw-asset-registry/:id/verify', write, (req: Request, res: Response) => {
    const service = serviceOf(req, res);
    if (!service) return;
    service.verify().then(
      () => res.json(verificationReport(service, 200)),
      (e: unknown) => sendAdminError(res, 502, 'cmms-error', errorMessage(e)),
    );
  });
};
