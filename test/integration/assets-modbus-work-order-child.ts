// Runs in its own process (see assets-modbus-work-order.spec.ts): a PLC (a modbus-serial TCP server
// answering unit 1 only) polled by a real node-red-contrib-modbus read node left at its defaults
// (Unit-Id empty, so the request goes out on the client's unit 1), into mw-asset-map → mw-threshold
// → mw-work-order → the CMMS simulator (Maximo). First a sustained high bearing temperature over
// more than 20 polls, then the PLC stops answering (the link is lost mid-run). What arrives is
// printed as `MWCAPTURE {json}` lines, the simulator's work orders as `MWSTATE {json}` lines.
import fs from 'node:fs';
import path from 'node:path';
import { ServerTCP, type FCallbackVal } from 'modbus-serial';
import { startCmmsSim, SIM_CREDENTIALS } from '../../sim/cmms';
import { startRuntime } from '../../sim/runtime';
import { freePort } from '../support/package-runtime';

const userDir = process.argv[2];
if (!userDir) throw new Error('usage: assets-modbus-work-order-child <userDir>');

const RULES = {
  classes: {
    pump: [{ id: 'bearing-temp', metric: 'bearing_temp', name: 'Bearing temperature', limits: { H: { value: 85, severity: 'high', priority: 2 } }, deadband: 2, onDelay: { samples: 2 } }],
  },
};

const capture = (kind: string): string =>
  `node.warn('MWCAPTURE ' + JSON.stringify({ kind: '${kind}', topic: msg.topic, reason: msg.reason, keys: Object.keys(msg).filter((k) => k !== '_msgid').sort(), payload: msg.payload })); return null;`;

