// Reading mapping rows from a CSV, JSON or JSON-lines file, or from text pasted in the editor.
// CSV goes through csv-parse (quotes, embedded commas and newlines, BOM, CRLF) as a stream, and the
// loader yields to the event loop every few milliseconds, so a 100 000-row file loads without
// holding up the flows that are already running.
import { Parser } from 'csv-parse';
import { parse as parseSync } from 'csv-parse/sync';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { coerceCells, coerceRow, columnOf, type Column } from './row-schema';
import type { RegistryLoader } from './registry';
import { Slicer } from './slicer';
import type { RawRow } from './types';
import { errorMessage } from '../error-message';


export type FileFormat = 'csv' | 'json' | 'jsonl';
export const FILE_FORMATS = ['auto', 'csv', 'json', 'jsonl'] as const;

/** Larger files are refused before reading: a mapping file this size is a mistake. */
const MAX_FILE_BYTES = 256 * 1024 * 1024;
export function formatOf(file: string, declared: string = 'auto'): FileFormat {
  if (declared === 'csv' || declared === 'json' || declared === 'jsonl') return declared;
  const ext = path.extname(file).toLowerCase();
  if (ext === '.json') return 'json';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  return 'csv';
}

/** Excel writes ';' where the decimal separator is a comma, and some tools tab-separate. */
export function detectDelimiter(headerLine: string): ',' | ';' | '\t' {
  const count = (c: string): number => headerLine.split(c).length - 1;
  const comma = count(',');
  const semi = count(';');
  const tab = count('\t');
  if (tab > comma && tab > semi) return '\t';
  return semi > comma ? ';' : ',';
}

