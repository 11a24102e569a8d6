// Files named in node settings (rules file, asset registry file, SPC spec file) are read only from
// the Node-RED user directory, or from a directory the admin allowed in settings.js
// (`millwright: { allowedFileDirs: ["/srv/plant"] }`): only regular files, at most a size cap, never
// blocking (read asynchronously; a FIFO or /dev/zero is refused before it is read; a read that never
// ends gives up after a timeout), and errors never quote file content.
// Why: these paths can be typed in the editor and checked through admin routes, so without the
// confinement any editor user could read /etc/passwd or /proc/self/environ through an error text.
import fs from 'node:fs';
import path from 'node:path';

export interface FileAccess {
  /** Node-RED's user directory: relative names are taken from here. */
  userDir: string;
  /** More directories an admin allowed in settings.js (absolute, or relative to the user directory). */
  allowedDirs?: readonly string[];
  /** Bytes read at most (default 20 MB). */
  maxBytes?: number;
  /** The asynchronous read gives up after this long (default 30 s): a hung network share never holds a node in "loading" for ever. */
  timeoutMs?: number;
}

const DEFAULT_MAX_FILE_BYTES = 20 * 1024 * 1024;
const DEFAULT_READ_TIMEOUT_MS = 30_000;

export type Confined = { ok: true; path: string } | { ok: false; error: string };
type FileText = { ok: true; path: string; text: string } | { ok: false; error: string };

function inside(dir: string, file: string): boolean {
  const rel = path.relative(dir, file);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

function realOrSelf(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

/** The allowed directories, resolved (symbolic links followed). */
function allowedRoots(access: FileAccess): string[] {
  return [access.userDir, ...(access.allowedDirs ?? [])].map((d) => realOrSelf(path.resolve(access.userDir, d)));
}

/**
 * Where `file` is, when it may be read: relative to the user directory, inside an allowed directory
 * after symbolic links are followed. The error names the path as typed, never anything read.
 */
export function confine(file: string, access: FileAccess): Confined {
  const name = file.trim();
  if (name === '' || name.includes('\0')) return { ok: false, error: 'no file name' };
  const full = path.resolve(access.userDir, name);
  // A file that does not exist yet is judged by where it would be.
  const real = realOrSelf(full);
  if (!allowedRoots(access).some((root) => inside(root, real))) {
    return { ok: false, error: `${name}: outside the Node-RED user directory (allow more directories with millwright.allowedFileDirs in settings.js)` };
  }
  return { ok: true, path: real };
}

function short(e: unknown): string {
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' ? code : 'cannot be read';
}

// O_NONBLOCK: opening a FIFO must not wait for a writer (that would stop the event loop).
const OPEN_FLAGS = fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0);

function checkStat(name: string, st: fs.Stats, max: number): string | null {
  if (!st.isFile()) return `${name}: not a regular file`;
  if (st.size > max) return `${name}: ${st.size} bytes is larger than the ${max}-byte limit`;
  return null;
}

/**
 * Reads a confined file without blocking the event loop (deploys and admin routes). It resolves with
 * an error after `timeoutMs` even when the read never finishes (a stuck network share): the file is
 * closed whenever the read does end.
 */
export function readConfined(file: string, access: FileAccess): Promise<FileText> {
  const name = file.trim();
  const ms = access.timeoutMs ?? DEFAULT_READ_TIMEOUT_MS;
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ ok: false, error: `${name}: not read within ${ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`}` }), ms);
    timer.unref?.();
    readWhole(file, access).then((r) => {
      clearTimeout(timer);
      resolve(r);
    }, (e: unknown) => {
      clearTimeout(timer);
      resolve({ ok: false, error: `${name}: ${short(e)}` });
    });
  });
}

async function readWhole(file: string, access: FileAccess): Promise<FileText> {
  const where = confine(file, access);
  if (!where.ok) return where;
  const name = file.trim();
  const max = access.maxBytes ?? DEFAULT_MAX_FILE_BYTES;
  let handle: fs.promises.FileHandle | null = null;
  try {
    handle = await fs.promises.open(where.path, OPEN_FLAGS);
    const st = await handle.stat();
    const bad = checkStat(name, st, max);
    if (bad) return { ok: false, error: bad };
    const buf = Buffer.alloc(Math.min(max, st.size) + 1);
    let n = 0;
    for (let r = 1; r > 0 && n < buf.length; n += r) r = (await handle.read(buf, n, buf.length - n, null)).bytesRead;
    if (n > Math.min(max, st.size)) return { ok: false, error: `${name}: changed while it was read, or larger than the ${max}-byte limit` };
    return { ok: true, path: where.path, text: buf.subarray(0, n).toString('utf8') };
  } catch (e) {
    return { ok: false, error: `${name}: ${short(e)}` };
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/** An error text about a file's content without quoting it (JSON.parse quotes the text it choked on). */
export function withoutQuotedContent(error: string): string {
  return error.replace(/(Unexpected token|is not valid JSON)[^]*$/, 'is not valid JSON').replace(/"(?:[^"\\]|\\.){20,}"/g, '"…"');
}
