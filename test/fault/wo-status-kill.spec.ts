// A change is committed before the CMMS gets its 2xx: SIGKILL after the answer and before the
// emit, and the next start emits it, once.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { signMaintainx } from '../../sim/cmms';

const CHILD = path.join(__dirname, 'wo-status-child.js');

function run(args: string[], onLine: (line: string, kill: () => void) => void): Promise<{ lines: string[]; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    let err = '';
    let buf = '';
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`child did not finish: ${err}`)); }, 20_000);
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        lines.push(line);
        onLine(line, () => child.kill('SIGKILL'));
      }
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0 && signal !== 'SIGKILL') reject(new Error(`child exited ${code}: ${err}`));
      else resolve({ lines, signal });
    });
  });
}

function post(port: number, body: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/hook', method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('mw-wo-status: SIGKILL between receipt and emit', function () {
  this.timeout(60_000);
  it('the change answered 200 before the kill is emitted after the restart, exactly once', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-wos-kill-'));
    const file = path.join(dir, 'wo-status.db');
    const secret = 'kill-secret';
    try {
      const body = JSON.stringify({ type: 'WORK_ORDER_STATUS_CHANGE', workOrderId: 42, occurredAt: '2026-12-04T10:00:05Z', newWorkOrder: { id: 42, status: 'DONE', updatedAt: '2026-12-04T10:00:05Z' } });
      let answered = 0;
      const first = await run(['receive', file, secret], (line, kill) => {
        if (!line.startsWith('PORT ')) return;
        const port = Number(line.slice(5));
        post(port, body, { 'x-maintainx-webhook-body-signature': signMaintainx(secret, Math.floor(Date.now() / 1000), body) }).then((status) => {
          answered = status;
          kill();
        }, kill);
      });
      assert.equal(first.signal, 'SIGKILL');
      assert.equal(answered, 200);
      assert.ok(!first.lines.includes('LINKS'), 'the answer came before the outbox lookup');
      const second = await run(['emit', file, secret], () => undefined);
      const emitted = second.lines.filter((l) => l.startsWith('EMIT ')).map((l) => JSON.parse(l.slice(5)) as { workOrderId: string; status: string; eventIds: string[] });
      assert.equal(emitted.length, 1, second.lines.join('\n'));
      assert.deepEqual([emitted[0].workOrderId, emitted[0].status, emitted[0].eventIds], ['42', 'done', ['BEDFORD.PUMP-101.vib-hh.limit.20261204T100000000Z']]);
      const third = await run(['emit', file, secret], () => undefined);
      assert.equal(third.lines.filter((l) => l.startsWith('EMIT ')).length, 0, 'not again');
      assert.ok(!third.lines.includes('LINKS'), 'the recorded body was processed once');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
