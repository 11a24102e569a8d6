// Standard Webhooks signatures (https://www.standardwebhooks.com): the generic REST target can
// check that a work order really came from this gateway, and the same code verifies inbound
// webhooks. Signed content is `${id}.${timestamp}.${body}`; HMAC-SHA256, base64, prefixed "v1,".
import crypto from 'node:crypto';

/** `whsec_<base64>` secrets are base64 bytes; anything else is taken as its UTF-8 bytes. */
function secretBytes(secret: string): Buffer {
  return secret.startsWith('whsec_') ? Buffer.from(secret.slice(6), 'base64') : Buffer.from(secret, 'utf8');
}

export function standardWebhookSignature(secret: string, id: string, timestampSec: number, body: string): string {
  const mac = crypto.createHmac('sha256', secretBytes(secret)).update(`${id}.${timestampSec}.${body}`).digest('base64');
  return `v1,${mac}`;
}

export function standardWebhookHeaders(secret: string, id: string, timestampSec: number, body: string): Record<string, string> {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestampSec),
    'webhook-signature': standardWebhookSignature(secret, id, timestampSec, body),
  };
}

/**
 * Checks a `webhook-signature` header (several space-separated signatures allowed, for key
 * rotation) in constant time, and the timestamp against a tolerance.
 */
export function verifyStandardWebhook(
  secret: string,
  headers: { id: string; timestamp: string; signature: string },
  body: string,
  nowSec: number,
  toleranceSec = 300,
): boolean {
  const ts = Number(headers.timestamp);
  if (!/^\d+$/.test(headers.timestamp) || Math.abs(nowSec - ts) > toleranceSec) return false;
  const expected = Buffer.from(standardWebhookSignature(secret, headers.id, ts, body).slice(3), 'base64');
  return headers.signature.split(' ').some((part) => {
    const [version, value] = part.split(',', 2);
    if (version !== 'v1' || !value) return false;
    const given = Buffer.from(value, 'base64');
    return given.length === expected.length && crypto.timingSafeEqual(given, expected);
  });
}
