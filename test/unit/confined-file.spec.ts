// Issue 12, item 4: file-path settings are confined to the user directory (or settings.js
// millwright.allowedFileDirs), regular files only, capped, and errors never quote content.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sinon from 'sinon';
import { loadRulesFile } from '../../nodes/core/alarms';
import { confine, readConfined } from '../../nodes/core/storage/confined-file';

describe('confined file reads (issue 12, item 4)', () => {
  let dir = '';
  let other = '';
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-conf-'));
    other = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-other-'));
    fs.writeFileSync(path.join(other, 'secret.txt'), 'TOP-SECRET-LINE\nmore');
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(other, { recursive: true, force: true });
  });

  it('reads a relative name from the user directory, and refuses absolute, ../ and symlinked escapes', async () => {
    fs.writeFileSync(path.join(dir, 'rules.json'), '{}');
    assert.equal((await readConfined('rules.json', { userDir: dir })).ok, true);
    fs.symlinkSync(path.join(other, 'secret.txt'), path.join(dir, 'link.txt'));
    for (const name of ['/etc/passwd', '/proc/self/environ', `../${path.basename(other)}/secret.txt`, path.join(other, 'secret.txt'), 'link.txt']) {
      const r = await readConfined(name, { userDir: dir });
      assert.equal(r.ok, false, name);
      assert.ok(!r.ok && /outside the Node-RED user directory/.test(r.error), `${name}: ${JSON.stringify(r)}`);
      assert.ok(!r.ok && !r.error.includes('TOP-SECRET') && !r.error.includes('root:'), 'no content in the error');
    }
  });

  it('a directory the admin allowed in settings.js may be read', async () => {
    const r = await readConfined(path.join(other, 'secret.txt'), { userDir: dir, allowedDirs: [other] });
    assert.ok(r.ok && r.text.startsWith('TOP-SECRET'));
  });

  it('refuses a FIFO at once (never waits for a writer), a device, a directory and an oversized file', async () => {
    const fifo = path.join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    const started = Date.now();
    const r = await readConfined('pipe', { userDir: dir });
    assert.ok(!r.ok && /not a regular file/.test(r.error), JSON.stringify(r));
    assert.ok(Date.now() - started < 5000);
    assert.ok(!(await readConfined('/dev/zero', { userDir: dir, allowedDirs: ['/dev'] })).ok);
    fs.mkdirSync(path.join(dir, 'sub'));
    assert.ok(!(await readConfined('sub', { userDir: dir })).ok);
    fs.writeFileSync(path.join(dir, 'big.json'), Buffer.alloc(2048, 32));
    const big = await readConfined('big.json', { userDir: dir, maxBytes: 1024 });
    assert.ok(!big.ok && /larger than the 1024-byte limit/.test(big.error));
  });

  it('the rules loader refuses a file outside, and a broken rules file is reported without quoting it', async () => {
    const outside = await loadRulesFile('', '/etc/passwd', dir);
    assert.ok(!outside.ok && outside.errors.join(' ').includes('outside'), JSON.stringify(outside));
    assert.ok(!outside.ok && !outside.errors.join(' ').includes('root:'));
    fs.writeFileSync(path.join(dir, 'bad.json'), 'root:x:0:0:SECRET-IN-FILE:/root:/bin/bash');
    const bad = await loadRulesFile('', 'bad.json', dir);
    assert.ok(!bad.ok, 'rejected');
    assert.ok(!bad.ok && !bad.errors.join(' ').includes('SECRET-IN-FILE') && !bad.errors.join(' ').includes('root:x'), JSON.stringify(bad));
  });

  it('a read that never ends (a stuck share) gives up after its timeout, the event loop running meanwhile, and the file is closed when the read ends', async () => {
    fs.writeFileSync(path.join(dir, 'rules.json'), '{"classes": {}}');
    // The FileHandle class is not exported: take its prototype from an open handle. A read that never
    // settles stands in for a hung network share, which cannot be made on this machine.
    const probe = await fs.promises.open(path.join(dir, 'rules.json'), 'r');
    const proto = Object.getPrototypeOf(probe) as { read: (...a: unknown[]) => Promise<unknown> };
    await probe.close();
    // Open descriptors of the file, from /proc (Linux): a handle left open would show here.
    const openOnFile = (): number => fs.readdirSync('/proc/self/fd').filter((fd) => {
      try { return fs.readlinkSync(`/proc/self/fd/${fd}`) === fs.realpathSync(path.join(dir, 'rules.json')); } catch { return false; }
    }).length;
    let release: (v: { bytesRead: number }) => void = () => undefined;
    const read = sinon.stub(proto, 'read').returns(new Promise((r) => { release = r; }));
    try {
      let ticks = 0;
      const timer = setInterval(() => { ticks++; }, 5);
      const r = await readConfined('rules.json', { userDir: dir, timeoutMs: 200 });
      clearInterval(timer);
      assert.ok(!r.ok && /rules\.json: not read within 200 ms/.test(r.error), JSON.stringify(r));
      assert.ok(ticks >= 2, `timers ran while the read hung (${ticks})`);
      assert.equal(read.callCount, 1);
      assert.equal(openOnFile(), 1, 'the hung read still holds the file');
      release({ bytesRead: 0 });
      await new Promise((r2) => setTimeout(r2, 50));
      assert.equal(openOnFile(), 0, 'closed once the read ended');
    } finally {
      read.restore();
    }
  });

  it('confine names the path as typed and resolves relative names against the user directory', () => {
    const c = confine('sub/x.csv', { userDir: dir });
    assert.ok(c.ok && c.path.endsWith(path.join('sub', 'x.csv')));
  });
});
