// The compressor CMP-401 and the motor MTR-201 as an OPC UA server (node-opcua, the copy that
// node-red-contrib-opcua brings, loaded as test/integration/assets-protocols-child.ts does).
// Variables are `ns=1;s=<asset>.<signal>` (e.g. ns=1;s=CMP-401.DischargeTemperature) under
// Objects/<asset>. Each read or sampling carries the sensor's source timestamp and a status code:
// Good normally, BadSensorFailure while the bad-quality scenario runs (OPC UA Part 8 §A.4.3: a
// failed sensor is reported in the status, not as a value). A frozen sensor keeps its old value and
// timestamp with status Good, so a subscription simply stops reporting changes.
// In the many-tags mode (sim/plant/many.ts) Objects/BULK holds `bulkTags` more variables.
import { createRequire } from 'node:module';
import path from 'node:path';

import { bulkOpcuaNodeId, bulkValue } from './many';
import { PLANT_ASSETS, SIGNALS, type PlantModel } from './model';

interface PlantOpcua {
  url: string;
  port: number;
  namespaceUri: string;
  stop(): Promise<void>;
}

/** The OPC UA node id of a signal, e.g. ns=1;s=CMP-401.DischargeTemperature. */
export function opcuaNodeId(assetId: string, key: string): string {
  return `ns=1;s=${assetId}.${key}`;
}

export async function startOpcua(model: PlantModel, opts: { host: string; port: number; pkiDir: string; bulkTags?: number }): Promise<PlantOpcua> {
  const fromOpcua = createRequire(require.resolve('node-red-contrib-opcua/package.json'));
  // node-opcua is used untyped on purpose: only the few calls below, from a dev dependency.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const opcua = fromOpcua('node-opcua') as any;
  const server = new opcua.OPCUAServer({
    port: opts.port, hostname: opts.host,
    buildInfo: { productName: 'Millwright plant simulator', manufacturerName: 'Millwright' },
    serverCertificateManager: new opcua.OPCUACertificateManager({ rootFolder: path.join(opts.pkiDir, 'server-pki'), automaticallyAcceptUnknownCertificate: true }),
  });
  await server.initialize();
  const ns = server.engine.addressSpace.getOwnNamespace();
  const bad = opcua.StatusCodes.BadSensorFailure ?? opcua.StatusCodes.Bad;
  for (const [name, asset] of Object.entries(PLANT_ASSETS)) {
    const signals = SIGNALS.filter((s) => s.protocol === 'opcua' && s.asset === name);
    if (signals.length === 0) continue;
    const folder = ns.addObject({ organizedBy: server.engine.addressSpace.rootFolder.objects, browseName: asset.assetId });
    for (const s of signals) {
      ns.addVariable({
        componentOf: folder, browseName: s.key, nodeId: opcuaNodeId(asset.assetId, s.key), dataType: 'Double', minimumSamplingInterval: 250,
        description: `${s.metric} (${s.unit})`,
        value: {
          timestamped_get: () => {
            const now = model.sample().find((x) => x.key === s.key);
            return new opcua.DataValue({
              value: new opcua.Variant({ dataType: opcua.DataType.Double, value: now?.value ?? 0 }),
              statusCode: now?.quality === 'bad' ? bad : opcua.StatusCodes.Good,
              sourceTimestamp: new Date(now?.sourceTime ?? Date.now()), serverTimestamp: new Date(),
            });
          },
        },
      });
    }
  }
  const bulkTags = opts.bulkTags ?? 0;
  if (bulkTags > 0) {
    const folder = ns.addObject({ organizedBy: server.engine.addressSpace.rootFolder.objects, browseName: 'BULK' });
    for (let j = 0; j < bulkTags; j++) {
      const nodeId = bulkOpcuaNodeId(j);
      ns.addVariable({
        componentOf: folder, browseName: nodeId.slice('ns=1;s=BULK.'.length), nodeId, dataType: 'Double', minimumSamplingInterval: 250,
        value: {
          timestamped_get: () => new opcua.DataValue({
            value: new opcua.Variant({ dataType: opcua.DataType.Double, value: bulkValue('opcua', j, Date.now()) }),
            statusCode: opcua.StatusCodes.Good, sourceTimestamp: new Date(), serverTimestamp: new Date(),
          }),
        },
      });
    }
  }
  await server.start();
  const port: number = server.endpoints[0].port;
  return {
    url: `opc.tcp://${opts.host}:${port}`, port, namespaceUri: ns.namespaceUri as string,
    stop: async () => { await server.shutdown(0); },
  };
}
