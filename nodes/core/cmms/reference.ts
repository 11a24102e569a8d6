// The reference that makes a work order findable again is a compact, deterministic digest of the
// event id, not the event id itself: event ids run to 200 characters while stock Maximo's
// EXTERNALREFID holds 10 and ServiceNow's correlation_id 100 (longer values are refused or cut,
// and a cut value is never found again). The full event id still travels in the long description
// (see mapping/work-order-body.ts evidenceText), where a person can read it.
import { createHash } from 'node:crypto';
import type { CmmsClient, CmmsConfig, DialectName } from './types';

/** RFC 4648 base32 alphabet: upper case and digits only, safe in Maximo UPPER/ALN fields, queries and headers. */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/**
 * Default length per dialect: Maximo's stock EXTERNALREFID is 10 characters (50 bits: a collision
 * among a million events has odds of about 1 in 2000); the others have room for 32 (160 bits).
 */
export const DEFAULT_REFERENCE_LENGTH: Record<DialectName, number> = { maximo: 10, servicenow: 32, maintainx: 32, rest: 32 };
export const MIN_REFERENCE_LENGTH = 8;
/** 256 bits of SHA-256 give 51 base32 characters. */
export const MAX_REFERENCE_LENGTH = 51;

export function compactReference(eventId: string, length: number): string {
  const digest = createHash('sha256').update(eventId, 'utf8').digest();
  let out = '';
  let bits = 0;
  let acc = 0;
  for (const byte of digest) {
    acc = (acc << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < length) {
      out += ALPHABET[(acc >>> (bits - 5)) & 31];
      bits -= 5;
    }
    acc &= (1 << bits) - 1;
    if (out.length >= length) break;
  }
  return out;
}

export function referenceLengthOf(config: Pick<CmmsConfig, 'dialect' | 'referenceLength'>): number {
  return config.referenceLength ?? DEFAULT_REFERENCE_LENGTH[config.dialect];
}

/** Null when the length is usable, else why not. */
export function checkReferenceLength(length: unknown): string | null {
  if (length === undefined) return null;
  return Number.isInteger(length) && (length as number) >= MIN_REFERENCE_LENGTH && (length as number) <= MAX_REFERENCE_LENGTH
    ? null
    : `reference length must be a whole number from ${MIN_REFERENCE_LENGTH} to ${MAX_REFERENCE_LENGTH}`;
}

/**
 * The client callers see takes event ids (`CreateInput.reference`, `findByReference`); the
 * dialect underneath sees only the compact reference, so every dialect stores and looks up the
 * same short value.
 */
export function withCompactReference(inner: CmmsClient, length: number): CmmsClient {
  const compact = (eventId: string): string => (typeof eventId === 'string' && eventId !== '' ? compactReference(eventId, length) : eventId);
  return {
    dialect: inner.dialect,
    createWorkOrder: (input) => inner.createWorkOrder({ ...input, reference: compact(input.reference) }),
    updateWorkOrder: (ref, change) => inner.updateWorkOrder(ref, change),
    setStatus: (ref, status, note) => inner.setStatus(ref, status, note),
    ...(inner.hasNote ? { hasNote: inner.hasNote.bind(inner) } : {}),
    findByReference: (eventId) => inner.findByReference(compact(eventId)),
    referenceFor: compact,
    getWorkOrder: (ref) => inner.getWorkOrder(ref),
    listAssets: (cursor) => inner.listAssets(cursor),
    listChangedSince: (w, cursor) => inner.listChangedSince(w, cursor),
    probe: () => inner.probe(),
    close: () => inner.close(),
  };
}

/** The reference a dialect stores for an event id with the given (or default) length. */
export function referenceFor(dialect: DialectName, eventId: string, length?: number): string {
  return compactReference(eventId, length ?? DEFAULT_REFERENCE_LENGTH[dialect]);
}
