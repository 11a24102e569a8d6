// The loaded map: rows indexed per match kind so that resolving a message costs the same with 1 000
// or 100 000 rows. Precedence: an exact identifier, then the most specific MQTT filter, then regular
// expressions in row order. Two rows that claim the same identifier and metric are a load error.
import { TopicTrie } from './mqtt';
import { normaliseNodeId, type NamespaceTable } from './opcua';
import { RowBuilder } from './rows';
import { Slicer } from './slicer';
import { describeOrigin, describeRow, type MatchKind, type ModbusTable, type RawRow, type Row, type RowOrigin, type Target, type TargetCheck } from './types';

/**
 * Answers for identifiers that need more than one map lookup (MQTT filters, regexes, NodeIds in any
 * spelling, Modbus blocks) are remembered per identifier, up to this many per kind; then the memo
 * starts again. A plant sends the same few thousand identifiers over and over, so the trie walk,
 * the NodeId parsing and the block search run once per identifier, not once per message.
 */
const LOOKUP_CACHE = 10_000;
const NO_ROWS: readonly Row[] = Object.freeze([]);
const TABLE_CODE: Readonly<Record<ModbusTable, number>> = { coil: 0, discrete: 1, holding: 2, input: 3 };
/** Errors kept in full; the rest are counted. */
const MAX_LOAD_ERRORS = 50;

/** Rows with the same identifier are chained through `next`; the map holds the first. */
type Group = Row;

function clash(head: Row, row: Row): Row | undefined {
  for (let r: Row | null = head; r; r = r.next) if (r.metric === row.metric) return r;
  return undefined;
}

function append(head: Row, row: Row): void {
  let last = head;
  while (last.next) last = last.next;
  last.next = row;
}

function sameBlock(a: Row, b: Row): boolean {
  return a.modbus!.connection === b.modbus!.connection && a.modbus!.unitId === b.modbus!.unitId && a.modbus!.table === b.modbus!.table;
}

const modbusKey = (connection: string | null, unitId: number | null, table: ModbusTable): string =>
  `${connection ?? '*'}|${unitId ?? '*'}|${table}`;

function remember<K, V>(memo: Map<K, V>, key: K, value: V): void {
  if (memo.size >= LOOKUP_CACHE) memo.clear();
  memo.set(key, value);
}

export class Registry {
  /** When the map was built (ms since epoch). */
  readonly loadedAt: number;
  /** Namespace URIs of nsu= rows that the namespace table does not give an index (at most 20). */
  unknownNamespaces: readonly string[] = [];
  private readonly cache = new Map<string, Group | null>();
  private readonly nodeIdCache = new Map<string, Group | null>();
  /**
   * Modbus answers per connection-names array (the map node keeps one array per sending node, so
   * the array's identity stands for its names), then per block as one number: no key string.
   */
  private readonly modbusCache = new WeakMap<readonly string[], Map<number, readonly Row[]>>();

  constructor(
    private readonly exact: Map<string, Group>,
    private readonly opcua: Map<string, Group>,
    private readonly mqtt: TopicTrie<Group>,
    private readonly regex: Array<{ re: RegExp; rows: Group }>,
    private readonly modbus: Map<string, Row[]>,
    readonly targets: readonly Target[],
    readonly rowCount: number,
    readonly counts: Readonly<Record<MatchKind, number>>,
    readonly sources: readonly string[],
    private readonly namespaces: NamespaceTable,
    now: number,
  ) {
    this.loadedAt = now;
  }

  /**
   * The first row for an identifier (topic, camera id, tag name), the others chained through
   * `next`: exact, then MQTT filters, then regexes.
   */
  lookupId(id: string): Row | undefined {
    // The memo first, exact ids included: it holds the identifiers in use, a few thousand at most,
    // so its table and rows stay in the processor's cache where the full index of a large map does not.
    const cached = this.cache.get(id);
    if (cached !== undefined) return cached ?? undefined;
    let found: Group | null = this.exact.get(id) ?? (this.mqtt.size > 0 ? this.mqtt.match(id) : undefined) ?? null;
    if (found === null) {
      for (const r of this.regex) {
        if (r.re.test(id)) {
          found = r.rows;
          break;
        }
      }
    }
    remember(this.cache, id, found);
    return found ?? undefined;
  }

