// mw-cmms: one connection to a CMMS. It owns the HTTP client (and so the shared request budget and
// the OAuth token), the durable outbox of work still to deliver, and the link's health, which it
// shows on every node using the connection, the way core's mqtt-broker node does for MQTT.
import type { Request, Response } from 'express';
import { createCmmsClient } from './core/cmms';
import { HealthMonitor, type HealthSnapshot, type HealthState } from './core/cmms/health';
import type { CmmsClient } from './core/cmms/types';
import { parseCmmsSettings, type CmmsCredentials, type CmmsNodeSettings } from './core/cmms/settings';
import { Outbox, type OutboxResult } from './core/outbox';
import type { CmmsConnection, HealthHandler } from './lib/cmms-connection';
import { onClose } from './lib/close';
import { nodeDataFile } from './lib/files';
import { registerOutboxRoutes } from './lib/outbox-routes';
import { sendAdminError } from './lib/admin-error';
import { sidebarRegistry, type SidebarConnection } from './lib/sidebar-registry';
import { RequestMeter } from './core/cmms/request-meter';
import { ADDRESS_FIELDS, envRefName, resolveAddressRefs } from './core/cmms/env-refs';
import type { Node, NodeAPI, NodeDef, NodeStatus } from './lib/red';
import { registerNode } from './lib/red';
import { busy, failed, idle, ok, renderStatus, warning, type StatusSpec } from './lib/status';
import { errorMessage } from './core/error-message';

type CmmsNodeDef = NodeDef & CmmsNodeSettings;
type CmmsNode = Node<CmmsCredentials> & Omit<CmmsConnection, keyof Node> & { client: CmmsClient | null; configErrors: string[]; missingSecrets: string[] };

const CREDENTIALS = {
  apiKey: { type: 'password' },
  token: { type: 'password' },
  username: { type: 'text' },
  password: { type: 'password' },
  clientId: { type: 'text' },
  clientSecret: { type: 'password' },
  clientKey: { type: 'password' },
  signingSecret: { type: 'password' },
} as const;

/** The editor sends this in place of a secret it has not been shown. */
const UNCHANGED_SECRET = '__PWRD__';
/** Leaves room inside Node-RED's 15 s close timeout for the database to close after the drain. */
const OUTBOX_STOP_BUDGET_MS = 8000;

function statusFor(state: HealthState): StatusSpec {
  switch (state) {
    case 'connected': return ok('mw-cmms.status.connected');
    case 'unauthorised': return failed('mw-cmms.status.unauthorised');
    case 'unreachable': return failed('mw-cmms.status.unreachable');
    case 'rate-limited': return warning('mw-cmms.status.rate-limited');
    case 'error': return failed('mw-cmms.status.error');
    case 'unknown': return busy('mw-cmms.status.checking');
  }
}

/** Where a connection keeps its outbox: beside the flows, one file per connection. */
const outboxFile = (RED: NodeAPI, id: string): string => nodeDataFile(RED, 'outbox', id);

/** A throwaway client for the editor's test button: the settings on screen, released once it has answered. */
async function testConnection(RED: NodeAPI, settings: unknown, credentials: CmmsCredentials): Promise<{ ok: boolean; state: string; text: string }> {
  const parsed = parseCmmsSettings(settings, credentials);
  if (!parsed.ok) return { ok: false, state: 'invalid', text: RED._('mw-cmms.test.invalid', { message: parsed.errors.join('; ') }) };
  const client = createCmmsClient(parsed.value.client);
  try {
    const r = await client.probe();
    const key = r.ok ? 'connected' : r.state;
    return { ok: r.ok, state: r.state, text: RED._(`mw-cmms.test.${key}`, { ms: r.latencyMs, detail: r.detail ?? '', message: r.message }) };
  } finally {
    client.close();
  }
}

/** The origins a connection's secrets may go to: its base URL's and its OAuth token URL's. */
function secretOrigins(settings: unknown): string[] | null {
  const s = (settings ?? {}) as { baseUrl?: unknown; tokenUrl?: unknown };
  try {
    const base = new URL(String(s.baseUrl ?? '').trim());
    const token = typeof s.tokenUrl === 'string' && s.tokenUrl.trim() !== '' ? new URL(s.tokenUrl.trim(), base) : null;
    return [base.origin, ...(token ? [token.origin] : [])];
  } catch {
    return null;
  }
}

