// Every node builds its reject-output message here, so `msg.error` has one shape across the package.
import type { Rejection } from '../core/contracts';

/**
 * `base` (the input message, or the node's older rejection message) with `extra` and `msg.error` set,
 * in one copy: the asset map rejects per identifier on its hot path.
 */
export function rejected<T extends object, X extends object>(base: T, extra: X, code: string, message: string,
  details: readonly string[]): T & X & { error: Rejection } {
  return { ...base, ...extra, error: { code, message, details: [...details] } };
}
