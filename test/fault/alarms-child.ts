// Child process for the alarm crash test: an alarm engine on a real DurableState file, fed a
// signal in a loop, printing each event (one JSON line) only once the node would have sent it,
// i.e. after its state was committed. The parent kills it with SIGKILL at a random moment.
import { performance } from 'node:perf_hooks';
import { AlarmEngine, Committer, restoreFromStore, RuleBook, type RuleSet } from '../../nodes/core/alarms';
import type { MaintenanceEvent } from '../../nodes/core/contracts';
import { DurableState } from '../../nodes/core/state/durable-state';

const [file, assetsArg] = process.argv.slice(2);
const ASSETS = Number(assetsArg);

const RULES: RuleSet = {
  classes: { pump: [{ id: 'temp', metric: 'temp', limits: { H: { value: 80, severity: 'high' } }, deadband: 2, onDelay: { samples: 2 } }] },
};

const store = new DurableState(file);
const engine = new AlarmEngine({ rules: new RuleBook(RULES), clock: { mono: () => performance.now(), wall: () => Date.now() } });
restoreFromStore(engine, store);
const committer = new Committer(engine, store, { soon: (fn) => setImmediate(fn), later: (fn, ms) => { const t = setTimeout(fn, ms); return () => clearTimeout(t); } });
const print = (events: MaintenanceEvent[]) => (): void => {
  for (const e of events) process.stdout.write(`${JSON.stringify({ state: e.state, eventId: e.eventId, asset: e.asset.id, restored: e.details.restored === true })}\n`);
};
// As the node does: what the restore announced again goes out first.
committer.after(print(engine.drain()));

let i = 0;
function batch(): void {
  for (let n = 0; n < 20; n++, i++) {
    const id = `PUMP-${i % ASSETS}`;
    const events = engine.ingest({
      asset: { id, siteId: 'S', location: `S/A/${id}`, class: 'pump' },
      // Every asset is hot from its second reading on: one episode each, however often we restart.
      readings: [{ metric: 'temp', value: 90, quality: 'good', timestamp: new Date().toISOString() }],
      source: { kind: 'other', ref: 'crash-test' },
    });
    if (events.length > 0) committer.after(print(events));
    else committer.after();
  }
  setImmediate(batch);
}
batch();
