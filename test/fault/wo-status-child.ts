// Child process for wo-status-kill.spec: the mw-wo-status core on a real socket. Mode "receive"
// answers webhooks (record the verified body, then 2xx) and never processes nor emits, so the parent can SIGKILL it between the
// receipt and the emit. Mode "emit" does what the node does at start: emit what is pending, once.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { StatusService } from '../../nodes/core/wo-status/service';
import { parseWoStatusSettings } from '../../nodes/core/wo-status/settings';
import { StatusStore } from '../../nodes/core/wo-status/store';
import { readRaw } from '../../nodes/lib/webhook-route';

const [, , mode, file, secret] = process.argv;
const settings = parseWoStatusSettings({ cmms: 'c' }, 'kill');
if (!settings.ok) throw new Error(settings.errors.join());
const store = new StatusStore(file);
const service = new StatusService({
  store, dialect: 'maintainx', scheme: 'maintainx', options: settings.value, cmmsName: 'MaintainX', secrets: () => [secret],
  links: () => {
    // The answer must not wait for the outbox lookup: in "receive" mode it never happens.
    process.stdout.write('LINKS\n');
    return { eventIds: ['BEDFORD.PUMP-101.vib-hh.limit.20261204T100000000Z'], assetId: 'PUMP-101' };
  },
});

if (mode === 'emit') {
  // What the node does at start: process the bodies recorded before a crash, then emit.
  service.processInbox();
  for (const p of service.pending()) {
    process.stdout.write(`EMIT ${JSON.stringify(p.status)}\n`);
    service.emitted(p.seq);
  }
  store.close();
  process.stdout.write('DONE\n');
} else {
  const server = http.createServer((req, res) => {
    readRaw(req, 256 * 1024).then((raw) => {
      const a = service.receiveWebhook({ headers: req.headers, rawBody: raw });
      res.writeHead(a.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(a.body));
      // No emit here: the parent kills us now, as a crash right after the answer would.
    }, () => res.end());
  });
  server.listen(0, '127.0.0.1', () => process.stdout.write(`PORT ${(server.address() as AddressInfo).port}\n`));
}
