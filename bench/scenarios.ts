// The scenarios the benchmark runs. Each one is the chain of flow nodes that sits between the
// bench source and the bench sink; everything else (ids, wires, tab, source, sink) is filled in.
// To benchmark a node, add one entry that names the baseline it should be compared with.
import fs from 'node:fs';
import path from 'node:path';
import type { NodeMessage } from 'node-red';

/**
 * One node of the chain, as it would appear in flows.json but without id, z and wires.
 * Output 0 is wired to the next node; set `benchOutput` to continue the chain from another output.
 */
export interface ChainNode {
  type: string;
  benchOutput?: number;
  /** How many outputs the node has when more than the chain uses (the others stay unwired). */
  benchOutputs?: number;
  [property: string]: unknown;
}

/** A config node the chain refers to by id (e.g. an asset registry); deployed on the same tab. */
interface ConfigNode {
  id: string;
  type: string;
  [property: string]: unknown;
}

export interface Scenario {
  /** Short, unique, used on the command line (`--only`) and in results.json. */
  name: string;
  description: string;
  /** Baselines are what node scenarios are measured against; they always run. */
  role: 'baseline' | 'node';
  /** The scenario whose figures this one's ratios divide by (a scenario may name itself). */
  compareTo: string;
  chain: ChainNode[];
  configNodes?: ConfigNode[];
  /** Distinct topics the default message generator cycles through (default 1). */
  keys?: number;
  /** The message for sequence number `seq`; `key` is seq modulo `keys`. Defaults to a counter payload. */
  message?: (seq: number, key: number) => NodeMessage;
  /** How many messages should reach the sink for `sent` messages (default: all of them). */
  expectedAtSink?: (sent: number) => number;
}

/**
 * Every `bench/scenarios/<node>.ts` exports `scenarios: Scenario[]`; they are picked up here so that
 * each node's benchmark sits beside no other node's and adding one touches no shared file.
 */
function loadNodeScenarios(): Scenario[] {
  const dir = path.join(__dirname, 'scenarios');
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir)
    .filter((f) => f.endsWith('.js'))
    .sort()
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    .flatMap((f) => (require(path.join(dir, f)) as { scenarios?: Scenario[] }).scenarios ?? []);
}

export const SCENARIOS: Scenario[] = [
  {
    name: 'bare-hop',
    description: 'source → sink: the cost of the harness and one Node-RED hop',
    role: 'baseline',
    compareTo: 'bare-hop',
    chain: [],
  },
  {
    name: 'pass-hop',
    description: 'source → pass-through node → sink: the hop any one node sits on, with no work of its own',
    role: 'baseline',
    compareTo: 'bare-hop',
    chain: [{ type: 'bench-pass' }],
  },
  {
    name: 'pass-hop-2',
    description: 'source → pass-through node with two outputs (the second unwired) → sink: Node-RED\'s general send path',
    role: 'baseline',
    compareTo: 'bare-hop',
    chain: [{ type: 'bench-pass', benchOutputs: 2 }],
  },
  {
    name: 'core-chain',
    description: 'source → switch (payload ≥ 0) → change (set msg.checked) → rbe (payload changes) → sink',
    role: 'baseline',
    compareTo: 'bare-hop',
    chain: [
      { type: 'switch', property: 'payload', propertyType: 'msg', rules: [{ t: 'gte', v: '0', vt: 'num' }], checkall: 'true', repair: false, outputs: 1 },
      { type: 'change', rules: [{ t: 'set', p: 'checked', pt: 'msg', to: 'true', tot: 'bool' }] },
      // The default payload is the sequence number, so every message is a change and passes.
      { type: 'rbe', func: 'rbe', gap: '', start: '', inout: 'out', septopics: true, property: 'payload', topi: 'topic' },
    ],
  },
  // Node scenarios live one file per node in bench/scenarios/ (see loadNodeScenarios below), e.g.
  // { name: 'mw-threshold', description: '…', role: 'node', compareTo: 'core-chain', keys: 100,
  //   chain: [{ type: 'mw-threshold', rules: […] }], message: (seq, key) => ({ payload: readingFor(key, seq) }) },
  ...loadNodeScenarios(),
];

/** The default message: a changing number on one of `keys` topics. */
export function defaultMessage(topics: readonly string[]): (seq: number, key: number) => NodeMessage {
  return (seq, key) => ({ topic: topics[key], payload: seq });
}

/** Scenarios to run: the named ones (all when `only` is empty) plus every baseline they compare to. */
export function selectScenarios(all: readonly Scenario[], only: readonly string[]): Scenario[] {
  const byName = new Map(all.map((s) => [s.name, s]));
  for (const name of only) {
    if (!byName.has(name)) throw new Error(`unknown scenario "${name}"; known: ${[...byName.keys()].join(', ')}`);
  }
  const wanted = new Set(only.length > 0 ? only : all.map((s) => s.name));
  for (const s of all) if (s.role === 'baseline') wanted.add(s.name);
  // Follow compareTo links so that every ratio has its denominator.
  for (let grew = true; grew; ) {
    grew = false;
    for (const name of [...wanted]) {
      const target = byName.get(name)?.compareTo;
      if (target === undefined || !byName.has(target)) throw new Error(`scenario "${name}" compares to unknown "${target}"`);
      if (!wanted.has(target)) {
        wanted.add(target);
        grew = true;
      }
    }
  }
  return all.filter((s) => wanted.has(s.name));
}