export = function (RED: NodeAPI): void {
  /** Open outboxes by connection id, for the admin endpoints. */
  const outboxes = new Map<string, Outbox>();
  /** Where each deployed connection's stored secrets were saved for (see the test route). */
  const savedOrigins = new Map<string, string[] | null>();

  /**
   * Resolves `${VAR}` in the address fields as the runtime does when it starts the node: through the
   * deployed node (its flow and global env, then process.env) when there is one, else process.env.
   */
  function resolveAddresses(id: unknown, settings: unknown): ReturnType<typeof resolveAddressRefs> {
    const deployed = typeof id === 'string' ? RED.nodes.getNode(id) : null;
    return resolveAddressRefs(settings, (name) => {
      const v: unknown = deployed ? RED.util.getSetting(deployed, name) : process.env[name];
      return v === undefined || v === null ? undefined : String(v);
    });
  }

  function deployedOrigins(id: string): string[] | null {
    let found: string[] | null = null;
    RED.nodes.eachNode((n) => {
      // The saved flow holds the typed `${VAR}`; the secret was saved for what it resolves to.
      if (n.id === id && n.type === 'mw-cmms') found = secretOrigins(resolveAddresses(id, n).settings);
    });
    return found;
  }

  function MwCmmsNode(this: CmmsNode, config: CmmsNodeDef): void {
    RED.nodes.createNode(this, config);
    const node = this;
    const users = new Map<Node, HealthHandler | undefined>();
    const resultHandlers = new Map<string, (r: OutboxResult) => void>();
    let outbox: Outbox | null = null;
    let monitor: HealthMonitor | null = null;
    let invalid: StatusSpec | null = null;
    node.client = null;
    node.configErrors = [];
    node.missingSecrets = [];
    savedOrigins.set(node.id, secretOrigins(config));
    const meter = new RequestMeter();
    const changed = (): void => sidebarRegistry.changed(node.id);

    // Secrets may be missing: shadow mode records what would be sent and needs none, so a
    // connection without its key still opens its outbox; it never probes and never delivers.
    const parsed = parseCmmsSettings(config, node.credentials ?? {}, { secretsOptional: true });
    // Node-RED leaves `${VAR}` as typed when the variable is unset: say which variable, not "invalid URL".
    const unsetVars = [...new Set(ADDRESS_FIELDS.map((f) => envRefName((config as unknown as Record<string, unknown>)[f])).filter((n): n is string => n !== null))];
    if (!parsed.ok && unsetVars.length > 0) {
      node.configErrors = parsed.errors;
      invalid = failed('mw-cmms.status.env-unset', { names: unsetVars.join(', ') });
      node.error(RED._('mw-cmms.errors.env-unset', { name: config.name || config.id, names: unsetVars.join(', ') }));
    } else if (!parsed.ok) {
      node.configErrors = parsed.errors;
      invalid = failed('mw-cmms.status.invalid-config');
      node.error(RED._('mw-cmms.errors.invalid-config', { name: config.name || config.id, errors: parsed.errors.join('; ') }));
    } else {
      for (const w of parsed.value.warnings) node.warn(RED._(`mw-cmms.hint.${w}`));
      if (parsed.value.redundancy.role === 'standby') node.log(RED._('mw-cmms.log.standby', { seconds: parsed.value.redundancy.standbyDelayMs / 1000 }));
      node.missingSecrets = parsed.value.missingSecrets;
      if (node.missingSecrets.length > 0) {
        invalid = idle('mw-cmms.status.shadow-only');
        node.warn(RED._('mw-cmms.errors.shadow-only', { name: config.name || config.id, errors: node.missingSecrets.join('; ') }));
      }
      const probeMs = parsed.value.probeIntervalMs;
      let health: HealthMonitor | null = null;
      // The client refuses an empty key; without secrets it builds shadow requests only (it is never
      // started, never probed), so it is made without a sign-in rather than with a blank one.
      const clientConfig = node.missingSecrets.length > 0 ? { ...parsed.value.client, auth: { kind: 'none' as const } } : parsed.value.client;
      const client = createCmmsClient(clientConfig, {
        log: (level, message) => {
          if (level === 'warn') node.warn(message);
          else if (level === 'info') node.log(message);
          else node.debug(message);
        },
        onOutcome: (outcome) => {
          meter.observe(outcome);
          if (!outcome.ok) changed();
          health?.observe(outcome);
          // The outbox keeps only the requests of its own deliveries, for its audit log.
          outbox?.observe(outcome);
        },
      });
      health = new HealthMonitor({ probe: () => client.probe(), downInitialMs: Math.min(5000, probeMs), downMaxMs: probeMs });
      monitor = health;
      node.client = client;
      health.onChange((snap, previous) => {
        changed();
        // The state in the plant's words (the status text), then the CMMS's own message.
        if (snap.state !== 'connected' && snap.state !== 'unknown') node.warn(RED._('mw-cmms.log.health', { state: RED._(`mw-cmms.status.${snap.state}`), message: snap.message }));
        else if (previous !== 'unknown' && snap.state === 'connected') node.log(RED._('mw-cmms.log.restored'));
        const status = renderStatus(RED, statusFor(snap.state));
        for (const [user, handler] of users) {
          if (handler) handler(snap, status);
          else user.status(status);
        }
      });
    }

    Object.defineProperty(node, 'health', {
      get: (): HealthSnapshot => {
        // Without secrets the link is neither up nor down: it is never tried.
        if (node.missingSecrets.length > 0) return { state: 'unknown', message: node.missingSecrets.join('; '), since: 0, failures: 0, nextProbeAt: null };
        return monitor?.snapshot ?? { state: 'error', message: node.configErrors.join('; '), since: 0, failures: 0, nextProbeAt: null };
      },
    });

    node.healthStatus = (): NodeStatus => renderStatus(RED, invalid ?? statusFor(monitor?.snapshot.state ?? 'unknown'));

    node.register = (user: Node, onHealth?: HealthHandler): void => {
      users.set(user, onHealth);
      const status = node.healthStatus();
      if (onHealth) onHealth(node.health, status);
      else user.status(status);
      // The first user starts the probing, as core's MQTT broker connects on first use; without
      // its secrets the connection has nothing to probe with.
      if (node.missingSecrets.length === 0) monitor?.start();
    };

    node.deregister = (user: Node): void => {
      users.delete(user);
      if (users.size === 0) monitor?.stop();
    };

    node.outbox = (): Outbox => {
      if (outbox) return outbox;
      if (!node.client || !parsed.ok) throw new Error(RED._('mw-cmms.errors.invalid-config', { name: config.name || config.id, errors: node.configErrors.join('; ') }));
      const box = new Outbox({
        file: outboxFile(RED, node.id),
        connection: config.name || node.id,
        client: node.client,
        concurrency: parsed.value.client.rate?.concurrency,
        role: parsed.value.redundancy.role,
        standbyDelayMs: parsed.value.redundancy.standbyDelayMs,
      });
      box.on('result', (r) => {
        const handler = resultHandlers.get(r.nodeId);
        if (handler) handler(r);
        else if (r.outcome === 'dead') node.warn(RED._('mw-cmms.outbox.dead-orphan', { eventId: r.eventId, error: r.error ?? r.deadReason ?? '' }));
      });
      box.on('capacity', (e) => {
        if (e.level !== 'ok') node.warn(RED._(`mw-cmms.outbox.capacity-${e.level}`, { rows: e.rows, percent: Math.round(e.fraction * 100) }));
      });
      box.on('problem', (p) => node.error(p.message));
      box.on('link', (e) => { node.debug(RED._('mw-cmms.log.outbox-link', { state: e.state, message: e.message })); changed(); });
      box.on('result', changed);
      box.on('capacity', changed);
      // Without the secrets nothing is delivered: rows left by an earlier run stay pending on disk.
      if (node.missingSecrets.length === 0) box.start();
      else box.open();
      outbox = box;
      outboxes.set(node.id, box);
      changed();
      return box;
    };

    const entry: SidebarConnection = {
      id: node.id,
      name: config.name || node.id,
      dialect: parsed.ok ? parsed.value.client.dialect : null,
      baseUrl: parsed.ok ? parsed.value.client.baseUrl : null,
      configErrors: node.configErrors,
      health: () => node.health,
      outbox: () => outbox,
      meter,
      budgetPerMinute: parsed.ok ? parsed.value.client.rate?.perMinute ?? null : null,
    };
    sidebarRegistry.add(entry);

    node.onResult = (nodeId: string, handler: (r: OutboxResult) => void): (() => void) => {
      resultHandlers.set(nodeId, handler);
      return () => {
        if (resultHandlers.get(nodeId) === handler) resultHandlers.delete(nodeId);
      };
    };

    onClose(RED, node, async () => {
      savedOrigins.delete(node.id);
      sidebarRegistry.remove(entry);
      monitor?.stop();
      users.clear();
      if (outbox) {
        outboxes.delete(node.id);
        const box = outbox;
        outbox = null;
        const { unfinished } = await box.stop(OUTBOX_STOP_BUDGET_MS);
        if (unfinished > 0) node.log(RED._('mw-cmms.outbox.unfinished', { count: unfinished }));
        box.close();
      }
      node.client?.close();
      resultHandlers.clear();
    });
  }

  registerNode(RED, 'mw-cmms', MwCmmsNode, {
    credentials: CREDENTIALS,
  });

  // The editor's "Test connection" button. Write permission: it makes the gateway call out with secrets.
  RED.httpAdmin.post('/mw-cmms/test', RED.auth.needsPermission('mw-cmms.write'), (req: Request, res: Response) => {
    const body = (req.body ?? {}) as { id?: unknown; config?: unknown; credentials?: Record<string, unknown> };
    if (typeof body.config !== 'object' || body.config === null || Array.isArray(body.config)) {
      sendAdminError(res, 400, 'bad-request', 'send {"id": "<node id>", "config": {…the settings…}, "credentials": {…}}');
      return;
    }
    // A `${VAR}` address is checked and called as the runtime would use it; an unset one is named.
    const resolved = resolveAddresses(body.id, body.config);
    if (resolved.unset.length > 0) {
      res.json({ ok: false, state: 'env-unset', variables: resolved.unset, text: RED._('mw-cmms.test.env-unset', { names: resolved.unset.join(', ') }) });
      return;
    }
    const config = resolved.settings;
    const stored = (typeof body.id === 'string' ? RED.nodes.getCredentials(body.id) : undefined) as CmmsCredentials | undefined;
    const credentials: CmmsCredentials = {};
    const typedKeys = new Set<string>();
    for (const key of Object.keys(CREDENTIALS) as Array<keyof CmmsCredentials>) {
      const typed = body.credentials?.[key];
      if (typeof typed === 'string' && typed !== '' && typed !== UNCHANGED_SECRET) {
        credentials[key] = typed;
        typedKeys.add(key);
      }
    }
    // A stored secret goes only to the origins it was saved for (base URL and token URL), as a
    // browser fills a saved password only on its own site: a changed URL needs the secret typed again.
    const storedKeys = Object.keys(stored ?? {}).filter((k) => !typedKeys.has(k) && k in CREDENTIALS && CREDENTIALS[k as keyof typeof CREDENTIALS].type === 'password');
    if (stored) {
      // A node deployed a moment ago may not be constructed yet: its deployed settings say the same.
      const saved = typeof body.id === 'string' ? savedOrigins.get(body.id) ?? deployedOrigins(body.id) : undefined;
      const wanted = secretOrigins(config);
      const same = !!saved && !!wanted && wanted.every((o) => saved.includes(o));
      if (!same && storedKeys.length > 0) {
        res.json({ ok: false, state: 'secret-needed', text: RED._('mw-cmms.test.secret-needed') });
        return;
      }
      for (const [k, v] of Object.entries(stored)) if (!typedKeys.has(k)) (credentials as Record<string, unknown>)[k] = v;
    }
    testConnection(RED, config, credentials).then(
      (r) => res.json(r),
      (e: unknown) => sendAdminError(res, 500, 'internal', RED._('mw-cmms.test.failed', { message: errorMessage(e) })),
    );
  });

  registerOutboxRoutes(RED, (id) => outboxes.get(id));
};
