// Runs in its own process (see assets-protocols.spec.ts): a real Node-RED with real protocol nodes
// talking to real servers — a node-red-contrib-modbus read node polling the package's own Modbus
// server node, a node-red-contrib-opcua client reading a node-opcua server, the core MQTT in node
// subscribed to an aedes broker — all wired into mw-asset-map. What arrives is printed as
// `MWCAPTURE {json}` lines. A process of its own because the OPC UA nodes keep PKI folders, watchers
// and sockets that must not outlive the test, and one process hosts one Node-RED.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { startRuntime, type RunningRuntime } from '../../sim/runtime';
import { freePort } from '../support/package-runtime';

const userDir = process.argv[2];
if (!userDir) throw new Error('usage: assets-protocols-child <userDir>');
// node-red-contrib-opcua keeps its client certificates under the XDG config folder: keep them here.
process.env.XDG_CONFIG_HOME = path.join(userDir, 'xdg');

const fromOpcua = createRequire(require.resolve('node-red-contrib-opcua/package.json'));
// node-opcua is untyped here on purpose: only the few calls below are used.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const opcua = fromOpcua('node-opcua') as any;

const capture = (kind: string): string =>
  `node.warn('MWCAPTURE ' + JSON.stringify({ kind: '${kind}', ...(${kind.startsWith('raw') ? 'shape(msg)' : '{ topic: msg.topic, reason: msg.reason, payload: msg.payload }'}) })); return null;`;

const SHAPE = `function shape(msg) {
  const isDate = (v) => Object.prototype.toString.call(v) === '[object Date]';
  return { keys: Object.keys(msg).filter((k) => k !== '_msgid').sort(), topic: msg.topic, payloadType: Array.isArray(msg.payload) ? 'array' : typeof msg.payload,
    payload: msg.payload, input: msg.input && msg.input.payload, modbusRequest: msg.modbusRequest, sendingNodeId: msg.sendingNodeId,
    statusCode: msg.statusCode === undefined ? undefined : { type: typeof msg.statusCode, value: msg.statusCode && msg.statusCode.value, name: msg.statusCode && msg.statusCode.name },
    sourceTimestampIsDate: isDate(msg.sourceTimestamp), qos: msg.qos, retain: msg.retain };
}
`;

