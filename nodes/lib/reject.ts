// Every node builds its reject-output message here, so `msg.error` has one shape across the package.
import type { Rejection } from '../core/contracts';

/** `base` (the input message, or the node's older rejection message) with `msg.error` set. */
export function rejected<T extends object>(base: T, code: string, message: string, details: readonly string[]): T & { error: Rejection } {
  return { ...base, error: { code, message, details: [...details] } };
}
