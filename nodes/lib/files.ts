import os from 'node:os';
import path from 'node:path';
import type { FileAccess } from '../core/storage/confined-file';
import type { NodeAPI } from './red';

/** Node-RED's user directory (where flows.json lives); Node-RED's own default when unset. */
export function userDirOf(RED: NodeAPI): string {
  return (RED.settings as { userDir?: string }).userDir ?? path.join(os.homedir(), '.node-red');
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
 * settings.js (`millwright: { allowedFileDirs: ["/srv/plant-data"] }`).
 */
export function fileAccess(RED: NodeAPI): FileAccess {
  const own = (RED.settings as { millwright?: { allowedFileDirs?: unknown } }).millwright;
  const dirs = Array.isArray(own?.allowedFileDirs) ? own.allowedFileDirs.filter((d): d is string => typeof d === 'string' && d.trim() !== '') : [];
  return { userDir: userDirOf(RED), allowedDirs: dirs };
}
