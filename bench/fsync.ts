// What one durable commit costs on this disk, in the two patterns the nodes produce: alarm events
// arrive a few at a time with idle gaps between them (each commit pays a cold fsync), a burst
// commits back to back. mw-threshold's event latency can never be below the first figure, because
// each raised/cleared event is committed (WAL, synchronous=FULL) before it leaves the node.
//   node dist/bench/fsync.js [--commits n]
import { parseArgs } from 'node:util';

import { PROBE_KEYS, openCommitProbe } from './fsync-probe';

const { values } = parseArgs({ options: { commits: { type: 'string', default: '200' } } });
const commits = Math.max(20, Number(values.commits) || 200);

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
}

async function main(): Promise<void> {
  const probe = openCommitProbe();
  try {
    console.log(`one-row commits on a ${PROBE_KEYS}-key state file (WAL, synchronous=FULL), ${commits} each, ms:`);
    for (const gapMs of [0, 20, 100]) {
      const times = await probe.run(commits, gapMs);
      const label = gapMs === 0 ? 'back to back      ' : `${String(gapMs).padStart(3)} ms idle between`;
      console.log(`  ${label}  p50 ${pct(times, 0.5).toFixed(3)}  p90 ${pct(times, 0.9).toFixed(3)}  p99 ${pct(times, 0.99).toFixed(3)}`);
    }
  } finally {
    probe.close();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
