import os from 'node:os';
import path from 'node:path';
import type { FileAccess } from '../core/storage/confined-file';
import type { NodeAPI } from './red';

/** Node-RED's user directory (where flows.json lives); Node-RED's own default when unset. */
export function userDirOf(RED: NodeAPI): string {
  return (RED.settings as { userDir?: string }).userDir ?? path.join(os.homedir(), '.node-red');
}

/** A file the user named in the editor: absolute as given, relative to the user directory otherwise. */
export function inUserDir(RED: NodeAPI, file: string): string {
  return path.resolve(userDirOf(RED), file);
}

/**
 * The SQLite file a node keeps beside the flows: `<user dir>/millwright/<prefix>-<id>.db`, the id
 * made safe for a file name.
 */
export function nodeDataFile(RED: NodeAPI, prefix: string, id: string): string {
  return path.join(userDirOf(RED), 'millwright', `${prefix}-${id.replace(/[^A-Za-z0-9_.-]/g, '_')}.db`);
}

/**
 * Where file-path settings may point: the user directory, plus the directories an admin allowed in
 * settings.js (`millwright: { allowedFileDirs: ["/srv/plant-data"] }`); and how long a read of such
 * a file may take before it gives up (`millwright: { fileReadTimeoutMs: 30000 }`, the default).
 */
export function fileAccess(RED: NodeAPI): FileAccess {
  const own = (RED.settings as { millwright?: { allowedFileDirs?: unknown; fileReadTimeoutMs?: unknown } }).millwright;
  const dirs = Array.isArray(own?.allowedFileDirs) ? own.allowedFileDirs.filter((d): d is string => typeof d === 'string' && d.trim() !== '') : [];
  const t = own?.fileReadTimeoutMs;
  const timeoutMs = typeof t === 'number' && Number.isFinite(t) && t > 0 ? Math.min(t, 600_000) : undefined;
  return { userDir: userDirOf(RED), allowedDirs: dirs, ...(timeoutMs ? { timeoutMs } : {}) };
}
