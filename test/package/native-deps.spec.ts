import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { readPackageJson } from '../support/package';

// A native addon is built for the Node that installed it; the compat run (Node 24) swaps in its own
// build (scripts/compat.js). These prove the addon really loads and survives in the Node under test.
describe(`package: native runtime dependencies on Node ${process.versions.node}`, function () {
  this.timeout(60_000);
  const deps = readPackageJson().dependencies ?? {};

  it('package.json still declares the native dependency these checks know', function () {
    assert.ok('better-sqlite3' in deps, 'better-sqlite3 is gone: update or delete these checks');
  });

  it('better-sqlite3 loads its addon and writes a database', function () {
    // exec() only: prepared Statement objects are what the next test is about.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const Database = require('better-sqlite3') as new (file: string) => { exec(sql: string): void; close(): void };
    const db = new Database(':memory:');
    try {
      db.exec('create table t (x); insert into t values (1)');
    } finally {
      db.close();
    }
  });

  // better-sqlite3 <= 12 wraps statements in node::ObjectWrap; from Node 24.19 its destructor
  // CHECKs for an entered context, so a statement collected by a background GC aborts the whole
  // process (WiseLibs/better-sqlite3#1515). Run in a child, since the failure is an abort.
  it('better-sqlite3 statements can be garbage-collected without aborting the process', async function () {
    const moduleDir = path.dirname(require.resolve('better-sqlite3/package.json'));
    const script = `
      const Database = require(${JSON.stringify(moduleDir)});
      const db = new Database(':memory:');
      db.exec('create table t (x)');
      for (let i = 0; i < 50000; i++) db.prepare('insert into t values (?)').run(i);
      const junk = []; for (let i = 0; i < 200000; i++) junk.push({ i, s: 'x'.repeat(50) }); junk.length = 0;
      setTimeout(() => { db.close(); console.log('survived'); }, 1000);`;
    const result = await new Promise<{ code: number | null; signal: string | null; out: string }>((resolve) => {
      execFile(process.execPath, ['-e', script], { timeout: 45_000 }, (err, stdout, stderr) => {
        const e = err as (Error & { code?: number | string; signal?: string }) | null;
        resolve({ code: typeof e?.code === 'number' ? e.code : e ? null : 0, signal: e?.signal ?? null, out: stdout + stderr });
      });
    });
    assert.deepEqual({ code: result.code, signal: result.signal }, { code: 0, signal: null },
      `better-sqlite3 ${(JSON.parse(fs.readFileSync(path.join(moduleDir, 'package.json'), 'utf8')) as { version: string }).version} `
      + `from ${moduleDir} aborted on Node `
      + `${process.versions.node}:\n${result.out.split('\n').slice(0, 6).join('\n')}`);
    assert.match(result.out, /survived/);
  });
});
