// A Node-RED with adminAuth (an admin with `*`, a reader with `read`), the Millwright package
// installed as a module (so its sidebar plugin loads), and the CMMS simulator, for the sidebar's
// browser test. A child process because Node-RED keeps module-level state and the mocha process
// may host the test helper's Node-RED. Prints the URLs; stops on SIGINT/SIGTERM.
import fs from 'node:fs';
import path from 'node:path';

import { startCmmsSim, SIM_CREDENTIALS } from '../../sim/cmms';
import { nodeRedDir } from '../../sim/paths';
import { REPO_ROOT, startRuntime } from '../../sim/runtime';

export const USERS = { admin: 'admin-pass-1', reader: 'reader-pass-1' } as const;

async function main(): Promise<void> {
  const userDir = process.env.MW_SIDEBAR_DIR as string;
  const sim = await startCmmsSim({ seed: 18 });
  // The demo's vision-drift node (flows/demo.json) with a short phase I, so the chart gets limits soon.
  const demo = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'flows', 'demo.json'), 'utf8')) as Array<Record<string, unknown>>;
  const drift = { ...demo.find((n) => n.type === 'mw-vision-drift') as Record<string, unknown> };
  const cmms = { ...demo.find((n) => n.type === 'mw-cmms') as Record<string, unknown> };
  delete cmms.credentials;
  const flows = [
    { id: 'sb-tab', type: 'tab', label: 'Sidebar test' },
    { ...cmms, id: 'sb-cmms', name: 'Plant CMMS', baseUrl: sim.url, ratePerMinute: 600, rateBurst: 50 },
    { id: 'sb-in-event', type: 'http in', z: 'sb-tab', url: '/event', method: 'post', upload: false, x: 100, y: 60, wires: [['sb-wo', 'sb-ok-event']] },
    { id: 'sb-ok-event', type: 'http response', z: 'sb-tab', statusCode: '', x: 300, y: 100, wires: [] },
    { id: 'sb-wo', type: 'mw-work-order', z: 'sb-tab', name: 'work order', cmms: 'sb-cmms', onCleared: 'note', workType: 'CM', reportedBy: 'MILLWRIGHT',
      bodyExpression: '', shadow: false, priorityCritical: '', priorityHigh: '', priorityMedium: '', priorityLow: '', x: 300, y: 60, wires: [[], []] },
    // Work-order statuses back from the CMMS (polling, started by POST /api/poll), for the Work orders pane.
    { id: 'sb-in-poll', type: 'http in', z: 'sb-tab', url: '/poll', method: 'post', upload: false, x: 100, y: 480, wires: [['sb-poll', 'sb-ok-poll']] },
    { id: 'sb-ok-poll', type: 'http response', z: 'sb-tab', statusCode: '', x: 300, y: 520, wires: [] },
    { id: 'sb-poll', type: 'change', z: 'sb-tab', name: 'poll now', rules: [{ t: 'set', p: 'control', pt: 'msg', to: 'poll', tot: 'str' }], x: 300, y: 480, wires: [['sb-status']] },
    { id: 'sb-status', type: 'mw-wo-status', z: 'sb-tab', name: 'work-order status', cmms: 'sb-cmms', mode: 'poll', path: '', scheme: 'auto', secretHeader: 'x-millwright-secret',
      toleranceSeconds: 300, maxBodyKB: 256, pollIntervalSeconds: 3600, overlapSeconds: 120, lookbackHours: 24, scope: 'ours', table: 'incident', referenceField: '', statusMap: [], x: 500, y: 480, wires: [[]] },
    { id: 'sb-in-vision', type: 'http in', z: 'sb-tab', url: '/vision', method: 'post', upload: false, x: 100, y: 200, wires: [['sb-drift', 'sb-ok-vision']] },
    { id: 'sb-ok-vision', type: 'http response', z: 'sb-tab', statusCode: '', x: 300, y: 240, wires: [] },
    { ...drift, id: 'sb-drift', z: 'sb-tab', name: 'bore and coating', phase1Units: 20, phase1Subgroups: 4, x: 300, y: 200, wires: [[], [], []] },
    { id: 'sb-registry', type: 'mw-asset-registry', name: 'plant assets', cmms: 'sb-cmms', file: '', fileFormat: 'auto', watch: true, requireVerified: false,
      opcuaNamespaces: '', autoVerifyHours: 0,
      // One good row, and the three mistakes verification finds: a decommissioned look-alike (letter O),
      // an asset at another site, and one the CMMS does not have.
      rows: [
        { kind: 'exact', identifier: 'plant/line2/p101/vib', assetId: 'PUMP-101', siteId: 'BEDFORD', location: 'AREA1/LINE2/PUMP-101', metric: 'vibration' },
        { kind: 'exact', identifier: 'plant/line2/p1o1/vib', assetId: 'PUMP-1O1', siteId: 'BEDFORD', location: 'AREA1/LINE2/PUMP-1O1', metric: 'vibration' },
        { kind: 'exact', identifier: 'plant/line1/p201/vib', assetId: 'PUMP-201', siteId: 'BEDFORD', location: 'AREA1/LINE1/PUMP-201', metric: 'vibration' },
        { kind: 'exact', identifier: 'plant/line1/p555/vib', assetId: 'PUMP-555', siteId: 'BEDFORD', location: 'AREA1/LINE1/PUMP-555', metric: 'vibration' },
      ] },
    { id: 'sb-in-reading', type: 'http in', z: 'sb-tab', url: '/reading', method: 'post', upload: false, x: 100, y: 320, wires: [['sb-topic', 'sb-ok-reading']] },
    // {topic, value} posted → an MQTT-like message, as mqtt in would give it.
    { id: 'sb-topic', type: 'change', z: 'sb-tab', name: 'as MQTT', rules: [
      { t: 'set', p: 'topic', pt: 'msg', to: 'payload.topic', tot: 'msg' }, { t: 'set', p: 'payload', pt: 'msg', to: 'payload.value', tot: 'msg' },
    ], x: 200, y: 400, wires: [['sb-map']] },
    { id: 'sb-ok-reading', type: 'http response', z: 'sb-tab', statusCode: '', x: 300, y: 360, wires: [] },
    { id: 'sb-map', type: 'mw-asset-map', z: 'sb-tab', name: 'asset map', registry: 'sb-registry', source: 'auto', connection: '', x: 300, y: 320, wires: [[], []] },
  ];
  fs.mkdirSync(userDir, { recursive: true });
  fs.writeFileSync(path.join(userDir, 'flows_cred.json'), JSON.stringify({ 'sb-cmms': { apiKey: SIM_CREDENTIALS.maximo.apiKey } }));
  // Node-RED's own password hashing, as `node-red admin hash-pw` does it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const bcrypt = require(require.resolve('bcryptjs', { paths: [nodeRedDir()] })) as { hashSync(pw: string, rounds: number): string };
  const runtime = await startRuntime({
    userDir, flows, installPackage: true, logLevel: 'warn',
    settings: {
      credentialSecret: 'sidebar-test',
      adminAuth: {
        type: 'credentials',
        users: [
          { username: 'admin', password: bcrypt.hashSync(USERS.admin, 8), permissions: '*' },
          { username: 'reader', password: bcrypt.hashSync(USERS.reader, 8), permissions: 'read' },
        ],
      },
    },
  });
  console.log(`CMMS simulator: ${sim.url}`);
  console.log(`Node-RED editor: ${runtime.url}`);
  const stop = (): void => {
    void runtime.stop().then(() => sim.stop()).finally(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