async function main(): Promise<void> {
  fs.mkdirSync(userDir, { recursive: true });
  const deadline = setTimeout(() => { console.log('MWTIMEOUT'); process.exit(2); }, 80_000);

  // OPC UA server with a good and an uncertain value.
  const server = new opcua.OPCUAServer({
    port: 0, hostname: '127.0.0.1',
    serverCertificateManager: new opcua.OPCUACertificateManager({ rootFolder: path.join(userDir, 'server-pki'), automaticallyAcceptUnknownCertificate: true }),
  });
  await server.initialize();
  const ns = server.engine.addressSpace.getOwnNamespace();
  const stamp = new Date('2026-03-01T09:00:00.000Z');
  const dv = (value: number, statusCode: unknown): unknown => new opcua.DataValue({ value: new opcua.Variant({ dataType: opcua.DataType.Double, value }), statusCode, sourceTimestamp: stamp, serverTimestamp: new Date() });
  const pump = ns.addObject({ organizedBy: server.engine.addressSpace.rootFolder.objects, browseName: 'P101' });
  ns.addVariable({ componentOf: pump, browseName: 'Pressure', nodeId: 'ns=1;s=P101.Pressure', dataType: 'Double', minimumSamplingInterval: 100,
    value: { timestamped_get: () => dv(3.25, opcua.StatusCodes.Good) } });
  ns.addVariable({ componentOf: pump, browseName: 'Level', nodeId: 'ns=1;s=P101.Level', dataType: 'Double', minimumSamplingInterval: 100,
    value: { timestamped_get: () => dv(0.75, opcua.StatusCodes.UncertainLastUsableValue) } });
  // A gateway server whose PLC link is lost: BadNoCommunication and no value (a Null variant).
  ns.addVariable({ componentOf: pump, browseName: 'Flow', nodeId: 'ns=1;s=P101.Flow', dataType: 'Double', minimumSamplingInterval: 100,
    value: { timestamped_get: () => new opcua.DataValue({ value: new opcua.Variant({ dataType: opcua.DataType.Null }), statusCode: opcua.StatusCodes.BadNoCommunication, sourceTimestamp: stamp, serverTimestamp: new Date() }) } });
  await server.start();
  const opcUrl = `opc.tcp://127.0.0.1:${server.endpoints[0].port}`;
  const nsUri: string = ns.namespaceUri;

  // MQTT broker.
  const { Aedes } = await import('aedes');
  const broker = await Aedes.createBroker();
  const mqttServer = net.createServer(broker.handle);
  await new Promise<void>((resolve) => mqttServer.listen(0, '127.0.0.1', () => resolve()));
  const mqttPort = (mqttServer.address() as net.AddressInfo).port;

  const mbPort = await freePort();
  const P101 = { assetId: 'PUMP-101', siteId: 'BEDFORD', location: 'AREA1/LINE2/PUMP-101' };
  const P102 = { assetId: 'PUMP-102', siteId: 'BEDFORD', location: 'AREA1/LINE2/PUMP-102' };
  const P104 = { assetId: 'PUMP-104', siteId: 'BEDFORD', location: 'AREA1/LINE2/PUMP-104' };
  const rows = [
    { kind: 'modbus', connection: 'PLC3', unitId: 1, address: 100, dataType: 'float32', ...P101, metric: 'flow', unit: 'm3/h' },
    { kind: 'modbus', connection: 'PLC3', unitId: 1, address: 102, dataType: 'int16', scale: 0.1, ...P102, metric: 'flow', unit: 'm3/h' },
    { kind: 'modbus', connection: `127.0.0.1:${mbPort}`, unitId: 1, address: 103, scale: 0.01, ...P102, metric: 'pressure', unit: 'bar' },
    { kind: 'modbus', connection: 'PLC9', unitId: 1, address: 104, assetId: 'PUMP-103', siteId: 'BEDFORD', location: 'AREA1/LINE2/PUMP-103', metric: 'flow' },
    { kind: 'opcua', identifier: 'ns=1;s=P101.Pressure', ...P101, metric: 'pressure', unit: 'bar' },
    { kind: 'opcua', identifier: `nsu=${nsUri};s=P101.Level`, ...P101, metric: 'level', unit: 'm' },
    { kind: 'mqtt', identifier: 'plant/+/p101/#', ...P101, metric: 'vibration', field: 'vib', unit: 'mm/s' },
    { kind: 'mqtt', identifier: 'plant/+/p101/#', ...P101, metric: 'temp', field: 'temp', unit: '°C' },
    { kind: 'exact', identifier: 'plant/line2/p102/vib', ...P102, metric: 'vibration', unit: 'mm/s' },
    { kind: 'opcua', identifier: 'ns=1;s=P101.Flow', ...P101, metric: 'linkFlow', unit: 'm3/h' },
    { kind: 'mqtt', identifier: 'plant/+/p104', ...P104, metric: 'vib', unit: 'mm/s' },
    { kind: 'mqtt', identifier: 'plant/+/p104', ...P104, metric: 'temp', field: 'bearing.temp', unit: '°C' },
  ];
  const tab = 'tab1';
  const at = (x: number, y: number): { z: string; x: number; y: number } => ({ z: tab, x, y });
  const fn = (id: string, kind: string, y: number): object => ({ id, type: 'function', ...at(700, y), name: id, func: (kind.startsWith('raw') ? SHAPE : '') + capture(kind), outputs: 0, wires: [] });
  const flows = [
    { id: tab, type: 'tab', label: 'protocols' },
    // No namespace table: the nsu= row matches once the map has seen the server's NamespaceArray (below).
    { id: 'reg1', type: 'mw-asset-registry', name: 'plant map', rows, opcuaNamespaces: '' },
    { id: 'map1', type: 'mw-asset-map', ...at(450, 200), registry: 'reg1', source: 'auto', wires: [['capOk'], ['capBad']] },
    fn('capOk', 'readings', 160), fn('capBad', 'exceptions', 240),
    fn('rawModbus', 'raw-modbus', 320), fn('rawOpcua', 'raw-opcua', 360), fn('rawMqtt', 'raw-mqtt', 400),
    { id: 'mbserver', type: 'modbus-server', ...at(150, 500), name: 'plc memory', logEnabled: false, hostname: '127.0.0.1', serverPort: mbPort, responseDelay: 1, delayUnit: 'ms',
      coilsBufferSize: 1000, holdingBufferSize: 1000, inputBufferSize: 1000, discreteBufferSize: 1000, showErrors: true, wires: [[], [], [], [], []] },
    { id: 'mbclient', type: 'modbus-client', name: 'PLC3', clienttype: 'tcp', bufferCommands: true, stateLogEnabled: false, queueLogEnabled: false, failureLogEnabled: true,
      tcpHost: '127.0.0.1', tcpPort: mbPort, tcpType: 'DEFAULT', serialPort: '/dev/ttyUSB', serialType: 'RTU-BUFFERD', serialBaudrate: 9600, serialDatabits: 8, serialStopbits: 1,
      serialParity: 'none', serialConnectionDelay: 100, serialAsciiResponseStartDelimiter: '0x3A', unit_id: 1, commandDelay: 1, clientTimeout: 1000,
      reconnectOnTimeout: true, reconnectTimeout: 2000, parallelUnitIdsAllowed: true },
    { id: 'mbread', type: 'modbus-read', ...at(150, 200), name: 'pumps', topic: '', showStatusActivities: false, logIOActivities: false, showErrors: true, unitid: '',
      dataType: 'HoldingRegister', adr: '100', quantity: '6', rate: '300', rateUnit: 'ms', delayOnStart: false, startDelayTime: '', server: 'mbclient',
      useIOFile: false, ioFile: '', useIOForPayload: false, emptyMsgOnFail: false, wires: [['map1', 'rawModbus'], ['map1']] },
    // A getter, triggered every second: its messages carry the request in msg.modbusRequest and say
    // nothing of the connection, so a second map node names it.
    { id: 'mbtrigger', type: 'inject', ...at(150, 260), name: '', props: [{ p: 'payload' }], payload: '', payloadType: 'date', once: true, onceDelay: '0.5', repeat: '1', wires: [['mbgetter']] },
    { id: 'mbgetter', type: 'modbus-getter', ...at(300, 260), name: 'get pump 101', showStatusActivities: false, showErrors: true, logIOActivities: false, unitid: '',
      dataType: 'HoldingRegister', adr: '100', quantity: '2', server: 'mbclient', useIOFile: false, ioFile: '', useIOForPayload: false, emptyMsgOnFail: false,
      keepMsgProperties: false, wires: [['map2', 'rawGetter'], []] },
    { id: 'map2', type: 'mw-asset-map', ...at(450, 260), registry: 'reg1', source: 'auto', connection: 'PLC3', wires: [['capGetter'], ['capBad']] },
    fn('rawGetter', 'raw-getter', 440), fn('capGetter', 'getter-readings', 480),
    { id: 'opcep', type: 'OpcUa-Endpoint', endpoint: opcUrl, secpol: 'None', secmode: 'None', none: true, login: false, usercert: false, usercertificate: '', userprivatekey: '' },
    { id: 'opcpress', type: 'inject', ...at(150, 300), name: '', props: [{ p: 'topic', vt: 'str' }], topic: 'ns=1;s=P101.Pressure', once: true, onceDelay: '0.5', repeat: '1', wires: [['opcclient']] },
    { id: 'opcnsarray', type: 'inject', ...at(150, 320), name: '', props: [{ p: 'topic', vt: 'str' }], topic: 'ns=0;i=2255', once: true, onceDelay: '0.4', repeat: '1', wires: [['opcclient']] },
    { id: 'opclevel', type: 'inject', ...at(150, 340), name: '', props: [{ p: 'topic', vt: 'str' }], topic: 'ns=1;s=P101.Level', once: true, onceDelay: '4', repeat: '1', wires: [['opcclient']] },
    { id: 'opcclient', type: 'OpcUa-Client', ...at(300, 320), endpoint: 'opcep', action: 'read', deadbandtype: 'a', deadbandvalue: 1, time: 10, timeUnit: 's', certificate: 'n',
      localfile: '', localkeyfile: '', securitymode: 'None', securitypolicy: 'None', useTransport: false, maxChunkCount: 1, maxMessageSize: 8192, receiveBufferSize: 8192,
      sendBufferSize: 8192, setstatusandtime: false, keepsessionalive: false, name: 'plc opc', applicationName: '', applicationUri: '', wires: [['map1', 'rawOpcua'], [], []] },
    { id: 'opcflow', type: 'inject', ...at(150, 380), name: '', props: [{ p: 'topic', vt: 'str' }], topic: 'ns=1;s=P101.Flow', once: true, onceDelay: '0.9', repeat: '1', wires: [['opcclient']] },
    { id: 'mqttbroker', type: 'mqtt-broker', name: 'aedes', broker: '127.0.0.1', port: String(mqttPort), clientid: '', autoConnect: true, usetls: false, protocolVersion: '4',
      keepalive: '60', cleansession: true, autoUnsubscribe: true, birthTopic: '', closeTopic: '', willTopic: '' },
    { id: 'mqttin', type: 'mqtt in', ...at(150, 420), name: '', topic: 'plant/#', qos: '0', datatype: 'auto-detect', broker: 'mqttbroker', nl: false, rap: true, rh: 0, inputs: 0,
      wires: [['map1', 'rawMqtt']] },
  ];

  let runtime: RunningRuntime | null = null;
  const seen = new Set<string>();
  const done = new Promise<void>((resolve) => {
    const origWrite = process.stdout.write.bind(process.stdout);
    // Watch our own log for the captures the test needs; stop once every one has arrived.
    const want = ['raw-modbus', 'raw-getter', 'getter-readings', 'raw-opcua', 'raw-mqtt', 'modbus:PUMP-101', 'modbus:PUMP-102', 'opcua:pressure', 'opcua:level', 'mqtt:PUMP-101', 'mqtt:PUMP-102',
      'opcua:linkFlow', 'mqtt:PUMP-104:batch', 'missing-field'];
    process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      for (const m of text.matchAll(/MWCAPTURE (\{.*\})/g)) {
        try {
          const c = JSON.parse(m[1]) as { kind: string; payload?: { source?: { kind: string }; asset?: { id: string }; readings?: Array<{ metric: string }> } };
          if (c.kind.startsWith('raw') || c.kind === 'getter-readings') seen.add(c.kind);
          const src = c.payload?.source?.kind;
          const t = (c as { topic?: string }).topic;
          if (c.kind === 'raw-opcua' && t === 'subscriptionId') seen.add('raw-opcua:subscriptionId');
          if (c.kind === 'readings' && src === 'mqtt' && c.payload?.asset?.id === 'PUMP-104' && (c.payload?.readings?.length ?? 0) >= 3) seen.add('mqtt:PUMP-104:batch');
          if (c.kind === 'exceptions' && (c as { reason?: string }).reason === 'missing-field') seen.add('missing-field');
          if (c.kind === 'readings' && src === 'modbus') seen.add(`modbus:${c.payload?.asset?.id}`);
          if (c.kind === 'readings' && src === 'opcua') seen.add(`opcua:${c.payload?.readings?.[0].metric}`);
          if (c.kind === 'readings' && src === 'mqtt') seen.add(`mqtt:${c.payload?.asset?.id}`);
        } catch {
          // A capture split over two writes; the next poll repeats it.
        }
      }
      if (want.every((w) => seen.has(w))) resolve();
      return (origWrite as (c: string | Uint8Array, ...r: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof process.stdout.write;
  });

  runtime = await startRuntime({ userDir, port: 0, flows, installPackage: true, logLevel: 'warn' });
  // The PLC's memory: holding registers 100.. as the Modbus server node keeps them (big-endian words).
  // The flows start after RED.start() resolves; wait for the server node.
  type ServerNode = { modbusServer: { holding: Buffer } | null };
  const red = runtime.RED;
  const serverNode = (): ServerNode | null => red.nodes.getNode('mbserver') as ServerNode | null;
  while (!serverNode()?.modbusServer) await new Promise((r) => setTimeout(r, 50));
  const holding = serverNode()!.modbusServer!.holding;
  const regs = [0x4148, 0x0000, 0xffe7, 1234, 77, 0];
  regs.forEach((v, i) => holding.writeUInt16BE(v, (100 + i) * 2));

  // Publish once the MQTT in node has subscribed.
  const publish = (topic: string, payload: string): void => {
    broker.publish({ cmd: 'publish', topic, payload: Buffer.from(payload), qos: 0, retain: false, dup: false }, () => undefined);
  };
  const subscribed = (): void => {
    publish('plant/line2/p101/status', JSON.stringify({ vib: 4.2, temp: 61.5, ts: '2026-03-01T09:10:00Z' }));
    publish('plant/line2/p102/vib', '3.5');
    publish('plant/line2/p999/vib', '1');
    // A batching edge publisher, and an object that lacks one configured field.
    publish('plant/line2/p104', JSON.stringify([{ metric: 'vib', value: 2.5, ts: '2026-03-01T09:20:00Z' }, { metric: 'vib', value: 2.75, ts: '2026-03-01T09:20:01Z' },
      { metric: 'bearing.temp', value: 41.5, ts: '2026-03-01T09:20:01Z', quality: 'uncertain' }]));
    publish('plant/line3/p104', JSON.stringify({ vib: 3.25 }));
  };
  broker.on('subscribe', () => setTimeout(subscribed, 200));
  const timer = setInterval(() => { if (broker.connectedClients > 0) subscribed(); }, 2000);

  await done;
  // Then the same client subscribes (a second client node on the same machine fights over the PKI
  // folder): node-red-contrib-opcua answers the first subscribe with {topic: "subscriptionId"}.
  (red.nodes.getNode('opcclient') as unknown as { receive(m: object): void }).receive({ topic: 'ns=1;s=P101.Pressure', action: 'subscribe' });
  while (!seen.has('raw-opcua:subscriptionId')) await new Promise((r) => setTimeout(r, 50));
  // A moment for the map to have taken the message (the capture and the map get it at once).
  await new Promise((r) => setTimeout(r, 500));
  clearInterval(timer);
  clearTimeout(deadline);
  await runtime.stop();
  await server.shutdown(0);
  await new Promise<void>((resolve) => broker.close(() => resolve()));
  await new Promise<void>((resolve) => mqttServer.close(() => resolve()));
  console.log('MWDONE');
  // node-opcua's certificate managers keep file watchers; the process is done either way.
  process.exit(0);
}

main().catch((e: unknown) => {
  console.log(`MWFAILED ${e instanceof Error ? e.stack : String(e)}`);
  process.exit(1);
});
