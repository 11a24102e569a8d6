// A POST route on Node-RED's httpNode that hands its handler the body exactly as it arrived, for
// signature checks. Node-RED's own http-in node does the same for "raw body" routes: a middleware
// at the top of the root app reads the body before any parser another node or the settings'
// httpNodeMiddleware might add (a parsed and re-serialised JSON body no longer matches its
// signature). Ours also stops buffering at a size limit, so a huge body costs no memory.
import type { IncomingMessage } from 'node:http';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { NodeAPI } from './red';

interface RawRequest extends IncomingMessage {
  mwRawBody?: Buffer | null;
  _body?: boolean;
  body?: unknown;
}

/** The raw body, or null when it exceeded `limit` bytes (the rest was drained and dropped). */
export function readRaw(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (tooLarge) {
        // Drain a while so the sender can read our 413; a sender that keeps going is cut off.
        if (size > limit * 16) req.destroy();
        return;
      }
      if (size > limit) {
        tooLarge = true;
        chunks.length = 0;
      } else {
        chunks.push(c);
      }
    });
    req.on('end', () => resolve(tooLarge ? null : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const collapse = (p: string): string => p.replace(/\/{2,}/g, '/').replace(/(.)\/$/, '$1');

/** Routes by full path (httpNodeRoot included) → body limit, per Node-RED runtime. */
const registries = new WeakMap<object, Map<string, number>>();

interface ExpressLike {
  parent?: ExpressLike;
  path(): string;
  use(fn: RequestHandler): void;
  post(path: string, ...handlers: RequestHandler[]): void;
  _router?: { stack: Array<{ handle?: unknown; route?: { path?: string; methods?: Record<string, boolean> } }> };
  router?: { stack: Array<{ handle?: unknown; route?: { path?: string; methods?: Record<string, boolean> } }> };
}

function rootOf(app: ExpressLike): ExpressLike {
  return app.parent ? rootOf(app.parent) : app;
}

const stackOf = (app: ExpressLike): ExpressLike['_router'] => app._router ?? app.router;

function registryFor(RED: NodeAPI): Map<string, number> {
  const root = rootOf(RED.httpNode as unknown as ExpressLike);
  let routes = registries.get(root);
  if (routes) return routes;
  const table = new Map<string, number>();
  routes = table;
  registries.set(root, routes);
  const capture: RequestHandler = (req: Request, _res: Response, next: NextFunction) => {
    const raw = req as unknown as RawRequest;
    if (req.method !== 'POST' || raw._body) return next();
    const limit = table.get(collapse((req.originalUrl ?? req.url).split('?')[0]));
    if (limit === undefined) return next();
    readRaw(req, limit).then((buf) => {
      raw.mwRawBody = buf;
      raw._body = true; // body-parser and Node-RED's parsers skip a request marked as read
      raw.body = buf ?? Buffer.alloc(0);
      next();
    }, next);
  };
  root.use(capture);
  // Express adds middleware at the end; it must run before any parser already there.
  const stack = stackOf(root)?.stack;
  if (stack) {
    const i = stack.findIndex((l) => l.handle === capture);
    if (i > 0) stack.unshift(stack.splice(i, 1)[0]);
  }
  return routes;
}

export interface RouteHandle {
  /** The full path the CMMS must call, below the Node-RED URL (httpNodeRoot included). */
  fullPath: string;
  remove(): void;
}

/**
 * Registers `POST path` on httpNode. The handler gets the raw body (null: too large). Throws when
 * another node already serves the path.
 */
export function addWebhookRoute(RED: NodeAPI, path: string, limit: number, handler: (req: Request, res: Response, raw: Buffer | null) => void): RouteHandle {
  const app = RED.httpNode as unknown as ExpressLike;
  const routes = registryFor(RED);
  const fullPath = collapse(`${app.path()}/${path}`);
  if (routes.has(fullPath)) throw new Error(RED._('mw-wo-status.errors.path-taken', { path: fullPath }));
  routes.set(fullPath, limit);
  const settings = RED.settings as { httpNodeMiddleware?: unknown };
  const middleware = typeof settings.httpNodeMiddleware === 'function' || Array.isArray(settings.httpNodeMiddleware)
    ? [settings.httpNodeMiddleware as RequestHandler]
    : [];
  const route: RequestHandler = (req, res) => {
    const raw = req as unknown as RawRequest;
    if (raw.mwRawBody !== undefined) return handler(req, res, raw.mwRawBody);
    if (raw._body || req.readableEnded) {
      // Something read the body before us: its signature can no longer be checked.
      res.status(500).json({ error: 'raw body unavailable' });
      return;
    }
    readRaw(req, limit).then((buf) => handler(req, res, buf), () => res.status(400).end());
  };
  app.post(path, ...middleware, route);
  return {
    fullPath,
    remove(): void {
      routes.delete(fullPath);
      const stack = stackOf(app)?.stack;
      if (!stack) return;
      for (let i = stack.length - 1; i >= 0; i--) {
        const r = stack[i].route;
        if (r && r.path === path && r.methods?.post) stack.splice(i, 1);
      }
    },
  };
}
