// A small page and JSON API to drive the plant: see every signal, start or stop a scenario.
//   GET  /                          the page (refreshes itself every second)
//   GET  /api/state                 { scenarios, signals, endpoints }
//   POST /api/scenarios/<id>/start  optional JSON body { "factor": 480 } (plant seconds per second)
//   POST /api/scenarios/<id>/stop
//   POST /api/reset                 every scenario stopped, the plant healthy again
import http from 'node:http';
import type { AddressInfo } from 'node:net';

import type { PlantModel } from './model';

interface PlantHttp {
  url: string;
  port: number;
  stop(): Promise<void>;
}

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Millwright plant simulator</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem; }
table { border-collapse: collapse; margin-bottom: 1.5rem; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.6rem; text-align: left; }
th { background: #f3f3f3; } .bad { color: #b00; font-weight: bold; } .run { background: #fff6d6; }
</style></head><body>
<h1>Millwright plant simulator</h1>
<p>Start a scenario and watch the work orders arrive in the CMMS simulator. Factor: plant seconds per real second.</p>
<h2>Scenarios</h2><table id="scenarios"><thead><tr><th>scenario</th><th>what happens</th><th>progress</th><th></th></tr></thead><tbody></tbody></table>
<h2>Signals</h2><table id="signals"><thead><tr><th>asset</th><th>protocol</th><th>metric</th><th>value</th><th>quality</th><th>source time</th></tr></thead><tbody></tbody></table>
<h2>Endpoints</h2><pre id="endpoints"></pre>
<p id="error" class="bad"></p>
<script>
function esc(v) { return String(v == null ? '' : v).replace(/[&<>"']/g, function (c) { return '&#' + c.charCodeAt(0) + ';'; }); }
function post(path) { return fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }).then(refresh); }
function refresh() {
  return fetch('api/state').then(function (r) { return r.json(); }).then(function (s) {
    document.querySelector('#scenarios tbody').innerHTML = s.scenarios.map(function (c) {
      return '<tr class="' + (c.running ? 'run' : '') + '"><td>' + esc(c.title) + '</td><td>' + esc(c.description) + '</td><td>'
        + (c.running ? Math.round(c.progress * 100) + ' % (x' + esc(c.factor) + ')' : '') + '</td><td><button data-id="' + esc(c.id) + '" data-run="' + c.running + '">'
        + (c.running ? 'stop' : 'start') + '</button></td></tr>';
    }).join('');
    document.querySelector('#signals tbody').innerHTML = s.signals.map(function (g) {
      return '<tr><td>' + esc(g.assetId) + '</td><td>' + esc(g.protocol) + '</td><td>' + esc(g.metric) + '</td><td>' + esc(g.value) + ' ' + esc(g.unit)
        + '</td><td class="' + (g.quality === 'good' ? '' : 'bad') + '">' + esc(g.quality) + '</td><td>' + esc(new Date(g.sourceTime).toISOString()) + '</td></tr>';
    }).join('');
    document.getElementById('endpoints').textContent = JSON.stringify(s.endpoints, null, 2);
    document.getElementById('error').textContent = '';
  }).catch(function (e) { document.getElementById('error').textContent = String(e); });
}
document.addEventListener('click', function (e) {
  var b = e.target.closest('button[data-id]');
  if (b) post('api/scenarios/' + encodeURIComponent(b.dataset.id) + (b.dataset.run === 'true' ? '/stop' : '/start'));
});
refresh(); setInterval(refresh, 1000);
</script></body></html>`;

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/html; charset=utf-8' : 'application/json', 'cache-control': 'no-store' });
  res.end(text);
}

function readJson(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      text += c;
      if (text.length > 10_000) reject(new Error('body too large'));
    });
    req.on('end', () => {
      try {
        const v: unknown = text.trim() ? JSON.parse(text) : {};
        resolve(v && typeof v === 'object' && !Array.isArray(v) ? v as Record<string, unknown> : {});
      } catch {
        reject(new Error('body is not JSON'));
      }
    });
    req.on('error', reject);
  });
}

export async function startHttp(model: PlantModel, opts: { host: string; port: number; endpoints: () => object }): Promise<PlantHttp> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const m = /^\/api\/scenarios\/([a-z-]+)\/(start|stop)$/.exec(url.pathname);
    if (req.method === 'GET' && url.pathname === '/') return send(res, 200, PAGE);
    if (req.method === 'GET' && url.pathname === '/api/state') {
      return send(res, 200, { scenarios: model.scenarios(), signals: model.sample(), endpoints: opts.endpoints() });
    }
    if (req.method === 'POST' && url.pathname === '/api/reset') {
      model.reset();
      return send(res, 200, { scenarios: model.scenarios() });
    }
    if (req.method === 'POST' && m) {
      readJson(req).then((body) => {
        if (m[2] === 'stop') model.stop(m[1]);
        else model.start(m[1], body.factor === undefined ? undefined : Number(body.factor));
        send(res, 200, { scenarios: model.scenarios() });
      }, (e: Error) => send(res, 400, { error: e.message })).catch((e: Error) => send(res, 400, { error: e.message }));
      return;
    }
    send(res, 404, { error: `no route ${req.method} ${url.pathname}` });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${opts.host}:${port}`, port,
    stop: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