/** Problems with a CSV header: unknown or repeated columns. */
export function checkHeader(header: string[]): string[] {
  const problems: string[] = [];
  const seen = new Map<string, string>();
  for (const h of header) {
    const field = columnOf(h);
    if (field === null) {
      problems.push(h.trim() === '' ? 'a column has no name' : `unknown column "${h}"`);
      continue;
    }
    const before = seen.get(field);
    if (before !== undefined) problems.push(`columns "${before}" and "${h}" both mean ${field}`);
    seen.set(field, h);
  }
  if (problems.length > 0) {
    problems.push('known columns: kind, identifier, connection, unitId, table, address, addressEnd, assetId, siteId, location, metric, field, unit, scale, offset, dataType, wordOrder, bit, min, max, class, criticality, workGroup, custom.<name>');
  }
  return problems;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Rows of a JSON document: an array of row objects, or `{ "rows": [...] }`. */
function jsonRows(doc: unknown): unknown[] | null {
  if (Array.isArray(doc)) return doc;
  if (isRecord(doc) && Array.isArray(doc.rows)) return doc.rows;
  return null;
}

async function firstLine(file: string): Promise<string> {
  const handle = await fs.promises.open(file, 'r');
  try {
    const buf = Buffer.alloc(64 * 1024);
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    const text = buf.subarray(0, bytesRead).toString('utf8').replace(/^\uFEFF/, '');
    return text.split(/\r?\n/, 1)[0] ?? '';
  } finally {
    await handle.close();
  }
}

/** Records and the lines they ended on, interleaved: cells, line, cells, line… (no pair per row). */
type Numbered = Array<string[] | number>;

/**
 * csv-parse's stream parser, handing on the records of each chunk of the file as one batch, each with
 * the line it ended on. Its `info` option would copy an info object per record; the live counter is
 * read instead, at the moment the record is pushed. One batch per chunk keeps the stream machinery
 * out of the per-row cost.
 */
class BatchParser extends Parser {
  private batch: Numbered = [];

  override push(record: unknown, encoding?: BufferEncoding): boolean {
    if (record === null) {
      this.flushBatch();
      return super.push(null, encoding);
    }
    this.batch.push(record as string[], this.info.lines);
    return true;
  }

  private flushBatch(): void {
    if (this.batch.length === 0) return;
    const b = this.batch;
    this.batch = [];
    super.push(b);
  }

  override _transform(chunk: Buffer, encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    super._transform(chunk, encoding, (err?: Error | null) => {
      this.flushBatch();
      callback(err);
    });
  }

  override _flush(callback: (err?: Error | null) => void): void {
    super._flush((err?: Error | null) => {
      this.flushBatch();
      callback(err);
    });
  }
}

/**
 * CSV from `input` into `loader`, row by row; `seen` also gets each row (the editor's import shows
 * them). The header is checked once; cells are matched to fields by their column.
 */
async function loadCsvStream(input: Readable, delimiter: string, name: string, loader: RegistryLoader, slicer: Slicer,
  signal?: AbortSignal, seen?: (row: RawRow) => void): Promise<void> {
  let columns: Column[] | null = null;
  let headerProblems: string[] = [];
  // One origin, updated per row: the loader reads it at once and keeps nothing of it.
  const origin = { source: name, line: 0 };
  const parser = new BatchParser({ bom: true, delimiter, trim: true, skip_empty_lines: true, relax_column_count: false });
  // Rows are added as they are parsed; when a slice of time is used up, the sink holds back its
  // callback for one turn of the event loop, which pauses the file and the parser with it.
  const sink = new Writable({
    objectMode: true,
    highWaterMark: 2,
    write(batch: Numbered, _enc, done) {
      // Works through the batch, pausing whenever the slice is used up; the stream waits for `done`.
      const work = (from: number): void => {
        if (signal?.aborted) {
          done(new Error('stopped'));
          return;
        }
        for (let i = from; i < batch.length; i += 2) {
          const cells = batch[i] as string[];
          origin.line = batch[i + 1] as number;
          if (columns !== null) {
            const raw = coerceCells(columns, cells);
            seen?.(raw);
            loader.addRaw(raw, origin);
          } else {
            headerProblems = checkHeader(cells);
            if (headerProblems.length > 0) {
              done(new Error('bad header'));
              return;
            }
            columns = cells.map((h) => columnOf(h));
          }
          if ((i & 31) === 30 && slicer.due()) {
            slicer.pause(() => work(i + 2));
            return;
          }
        }
        if (slicer.due()) slicer.pause(() => done());
        else done();
      };
      work(0);
    },
  });
  try {
    await pipeline(input, parser, sink);
  } catch (e) {
    if (signal?.aborted) return;
    if (headerProblems.length > 0) for (const p of headerProblems) loader.fail(`${name} line 1`, p);
    else loader.fail(name, csvProblem(e));
  }
}

async function loadCsv(file: string, name: string, loader: RegistryLoader, slicer: Slicer, signal?: AbortSignal): Promise<void> {
  const delimiter = detectDelimiter(await firstLine(file));
  await loadCsvStream(fs.createReadStream(file, { highWaterMark: 8 * 1024 }), delimiter, name, loader, slicer, signal);
}

/**
 * Pasted or uploaded text for the editor's import: the rows as the table keeps them (columns
 * matched to fields), checked into `loader` exactly as a deploy would check them.
 */
export async function importText(text: string, format: FileFormat | 'auto', loader: RegistryLoader, name = 'import'): Promise<RawRow[]> {
  const rows: RawRow[] = [];
  const slicer = new Slicer();
  const body = text.replace(/^\uFEFF/, '');
  if (format === 'csv' || (format === 'auto' && !/^\s*[[{]/.test(body))) {
    const delimiter = detectDelimiter(body.split(/\r?\n/, 1)[0] ?? '');
    await loadCsvStream(Readable.from([Buffer.from(body)]), delimiter, name, loader, slicer, undefined, (r) => rows.push(r));
    return rows;
  }
  const parsed = parseText(body, format, name);
  for (const e of parsed.errors) loader.report(e);
  for (let i = 0; i < parsed.records.length; i++) {
    const { record, line, byRow } = parsed.records[i];
    const c = coerceRow(record);
    if (c.ok) rows.push(c.row);
    loader.add(record, { source: name, line, byRow });
    if ((i & 255) === 255) await slicer.tick();
  }
  return rows;
}

function csvProblem(e: unknown): string {
  const err = e as { message?: string; lines?: number; code?: string };
  const where = typeof err.lines === 'number' ? `line ${err.lines}: ` : '';
  return `${where}not valid CSV (${err.message ?? String(e)})`;
}

async function loadJsonLines(file: string, name: string, loader: RegistryLoader, slicer: Slicer, signal?: AbortSignal): Promise<void> {
  const stream = fs.createReadStream(file, { encoding: 'utf8' });
  const lines = readline.createInterface({ input: stream, crlfDelay: Infinity });
  let n = 0;
  try {
    for await (const raw of lines) {
      n += 1;
      if (signal?.aborted) break;
      const line = n === 1 ? raw.replace(/^\uFEFF/, '') : raw;
      if (line.trim() === '') continue;
      let v: unknown;
      try {
        v = JSON.parse(line);
      } catch (e) {
        loader.fail({ source: name, line: n }, `not JSON (${errorMessage(e)})`);
        continue;
      }
      if (isRecord(v)) loader.add(v, { source: name, line: n });
      else loader.fail({ source: name, line: n }, 'each line must be one JSON object (a row)');
      await slicer.tick();
    }
  } finally {
    lines.close();
    stream.destroy();
  }
}

async function loadJson(file: string, name: string, loader: RegistryLoader, slicer: Slicer, signal?: AbortSignal): Promise<void> {
  const text = (await fs.promises.readFile(file, 'utf8')).replace(/^\uFEFF/, '');
  let doc: unknown;
  try {
    // One parse of the whole document: for very large maps prefer CSV or JSON lines, which stream.
    doc = JSON.parse(text);
  } catch (e) {
    loader.fail(name, `not JSON (${errorMessage(e)})`);
    return;
  }
  const rows = jsonRows(doc);
  if (!rows) {
    loader.fail(name, 'a JSON mapping file is an array of rows, or an object with a "rows" array');
    return;
  }
  await addRecords(rows, name, loader, slicer, signal);
}

/** Adds rows given as objects (the editor's table, a JSON array), numbered from 1. */
export async function addRecords(rows: readonly unknown[], source: string, loader: RegistryLoader, slicer = new Slicer(), signal?: AbortSignal): Promise<void> {
  for (let i = 0; i < rows.length; i++) {
    if (signal?.aborted) return;
    const origin = { source, line: i + 1, byRow: true };
    const r = rows[i];
    if (isRecord(r)) loader.add(r, origin);
    else loader.fail(origin, 'a row must be an object');
    if ((i & 255) === 255) await slicer.tick();
  }
}

/** Streams a mapping file into `loader`. File-level problems become loader errors naming the file. */
export async function loadFile(file: string, format: FileFormat, loader: RegistryLoader, opts: { slicer?: Slicer; signal?: AbortSignal } = {}): Promise<void> {
  const name = path.basename(file);
  const slicer = opts.slicer ?? new Slicer();
  let size: number;
  try {
    const st = await fs.promises.stat(file);
    if (!st.isFile()) throw new Error('not a file');
    size = st.size;
  } catch (e) {
    loader.fail(name, `cannot read ${file} (${errorMessage(e)})`);
    return;
  }
  if (size > MAX_FILE_BYTES) {
    loader.fail(name, `${Math.round(size / 2 ** 20)} MiB is more than the ${MAX_FILE_BYTES / 2 ** 20} MiB a mapping file may have`);
    return;
  }
  try {
    if (format === 'csv') await loadCsv(file, name, loader, slicer, opts.signal);
    else if (format === 'jsonl') await loadJsonLines(file, name, loader, slicer, opts.signal);
    else await loadJson(file, name, loader, slicer, opts.signal);
  } catch (e) {
    loader.fail(name, `cannot read ${file} (${errorMessage(e)})`);
  }
}

interface ParsedText {
  /** Records as written (column names as in the text), each with its line or row number. */
  records: Array<{ record: Record<string, unknown>; line: number; byRow: boolean }>;
  errors: string[];
}

/** Pasted or uploaded text, for the editor's import (bounded by the admin API's body limit). */
export function parseText(text: string, format: FileFormat | 'auto', name = 'import'): ParsedText {
  const body = text.replace(/^\uFEFF/, '');
  const kind = format === 'auto' ? (/^\s*[[{]/.test(body) ? (/^\s*\{[^\n]*\}\s*\r?\n\s*\{/.test(body) ? 'jsonl' : 'json') : 'csv') : format;
  const out: ParsedText = { records: [], errors: [] };
  if (kind === 'csv') {
    let header: string[] = [];
    try {
      const items = parseSync(body, {
        bom: true, delimiter: detectDelimiter(body.split(/\r?\n/, 1)[0] ?? ''), trim: true, skip_empty_lines: true, info: true,
        columns: (h: string[]) => { header = h; return h; },
      }) as Array<{ record: Record<string, unknown>; info: { lines: number } }>;
      out.errors.push(...checkHeader(header).map((p) => `${name} line 1: ${p}`));
      for (const it of items) out.records.push({ record: it.record, line: it.info.lines, byRow: false });
    } catch (e) {
      out.errors.push(`${name}: ${csvProblem(e)}`);
    }
    return out;
  }
  if (kind === 'jsonl') {
    body.split(/\r?\n/).forEach((line, i) => {
      if (line.trim() === '') return;
      try {
        const v: unknown = JSON.parse(line);
        if (isRecord(v)) out.records.push({ record: v, line: i + 1, byRow: false });
        else out.errors.push(`${name} line ${i + 1}: each line must be one JSON object (a row)`);
      } catch (e) {
        out.errors.push(`${name} line ${i + 1}: not JSON (${errorMessage(e)})`);
      }
    });
    return out;
  }
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch (e) {
    out.errors.push(`${name}: not JSON (${errorMessage(e)})`);
    return out;
  }
  const rows = jsonRows(doc);
  if (!rows) out.errors.push(`${name}: a JSON mapping is an array of rows, or an object with a "rows" array`);
  else rows.forEach((r, i) => {
    if (isRecord(r)) out.records.push({ record: r, line: i + 1, byRow: true });
    else out.errors.push(`${name} row ${i + 1}: a row must be an object`);
  });
  return out;
}
