// Whether the caller of an admin route holds a permission, for routes that answer a reader and a
// writer differently (the registry's verification view shows the reasons a file did not load, which
// quote the file, only to a user who may change the file's setting). Node-RED checks permissions
// only as route middleware (RED.auth.needsPermission, which answers 401 itself); this is the same
// rule (@node-red/editor-api lib/auth/permissions.js, hasPermission), read from the scope Node-RED's
// authentication put on the request.
import type { Request } from 'express';
import type { NodeAPI } from './red';

const READ = /^((.+)\.)?read$/;
const WRITE = /^((.+)\.)?write$/;

/** Node-RED's rule: `*` grants all; `read`/`*.read` every `….read`; `write`/`*.write` every `….write`; else exact. */
function scopeAllows(scope: unknown, permission: string): boolean {
  if (Array.isArray(scope)) return scope.some((s) => scopeAllows(s, permission));
  if (typeof scope !== 'string') return false;
  if (scope === '*' || scope === permission) return true;
  if (scope === 'read' || scope === '*.read') return READ.test(permission);
  if (scope === 'write' || scope === '*.write') return WRITE.test(permission);
  return false;
}

/** True without adminAuth (every editor user may do everything then); otherwise by the request's scope. */
export function callerMay(RED: NodeAPI, req: Request, permission: string): boolean {
  const adminAuth = (RED.settings as { adminAuth?: unknown }).adminAuth;
  const scope = (req as Request & { authInfo?: { scope?: unknown } }).authInfo?.scope;
  if (!adminAuth && scope === undefined) return true;
  return scopeAllows(scope, permission);
}
