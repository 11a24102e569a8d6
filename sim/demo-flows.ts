// What `npm start` deploys: the demo tabs (flows/demo.json), the demo's dashboard (flows/dashboard.json,
// FlowFuse Dashboard 2, a devDependency) and the reference gateway flows (flows/gateway-*.json), one array with each shared config node once, plus the files the flows
// read from the user directory (assets.csv). Secrets move into flows_cred.json.
import fs from 'node:fs';
import path from 'node:path';

import { REPO_ROOT } from './runtime';

/** The simulators' URL written in flows/demo.json; replaced when the simulator listens elsewhere. */
const DEMO_SIM_ORIGIN = 'http://127.0.0.1:8090';
/** Files beside flows.json that the reference flows read. */
const FLOW_FILES = ['assets.csv'] as const;

interface FlowNode {
  id: string;
  credentials?: Record<string, unknown>;
}

/** The dashboard's page under Node-RED's httpNodeRoot (ui-base path + ui-page path in flows/dashboard.json). */
export const DASHBOARD_PATH = '/dashboard/maintenance';

/** flows/demo.json and flows/dashboard.json first, then every flows/gateway-*.json in name order. */
export function flowFiles(root: string = REPO_ROOT): string[] {
  const dir = path.join(root, 'flows');
  const gateway = fs.readdirSync(dir).filter((f) => /^gateway-.*\.json$/.test(f)).sort();
  return ['demo.json', 'dashboard.json', ...gateway].map((f) => path.join(dir, f));
}

/** The files' nodes in one array; a config node shared by several files is kept once (they are identical). */
export function mergeFlows(files: string[]): FlowNode[] {
  const seen = new Map<string, string>();
  const out: FlowNode[] = [];
  for (const file of files) {
    for (const node of JSON.parse(fs.readFileSync(file, 'utf8')) as FlowNode[]) {
      const text = JSON.stringify(node);
      const before = seen.get(node.id);
      if (before !== undefined) {
        if (before !== text) throw new Error(`${path.basename(file)}: node ${node.id} differs from the one with the same id in an earlier flow file`);
        continue;
      }
      seen.set(node.id, text);
      out.push(node);
    }
  }
  return out;
}

/**
 * Writes flows_cred.json and the flows' side files into the user directory, and returns the flow
 * with the demo tabs pointed at the simulator's actual address. The only credentials are the
 * simulator's public demo keys; Node-RED reads them from flows_cred.json (and encrypts them on the
 * next deploy), so the running flow holds them where real keys live.
 */
export function writeDemoFlow(userDir: string, simUrl: string | undefined, root: string = REPO_ROOT): object[] {
  const origin = simUrl ? new URL(simUrl).origin : DEMO_SIM_ORIGIN;
  const flows = JSON.parse(JSON.stringify(mergeFlows(flowFiles(root))).split(DEMO_SIM_ORIGIN).join(origin)) as FlowNode[];
  const credentials: Record<string, Record<string, unknown>> = {};
  for (const node of flows) {
    if (node.credentials) credentials[node.id] = node.credentials;
    delete node.credentials;
  }
  fs.mkdirSync(userDir, { recursive: true });
  const credFile = path.join(userDir, 'flows_cred.json');
  if (Object.keys(credentials).length > 0) fs.writeFileSync(credFile, JSON.stringify(credentials, null, 2));
  else fs.rmSync(credFile, { force: true });
  for (const f of FLOW_FILES) fs.copyFileSync(path.join(root, 'flows', f), path.join(userDir, f));
  return flows;
}
