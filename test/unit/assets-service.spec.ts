import assert from 'node:assert/strict';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CmmsAsset } from '../../nodes/core/cmms/types';
import type { RegistryOptions } from '../../nodes/core/assets/settings';
import { emptyNamespaces } from '../../nodes/core/assets/opcua';
import { RegistryService, type LoadReport, type VerifyingClient } from '../../nodes/core/assets/service';

const HEADER = 'kind,identifier,assetId,siteId,location,metric\n';
const line = (id: string, asset: string): string => `exact,${id},${asset},BEDFORD,AREA1/${asset},vibration\n`;

function options(over: Partial<RegistryOptions> = {}): RegistryOptions {
  return { cmms: 'conn1', rows: [], file: null, requireVerified: false, namespaces: emptyNamespaces(), autoVerifyMs: 0, ...over };
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<T>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms); })])
    .finally(() => clearTimeout(timer));
}

describe('assets: the registry service', function () {
  this.timeout(20000);
  let dir: string;
  let services: RegistryService[];
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-assets-svc-'));
    services = [];
  });
  afterEach(async () => {
    for (const s of services) await s.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const make = (opts: RegistryOptions, client?: VerifyingClient | string): RegistryService => {
    const s = new RegistryService(opts, { stateFile: path.join(dir, 'state.db'), cmms: () => client ?? 'no CMMS' });
    services.push(s);
    return s;
  };

  it('loads editor rows and the file together, reloads the file when it changes, and keeps the last good map when it breaks', async () => {
    const file = path.join(dir, 'map.csv');
    fs.writeFileSync(file, HEADER + line('a', 'PUMP-101'));
    const s = make(options({ rows: [{ kind: 'exact', identifier: 'editor/x', assetId: 'MTR-201', siteId: 'BEDFORD', location: 'A', metric: 'temp' }], file: { path: file, format: 'csv', watch: true } }));
    const first = once(s, 'loaded') as Promise<[LoadReport]>;
    s.start();
    const [report] = await withTimeout(first, 5000, 'first load');
    assert.equal(report.rows, 2);
    assert.equal(s.registry?.lookupId('a')?.target.id, 'PUMP-101');
    assert.equal(s.registry?.lookupId('editor/x')?.target.id, 'MTR-201');

    const second = once(s, 'loaded') as Promise<[LoadReport]>;
    fs.writeFileSync(file, HEADER + line('a', 'PUMP-102') + line('b', 'PUMP-103'));
    await withTimeout(second, 15000, 'reload after a change');
    assert.equal(s.registry?.lookupId('a')?.target.id, 'PUMP-102');

    const failed = once(s, 'load-failed') as Promise<[LoadReport]>;
    fs.writeFileSync(file, `${HEADER + line('a', 'PUMP-104')}exact,c,PUMP-105,BEDFORD,,vibration\n`);
    const [bad] = await withTimeout(failed, 15000, 'failed reload');
    assert.deepEqual(bad.errors, ['map.csv line 3: field "location" is missing (required: the asset\'s ISA-95 path, e.g. AREA1/LINE2/PUMP-101)']);
    assert.equal(s.registry?.lookupId('a')?.target.id, 'PUMP-102', 'the last good map stays in use');
    assert.equal(s.state, 'ready');
    assert.equal(s.lastLoad?.ok, false);
  });

  it('reports a first load that fails, with no map to fall back on', async () => {
    const s = make(options({ file: { path: path.join(dir, 'missing.csv'), format: 'csv', watch: false } }));
    const failed = once(s, 'load-failed') as Promise<[LoadReport]>;
    s.start();
    const [r] = await withTimeout(failed, 5000, 'failed load');
    assert.match(r.errors[0], /missing\.csv: cannot read/);
    assert.equal(s.state, 'failed');
    assert.equal(s.registry, null);
  });

  it('a redeploy whose editor rows have an error keeps the last good map and names the row; the next good load replaces it', async () => {
    const good = { kind: 'exact', identifier: 'plant/p101/vib', assetId: 'PUMP-101', siteId: 'BEDFORD', location: 'AREA1/PUMP-101', metric: 'vibration' };
    const first = make(options({ rows: [good] }));
    first.start();
    assert.equal((await first.whenSettled()).ok, true);
    const before = first.registry!;
    await first.close();

    // The redeploy: a new service for the same node with a pasted row that has no location.
    const { location: _dropped, ...noLocation } = { ...good, identifier: 'plant/p102/vib', assetId: 'PUMP-102' };
    const second = make(options({ rows: [good, noLocation] }));
    const secondService = new RegistryService(options({ rows: [good, noLocation] }), { stateFile: null, cmms: () => 'no CMMS', previous: before });
    services.push(secondService);
    assert.equal(secondService.registry, null, 'the old map does not serve while the new one loads');
    const failed = once(secondService, 'load-failed') as Promise<[LoadReport]>;
    secondService.start();
    const [r] = await withTimeout(failed, 5000, 'failed load');
    assert.match(r.errors[0], /^editor row 2: field "location" is missing/);
    assert.equal(secondService.state, 'ready');
    assert.equal(secondService.registry, before);
    assert.equal(secondService.keptLastGood, true);
    // Without the map from before (what a redeploy did until now) nothing maps at all.
    second.start();
    await second.whenSettled();
    assert.equal(second.registry, null);
    assert.equal(second.state, 'failed');

    const third = new RegistryService(options({ rows: [{ ...good, assetId: 'PUMP-201' }] }), { stateFile: null, cmms: () => 'no CMMS', previous: before });
    services.push(third);
    third.start();
    assert.equal((await third.whenSettled()).ok, true);
    assert.notEqual(third.registry, before);
    assert.equal(third.keptLastGood, false);
    assert.deepEqual(third.registry!.targets.map((t) => t.assetId), ['PUMP-201']);
  });

  it('verifies against the CMMS, and the results survive a restart', async () => {
    const assets: CmmsAsset[] = [{ id: 'PUMP-101', siteId: 'BEDFORD', location: 'BEDFORD/AREA1/PUMP-101', status: 'active', cmmsStatus: 'OPERATING' }];
    const client: VerifyingClient = { id: 'conn1', dialect: 'maximo', client: { listAssets: async () => ({ items: assets, next: null }) } };
    const rows = [{ kind: 'exact', identifier: 'a', assetId: 'PUMP-101', siteId: 'BEDFORD', location: 'AREA1/PUMP-101', metric: 'vib' },
      { kind: 'exact', identifier: 'b', assetId: 'PUMP-999', siteId: 'BEDFORD', location: 'AREA1', metric: 'vib' }];
    const s = make(options({ rows }), client);
    s.start();
    const summary = await s.verify();
    assert.deepEqual([summary.counts.ok, summary.counts.missing, summary.assets, summary.connection, summary.dialect], [1, 1, 1, 'conn1', 'maximo']);
    assert.equal(s.registry?.lookupId('a')?.target.check.status, 'ok');
    await s.close();

    const again = make(options({ rows }), client);
    again.start();
    await again.whenSettled();
    assert.equal(again.summary?.at, summary.at);
    assert.equal(again.registry?.lookupId('a')?.target.check.status, 'ok');
    assert.equal(again.registry?.lookupId('b')?.target.check.status, 'missing');
    assert.equal(again.dialect, 'maximo');

    const other = make(options({ rows, cmms: 'conn2' }), client);
    other.start();
    await other.whenSettled();
    assert.equal(other.registry?.lookupId('a')?.target.check.status, 'unchecked', 'results from another CMMS connection are not trusted');
  });

  it('runs one verification at a time and says why it cannot verify', async () => {
    let calls = 0;
    const client: VerifyingClient = { id: 'conn1', dialect: 'rest', client: { listAssets: async () => { calls += 1; await new Promise((r) => setTimeout(r, 50)); return { items: [], next: null }; } } };
    const s = make(options(), client);
    s.start();
    const [a, b] = await Promise.all([s.verify(), s.verify()]);
    assert.equal(a, b);
    assert.equal(calls, 1);
    const none = make(options());
    none.start();
    await assert.rejects(none.verify(), /no CMMS/);
    assert.equal(none.lastVerifyError, 'no CMMS');
  });
});
