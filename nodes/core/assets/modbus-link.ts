// What the deployed flow says about a Modbus message: which client connection a read or getter node
// uses (the names a row's `connection` may give), the unit its requests go to when the node leaves
// Unit-Id empty (the client's), and — for the failure messages, which lose the request — which
// block the failed poll was for. Built from the flow's node configurations, so it stays pure.

export interface ModbusLink {
  /** Client node name, host:port, host, serial port, id: what a row's `connection` may say. */
  names: readonly string[];
  /** The client node's unit id (node-red-contrib-modbus: parseInt(unit_id) || 0); null when unknown. */
  clientUnit: number | null;
  /** The node's own request (unit, function code, address, quantity), for failure messages. */
  request: { unitid: unknown; fc: number; address: unknown; quantity: unknown } | null;
}

type Config = Record<string, unknown>;

/** node-red-contrib-modbus core/modbus-core.js functionCodeModbusRead. */
const FC: Record<string, number> = { Coil: 1, Input: 2, HoldingRegister: 3, InputRegister: 4 };
const READERS = new Set(['modbus-read', 'modbus-getter', 'modbus-flex-getter']);

const text = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v.trim() : typeof v === 'number' ? String(v) : null);

/** The names a client node goes by, and its unit. */
function clientLink(client: Config | undefined): Pick<ModbusLink, 'names' | 'clientUnit'> {
  if (!client) return { names: [], clientUnit: null };
  const names = [text(client.name), client.tcpHost ? `${text(client.tcpHost)}:${text(client.tcpPort) ?? '502'}` : null,
    text(client.tcpHost), text(client.serialPort), text(client.id)].filter((n): n is string => n !== null);
  // As the client does (modbus-queue-core getUnitIdToQueue): parseInt(unit_id) || 0.
  const unit = Number.parseInt(String(client.unit_id), 10);
  return { names, clientUnit: Number.isFinite(unit) && unit > 0 && unit <= 255 ? unit : 0 };
}

export class ModbusFlow {
  private readonly byId = new Map<string, Config>();
  private readonly readerByName = new Map<string, Config>();
  private readonly links = new Map<string, ModbusLink | null>();

  constructor(configs: Iterable<Config>) {
    for (const c of configs) {
      const id = text(c.id);
      if (id === null) continue;
      this.byId.set(id, c);
      const name = text(c.name);
      if (name !== null && c.type === 'modbus-read' && !this.readerByName.has(name)) this.readerByName.set(name, c);
    }
  }

  /** The link of a read / getter node by its id (msg.sendingNodeId, a Catch node's msg.error.source.id). */
  ofNode(id: string): ModbusLink | null {
    const hit = this.links.get(id);
    if (hit !== undefined) return hit;
    const n = this.byId.get(id);
    let link: ModbusLink | null = null;
    if (n && READERS.has(String(n.type))) {
      const fc = FC[String(n.dataType)];
      link = { ...clientLink(this.byId.get(String(n.server))), request: fc === undefined ? null : { unitid: n.unitid, fc, address: n.adr, quantity: n.quantity } };
    }
    this.links.set(id, link);
    return link;
  }

  /** The link of a client node named on the map node (behind a getter): its names and unit. */
  ofConnection(connection: string): ModbusLink {
    const key = `connection:${connection}`;
    const hit = this.links.get(key);
    if (hit) return hit;
    let client: Config | undefined;
    for (const c of this.byId.values()) {
      if (c.type === 'modbus-client' && clientLink(c).names.includes(connection)) {
        client = c;
        break;
      }
    }
    const found = clientLink(client);
    const link: ModbusLink = { names: [connection, ...found.names.filter((n) => n !== connection)], clientUnit: found.clientUnit, request: null };
    this.links.set(key, link);
    return link;
  }

  /**
   * The node a failure message came from. A Catch node's message names it (msg.error.source.id);
   * "Empty msg on fail" of a read node names it in msg.from (its name) and of a getter in msg.topic
   * (its id, when the triggering message had no topic).
   */
  ofFailure(msg: { error?: unknown; from?: unknown; topic?: unknown; payload?: unknown }): ModbusLink | null {
    const source = typeof msg.error === 'object' && msg.error !== null ? (msg.error as { source?: { id?: unknown } }).source : undefined;
    if (typeof source?.id === 'string') return this.ofNode(source.id);
    const from = text(msg.from);
    if (from !== null) {
      const reader = this.readerByName.get(from);
      if (reader) return this.ofNode(String(reader.id));
    }
    if (typeof msg.topic === 'string' && this.byId.get(msg.topic)?.type === 'modbus-getter') return this.ofNode(msg.topic);
    return null;
  }
}