  /** Rows for an OPC UA NodeId in any equivalent spelling; falls back to the identifier lookup. */
  lookupNodeId(raw: string): Row | undefined {
    if (this.opcua.size === 0) return this.lookupId(raw);
    const cached = this.nodeIdCache.get(raw);
    if (cached !== undefined) return cached ?? undefined;
    const canonical = normaliseNodeId(raw, this.namespaces);
    const found = (canonical === null ? undefined : this.opcua.get(canonical)) ?? this.lookupId(raw) ?? null;
    remember(this.nodeIdCache, raw, found);
    return found ?? undefined;
  }

  /**
   * Rows whose registers lie wholly inside the block [start, start + count). `connections` are the
   * names the message's Modbus connection goes by; rows naming a connection or unit win over rows
   * that leave it open, register for register and metric for metric. The answer is shared and
   * remembered per `connections` array, so neither may be changed.
   */
  lookupModbus(connections: readonly string[], unitId: number | null, table: ModbusTable, start: number, count: number): readonly Row[] {
    if (this.modbus.size === 0 || count <= 0) return NO_ROWS;
    let memo = this.modbusCache.get(connections);
    if (!memo) {
      memo = new Map();
      this.modbusCache.set(connections, memo);
    }
    // Unit 0–255 or any (256), table 0–3, start 0–65535, count 1–65536: one exact number below 2^53.
    const key = (((unitId ?? 256) * 4 + TABLE_CODE[table]) * 65536 + start) * 65537 + count;
    const cached = memo.get(key);
    if (cached !== undefined) return cached;
    const found = this.searchModbus(connections, unitId, table, start, count);
    remember(memo, key, found);
    return found;
  }

  private searchModbus(connections: readonly string[], unitId: number | null, table: ModbusTable, start: number, count: number): readonly Row[] {
    const end = start + count - 1;
    const out: Row[] = [];
    let variants = 0;
    const units = unitId === null ? [null] : [unitId, null];
    const names: Array<string | null> = [...connections, null];
    for (const c of names) {
      for (const u of units) {
        const rows = this.modbus.get(modbusKey(c, u, table));
        if (!rows) continue;
        variants += 1;
        let lo = 0;
        let hi = rows.length;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (rows[mid].modbus!.start < start) lo = mid + 1;
          else hi = mid;
        }
        for (let i = lo; i < rows.length && rows[i].modbus!.start <= end; i++) {
          const r = rows[i];
          if (r.modbus!.end > end) continue;
          if (variants > 1 && out.some((o) => o.modbus!.start === r.modbus!.start && o.metric === r.metric)) continue;
          out.push(r);
        }
      }
    }
    return out.length === 0 ? NO_ROWS : Object.freeze(out);
  }

  /** The target with this key (assetId|siteId|location); a scan, for reports and tests. */
  findTarget(key: string): Target | undefined {
    return this.targets.find((t) => t.key === key);
  }

  /** Puts new verification results on the targets; rows see them at once. */
  applyChecks(checks: ReadonlyMap<string, TargetCheck>): void {
    for (const t of this.targets) {
      const check = checks.get(t.key);
      if (check) t.check = check;
    }
  }
}

export interface LoadResult {
  ok: boolean;
  registry?: Registry;
  /** The first MAX_LOAD_ERRORS problems, each naming the source, line and field. */
  errors: string[];
  errorCount: number;
}

/** Builds a Registry row by row, so a large file is indexed as it streams in. */
export class RegistryLoader {
  private readonly builder: RowBuilder;
  private readonly exact = new Map<string, Group>();
  private readonly opcua = new Map<string, Group>();
  private readonly mqtt = new TopicTrie<Group>();
  private readonly regexBySource = new Map<string, { re: RegExp; rows: Group }>();
  private readonly modbus = new Map<string, Row[]>();
  private readonly counts: Record<MatchKind, number> = { exact: 0, mqtt: 0, opcua: 0, modbus: 0, regex: 0 };
  private readonly sources = new Set<string>();
  private readonly unknownNamespaces = new Set<string>();
  private rows = 0;
  readonly errors: string[] = [];
  errorCount = 0;

  constructor(private readonly namespaces: NamespaceTable, checks?: ReadonlyMap<string, TargetCheck>) {
    this.builder = new RowBuilder(namespaces, checks);
  }

  fail(origin: RowOrigin | string, message: string): void {
    this.report(`${typeof origin === 'string' ? origin : describeOrigin(origin)}: ${message}`);
  }

  /** A problem already worded with its place ("pumps.csv line 3: …"). */
  report(problem: string): void {
    this.errorCount += 1;
    if (this.errors.length < MAX_LOAD_ERRORS) this.errors.push(problem);
  }

