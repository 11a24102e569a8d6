// Issue 12, items 8 and 9: every database of the package is created 0600 in a 0700 folder, and its
// WAL is bounded (wal_autocheckpoint, journal_size_limit) over a long run with writes flowing.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DurableState } from '../../nodes/core/state/durable-state';
import { event, harness } from './outbox-fakes';

// The bound the package promises (README): WAL cut back to 4 MB, a checkpoint every 256 pages.
// Literal here, so the test checks the files, not the constants.
const JOURNAL_SIZE_LIMIT_BYTES = 4 * 1024 * 1024;
const WAL_AUTOCHECKPOINT_PAGES = 256;

const mode = (p: string): number => fs.statSync(p).mode & 0o777;
const size = (p: string): number => (fs.existsSync(p) ? fs.statSync(p).size : 0);

describe('storage files: modes and WAL bounds (issue 12, items 8 and 9)', function () {
  this.timeout(120_000);
  let dir = '';
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-files-')); });
  afterEach(() => { fs.rmSync(dir, { recursive: true, force: true }); });

  it('a node state file is 0600 (its -wal and -shm too) in a 0700 millwright folder, also when an older version made them 0644/0755', () => {
    const file = path.join(dir, 'millwright', 'mw-threshold-n1.db');
    const s = new DurableState(file);
    s.put('ns', 'k', { v: 1 });
    assert.equal(mode(path.dirname(file)), 0o700);
    for (const f of [file, `${file}-wal`, `${file}-shm`]) assert.equal(mode(f), 0o600, f);
    s.close();
    fs.chmodSync(path.dirname(file), 0o755);
    fs.chmodSync(file, 0o644);
    const again = new DurableState(file);
    again.close();
    assert.equal(mode(path.dirname(file)), 0o700);
    assert.equal(mode(file), 0o600);
  });

  it('the outbox file (work-order texts, audit log) is 0600 in a 0700 folder', async () => {
    const file = path.join(dir, 'millwright', 'outbox-c1.db');
    const h = harness({ file });
    try {
      h.outbox.start();
      h.outbox.enqueue(event('ev-1'));
      assert.equal(mode(path.dirname(file)), 0o700);
      for (const f of [file, `${file}-wal`]) assert.equal(mode(f), 0o600, f);
    } finally {
      await h.cleanup();
    }
  });

  it('a state file\'s WAL stays under the bound over a long run with writes flowing, even after a big burst', () => {
    const file = path.join(dir, 'millwright', 'mw-vision-drift-n1.db');
    const s = new DurableState(file);
    try {
      const blob = 'x'.repeat(1000);
      // A burst: one transaction of about 7 MB (a restore, a big rebaseline).
      s.batch(() => { for (let i = 0; i < 7000; i++) s.put('burst', `k${i}`, blob); });
      const afterBurst = size(`${file}-wal`);
      assert.ok(afterBurst > JOURNAL_SIZE_LIMIT_BYTES, `the burst made a big WAL (${afterBurst} bytes)`);
      // Then a long run of small commits, as events flow.
      let worst = 0;
      for (let i = 0; i < 2000; i++) {
        s.put('flow', `k${i % 500}`, { i, at: Date.now(), pad: blob });
        if (i >= 600) worst = Math.max(worst, size(`${file}-wal`));
      }
      // Bound: the size limit plus the pages between two automatic checkpoints (and a little slack).
      const bound = JOURNAL_SIZE_LIMIT_BYTES + WAL_AUTOCHECKPOINT_PAGES * 4096 * 2;
      assert.ok(worst <= bound, `WAL reached ${worst} bytes during the run (bound ${bound})`);
      assert.ok(size(`${file}-wal`) <= bound);
    } finally {
      s.close();
    }
  });
});
