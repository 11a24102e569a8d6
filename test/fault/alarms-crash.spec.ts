// SIGKILL in the middle of a stream of alarm transitions, several times over: an event that left
// the node always had its state on disk, so no restart ever raises the same problem twice.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const CHILD = path.join(__dirname, 'alarms-child.js');
// Enough assets that five runs (each killed after 20–80 fresh raises, plus what a loaded machine flushes
// before the kill lands) never run out of assets that can still raise for the first time.
const ASSETS = 2000;

interface Line { state: string; eventId: string; asset: string; restored: boolean }

function runUntilKilled(file: string, killAfterLines: number): Promise<Line[]> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(process.execPath, [CHILD, file, String(ASSETS)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: Line[] = [];
    let buffer = '';
    let err = '';
    let killed = false;
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`child made ${lines.length} events in 20 s: ${err}`)); }, 20_000);
    child.stderr?.on('data', (d: Buffer) => { err += d.toString(); });
    child.stdout?.on('data', (d: Buffer) => {
      buffer += d.toString();
      const parts = buffer.split('\n');
      buffer = parts.pop() ?? '';
      for (const p of parts) if (p.startsWith('{')) lines.push(JSON.parse(p) as Line);
      // Counted in fresh events, so every run gets past the re-announcements of the last crash.
      if (!killed && lines.filter((l) => !l.restored).length >= killAfterLines) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal !== 'SIGKILL') reject(new Error(`child exited ${code} ${signal}: ${err}`));
      // A line cut by the kill is not an event that left.
      else resolve(lines);
    });
  });
}

describe('alarm state under SIGKILL', function () {
  this.timeout(120_000);
  let dir: string;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-alarm-crash-')); });
  afterEach(() => { fs.rmSync(dir, { recursive: true, force: true }); });

  it('five kills at random points: one episode per asset, repeats only as crash re-announcements of the same eventId', async () => {
    const file = path.join(dir, 'state.db');
    const all: Line[] = [];
    for (let run = 0; run < 5; run++) {
      const lines = await runUntilKilled(file, 20 + Math.floor(Math.random() * 60));
      all.push(...lines);
    }
    const raised = all.filter((l) => l.state === 'raised');
    const fresh = raised.filter((l) => !l.restored);
    assert.ok(fresh.length >= 60, `only ${fresh.length} raised`);
    const byAsset = new Map<string, Set<string>>();
    for (const l of raised) byAsset.set(l.asset, (byAsset.get(l.asset) ?? new Set()).add(l.eventId));
    const twoEpisodes = [...byAsset].filter(([, ids]) => ids.size > 1);
    assert.deepEqual(twoEpisodes, [], 'an asset got a second episode (a second work order) across restarts');
    const freshTwice = fresh.filter((l, i) => fresh.findIndex((m) => m.asset === l.asset) !== i);
    assert.deepEqual(freshTwice, [], 'only crash re-announcements may repeat a raised');
    assert.ok(raised.some((l) => l.restored), 'after a crash the active episodes are announced again');
    assert.deepEqual(all.filter((l) => l.state !== 'raised'), [], 'nothing else happens to a steadily hot signal');
  });
});
