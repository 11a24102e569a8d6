import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { emptyNamespaces } from '../../nodes/core/assets/opcua';
import { RegistryLoader, type LoadResult } from '../../nodes/core/assets/registry';
import { detectDelimiter, formatOf, loadFile, parseText } from '../../nodes/core/assets/sources';

describe('assets: mapping files', () => {
  let dir: string;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-assets-src-')); });
  afterEach(() => { fs.rmSync(dir, { recursive: true, force: true }); });

  async function loadText(name: string, text: string | Buffer): Promise<LoadResult> {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    const loader = new RegistryLoader(emptyNamespaces());
    await loadFile(file, formatOf(file), loader);
    return loader.finish(0);
  }

  it('reads CSV with a BOM, CRLF, quotes, embedded commas, quotes and newlines', async () => {
    const csv = '\uFEFFkind,identifier,assetId,siteId,location,metric,unit,custom.note\r\n' +
      'exact,"plant/line2/vib,1",PUMP-101,BEDFORD,AREA1/LINE2/PUMP-101,vibration,mm/s,"said ""hi"""\r\n' +
      '\r\n' +
      'opcua,"ns=2;s=P102.Temp",PUMP-102,BEDFORD,AREA1/LINE2/PUMP-102,temp,°C,"two\nlines"\r\n';
    const r = await loadText('map.csv', csv);
    assert.deepEqual(r.errors, []);
    const vib = r.registry!.lookupId('plant/line2/vib,1')!;
    assert.equal(vib.unit, 'mm/s');
    assert.deepEqual(vib.target.asset?.custom, { note: 'said "hi"' });
    assert.deepEqual(r.registry!.lookupNodeId('ns=2;s=P102.Temp')!.target.asset?.custom, { note: 'two\nlines' });
  });

  it('reads semicolon-separated CSV as Excel writes it where the decimal mark is a comma', async () => {
    assert.equal(detectDelimiter('kind;identifier;assetId'), ';');
    assert.equal(detectDelimiter('kind\tidentifier\tassetId'), '\t');
    assert.equal(detectDelimiter('kind,identifier'), ',');
    const r = await loadText('map.csv', 'kind;identifier;assetId;siteId;location;metric\nopcua;"ns=2;s=X";P1;S1;A/B;m\n');
    assert.deepEqual(r.errors, []);
    assert.ok(r.registry!.lookupNodeId('ns=2;s=X'));
  });

  it('names the file, line and field of a bad row, and stops at a bad header', async () => {
    const bad = await loadText('pumps.csv', 'kind,identifier,assetId,siteId,location,metric,scale\n' +
      'exact,a,P1,S1,L,m,1\nexact,b,P1,S1,L,m,ten\nmodbus,,P1,S1,L,m,1\n');
    assert.deepEqual(bad.errors, [
      'pumps.csv line 3: field "scale": must be number',
      'pumps.csv line 4: field "address" is missing (a modbus row needs the register address)',
    ]);
    const header = await loadText('pumps.csv', 'kind,identifier,asset_id,site,location,metric,adress\nexact,a,P1,S1,L,m,3\n');
    assert.equal(header.ok, false);
    assert.match(header.errors[0], /^pumps\.csv line 1: unknown column "adress"/);
    const ragged = await loadText('pumps.csv', 'kind,identifier,assetId,siteId,location,metric\nexact,a,P1,S1,L,m,extra\n');
    assert.match(ragged.errors[0], /^pumps\.csv: line 2: not valid CSV/);
    const quote = await loadText('pumps.csv', 'kind,identifier,assetId,siteId,location,metric\nexact,"a,P1,S1,L,m\n');
    assert.match(quote.errors[0], /^pumps\.csv: .*not valid CSV/);
  });

  it('reads a JSON array or {rows}, and JSON lines, with row and line numbers', async () => {
    const row = { kind: 'exact', identifier: 'a', assetId: 'P1', siteId: 'S1', location: 'L', metric: 'm' };
    const arr = await loadText('map.json', JSON.stringify([row, { ...row, identifier: 'b', scale: 'x' }]));
    assert.deepEqual(arr.errors, ['map.json row 2: field "scale": must be number']);
    const wrapped = await loadText('map.json', JSON.stringify({ rows: [row] }));
    assert.ok(wrapped.ok);
    const notRows = await loadText('map.json', JSON.stringify({ data: [] }));
    assert.match(notRows.errors[0], /map\.json: a JSON mapping file is an array of rows/);
    const broken = await loadText('map.json', '[{"kind": ');
    assert.match(broken.errors[0], /^map\.json: not JSON/);
    const lines = await loadText('map.jsonl', `${JSON.stringify(row)}\n\n{oops\n[1]\n${JSON.stringify({ ...row, identifier: 'c' })}\n`);
    assert.deepEqual(lines.errors.map((e) => e.replace(/\(.*\)/, '(…)')), ['map.jsonl line 3: not JSON (…)', 'map.jsonl line 4: each line must be one JSON object (…)']);
  });

  it('reports a missing or oversized file instead of throwing', async () => {
    const loader = new RegistryLoader(emptyNamespaces());
    await loadFile(path.join(dir, 'nope.csv'), 'csv', loader);
    assert.match(loader.finish(0).errors[0], /^nope\.csv: cannot read .*nope\.csv/);
    const dirLoader = new RegistryLoader(emptyNamespaces());
    await loadFile(dir, 'csv', dirLoader);
    assert.match(dirLoader.finish(0).errors[0], /not a file/);
  });

  it('parses pasted text for the editor in every format', () => {
    const csv = parseText('kind,identifier,assetId,siteId,location,metric\nexact,a,P1,S1,L,m\n', 'auto');
    assert.deepEqual(csv.errors, []);
    assert.deepEqual(csv.records, [{ record: { kind: 'exact', identifier: 'a', assetId: 'P1', siteId: 'S1', location: 'L', metric: 'm' }, line: 2, byRow: false }]);
    const json = parseText('[{"kind":"exact"}, 3]', 'auto');
    assert.equal(json.records.length, 1);
    assert.deepEqual(json.errors, ['import row 2: a row must be an object']);
    const jsonl = parseText('{"kind":"exact"}\n{"kind":"mqtt"}\n', 'auto');
    assert.equal(jsonl.records.length, 2);
    assert.equal(jsonl.records[1].line, 2);
    const header = parseText('kind,colour\nexact,red\n', 'csv');
    assert.match(header.errors[0], /import line 1: unknown column "colour"/);
  });
});
