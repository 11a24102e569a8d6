// Committed items that went missing while the process was down are said, never silent (issue 12
// item 7a): a high-water mark written beside the outbox file (generation id + highest item id) is
// compared with the file at open. Faults: a restored backup, a deleted -wal, a deleted file, a
// zeroed file; and no false alarm on a clean restart or a first start.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Outbox, type ProblemEvent } from '../../nodes/core/outbox';
import { markFile, readMark } from '../../nodes/core/storage/high-water';
import { noteSeen } from '../../nodes/core/outbox/file';
import type { Store } from '../../nodes/core/outbox/store';
import { event, FakeClient, FakeClock, tempDir } from './outbox-fakes';

describe('outbox: committed data lost while down is reported', () => {
  let tmp: ReturnType<typeof tempDir>;
  let file: string;
  const open: Outbox[] = [];
  beforeEach(() => {
    tmp = tempDir('mw-outbox-lost-');
    file = path.join(tmp.dir, 'outbox.db');
  });
  afterEach(() => {
    for (const o of open.splice(0)) o.close();
    tmp.cleanup();
  });

  /** Opens an outbox on `at` (not delivering) and returns it with the problems it reported. */
  function openAt(at = file): { outbox: Outbox; problems: ProblemEvent[] } {
    const clock = new FakeClock();
    const outbox = new Outbox({ file: at, connection: 'c', client: new FakeClient(clock), now: clock.now, timers: clock });
    const problems: ProblemEvent[] = [];
    outbox.on('problem', (p) => problems.push(p));
    outbox.open();
    open.push(outbox);
    return { outbox, problems };
  }

  function closeAll(): void {
    for (const o of open.splice(0)) o.close();
  }

  function enqueue(o: Outbox, from: number, n: number): void {
    for (let i = from; i < from + n; i++) o.enqueue(event(`ev-${i}`, `A-${i % 3}`));
  }

  const lost = (ps: ProblemEvent[]): ProblemEvent[] => ps.filter((p) => p.code === 'data-lost');

  it('no report on a first start or a clean restart; the mark follows the file', () => {
    const first = openAt();
    assert.deepEqual(lost(first.problems), []);
    enqueue(first.outbox, 0, 4);
    closeAll();
    assert.equal(readMark(file)?.highWater, 4);
    assert.equal(readMark(file)?.undelivered, 4);
    const again = openAt();
    assert.deepEqual(lost(again.problems), []);
  });

  it('a restored backup: the same file, older — the missing items are counted', () => {
    const a = openAt();
    enqueue(a.outbox, 0, 2);
    closeAll();
    const backup = path.join(tmp.dir, 'backup.db');
    fs.copyFileSync(file, backup);
    const b = openAt();
    enqueue(b.outbox, 2, 3);
    closeAll();
    for (const f of [file, `${file}-wal`, `${file}-shm`]) fs.rmSync(f, { force: true });
    fs.copyFileSync(backup, file);
    const c = openAt();
    const l = lost(c.problems);
    assert.equal(l.length, 1, JSON.stringify(c.problems));
    assert.equal(l[0].missing, 3);
    assert.match(l[0].message, /came back older.*3 item\(s\)/);
    // Said once: the mark now describes this file.
    closeAll();
    assert.deepEqual(lost(openAt().problems), []);
  });

  it('a -wal file deleted after the items were committed (the main file alone is older)', () => {
    const a = openAt();
    enqueue(a.outbox, 0, 5);
    // What every housekeeping pass does (once a minute): the mark now counts the five items.
    noteSeen((a.outbox as unknown as { file: { get(): Store } }).file.get(), Date.now());
    assert.equal(readMark(file)?.highWater, 5);
    // The state a kill and a deleted -wal leave: the main file alone (the items are in the -wal).
    const crash = path.join(tmp.dir, 'crash.db');
    fs.copyFileSync(file, crash);
    fs.copyFileSync(markFile(file), markFile(crash));
    closeAll();
    const b = openAt(crash);
    const l = lost(b.problems);
    assert.equal(l.length, 1, JSON.stringify(b.problems));
    assert.equal(l[0].missing, 5);
    assert.match(l[0].message, /5 item\(s\) were still undelivered/);
  });

  it('a deleted or zeroed outbox file: reported with the count, never silent', () => {
    const a = openAt();
    enqueue(a.outbox, 0, 6);
    closeAll();
    for (const f of [file, `${file}-wal`, `${file}-shm`]) fs.rmSync(f, { force: true });
    const b = openAt();
    const l = lost(b.problems);
    assert.equal(l.length, 1);
    assert.equal(l[0].missing, 6);
    assert.match(l[0].message, /deleted, replaced or emptied/);
    enqueue(b.outbox, 100, 2);
    closeAll();
    fs.writeFileSync(file, Buffer.alloc(fs.statSync(file).size));
    const c = openAt();
    assert.ok(c.problems.some((p) => p.code === 'corrupt-moved-aside'), 'the zeroed file was moved aside');
    const l2 = lost(c.problems);
    assert.equal(l2.length, 1, JSON.stringify(c.problems));
    assert.equal(l2[0].missing, 2);
  });
});
