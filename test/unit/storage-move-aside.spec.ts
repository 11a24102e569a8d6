// One move-aside of a damaged SQLite file for every store: the same corruption codes, the same
// names, and an earlier damaged file is never overwritten by a later one.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CorruptDatabase, isCorruption, moveAside } from '../../nodes/core/storage/move-aside';
import { DurableState } from '../../nodes/core/state/durable-state';

const NOW = Date.UTC(2025, 0, 6, 8, 0, 0);

describe('storage: moving a damaged SQLite file aside', () => {
  let dir: string;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-aside-')); });
  afterEach(() => { fs.rmSync(dir, { recursive: true, force: true }); });

  it('knows the five corruption codes and a failed quick_check, and nothing else', () => {
    const err = (code: string): Error => Object.assign(new Error(code), { code });
    for (const code of ['SQLITE_CORRUPT', 'SQLITE_NOTADB', 'SQLITE_CORRUPT_VTAB', 'SQLITE_CORRUPT_SEQUENCE', 'SQLITE_CORRUPT_INDEX']) {
      assert.equal(isCorruption(err(code)), true, code);
    }
    assert.equal(isCorruption(new CorruptDatabase('quick_check: page 3')), true);
    for (const code of ['SQLITE_FULL', 'SQLITE_IOERR', 'SQLITE_BUSY', 'ENOENT']) assert.equal(isCorruption(err(code)), false, code);
    assert.equal(isCorruption('SQLITE_CORRUPT'), false);
  });

  it('takes the WAL and SHM along and never overwrites an earlier damaged file', () => {
    const file = path.join(dir, 'x.db');
    fs.writeFileSync(file, 'first');
    fs.writeFileSync(`${file}-wal`, 'wal');
    fs.writeFileSync(`${file}-shm`, 'shm');
    const a = moveAside(file, NOW);
    assert.equal(path.basename(a), 'x.db.corrupt-20250106T080000Z');
    assert.equal(fs.readFileSync(`${a}-wal`, 'utf8'), 'wal');
    assert.equal(fs.readFileSync(`${a}-shm`, 'utf8'), 'shm');
    assert.ok(!fs.existsSync(file) && !fs.existsSync(`${file}-wal`) && !fs.existsSync(`${file}-shm`));
    fs.writeFileSync(file, 'second');
    const b = moveAside(file, NOW);
    assert.equal(path.basename(b), 'x.db.corrupt-20250106T080000Z-1');
    assert.equal(fs.readFileSync(a, 'utf8'), 'first');
    assert.equal(fs.readFileSync(b, 'utf8'), 'second');
  });

  it('durable state: two damaged files in the same instant are both kept', () => {
    const file = path.join(dir, 'state.db');
    const moved: string[] = [];
    for (const text of ['broken one ', 'broken two ']) {
      fs.writeFileSync(file, text.repeat(500));
      const st = new DurableState(file, { now: () => NOW, onMovedAside: (to) => moved.push(to) });
      st.put('ns', 'k', 1);
      assert.equal(st.get('ns', 'k'), 1);
      st.close();
    }
    assert.equal(moved.length, 2);
    assert.notEqual(moved[0], moved[1]);
    assert.match(fs.readFileSync(moved[0], 'utf8'), /^broken one/);
    assert.match(fs.readFileSync(moved[1], 'utf8'), /^broken two/);
  });
});
