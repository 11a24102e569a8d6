// Every admin route of the package answers a failure in one shape, the same as a rejected
// message's `msg.error` (docs/contracts.md, "Admin routes"): `{ error: { code, message, details } }`
// with an HTTP status that says what kind of failure it is. The editor reads `error.message`.
import type { Response } from 'express';
import type { Rejection } from '../core/contracts';
import { errorMessage } from '../core/error-message';

/** The reason words admin routes answer with (docs/contracts.md lists them). */
type AdminErrorCode =
  | 'bad-request' // the request is not what the route takes (400)
  | 'not-found' // no deployed node, outbox or series with that id (404)
  | 'invalid-config' // the node is deployed but its settings are invalid (409)
  | 'cmms-error' // the CMMS answered with an error or could not be reached (502)
  | 'internal'; // anything else (500)

/** The body of every failed admin request. */
interface AdminErrorBody {
  error: Rejection;
}

export function adminErrorBody(code: AdminErrorCode, message: string, details: readonly string[] = []): AdminErrorBody {
  return { error: { code, message, details: [...details] } };
}

/** Answers `status` with the one error shape. */
export function sendAdminError(res: Response, status: number, code: AdminErrorCode, message: string, details: readonly string[] = []): void {
  // A streamed export that fails half-way has already sent its status: end it, cut short.
  if (res.headersSent) {
    res.end();
    return;
  }
  res.status(status).json(adminErrorBody(code, message, details));
}

/** A route handler that answers an unexpected throw with a 500 in the one shape instead of Express's HTML page. */
export function guardedRoute<Req, Res extends Response>(fn: (req: Req, res: Res) => void): (req: Req, res: Res) => void {
  return (req, res) => {
    try {
      fn(req, res);
    } catch (e) {
      sendAdminError(res, 500, 'internal', errorMessage(e));
    }
  };
}
