// GET / — one page listing every work order with a control to move its status, so a person running
// the demo can play the technician. Every value is escaped; the script only calls POST /__sim/status.
import { MACHINES, nextStatuses } from './states';
import type { SimWorkOrder } from './types';

function escapeHtml(v: unknown): string {
  return String(v ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function title(wo: SimWorkOrder): string {
  const f = wo.fields;
  return String(f.description ?? f.short_description ?? f.title ?? f.summary ?? '');
}

function row(wo: SimWorkOrder): string {
  const next = nextStatuses(wo.dialect, wo.status);
  const options = next.map((s) => `<option value="${escapeHtml(s)}">${escapeHtml(MACHINES[wo.dialect].label(s))}</option>`).join('');
  const control = next.length === 0 ? '<em>final</em>'
    : `<select aria-label="new status">${options}</select> <button type="button" class="move">Move</button>`;
  return `<tr data-dialect="${escapeHtml(wo.dialect)}" data-id="${escapeHtml(wo.id)}">`
    + `<td>${escapeHtml(wo.dialect)}</td><td>${escapeHtml(wo.id)}</td><td>${escapeHtml(wo.ref ?? '')}</td>`
    + `<td>${escapeHtml(title(wo))}</td><td>${escapeHtml(MACHINES[wo.dialect].label(wo.status))} (${escapeHtml(wo.status)})</td>`
    + `<td>${escapeHtml(new Date(wo.updatedAt).toISOString())}</td><td>${control}</td></tr>`;
}

export function renderPage(workOrders: SimWorkOrder[]): string {
  const rows = workOrders.length === 0
    ? '<tr><td colspan="7">No work orders yet.</td></tr>'
    : workOrders.map(row).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Millwright CMMS simulator</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #ccc; padding: 0.3rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
#error { color: #b00; }
</style>
</head>
<body>
<h1>CMMS simulator — work orders</h1>
<p>Moving a status here goes through the dialect's state machine and fires the configured webhooks.</p>
<p id="error" role="alert"></p>
<table>
<thead><tr><th>Dialect</th><th>Id</th><th>Reference</th><th>Title</th><th>Status</th><th>Updated</th><th>Move to</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
<script>
document.querySelectorAll('button.move').forEach(function (button) {
  button.addEventListener('click', function () {
    var tr = button.closest('tr');
    var status = tr.querySelector('select').value;
    fetch('__sim/status', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ dialect: tr.dataset.dialect, id: tr.dataset.id, status: status })
    }).then(function (res) {
      if (res.ok) { location.reload(); return; }
      return res.text().then(function (t) { document.getElementById('error').textContent = t; });
    });
  });
});
</script>
</body>
</html>
`;
}