async function main(): Promise<void> {
  fs.mkdirSync(userDir, { recursive: true });
  const deadline = setTimeout(() => { console.log('MWTIMEOUT'); process.exit(2); }, 100_000);
  const sim = await startCmmsSim();

  // The PLC: holding registers 200.. = bearing temperature ×10 (85.3 °C), speed, starts. Unit 1 only.
  const regs = new Map<number, number>([[200, 853], [201, 1450], [202, 3]]);
  let dead = false;
  const plcPort = await freePort();
  const plc = new ServerTCP({
    getMultipleHoldingRegisters: (addr: number, length: number, _unit: number, cb: FCallbackVal<number[]>) => {
      // A dead PLC behind a gateway: the request is taken, no answer ever comes.
      if (dead) return;
      cb(null, Array.from({ length }, (_, i) => regs.get(addr + i) ?? 0));
    },
    getHoldingRegister: (addr: number) => regs.get(addr) ?? 0,
  }, { host: '127.0.0.1', port: plcPort, unitID: 1, debug: false });
  await new Promise<void>((resolve) => plc.on('initialized', () => resolve()));

  const P101 = { assetId: 'PUMP-101', siteId: 'BEDFORD', location: 'AREA1/LINE2/PUMP-101' };
  // One asset over three rows that give different attributes: one message per poll all the same.
  const rows = [
    { kind: 'modbus', connection: 'PLC3', unitId: 1, address: 200, dataType: 'int16', scale: 0.1, ...P101, class: 'pump', criticality: 2, metric: 'bearing_temp', unit: '°C' },
    { kind: 'modbus', connection: 'PLC3', unitId: 1, address: 201, ...P101, metric: 'speed', unit: 'rpm' },
    { kind: 'modbus', connection: 'PLC3', unitId: 1, address: 202, ...P101, workGroup: 'MECH', metric: 'starts' },
  ];
  const tab = 'tab1';
  const at = (x: number, y: number): { z: string; x: number; y: number } => ({ z: tab, x, y });
  const fn = (id: string, kind: string, y: number): object => ({ id, type: 'function', ...at(900, y), name: id, func: capture(kind), outputs: 0, wires: [] });
  const flows = [
    { id: tab, type: 'tab', label: 'modbus to work order' },
    { id: 'conn1', type: 'mw-cmms', name: 'Maximo', dialect: 'maximo', baseUrl: sim.url, authType: 'apikey', ratePerMinute: 60_000, rateBurst: 500, concurrency: 4 },
    { id: 'reg1', type: 'mw-asset-registry', name: 'plant map', rows },
    { id: 'mbclient', type: 'modbus-client', name: 'PLC3', clienttype: 'tcp', bufferCommands: true, stateLogEnabled: false, queueLogEnabled: false, failureLogEnabled: false,
      tcpHost: '127.0.0.1', tcpPort: plcPort, tcpType: 'DEFAULT', serialPort: '/dev/ttyUSB', serialType: 'RTU-BUFFERD', serialBaudrate: 9600, serialDatabits: 8, serialStopbits: 1,
      serialParity: 'none', serialConnectionDelay: 100, serialAsciiResponseStartDelimiter: '0x3A', unit_id: 1, commandDelay: 1, clientTimeout: 400,
      reconnectOnTimeout: true, reconnectTimeout: 500, parallelUnitIdsAllowed: true },
    // Unit-Id left empty (the node's default); "Send empty msg on fail" on; both outputs into the map.
    { id: 'mbread', type: 'modbus-read', ...at(150, 200), name: 'pumps', topic: '', showStatusActivities: false, logIOActivities: false, showErrors: true, unitid: '',
      dataType: 'HoldingRegister', adr: '200', quantity: '3', rate: '200', rateUnit: 'ms', delayOnStart: false, startDelayTime: '', server: 'mbclient',
      useIOFile: false, ioFile: '', useIOForPayload: false, emptyMsgOnFail: true, wires: [['map1'], ['map1']] },
    // A Catch node scoped to the read node also carries its errors into the map.
    { id: 'mbcatch', type: 'catch', ...at(150, 260), name: '', scope: ['mbread'], uncaught: false, wires: [['map1']] },
    { id: 'map1', type: 'mw-asset-map', ...at(400, 200), registry: 'reg1', source: 'auto', wires: [['th', 'capReadings'], ['capExceptions']] },
    { id: 'th', type: 'mw-threshold', ...at(600, 200), rules: JSON.stringify(RULES), wires: [['wo', 'capEvents'], [], ['capRejected']] },
    { id: 'wo', type: 'mw-work-order', ...at(750, 200), cmms: 'conn1', onCleared: 'note', wires: [['th', 'capResults'], ['capFailed']] },
    fn('capReadings', 'readings', 100), fn('capExceptions', 'exceptions', 140), fn('capEvents', 'event', 180),
    fn('capRejected', 'rejected', 220), fn('capResults', 'result', 260), fn('capFailed', 'failed', 300),
  ];
  fs.writeFileSync(path.join(userDir, 'flows_cred.json'), JSON.stringify({ conn1: { apiKey: SIM_CREDENTIALS.maximo.apiKey } }));

  let good = 0;
  let bad = 0;
  let sensorFault = false;
  const origWrite = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    for (const m of text.matchAll(/MWCAPTURE (\{.*\})/g)) {
      try {
        const c = JSON.parse(m[1]) as { kind: string; payload?: { readings?: Array<{ quality: string }>; state?: string } };
        if (c.kind === 'readings' && c.payload?.readings?.[0]?.quality === 'good') good += 1;
        if (c.kind === 'readings' && c.payload?.readings?.[0]?.quality === 'bad') bad += 1;
        if (c.kind === 'event' && c.payload?.state === 'sensor-fault') sensorFault = true;
      } catch {
        // A capture split over two writes: the counts only need to reach their marks.
      }
    }
    return (origWrite as (c: string | Uint8Array, ...r: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stdout.write;
  const until = async (cond: () => boolean): Promise<void> => { while (!cond()) await new Promise((r) => setTimeout(r, 50)); };
  const state = (phase: string): void => console.log(`MWSTATE ${JSON.stringify({ phase, good, bad, workOrders: sim.workOrders('maximo').map((w) => ({ ref: w.ref, fields: w.fields })) })}`);

  // The outbox delivers on its own time: wait for the work orders the phase should have made (up to
  // 20 s; the test then reports what is there), then 1 s more, so a duplicate would show as well.
  const delivered = async (count: number): Promise<void> => {
    const giveUp = Date.now() + 20_000;
    await until(() => sim.workOrders('maximo').length >= count || Date.now() > giveUp);
    await new Promise((r) => setTimeout(r, 1000));
  };

  const runtime = await startRuntime({ userDir, port: 0, flows, installPackage: true, logLevel: 'warn' });
  // The sustained alarm: more than 20 polls of 85.3 °C.
  await until(() => good >= 24);
  await delivered(1);
  state('alarm');
  // The link to the PLC is lost: requests time out.
  dead = true;
  await until(() => sensorFault && bad >= 3);
  await delivered(2);
  state('link-lost');

  clearTimeout(deadline);
  await runtime.stop();
  await new Promise<void>((resolve) => plc.close(() => resolve()));
  await sim.stop();
  console.log('MWDONE');
  process.exit(0);
}

main().catch((e: unknown) => {
  console.log(`MWFAILED ${e instanceof Error ? e.stack : String(e)}`);
  process.exit(1);
});