  add(record: Record<string, unknown>, origin: RowOrigin): void {
    this.index(this.builder.build(record, origin), origin);
  }

  /** A row whose columns are already matched to fields (the CSV fast path). */
  addRaw(raw: RawRow, origin: RowOrigin): void {
    this.index(this.builder.buildRaw(raw, origin), origin);
  }

  private index(built: ReturnType<RowBuilder['build']>, origin: RowOrigin): void {
    this.sources.add(origin.source);
    if (!built.ok) {
      for (const e of built.errors) this.fail(origin, e);
      return;
    }
    const row = built.row;
    switch (row.kind) {
      case 'exact': this.group(this.exact.get(row.key), row, () => this.exact.set(row.key, row)); break;
      case 'opcua':
        // A namespace URI the registry's table does not know stays nsu=…: it never matches the ns=<index>
        // that node-red-contrib-opcua puts in msg.topic, so the unmapped report names it.
        if (row.key.startsWith('nsu=') && this.unknownNamespaces.size < 20) this.unknownNamespaces.add(row.key.slice(4, row.key.indexOf(';')));
        this.group(this.opcua.get(row.key), row, () => this.opcua.set(row.key, row));
        break;
      case 'mqtt': {
        const existing = this.mqtt.add(row.key, row);
        if (existing) this.group(existing, row, () => undefined);
        else this.accept(row);
        break;
      }
      case 'regex': {
        const existing = this.regexBySource.get(row.key);
        if (existing) this.group(existing.rows, row, () => undefined);
        else {
          this.regexBySource.set(row.key, { re: new RegExp(row.key), rows: row });
          this.accept(row);
        }
        break;
      }
      case 'modbus': {
        const k = modbusKey(row.modbus!.connection, row.modbus!.unitId, row.modbus!.table);
        const list = this.modbus.get(k);
        if (list) list.push(row);
        else this.modbus.set(k, [row]);
        this.accept(row);
        break;
      }
    }
  }

  private accept(row: Row): void {
    this.rows += 1;
    this.counts[row.kind] += 1;
  }

  private group(existing: Group | undefined, row: Row, create: () => void): void {
    if (!existing) {
      create();
      this.accept(row);
      return;
    }
    const other = clash(existing, row);
    if (other) {
      this.fail({ source: row.src.name, line: row.line, byRow: row.src.byRow }, `${row.kind} identifier "${row.key}" with metric "${row.metric}" is already mapped by ${describeRow(other)}`);
      return;
    }
    append(existing, row);
    this.accept(row);
  }

  /** Sorts the Modbus blocks and finds rows that claim the same register and metric; yields per block. */
  private *checkModbus(): Generator<void> {
    for (const rows of this.modbus.values()) {
      rows.sort((a, b) => a.modbus!.start - b.modbus!.start || a.modbus!.end - b.modbus!.end);
      for (let i = 0; i < rows.length; i++) {
        const a = rows[i];
        for (let j = i + 1; j < rows.length && rows[j].modbus!.start <= a.modbus!.end; j++) {
          const b = rows[j];
          if (b.metric === a.metric && sameBlock(a, b)) {
            this.fail({ source: b.src.name, line: b.line, byRow: b.src.byRow },
              `modbus registers ${b.modbus!.start}–${b.modbus!.end} with metric "${b.metric}" overlap ${describeRow(a)} (${a.modbus!.start}–${a.modbus!.end})`);
          }
        }
      }
      yield;
    }
  }

  private result(now: number): LoadResult {
    if (this.errorCount > 0) return { ok: false, errors: this.errors, errorCount: this.errorCount };
    const registry = new Registry(this.exact, this.opcua, this.mqtt, [...this.regexBySource.values()], this.modbus, this.builder.allTargets(),
      this.rows, { ...this.counts }, [...this.sources], this.namespaces, now);
    registry.unknownNamespaces = [...this.unknownNamespaces];
    return { ok: true, registry, errors: [], errorCount: 0 };
  }

  /** Finishes at once: for the editor's checks and small maps. */
  finish(now: number): LoadResult {
    for (const _ of this.checkModbus()) { /* every block */ }
    return this.result(now);
  }

  /** Finishes in slices, letting the flows run between them: for a map being loaded. */
  async finishSliced(now: number, slicer: Slicer): Promise<LoadResult> {
    for (const _ of this.checkModbus()) await slicer.tick();
    return this.result(now);
  }
}
