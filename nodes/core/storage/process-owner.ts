// Who holds a data file: the process that opened it, told apart from a later process that happens
// to get the same pid (a container restarts Node-RED as the same pid every time) by its start time,
// and from a process of an earlier boot by the kernel's boot id. A store records its owner at open;
// the next opener asks whether that owner is gone, so work it left leased can be taken back at once
// instead of after the lease runs out.
import fs from 'node:fs';

interface ProcessOwner {
  pid: number;
  /** /proc/sys/kernel/random/boot_id on Linux; '' where the system has none. */
  boot: string;
  /** The process's start time in clock ticks since boot (/proc/<pid>/stat field 22); null where unknown. */
  ticks: number | null;
  /** When this process started (ms since the epoch, rounded): identifies it where ticks are unknown. */
  origin: number;
}

function readBootId(): string {
  try {
    return fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return '';
  }
}

/** Fields 3 (state) and 22 (start time) of /proc/<pid>/stat; the name (field 2) may hold spaces and parentheses. */
function procStat(pid: number | 'self'): { state: string; ticks: number | null } | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const t = Number(rest[19]);
    return { state: rest[0] ?? '', ticks: Number.isFinite(t) ? t : null };
  } catch {
    return null;
  }
}

let me: ProcessOwner | null = null;

/** This process, as recorded in the files it opens. */
export function currentOwner(): ProcessOwner {
  me ??= { pid: process.pid, boot: readBootId(), ticks: procStat('self')?.ticks ?? null, origin: Math.round(performance.timeOrigin) };
  return me;
}

export function encodeOwner(o: ProcessOwner): string {
  return JSON.stringify(o);
}

export function decodeOwner(text: string | null | undefined): ProcessOwner | null {
  if (!text) return null;
  try {
    const o = JSON.parse(text) as Partial<ProcessOwner>;
    if (typeof o.pid !== 'number' || !Number.isInteger(o.pid) || o.pid <= 0) return null;
    return {
      pid: o.pid, boot: typeof o.boot === 'string' ? o.boot : '',
      ticks: typeof o.ticks === 'number' ? o.ticks : null, origin: typeof o.origin === 'number' ? o.origin : 0,
    };
  } catch {
    return null;
  }
}

function isSelf(o: ProcessOwner): boolean {
  const m = currentOwner();
  if (o.pid !== m.pid || o.boot !== m.boot) return false;
  return o.ticks !== null && m.ticks !== null ? o.ticks === m.ticks : o.origin === m.origin;
}

function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to another user.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * True only when the recorded owner certainly no longer runs: another boot, no such pid, or the
 * pid now belongs to a process started at another time. Anything uncertain (no boot id, no /proc)
 * is "maybe alive": the caller then waits for the lease as before, which is safe, only slower.
 */
export function ownerGone(o: ProcessOwner): boolean {
  if (isSelf(o)) return false;
  const m = currentOwner();
  if (o.boot !== '' && m.boot !== '' && o.boot !== m.boot) return true;
  if (o.boot !== m.boot) return false;
  if (o.pid === m.pid) {
    // Our pid, but not us (checked above): the earlier holder of this pid has ended.
    return o.ticks !== null && m.ticks !== null ? o.ticks !== m.ticks : o.origin !== m.origin;
  }
  if (!pidExists(o.pid)) return true;
  const now = procStat(o.pid);
  // A zombie (killed, not yet reaped by its parent) runs no more code.
  if (now?.state === 'Z') return true;
  return o.ticks !== null && now !== null && now.ticks !== null && now.ticks !== o.ticks;
}
