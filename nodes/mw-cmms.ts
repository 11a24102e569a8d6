// mw-cmms: one connection to a CMMS. It owns the HTTP client (and so the shared request budget and
// the OAuth token), watches the link's health and shows it on every node that uses the connection,
// the way core's mqtt-broker node does for MQTT.
import type { Request, Response } from 'express';
import { createCmmsClient } from './core/cmms';
import { HealthMonitor, type HealthSnapshot, type HealthState } from './core/cmms/health';
import type { CmmsClient } from './core/cmms/types';
import { parseCmmsSettings, type CmmsCredentials, type CmmsNodeSettings } from './core/config/cmms';
import { onClose } from './lib/close';
import type { Node, NodeAPI, NodeDef } from './lib/red';
import { busy, failed, ok, showStatus, warning, type StatusSpec } from './lib/status';

type CmmsNodeDef = NodeDef & CmmsNodeSettings;
type CmmsNode = Node<CmmsCredentials> & {
  client: CmmsClient | null;
  configErrors: string[];
  health: HealthSnapshot;
  register(user: Node): void;
  deregister(user: Node): void;
};

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

export = function (RED: NodeAPI): void {
  function MwCmmsNode(this: CmmsNode, config: CmmsNodeDef): void {
    RED.nodes.createNode(this, config);
    const node = this;
    const users = new Set<Node>();
    node.client = null;
    node.configErrors = [];

    const parsed = parseCmmsSettings(config, node.credentials ?? {});
    let monitor: HealthMonitor | null = null;
    let invalid: StatusSpec | null = null;

    if (!parsed.ok) {
      node.configErrors = parsed.errors;
      invalid = failed('mw-cmms.status.invalid-config');
      node.error(RED._('mw-cmms.errors.invalid-config', { name: config.name || config.id, errors: parsed.errors.join('; ') }));
    } else {
      for (const w of parsed.value.warnings) node.warn(RED._(`mw-cmms.hint.${w}`));
      const probeMs = parsed.value.probeIntervalMs;
      let health: HealthMonitor | null = null;
      const client = createCmmsClient(parsed.value.client, {
        log: (level, message) => {
          if (level === 'warn') node.warn(message);
          else if (level === 'info') node.log(message);
          else node.debug(message);
        },
        onOutcome: (outcome) => health?.observe(outcome),
      });
      health = new HealthMonitor({ probe: () => client.probe(), downInitialMs: Math.min(5000, probeMs), downMaxMs: probeMs });
      monitor = health;
      node.client = client;
      health.onChange((snap, previous) => {
        if (snap.state !== 'connected' && snap.state !== 'unknown') node.warn(`${snap.state}: ${snap.message}`);
        else if (previous !== 'unknown' && snap.state === 'connected') node.log('CMMS connection restored');
        for (const u of users) showStatus(RED, u, statusFor(snap.state));
      });
    }

    Object.defineProperty(node, 'health', {
      get: (): HealthSnapshot => monitor?.snapshot ?? { state: 'error', message: node.configErrors.join('; '), since: 0, failures: 0, nextProbeAt: null },
    });

    node.register = (user: Node): void => {
      users.add(user);
      showStatus(RED, user, invalid ?? statusFor(monitor?.snapshot.state ?? 'unknown'));
      // The first user starts the probing, as core's MQTT broker connects on first use.
      monitor?.start();
    };

    node.deregister = (user: Node): void => {
      users.delete(user);
      if (users.size === 0) monitor?.stop();
    };

    onClose(node, () => {
      monitor?.stop();
      node.client?.close();
      users.clear();
    });
  }

  RED.nodes.registerType('mw-cmms', MwCmmsNode as unknown as (this: Node, def: NodeDef) => void, {
    credentials: CREDENTIALS,
  });

  // The editor's "Test connection" button. Write permission: it makes the gateway call out with secrets.
  RED.httpAdmin.post('/mw-cmms/test', RED.auth.needsPermission('mw-cmms.write'), (req: Request, res: Response) => {
    const body = (req.body ?? {}) as { id?: unknown; config?: unknown; credentials?: Record<string, unknown> };
    const stored = (typeof body.id === 'string' ? RED.nodes.getCredentials(body.id) : undefined) as CmmsCredentials | undefined;
    const credentials: CmmsCredentials = { ...(stored ?? {}) };
    for (const key of Object.keys(CREDENTIALS) as Array<keyof CmmsCredentials>) {
      const typed = body.credentials?.[key];
      if (typeof typed === 'string' && typed !== '' && typed !== UNCHANGED_SECRET) credentials[key] = typed;
    }
    testConnection(RED, body.config, credentials).then(
      (r) => res.json(r),
      (e: unknown) => res.status(500).json({ ok: false, state: 'error', text: RED._('mw-cmms.test.failed', { message: e instanceof Error ? e.message : String(e) }) }),
    );
  });
};

