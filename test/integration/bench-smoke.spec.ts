// The benchmark's --quick run, as CI uses it: a child process, because Node-RED allows one runtime
// per process and the benchmark must not share it with other tests. Checks that the harness works
// and reports sane figures; it says nothing about speed.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { buildFlow } from '../../bench/harness';
import { SCENARIOS, type Scenario, selectScenarios } from '../../bench/scenarios';
import { BUILD_ROOT, findRepoRoot } from '../../sim/paths';

interface Counts {
  sent: number;
  received: number;
  lost: number;
  cpuUsPerMsg: number;
}

interface ScenarioResult {
  name: string;
  role: string;
  compareTo: string;
  paced: Counts & { latencyP50Ms: number; latencyP99Ms: number; eventLoopDelayP99Ms: number };
  burst: Counts & { msgPerSec: number; drainMs: number };
  ratios: { baseline: string; cpuPerMsg: number; latencyP99: number; burstRate: number };
}

interface Results {
  machine: { cpuModel: string; node: string; nodeRed: string; date: string };
  scenarios: ScenarioResult[];
}

function runQuick(out: string): Promise<{ stdout: string; stderr: string }> {
  const script = path.join(BUILD_ROOT, 'bench', 'run.js');
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [script, '--quick', '--out', out], { cwd: findRepoRoot(), timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr}`));
      else resolve({ stdout, stderr });
    });
  });
}

describe('bench --quick (integration)', function () {
  this.timeout(90_000);
  let dir: string;
  let results: Results;
  let stdout: string;

  before(async function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-bench-smoke-'));
    const out = path.join(dir, 'results.json');
    ({ stdout } = await runQuick(out));
    results = JSON.parse(fs.readFileSync(out, 'utf8')) as Results;
  });

  after(function () {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('records the machine and the Node-RED it ran on', function () {
    assert.match(results.machine.node, /^v\d+\./);
    assert.match(results.machine.nodeRed, /^\d+\.\d+\.\d+/);
    assert.ok(results.machine.cpuModel.length > 0);
    assert.ok(!Number.isNaN(Date.parse(results.machine.date)));
  });

  for (const name of ['bare-hop', 'core-chain']) {
    it(`delivers every message of the ${name} baseline and reports positive figures`, function () {
      const s = results.scenarios.find((r) => r.name === name);
      assert.ok(s, `${name} missing from results`);
      assert.equal(s.role, 'baseline');
      for (const phase of [s.paced, s.burst]) {
        assert.ok(phase.sent > 0);
        assert.equal(phase.received, phase.sent);
        assert.equal(phase.lost, 0);
        assert.ok(phase.cpuUsPerMsg > 0);
      }
      assert.ok(s.paced.latencyP50Ms > 0);
      assert.ok(s.paced.latencyP99Ms >= s.paced.latencyP50Ms);
      // Sampled: an empty histogram (no samples, percentile 0) is clamped to 0, NaN means none was read;
      // any real run sits above the ~1 ms floor of libuv's timers.
      assert.ok(Number.isFinite(s.paced.eventLoopDelayP99Ms) && s.paced.eventLoopDelayP99Ms > 0, String(s.paced.eventLoopDelayP99Ms));
      assert.ok(s.burst.msgPerSec > 0);
      assert.ok(s.burst.drainMs > 0);
    });
  }

  it('gives each scenario ratios to its baseline', function () {
    const bare = results.scenarios.find((r) => r.name === 'bare-hop');
    const chain = results.scenarios.find((r) => r.name === 'core-chain');
    assert.ok(bare && chain);
    assert.equal(bare.ratios.baseline, 'bare-hop');
    assert.equal(bare.ratios.cpuPerMsg, 1);
    assert.equal(bare.ratios.burstRate, 1);
    assert.equal(chain.ratios.baseline, 'bare-hop');
    for (const v of [chain.ratios.cpuPerMsg, chain.ratios.latencyP99, chain.ratios.burstRate]) {
      assert.ok(Number.isFinite(v) && v > 0, `ratio ${v}`);
    }
  });

  it('prints the table and where the results went', function () {
    assert.match(stdout, /bare-hop/);
    assert.match(stdout, /core-chain/);
    assert.match(stdout, /ratios to the baseline/);
    assert.match(stdout, /written: /);
  });
});

describe('bench scenarios (unit)', function () {
  const chain = SCENARIOS.find((s) => s.name === 'core-chain');

  it('wires source → each chain node → sink in order', function () {
    assert.ok(chain);
    const flow = buildFlow(chain) as Array<{ id: string; type: string; wires?: string[][]; x?: number }>;
    const byId = new Map(flow.map((n) => [n.id, n]));
    const types: string[] = [];
    for (let n = byId.get('bench-source'); n; n = byId.get(n.wires?.[0]?.[0] ?? '')) types.push(n.type);
    assert.deepEqual(types, ['bench-source', 'switch', 'change', 'rbe', 'bench-sink']);
    // A flow node without a position would be taken for a config node.
    for (const n of flow) if (n.type !== 'tab') assert.equal(typeof n.x, 'number', n.id);
  });

  it('continues the chain from the output named by benchOutput', function () {
    const s: Scenario = { name: 't', description: '', role: 'node', compareTo: 't', chain: [{ type: 'switch', benchOutput: 1, outputs: 2 }] };
    const flow = buildFlow(s) as Array<{ id: string; wires?: string[][]; benchOutput?: number }>;
    const node = flow.find((n) => n.id === 'bench-n1');
    assert.deepEqual(node?.wires, [[], ['bench-sink']]);
    assert.equal(node?.benchOutput, undefined);
  });

  it('gives a node the number of outputs named by benchOutputs, the chain on output 0', function () {
    const s: Scenario = { name: 't', description: '', role: 'node', compareTo: 't', chain: [{ type: 'bench-pass', benchOutputs: 2 }] };
    const flow = buildFlow(s) as Array<{ id: string; wires?: string[][]; benchOutputs?: number }>;
    const node = flow.find((n) => n.id === 'bench-n1');
    assert.deepEqual(node?.wires, [['bench-sink'], []]);
    assert.equal(node?.benchOutputs, undefined);
  });

  it('always runs the baselines and rejects unknown scenario names', function () {
    assert.deepEqual(selectScenarios(SCENARIOS, ['core-chain']).map((s) => s.name), ['bare-hop', 'pass-hop', 'pass-hop-2', 'core-chain']);
    assert.throws(() => selectScenarios(SCENARIOS, ['nope']), /unknown scenario "nope"/);
  });
});
